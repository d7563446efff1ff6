//! Why a session or a send failed, typed for tests and worded for users.

use super::reply::Reply;

/// Why the session cannot go on; every later call reports the same.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The server greeted with something other than 220, or refused EHLO.
    #[error("the server refused the session: {0}")]
    Refused(Reply),
    /// The server's bytes are not SMTP replies (an IMAP server on the submission port...).
    #[error("the server does not speak SMTP: {0}")]
    NotSmtp(String),
    /// The server did not answer within the timeout.
    #[error("the server did not answer in time")]
    Timeout,
    /// The connection closed (`421` first, when the server said why).
    #[error("the connection closed: {0}")]
    Closed(String),
}

/// One recipient the server refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The address as given.
    pub address: String,
    /// The server's reply to its `RCPT TO`.
    pub reply: Reply,
}

/// Why a message was not sent. Nothing was accepted for delivery when a send
/// ends with one of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// An address would not survive the trip (CR, LF, `<`, `>`, no `@`...).
    #[error("`{0}` is not an address that can be sent to")]
    InvalidAddress(String),
    /// The message itself cannot be sent (a NUL byte...).
    #[error("the message cannot be sent: {0}")]
    InvalidMessage(String),
    /// Larger than the server's announced `SIZE`; nothing was uploaded.
    #[error("the message is {size} bytes, over the server's limit of {limit} bytes")]
    TooLarge {
        /// The message's size on the wire.
        size: u64,
        /// The server's limit.
        limit: u64,
    },
    /// A non-ASCII address, and the server has no SMTPUTF8.
    #[error("the server cannot send to or from addresses with non-ASCII characters")]
    NeedsSmtpUtf8,
    /// 8-bit content, and the server has no 8BITMIME.
    #[error("the server accepts only 7-bit messages")]
    Needs8BitMime,
    /// No recipient was accepted (each with the server's words; none given: an empty list).
    #[error("no recipient was accepted")]
    NoRecipients(Vec<Rejected>),
    /// The server refused the sender (MAIL FROM): not an address this login may send from, say.
    #[error("the server refused the sender: {0}")]
    SenderRefused(Reply),
    /// The server refused the message (`552` after DATA...).
    #[error("the server refused the message: {0}")]
    Refused(Reply),
    /// The session failed before the server accepted the message.
    #[error("the message was not sent: {0}")]
    Session(SessionError),
    /// Another send or an authentication is still running, or the session is not ready.
    #[error("the session is busy or not ready")]
    Busy,
}
