//! Server replies: read incrementally with `smtp-proto`'s parser, kept as
//! [`Reply`] values, and the EHLO reply's extensions as [`Extensions`].

use std::fmt;

use smtp_proto::response::parser::ResponseReceiver;

/// One server reply: its code, the enhanced status code (RFC 3463) when the
/// server sends them, and its text (the lines of a multi-line reply joined).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The three-digit reply code.
    pub code: u16,
    /// `class.subject.detail`, e.g. `5.1.1`, when the server sent one.
    pub enhanced: Option<String>,
    /// The server's words.
    pub text: String,
}

impl Reply {
    /// 2xx: the command succeeded.
    pub fn is_positive(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// 4xx: worth trying again later.
    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some(enhanced) = &self.enhanced {
            write!(f, " {enhanced}")?;
        }
        write!(f, " {}", self.text)
    }
}

/// What went wrong while reading replies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReadError {
    /// Bytes that are no SMTP reply (the quoted start of them).
    Malformed(String),
    /// A reply longer than the parser holds.
    TooLong,
}

/// Splits the server's byte stream into replies, keeping each reply's raw
/// bytes for the EHLO parser.
#[derive(Default)]
pub(crate) struct ReplyReader {
    receiver: ResponseReceiver,
    raw: Vec<u8>,
}

impl fmt::Debug for ReplyReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyReader").field("pending", &self.raw.len()).finish()
    }
}

impl ReplyReader {
    /// The next whole reply in `input` (consumed from it) with its raw bytes,
    /// `Ok(None)` when more bytes are needed.
    pub(crate) fn next(&mut self, input: &mut &[u8]) -> Result<Option<(Reply, Vec<u8>)>, ReadError> {
        let mut iter = input.iter();
        let result = self.receiver.parse(&mut iter);
        let consumed = input.len() - iter.len();
        self.raw.extend_from_slice(&input[..consumed]);
        *input = &input[consumed..];
        match result {
            Ok(response) => {
                self.receiver.reset();
                let [class, subject, detail] = response.esc;
                let enhanced = (class != 0).then(|| format!("{class}.{subject}.{detail}"));
                let reply = Reply {
                    code: response.code,
                    enhanced,
                    text: response.message.trim().to_owned(),
                };
                Ok(Some((reply, std::mem::take(&mut self.raw))))
            }
            Err(smtp_proto::Error::NeedsMoreData { .. }) => Ok(None),
            Err(smtp_proto::Error::ResponseTooLong) => Err(ReadError::TooLong),
            // Quote the offending line from its start, past where the parser stopped.
            Err(_) => Err(ReadError::Malformed(webmail_wire::printable(
                &[self.raw.as_slice(), input].concat(),
                80,
            ))),
        }
    }
}

/// What the server offers, from its EHLO reply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extensions {
    /// The name the server gave itself.
    pub server_name: String,
    /// RFC 2920: commands may be sent in groups.
    pub pipelining: bool,
    /// RFC 3030: `BDAT` instead of `DATA`.
    pub chunking: bool,
    /// RFC 6152: 8-bit message bodies.
    pub eight_bit_mime: bool,
    /// RFC 6531: UTF-8 addresses and headers.
    pub smtp_utf8: bool,
    /// RFC 1870: the largest message the server takes, when it says (0: no limit given).
    pub max_size: Option<u64>,
    /// SASL mechanisms offered (upper case, among those this engine speaks).
    pub auth: Vec<&'static str>,
}

impl Extensions {
    /// Reads a whole EHLO reply: the first line names the server, each
    /// further line is a keyword and its parameters (RFC 5321 4.1.1.1).
    pub(crate) fn parse(raw: &[u8]) -> Option<Self> {
        let text = String::from_utf8_lossy(raw);
        let mut lines = text.lines().map(|line| line.get(4..).unwrap_or_default());
        let mut extensions = Self {
            server_name: lines.next()?.split(' ').next().unwrap_or_default().to_owned(),
            ..Self::default()
        };
        for line in lines {
            let mut words = line.split(' ');
            let keyword = words.next().unwrap_or_default().to_ascii_uppercase();
            match keyword.as_str() {
                "PIPELINING" => extensions.pipelining = true,
                "CHUNKING" => extensions.chunking = true,
                "8BITMIME" => extensions.eight_bit_mime = true,
                "SMTPUTF8" => extensions.smtp_utf8 = true,
                "SIZE" => extensions.max_size = Some(words.next().and_then(|size| size.parse().ok()).unwrap_or(0)),
                "AUTH" => {
                    for mechanism in words {
                        let known = ["PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"]
                            .into_iter()
                            .find(|name| name.eq_ignore_ascii_case(mechanism));
                        if let Some(name) = known.filter(|name| !extensions.auth.contains(name)) {
                            extensions.auth.push(name);
                        }
                    }
                }
                _ => {}
            }
        }
        Some(extensions)
    }

    /// The size limit to check a message against, if the server gave one.
    pub fn size_limit(&self) -> Option<u64> {
        self.max_size.filter(|&size| size > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_come_whole_whatever_the_split() {
        let stream = b"220-mail.example.org ESMTP\r\n220 ready\r\n550 5.1.1 <x@y>: no such user\r\n";
        for cut in 0..=stream.len() {
            let mut reader = ReplyReader::default();
            let mut replies = Vec::new();
            for part in [&stream[..cut], &stream[cut..]] {
                let mut rest: &[u8] = part;
                while let Some((reply, _)) = reader.next(&mut rest).unwrap() {
                    replies.push(reply);
                }
                assert!(rest.is_empty());
            }
            assert_eq!(replies.len(), 2, "cut at {cut}");
            assert_eq!(replies[0].code, 220);
            assert_eq!(replies[1].enhanced.as_deref(), Some("5.1.1"));
            assert_eq!(replies[1].text, "<x@y>: no such user");
        }
    }

    #[test]
    fn ehlo_names_what_the_server_offers() {
        let raw = b"250-mail.test\r\n250-8BITMIME\r\n250-AUTH PLAIN LOGIN\r\n250-CHUNKING\r\n250-SIZE 10485760\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n";
        let extensions = Extensions::parse(raw).unwrap();
        assert_eq!(extensions.server_name, "mail.test");
        assert!(extensions.pipelining && extensions.chunking && extensions.eight_bit_mime);
        assert!(!extensions.smtp_utf8);
        assert_eq!(extensions.size_limit(), Some(10_485_760));
        assert_eq!(extensions.auth, ["PLAIN", "LOGIN"]);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut reader = ReplyReader::default();
        let mut rest: &[u8] = b"* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n";
        assert!(matches!(reader.next(&mut rest), Err(ReadError::Malformed(_))));
    }
}
