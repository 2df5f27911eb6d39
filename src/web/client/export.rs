//! Drives a [`RenderJob`]: submit, poll, cancel, and the storage of jobs to resume.

use std::rc::Rc;

use serde_json::Value;

use super::{Call, Client};
use crate::core::api::{ApiConfig, Auth, Endpoint};
use crate::core::draft;
use crate::core::error::NemoError;
use crate::core::render::{
    ExportOutcome, ExportProgress, PendingRender, RenderJob, RenderOutput, Step,
};
use crate::core::session::RetryPolicy;
use crate::web::cancel::Cancel;
use crate::web::host;

/// Where an export's progress goes.
pub(crate) type OnProgress<'a> = &'a dyn Fn(&ExportProgress);

/// A finished export.
pub(crate) struct FinishedExport {
    /// The render id.
    pub id: String,
    /// Where the MP4 is (a `blob:` URL after a fallback download).
    pub url: String,
    /// The file, after a fallback download.
    pub blob: Option<web_sys::Blob>,
}

impl Client {
    /// Exports the session's draft (or `draft`, JSON text), polling until the MP4 is ready.
    /// The draft goes back exactly as its text came: never parsed and written again.
    pub async fn export(
        self: &Rc<Self>,
        draft: Option<String>,
        on_progress: OnProgress<'_>,
        cancel: &Cancel,
    ) -> Result<FinishedExport, NemoError> {
        self.connect(cancel, None).await?;
        let draft_json = match draft {
            Some(d) => Some(d),
            None => self
                .state(None, cancel)
                .await?
                .draft_raw
                .map(|r| r.get().to_owned()),
        };
        let draft = match &draft_json {
            Some(text) => Some(
                serde_json::from_str::<Value>(text)
                    .map_err(|_| NemoError::refused("BAD_DRAFT", "the draft is not JSON"))?,
            ),
            None => None,
        };
        let draft_json = draft_json
            .filter(|_| draft.as_ref().is_some_and(draft::is_ready))
            .ok_or_else(|| {
                NemoError::refused("NOTHING_TO_EXPORT", "the draft has no track with a segment")
                    .with_user_message(
                        "There is nothing to export yet: describe the video you want first.",
                    )
            })?;
        let session_id = self.session_id().unwrap_or_default();
        let job = RenderJob::submit(self.opts.render_config(), &session_id, host::now_ms());
        self.drive(job, Some(&draft_json), on_progress, cancel)
            .await
    }

    /// Finishes the render jobs a closed tab or a crashed worker left behind.
    pub async fn resume_exports(
        self: &Rc<Self>,
        on_progress: OnProgress<'_>,
        cancel: &Cancel,
    ) -> Result<Vec<FinishedExport>, NemoError> {
        let mut done = Vec::new();
        for pending in self.pending_renders() {
            self.connect(cancel, None).await?;
            let job = RenderJob::resume(self.opts.render_config(), &pending, host::now_ms());
            match self.drive(job, None, on_progress, cancel).await {
                Ok(d) => done.push(d),
                Err(e) if e.is_aborted() => return Err(e),
                Err(e) => on_progress(&ExportProgress {
                    id: pending.id.clone(),
                    status: "failed",
                    percent: None,
                    error: Some(e),
                }),
            }
        }
        Ok(done)
    }

    fn apply_outputs(&self, job: &mut RenderJob, on_progress: OnProgress<'_>) {
        while let Some(out) = job.poll_output() {
            match out {
                RenderOutput::Progress { status, percent } => on_progress(&ExportProgress {
                    id: job.id().to_owned(),
                    status,
                    percent,
                    error: None,
                }),
                RenderOutput::Persist(p) => {
                    let mut list: Vec<PendingRender> = self.pending_renders();
                    list.retain(|x| x.id != p.id);
                    list.push(p);
                    self.save_pending_renders(&list);
                }
                RenderOutput::Forget(id) => {
                    let mut list = self.pending_renders();
                    list.retain(|x| x.id != id);
                    self.save_pending_renders(&list);
                }
            }
        }
    }

