//! The bearer token: held, sent, stored, never printed.
//!
//! Owns: [`Token`], whose `Debug` and `Display` print `Token(***)`, and the check that a token
//! could be a header value. Does not own: where a token comes from (`session.rs`, the shell).

use std::fmt;

use crate::core::error::NemoError;

/// A bearer token. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token; refuses one that could not be a header value.
    pub fn new(token: impl Into<String>) -> Result<Self, NemoError> {
        let token = token.into();
        let t = token.trim();
        if t.is_empty() || t.len() > 4096 || !t.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(NemoError::refused(
                "BAD_TOKEN",
                "the token is empty or not a valid header value",
            ));
        }
        Ok(Token(t.to_owned()))
    }

    /// The secret itself, for the `Authorization` header and storage only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_printed_and_checked() {
        let t = Token::new(" nmv_usr_secret ").unwrap();
        assert_eq!(t.expose(), "nmv_usr_secret");
        assert!(!format!("{t:?} {t}").contains("secret"));
        assert!(Token::new("a b").is_err());
        assert!(Token::new("").is_err());
        assert!(Token::new("x\r\nEvil: 1").is_err());
    }
}
