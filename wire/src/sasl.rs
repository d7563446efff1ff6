//! SASL mechanisms for IMAP AUTHENTICATE and SMTP AUTH: PLAIN, LOGIN, XOAUTH2
//! and OAUTHBEARER, the client messages only (each engine frames them).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// A credential: `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a password or token.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for encoding on the wire only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// A mechanism and its credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mechanism {
    /// RFC 4616.
    Plain {
        /// User name.
        user: String,
        /// Password.
        password: Secret,
    },
    /// The obsolete but common LOGIN mechanism (two base64 prompts).
    Login {
        /// User name.
        user: String,
        /// Password.
        password: Secret,
    },
    /// Google's and Microsoft's XOAUTH2.
    XOAuth2 {
        /// User name (email address).
        user: String,
        /// OAuth 2 access token.
        token: Secret,
    },
    /// RFC 7628.
    OAuthBearer {
        /// User name (email address).
        user: String,
        /// OAuth 2 access token.
        token: Secret,
    },
}

impl Mechanism {
    /// The IANA name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Plain { .. } => "PLAIN",
            Self::Login { .. } => "LOGIN",
            Self::XOAuth2 { .. } => "XOAUTH2",
            Self::OAuthBearer { .. } => "OAUTHBEARER",
        }
    }

    /// The user name, for display.
    pub fn user(&self) -> &str {
        match self {
            Self::Plain { user, .. }
            | Self::Login { user, .. }
            | Self::XOAuth2 { user, .. }
            | Self::OAuthBearer { user, .. } => user,
        }
    }

    /// Whether the mechanism starts with a client message (and can use SASL-IR).
    pub fn has_initial_response(&self) -> bool {
        !matches!(self, Self::Login { .. })
    }

    /// The client's message for step `step` (0-based), base64-encoded. After the
    /// mechanism's own messages, a challenge means failure details (both OAuth
    /// mechanisms send JSON): the answer is the dummy `%x01` for OAUTHBEARER
    /// (RFC 7628 section 3.2.3) and an empty line for the others, and the server
    /// then fails the command.
    pub fn respond(&self, step: usize) -> String {
        let raw: Vec<u8> = match (self, step) {
            (Self::Plain { user, password }, 0) => format!("\0{user}\0{}", password.expose()).into_bytes(),
            (Self::Login { user, .. }, 0) => user.clone().into_bytes(),
            (Self::Login { password, .. }, 1) => password.expose().as_bytes().to_vec(),
            (Self::XOAuth2 { user, token }, 0) => {
                format!("user={user}\x01auth=Bearer {}\x01\x01", token.expose()).into_bytes()
            }
            (Self::OAuthBearer { user, token }, 0) => format!(
                "n,a={},\x01auth=Bearer {}\x01\x01",
                user.replace('=', "=3D").replace(',', "=2C"),
                token.expose()
            )
            .into_bytes(),
            (Self::OAuthBearer { .. }, _) => vec![0x01],
            _ => return String::new(),
        };
        STANDARD.encode(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let mechanism = Mechanism::Plain {
            user: "alice".into(),
            password: Secret::new("hunter2"),
        };
        assert!(!format!("{mechanism:?}").contains("hunter2"));
    }

    #[test]
    fn messages_follow_the_rfcs() {
        let plain = Mechanism::Plain {
            user: "tim".into(),
            password: Secret::new("tanstaaftanstaaf"),
        };
        assert_eq!(plain.respond(0), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
        let login = Mechanism::Login {
            user: "u".into(),
            password: Secret::new("p"),
        };
        assert_eq!(
            (login.respond(0), login.respond(1), login.respond(2)),
            ("dQ==".into(), "cA==".into(), String::new())
        );
        let bearer = Mechanism::OAuthBearer {
            user: "a=b,c".into(),
            token: Secret::new("t"),
        };
        let decoded = STANDARD.decode(bearer.respond(0)).unwrap();
        assert_eq!(decoded, b"n,a=a=3Db=2Cc,\x01auth=Bearer t\x01\x01");
        assert_eq!(bearer.respond(1), "AQ==", "the dummy reply to a failure's JSON");
    }
}
