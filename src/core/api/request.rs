//! Requests as plain data: every endpoint as an [`HttpRequest`] (method, URL, headers, body)
//! built by one function, [`ApiConfig::request`].
//!
//! Owns: the client's options that shape requests ([`ApiConfig`], checked once), the
//! attribution headers, `Authorization`, `X-Client-Id`, `Accept` and `Content-Type` (added in
//! one place, from the route's row in `routes.rs`), and each endpoint's body. Paths come from
//! the route table, which checks every id before it enters a path.
//!
//! An [`HttpRequest`]'s `Debug` prints `Authorization: Bearer ***`; nothing here formats a
//! token into a URL or a message.
//!
//! Does not own: sending (the shell), reading the answer (`envelope.rs`, `readers.rs`).

use std::fmt;

use serde::Serialize;
use serde_json::json;
use serde_json::value::RawValue;

use super::routes::{CallKind, Method, RouteId, check_id};
use super::token::Token;
use crate::core::error::NemoError;

/// The production API.
pub const DEFAULT_BASE_URL: &str = "https://mega-api-prod.nemovideo.ai";
/// `X-Skill-Source` default.
pub const DEFAULT_SKILL_SOURCE: &str = "colab-text-to-video";
/// `X-Skill-Platform` default: browsers and workers have no install path to detect from.
pub const DEFAULT_PLATFORM: &str = "unknown";
/// The ADK app name.
pub const APP_NAME: &str = "nemo_agent";

/// Where and as whom the client talks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiConfig {
    /// Base URL, no trailing slash; empty or `/path` for same-origin (a proxy worker).
    pub base_url: String,
    /// `X-Skill-Source`.
    pub skill_source: String,
    /// `X-Skill-Version`.
    pub skill_version: String,
    /// `X-Skill-Platform`.
    pub platform: String,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            base_url: DEFAULT_BASE_URL.to_owned(),
            skill_source: DEFAULT_SKILL_SOURCE.to_owned(),
            skill_version: env!("CARGO_PKG_VERSION").to_owned(),
            platform: DEFAULT_PLATFORM.to_owned(),
        }
    }
}

fn header_safe(what: &str, v: &str) -> Result<(), NemoError> {
    if v.len() <= 256 && v.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(NemoError::refused(
            "BAD_OPTION",
            format!("{what} must be printable ASCII, 256 bytes at most"),
        ))
    }
}

impl ApiConfig {
    /// Checks and normalises the options (base URL form, header-safe values).
    pub fn validated(mut self) -> Result<Self, NemoError> {
        let base = self.base_url.trim().trim_end_matches('/').to_owned();
        let lower = base.to_ascii_lowercase();
        let ok = base.is_empty()
            || (base.starts_with('/') && !base.starts_with("//"))
            || lower.starts_with("https://")
            || lower.starts_with("http://");
        if !ok
            || base
                .chars()
                .any(|c| c.is_whitespace() || c == '?' || c == '#')
        {
            return Err(NemoError::refused(
                "BAD_BASE_URL",
                "baseUrl must be an http(s) URL or a same-origin path",
            ));
        }
        self.base_url = base;
        header_safe("skillSource", &self.skill_source)?;
        header_safe("skillVersion", &self.skill_version)?;
        header_safe("platform", &self.platform)?;
        Ok(self)
    }
}

/// A request body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// None.
    Empty,
    /// JSON text (`Content-Type: application/json` is set).
    Json(String),
    /// `multipart/form-data` with the files under field `files`; the shell builds it (and its
    /// boundary header) from the files it holds.
    Multipart,
}

/// One request, ready for any HTTP client.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// Method.
    pub method: Method,
    /// Full URL (or same-origin path).
    pub url: String,
    /// Headers, in order.
    pub headers: Vec<(&'static str, String)>,
    /// Body.
    pub body: Body,
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    *k,
                    if k.eq_ignore_ascii_case("authorization") {
                        "Bearer ***"
                    } else {
                        v.as_str()
                    },
                )
            })
            .collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body", &self.body)
            .finish()
    }
}

