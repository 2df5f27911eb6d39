//! A map that forgets its oldest entries past a bound: the simulator's memory stays flat
//! however long a demo worker runs (sessions, renders, tokens, users).

use std::collections::{HashMap, VecDeque};

/// Entries the simulator keeps per kind before forgetting the oldest.
pub const MAX_ENTRIES: usize = 10_000;

/// An insertion-ordered map of at most `cap` entries.
#[derive(Debug)]
pub struct Bounded<V> {
    map: HashMap<String, V>,
    order: VecDeque<String>,
    cap: usize,
}

impl<V> Bounded<V> {
    /// Empty, holding at most `cap` (at least 1).
    pub fn new(cap: usize) -> Self {
        Bounded {
            map: HashMap::new(),
            order: VecDeque::new(),
            cap: cap.max(1),
        }
    }

    /// Inserts (or replaces) `k`; the oldest entries go when the bound is passed.
    pub fn insert(&mut self, k: String, v: V) {
        if self.map.insert(k.clone(), v).is_none() {
            self.order.push_back(k);
        }
        while self.map.len() > self.cap {
            match self.order.pop_front() {
                Some(old) => {
                    self.map.remove(&old);
                }
                None => break,
            }
        }
        // Keys removed meanwhile leave stale entries in `order`; drop them once they dominate.
        if self.order.len() > 2 * self.cap {
            let map = &self.map;
            self.order.retain(|k| map.contains_key(k));
        }
    }

    /// The value of `k`.
    pub fn get(&self, k: &str) -> Option<&V> {
        self.map.get(k)
    }

    /// The value of `k`, to change.
    pub fn get_mut(&mut self, k: &str) -> Option<&mut V> {
        self.map.get_mut(k)
    }

    /// Whether `k` is there.
    pub fn contains_key(&self, k: &str) -> bool {
        self.map.contains_key(k)
    }

    /// Forgets `k`.
    pub fn remove(&mut self, k: &str) -> Option<V> {
        self.map.remove(k)
    }

    /// Every value, to change.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.map.values_mut()
    }

    /// How many entries (the tests read it).
    #[cfg(test)]
    pub fn map_len(&self) -> usize {
        self.map.len()
    }

    /// Keeps the entries `keep` says yes to.
    pub fn retain(&mut self, keep: impl FnMut(&String, &mut V) -> bool) {
        self.map.retain(keep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgets_the_oldest_past_the_bound() {
        let mut m = Bounded::new(3);
        for i in 0..10 {
            m.insert(format!("k{i}"), i);
            assert!(m.map.len() <= 3);
        }
        assert_eq!((m.get("k9"), m.get("k6")), (Some(&9), None));
        m.insert("k9".into(), 90);
        assert_eq!(m.get("k9"), Some(&90), "a replaced key keeps its place");
        for i in 0..100 {
            m.insert(format!("x{i}"), i);
            m.remove(&format!("x{i}"));
        }
        assert!(
            m.order.len() <= 2 * m.cap + 1,
            "stale order entries are dropped"
        );
        assert!(!m.map.is_empty());
    }
}
