//! The export job as a state machine; time is an input.
//!
//! Owns: the render id (`render_<unix ms>`, a new one for each submit), the one submit policy
//! (below), the poll schedule (every `poll_interval_ms`, a failed poll (no answer, a 5xx, an
//! answer that cannot be read) retried with the same id up to `max_poll_failures` times in a
//! row), reading
//! every documented form of the status ([`parse_status`]), the fallback download when a
//! finished job names no usable URL, the timeout and abort (both cancel the job on the
//! server), and which jobs to persist so a reload can resume them ([`PendingRender`]).
//!
//! ```text
//!  new ─▶ Submitting(id) ─ok─▶ Waiting ─(interval)─▶ Polling ─ pending/processing ─▶ Waiting
//!          │ │ │ └ refused before any work (1001, 400, 429), first time ─▶ Recovering
//!          │ │ │        ─ recovered ─▶ Submitting(new id) ─ (no further retry)
//!          │ │ └ may have been accepted (network, timeout, 5xx) ─▶ Polling(unsure)
//!          │ │        ─ the service knows the id ─▶ as accepted
//!          │ │        ─ it says it does not (a refusal), first time ─▶ Submitting(new id)
//!          │ │        ─ the poll failed ─▶ polled again, same id
//!          │ └ 1002 / session not found ─▶ Finished(Err: the draft's session is gone)
//!          └ other failure ─▶ Finished(Err)            Polling ─ completed ─▶ Finished(Ok)
//!  resume ─▶ Polling                                   Polling ─ failed ───▶ Finished(Err)
//!  timeout or abort (any live phase) ─▶ Cancelling ─ done ─▶ Finished(Err)
//! ```
//!
//! The submit policy, in this one place (the call layer does not retry a submit on its own):
//! at most one retry in all, always with a new id; every id is persisted *before* its request
//! leaves, so a tab closed mid-submit leaves a job to resume, and forgotten once it is known
//! not to run; a submit whose answer was lost (it may have been accepted) is polled by its id
//! rather than resubmitted, and cancelled on timeout or abort like any accepted job; a 1002 is
//! refused with its own error instead of submitting the old session's draft under a new,
//! empty session.
//!
//! Reading the service's status answer, in every documented form, is `status.rs`; the stored
//! form of jobs to resume is `pending.rs`; the submit policy's judgments of a failed submit
//! are `submit.rs`.
//!
//! Outputs besides the step: [`RenderOutput::Progress`] for the user, and
//! [`RenderOutput::Persist`]/[`RenderOutput::Forget`] for the shell's storage.
//!
//! Does not own: HTTP (the shell), the request bodies (`api/request.rs`), auth and rate-limit retries
//! (`session.rs`, applied to each request before its result reaches this machine).

use std::collections::VecDeque;

use serde_json::Value;

mod pending;
mod status;
mod submit;

pub use pending::{PendingRender, decode_pending, encode_pending};
pub use status::{RenderStatus, StatusReport, parse_status};

use super::error::{ErrorKind, NemoError, Recovery};
use submit::{may_have_been_accepted, poll_failed, session_lost};

/// Durations of an export, ms; defaults from API.md and DESIGN.md.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderConfig {
    /// Time between polls.
    pub poll_interval_ms: u64,
    /// Time from submit (or resume) to giving up and cancelling.
    pub timeout_ms: u64,
    /// Failed polls in a row before giving up (the job stays persisted for a later resume).
    pub max_poll_failures: u32,
}

impl Default for RenderConfig {
    fn default() -> Self {
        RenderConfig {
            poll_interval_ms: 30_000,
            timeout_ms: 600_000,
            max_poll_failures: 5,
        }
    }
}

/// What an export's `onProgress` hears: the job, its status, and for a resumed job that
/// failed, why.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportProgress {
    /// The render id.
    pub id: String,
    /// `pending`, `processing`, `completed` or `failed`.
    pub status: &'static str,
    /// 0-100, when the service said.
    pub percent: Option<f64>,
    /// Why a resumed job failed.
    pub error: Option<NemoError>,
}

