//! Errors of the client API: a kind with a stable machine-readable code, a
//! sentence for the user, and the engine's typed cause where there is one.

use std::fmt;

use crate::codec::types::Code;
use crate::engine::{CommandError, ConnectionError};

/// Why an API call failed. [`ClientError::code`] is what JavaScript sees as
/// `error.code`, [`ClientError::message`] its `message`; tests match
/// [`ClientError::kind`] and [`ClientError::cause`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientError(
    // One pointer: every `Result` of the API carries this type, and moving a
    // small one is less code in the browser module (decision 0002).
    Box<Repr>,
);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Repr {
    kind: ErrorKind,
    message: String,
    cause: Option<Cause>,
}

/// The kinds of failure a caller handles differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Wrong user name or password, or the mechanism was refused.
    AuthFailed,
    /// The mailbox does not exist.
    NoSuchMailbox,
    /// The connection dropped before the call completed.
    ConnectionLost,
    /// The bridge refused the connection (origin, limits, unknown upstream...).
    BridgeRefused,
    /// TLS with the server failed (untrusted or expired certificate...).
    TlsFailed,
    /// The server did not answer in time.
    Timeout,
    /// The server answered NO or BAD.
    Server,
    /// The server sent something the client cannot work with.
    Protocol,
    /// An argument was invalid (a bad UID, a flag with spaces...).
    InvalidArgument,
}

/// The engine's own account of a failure, kept under the sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cause {
    /// A command failed (the server's status, an encoding refusal...).
    Command(CommandError),
    /// The session itself failed.
    Connection(ConnectionError),
}

impl ErrorKind {
    /// The stable code: `AUTH_FAILED`, `NO_SUCH_MAILBOX`, `CONNECTION_LOST`,
    /// `BRIDGE_REFUSED`, `TLS_FAILED`, `TIMEOUT`, `SERVER_ERROR`, `PROTOCOL_ERROR`
    /// or `INVALID_ARGUMENT`.
    pub fn code(self) -> &'static str {
        match self {
            Self::AuthFailed => "AUTH_FAILED",
            Self::NoSuchMailbox => "NO_SUCH_MAILBOX",
            Self::ConnectionLost => "CONNECTION_LOST",
            Self::BridgeRefused => "BRIDGE_REFUSED",
            Self::TlsFailed => "TLS_FAILED",
            Self::Timeout => "TIMEOUT",
            Self::Server => "SERVER_ERROR",
            Self::Protocol => "PROTOCOL_ERROR",
            Self::InvalidArgument => "INVALID_ARGUMENT",
        }
    }
}

