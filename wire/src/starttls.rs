//! The plaintext half of STARTTLS, as the client side runs it before anything
//! else: sans-IO, so the bridge (tokio) and the page (its WebSocket) drive the
//! same code. Feed the server's bytes to [`ImapStartTls::handle_input`], send
//! what [`ImapStartTls::take_outgoing`] returns, until it reports
//! [`Progress::Done`]; then start the TLS handshake on the same connection.
//!
//! The rules both sides need (RFC 3501 6.2.1, RFC 2595, RFC 7817):
//! - the greeting must be `* OK` (`* PREAUTH` cannot be upgraded, `* BYE` is a refusal);
//! - only the tagged answer to our own STARTTLS counts, case-insensitively;
//!   untagged lines before it are bounded in number and length;
//! - no byte may follow that answer before the handshake: it would be read as if
//!   it came over TLS (the command injection of CVE-2011-0411);
//! - the greeting handed on loses its pre-TLS `[CAPABILITY ...]` (anyone on the
//!   path could have forged it) but keeps any other code, such as an `[ALERT]`.

use crate::printable;

/// A greeting or status line longer than this is not an IMAP server talking.
pub const MAX_LINE: usize = 8 * 1024;
/// Untagged lines tolerated before the STARTTLS answer.
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
    /// The server answered STARTTLS with NO or BAD.
    #[error("the server refused STARTTLS: {0}")]
    Refused(String),
    /// A tagged line that is not the answer to our STARTTLS, or a continuation.
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
    /// More bytes from the server are needed (send what [`ImapStartTls::take_outgoing`] holds first).
    NeedMore,
    /// STARTTLS was accepted: start the handshake now. `greeting` is the
    /// server's greeting line, without its pre-TLS capabilities, to hand to
    /// whoever speaks IMAP over the secured connection.
    Done {
        /// The greeting, CRLF-terminated.
        greeting: Vec<u8>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Greeting,
    Answer { greeting: Vec<u8>, untagged: usize },
    Finished,
}

/// The client side of IMAP STARTTLS, from the greeting to the answer.
#[derive(Debug)]
pub struct ImapStartTls {
    tag: Vec<u8>,
    state: State,
    input: Vec<u8>,
    outgoing: Vec<u8>,
}

