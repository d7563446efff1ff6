//! Command encoding: every user-supplied value becomes an atom, a quoted string or
//! a literal, chosen per value, so no value can end a command early or start
//! another one (CR, LF, quotes, braces and NUL are all handled here).

use super::mutf7;

/// What the server lets the client send, from its capabilities and ENABLE.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EncodeOptions {
    /// `LITERAL+`: every literal may be non-synchronizing.
    pub literal_plus: bool,
    /// `LITERAL-`: literals up to 4096 bytes may be non-synchronizing.
    pub literal_minus: bool,
    /// `UTF8=ACCEPT` enabled: quoted strings may hold UTF-8 and mailbox names are raw UTF-8.
    pub utf8: bool,
    /// `BINARY`: APPEND may send `~{n}` literals holding NUL bytes.
    pub binary: bool,
}

/// One piece of a command to write; a piece whose `wait` is true ends with a
/// synchronizing literal announcement, and the next piece may only be sent
/// after the server's `+` continuation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Wait for a continuation request before the next piece.
    pub wait: bool,
}

/// A value this client refuses to encode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeError {
    /// NUL bytes cannot be sent in IMAP strings (only in APPEND data with BINARY).
    Nul,
    /// A value that has no safe encoding where it is used (a keyword with spaces,
    /// raw search text with a line break...); the text says which.
    Invalid(&'static str),
    /// A value past what servers accept (Dovecot hangs up on a command line
    /// over 64 KiB): refused before anything is sent.
    TooLong {
        /// What, e.g. "mailbox name".
        what: &'static str,
        /// Its size in bytes as it would be sent.
        bytes: usize,
        /// The most this client sends.
        limit: usize,
    },
}

impl std::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EncodeError::Nul => f.write_str("the value contains a NUL byte, which IMAP cannot carry here"),
            EncodeError::Invalid(what) => write!(f, "invalid {what}"),
            EncodeError::TooLong { what, bytes, limit } => {
                write!(f, "the {what} is {bytes} bytes long; at most {limit} can be sent")
            }
        }
    }
}

impl std::error::Error for EncodeError {}

/// Literals at most this long may use LITERAL- (RFC 7888).
const LITERAL_MINUS_MAX: usize = 4096;
/// Longer strings go as literals even when they could be quoted (line-length limits).
const QUOTED_MAX: usize = 1024;
/// Longest mailbox name sent, encoded: far past any real folder name, well
/// under what servers cut off.
pub const MAX_MAILBOX_NAME: usize = 1024;
/// Longest command sent, APPEND's message aside: Dovecot's default
/// `imap_max_line_length`, past which servers answer BYE.
pub const MAX_COMMAND: usize = 64 * 1024;

/// Builds one command.
#[derive(Debug)]
pub struct CommandWriter {
    options: EncodeOptions,
    pieces: Vec<Piece>,
    current: Vec<u8>,
}