/// Where the finished video is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExportOutcome {
    /// A URL to the MP4.
    Url(String),
    /// No usable URL: fetch `GET /api/render/proxy/<id>/download` (with auth) instead.
    Download,
}

/// The finished export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportDone {
    /// The render id.
    pub id: String,
    /// Where the video is.
    pub outcome: ExportOutcome,
}

/// What the shell should do now.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Submit the job with this id, then call `on_submitted`.
    Submit(String),
    /// Nothing until [`RenderJob::poll_timeout`], then `on_tick`.
    Wait,
    /// Ask for the status of this id, then call `on_status`.
    Poll(String),
    /// The submit was refused before any work began (this error): apply the session policy's
    /// recovery (a new token, a client id, the 429 wait), then call `on_recovered`.
    Recover(NemoError),
    /// Cancel this id on the server, then call `on_cancelled` (its result does not matter).
    Cancel(String),
    /// Over.
    Finished(Result<ExportDone, NemoError>),
}

/// Side outputs for the user and the storage.
#[derive(Clone, Debug, PartialEq)]
pub enum RenderOutput {
    /// For a progress bar.
    Progress {
        /// Status word.
        status: &'static str,
        /// 0–100 when known.
        percent: Option<f64>,
    },
    /// Store this job (it was accepted by the service).
    Persist(PendingRender),
    /// Remove this job from storage (it finished, failed or was cancelled).
    Forget(String),
}

#[derive(Clone, Debug, PartialEq)]
enum Phase {
    Submitting { retried: bool },
    Recovering(NemoError),
    Waiting { until: u64 },
    Polling,
    Cancelling(NemoError),
    Finished(Result<ExportDone, NemoError>),
}

/// One export job.
#[derive(Debug)]
pub struct RenderJob {
    config: RenderConfig,
    id: String,
    session_id: String,
    deadline: u64,
    failures: u32,
    /// The service has (or may have) the job: it is cancelled on timeout or abort.
    accepted: bool,
    /// The submit's answer was lost: the first poll tells whether the service has the job.
    unsure: bool,
    /// The one submit retry was spent.
    retried: bool,
    phase: Phase,
    outputs: VecDeque<RenderOutput>,
}

/// `render_<ms>`, later than `previous` when there is one (two submits in one ms differ).
pub fn render_id(now: u64, previous: Option<&str>) -> String {
    let prev = previous
        .and_then(|p| p.strip_prefix("render_"))
        .and_then(|n| n.parse::<u64>().ok());
    let ms = match prev {
        Some(p) if p >= now => p + 1,
        _ => now,
    };
    format!("render_{ms}")
}

impl RenderJob {
    /// A new export for `session_id`, submitted at `now`. Its id is to be persisted (the
    /// first output) before the request leaves.
    pub fn submit(config: RenderConfig, session_id: &str, now: u64) -> Self {
        let mut job = Self::build(
            config,
            render_id(now, None),
            session_id,
            now,
            Phase::Submitting { retried: false },
            false,
        );
        job.persist(now);
        job
    }

    fn persist(&mut self, now: u64) {
        self.outputs.push_back(RenderOutput::Persist(PendingRender {
            id: self.id.clone(),
            session_id: self.session_id.clone(),
            started_at: now,
        }));
    }

    /// The session the job's draft belongs to (its submit names it).
    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// Resumes a stored job: it is polled at once, with a fresh timeout.
    pub fn resume(config: RenderConfig, pending: &PendingRender, now: u64) -> Self {
        Self::build(
            config,
            pending.id.clone(),
            &pending.session_id,
            now,
            Phase::Polling,
            true,
        )
    }

    fn build(
        config: RenderConfig,
        id: String,
        session_id: &str,
        now: u64,
        phase: Phase,
        accepted: bool,
    ) -> Self {
        let deadline = now.saturating_add(config.timeout_ms);
        RenderJob {
            config,
            id,
            session_id: session_id.to_owned(),
            deadline,
            failures: 0,
            accepted,
            unsure: false,
            retried: false,
            phase,
            outputs: VecDeque::new(),
        }
    }

    /// The current render id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The next side output.
    pub fn poll_output(&mut self) -> Option<RenderOutput> {
        self.outputs.pop_front()
    }

