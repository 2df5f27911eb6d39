//! Who we are to the API (client id, token, session) and what to do when a call fails.
//!
//! Owns two things:
//!
//! 1. [`Credentials`] and the connect sequence, a small state machine:
//!
//!    ```text
//!    NeedClientId ─(host makes a UUID v4)─▶ NeedToken ─(anonymous token)─▶ NeedSession ─▶ Ready
//!         (skipped with a configured token, or a proxy that adds one ────▶)
//!    ```
//!
//! 2. [`RetryPolicy`], the error table applied to one call, at most one retry per call:
//!    1001 → a new token for the same client id, then retry (never with a configured token:
//!    report it); 1002 or ADK's "Session not found" → a new session, then retry; 400 → make
//!    sure a client id is sent, then retry; 429 → wait `Retry-After` or `rate_limit_wait_ms`,
//!    then retry (a `Retry-After` over 5 minutes is not waited for: reported at once). Nothing
//!    else is retried.
//!
//!    A chat POST follows the same table, and only it: each of these is a rejection that
//!    proves the agent never started, so retrying cannot run (or bill) the work twice. A
//!    network failure, a 5xx, a dropped stream or an error inside the stream is never
//!    retried (see `chat.rs`).
//!
//! Concurrent calls that all hit 1001 share one refresh: each call remembers the token
//! generation it used; if the generation moved on meanwhile, it just retries with the new
//! token ([`Decision::Retry`]) instead of refreshing again.
//!
//! Does not own: storage and UUID generation (the shell), request building (`api/request.rs`).

use super::api::{Token, TokenGrant};
use super::error::{Caller, NemoError, Recovery};

/// Longest wait honoured from a `Retry-After`.
pub const MAX_RETRY_AFTER_MS: u64 = 5 * 60 * 1000;

/// The client's identity and session.
#[derive(Clone, Debug, Default)]
pub struct Credentials {
    /// `X-Client-Id`.
    pub client_id: Option<String>,
    /// The bearer token.
    pub token: Option<Token>,
    /// The token was configured (`NEMO_TOKEN`, or held by the proxy), not acquired: never
    /// refreshed.
    pub configured: bool,
    /// The proxy in front of the API adds the token (`serverToken`): none is sent.
    pub proxied: bool,
    /// The anonymous user's id (for the bind link).
    pub user_id: Option<String>,
    /// The session id.
    pub session_id: Option<String>,
    /// Bumped each time the token changes.
    pub token_generation: u64,
}

/// The next connect step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectStep {
    /// Generate (or load) a client id.
    NeedClientId,
    /// Request an anonymous token.
    NeedToken,
    /// Create a session.
    NeedSession,
    /// Connected.
    Ready,
}

impl Credentials {
    /// Credentials with a configured token.
    pub fn with_token(token: Token) -> Self {
        Credentials {
            token: Some(token),
            configured: true,
            ..Self::default()
        }
    }

    /// Credentials for a client whose proxy adds the token.
    pub fn proxied() -> Self {
        Credentials {
            configured: true,
            proxied: true,
            ..Self::default()
        }
    }

    /// What `connect()` must do next.
    pub fn connect_step(&self) -> ConnectStep {
        let need_token = self.token.is_none() && !self.proxied;
        if need_token && self.client_id.is_none() {
            ConnectStep::NeedClientId
        } else if need_token {
            ConnectStep::NeedToken
        } else if self.session_id.is_none() {
            ConnectStep::NeedSession
        } else {
            ConnectStep::Ready
        }
    }

    /// Who is calling, for error messages.
    pub fn caller(&self) -> Caller {
        Caller {
            anonymous: !self.configured && self.token.is_some(),
            user_id: self.user_id.clone(),
            token: self.token.clone(),
        }
    }

    /// A new anonymous token arrived.
    pub fn on_token(&mut self, grant: TokenGrant) {
        self.token = Some(grant.token);
        if grant.user_id.is_some() {
            self.user_id = grant.user_id;
        }
        self.token_generation += 1;
    }

    /// A session was created.
    pub fn on_session(&mut self, session_id: String) {
        self.session_id = Some(session_id);
    }

    /// The session is gone (1002): the next connect step creates a new one.
    pub fn drop_session(&mut self) {
        self.session_id = None;
    }
}

