//! Server-token mode: who a visitor is, and what it may touch.
//!
//! Owns: the visitor cookie (a random id signed with HMAC-SHA256 under `VISITOR_SECRET`,
//! `HttpOnly; Secure; SameSite=Strict`), and the guards of each route: which session and
//! render ids a request names (in its path, or inside its JSON body: `session_id` of
//! `/run_sse`, `sessionId` and `id` of an export), which of them the visitor must own or
//! claims, and which daily budget it spends. Also what a refused guard answers: a session or
//! render the visitor does not own is "not found" in the API's own words, so a client that
//! remembers another visitor's session simply makes a new one.
//!
//! Does not own: the ledger's records (`ledger.rs`), the cookie's randomness (the shell).
//!
//! ```text
//!  request ─▶ cookie valid? ─no─▶ 401 (load the page: GET /config.json issues one)
//!          ─▶ ids in path and body ─▶ each guard asked of the ledger, in order:
//!               OwnsSession / OwnsRender ─ not owned ─▶ 404 "not found"
//!               ClaimRender ─ another's ─▶ 409
//!               Spend(budget) ─ spent ─▶ 429, Retry-After: seconds to UTC midnight
//!          ─▶ forwarded ─▶ CreateSession answered 2xx ─▶ ClaimSession(new id)
//! ```

use hmac::digest::{Key, KeyInit};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::ledger::{Answer, Budget, Op};
use super::{ProxyConfig, Refusal};
use crate::core::api::{self, HttpResponse, RouteId, is_valid_id};
use crate::core::error::Caller;

/// The cookie's name.
pub const COOKIE: &str = "nemo_visitor";

/// How long a visitor keeps its identity (and so its sessions): 30 days.
pub const COOKIE_MAX_AGE_S: u64 = 30 * 24 * 3600;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str, id: &str) -> HmacSha256 {
    // The key is the secret's SHA-256 zero-padded to the block, which is what HMAC does with a
    // short key; built this way the constructor cannot fail.
    let mut key = Key::<HmacSha256>::default();
    key[..32].copy_from_slice(&Sha256::digest(secret.trim().as_bytes()));
    let mut m = <HmacSha256 as KeyInit>::new(&key);
    m.update(b"nemo-visitor:");
    m.update(id.as_bytes());
    m
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A new visitor id from 16 random bytes (the shell's crypto).
pub fn new_id(random: [u8; 16]) -> String {
    hex(&random)
}

/// The cookie value for a visitor id: `<id>.<hex HMAC>`.
pub fn sign(secret: &str, id: &str) -> String {
    format!("{id}.{}", hex(&mac(secret, id).finalize().into_bytes()))
}

/// The visitor id of a `Cookie` header, when it carries a cookie signed with `secret`.
pub fn verify(secret: &str, cookie_header: Option<&str>) -> Option<String> {
    let value = cookie_header?
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.trim())?;
    let (id, tag) = value.split_once('.')?;
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    // Constant-time comparison of the tag.
    mac(secret, id).verify_slice(&unhex(tag)?).ok()?;
    Some(id.to_owned())
}

/// The `Set-Cookie` value that gives a visitor its identity.
pub fn set_cookie(value: &str) -> String {
    format!(
        "{COOKIE}={value}; Path=/; Max-Age={COOKIE_MAX_AGE_S}; HttpOnly; Secure; SameSite=Strict"
    )
}

/// What the ledger is asked before a request is forwarded (or after, for a new session).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Guard {
    /// The visitor must own this session.
    OwnsSession(String),
    /// The visitor must own this render.
    OwnsRender(String),
    /// The visitor claims this render id (its export submit): first claim wins.
    ClaimRender(String),
    /// The visitor claims the session the API just created for it.
    ClaimSession(String),
    /// One unit of the visitor's daily budget.
    Spend(Budget),
}

impl Guard {
    /// The operation the ledger runs for this guard.
    pub fn op(&self, visitor: &str, cfg: &ProxyConfig, now_ms: u64) -> Op {
        let owner = visitor.to_owned();
        match self {
            Guard::OwnsSession(_) | Guard::OwnsRender(_) => Op::Check { owner },
            Guard::ClaimRender(_) | Guard::ClaimSession(_) => Op::Claim { owner },
            Guard::Spend(budget) => Op::Spend {
                budget: *budget,
                limit: match budget {
                    Budget::ChatTurns => cfg.daily_chat_turns,
                    Budget::Exports => cfg.daily_exports,
                },
                now_ms,
            },
        }
    }

