//! The simulator's upload endpoint: multipart files or JSON URLs, each checked as the real
//! service does (format, 500 MB), answered with what the service says of each file.

use serde_json::{Value, json};

use super::wire::{api_error, envelope};
use super::{LogEntry, SimBody, SimRequest, SimResponse, Simulator};
use crate::core::upload::{ACCEPTED_EXTENSIONS, MAX_UPLOAD_BYTES, extension};

impl Simulator {
    pub(super) fn upload(
        &mut self,
        req: &SimRequest,
        user: &str,
        sid: &str,
        entry: &mut LogEntry,
    ) -> SimResponse {
        if let Err(r) = self.session(sid, user) {
            return r;
        }
        let files: Vec<(String, u64)> = match &req.body {
            SimBody::Files(f) => f.iter().map(|(n, s, _)| (n.clone(), *s)).collect(),
            SimBody::Text(t) => match serde_json::from_str::<Value>(t) {
                Ok(v) if v["source_type"] == "url" => v["urls"]
                    .as_array()
                    .map(|u| {
                        u.iter()
                            .filter_map(Value::as_str)
                            .map(|u| (u.rsplit('/').next().unwrap_or(u).to_owned(), 0))
                            .collect()
                    })
                    .unwrap_or_default(),
                _ => Vec::new(),
            },
            SimBody::None => Vec::new(),
        };
        if files.is_empty() {
            entry.problems.push("upload without files".into());
            return api_error(200, 4001, "no files");
        }
        let mut out = Vec::new();
        for (name, size) in files {
            if extension(&name).is_some_and(|e| !ACCEPTED_EXTENSIONS.contains(&e.as_str())) {
                return api_error(200, 4001, "unsupported file type");
            }
            if size > MAX_UPLOAD_BYTES {
                return api_error(200, 4002, "file too large");
            }
            let hash = format!("{:016x}", self.rng.next_u64());
            out.push(json!({"filename": name, "file_type": "video", "cdn_url": format!("https://cdn.sim.invalid/{hash}/{name}"), "duration": 10.0, "width": 1920, "height": 1080, "fps": 30, "hash": hash}));
        }
        envelope(json!({"files": out}))
    }
}