    async fn drive(
        self: &Rc<Self>,
        mut job: RenderJob,
        draft_json: Option<&str>,
        on_progress: OnProgress<'_>,
        cancel: &Cancel,
    ) -> Result<FinishedExport, NemoError> {
        let mut policy = RetryPolicy::new(&self.creds.borrow(), self.opts.rate_limit_wait_ms);
        let finished = loop {
            self.apply_outputs(&mut job, on_progress);
            let remaining = || job.poll_timeout().map(|t| t.saturating_sub(host::now_ms()));
            let request_ms = remaining().map_or(self.opts.request_timeout_ms, |r| {
                r.min(self.opts.request_timeout_ms)
            });
            match job.step() {
                Step::Submit(id) => {
                    let session_id = job.session_id().to_owned();
                    let draft_json = draft_json.unwrap_or("null");
                    let build = |api: &ApiConfig, auth: Auth<'_>, sid: Option<&str>| {
                        api.request(
                            &Endpoint::Export {
                                render_id: &id,
                                session_id: sid.unwrap_or_default(),
                                draft_json,
                            },
                            auth,
                        )
                    };
                    // Sent once: whether and how to submit again is the job's policy.
                    let call = Call {
                        ms: Some(request_ms),
                        session: Some(&session_id),
                        once: true,
                        ..Call::new(self, &build)
                    };
                    policy = RetryPolicy::new(&self.creds.borrow(), self.opts.rate_limit_wait_ms);
                    let r = self.call_json(call, cancel).await;
                    job.on_submitted(r.map(|d| (d.top, d.data)), host::now_ms());
                }
                Step::Recover(err) => {
                    let decision = policy.decide(err, &self.creds.borrow());
                    let r = self.recover(decision, false, cancel).await;
                    match r {
                        Err(e) if e.is_aborted() => job.abort(),
                        r => job.on_recovered(r, host::now_ms()),
                    }
                }
                Step::Poll(id) => {
                    let build = |api: &ApiConfig, auth: Auth<'_>, _: Option<&str>| {
                        api.request(&Endpoint::ExportStatus { render_id: &id }, auth)
                    };
                    let call = Call {
                        ms: Some(request_ms),
                        needs_session: false,
                        ..Call::new(self, &build)
                    };
                    match self.call_json(call, cancel).await {
                        Err(e) if e.is_aborted() => job.abort(),
                        r => job.on_status(r.map(|d| (d.top, d.data)), host::now_ms()),
                    }
                }
                Step::Wait => {
                    if cancel.sleep(remaining().unwrap_or(0)).await.is_err() {
                        job.abort();
                    }
                }
                Step::Cancel(id) => {
                    // Sent even though the caller aborted: that is what it is for.
                    let build = |api: &ApiConfig, auth: Auth<'_>, _: Option<&str>| {
                        api.request(&Endpoint::CancelExport { render_id: &id }, auth)
                    };
                    let call = Call {
                        needs_session: false,
                        ..Call::new(self, &build)
                    };
                    let _ = self.call_json(call, &Cancel::new(None)).await;
                    job.on_cancelled();
                }
                Step::Finished(r) => break r,
            }
            job.on_tick(host::now_ms());
        };
        self.apply_outputs(&mut job, on_progress);
        let done = finished?;
        match done.outcome {
            ExportOutcome::Url(url) => Ok(FinishedExport {
                id: done.id,
                url,
                blob: None,
            }),
            ExportOutcome::Download => {
                let id = done.id.clone();
                let build = |api: &ApiConfig, auth: Auth<'_>, _: Option<&str>| {
                    api.request(&Endpoint::Download { render_id: &id }, auth)
                };
                let call = Call {
                    needs_session: false,
                    ms: None,
                    ..Call::new(self, &build)
                };
                let blob = self.call_bytes(call, cancel).await?;
                let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| {
                    NemoError::refused(
                        "NO_BLOB_URL",
                        "this runtime cannot make a URL for the downloaded file",
                    )
                })?;
                Ok(FinishedExport {
                    id: done.id,
                    url,
                    blob: Some(blob),
                })
            }
        }
    }
}