/// What to do about a failed call.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Try again now (another call already refreshed the token).
    Retry,
    /// Get a new anonymous token for the same client id, then try again.
    RefreshToken,
    /// Create a new session, then try again.
    NewSession,
    /// Make sure a client id is sent (generate one if there is none), then try again.
    EnsureClientId,
    /// Wait this long, then try again.
    Wait(u64),
    /// Give up with this error.
    Fail(NemoError),
}

/// The retry budget of one call.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    retried: bool,
    generation: u64,
    rate_limit_wait_ms: u64,
}

impl RetryPolicy {
    /// A call about to be made with the credentials' current token.
    pub fn new(creds: &Credentials, rate_limit_wait_ms: u64) -> Self {
        RetryPolicy {
            retried: false,
            generation: creds.token_generation,
            rate_limit_wait_ms,
        }
    }

    /// Decides what to do about `err`. Call [`RetryPolicy::retrying`] before the retry.
    pub fn decide(&mut self, err: NemoError, creds: &Credentials) -> Decision {
        if self.retried || err.is_aborted() || err.is_timeout() {
            return Decision::Fail(err);
        }
        match err.recovery {
            Recovery::Report => Decision::Fail(err),
            Recovery::RefreshToken if creds.configured => {
                let msg = if creds.proxied {
                    "The service refused the server's API token. Its operator must set a valid NEMO_TOKEN."
                } else {
                    "The configured API token was refused (expired or invalid). Set a valid NEMO_TOKEN."
                };
                Decision::Fail(NemoError {
                    retryable: false,
                    recovery: Recovery::Report,
                    user_message: msg.to_owned(),
                    ..err
                })
            }
            Recovery::RefreshToken if creds.token_generation != self.generation => Decision::Retry,
            Recovery::RefreshToken => Decision::RefreshToken,
            Recovery::NewSession => Decision::NewSession,
            Recovery::SendClientId => Decision::EnsureClientId,
            // A wait longer than the cap (a daily budget spent) is not waited for: the caller
            // hears it at once, with `retry_after_ms`.
            Recovery::WaitAndRetry
                if err.retry_after_ms.is_some_and(|w| w > MAX_RETRY_AFTER_MS) =>
            {
                Decision::Fail(err)
            }
            Recovery::WaitAndRetry => {
                Decision::Wait(err.retry_after_ms.unwrap_or(self.rate_limit_wait_ms))
            }
        }
    }

