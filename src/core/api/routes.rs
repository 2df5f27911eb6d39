//! The route table: every endpoint of API.md as one row (method, path segments, which
//! segments are ids, what kind of call), and the id rule for those segments.
//!
//! Owns: [`ROUTES`], the one place the API's endpoints are written down. The client builds
//! its paths from it ([`Route::path`], through `request.rs`), the worker's allowlist matches
//! requests against it ([`lookup`], in `core::proxy`), and the simulator dispatches by it
//! (`sim`), so an endpoint added or changed is one row and the three cannot drift.
//! `tests/routes.rs` walks the table and proves each row is requested by the client, allowed
//! by the proxy and answered by the simulator.
//!
//! Ids ([`is_valid_id`]) are `[0-9A-Za-z_-]{1,64}`: checked before an id enters a path the
//! client builds, and on the raw path of every request the worker forwards.
//!
//! Does not own: headers and bodies (`request.rs`), what the answer means (`envelope.rs`).

use super::super::error::NemoError;

/// HTTP method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
}

impl Method {
    /// As written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// One segment of a route's path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seg {
    /// Written as is.
    Lit(&'static str),
    /// An id (a session or a render), checked with [`is_valid_id`].
    Id(IdKind),
}

/// What an id segment names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdKind {
    /// A session id (a 19-digit number, kept as text).
    Session,
    /// A render id (`render_<ms>`).
    Render,
}

impl IdKind {
    /// How an error names it.
    pub fn as_str(self) -> &'static str {
        match self {
            IdKind::Session => "session id",
            IdKind::Render => "render id",
        }
    }
}

/// What kind of call a route is: what its request carries and what comes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    /// A small JSON request (or none) answered by a JSON envelope.
    Json,
    /// The chat: a JSON request answered by an event stream.
    Stream,
    /// An upload: multipart files (or JSON URLs), answered by a JSON envelope.
    Upload,
    /// A file download.
    Download,
}

/// The endpoints, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteId {
    /// `POST /api/auth/anonymous-token` (sent without a token).
    AnonymousToken,
    /// `POST /api/tasks/me/with-session/nemo_agent`.
    CreateSession,
    /// `POST /run_sse`.
    Chat,
    /// `POST /api/upload-video/nemo_agent/me/<sid>`.
    Upload,
    /// `GET /api/credits/balance/simple`.
    Credits,
    /// `GET /api/state/nemo_agent/me/<sid>/latest`.
    State,
    /// `POST /api/render/proxy/lambda`.
    Export,
    /// `GET /api/render/proxy/lambda/<id>`.
    ExportStatus,
    /// `GET /api/render/proxy/<id>/download`.
    Download,
    /// `POST /api/render/proxy/lambda/<id>/cancel`.
    CancelExport,
}

/// One row of the table.
#[derive(Debug, PartialEq, Eq)]
pub struct Route {
    /// Its name.
    pub id: RouteId,
    /// Its method.
    pub method: Method,
    /// Its path, segment by segment.
    pub segs: &'static [Seg],
    /// What kind of call it is.
    pub kind: CallKind,
    /// Whether it carries the bearer token (every route but the anonymous-token call).
    pub authorized: bool,
}

use IdKind::{Render, Session};
use Seg::{Id, Lit};

const fn row(
    id: RouteId,
    method: Method,
    segs: &'static [Seg],
    kind: CallKind,
    authorized: bool,
) -> Route {
    Route {
        id,
        method,
        segs,
        kind,
        authorized,
    }
}

/// Every endpoint of API.md, in [`RouteId`] order. Where two rows' paths could both match
/// (`/api/render/proxy/lambda/download`), the earlier row wins, for the proxy and the
/// simulator alike.
#[rustfmt::skip]
pub static ROUTES: [Route; 10] = [
    row(RouteId::AnonymousToken, Method::Post, &[Lit("api"), Lit("auth"), Lit("anonymous-token")], CallKind::Json, false),
    row(RouteId::CreateSession, Method::Post, &[Lit("api"), Lit("tasks"), Lit("me"), Lit("with-session"), Lit("nemo_agent")], CallKind::Json, true),
    row(RouteId::Chat, Method::Post, &[Lit("run_sse")], CallKind::Stream, true),
    row(RouteId::Upload, Method::Post, &[Lit("api"), Lit("upload-video"), Lit("nemo_agent"), Lit("me"), Id(Session)], CallKind::Upload, true),
    row(RouteId::Credits, Method::Get, &[Lit("api"), Lit("credits"), Lit("balance"), Lit("simple")], CallKind::Json, true),
    row(RouteId::State, Method::Get, &[Lit("api"), Lit("state"), Lit("nemo_agent"), Lit("me"), Id(Session), Lit("latest")], CallKind::Json, true),
    row(RouteId::Export, Method::Post, &[Lit("api"), Lit("render"), Lit("proxy"), Lit("lambda")], CallKind::Json, true),
    row(RouteId::ExportStatus, Method::Get, &[Lit("api"), Lit("render"), Lit("proxy"), Lit("lambda"), Id(Render)], CallKind::Json, true),
    row(RouteId::Download, Method::Get, &[Lit("api"), Lit("render"), Lit("proxy"), Id(Render), Lit("download")], CallKind::Download, true),
    row(RouteId::CancelExport, Method::Post, &[Lit("api"), Lit("render"), Lit("proxy"), Lit("lambda"), Id(Render), Lit("cancel")], CallKind::Json, true),
];

impl RouteId {
    /// Its row.
    pub fn route(self) -> &'static Route {
        &ROUTES[self as usize]
    }
}

