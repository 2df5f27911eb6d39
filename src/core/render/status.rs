//! The render service's status answer, read in every documented form: the status word (and
//! its synonyms), the progress (a number or `"35%"`), the download URL at `outputUrl` or
//! `output.url`, at the top level or inside `data` (only `http(s)` URLs are used), and the
//! error of a failed job.

use serde_json::Value;

/// A job's status as the service reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RenderStatus {
    /// Queued.
    Pending,
    /// Rendering.
    Processing,
    /// Done.
    Completed,
    /// Failed (or cancelled).
    Failed,
}

impl RenderStatus {
    /// Stable name for JS.
    pub fn as_str(&self) -> &'static str {
        match self {
            RenderStatus::Pending => "pending",
            RenderStatus::Processing => "processing",
            RenderStatus::Completed => "completed",
            RenderStatus::Failed => "failed",
        }
    }
}

/// One status answer, read tolerantly.
#[derive(Clone, Debug, PartialEq)]
pub struct StatusReport {
    /// The status (an unknown word reads as processing).
    pub status: RenderStatus,
    /// 0–100, when given.
    pub progress: Option<f64>,
    /// The MP4's URL, when given and usable.
    pub url: Option<String>,
    /// The service's error text for a failed job.
    pub error: Option<String>,
}

/// A URL we may hand to a `<video>` or a link: http(s), or a same-origin path.
fn usable_url(u: &str) -> bool {
    let l = u.trim().to_ascii_lowercase();
    (l.starts_with("https://")
        || l.starts_with("http://")
        || (l.starts_with('/') && !l.starts_with("//")))
        && !u.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn url_in(v: &Value) -> Option<String> {
    let direct = [
        "outputUrl",
        "output_url",
        "downloadUrl",
        "download_url",
        "url",
    ]
    .iter()
    .find_map(|k| v.get(*k).and_then(Value::as_str));
    let nested = || {
        v.get("output")
            .and_then(|o| o.get("url"))
            .and_then(Value::as_str)
    };
    direct
        .or_else(nested)
        .filter(|u| usable_url(u))
        .map(str::to_owned)
}

/// Reads a status answer: `top` is the whole body, `data` its payload (see `api::decode`);
/// the status, progress and URL may be in either, the URL at `outputUrl` or `output.url`.
pub fn parse_status(top: &Value, data: &Value) -> StatusReport {
    let pick = |k: &str| data.get(k).or_else(|| top.get(k));
    let word = pick("status")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    let url = url_in(data).or_else(|| url_in(top));
    let status = match word.as_str() {
        "completed" | "complete" | "done" | "success" | "succeeded" | "finished" => {
            RenderStatus::Completed
        }
        "failed" | "failure" | "error" | "cancelled" | "canceled" => RenderStatus::Failed,
        "pending" | "queued" | "waiting" | "submitted" => RenderStatus::Pending,
        // No status word but a URL: done.
        "" if url.is_some() => RenderStatus::Completed,
        _ => RenderStatus::Processing,
    };
    let progress = pick("progress")
        .and_then(|p| {
            p.as_f64().or_else(|| {
                p.as_str()
                    .and_then(|s| crate::core::number::parse(s.trim().trim_end_matches('%')))
            })
        })
        .filter(|p| p.is_finite())
        .map(|p| p.clamp(0.0, 100.0));
    let error = pick("error").and_then(|e| match e {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("message").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    });
    StatusReport {
        status,
        progress,
        url,
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_documented_url_place() {
        let forms = [
            json!({"status": "completed", "outputUrl": "https://a/1.mp4"}),
            json!({"status": "completed", "output": {"url": "https://a/1.mp4"}}),
            json!({"success": true, "data": {"status": "completed", "outputUrl": "https://a/1.mp4"}}),
            json!({"code": 0, "data": {"status": "completed", "output": {"url": "https://a/1.mp4"}}}),
            json!({"success": true, "data": {"status": "completed"}, "outputUrl": "https://a/1.mp4"}),
        ];
        for f in forms {
            let data = f.get("data").cloned().unwrap_or(f.clone());
            let r = parse_status(&f, &data);
            assert_eq!(
                (r.status, r.url.as_deref()),
                (RenderStatus::Completed, Some("https://a/1.mp4")),
                "{f}"
            );
        }
    }

    #[test]
    fn status_words_and_progress() {
        let r = parse_status(&json!({"status": "QUEUED", "progress": "35%"}), &json!({}));
        assert_eq!((r.status, r.progress), (RenderStatus::Pending, Some(35.0)));
        let r = parse_status(&json!({"status": "rendering", "progress": 250}), &json!({}));
        assert_eq!(
            (r.status, r.progress),
            (RenderStatus::Processing, Some(100.0))
        );
        assert_eq!(
            parse_status(&json!({"url": "https://x/y.mp4"}), &json!({})).status,
            RenderStatus::Completed
        );
        assert_eq!(
            parse_status(&json!({}), &json!({})).status,
            RenderStatus::Processing
        );
    }
}
