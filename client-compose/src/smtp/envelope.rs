//! What a send puts on the wire besides commands: envelope addresses checked
//! so that none can inject a command, and the message normalised to CRLF and
//! dot-stuffed for DATA.

use super::error::SendError;

/// Who a message goes from and to, as SMTP sees it (not the headers: Bcc
/// recipients are here and nowhere in the message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The sender (`MAIL FROM`).
    pub from: String,
    /// The recipients (`RCPT TO`), one command each.
    pub to: Vec<String>,
}

impl Envelope {
    /// Checks every address: no CR, LF, NUL, `<`, `>` or white space (which
    /// could end the command and start another), one `@`, at most 254 bytes.
    /// Returns whether some address is not ASCII (which needs SMTPUTF8).
    pub(crate) fn check(&self) -> Result<bool, SendError> {
        if self.to.is_empty() {
            return Err(SendError::NoRecipients(Vec::new()));
        }
        let mut utf8 = false;
        for address in std::iter::once(&self.from).chain(&self.to) {
            let bad = address.is_empty()
                || address.len() > 254
                || address.matches('@').count() != 1
                || address.starts_with('@')
                || address.ends_with('@')
                || address
                    .chars()
                    .any(|c| c.is_control() || c.is_whitespace() || c == '<' || c == '>');
            if bad {
                return Err(SendError::InvalidAddress(webmail_wire::printable(
                    address.as_bytes(),
                    80,
                )));
            }
            utf8 |= !address.is_ascii();
        }
        Ok(utf8)
    }
}

/// The message with every line ending CRLF: a bare LF or a bare CR becomes
/// CRLF, since servers refuse bare ones since the SMTP smuggling disclosures
/// (CVE-2023-51764), and one that reached them could end the message early.
/// The result always ends with CRLF.
pub(crate) fn normalize(message: &[u8]) -> Result<(Vec<u8>, bool), SendError> {
    if message.contains(&0) {
        return Err(SendError::InvalidMessage("the message contains a NUL byte".into()));
    }
    let mut out = Vec::with_capacity(message.len() + message.len() / 64 + 2);
    let mut eight_bit = false;
    let mut bytes = message.iter().copied().peekable();
    while let Some(byte) = bytes.next() {
        match byte {
            b'\r' => {
                if bytes.peek() == Some(&b'\n') {
                    bytes.next();
                }
                out.extend_from_slice(b"\r\n");
            }
            b'\n' => out.extend_from_slice(b"\r\n"),
            _ => {
                eight_bit |= byte >= 0x80;
                out.push(byte);
            }
        }
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    Ok((out, eight_bit))
}

/// DATA's transparency (RFC 5321 4.5.2): a line that starts with `.` gets
/// another, and the message ends with `.` on a line of its own. `message` is
/// already CRLF-normalised.
pub(crate) fn dot_stuffed(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 64);
    let mut line_start = true;
    for &byte in message {
        if line_start && byte == b'.' {
            out.push(b'.');
        }
        out.push(byte);
        line_start = byte == b'\n';
    }
    out.extend_from_slice(b".\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(from: &str, to: &[&str]) -> Envelope {
        Envelope {
            from: from.into(),
            to: to.iter().map(|address| (*address).to_owned()).collect(),
        }
    }

    #[test]
    fn addresses_that_could_inject_a_command_are_refused() {
        for bad in [
            "bob@example.org>\r\nRCPT TO:<eve@example.org",
            "bob@example.org\nDATA",
            "bob@exa\0mple.org",
            "<bob@example.org>",
            "bob @example.org",
            "no-at-sign",
            "two@@example.org",
            "",
        ] {
            assert!(
                matches!(
                    envelope("a@example.org", &[bad]).check(),
                    Err(SendError::InvalidAddress(_))
                ),
                "{bad:?}"
            );
        }
        assert_eq!(envelope("a@example.org", &["b@example.org"]).check(), Ok(false));
        assert_eq!(envelope("a@example.org", &["jürgen@example.de"]).check(), Ok(true));
        assert!(matches!(
            envelope("a@example.org", &[]).check(),
            Err(SendError::NoRecipients(_))
        ));
    }

    #[test]
    fn every_line_ends_crlf_and_dots_are_stuffed() {
        let (normal, eight_bit) = normalize(b"a\nb\rc\r\n.hidden\r\n..two\n.").unwrap();
        assert_eq!(normal, b"a\r\nb\r\nc\r\n.hidden\r\n..two\r\n.\r\n");
        assert!(!eight_bit);
        assert_eq!(
            dot_stuffed(&normal),
            b"a\r\nb\r\nc\r\n..hidden\r\n...two\r\n..\r\n.\r\n"
        );
        assert!(normalize("Grüße".as_bytes()).unwrap().1);
        assert!(matches!(normalize(b"a\0b"), Err(SendError::InvalidMessage(_))));
    }
}
