//! The submit policy's judgments: whether a failed submit may still have been accepted (then
//! it is polled by its id, never resubmitted blind), whether a failed poll said anything about
//! the job, and the error for a 1002.

use crate::core::error::{ErrorCode, ErrorKind, NemoError, Recovery};

/// A failed submit whose request may still have reached the service: the connection failed,
/// the answer did not come in time, a 5xx (a gateway's timeout), an answer we cannot read.
pub(super) fn may_have_been_accepted(e: &NemoError) -> bool {
    match e.kind {
        ErrorKind::Network | ErrorKind::Timeout | ErrorKind::Protocol => true,
        ErrorKind::Server => matches!(e.code, ErrorCode::Num(500..=599)),
        _ => false,
    }
}

/// A poll that got no answer about the job: no answer at all, a timeout, a server failure, an
/// answer that cannot be read. It is retried with the same id; only an answer that refuses the
/// id (a 404, ...) says the service does not know the job.
pub(super) fn poll_failed(e: &NemoError) -> bool {
    e.retryable || e.kind == ErrorKind::Protocol
}

/// A 1002 on export: the draft's session is gone. Submitting that draft under a new, empty
/// session would export something the user no longer has; say so instead.
pub(super) fn session_lost(e: NemoError) -> NemoError {
    NemoError {
        retryable: false,
        recovery: Recovery::Report,
        ..e
    }
    .with_user_message(
        "The project session expired before the export started, so the export was not sent. \
         Send your last request again to rebuild the video in a new session, then export.",
    )
}