/// The endpoints of API.md.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint<'a> {
    /// `POST /api/auth/anonymous-token` (no `Authorization`).
    AnonymousToken,
    /// `POST /api/tasks/me/with-session/nemo_agent`.
    CreateSession {
        /// `language`.
        language: &'a str,
    },
    /// `POST /run_sse`.
    Chat {
        /// Session.
        session_id: &'a str,
        /// The user's message.
        text: &'a str,
    },
    /// `POST /api/upload-video/nemo_agent/me/<sid>`, multipart.
    UploadFiles {
        /// Session.
        session_id: &'a str,
    },
    /// `POST /api/upload-video/nemo_agent/me/<sid>`, JSON URLs.
    UploadUrls {
        /// Session.
        session_id: &'a str,
        /// The URLs.
        urls: &'a [String],
    },
    /// `GET /api/credits/balance/simple`.
    Credits,
    /// `GET /api/state/nemo_agent/me/<sid>/latest`.
    State {
        /// Session.
        session_id: &'a str,
    },
    /// `POST /api/render/proxy/lambda`.
    Export {
        /// `render_<ms>`.
        render_id: &'a str,
        /// Session.
        session_id: &'a str,
        /// The draft, JSON text, sent back exactly as received.
        draft_json: &'a str,
    },
    /// `GET /api/render/proxy/lambda/<id>`.
    ExportStatus {
        /// Render id.
        render_id: &'a str,
    },
    /// `GET /api/render/proxy/<id>/download`.
    Download {
        /// Render id.
        render_id: &'a str,
    },
    /// `POST /api/render/proxy/lambda/<id>/cancel`.
    CancelExport {
        /// Render id.
        render_id: &'a str,
    },
}

/// The export body; a struct so the draft is written back verbatim (`json!` would re-encode
/// it through `Value`, changing number forms).
#[derive(Serialize)]
struct ExportBody<'a> {
    id: &'a str,
    #[serde(rename = "sessionId")]
    session_id: &'a str,
    draft: &'a RawValue,
    output: ExportOutput,
}

#[derive(Serialize)]
struct ExportOutput {
    format: &'static str,
    quality: &'static str,
}

impl ExportOutput {
    const MP4_HIGH: ExportOutput = ExportOutput {
        format: "mp4",
        quality: "high",
    };
}

/// Who the request is from.
#[derive(Clone, Copy, Debug, Default)]
pub struct Auth<'a> {
    /// The bearer token (not sent on the anonymous-token call).
    pub token: Option<&'a Token>,
    /// `X-Client-Id`, sent whenever known.
    pub client_id: Option<&'a str>,
}

impl Endpoint<'_> {
    /// The route this endpoint is sent to.
    pub fn route_id(&self) -> RouteId {
        match self {
            Endpoint::AnonymousToken => RouteId::AnonymousToken,
            Endpoint::CreateSession { .. } => RouteId::CreateSession,
            Endpoint::Chat { .. } => RouteId::Chat,
            Endpoint::UploadFiles { .. } | Endpoint::UploadUrls { .. } => RouteId::Upload,
            Endpoint::Credits => RouteId::Credits,
            Endpoint::State { .. } => RouteId::State,
            Endpoint::Export { .. } => RouteId::Export,
            Endpoint::ExportStatus { .. } => RouteId::ExportStatus,
            Endpoint::Download { .. } => RouteId::Download,
            Endpoint::CancelExport { .. } => RouteId::CancelExport,
        }
    }

    /// The ids that go into the route's path, in order.
    fn path_ids(&self) -> Vec<&str> {
        match self {
            Endpoint::UploadFiles { session_id }
            | Endpoint::UploadUrls { session_id, .. }
            | Endpoint::State { session_id } => vec![session_id],
            Endpoint::ExportStatus { render_id }
            | Endpoint::Download { render_id }
            | Endpoint::CancelExport { render_id } => vec![render_id],
            Endpoint::AnonymousToken
            | Endpoint::CreateSession { .. }
            | Endpoint::Chat { .. }
            | Endpoint::Credits
            | Endpoint::Export { .. } => Vec::new(),
        }
    }

    /// The request body.
    fn body(&self) -> Result<Body, NemoError> {
        Ok(match self {
            Endpoint::CreateSession { language } => {
                header_safe("language", language)?;
                Body::Json(json!({"task_name": "project", "language": language}).to_string())
            }
            Endpoint::Chat { session_id, text } => {
                check_id("session id", session_id)?;
                let body = json!({
                    "app_name": APP_NAME,
                    "user_id": "me",
                    "session_id": session_id,
                    "new_message": {"role": "user", "parts": [{"text": text}]},
                    "streaming": true,
                });
                Body::Json(body.to_string())
            }
            Endpoint::UploadFiles { .. } => Body::Multipart,
            Endpoint::UploadUrls { urls, .. } => {
                crate::core::upload::check_urls(urls)?;
                Body::Json(json!({"urls": urls, "source_type": "url"}).to_string())
            }
            Endpoint::Export {
                render_id,
                session_id,
                draft_json,
            } => {
                check_id("render id", render_id)?;
                check_id("session id", session_id)?;
                let draft: &RawValue = serde_json::from_str(draft_json)
                    .map_err(|_| NemoError::refused("BAD_DRAFT", "the draft is not JSON"))?;
                let body = ExportBody {
                    id: render_id,
                    session_id,
                    draft,
                    output: ExportOutput::MP4_HIGH,
                };
                Body::Json(
                    serde_json::to_string(&body).map_err(|_| {
                        NemoError::refused("BAD_DRAFT", "the draft could not be sent")
                    })?,
                )
            }
            Endpoint::AnonymousToken
            | Endpoint::Credits
            | Endpoint::State { .. }
            | Endpoint::ExportStatus { .. }
            | Endpoint::Download { .. }
            | Endpoint::CancelExport { .. } => Body::Empty,
        })
    }
}