fn is_atom_char(byte: u8) -> bool {
    byte > 0x20 && byte < 0x7f && !matches!(byte, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
}

impl CommandWriter {
    /// Starts `tag command`.
    pub fn new(options: EncodeOptions, tag: &str, command: &str) -> Self {
        let mut current = Vec::with_capacity(64);
        current.extend_from_slice(tag.as_bytes());
        current.push(b' ');
        current.extend_from_slice(command.as_bytes());
        Self {
            options,
            pieces: Vec::new(),
            current,
        }
    }

    /// Appends protocol syntax this crate writes itself (never user data).
    pub fn raw(&mut self, syntax: &str) -> &mut Self {
        self.current.extend_from_slice(syntax.as_bytes());
        self
    }

    /// Appends a space.
    pub fn sp(&mut self) -> &mut Self {
        self.current.push(b' ');
        self
    }

    /// Appends a user-supplied string as an atom, quoted string or literal.
    pub fn astring(&mut self, value: &[u8]) -> Result<&mut Self, EncodeError> {
        if !value.is_empty() && value.iter().all(|&b| is_atom_char(b)) && !value.eq_ignore_ascii_case(b"NIL") {
            self.current.extend_from_slice(value);
            Ok(self)
        } else {
            self.string(value)
        }
    }

    /// Appends a user-supplied string as a quoted string or a literal (never an atom).
    pub fn string(&mut self, value: &[u8]) -> Result<&mut Self, EncodeError> {
        if value.contains(&0) {
            return Err(EncodeError::Nul);
        }
        let quotable = value.len() <= QUOTED_MAX
            && value
                .iter()
                .all(|&b| b != b'\r' && b != b'\n' && (b < 0x80 || self.options.utf8))
            && (!self.options.utf8 || std::str::from_utf8(value).is_ok());
        if quotable {
            self.current.push(b'"');
            for &byte in value {
                if byte == b'"' || byte == b'\\' {
                    self.current.push(b'\\');
                }
                self.current.push(byte);
            }
            self.current.push(b'"');
        } else {
            self.literal(value, false);
        }
        Ok(self)
    }

    /// Appends a mailbox name: modified UTF-7, or raw UTF-8 once UTF8=ACCEPT is on.
    pub fn mailbox(&mut self, name: &str) -> Result<&mut Self, EncodeError> {
        if name.eq_ignore_ascii_case("INBOX") {
            self.current.extend_from_slice(b"INBOX");
            return Ok(self);
        }
        let encoded = if self.options.utf8 {
            name.to_owned()
        } else {
            mutf7::encode(name)
        };
        if encoded.len() > MAX_MAILBOX_NAME {
            return Err(EncodeError::TooLong {
                what: "mailbox name",
                bytes: encoded.len(),
                limit: MAX_MAILBOX_NAME,
            });
        }
        self.astring(encoded.as_bytes())
    }

    /// Appends message data for APPEND: a literal, `~{n}` when it holds NUL bytes.
    pub fn message_literal(&mut self, data: &[u8]) -> Result<&mut Self, EncodeError> {
        let binary = data.contains(&0);
        if binary && !self.options.binary {
            return Err(EncodeError::Nul);
        }
        self.literal(data, binary);
        Ok(self)
    }

    fn literal(&mut self, data: &[u8], binary: bool) {
        let non_sync = self.options.literal_plus || (self.options.literal_minus && data.len() <= LITERAL_MINUS_MAX);
        if binary {
            self.current.push(b'~');
        }
        self.current.push(b'{');
        self.current.extend_from_slice(data.len().to_string().as_bytes());
        if non_sync {
            self.current.extend_from_slice(b"+}\r\n");
            self.current.extend_from_slice(data);
        } else {
            self.current.extend_from_slice(b"}\r\n");
            self.pieces.push(Piece {
                bytes: std::mem::take(&mut self.current),
                wait: true,
            });
            self.current.extend_from_slice(data);
        }
    }

    /// Ends the command with CRLF and returns its pieces.
    pub fn finish(mut self) -> Vec<Piece> {
        self.current.extend_from_slice(b"\r\n");
        self.pieces.push(Piece {
            bytes: self.current,
            wait: false,
        });
        self.pieces
    }

    /// Like [`CommandWriter::finish`], refusing a command longer than
    /// [`MAX_COMMAND`] bytes not counting `exempt` (APPEND's message, which
    /// servers take as a literal of its own size limit).
    pub fn finish_within_limit(self, exempt: usize) -> Result<Vec<Piece>, EncodeError> {
        let pieces = self.finish();
        let bytes = pieces
            .iter()
            .map(|piece| piece.bytes.len())
            .sum::<usize>()
            .saturating_sub(exempt);
        if bytes > MAX_COMMAND {
            return Err(EncodeError::TooLong {
                what: "command",
                bytes,
                limit: MAX_COMMAND,
            });
        }
        Ok(pieces)
    }
}

/// The grammar of flags and LIST patterns (RFC 3501 section 9).
impl CommandWriter {
    /// A flag (`\Seen`) or keyword: system flags are written as they are, keywords as atoms.
    pub fn flag(&mut self, flag: &str) -> Result<&mut Self, EncodeError> {
        if let Some(name) = flag.strip_prefix('\\') {
            if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Ok(self.raw(flag));
            }
        }
        if !flag.is_empty()
            && flag
                .bytes()
                .all(|b| b > 0x20 && b < 0x7f && !b"(){%*\"\\]".contains(&b))
        {
            Ok(self.raw(flag))
        } else {
            // A keyword can only be an atom; anything else cannot be stored as a flag.
            Err(EncodeError::Invalid(
                "flag: keywords are single words without ( ) { % * \" \\ ]",
            ))
        }
    }

    /// A parenthesized, space-separated flag list: `(\Seen $Label)`.
    pub fn flag_list(&mut self, flags: &[String]) -> Result<&mut Self, EncodeError> {
        self.raw("(");
        for (index, flag) in flags.iter().enumerate() {
            if index > 0 {
                self.sp();
            }
            self.flag(flag)?;
        }
        Ok(self.raw(")"))
    }

    /// A LIST pattern: like a mailbox name, but `*` and `%` must stay wildcards.
    pub fn mailbox_pattern(&mut self, pattern: &str) -> Result<&mut Self, EncodeError> {
        if pattern.is_empty() {
            return self.string(b"");
        }
        let encoded = mutf7::encode(pattern);
        if encoded
            .bytes()
            .all(|b| b > 0x20 && b < 0x7f && !b"(){\"\\".contains(&b))
        {
            Ok(self.raw(&encoded))
        } else {
            self.string(encoded.as_bytes())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(options: EncodeOptions, value: &[u8]) -> Vec<Piece> {
        let mut writer = CommandWriter::new(options, "a1", "SELECT");
        writer.sp().astring(value).unwrap();
        writer.finish()
    }

    fn wire(pieces: &[Piece]) -> Vec<u8> {
        pieces.iter().flat_map(|piece| piece.bytes.clone()).collect()
    }

    #[test]
    fn atoms_quoted_strings_and_literals_are_chosen_per_value() {
        let plain = EncodeOptions::default();
        assert_eq!(wire(&encode(plain, b"Archive")), b"a1 SELECT Archive\r\n");
        assert_eq!(wire(&encode(plain, b"Sent Items")), b"a1 SELECT \"Sent Items\"\r\n");
        assert_eq!(wire(&encode(plain, b"")), b"a1 SELECT \"\"\r\n");
        assert_eq!(wire(&encode(plain, b"NIL")), b"a1 SELECT \"NIL\"\r\n");
        assert_eq!(wire(&encode(plain, b"a\"b\\c")), b"a1 SELECT \"a\\\"b\\\\c\"\r\n");
        let literal = encode(plain, "Büro".as_bytes());
        assert_eq!(literal.len(), 2);
        assert!(literal[0].wait);
        assert_eq!(literal[0].bytes, b"a1 SELECT {5}\r\n");
        assert_eq!(literal[1].bytes, "Büro\r\n".as_bytes());
    }

    #[test]
    fn no_value_can_inject_a_command() {
        for hostile in [
            &b"x\r\na2 DELETE INBOX"[..],
            b"x\na2 DELETE INBOX",
            b"x\ra2 DELETE INBOX",
            b"{5}\r\nhello",
            b"\"quoted\" a2 LOGOUT",
            b"x) (y",
            b"*",
            b"]",
        ] {
            for options in [
                EncodeOptions::default(),
                EncodeOptions {
                    literal_plus: true,
                    ..Default::default()
                },
                EncodeOptions {
                    utf8: true,
                    ..Default::default()
                },
            ] {
                let pieces = encode(options, hostile);
                let bytes = wire(&pieces);
                let text = String::from_utf8_lossy(&bytes);
                // The value must come back out of the command exactly as one string.
                let mut cursor = crate::codec::lexer::Cursor::new(&bytes[b"a1 SELECT ".len()..]);
                assert_eq!(cursor.astring().unwrap().as_ref(), hostile, "{text}");
                cursor.line_end().unwrap();
                assert!(cursor.rest().is_empty(), "{text}");
            }
        }
        assert_eq!(
            CommandWriter::new(EncodeOptions::default(), "a", "X")
                .string(b"a\0b")
                .unwrap_err(),
            EncodeError::Nul
        );
    }

    #[test]
    fn non_synchronizing_literals_follow_the_capabilities() {
        let plus = encode(
            EncodeOptions {
                literal_plus: true,
                ..Default::default()
            },
            b"a\r\nb",
        );
        assert_eq!(plus.len(), 1);
        assert_eq!(plus[0].bytes, b"a1 SELECT {4+}\r\na\r\nb\r\n");
        let minus = EncodeOptions {
            literal_minus: true,
            ..Default::default()
        };
        assert_eq!(encode(minus, b"a\r\nb").len(), 1);
        assert_eq!(
            encode(minus, &vec![b'\n'; 5000]).len(),
            2,
            "LITERAL- stops at 4096 bytes"
        );
    }

    #[test]
    fn utf8_accept_sends_raw_utf8() {
        let utf8 = EncodeOptions {
            utf8: true,
            ..Default::default()
        };
        assert_eq!(
            wire(&encode(utf8, "Büro".as_bytes())),
            "a1 SELECT \"Büro\"\r\n".as_bytes()
        );
        let mut writer = CommandWriter::new(EncodeOptions::default(), "a1", "SELECT");
        writer.sp().mailbox("Büro").unwrap();
        assert_eq!(wire(&writer.finish()), b"a1 SELECT B&APw-ro\r\n");
    }

    #[test]
    fn binary_append_data_needs_the_capability() {
        let mut writer = CommandWriter::new(EncodeOptions::default(), "a1", "APPEND INBOX");
        assert!(writer.sp().message_literal(b"a\0b").is_err());
        let binary = EncodeOptions {
            binary: true,
            literal_plus: true,
            ..Default::default()
        };
        let mut writer = CommandWriter::new(binary, "a1", "APPEND INBOX");
        writer.sp().message_literal(b"a\0b").unwrap();
        assert_eq!(wire(&writer.finish()), b"a1 APPEND INBOX ~{3+}\r\na\0b\r\n");
    }
}