    /// What to do now.
    pub fn step(&self) -> Step {
        match &self.phase {
            Phase::Submitting { .. } => Step::Submit(self.id.clone()),
            Phase::Waiting { .. } => Step::Wait,
            Phase::Polling => Step::Poll(self.id.clone()),
            Phase::Recovering(e) => Step::Recover(e.clone()),
            Phase::Cancelling(_) => Step::Cancel(self.id.clone()),
            Phase::Finished(r) => Step::Finished(r.clone()),
        }
    }

    /// When to call `on_tick`.
    pub fn poll_timeout(&self) -> Option<u64> {
        match self.phase {
            Phase::Waiting { until } => Some(until.min(self.deadline)),
            Phase::Submitting { .. } | Phase::Recovering(_) | Phase::Polling => Some(self.deadline),
            _ => None,
        }
    }

    /// Time passed.
    pub fn on_tick(&mut self, now: u64) {
        if !self.live() {
            return;
        }
        if now >= self.deadline {
            self.cancel(NemoError::timeout("EXPORT_TIMEOUT", "The export"));
        } else if let Phase::Waiting { until } = self.phase
            && now >= until
        {
            self.phase = Phase::Polling;
        }
    }

    /// The caller aborted: the job is cancelled on the server.
    pub fn abort(&mut self) {
        if self.live() {
            self.cancel(NemoError::aborted());
        }
    }

    fn live(&self) -> bool {
        !matches!(self.phase, Phase::Cancelling(_) | Phase::Finished(_))
    }

    fn cancel(&mut self, reason: NemoError) {
        if self.accepted || matches!(self.phase, Phase::Submitting { .. }) {
            // A submit in flight may have been accepted: cancel it too.
            self.phase = Phase::Cancelling(reason);
        } else {
            self.finish(Err(reason));
        }
    }

    /// The cancel request finished (either way).
    pub fn on_cancelled(&mut self) {
        if let Phase::Cancelling(reason) = &self.phase {
            let reason = reason.clone();
            self.outputs
                .push_back(RenderOutput::Forget(self.id.clone()));
            self.finish(Err(reason));
        }
    }

    fn finish(&mut self, result: Result<ExportDone, NemoError>) {
        self.phase = Phase::Finished(result);
    }

    /// The submit's result: the decoded answer (`top`, `data`) or the failure, exactly as one
    /// request gave it (no retry of the call layer in between).
    pub fn on_submitted(&mut self, result: Result<(Value, Value), NemoError>, now: u64) {
        let Phase::Submitting { retried } = self.phase else {
            return;
        };
        self.retried = retried;
        match result {
            Ok((top, data)) => {
                self.accepted = true;
                let report = parse_status(&top, &data);
                if matches!(
                    report.status,
                    RenderStatus::Completed | RenderStatus::Failed
                ) {
                    return self.on_report(report, now);
                }
                self.progress(&report);
                self.phase = Phase::Waiting {
                    until: now.saturating_add(self.config.poll_interval_ms),
                };
            }
            Err(e) if e.is_aborted() => self.abort(),
            Err(e) if e.recovery == Recovery::NewSession => {
                self.forget();
                self.finish(Err(session_lost(e)));
            }
            Err(e) if may_have_been_accepted(&e) => {
                // Resubmitting could start a second render: ask the service about this id.
                self.accepted = true;
                self.unsure = true;
                self.phase = Phase::Polling;
            }
            Err(e) if e.recovery != Recovery::Report && !retried => {
                // Refused before any work (1001, 400, 429): recover, then the one retry.
                self.forget();
                self.phase = Phase::Recovering(e);
            }
            Err(e) => {
                self.forget();
                self.finish(Err(e));
            }
        }
    }

    /// The recovery of a refused submit finished: `Ok` submits again with a new id (the one
    /// retry); `Err` (the configured token refused, the wait aborted) ends the job.
    pub fn on_recovered(&mut self, result: Result<(), NemoError>, now: u64) {
        if !matches!(self.phase, Phase::Recovering(_)) {
            return;
        }
        match result {
            Ok(()) => self.resubmit(now),
            Err(e) => self.finish(Err(e)),
        }
    }