    /// The one retry is being made with these credentials.
    pub fn retrying(&mut self, creds: &Credentials) {
        self.retried = true;
        self.generation = creds.token_generation;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::{ErrorCode, ErrorKind};

    fn anon() -> Credentials {
        Credentials {
            client_id: Some("c".into()),
            token: Some(Token::new("t1").unwrap()),
            session_id: Some("s".into()),
            token_generation: 1,
            ..Default::default()
        }
    }
    fn grant(t: &str) -> TokenGrant {
        TokenGrant {
            token: Token::new(t).unwrap(),
            user_id: Some("anon_1".into()),
            credits: Some(100.0),
            expires_at: None,
        }
    }
    fn code(n: i64) -> NemoError {
        NemoError::from_code(n, "", &Caller::default())
    }

    #[test]
    fn connect_sequence() {
        let mut c = Credentials::default();
        assert_eq!(c.connect_step(), ConnectStep::NeedClientId);
        c.client_id = Some("uuid".into());
        assert_eq!(c.connect_step(), ConnectStep::NeedToken);
        c.on_token(grant("t"));
        assert_eq!(
            (c.connect_step(), c.token_generation),
            (ConnectStep::NeedSession, 1)
        );
        assert!(c.caller().anonymous);
        assert_eq!(c.caller().user_id.as_deref(), Some("anon_1"));
        c.on_session("7350000000000000001".into());
        assert_eq!(c.connect_step(), ConnectStep::Ready);
        c.drop_session();
        assert_eq!(c.connect_step(), ConnectStep::NeedSession);
        let configured = Credentials::with_token(Token::new("nemo").unwrap());
        assert_eq!(configured.connect_step(), ConnectStep::NeedSession);
        assert!(!configured.caller().anonymous);
        let proxied = Credentials::proxied();
        assert_eq!(proxied.connect_step(), ConnectStep::NeedSession);
        assert!(!proxied.caller().anonymous);
    }

    #[test]
    fn each_recovery_once() {
        let c = anon();
        let cases = [
            (code(1001), Decision::RefreshToken),
            (code(1002), Decision::NewSession),
            (code(400), Decision::EnsureClientId),
            (code(429), Decision::Wait(30_000)),
        ];
        for (err, want) in cases {
            let mut p = RetryPolicy::new(&c, 30_000);
            assert_eq!(p.decide(err.clone(), &c), want, "{err}");
            p.retrying(&c);
            assert_eq!(
                p.decide(err.clone(), &c),
                Decision::Fail(err),
                "only one retry"
            );
        }
    }

    #[test]
    fn never_retried() {
        let c = anon();
        for err in [
            code(2001),
            code(4001),
            code(4002),
            code(402),
            code(500),
            NemoError::network("reset"),
            NemoError::aborted(),
            NemoError::timeout("T", "x"),
            NemoError::new(ErrorKind::Server, "SAFETY", false, "x"),
        ] {
            let mut p = RetryPolicy::new(&c, 30_000);
            assert_eq!(p.decide(err.clone(), &c), Decision::Fail(err));
        }
    }

    #[test]
    fn adk_session_not_found_is_a_new_session() {
        let c = anon();
        let e = NemoError::from_code(404, "Session not found: s", &Caller::default());
        assert_eq!(RetryPolicy::new(&c, 1).decide(e, &c), Decision::NewSession);
        let other = NemoError::from_code(404, "Agent not found: x", &Caller::default());
        assert_eq!(
            RetryPolicy::new(&c, 1).decide(other.clone(), &c),
            Decision::Fail(other)
        );
    }

    #[test]
    fn configured_token_is_never_refreshed() {
        let mut c = Credentials::with_token(Token::new("nemo").unwrap());
        c.session_id = Some("s".into());
        let Decision::Fail(e) = RetryPolicy::new(&c, 1).decide(code(1001), &c) else {
            panic!()
        };
        assert_eq!((e.code.clone(), e.retryable), (ErrorCode::Num(1001), false));
        assert!(e.user_message.contains("NEMO_TOKEN"));
        assert!(!format!("{e:?}").contains("nemo\""));
    }

    #[test]
    fn a_proxied_token_is_never_refreshed_and_the_operator_is_named() {
        let mut c = Credentials::proxied();
        c.session_id = Some("s".into());
        let Decision::Fail(e) = RetryPolicy::new(&c, 1).decide(code(1001), &c) else {
            panic!()
        };
        assert!(!e.retryable && e.user_message.contains("operator"));
    }

    #[test]
    fn concurrent_1001_share_one_refresh() {
        let mut c = anon();
        let mut a = RetryPolicy::new(&c, 1);
        let mut b = RetryPolicy::new(&c, 1);
        assert_eq!(a.decide(code(1001), &c), Decision::RefreshToken);
        c.on_token(grant("t2"));
        a.retrying(&c);
        // b failed with the old token, after a's refresh landed: no second refresh.
        assert_eq!(b.decide(code(1001), &c), Decision::Retry);
    }

    #[test]
    fn retry_after_wins_and_is_capped() {
        let c = anon();
        let mut e = code(429);
        e.retry_after_ms = Some(7_000);
        assert_eq!(
            RetryPolicy::new(&c, 30_000).decide(e.clone(), &c),
            Decision::Wait(7_000)
        );
        e.retry_after_ms = Some(MAX_RETRY_AFTER_MS);
        assert_eq!(
            RetryPolicy::new(&c, 30_000).decide(e.clone(), &c),
            Decision::Wait(MAX_RETRY_AFTER_MS)
        );
        // Longer than the cap (a daily budget spent): not waited for, reported with its wait.
        e.retry_after_ms = Some(86_400_000);
        assert_eq!(
            RetryPolicy::new(&c, 30_000).decide(e.clone(), &c),
            Decision::Fail(e)
        );
        assert_eq!(
            RetryPolicy::new(&c, 10).decide(code(429), &c),
            Decision::Wait(10)
        );
    }
}
