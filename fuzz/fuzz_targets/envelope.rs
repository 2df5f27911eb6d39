//! Envelope and error decoding (`api::decode`, `chat_open_error`, the error table) and the
//! readers of each endpoint's payload, on any answer: the first line is the HTTP status, the
//! second the `Retry-After` header (empty: none), the rest the body.
//!
//! Properties: never panics; only a 2xx answer decodes; every error has a message for the
//! user, and a rate-limit error carries exactly the wait its header gave; no error (message,
//! user message, `Display`) holds the caller's token, whatever the body echoes; the readers
//! (token, session, credits, upload, state, render status) read any payload.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nemo_video::core::api::{
    self, HttpResponse, Token, chat_open_error, decode, is_event_stream, retry_after_ms,
};
use nemo_video::core::error::{Caller, ErrorKind, NemoError};
use nemo_video::core::render;
use nemo_video_fuzz::header_lines;

const NOW: u64 = 1_764_000_000_000;

/// The caller's token: seeds and mutations put it in bodies, as a server echoing it would.
const TOKEN: &str = "nmv_usr_fuzz_secret_7c1d";

fn check(e: &NemoError, resp: &HttpResponse<'_>) {
    assert!(!e.user_message.is_empty(), "{e:?}");
    // The fields themselves (`Debug` is made of them, escaped: an escape such as `\n` before
    // "mv_usr..." would spell the token without any of the input doing so).
    for text in [&e.message, &e.user_message, &e.to_string()] {
        assert!(!text.contains(TOKEN), "{e:?}");
    }
    if e.kind == ErrorKind::RateLimit {
        assert_eq!(
            e.retry_after_ms,
            resp.retry_after.and_then(|h| retry_after_ms(h, NOW))
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let (lines, body) = header_lines(data, 2);
    let status = lines[0].trim().parse::<u16>().map_or(200, |s| s % 600);
    let retry_after = (!lines[1].is_empty()).then_some(lines[1].as_str());
    let resp = HttpResponse {
        status,
        body: &body,
        retry_after,
    };
    let caller = Caller {
        anonymous: true,
        user_id: Some("anon_1".into()),
        token: Some(Token::new(TOKEN).unwrap()),
    };
    match decode(resp, &caller, NOW) {
        Ok(d) => {
            assert!(
                (200..300).contains(&status),
                "a {status} decoded as a success"
            );
            let _ = api::parse_token(&d.data);
            let _ = api::parse_session(&d.data);
            let _ = api::parse_credits(&d.data);
            let _ = api::parse_upload(&d.data);
            let _ = api::parse_user_id(&d.data);
            let _ = api::parse_state_draft(&d.data);
            let _ = render::parse_status(&d.top, &d.data);
        }
        Err(e) => check(&e, &resp),
    }
    let open = chat_open_error(resp, &caller, NOW);
    check(&open, &resp);
    let _ = is_event_stream(status, retry_after);
});