    fn resubmit(&mut self, now: u64) {
        self.id = render_id(now, Some(&self.id));
        self.accepted = false;
        self.unsure = false;
        self.persist(now);
        self.phase = Phase::Submitting { retried: true };
    }

    fn forget(&mut self) {
        self.outputs
            .push_back(RenderOutput::Forget(self.id.clone()));
    }

    /// A poll's result.
    pub fn on_status(&mut self, result: Result<(Value, Value), NemoError>, now: u64) {
        if self.phase != Phase::Polling {
            return;
        }
        match result {
            Ok((top, data)) => {
                self.failures = 0;
                self.unsure = false;
                self.on_report(parse_status(&top, &data), now);
            }
            Err(e) if self.unsure && !self.retried && !poll_failed(&e) => {
                // The service says it does not know the id whose submit answer was lost: it
                // was not accepted after all. The one retry, with a new id.
                self.forget();
                self.resubmit(now);
            }
            Err(e) if poll_failed(&e) => {
                self.failures += 1;
                if self.failures >= self.config.max_poll_failures {
                    // Kept in storage: the job may still finish, and a resume can find it.
                    return self.finish(Err(e));
                }
                self.phase = Phase::Waiting {
                    until: now.saturating_add(self.config.poll_interval_ms),
                };
            }
            Err(e) => {
                // The service does not know this job (or refuses us): it will not finish.
                self.forget();
                self.finish(Err(e));
            }
        }
    }

    fn progress(&mut self, r: &StatusReport) {
        self.outputs.push_back(RenderOutput::Progress {
            status: r.status.as_str(),
            percent: r.progress,
        });
    }

