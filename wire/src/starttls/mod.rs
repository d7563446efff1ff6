//! The plaintext half of STARTTLS, as the client side runs it before anything
//! else, for IMAP and for SMTP submission: sans-IO, so the bridge (tokio) and
//! the page (its WebSocket) drive the same code. Feed the server's bytes to
//! [`StartTls::handle_input`], send what [`StartTls::take_outgoing`] returns,
//! until it reports [`Progress::Done`]; then start the TLS handshake on the
//! same connection.
//!
//! What both protocols share, and this module enforces once: lines are bounded
//! in length, and no byte may follow the server's go-ahead before the
//! handshake: it would be read as if it came over TLS (the command injection
//! of CVE-2011-0411). The dialogues themselves are in [`imap`] and [`smtp`].

mod imap;
mod smtp;

pub use imap::ImapDialogue;
pub use smtp::SmtpDialogue;

/// A greeting or reply line longer than this is not a mail server talking.
pub const MAX_LINE: usize = 8 * 1024;
/// Untagged lines tolerated before the IMAP STARTTLS answer, and lines in one SMTP reply.
pub const MAX_UNTAGGED: usize = 32;
/// How much of a server line an error quotes.
const QUOTED: usize = 80;

/// Why the upgrade cannot happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StartTlsError {
    /// The server greeted with PREAUTH: already authenticated, it cannot be upgraded.
    #[error("the server sent PREAUTH, so the session cannot be upgraded to TLS")]
    Preauth,
    /// The server said BYE instead of a greeting.
    #[error("the server said goodbye: {0}")]
    Bye(String),
    /// The first line was not an IMAP greeting (an SMTP banner on the wrong port...).
    #[error("not an IMAP greeting: {0}")]
    NotImap(String),
    /// The first line was not an SMTP greeting (an IMAP server on the submission port...).
    #[error("not an SMTP greeting: {0}")]
    NotSmtp(String),
    /// The SMTP server greeted with 554 or 421: it will not serve this session.
    #[error("the server is not taking connections: {0}")]
    Unavailable(String),
    /// The SMTP server refused EHLO.
    #[error("the server refused EHLO: {0}")]
    HelloRefused(String),
    /// The SMTP server's EHLO reply does not offer STARTTLS.
    #[error("the server does not offer STARTTLS")]
    NotOffered,
    /// The server answered STARTTLS with a refusal (IMAP NO or BAD, an SMTP 4xx or 5xx).
    #[error("the server refused STARTTLS: {0}")]
    Refused(String),
    /// A tagged line that is not the answer to our STARTTLS, a continuation, or
    /// a line that is not an SMTP reply.
    #[error("unexpected reply to STARTTLS: {0}")]
    Unexpected(String),
    /// More untagged lines than a STARTTLS answer ever comes with.
    #[error("no reply to STARTTLS after {MAX_UNTAGGED} other lines")]
    NoAnswer,
    /// A line longer than [`MAX_LINE`].
    #[error("the server sent an overlong line")]
    LongLine,
    /// Bytes followed the STARTTLS answer before the handshake.
    #[error("the server sent data after STARTTLS OK (possible injection)")]
    Injection,
    /// The connection ended before the exchange did.
    #[error("the server closed the connection before STARTTLS completed")]
    Closed,
}

/// Where the exchange is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// More bytes from the server are needed (send what [`StartTls::take_outgoing`] holds first).
    NeedMore,
    /// STARTTLS was accepted: start the handshake now. `greeting` is the
    /// server's greeting to hand to whoever speaks the protocol over the
    /// secured connection (IMAP's without its pre-TLS capabilities).
    Done {
        /// The greeting, CRLF-terminated.
        greeting: Vec<u8>,
    },
}

/// One protocol's side of the exchange, a line at a time. Sealed: the
/// protocols are [`ImapDialogue`] and [`SmtpDialogue`].
pub trait Dialogue: sealed::Sealed {
    /// One complete line from the server; `Some(greeting)` once STARTTLS is accepted.
    #[doc(hidden)]
    fn take_line(&mut self, line: &[u8], outgoing: &mut Vec<u8>) -> Result<Option<Vec<u8>>, StartTlsError>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::ImapDialogue {}
    impl Sealed for super::SmtpDialogue {}
}

/// The client side of STARTTLS, from the greeting to the server's go-ahead.
/// Generic over the protocol, so a program that speaks one carries only its code.
#[derive(Debug)]
pub struct StartTls<D> {
    dialogue: D,
    input: Vec<u8>,
    outgoing: Vec<u8>,
}

impl StartTls<ImapDialogue> {
    /// IMAP (RFC 3501 6.2.1): the STARTTLS command carries `tag` (letters and digits).
    pub fn imap(tag: &str) -> Self {
        Self::with(ImapDialogue::new(tag))
    }
}

impl StartTls<SmtpDialogue> {
    /// SMTP submission (RFC 3207): EHLO names the client as `client_name` (a
    /// domain or an address literal such as `[127.0.0.1]`).
    pub fn smtp(client_name: &str) -> Self {
        Self::with(SmtpDialogue::new(client_name))
    }
}

impl<D: Dialogue> StartTls<D> {
    fn with(dialogue: D) -> Self {
        Self {
            dialogue,
            input: Vec::new(),
            outgoing: Vec::new(),
        }
    }

    /// Takes bytes from the server. After an error or [`Progress::Done`] the
    /// exchange is over; call nothing more.
    pub fn handle_input(&mut self, bytes: &[u8]) -> Result<Progress, StartTlsError> {
        self.input.extend_from_slice(bytes);
        while let Some(end) = self.input.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.input.drain(..=end).collect();
            if line.len() > MAX_LINE {
                return Err(StartTlsError::LongLine);
            }
            if let Some(greeting) = self.dialogue.take_line(&line, &mut self.outgoing)? {
                if !self.input.is_empty() {
                    return Err(StartTlsError::Injection);
                }
                return Ok(Progress::Done { greeting });
            }
        }
        if self.input.len() > MAX_LINE {
            return Err(StartTlsError::LongLine);
        }
        Ok(Progress::NeedMore)
    }

    /// Bytes to send to the server now (EHLO, the STARTTLS command).
    #[must_use]
    pub fn take_outgoing(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.outgoing)
    }
}

fn starts_with_ignore_case(line: &[u8], prefix: &[u8]) -> bool {
    line.len() >= prefix.len() && line[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Runs an exchange over `server`'s bytes split at `cut`; returns the result and what was sent.
#[cfg(test)]
fn run_split<D: Dialogue>(
    mut exchange: StartTls<D>,
    server: &[u8],
    cut: usize,
) -> (Result<Progress, StartTlsError>, Vec<u8>) {
    let mut sent = Vec::new();
    let mut result = Ok(Progress::NeedMore);
    for part in [&server[..cut], &server[cut..]] {
        result = exchange.handle_input(part);
        sent.extend(exchange.take_outgoing());
        if !matches!(result, Ok(Progress::NeedMore)) {
            break;
        }
    }
    (result, sent)
}
