//! The client's options: DESIGN.md's defaults, validated once.
//!
//! Owns: [`RawOptions`] (what JS passed, every field optional) → [`ClientOptions`] (checked,
//! defaults filled), the per-machine configs derived from them, and the storage keys. Every
//! duration is an option so tests shrink the 30 s / 2 min / 15 min waits without touching code.
//!
//! Does not own: reading the JS object (the `js` layer), storage itself (the shell).

use super::api::{ApiConfig, DEFAULT_BASE_URL, DEFAULT_PLATFORM, DEFAULT_SKILL_SOURCE, Token};
use super::chat::ChatConfig;
use super::error::NemoError;
use super::render::RenderConfig;

/// Longest duration any option may take (a day): anything longer is a mistake.
pub const MAX_DURATION_MS: f64 = 86_400_000.0;

/// Options as given; `None` means "use the default".
#[derive(Clone, Debug, Default)]
pub struct RawOptions {
    /// `baseUrl`.
    pub base_url: Option<String>,
    /// `token` (NEMO_TOKEN).
    pub token: Option<String>,
    /// `serverToken`: a proxy in front of the API adds the token.
    pub server_token: Option<bool>,
    /// `clientId`.
    pub client_id: Option<String>,
    /// `language`.
    pub language: Option<String>,
    /// `skillSource`.
    pub skill_source: Option<String>,
    /// `skillVersion`.
    pub skill_version: Option<String>,
    /// `platform`.
    pub platform: Option<String>,
    /// `pollIntervalMs`.
    pub poll_interval_ms: Option<f64>,
    /// `rateLimitWaitMs`.
    pub rate_limit_wait_ms: Option<f64>,
    /// `dropPollMs`.
    pub drop_poll_ms: Option<f64>,
    /// `stillWorkingMs`.
    pub still_working_ms: Option<f64>,
    /// `heartbeatOnlyTimeoutMs`.
    pub heartbeat_only_timeout_ms: Option<f64>,
    /// `chatTimeoutMs`.
    pub chat_timeout_ms: Option<f64>,
    /// `exportTimeoutMs`.
    pub export_timeout_ms: Option<f64>,
    /// `requestTimeoutMs`: one REST request (not the chat stream, not an upload).
    pub request_timeout_ms: Option<f64>,
}

/// Checked options.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Where and as whom.
    pub api: ApiConfig,
    /// A configured token (never refreshed, never stored).
    pub token: Option<Token>,
    /// The proxy in front of the API adds the token: the client sends none and never asks for
    /// an anonymous one.
    pub server_token: bool,
    /// A configured client id.
    pub client_id: Option<String>,
    /// Session language.
    pub language: String,
    /// Export poll period.
    pub poll_interval_ms: u64,
    /// 429 wait without `Retry-After`.
    pub rate_limit_wait_ms: u64,
    /// First state poll after a dropped stream.
    pub drop_poll_ms: u64,
    /// "Still working" period.
    pub still_working_ms: u64,
    /// Time without a real event before a chat times out.
    pub heartbeat_only_timeout_ms: u64,
    /// Time in all before a chat times out.
    pub chat_timeout_ms: u64,
    /// Time before an export is cancelled.
    pub export_timeout_ms: u64,
    /// Time for one REST request's response.
    pub request_timeout_ms: u64,
}

fn duration(name: &str, v: Option<f64>, default: u64) -> Result<u64, NemoError> {
    match v {
        None => Ok(default),
        Some(ms) if ms.is_finite() && (0.0..=MAX_DURATION_MS).contains(&ms) => {
            Ok(ms.round() as u64)
        }
        Some(_) => Err(NemoError::refused(
            "BAD_OPTION",
            format!("{name} must be a number of milliseconds between 0 and 86400000"),
        )),
    }
}

impl RawOptions {
    /// Checks the options and fills the defaults.
    pub fn validate(self) -> Result<ClientOptions, NemoError> {
        let api = ApiConfig {
            base_url: self.base_url.unwrap_or_else(|| DEFAULT_BASE_URL.to_owned()),
            skill_source: self
                .skill_source
                .unwrap_or_else(|| DEFAULT_SKILL_SOURCE.to_owned()),
            skill_version: self
                .skill_version
                .unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_owned()),
            platform: self.platform.unwrap_or_else(|| DEFAULT_PLATFORM.to_owned()),
        }
        .validated()?;
        let token = match self.token.filter(|t| !t.trim().is_empty()) {
            Some(t) => Some(Token::new(t)?),
            None => None,
        };
        let server_token = self.server_token.unwrap_or(false);
        if server_token && token.is_some() {
            return Err(NemoError::refused(
                "BAD_OPTION",
                "token and serverToken exclude each other: with serverToken the proxy adds the token",
            ));
        }
        if let Some(id) = &self.client_id
            && !super::api::is_valid_id(id)
        {
            return Err(NemoError::refused(
                "BAD_OPTION",
                "clientId must be 1-64 of [0-9A-Za-z_-]",
            ));
        }
        let language = self.language.unwrap_or_else(|| "en".to_owned());
        if language.is_empty()
            || language.len() > 16
            || !language
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(NemoError::refused(
                "BAD_OPTION",
                "language must be a language tag such as \"en\" or \"zh-CN\"",
            ));
        }
        Ok(ClientOptions {
            api,
            token,
            server_token,
            client_id: self.client_id,
            language,
            poll_interval_ms: duration("pollIntervalMs", self.poll_interval_ms, 30_000)?,
            rate_limit_wait_ms: duration("rateLimitWaitMs", self.rate_limit_wait_ms, 30_000)?,
            drop_poll_ms: duration("dropPollMs", self.drop_poll_ms, 30_000)?,
            still_working_ms: duration("stillWorkingMs", self.still_working_ms, 120_000)?,
            heartbeat_only_timeout_ms: duration(
                "heartbeatOnlyTimeoutMs",
                self.heartbeat_only_timeout_ms,
                600_000,
            )?,
            chat_timeout_ms: duration("chatTimeoutMs", self.chat_timeout_ms, 900_000)?,
            export_timeout_ms: duration("exportTimeoutMs", self.export_timeout_ms, 600_000)?,
            request_timeout_ms: duration("requestTimeoutMs", self.request_timeout_ms, 60_000)?,
        })
    }
}

