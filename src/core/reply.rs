//! What `handle()` tells the user for each intent: the sentences, in one place.
//!
//! Owns: the wording of credits, state, export, upload and chat replies. Does not own: doing
//! the work (the client) or routing (`intent.rs`).

use super::api::Credits;
use super::upload::{ACCEPTED_EXTENSIONS, MAX_UPLOAD_BYTES};

fn amount(n: f64) -> String {
    if n.fract() == 0.0 {
        super::number::whole(n)
    } else {
        super::number::fixed(n, 2)
    }
}

/// The credit balance.
pub fn credits(c: &Credits) -> String {
    let mut s = format!("You have {} credits available", amount(c.available));
    if c.frozen > 0.0 {
        s.push_str(&format!(
            " ({} held for work in progress, {} in total)",
            amount(c.frozen),
            amount(c.total)
        ));
    }
    s.push('.');
    if c.available <= 0.0 {
        s.push_str(" You are out of credits.");
    }
    s
}

/// The session state: the timeline and whether it can be exported.
pub fn state(summary: &str, ready: bool) -> String {
    if ready {
        format!("{summary}\nReady to export.")
    } else {
        format!("{summary}\nNothing to export yet: describe the video you want first.")
    }
}

/// An export finished.
pub fn exported(url: &str) -> String {
    format!("Your video is ready: {url}")
}

/// The user asked to upload but sent no file.
pub fn upload_prompt() -> String {
    format!(
        "Choose the files to upload ({}; up to {} MB each).",
        ACCEPTED_EXTENSIONS.join(", "),
        MAX_UPLOAD_BYTES / 1_000_000
    )
}

/// A chat turn's reply: its text, then what changed, then what the client did for it.
pub fn chat(text: &str, changes: Option<&str>, extra: &[String]) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if !text.trim().is_empty() {
        parts.push(text);
    }
    if let Some(c) = changes {
        parts.push(c);
    }
    parts.extend(extra.iter().map(String::as_str));
    parts.join("\n\n")
}

/// The hint for a drag-and-drop instruction (there is no drag in a chat).
pub const EDIT_HINT: &str = "Tell me in words what to move or change, and I will do it.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wording() {
        let c = Credits {
            available: 90.0,
            frozen: 10.0,
            total: 100.0,
        };
        assert_eq!(
            credits(&c),
            "You have 90 credits available (10 held for work in progress, 100 in total)."
        );
        let none = Credits {
            available: 0.0,
            frozen: 0.0,
            total: 0.0,
        };
        assert!(credits(&none).ends_with("You are out of credits."));
        assert!(state("Timeline is empty.", false).contains("Nothing to export"));
        assert!(upload_prompt().contains("mp4") && upload_prompt().contains("500 MB"));
        assert_eq!(
            chat("Hi", Some("Changed: x."), &["Done".into()]),
            "Hi\n\nChanged: x.\n\nDone"
        );
        assert_eq!(chat("", None, &[]), "");
    }
}