    /// The ledger record the guard is about: one per session, render or visitor.
    pub fn key(&self, visitor: &str) -> String {
        match self {
            Guard::OwnsSession(s) | Guard::ClaimSession(s) => format!("session:{s}"),
            Guard::OwnsRender(r) | Guard::ClaimRender(r) => format!("render:{r}"),
            Guard::Spend(_) => format!("visitor:{visitor}"),
        }
    }
}

/// A body the guards cannot read: it must name its ids.
fn bad_body(what: &str) -> Refusal {
    Refusal::new(
        400,
        "BAD_BODY",
        format!("the body must name a valid {what}"),
    )
}

fn body_id(body: Option<&Value>, key: &str, what: &str) -> Result<String, Refusal> {
    body.and_then(|b| b.get(key))
        .and_then(Value::as_str)
        .filter(|id| is_valid_id(id))
        .map(str::to_owned)
        .ok_or_else(|| bad_body(what))
}

/// The guards of a request: its route, the ids in its path, its JSON body (when it has one).
pub fn guards(
    route: RouteId,
    path_ids: &[&str],
    body: Option<&Value>,
) -> Result<Vec<Guard>, Refusal> {
    let path_id = || {
        path_ids
            .first()
            .map(|s| (*s).to_owned())
            .unwrap_or_default()
    };
    Ok(match route {
        RouteId::AnonymousToken | RouteId::CreateSession | RouteId::Credits => Vec::new(),
        RouteId::Chat => vec![
            Guard::OwnsSession(body_id(body, "session_id", "session_id")?),
            Guard::Spend(Budget::ChatTurns),
        ],
        RouteId::Upload | RouteId::State => vec![Guard::OwnsSession(path_id())],
        RouteId::Export => vec![
            Guard::OwnsSession(body_id(body, "sessionId", "sessionId")?),
            Guard::ClaimRender(body_id(body, "id", "render id")?),
            Guard::Spend(Budget::Exports),
        ],
        RouteId::ExportStatus | RouteId::Download | RouteId::CancelExport => {
            vec![Guard::OwnsRender(path_id())]
        }
    })
}

/// What the ledger records after an answer: the session a CreateSession made.
pub fn after_answer(route: RouteId, status: u16, body: &str) -> Option<Guard> {
    if route != RouteId::CreateSession || !(200..300).contains(&status) {
        return None;
    }
    let resp = HttpResponse {
        status,
        body,
        retry_after: None,
    };
    let decoded = api::decode(resp, &Caller::default(), 0).ok()?;
    api::parse_session(&decoded.data)
        .ok()
        .map(Guard::ClaimSession)
}