impl ClientOptions {
    /// The chat turn's durations.
    pub fn chat_config(&self) -> ChatConfig {
        ChatConfig {
            still_working_ms: self.still_working_ms,
            idle_timeout_ms: self.heartbeat_only_timeout_ms,
            total_timeout_ms: self.chat_timeout_ms,
            drop_poll_ms: self.drop_poll_ms,
            ..ChatConfig::default()
        }
    }

    /// The export job's durations.
    pub fn render_config(&self) -> RenderConfig {
        RenderConfig {
            poll_interval_ms: self.poll_interval_ms,
            timeout_ms: self.export_timeout_ms,
            ..RenderConfig::default()
        }
    }

    /// The storage key for `what`, namespaced by base URL so a simulator and the real API do
    /// not share credentials.
    pub fn storage_key(&self, what: StorageItem) -> String {
        format!("nemo-video:{}:{}", self.api.base_url, what.as_str())
    }
}

/// What the client keeps in storage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StorageItem {
    /// The client id.
    ClientId,
    /// The anonymous token (a configured token is never stored).
    Token,
    /// The anonymous user id (for the bind link).
    UserId,
    /// The session id.
    SessionId,
    /// Render jobs not yet finished (JSON, see `render::encode_pending`).
    PendingRenders,
}

impl StorageItem {
    fn as_str(self) -> &'static str {
        match self {
            StorageItem::ClientId => "client-id",
            StorageItem::Token => "token",
            StorageItem::UserId => "user-id",
            StorageItem::SessionId => "session-id",
            StorageItem::PendingRenders => "pending-renders",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_designs() {
        let o = RawOptions::default().validate().unwrap();
        assert_eq!(o.api.base_url, DEFAULT_BASE_URL);
        assert_eq!(
            (o.poll_interval_ms, o.rate_limit_wait_ms, o.drop_poll_ms),
            (30_000, 30_000, 30_000)
        );
        assert_eq!(
            (o.still_working_ms, o.heartbeat_only_timeout_ms),
            (120_000, 600_000)
        );
        assert_eq!((o.chat_timeout_ms, o.export_timeout_ms), (900_000, 600_000));
        assert_eq!(o.language, "en");
        assert!(o.token.is_none());
        let c = o.chat_config();
        assert_eq!(
            (
                c.still_working_ms,
                c.idle_timeout_ms,
                c.total_timeout_ms,
                c.drop_poll_ms
            ),
            (120_000, 600_000, 900_000, 30_000)
        );
        assert_eq!(o.render_config().poll_interval_ms, 30_000);
    }

    #[test]
    fn bad_options_are_typed_errors() {
        let bad = [
            RawOptions {
                poll_interval_ms: Some(-1.0),
                ..Default::default()
            },
            RawOptions {
                chat_timeout_ms: Some(f64::NAN),
                ..Default::default()
            },
            RawOptions {
                still_working_ms: Some(1e12),
                ..Default::default()
            },
            RawOptions {
                base_url: Some("ftp://x".into()),
                ..Default::default()
            },
            RawOptions {
                client_id: Some("../x".into()),
                ..Default::default()
            },
            RawOptions {
                language: Some("en\r\nX: y".into()),
                ..Default::default()
            },
            RawOptions {
                token: Some("two words".into()),
                ..Default::default()
            },
        ];
        for raw in bad {
            let e = raw.clone().validate().unwrap_err();
            assert_eq!(e.kind.as_str(), "refused", "{raw:?}");
            assert!(
                !e.message.contains("two words"),
                "a token never appears in a message"
            );
        }
    }

    #[test]
    fn storage_keys_are_namespaced_by_base_url() {
        let a = RawOptions {
            base_url: Some("http://127.0.0.1:1".into()),
            ..Default::default()
        }
        .validate()
        .unwrap();
        let b = RawOptions::default().validate().unwrap();
        assert_ne!(
            a.storage_key(StorageItem::Token),
            b.storage_key(StorageItem::Token)
        );
        assert_eq!(
            b.storage_key(StorageItem::SessionId),
            format!("nemo-video:{DEFAULT_BASE_URL}:session-id")
        );
    }
}
