//! SMTP STARTTLS (RFC 3207), the client side of a submission session:
//! - the greeting is a (possibly multi-line) 220 reply; 554 or 421 is a refusal;
//! - EHLO comes first, always: servers such as Microsoft's answer a STARTTLS
//!   sent before EHLO with `503 5.5.2 Send hello first`;
//! - STARTTLS is sent only when the EHLO reply offers it, and only its 220 counts;
//! - the greeting is handed on whole; the client says EHLO again over TLS
//!   (RFC 3207 4.2: nothing learnt before TLS may be trusted).

use super::{MAX_UNTAGGED, QUOTED, StartTlsError};
use crate::printable;

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Greeting,
    Hello { greeting: Vec<u8>, offered: bool },
    Answer { greeting: Vec<u8> },
    Finished,
}

/// The client side of SMTP STARTTLS, from the greeting to the 220 go-ahead.
#[derive(Debug)]
pub struct SmtpDialogue {
    client_name: String,
    state: State,
    /// Lines of the reply being read, so far.
    lines: usize,
    /// The greeting as received, every line of it.
    greeting: Vec<u8>,
}

/// One line of an SMTP reply: its code, whether it is the reply's last line,
/// and its text.
struct ReplyLine<'a> {
    code: u16,
    last: bool,
    text: &'a [u8],
}

impl<'a> ReplyLine<'a> {
    /// `NNN-text` or `NNN text` (or a bare `NNN`), CRLF or LF terminated.
    fn parse(line: &'a [u8]) -> Option<Self> {
        let line = line.strip_suffix(b"\n")?;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let digits = line.get(..3)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let code = digits
            .iter()
            .fold(0u16, |code, digit| code * 10 + u16::from(digit - b'0'));
        let (last, text) = match line.get(3) {
            None => (true, &line[3..]),
            Some(b' ') => (true, &line[4..]),
            Some(b'-') => (false, &line[4..]),
            Some(_) => return None,
        };
        Some(Self { code, last, text })
    }
}

impl SmtpDialogue {
    pub(super) fn new(client_name: &str) -> Self {
        Self {
            client_name: client_name.to_owned(),
            state: State::Greeting,
            lines: 0,
            greeting: Vec::new(),
        }
    }
}

