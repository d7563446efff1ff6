//! IMAP STARTTLS (RFC 3501 6.2.1, RFC 2595, RFC 7817), the client side:
//! - the greeting must be `* OK` (`* PREAUTH` cannot be upgraded, `* BYE` is a refusal);
//! - only the tagged answer to our own STARTTLS counts, case-insensitively;
//!   untagged lines before it are bounded in number and length;
//! - the greeting handed on loses its pre-TLS `[CAPABILITY ...]` (anyone on the
//!   path could have forged it) but keeps any other code, such as an `[ALERT]`.

use super::{MAX_UNTAGGED, QUOTED, StartTlsError, starts_with_ignore_case};
use crate::printable;

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Greeting,
    Answer { greeting: Vec<u8>, untagged: usize },
    Finished,
}

/// The client side of IMAP STARTTLS, from the greeting to the answer.
#[derive(Debug)]
pub struct ImapDialogue {
    tag: Vec<u8>,
    state: State,
}

impl ImapDialogue {
    pub(super) fn new(tag: &str) -> Self {
        Self {
            tag: tag.as_bytes().to_vec(),
            state: State::Greeting,
        }
    }
}

impl super::Dialogue for ImapDialogue {
    fn take_line(&mut self, line: &[u8], outgoing: &mut Vec<u8>) -> Result<Option<Vec<u8>>, StartTlsError> {
        match &mut self.state {
            State::Greeting => {
                if starts_with_ignore_case(line, b"* PREAUTH") {
                    return Err(StartTlsError::Preauth);
                }
                if starts_with_ignore_case(line, b"* BYE") {
                    return Err(StartTlsError::Bye(printable(&line[5..], QUOTED)));
                }
                if !starts_with_ignore_case(line, b"* OK") {
                    return Err(StartTlsError::NotImap(printable(line, QUOTED)));
                }
                outgoing.extend_from_slice(&self.tag);
                outgoing.extend_from_slice(b" STARTTLS\r\n");
                self.state = State::Answer {
                    greeting: without_capability_code(line),
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
                    .ok_or_else(|| StartTlsError::Unexpected(printable(line, QUOTED)))?;
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
    use super::super::{MAX_LINE, Progress, StartTls, run_split};
    use super::*;

    fn run(server: &[u8], cut: usize) -> (Result<Progress, StartTlsError>, Vec<u8>) {
        run_split(StartTls::imap("tls0"), server, cut)
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
        let mut exchange = StartTls::imap("tls0");
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
