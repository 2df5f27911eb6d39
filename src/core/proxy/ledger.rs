//! The ledger of server-token mode: who owns each session and render, and what each visitor
//! spent today. One small record per key (`session:<id>`, `render:<id>`, `visitor:<id>`),
//! changed by one operation at a time.
//!
//! The records live in a Durable Object, one instance per key (`worker/index.js` declares the
//! class; the shell asks it): a Durable Object runs one operation at a time with strongly
//! consistent storage, so a claim is first-come-first-served and a budget cannot be spent twice
//! by two requests racing, which KV's eventual consistency would allow. This module is the
//! whole of what the object decides: [`apply`] takes the stored record and one operation, and
//! gives the record to store and the answer.
//!
//! ```text
//!  Claim{owner}  record empty or owner's ─▶ Granted (record = owner)    another's ─▶ Denied
//!  Check{owner}  record is owner's ─▶ Granted                            else ─▶ Denied
//!  Spend{budget, limit, now}  new UTC day ─▶ counters reset
//!                             count < limit ─▶ Granted (count + 1)   else ─▶ OverBudget(to midnight)
//! ```

use serde::{Deserialize, Serialize};

/// A daily budget of a visitor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Budget {
    /// Chat turns (each one paid work).
    ChatTurns,
    /// Export submits.
    Exports,
}

impl Budget {
    /// As messages name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Budget::ChatTurns => "chat turns",
            Budget::Exports => "exports",
        }
    }
}

/// One operation on one record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Take the record for `owner` if nobody has it.
    Claim {
        /// The visitor.
        owner: String,
    },
    /// Is the record `owner`'s?
    Check {
        /// The visitor.
        owner: String,
    },
    /// Spend one unit of `budget`, at most `limit` a UTC day.
    Spend {
        /// Which budget.
        budget: Budget,
        /// Units a day.
        limit: u32,
        /// Now, unix ms.
        now_ms: u64,
    },
}

/// What the ledger says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum Answer {
    /// Go on.
    Granted,
    /// Not this visitor's.
    Denied,
    /// The day's budget is spent.
    OverBudget {
        /// Seconds to the next UTC midnight.
        retry_after_s: u64,
    },
}

/// One record, stored as JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Record {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
    #[serde(default)]
    day: u64,
    #[serde(default)]
    chat_turns: u32,
    #[serde(default)]
    exports: u32,
}

const DAY_MS: u64 = 24 * 3600 * 1000;

/// Applies `op` to the stored record (`None`: none yet; an unreadable one reads as empty).
/// Returns the record to store (`None`: unchanged) and the answer.
pub fn apply(stored: Option<&str>, op: &Op) -> (Option<String>, Answer) {
    let mut rec: Record = stored
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    let answer = match op {
        Op::Claim { owner } => match &rec.owner {
            Some(o) if o == owner => return (None, Answer::Granted),
            Some(_) => return (None, Answer::Denied),
            None => {
                rec.owner = Some(owner.clone());
                Answer::Granted
            }
        },
        Op::Check { owner } => {
            let mine = rec.owner.as_deref() == Some(owner.as_str());
            return (
                None,
                if mine {
                    Answer::Granted
                } else {
                    Answer::Denied
                },
            );
        }
        Op::Spend {
            budget,
            limit,
            now_ms,
        } => {
            let day = now_ms / DAY_MS;
            if rec.day != day {
                rec = Record {
                    day,
                    ..Record::default()
                };
            }
            let count = match budget {
                Budget::ChatTurns => &mut rec.chat_turns,
                Budget::Exports => &mut rec.exports,
            };
            if *count >= *limit {
                let retry_after_s = ((day + 1) * DAY_MS - now_ms).div_ceil(1000);
                return (None, Answer::OverBudget { retry_after_s });
            }
            *count += 1;
            Answer::Granted
        }
    };
    (serde_json::to_string(&rec).ok(), answer)
}

/// [`apply`] over JSON text, for the storage shell: `{"state": ..., "answer": ...}`.
pub fn apply_json(stored: Option<&str>, op_json: &str) -> String {
    let (state, answer) = match serde_json::from_str::<Op>(op_json) {
        Ok(op) => apply(stored, &op),
        Err(_) => (None, Answer::Denied),
    };
    serde_json::json!({"state": state, "answer": answer}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(o: &str) -> Op {
        Op::Claim { owner: o.into() }
    }

    #[test]
    fn first_claim_wins() {
        let (s, a) = apply(None, &claim("a"));
        assert_eq!(a, Answer::Granted);
        let s = s.unwrap();
        assert_eq!(apply(Some(&s), &claim("a")), (None, Answer::Granted));
        assert_eq!(apply(Some(&s), &claim("b")), (None, Answer::Denied));
        let check = |o: &str| apply(Some(&s), &Op::Check { owner: o.into() }).1;
        assert_eq!((check("a"), check("b")), (Answer::Granted, Answer::Denied));
        assert_eq!(
            apply(None, &Op::Check { owner: "a".into() }).1,
            Answer::Denied,
            "nobody's record is nobody's to use"
        );
    }

    #[test]
    fn budgets_reset_at_utc_midnight() {
        let day = 20_000 * DAY_MS;
        let spend = |now_ms| Op::Spend {
            budget: Budget::Exports,
            limit: 2,
            now_ms,
        };
        let (s, a) = apply(None, &spend(day + 5));
        assert_eq!(a, Answer::Granted);
        let (s, a) = apply(s.as_deref(), &spend(day + 6));
        assert_eq!(a, Answer::Granted);
        let s = s.unwrap();
        assert_eq!(
            apply(Some(&s), &spend(day + DAY_MS - 1500)).1,
            Answer::OverBudget { retry_after_s: 2 }
        );
        // Chat turns are counted apart.
        let chat = Op::Spend {
            budget: Budget::ChatTurns,
            limit: 2,
            now_ms: day + 7,
        };
        assert_eq!(apply(Some(&s), &chat).1, Answer::Granted);
        // A new day, a new budget.
        assert_eq!(apply(Some(&s), &spend(day + DAY_MS)).1, Answer::Granted);
    }

    #[test]
    fn json_shell() {
        let out: serde_json::Value =
            serde_json::from_str(&apply_json(None, r#"{"op":"claim","owner":"v"}"#)).unwrap();
        assert_eq!(out["answer"]["answer"], "granted");
        assert!(out["state"].as_str().unwrap().contains("\"v\""));
        let bad: serde_json::Value = serde_json::from_str(&apply_json(None, "nope")).unwrap();
        assert_eq!(bad["answer"]["answer"], "denied");
        assert!(bad["state"].is_null());
        // A corrupt record reads as empty, never as someone's.
        assert_eq!(apply(Some("{garbage"), &claim("a")).1, Answer::Granted);
    }
}