    fn on_report(&mut self, report: StatusReport, now: u64) {
        match report.status {
            RenderStatus::Completed => {
                self.outputs.push_back(RenderOutput::Progress {
                    status: "completed",
                    percent: Some(100.0),
                });
                self.outputs
                    .push_back(RenderOutput::Forget(self.id.clone()));
                let outcome = report
                    .url
                    .map_or(ExportOutcome::Download, ExportOutcome::Url);
                self.finish(Ok(ExportDone {
                    id: self.id.clone(),
                    outcome,
                }));
            }
            RenderStatus::Failed => {
                self.progress(&report);
                self.outputs
                    .push_back(RenderOutput::Forget(self.id.clone()));
                let detail = report
                    .error
                    .unwrap_or_else(|| "the render failed".to_owned());
                let err = NemoError::new(
                    ErrorKind::Server,
                    "RENDER_FAILED",
                    true,
                    format!("render failed: {detail}"),
                )
                .with_user_message("The export failed on the render service. Try exporting again.");
                self.finish(Err(err));
            }
            RenderStatus::Pending | RenderStatus::Processing => {
                self.progress(&report);
                self.phase = Phase::Waiting {
                    until: now.saturating_add(self.config.poll_interval_ms),
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ErrorCode;
    use serde_json::json;

    fn cfg() -> RenderConfig {
        RenderConfig {
            poll_interval_ms: 10,
            timeout_ms: 1000,
            max_poll_failures: 3,
        }
    }
    fn ok(v: Value) -> Result<(Value, Value), NemoError> {
        let data = v.get("data").cloned().unwrap_or(v.clone());
        Ok((v, data))
    }
    /// A stored job resumed at time 0 (polled at once).
    fn resumed(id: &str) -> RenderJob {
        let pending = PendingRender {
            id: id.into(),
            session_id: "s".into(),
            started_at: 0,
        };
        RenderJob::resume(cfg(), &pending, 0)
    }
    fn outputs(j: &mut RenderJob) -> Vec<RenderOutput> {
        std::iter::from_fn(|| j.poll_output()).collect()
    }

    #[test]
    fn submit_poll_complete() {
        let mut j = RenderJob::submit(cfg(), "sess", 1000);
        assert_eq!(j.step(), Step::Submit("render_1000".into()));
        // Persisted before the request leaves.
        assert_eq!(
            outputs(&mut j),
            vec![RenderOutput::Persist(PendingRender {
                id: "render_1000".into(),
                session_id: "sess".into(),
                started_at: 1000
            })]
        );
        j.on_submitted(
            ok(json!({"id": "render_1000", "status": "pending", "progress": 0})),
            1001,
        );
        assert_eq!(
            outputs(&mut j),
            vec![RenderOutput::Progress {
                status: "pending",
                percent: Some(0.0)
            },]
        );
        assert_eq!((j.step(), j.poll_timeout()), (Step::Wait, Some(1011)));
        j.on_tick(1010);
        assert_eq!(j.step(), Step::Wait);
        j.on_tick(1011);
        assert_eq!(j.step(), Step::Poll("render_1000".into()));
        j.on_status(
            ok(json!({"code": 0, "data": {"status": "processing", "progress": 40}})),
            1012,
        );
        assert_eq!(
            outputs(&mut j),
            vec![RenderOutput::Progress {
                status: "processing",
                percent: Some(40.0)
            }]
        );
        j.on_tick(1022);
        j.on_status(
            ok(json!({"status": "completed", "output": {"url": "https://cdn/x.mp4"}})),
            1023,
        );
        assert_eq!(
            j.step(),
            Step::Finished(Ok(ExportDone {
                id: "render_1000".into(),
                outcome: ExportOutcome::Url("https://cdn/x.mp4".into())
            }))
        );
        assert!(outputs(&mut j).contains(&RenderOutput::Forget("render_1000".into())));
    }

    #[test]
    fn submit_that_completes_at_once() {
        let mut j = RenderJob::submit(cfg(), "s", 5);
        j.on_submitted(ok(json!({"code": 0, "data": {"id": "render_5", "status": "completed", "outputUrl": "https://cdn/y.mp4"}})), 6);
        assert_eq!(
            j.step(),
            Step::Finished(Ok(ExportDone {
                id: "render_5".into(),
                outcome: ExportOutcome::Url("https://cdn/y.mp4".into())
            }))
        );
        let out = outputs(&mut j);
        assert!(matches!(out[0], RenderOutput::Persist(_)));
        assert!(out.contains(&RenderOutput::Forget("render_5".into())));
    }

    #[test]
    fn unknown_job_is_forgotten() {
        let mut j = resumed("render_8");
        let gone = NemoError::from_code(404, "no such render", &Default::default());
        j.on_status(Err(gone.clone()), 1);
        assert_eq!(j.step(), Step::Finished(Err(gone)));
        assert_eq!(
            outputs(&mut j),
            vec![RenderOutput::Forget("render_8".into())]
        );
    }

    #[test]
    fn completed_without_usable_url_falls_back_to_download() {
        for body in [
            json!({"status": "completed"}),
            json!({"status": "done", "outputUrl": "javascript:alert(1)"}),
        ] {
            let mut j = resumed("render_5");
            j.on_status(ok(body), 1);
            assert_eq!(
                j.step(),
                Step::Finished(Ok(ExportDone {
                    id: "render_5".into(),
                    outcome: ExportOutcome::Download
                }))
            );
        }
    }

    fn code(n: i64) -> NemoError {
        NemoError::from_code(n, "", &Default::default())
    }

    #[test]
    fn a_refused_submit_is_recovered_then_retried_once_with_a_new_id() {
        for refusal in [code(429), code(1001), code(400)] {
            let mut j = RenderJob::submit(cfg(), "s", 500);
            outputs(&mut j);
            j.on_submitted(Err(refusal.clone()), 500);
            assert_eq!(j.step(), Step::Recover(refusal.clone()));
            assert_eq!(
                outputs(&mut j),
                vec![RenderOutput::Forget("render_500".into())]
            );
            j.on_recovered(Ok(()), 500);
            assert_eq!(
                j.step(),
                Step::Submit("render_501".into()),
                "a new, later id even within the same ms"
            );
            assert!(
                matches!(&outputs(&mut j)[..], [RenderOutput::Persist(p)] if p.id == "render_501")
            );
            // No second retry, whatever the failure.
            j.on_submitted(Err(refusal.clone()), 502);
            assert_eq!(j.step(), Step::Finished(Err(refusal)));
        }
        // A recovery that fails (a configured token refused) ends the job.
        let mut j = RenderJob::submit(cfg(), "s", 500);
        j.on_submitted(Err(code(1001)), 500);
        j.on_recovered(Err(code(401)), 501);
        assert_eq!(j.step(), Step::Finished(Err(code(401))));
        // A refusal with no recovery is not retried.
        let mut j = RenderJob::submit(cfg(), "s", 500);
        j.on_submitted(Err(code(402)), 501);
        assert_eq!(j.step(), Step::Finished(Err(code(402))));
    }

    #[test]
    fn a_lost_submit_answer_is_polled_by_its_id_not_resubmitted() {
        for lost in [
            NemoError::network("reset"),
            NemoError::timeout("REQUEST_TIMEOUT", "The request"),
            code(504),
        ] {
            // The service has the job: it is polled to the end, never submitted twice.
            let mut j = RenderJob::submit(cfg(), "s", 500);
            j.on_submitted(Err(lost.clone()), 500);
            assert_eq!(j.step(), Step::Poll("render_500".into()), "{lost}");
            j.on_status(ok(json!({"status": "processing"})), 501);
            j.on_tick(511);
            assert_eq!(j.step(), Step::Poll("render_500".into()));
            // It does not: the one retry, with a new id.
            let mut j = RenderJob::submit(cfg(), "s", 500);
            j.on_submitted(Err(lost.clone()), 500);
            outputs(&mut j);
            j.on_status(Err(code(404)), 501);
            assert_eq!(j.step(), Step::Submit("render_501".into()));
            let out = outputs(&mut j);
            assert_eq!(out[0], RenderOutput::Forget("render_500".into()));
            j.on_submitted(Err(lost.clone()), 502);
            j.on_status(Err(code(404)), 503);
            assert_eq!(j.step(), Step::Finished(Err(code(404))), "one retry only");
        }
        // Aborted while unsure: it may be running, so it is cancelled.
        let mut j = RenderJob::submit(cfg(), "s", 500);
        j.on_submitted(Err(NemoError::network("reset")), 500);
        j.abort();
        assert_eq!(j.step(), Step::Cancel("render_500".into()));
    }

    #[test]
    fn an_unsure_job_whose_poll_fails_is_polled_again_not_resubmitted() {
        // Found by the fault matrix (export × lostAnswer, then exportStatus × 503 or a lost
        // poll): any failed poll of a job whose submit answer was lost counted as "the service
        // does not know it", so an accepted render was submitted a second time. Only an answer
        // saying so (a refusal such as 404) means that; a failed poll is retried with the id.
        for failed in [
            code(503),
            NemoError::network("reset"),
            NemoError::timeout("REQUEST_TIMEOUT", "The request"),
            NemoError::protocol("BAD_JSON", "expected JSON"),
        ] {
            let mut j = RenderJob::submit(cfg(), "s", 500);
            j.on_submitted(Err(NemoError::network("reset")), 500);
            j.on_status(Err(failed.clone()), 501);
            assert_eq!(j.step(), Step::Wait, "{failed}");
            j.on_tick(511);
            assert_eq!(j.step(), Step::Poll("render_500".into()), "{failed}");
            j.on_status(Err(code(404)), 512);
            assert_eq!(
                j.step(),
                Step::Submit("render_512".into()),
                "now it is known not to run"
            );
        }
    }

    #[test]
    fn a_poll_answer_that_cannot_be_read_is_a_failed_poll() {
        // Found by the fault matrix (exportStatus × malformedJson, truncated,
        // wrongContentType): one unreadable status answer ended the export and forgot a job
        // that was still rendering. API.md: a failed poll is retried with the same id.
        let mut j = resumed("render_7");
        j.on_status(Err(NemoError::protocol("BAD_JSON", "expected JSON")), 0);
        j.on_tick(10);
        assert_eq!(j.step(), Step::Poll("render_7".into()));
        j.on_status(
            ok(json!({"status": "completed", "outputUrl": "https://cdn/z.mp4"})),
            11,
        );
        assert!(matches!(j.step(), Step::Finished(Ok(_))));
    }

    #[test]
    fn a_submit_refused_for_its_session_is_not_resubmitted() {
        let mut j = RenderJob::submit(cfg(), "s", 500);
        outputs(&mut j);
        j.on_submitted(Err(code(1002)), 500);
        let Step::Finished(Err(e)) = j.step() else {
            panic!()
        };
        assert_eq!((e.code, e.retryable), (ErrorCode::Num(1002), false));
        assert!(e.user_message.contains("session expired"));
        assert_eq!(
            outputs(&mut j),
            vec![RenderOutput::Forget("render_500".into())]
        );
    }

    #[test]
    fn poll_failure_retried_with_same_id_then_gives_up_keeping_the_job() {
        let mut j = resumed("render_7");
        let mut now = 0;
        for _ in 0..2 {
            j.on_status(Err(NemoError::network("x")), now);
            now += 10;
            j.on_tick(now);
            assert_eq!(j.step(), Step::Poll("render_7".into()));
        }
        j.on_status(Err(NemoError::network("x")), now);
        assert!(matches!(j.step(), Step::Finished(Err(_))));
        assert!(
            !outputs(&mut j)
                .iter()
                .any(|o| matches!(o, RenderOutput::Forget(_)))
        );
    }

    #[test]
    fn poll_success_resets_failures() {
        let mut j = resumed("render_7");
        let mut now = 0;
        for i in 0..6 {
            let r = if i % 2 == 0 {
                Err(NemoError::network("x"))
            } else {
                ok(json!({"status": "processing"}))
            };
            j.on_status(r, now);
            now += 10;
            j.on_tick(now);
        }
        assert_eq!(j.step(), Step::Poll("render_7".into()));
    }

    #[test]
    fn failed_render() {
        let mut j = resumed("render_7");
        j.on_status(
            ok(json!({"success": true, "data": {"status": "failed", "error": "codec"}})),
            1,
        );
        let Step::Finished(Err(e)) = j.step() else {
            panic!()
        };
        assert_eq!(e.code.to_string(), "RENDER_FAILED");
        assert!(e.message.contains("codec"));
    }

    #[test]
    fn timeout_cancels_then_forgets() {
        let mut j = RenderJob::submit(cfg(), "s", 0);
        j.on_submitted(ok(json!({"status": "pending"})), 0);
        let mut now = 0;
        while let Step::Wait | Step::Poll(_) = j.step() {
            if let Step::Poll(_) = j.step() {
                j.on_status(ok(json!({"status": "processing"})), now);
            }
            now = j.poll_timeout().unwrap();
            j.on_tick(now);
        }
        assert_eq!(now, 1000);
        assert_eq!(j.step(), Step::Cancel("render_0".into()));
        j.on_cancelled();
        let Step::Finished(Err(e)) = j.step() else {
            panic!()
        };
        assert_eq!(e.kind, ErrorKind::Timeout);
        assert!(outputs(&mut j).contains(&RenderOutput::Forget("render_0".into())));
    }

    #[test]
    fn abort_cancels() {
        let mut j = RenderJob::submit(cfg(), "s", 0);
        j.abort();
        assert_eq!(
            j.step(),
            Step::Cancel("render_0".into()),
            "a submit in flight may have landed"
        );
        j.on_cancelled();
        let Step::Finished(Err(e)) = j.step() else {
            panic!()
        };
        assert_eq!(e.kind, ErrorKind::Aborted);
    }

    #[test]
    fn pending_storage_is_tolerant() {
        let list = vec![PendingRender {
            id: "render_1".into(),
            session_id: "7350000000000000001".into(),
            started_at: 9,
        }];
        let s = encode_pending(&list);
        assert_eq!(
            s,
            r#"[{"id":"render_1","sessionId":"7350000000000000001","startedAt":9}]"#
        );
        assert_eq!(decode_pending(&s), list);
        assert_eq!(decode_pending("garbage"), vec![]);
        assert_eq!(
            decode_pending(r#"[{"id":"../x","sessionId":"s","startedAt":1},{"id":"render_2"},7]"#),
            vec![]
        );
    }
}