/// Whether `id` may go into a URL path: `[0-9A-Za-z_-]{1,64}`.
pub fn is_valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Checks an id before it enters a path.
pub fn check_id(what: &str, id: &str) -> Result<(), NemoError> {
    if is_valid_id(id) {
        Ok(())
    } else {
        Err(NemoError::refused(
            "BAD_ID",
            format!("invalid {what}: expected 1-64 of [0-9A-Za-z_-]"),
        )
        .with_user_message(format!("That {what} is not valid.")))
    }
}

impl Route {
    /// The path with `ids` in the id segments, in order; every id is checked first.
    pub fn path(&self, ids: &[&str]) -> Result<String, NemoError> {
        let mut out = String::new();
        let mut ids = ids.iter();
        for seg in self.segs {
            out.push('/');
            match seg {
                Lit(s) => out.push_str(s),
                Id(kind) => {
                    let id = ids.next().copied().unwrap_or_default();
                    check_id(kind.as_str(), id)?;
                    out.push_str(id);
                }
            }
        }
        Ok(out)
    }

    /// The id segments of `segs` when they have this route's shape (ids unchecked).
    pub fn matches<'a>(&self, segs: &[&'a str]) -> Option<Vec<&'a str>> {
        if segs.len() != self.segs.len() {
            return None;
        }
        let mut ids = Vec::new();
        for (want, got) in self.segs.iter().zip(segs) {
            match want {
                Lit(s) if s == got => {}
                Lit(_) => return None,
                Id(_) => ids.push(*got),
            }
        }
        Some(ids)
    }
}

/// A request's path and method, looked up in the table.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// The route, and the raw text of its id segments (not yet checked).
    Found(&'static Route, Vec<&'a str>),
    /// The path is a route's, the method is not: this one is.
    WrongMethod(Method),
    /// No route has this path.
    NotFound,
}

/// Looks a raw path (as sent, not decoded) and method up in [`ROUTES`]. A path must start
/// with `/`: every route's does, and a request's path is appended to a base URL.
pub fn lookup<'a>(method: &str, path: &'a str) -> Lookup<'a> {
    let Some(rest) = path.strip_prefix('/') else {
        return Lookup::NotFound;
    };
    let segs: Vec<&str> = rest.split('/').collect();
    let mut wrong = None;
    for route in &ROUTES {
        if let Some(ids) = route.matches(&segs) {
            if route.method.as_str() == method {
                return Lookup::Found(route, ids);
            }
            wrong.get_or_insert(route.method);
        }
    }
    wrong.map_or(Lookup::NotFound, Lookup::WrongMethod)
}

/// Whether a path belongs to the API (its first segment starts some route), as opposed to a
/// page or asset served beside it.
pub fn is_api_path(path: &str) -> bool {
    let first = path.strip_prefix('/').and_then(|p| p.split('/').next());
    ROUTES
        .iter()
        .any(|r| matches!((r.segs.first(), first), (Some(Lit(s)), Some(f)) if *s == f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_in_route_id_order() {
        for (i, r) in ROUTES.iter().enumerate() {
            assert_eq!(r.id as usize, i, "{:?}", r.id);
            assert!(std::ptr::eq(r.id.route(), r));
        }
    }

    #[test]
    fn paths_are_built_and_ids_checked() {
        assert_eq!(
            RouteId::State.route().path(&["123"]).unwrap(),
            "/api/state/nemo_agent/me/123/latest"
        );
        assert_eq!(RouteId::Chat.route().path(&[]).unwrap(), "/run_sse");
        for bad in ["", "../x", "a/b", "a%2Fb", &"x".repeat(65)] {
            let e = RouteId::Download.route().path(&[bad]).unwrap_err();
            assert_eq!(e.code.to_string(), "BAD_ID", "{bad}");
            assert!(e.message.contains("render id"));
        }
        assert!(RouteId::State.route().path(&[]).is_err(), "a missing id");
    }

    #[test]
    fn lookup_by_path_and_method() {
        let Lookup::Found(r, ids) = lookup("GET", "/api/render/proxy/lambda/render_1") else {
            panic!()
        };
        assert_eq!((r.id, ids), (RouteId::ExportStatus, vec!["render_1"]));
        assert_eq!(lookup("GET", "/run_sse"), Lookup::WrongMethod(Method::Post));
        assert_eq!(lookup("GET", "/api/admin"), Lookup::NotFound);
        assert_eq!(
            lookup("GET", "/api//credits/balance/simple"),
            Lookup::NotFound
        );
        assert_eq!(lookup("POST", "run_sse"), Lookup::NotFound, "no leading /");
        // The earlier row wins where two shapes could match.
        let Lookup::Found(r, _) = lookup("GET", "/api/render/proxy/lambda/download") else {
            panic!()
        };
        assert_eq!(r.id, RouteId::ExportStatus);
        let Lookup::Found(r, ids) = lookup("GET", "/api/render/proxy/..%2F/download") else {
            panic!()
        };
        assert_eq!(
            (r.id, ids),
            (RouteId::Download, vec!["..%2F"]),
            "ids come raw"
        );
    }

    #[test]
    fn api_paths() {
        for p in ["/api", "/api/x", "/run_sse", "/run_sse/x"] {
            assert!(is_api_path(p), "{p}");
        }
        for p in [
            "/",
            "/index.html",
            "/apix",
            "/pkg/nemo_video.js",
            "/sim/video.mp4",
        ] {
            assert!(!is_api_path(p), "{p}");
        }
    }
}