impl super::Dialogue for SmtpDialogue {
    fn take_line(&mut self, line: &[u8], outgoing: &mut Vec<u8>) -> Result<Option<Vec<u8>>, StartTlsError> {
        if self.state == State::Finished {
            return Err(StartTlsError::Injection);
        }
        let Some(reply) = ReplyLine::parse(line) else {
            return Err(match self.state {
                State::Greeting => StartTlsError::NotSmtp(printable(line, QUOTED)),
                _ => StartTlsError::Unexpected(printable(line, QUOTED)),
            });
        };
        self.lines += 1;
        if self.lines > MAX_UNTAGGED {
            return Err(StartTlsError::NoAnswer);
        }
        if reply.last {
            self.lines = 0;
        }
        match &mut self.state {
            State::Greeting => {
                self.greeting.extend_from_slice(line);
                if !reply.last {
                    return Ok(None);
                }
                match reply.code {
                    220 => {
                        outgoing.extend_from_slice(format!("EHLO {}\r\n", self.client_name).as_bytes());
                        self.state = State::Hello {
                            greeting: std::mem::take(&mut self.greeting),
                            offered: false,
                        };
                        Ok(None)
                    }
                    421 | 554 => Err(StartTlsError::Unavailable(printable(reply.text, QUOTED))),
                    _ => Err(StartTlsError::NotSmtp(printable(line, QUOTED))),
                }
            }
            State::Hello { greeting, offered } => {
                // The first line names the server; extensions follow, one per line.
                let keyword = reply.text.split(|&b| b == b' ').next().unwrap_or_default();
                *offered |= keyword.eq_ignore_ascii_case(b"STARTTLS");
                if !reply.last {
                    return Ok(None);
                }
                if reply.code != 250 {
                    return Err(StartTlsError::HelloRefused(printable(line, QUOTED)));
                }
                if !*offered {
                    return Err(StartTlsError::NotOffered);
                }
                outgoing.extend_from_slice(b"STARTTLS\r\n");
                self.state = State::Answer {
                    greeting: std::mem::take(greeting),
                };
                Ok(None)
            }
            State::Answer { greeting } => {
                if !reply.last {
                    return Ok(None);
                }
                if reply.code != 220 {
                    return Err(StartTlsError::Refused(printable(line, QUOTED)));
                }
                let greeting = std::mem::take(greeting);
                self.state = State::Finished;
                Ok(Some(greeting))
            }
            State::Finished => Err(StartTlsError::Injection),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{MAX_LINE, Progress, StartTls, run_split};
    use super::*;

    const GREETING: &[u8] = b"220-mail.example.org ESMTP\r\n220 no UCE\r\n";
    const EHLO: &[u8] =
        b"250-mail.example.org\r\n250-PIPELINING\r\n250-SIZE 10485760\r\n250-starttls\r\n250 8BITMIME\r\n";

    /// Plays a server that answers each client line in turn.
    fn run(server: &[u8], cut: usize) -> (Result<Progress, StartTlsError>, Vec<u8>) {
        run_split(StartTls::smtp("[127.0.0.1]"), server, cut)
    }

    #[test]
    fn says_hello_first_then_upgrades_wherever_the_bytes_split() {
        let server = [GREETING, EHLO, b"220 2.0.0 Ready to start TLS\r\n"].concat();
        for cut in 0..=server.len() {
            let (result, sent) = run(&server, cut);
            assert_eq!(
                result,
                Ok(Progress::Done {
                    greeting: GREETING.to_vec()
                }),
                "cut at {cut}"
            );
            assert_eq!(sent, b"EHLO [127.0.0.1]\r\nSTARTTLS\r\n", "cut at {cut}");
        }
    }

    #[test]
    fn nothing_is_sent_before_the_whole_greeting() {
        let mut exchange = StartTls::smtp("[127.0.0.1]");
        assert_eq!(exchange.handle_input(b"220-first line\r\n"), Ok(Progress::NeedMore));
        assert!(exchange.take_outgoing().is_empty());
    }

    #[test]
    fn refusals_are_typed_and_quote_the_server() {
        let cases: [(Vec<u8>, StartTlsError); 6] = [
            (
                b"* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n".to_vec(),
                StartTlsError::NotSmtp("* OK [CAPABILITY IMAP4rev1] Dovecot ready.".into()),
            ),
            (
                b"554 5.7.1 no service for you\r\n".to_vec(),
                StartTlsError::Unavailable("5.7.1 no service for you".into()),
            ),
            (
                [GREETING, b"250-mail.example.org\r\n250 PIPELINING\r\n"].concat(),
                StartTlsError::NotOffered,
            ),
            (
                [GREETING, b"501 5.5.4 bad hostname\r\n"].concat(),
                StartTlsError::HelloRefused("501 5.5.4 bad hostname".into()),
            ),
            (
                [GREETING, EHLO, b"454 4.7.0 TLS not available\r\n"].concat(),
                StartTlsError::Refused("454 4.7.0 TLS not available".into()),
            ),
            (
                [GREETING, EHLO, b"ready, go\r\n"].concat(),
                StartTlsError::Unexpected("ready, go".into()),
            ),
        ];
        for (server, expected) in cases {
            assert_eq!(run(&server, 0).0, Err(expected));
        }
    }

    #[test]
    fn bytes_after_the_go_ahead_are_an_injection() {
        let server = [GREETING, EHLO, b"220 go ahead\r\n250 injected\r\n"].concat();
        assert_eq!(run(&server, 0).0, Err(StartTlsError::Injection));
    }

    #[test]
    fn endless_or_chatty_servers_are_cut_off() {
        let mut exchange = StartTls::smtp("[127.0.0.1]");
        assert_eq!(
            exchange.handle_input(&[b'2'; MAX_LINE + 1]),
            Err(StartTlsError::LongLine)
        );
        let chatty = b"220-still greeting\r\n".repeat(MAX_UNTAGGED + 1);
        assert_eq!(run(&chatty, 0).0, Err(StartTlsError::NoAnswer));
    }
}
