//! The wire contract of API.md: requests as plain data, answers read tolerantly.
//!
//! One concern per file:
//!
//! - `routes.rs`: the route table, the one list of the API's endpoints (method, path segments,
//!   id segments, kind of call), from which the client's paths, the worker's allowlist and the
//!   simulator's dispatch are all derived; and the id rule for path segments.
//! - `request.rs`: every endpoint as an [`HttpRequest`], with the headers every call carries.
//! - `token.rs`: the bearer token, never printed.
//! - `envelope.rs`: the three documented envelope forms, HTTP errors, `Retry-After`
//!   (`http_date.rs`: its date form).
//! - `readers.rs`: each endpoint's `data` read into the client's types.
//!
//! Does not own: sending (the shell), retry decisions (`session.rs`), the export job
//! (`render/`), what an error code means (`error/table.rs`).

mod envelope;
mod http_date;
mod readers;
mod request;
mod routes;
mod token;

pub use envelope::{
    Decoded, HttpResponse, chat_open_error, decode, download_error, is_event_stream, is_file,
    retry_after_ms,
};
pub use readers::{
    Credits, TokenGrant, UploadedFile, parse_credits, parse_session, parse_state_draft,
    parse_token, parse_upload, parse_user_id, raw_state_draft,
};
pub use request::{
    APP_NAME, ApiConfig, Auth, Body, DEFAULT_BASE_URL, DEFAULT_PLATFORM, DEFAULT_SKILL_SOURCE,
    Endpoint, HttpRequest,
};
pub use routes::{
    CallKind, IdKind, Lookup, Method, ROUTES, Route, RouteId, Seg, check_id, is_api_path,
    is_valid_id, lookup,
};
pub use token::Token;