impl ApiConfig {
    /// Builds the request for `endpoint`: its route's method and path, its body, and the
    /// headers every request carries.
    pub fn request(
        &self,
        endpoint: &Endpoint<'_>,
        auth: Auth<'_>,
    ) -> Result<HttpRequest, NemoError> {
        let route = endpoint.route_id().route();
        if route.id == RouteId::AnonymousToken && auth.client_id.is_none() {
            return Err(NemoError::refused(
                "NO_CLIENT_ID",
                "the anonymous token needs a client id",
            ));
        }
        let path = route.path(&endpoint.path_ids())?;
        let body = endpoint.body()?;
        let mut headers: Vec<(&'static str, String)> = vec![
            ("X-Skill-Source", self.skill_source.clone()),
            ("X-Skill-Version", self.skill_version.clone()),
            ("X-Skill-Platform", self.platform.clone()),
        ];
        if let Some(id) = auth.client_id {
            header_safe("clientId", id)?;
            headers.push(("X-Client-Id", id.to_owned()));
        }
        if route.authorized
            && let Some(t) = auth.token
        {
            headers.push(("Authorization", format!("Bearer {}", t.expose())));
        }
        let accept = match route.kind {
            CallKind::Stream => "text/event-stream",
            CallKind::Download => "*/*",
            CallKind::Json | CallKind::Upload => "application/json",
        };
        headers.push(("Accept", accept.to_owned()));
        if matches!(body, Body::Json(_)) {
            headers.push(("Content-Type", "application/json".to_owned()));
        }
        Ok(HttpRequest {
            method: route.method,
            url: format!("{}{path}", self.base_url),
            headers,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::routes::is_valid_id;
    use super::*;
    use crate::core::error::ErrorKind;
    use serde_json::Value;

    fn cfg() -> ApiConfig {
        ApiConfig {
            base_url: "https://api.test".into(),
            ..ApiConfig::default()
        }
    }
    fn token() -> Token {
        Token::new("nmv_usr_secret").unwrap()
    }
    fn auth(t: &Token) -> Auth<'_> {
        Auth {
            token: Some(t),
            client_id: Some("c-1"),
        }
    }
    fn header<'a>(r: &'a HttpRequest, name: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn every_endpoint_carries_attribution_and_auth() {
        let t = token();
        let urls = vec!["https://x.y/a.mp4".to_owned()];
        let eps = [
            Endpoint::CreateSession { language: "en" },
            Endpoint::Chat {
                session_id: "123",
                text: "hi",
            },
            Endpoint::UploadFiles { session_id: "123" },
            Endpoint::UploadUrls {
                session_id: "123",
                urls: &urls,
            },
            Endpoint::Credits,
            Endpoint::State { session_id: "123" },
            Endpoint::Export {
                render_id: "render_1",
                session_id: "123",
                draft_json: "{}",
            },
            Endpoint::ExportStatus {
                render_id: "render_1",
            },
            Endpoint::Download {
                render_id: "render_1",
            },
            Endpoint::CancelExport {
                render_id: "render_1",
            },
        ];
        for ep in &eps {
            let r = cfg().request(ep, auth(&t)).unwrap();
            assert_eq!(
                header(&r, "X-Skill-Source"),
                Some("colab-text-to-video"),
                "{ep:?}"
            );
            assert_eq!(
                header(&r, "X-Skill-Version"),
                Some(env!("CARGO_PKG_VERSION"))
            );
            assert_eq!(header(&r, "X-Skill-Platform"), Some("unknown"));
            assert_eq!(header(&r, "Authorization"), Some("Bearer nmv_usr_secret"));
            assert_eq!(header(&r, "X-Client-Id"), Some("c-1"));
            assert!(r.url.starts_with("https://api.test/"));
            assert!(!r.url.contains("secret"));
        }
        let anon = cfg().request(&Endpoint::AnonymousToken, auth(&t)).unwrap();
        assert_eq!(header(&anon, "Authorization"), None);
        assert_eq!(
            (anon.method, anon.url.as_str()),
            (Method::Post, "https://api.test/api/auth/anonymous-token")
        );
        assert!(
            cfg()
                .request(&Endpoint::AnonymousToken, Auth::default())
                .is_err()
        );
    }

    #[test]
    fn paths_and_bodies() {
        let t = token();
        let r = cfg()
            .request(
                &Endpoint::Chat {
                    session_id: "7350000000000000001",
                    text: "make a video",
                },
                auth(&t),
            )
            .unwrap();
        assert_eq!(r.url, "https://api.test/run_sse");
        assert_eq!(header(&r, "Accept"), Some("text/event-stream"));
        assert_eq!(header(&r, "Content-Type"), Some("application/json"));
        let Body::Json(b) = &r.body else { panic!() };
        let v: Value = serde_json::from_str(b).unwrap();
        assert_eq!(v["session_id"], "7350000000000000001");
        assert_eq!(v["new_message"]["parts"][0]["text"], "make a video");
        assert_eq!(v["streaming"], true);
        assert_eq!(v["app_name"], "nemo_agent");

        let draft = r#"{"t":[{"tt":0,"sg":[{"d":1.50}]}],"big":12345678901234567890}"#;
        let r = cfg()
            .request(
                &Endpoint::Export {
                    render_id: "render_9",
                    session_id: "s",
                    draft_json: draft,
                },
                auth(&t),
            )
            .unwrap();
        let Body::Json(b) = &r.body else { panic!() };
        assert!(b.contains(draft), "draft goes back byte for byte: {b}");
        assert!(b.contains(r#""sessionId":"s""#));
        assert!(b.contains(r#""output":{"format":"mp4","quality":"high"}"#));

        let s = cfg()
            .request(&Endpoint::State { session_id: "abc" }, auth(&t))
            .unwrap();
        assert_eq!(s.url, "https://api.test/api/state/nemo_agent/me/abc/latest");
        let c = cfg()
            .request(
                &Endpoint::CancelExport {
                    render_id: "render_1",
                },
                auth(&t),
            )
            .unwrap();
        assert_eq!(
            c.url,
            "https://api.test/api/render/proxy/lambda/render_1/cancel"
        );
        let d = cfg()
            .request(
                &Endpoint::Download {
                    render_id: "render_1",
                },
                auth(&t),
            )
            .unwrap();
        assert_eq!(d.url, "https://api.test/api/render/proxy/render_1/download");
    }

    #[test]
    fn ids_checked_before_paths() {
        let t = token();
        for bad in [
            "",
            "../etc",
            "a/b",
            "a%2Fb",
            "x?y",
            "a b",
            &"x".repeat(65),
            "é",
        ] {
            let e = cfg()
                .request(&Endpoint::State { session_id: bad }, auth(&t))
                .unwrap_err();
            assert_eq!(e.kind, ErrorKind::Refused, "{bad}");
            assert!(
                cfg()
                    .request(&Endpoint::ExportStatus { render_id: bad }, auth(&t))
                    .is_err()
            );
        }
        assert!(is_valid_id(&"a".repeat(64)));
        assert!(
            cfg()
                .request(
                    &Endpoint::Export {
                        render_id: "r",
                        session_id: "s",
                        draft_json: "{bad"
                    },
                    auth(&t)
                )
                .is_err()
        );
    }

    #[test]
    fn token_never_printed() {
        let t = token();
        let r = cfg().request(&Endpoint::Credits, auth(&t)).unwrap();
        assert!(!format!("{r:?}").contains("secret"));
        assert!(!format!("{t:?} {t}").contains("secret"));
        assert!(Token::new("a b").is_err());
        assert!(Token::new("").is_err());
        assert!(Token::new("x\r\nEvil: 1").is_err());
    }

    #[test]
    fn config_validation() {
        for good in ["", "/proxy", "http://127.0.0.1:8787", "https://a.b/"] {
            assert!(
                ApiConfig {
                    base_url: good.into(),
                    ..cfg()
                }
                .validated()
                .is_ok(),
                "{good}"
            );
        }
        for bad in [
            "ftp://x",
            "//evil.com",
            "javascript:x",
            "https://a b",
            "https://a?x",
        ] {
            assert!(
                ApiConfig {
                    base_url: bad.into(),
                    ..cfg()
                }
                .validated()
                .is_err(),
                "{bad}"
            );
        }
        assert_eq!(
            ApiConfig {
                base_url: "https://a.b/".into(),
                ..cfg()
            }
            .validated()
            .unwrap()
            .base_url,
            "https://a.b"
        );
        assert!(
            ApiConfig {
                platform: "x\ny".into(),
                ..cfg()
            }
            .validated()
            .is_err()
        );
    }
}
