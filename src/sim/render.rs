//! The simulator's render service: submit, poll (pending → processing → completed, or failed),
//! cancel, and the fallback download, with each documented form of the status answer.

use serde_json::{Value, json};

use super::wire::{api_error, envelope, json_response, mp4, take};
use super::{LogEntry, Render, RenderForm, SimRequest, SimResponse, Simulator};
use crate::core::api::is_valid_id;

impl Simulator {
    pub(super) fn submit_render(
        &mut self,
        req: &SimRequest,
        user: &str,
        entry: &mut LogEntry,
    ) -> SimResponse {
        if !entry.attribution {
            return json_response(402, json!({"detail": "attribution headers missing"}));
        }
        if take(&mut self.opts.faults.export_plan) {
            return json_response(
                402,
                json!({"code": 402, "message": "free plan cannot export", "data": null}),
            );
        }
        if take(&mut self.opts.faults.submit_errors) {
            return json_response(
                500,
                json!({"success": false, "error": "render queue unavailable"}),
            );
        }
        let body = req.json();
        let Some(body) = body else {
            entry.problems.push("export body is not JSON".into());
            return json_response(422, json!({"detail": "JSON required"}));
        };
        let id = body["id"].as_str().unwrap_or("").to_owned();
        if !id.starts_with("render_")
            || !is_valid_id(&id)
            || id["render_".len()..].parse::<u64>().is_err()
        {
            entry.problems.push("render id is not render_<ms>".into());
        }
        if body["output"] != json!({"format": "mp4", "quality": "high"}) {
            entry.problems.push("export output is not mp4/high".into());
        }
        let sid = body["sessionId"].as_str().unwrap_or("").to_owned();
        let draft = match self.session(&sid, user) {
            Ok(s) => s.draft.clone(),
            Err(r) => return r,
        };
        if body["draft"] != super::draft_as_sent(self.opts.draft_as_text, &draft) {
            entry
                .problems
                .push("export draft differs from the session's".into());
        }
        if self.renders.contains_key(&id) {
            entry.problems.push("render id reused".into());
            return json_response(
                409,
                json!({"success": false, "error": "duplicate render id"}),
            );
        }
        let fail = take(&mut self.opts.faults.render_failure);
        self.renders.insert(
            id.clone(),
            Render {
                polls: 0,
                fail,
                cancelled: false,
            },
        );
        if take(&mut self.opts.faults.submit_lost) {
            return json_response(504, json!({"detail": "upstream request timeout"}));
        }
        envelope(json!({"id": id, "status": "pending", "progress": 0}))
    }

    pub(super) fn poll_render(&mut self, req: &SimRequest, id: &str) -> SimResponse {
        if take(&mut self.opts.faults.poll_errors) {
            return json_response(
                503,
                json!({"success": false, "error": "render service busy"}),
            );
        }
        let steps = self.opts.render_polls.max(1);
        let Some(r) = self.renders.get_mut(id) else {
            return json_response(
                404,
                json!({"success": false, "error": {"code": 404, "message": "render not found"}}),
            );
        };
        r.polls += 1;
        let (status, progress) = if r.cancelled {
            ("cancelled", 0)
        } else if r.fail && r.polls >= steps {
            ("failed", 50)
        } else if r.polls >= steps {
            ("completed", 100)
        } else if r.polls == 1 {
            ("pending", 0)
        } else {
            ("processing", (100 * r.polls / steps) as i64)
        };
        let url = self.opts.video_url.replace("{origin}", &req.origin);
        let done = status == "completed";
        let data = json!({"id": id, "status": status, "progress": progress});
        let with = |mut d: Value, k: &str| {
            if done {
                d[k] = json!(url);
            }
            d
        };
        match self.opts.render_form {
            RenderForm::OutputDotUrl => {
                let mut d = data;
                if done {
                    d["output"] = json!({"url": url, "format": "mp4"});
                }
                envelope(d)
            }
            RenderForm::OutputUrl => envelope(with(data, "outputUrl")),
            RenderForm::SuccessTopLevel => json_response(
                200,
                with(json!({"success": true, "data": data}), "outputUrl"),
            ),
            RenderForm::Bare => json_response(200, with(data, "outputUrl")),
            RenderForm::NoUrl => envelope(data),
        }
    }

    pub(super) fn cancel_render(&mut self, id: &str) -> SimResponse {
        match self.renders.get_mut(id) {
            Some(r) => {
                r.cancelled = true;
                envelope(json!({"id": id, "status": "cancelled"}))
            }
            None => api_error(404, 404, "render not found"),
        }
    }

    pub(super) fn download(&self, id: &str) -> SimResponse {
        match self.renders.get(id) {
            Some(r) if r.polls >= self.opts.render_polls && !r.fail => mp4(),
            Some(_) => api_error(409, 409, "render not finished"),
            None => api_error(404, 404, "render not found"),
        }
    }
}