impl ImapStartTls {
    /// An exchange whose STARTTLS command carries `tag` (letters and digits).
    pub fn new(tag: &str) -> Self {
        Self {
            tag: tag.as_bytes().to_vec(),
            state: State::Greeting,
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
            if let Some(greeting) = self.take_line(line)? {
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

    /// Bytes to send to the server now (the STARTTLS command once the greeting is in).
    #[must_use]
    pub fn take_outgoing(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.outgoing)
    }

    /// One complete line; `Some(greeting)` once STARTTLS is accepted.
    fn take_line(&mut self, line: Vec<u8>) -> Result<Option<Vec<u8>>, StartTlsError> {
        if line.len() > MAX_LINE {
            return Err(StartTlsError::LongLine);
        }
        match &mut self.state {
            State::Greeting => {
                if starts_with_ignore_case(&line, b"* PREAUTH") {
                    return Err(StartTlsError::Preauth);
                }
                if starts_with_ignore_case(&line, b"* BYE") {
                    return Err(StartTlsError::Bye(printable(&line[5..], QUOTED)));
                }
                if !starts_with_ignore_case(&line, b"* OK") {
                    return Err(StartTlsError::NotImap(printable(&line, QUOTED)));
                }
                self.outgoing.extend_from_slice(&self.tag);
                self.outgoing.extend_from_slice(b" STARTTLS\r\n");
                self.state = State::Answer {
                    greeting: without_capability_code(&line),
                    untagged: 0,
                };
                Ok(None)
            }
            State::Answer { greeting, untagged } => {
                if line.starts_with(b"* ") {
                    *untagged += 1;
                    return if *untagged > MAX_UNTAGGED {
                        Err(StartTlsError::NoAnswer)
                    } else {
                        Ok(None)
                    };
                }
                let status = line
                    .strip_prefix(self.tag.as_slice())
                    .and_then(|rest| rest.strip_prefix(b" "))
                    .ok_or_else(|| StartTlsError::Unexpected(printable(&line, QUOTED)))?;
                if !starts_with_ignore_case(status, b"OK") {
                    return Err(StartTlsError::Refused(printable(status, QUOTED)));
                }
                let greeting = std::mem::take(greeting);
                self.state = State::Finished;
                Ok(Some(greeting))
            }
            State::Finished => Err(StartTlsError::Injection),
        }
    }
}

fn starts_with_ignore_case(line: &[u8], prefix: &[u8]) -> bool {
    line.len() >= prefix.len() && line[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// `* OK [CAPABILITY ...] text` becomes `* OK text`; other codes stay.
fn without_capability_code(greeting: &[u8]) -> Vec<u8> {
    let rest = &greeting[4..];
    let trimmed = rest.strip_prefix(b" ").unwrap_or(rest);
    if starts_with_ignore_case(trimmed, b"[CAPABILITY ") {
        if let Some(end) = trimmed.iter().position(|&b| b == b']') {
            let text = trimmed[end + 1..].strip_prefix(b" ").unwrap_or(&trimmed[end + 1..]);
            return [b"* OK ".as_slice(), text].concat();
        }
    }
    greeting.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs an exchange over `server`'s bytes split at `cut`; returns the result and what was sent.
    fn run(server: &[u8], cut: usize) -> (Result<Progress, StartTlsError>, Vec<u8>) {
        let mut exchange = ImapStartTls::new("tls0");
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

    #[test]
    fn upgrades_and_keeps_the_greeting_without_capabilities_wherever_the_bytes_split() {
        let server = b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Dovecot ready.\r\n* CAPABILITY IMAP4rev1\r\ntls0 ok Begin TLS negotiation now.\r\n";
        for cut in 0..=server.len() {
            let (result, sent) = run(server, cut);
            assert_eq!(
                result,
                Ok(Progress::Done {
                    greeting: b"* OK Dovecot ready.\r\n".to_vec()
                }),
                "cut at {cut}"
            );
            assert_eq!(sent, b"tls0 STARTTLS\r\n");
        }
    }

    #[test]
    fn an_alert_in_the_greeting_is_kept() {
        let (result, _) = run(b"* OK [ALERT] Maintenance at 22:00\r\ntls0 OK go\r\n", 0);
        assert_eq!(
            result,
            Ok(Progress::Done {
                greeting: b"* OK [ALERT] Maintenance at 22:00\r\n".to_vec()
            })
        );
    }

    #[test]
    fn refusals_are_typed_and_quote_the_server() {
        let cases: [(&[u8], StartTlsError); 6] = [
            (
                b"* OK ready\r\ntls0 BAD STARTTLS not supported\r\n",
                StartTlsError::Refused("BAD STARTTLS not supported".into()),
            ),
            (b"* PREAUTH welcome\r\n", StartTlsError::Preauth),
            (
                b"* BYE too many connections\r\n",
                StartTlsError::Bye("too many connections".into()),
            ),
            (
                b"220 smtp.example.org ESMTP Postfix\r\n",
                StartTlsError::NotImap("220 smtp.example.org ESMTP Postfix".into()),
            ),
            (
                b"* OK ready\r\nother OK done\r\n",
                StartTlsError::Unexpected("other OK done".into()),
            ),
            (
                b"* OK ready\r\n+ go on\r\n",
                StartTlsError::Unexpected("+ go on".into()),
            ),
        ];
        for (server, expected) in cases {
            assert_eq!(run(server, 0).0, Err(expected));
        }
    }

    #[test]
    fn bytes_after_the_answer_are_an_injection() {
        let (result, _) = run(b"* OK ready\r\ntls0 OK go ahead\r\n* OK injected\r\n", 0);
        assert_eq!(result, Err(StartTlsError::Injection));
    }

    #[test]
    fn endless_or_chatty_servers_are_cut_off() {
        let mut exchange = ImapStartTls::new("tls0");
        assert_eq!(
            exchange.handle_input(&[b'*'; MAX_LINE + 1]),
            Err(StartTlsError::LongLine)
        );
        let mut chatty = b"* OK ready\r\n".to_vec();
        for _ in 0..=MAX_UNTAGGED {
            chatty.extend_from_slice(b"* OK still here\r\n");
        }
        assert_eq!(run(&chatty, 0).0, Err(StartTlsError::NoAnswer));
    }
}
