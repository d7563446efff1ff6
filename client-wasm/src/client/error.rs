//! Errors of the client API, each with a stable machine-readable code.

use std::fmt;

use crate::codec::types::Code;
use crate::engine::{CommandError, ConnectionError};

/// Why an API call failed. [`ClientError::code`] is what JavaScript sees as `error.code`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientError {
    /// Wrong user name or password, or the mechanism was refused.
    AuthFailed(String),
    /// The mailbox does not exist.
    NoSuchMailbox(String),
    /// The connection dropped before the call completed.
    ConnectionLost(String),
    /// The bridge refused the connection (origin, limits, unknown upstream...).
    BridgeRefused(String),
    /// TLS with the server failed (untrusted or expired certificate...).
    TlsFailed(String),
    /// The server did not answer in time.
    Timeout(String),
    /// The server answered NO or BAD.
    Server(String),
    /// The server sent something the client cannot work with.
    Protocol(String),
    /// An argument was invalid (a bad UID, a flag with spaces...).
    InvalidArgument(String),
}

impl ClientError {
    /// The stable code: `AUTH_FAILED`, `NO_SUCH_MAILBOX`, `CONNECTION_LOST`,
    /// `BRIDGE_REFUSED`, `TLS_FAILED`, `TIMEOUT`, `SERVER_ERROR`, `PROTOCOL_ERROR`
    /// or `INVALID_ARGUMENT`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::AuthFailed(_) => "AUTH_FAILED",
            Self::NoSuchMailbox(_) => "NO_SUCH_MAILBOX",
            Self::ConnectionLost(_) => "CONNECTION_LOST",
            Self::BridgeRefused(_) => "BRIDGE_REFUSED",
            Self::TlsFailed(_) => "TLS_FAILED",
            Self::Timeout(_) => "TIMEOUT",
            Self::Server(_) => "SERVER_ERROR",
            Self::Protocol(_) => "PROTOCOL_ERROR",
            Self::InvalidArgument(_) => "INVALID_ARGUMENT",
        }
    }

    /// The message: the server's text where there is one.
    pub fn message(&self) -> &str {
        match self {
            Self::AuthFailed(text)
            | Self::NoSuchMailbox(text)
            | Self::ConnectionLost(text)
            | Self::BridgeRefused(text)
            | Self::TlsFailed(text)
            | Self::Timeout(text)
            | Self::Server(text)
            | Self::Protocol(text)
            | Self::InvalidArgument(text) => text,
        }
    }

    /// Maps a failed command; `mailbox` names the mailbox the command was about, if any.
    pub fn from_command(error: CommandError, mailbox: Option<&str>) -> Self {
        match error {
            CommandError::No(status) | CommandError::Bad(status) => {
                let missing = match &status.code {
                    Some(Code::TryCreate) => true,
                    Some(Code::Other(name, _)) => name == "NONEXISTENT",
                    // Servers without RFC 5530 codes still say so in words.
                    _ => {
                        status.text.to_ascii_lowercase().contains("mailbox doesn't exist")
                            || status.text.to_ascii_lowercase().contains("no such mailbox")
                    }
                };
                match mailbox {
                    Some(name) if missing => Self::NoSuchMailbox(format!("{name}: {}", status.text)),
                    _ => Self::Server(status.text),
                }
            }
            CommandError::Encode(error) => Self::InvalidArgument(error.to_string()),
            CommandError::ConnectionLost(reason) => Self::ConnectionLost(reason),
            CommandError::Aborted(ConnectionError::Bye(text)) => {
                Self::Server(format!("the server ended the session over this request: {text}"))
            }
            CommandError::Aborted(error) => Self::from_connection(&error),
            CommandError::Unsupported(capability) => Self::Server(format!("the server does not support {capability}")),
        }
    }

    /// Maps a fatal connection error.
    pub fn from_connection(error: &ConnectionError) -> Self {
        match error {
            ConnectionError::Timeout | ConnectionError::Stalled => Self::Timeout(error.to_string()),
            ConnectionError::NotImap(_)
            | ConnectionError::Compression(_)
            | ConnectionError::StartTlsInjection
            | ConnectionError::TooLarge(_) => Self::Protocol(error.to_string()),
            ConnectionError::Refused(why) => Self::BridgeRefused(why.clone()),
            _ => Self::ConnectionLost(error.to_string()),
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for ClientError {}