/// The answer to a guard the ledger refused, in the API's own words where the client has a
/// recovery for them (a missing session is 1002, or ADK's 404 on the chat).
pub fn refusal(guard: &Guard, route: RouteId, answer: &Answer) -> Option<Refusal> {
    match (answer, guard) {
        (Answer::Granted, _) => None,
        (Answer::OverBudget { retry_after_s }, Guard::Spend(b)) => Some(Refusal {
            headers: vec![("Retry-After", retry_after_s.to_string())],
            ..Refusal::new(
                429,
                "DAILY_BUDGET",
                format!("this visitor's {} for today are used up", b.as_str()),
            )
        }),
        (_, Guard::OwnsSession(sid)) if route == RouteId::Chat => Some(Refusal {
            detail: Some(format!("Session not found: {sid}")),
            ..Refusal::new(404, "NOT_FOUND", "session not found")
        }),
        (_, Guard::OwnsSession(_)) => Some(Refusal {
            api_code: Some(1002),
            ..Refusal::new(404, "NOT_FOUND", "session not found")
        }),
        (_, Guard::OwnsRender(_)) => Some(Refusal::new(404, "NOT_FOUND", "render not found")),
        (_, Guard::ClaimRender(_)) => Some(Refusal::new(
            409,
            "RENDER_ID_TAKEN",
            "that render id is in use; submit with a new one",
        )),
        (_, Guard::ClaimSession(_) | Guard::Spend(_)) => Some(Refusal::new(
            409,
            "LEDGER_REFUSED",
            "the ledger refused this request",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn cookies_are_signed() {
        let id = new_id([7; 16]);
        assert_eq!(id.len(), 32);
        let value = sign(SECRET, &id);
        let header = format!("a=b; {COOKIE}={value}; c=d");
        assert_eq!(verify(SECRET, Some(&header)), Some(id.clone()));
        assert_eq!(
            verify("another secret of enough length!!", Some(&header)),
            None
        );
        let forged = format!("{COOKIE}={}.{}", "f".repeat(32), &value[33..]);
        assert_eq!(
            verify(SECRET, Some(&forged)),
            None,
            "the tag is bound to the id"
        );
        for bad in [
            "",
            "nemo_visitor=",
            "nemo_visitor=x.y",
            "nemo_visitor=../x.00",
        ] {
            assert_eq!(verify(SECRET, Some(bad)), None, "{bad}");
        }
        assert_eq!(verify(SECRET, None), None);
        let c = set_cookie(&value);
        for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
            assert!(c.contains(attr), "{attr}");
        }
    }

    #[test]
    fn every_route_names_its_guards() {
        let chat = json!({"session_id": "s1", "new_message": {}});
        assert_eq!(
            guards(RouteId::Chat, &[], Some(&chat)).unwrap(),
            vec![
                Guard::OwnsSession("s1".into()),
                Guard::Spend(Budget::ChatTurns)
            ]
        );
        let export = json!({"id": "render_1", "sessionId": "s1", "draft": {}});
        assert_eq!(
            guards(RouteId::Export, &[], Some(&export)).unwrap(),
            vec![
                Guard::OwnsSession("s1".into()),
                Guard::ClaimRender("render_1".into()),
                Guard::Spend(Budget::Exports)
            ]
        );
        assert_eq!(
            guards(RouteId::State, &["s2"], None).unwrap(),
            vec![Guard::OwnsSession("s2".into())]
        );
        for r in [
            RouteId::ExportStatus,
            RouteId::Download,
            RouteId::CancelExport,
        ] {
            assert_eq!(
                guards(r, &["render_2"], None).unwrap(),
                vec![Guard::OwnsRender("render_2".into())]
            );
        }
        assert!(guards(RouteId::Credits, &[], None).unwrap().is_empty());
        // A body that does not name its ids (or names a bad one) is refused.
        assert_eq!(guards(RouteId::Chat, &[], None).unwrap_err().status, 400);
        let bad = json!({"session_id": "../x"});
        assert_eq!(
            guards(RouteId::Chat, &[], Some(&bad)).unwrap_err().status,
            400
        );
        assert_eq!(Guard::Spend(Budget::Exports).key("v"), "visitor:v");
        assert_eq!(Guard::OwnsRender("r".into()).key("v"), "render:r");
        let cfg = ProxyConfig {
            daily_exports: 3,
            ..ProxyConfig::default()
        };
        assert_eq!(
            Guard::Spend(Budget::Exports).op("v", &cfg, 9),
            Op::Spend {
                budget: Budget::Exports,
                limit: 3,
                now_ms: 9
            }
        );
        assert_eq!(
            Guard::OwnsRender("r".into()).op("v", &cfg, 9),
            Op::Check { owner: "v".into() }
        );
    }

    #[test]
    fn a_new_session_is_claimed() {
        let body = r#"{"code":0,"message":"ok","data":{"session_id":"7350000000000000001"}}"#;
        assert_eq!(
            after_answer(RouteId::CreateSession, 200, body),
            Some(Guard::ClaimSession("7350000000000000001".into()))
        );
        assert_eq!(after_answer(RouteId::CreateSession, 500, body), None);
        assert_eq!(after_answer(RouteId::Chat, 200, body), None);
    }

    #[test]
    fn refusals_speak_the_api() {
        let denied = Answer::Denied;
        let r = refusal(&Guard::OwnsSession("s".into()), RouteId::Chat, &denied).unwrap();
        assert_eq!(r.status, 404);
        assert!(r.body().contains("Session not found: s"));
        let r = refusal(&Guard::OwnsSession("s".into()), RouteId::State, &denied).unwrap();
        assert!(r.body().contains(r#""code":1002"#));
        let over = Answer::OverBudget { retry_after_s: 99 };
        let r = refusal(&Guard::Spend(Budget::ChatTurns), RouteId::Chat, &over).unwrap();
        assert_eq!((r.status, r.headers[0].1.as_str()), (429, "99"));
        assert_eq!(
            refusal(
                &Guard::OwnsSession("s".into()),
                RouteId::Chat,
                &Answer::Granted
            ),
            None
        );
    }
}