impl ClientError {
    /// An error of `kind` explained by `message`, with no engine cause.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self(Box::new(Repr {
            kind,
            message: message.into(),
            cause: None,
        }))
    }

    /// An `INVALID_ARGUMENT` error.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }

    /// A `CONNECTION_LOST` error.
    pub fn connection_lost(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ConnectionLost, message)
    }

    fn caused_by(mut self, cause: Cause) -> Self {
        self.0.cause = Some(cause);
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The stable code of [`ClientError::kind`].
    pub fn code(&self) -> &'static str {
        self.0.kind.code()
    }

    /// The message: the server's text where there is one.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The engine's typed account, when the failure came from the engine.
    pub fn cause(&self) -> Option<&Cause> {
        self.0.cause.as_ref()
    }

    /// Maps a failed command; `mailbox` names the mailbox the command was about,
    /// if any. A server's RFC 5530 code `[NONEXISTENT]` (or `[TRYCREATE]`) makes
    /// it `NO_SUCH_MAILBOX`; servers without those codes are asked with LIST by
    /// the caller (see [`ClientError::may_be_missing_mailbox`]), never judged by
    /// their English.
    pub fn from_command(error: CommandError, mailbox: Option<&str>) -> Self {
        let (kind, message) = match &error {
            CommandError::No(status) | CommandError::Bad(status) => match mailbox {
                Some(name) if names_missing_mailbox(status.code.as_ref()) => {
                    (ErrorKind::NoSuchMailbox, format!("{name}: {}", status.text))
                }
                _ => (ErrorKind::Server, status.text.clone()),
            },
            CommandError::Encode(encode) => (ErrorKind::InvalidArgument, encode.to_string()),
            CommandError::ConnectionLost(lost) => (ErrorKind::ConnectionLost, lost.to_string()),
            CommandError::Aborted(ConnectionError::Bye(text)) => (
                ErrorKind::Server,
                format!("the server ended the session over this request: {text}"),
            ),
            CommandError::Aborted(aborted) => {
                let from_connection = Self::from_connection(aborted);
                let repr = *from_connection.0;
                (repr.kind, repr.message)
            }
            CommandError::Unsupported(capability) => {
                (ErrorKind::Server, format!("the server does not support {capability}"))
            }
        };
        Self::new(kind, message).caused_by(Cause::Command(error))
    }

    /// Maps a fatal connection error.
    pub fn from_connection(error: &ConnectionError) -> Self {
        let kind = match error {
            ConnectionError::Timeout | ConnectionError::Stalled => ErrorKind::Timeout,
            ConnectionError::NotImap(_)
            | ConnectionError::Compression(_)
            | ConnectionError::StartTlsInjection
            | ConnectionError::TooLarge(_) => ErrorKind::Protocol,
            ConnectionError::Refused(why) => {
                return Self::new(ErrorKind::BridgeRefused, why.clone()).caused_by(Cause::Connection(error.clone()));
            }
            _ => ErrorKind::ConnectionLost,
        };
        Self::new(kind, error.to_string()).caused_by(Cause::Connection(error.clone()))
    }

    /// The name of the mailbox a refused command was about, when the server
    /// gave no response code that says whether the mailbox exists (servers
    /// without RFC 5530): the caller can then ask with LIST.
    pub(crate) fn may_be_missing_mailbox<'a>(&self, mailbox: Option<&'a str>) -> Option<&'a str> {
        match (self.cause(), mailbox) {
            (Some(Cause::Command(CommandError::No(status))), Some(name))
                if self.0.kind == ErrorKind::Server && status.code.is_none() && !name.contains(['*', '%']) =>
            {
                Some(name)
            }
            _ => None,
        }
    }

    /// This error, now known to be about a mailbox that does not exist.
    pub(crate) fn into_missing_mailbox(mut self, mailbox: &str) -> Self {
        self.0.kind = ErrorKind::NoSuchMailbox;
        self.0.message = format!("{mailbox}: {}", self.0.message);
        self
    }
}

/// RFC 5530's `NONEXISTENT` and RFC 3501's `TRYCREATE` both say the mailbox is missing.
fn names_missing_mailbox(code: Option<&Code>) -> bool {
    match code {
        Some(Code::TryCreate) => true,
        Some(Code::Other(name, _)) => name == "NONEXISTENT",
        _ => false,
    }
}

impl From<CommandError> for ClientError {
    fn from(error: CommandError) -> Self {
        Self::from_command(error, None)
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self.cause() {
            Some(Cause::Command(error)) => Some(error),
            Some(Cause::Connection(error)) => Some(error),
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::types::{Status, StatusKind};

    fn refused(code: Option<Code>) -> CommandError {
        CommandError::No(Status {
            tag: Some("A1".into()),
            kind: StatusKind::No,
            code,
            text: "Mailbox doesn't exist: Nope".into(),
        })
    }

    #[test]
    fn a_nonexistent_code_names_the_mailbox_whatever_the_language() {
        let error = ClientError::from_command(refused(Some(Code::Other("NONEXISTENT".into(), None))), Some("Nope"));
        assert_eq!(error.kind(), ErrorKind::NoSuchMailbox);
        assert_eq!(error.message(), "Nope: Mailbox doesn't exist: Nope");
        assert!(matches!(error.cause(), Some(Cause::Command(CommandError::No(_)))));
    }

    #[test]
    fn english_words_alone_are_not_taken_as_a_missing_mailbox() {
        let error = ClientError::from_command(refused(None), Some("Nope"));
        assert_eq!(error.kind(), ErrorKind::Server);
        assert_eq!(error.may_be_missing_mailbox(Some("Nope")), Some("Nope"));
        assert_eq!(
            error.may_be_missing_mailbox(Some("No*")),
            None,
            "a LIST pattern would match others"
        );
        let quota = ClientError::from_command(refused(Some(Code::Other("OVERQUOTA".into(), None))), Some("Nope"));
        assert_eq!(quota.may_be_missing_mailbox(Some("Nope")), None);
    }

    #[test]
    fn a_lost_connection_keeps_the_engines_reason() {
        let error: ClientError = CommandError::ConnectionLost(ConnectionError::Timeout).into();
        assert_eq!(error.kind(), ErrorKind::ConnectionLost);
        assert_eq!(
            error.cause(),
            Some(&Cause::Command(CommandError::ConnectionLost(ConnectionError::Timeout)))
        );
        assert!(std::error::Error::source(&error).is_some());
    }
}
