//! Tokens of a response: atoms, numbers, quoted strings, literals and lists.
//!
//! The lexer is lenient where real servers are sloppy (extra spaces, a space
//! before `)`, `]` inside list atoms, unescaped quotes inside quoted strings,
//! numbers written as floats) and strict where leniency would be ambiguous. It
//! never indexes out of bounds and caps list nesting, so no input can panic it
//! or exhaust the stack.

use std::borrow::Cow;

/// Nesting deeper than this is refused (a 300-level BODYSTRUCTURE is an attack, not mail).
pub const MAX_DEPTH: usize = 48;

/// A failure at a byte offset of the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Offset into the response.
    pub offset: usize,
    /// What was expected there.
    pub expected: &'static str,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "expected {} at byte {}", self.expected, self.offset)
    }
}

impl std::error::Error for ParseError {}

/// Parse result.
pub type ParseResult<T> = Result<T, ParseError>;

/// A generic token tree, for values whose shape is interpreted afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<'a> {
    /// `NIL`.
    Nil,
    /// An atom or number, as written.
    Atom(&'a [u8]),
    /// A quoted string (unescaped) or a literal.
    Str(Cow<'a, [u8]>),
    /// A parenthesized list.
    List(Vec<Value<'a>>),
}

impl<'a> Value<'a> {
    /// The bytes of an atom or string (`None` for NIL and lists).
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Atom(atom) => Some(atom),
            Value::Str(text) => Some(text),
            _ => None,
        }
    }

    /// Owned bytes of a string or atom; NIL and lists give `None`.
    pub fn to_nstring(&self) -> Option<Vec<u8>> {
        self.bytes().map(<[u8]>::to_vec)
    }

    /// Text of a string or atom, lower-cased ASCII (for types and parameter names).
    pub fn to_lower(&self) -> String {
        self.bytes()
            .map(|bytes| String::from_utf8_lossy(bytes).to_ascii_lowercase())
            .unwrap_or_default()
    }

    /// Like [`Value::to_lower`], as a shared [`super::types::Token`] where common.
    pub fn to_token(&self) -> super::types::Token {
        super::types::token(self.bytes().unwrap_or_default())
    }

    /// A number, accepting what servers really send: floats in exponent notation
    /// (mail.ru) are rounded, negative numbers (a SmarterMail quirk) become 0.
    pub fn to_number(&self) -> Option<u64> {
        let text = std::str::from_utf8(self.bytes()?).ok()?;
        if let Ok(n) = text.parse::<u64>() {
            return Some(n);
        }
        let float: f64 = text.parse().ok()?;
        float.is_finite().then(|| float.max(0.0).round() as u64)
    }

    /// The items of a list (an empty slice otherwise).
    pub fn items(&self) -> &[Value<'a>] {
        match self {
            Value::List(items) => items,
            _ => &[],
        }
    }
}

/// A position in one response.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    input: &'a [u8],
    pos: usize,
}

fn is_atom_end(byte: u8, bracket_ends: bool) -> bool {
    matches!(byte, b' ' | b'(' | b')' | b'"' | b'\r' | b'\n' | b'{') || (bracket_ends && byte == b']') || byte < 0x20
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Self { input, pos: 0 }
    }

    /// The current offset.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// An error at the current offset.
    pub fn error(&self, expected: &'static str) -> ParseError {
        ParseError {
            offset: self.pos,
            expected,
        }
    }

    /// The next byte without consuming it.
    pub fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    /// Everything not yet consumed.
    pub fn rest(&self) -> &'a [u8] {
        self.input.get(self.pos..).unwrap_or_default()
    }

    /// Consumes `byte` if it is next.
    pub fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Consumes `byte` or fails.
    pub fn expect(&mut self, byte: u8, what: &'static str) -> ParseResult<()> {
        if self.eat(byte) { Ok(()) } else { Err(self.error(what)) }
    }

    /// Consumes a case-insensitive keyword if it is next and ends there.
    pub fn eat_keyword(&mut self, keyword: &[u8]) -> bool {
        let rest = self.rest();
        if rest.len() >= keyword.len()
            && rest[..keyword.len()].eq_ignore_ascii_case(keyword)
            && rest
                .get(keyword.len())
                .is_none_or(|&b| is_atom_end(b, true) || b == b'[')
        {
            self.pos += keyword.len();
            true
        } else {
            false
        }
    }

    /// Skips spaces (any number, including none: servers send two, or none before `)`).
    pub fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// True at CR, LF or the end.
    pub fn at_line_end(&self) -> bool {
        matches!(self.peek(), None | Some(b'\r' | b'\n'))
    }

    /// Consumes the line end (CRLF or a bare LF).
    pub fn line_end(&mut self) -> ParseResult<()> {
        self.skip_spaces();
        self.eat(b'\r');
        if self.eat(b'\n') || self.peek().is_none() {
            Ok(())
        } else {
            Err(self.error("end of line"))
        }
    }

    /// The rest of the line, as text (without CRLF).
    pub fn text(&mut self) -> &'a [u8] {
        let start = self.pos;
        while !self.at_line_end() {
            self.pos += 1;
        }
        &self.input[start..self.pos]
    }

    /// An atom. `bracket_ends`: whether `]` ends it (in response codes) or is part of it (in lists).
    pub fn atom(&mut self, bracket_ends: bool) -> ParseResult<&'a [u8]> {
        let start = self.pos;
        while let Some(byte) = self.peek() {
            if is_atom_end(byte, bracket_ends) {
                break;
            }
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.error("atom"));
        }
        Ok(&self.input[start..self.pos])
    }

    /// A FETCH attribute name such as `BODY`, `RFC822.SIZE` or `X-GM-LABELS`
    /// (letters, digits, `.` and `-`), stopping before a section's `[`.
    pub fn name(&mut self) -> &'a [u8] {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        {
            self.pos += 1;
        }
        &self.input[start..self.pos]
    }

    /// A 32-bit number.
    pub fn number(&mut self) -> ParseResult<u32> {
        let digits = self.digits()?;
        parse_digits(digits)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| self.error("32-bit number"))
    }

    /// A 64-bit number (mod-sequences, sizes).
    pub fn number64(&mut self) -> ParseResult<u64> {
        let digits = self.digits()?;
        parse_digits(digits).ok_or_else(|| self.error("64-bit number"))
    }

    fn digits(&mut self) -> ParseResult<&'a [u8]> {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == start {
            Err(self.error("number"))
        } else {
            Ok(&self.input[start..self.pos])
        }
    }

    /// A quoted string or a literal.
    pub fn string(&mut self) -> ParseResult<Cow<'a, [u8]>> {
        match self.peek() {
            Some(b'"') => self.quoted(),
            Some(b'{') => self.literal().map(Cow::Borrowed),
            Some(b'~') if self.rest().get(1) == Some(&b'{') => {
                self.pos += 1;
                self.literal().map(Cow::Borrowed)
            }
            _ => Err(self.error("string")),
        }
    }

    /// A string or `NIL`.
    pub fn nstring(&mut self) -> ParseResult<Option<Cow<'a, [u8]>>> {
        if self.eat_keyword(b"NIL") {
            Ok(None)
        } else {
            self.string().map(Some)
        }
    }

    /// An atom (where `]` is allowed) or a string: mailbox names, flags, keys.
    /// `NIL` is the name "NIL" here (an astring is never nil).
    pub fn astring(&mut self) -> ParseResult<Cow<'a, [u8]>> {
        match self.peek() {
            Some(b'"' | b'{' | b'~') => self.string(),
            _ => self.atom(false).map(Cow::Borrowed),
        }
    }

    /// A quoted string, unescaped. A `"` that is not followed by a delimiter is
    /// taken as part of the text, which recovers strings with unescaped quotes.
    fn quoted(&mut self) -> ParseResult<Cow<'a, [u8]>> {
        self.expect(b'"', "quoted string")?;
        let start = self.pos;
        let mut escaped = false;
        loop {
            let Some(byte) = self.peek() else {
                return Err(self.error("closing quote"));
            };
            match byte {
                b'\\' => {
                    escaped = true;
                    self.pos += 2;
                }
                b'"' => {
                    let next = self.input.get(self.pos + 1).copied();
                    if matches!(next, None | Some(b' ' | b')' | b']' | b'\r' | b'\n' | b'(')) {
                        let raw = &self.input[start..self.pos];
                        self.pos += 1;
                        return Ok(if escaped {
                            Cow::Owned(unescape(raw))
                        } else {
                            Cow::Borrowed(raw)
                        });
                    }
                    escaped = true;
                    self.pos += 1;
                }
                b'\r' | b'\n' => return Err(self.error("closing quote")),
                _ => self.pos += 1,
            }
            if self.pos > self.input.len() {
                self.pos = self.input.len();
                return Err(self.error("closing quote"));
            }
        }
    }

    /// `{n}` CRLF and n bytes (also `{n+}`).
    fn literal(&mut self) -> ParseResult<&'a [u8]> {
        self.expect(b'{', "literal")?;
        let length = self.number64()?;
        self.eat(b'+');
        self.expect(b'}', "closing brace of a literal")?;
        self.eat(b'\r');
        self.expect(b'\n', "line end after a literal announcement")?;
        let length = usize::try_from(length).map_err(|_| self.error("literal that fits in memory"))?;
        let end = self.pos.checked_add(length).filter(|&end| end <= self.input.len());
        let Some(end) = end else {
            return Err(self.error("literal data as long as announced"));
        };
        let data = &self.input[self.pos..end];
        self.pos = end;
        Ok(data)
    }

    /// Any value: NIL, atom, string or list, with lists nested at most `depth_left` deep.
    pub fn value(&mut self, depth_left: usize) -> ParseResult<Value<'a>> {
        match self.peek() {
            Some(b'(') => self.list(depth_left).map(Value::List),
            Some(b'"' | b'{') => self.string().map(Value::Str),
            Some(b'~') if self.rest().get(1) == Some(&b'{') => self.string().map(Value::Str),
            Some(_) => {
                if self.eat_keyword(b"NIL") {
                    return Ok(Value::Nil);
                }
                // A section spec glued to a name (BODY[1]<0>) stays one token.
                let start = self.pos;
                let name = self.name();
                if !name.is_empty() && self.peek() == Some(b'[') {
                    self.skip_brackets()?;
                    if self.peek() == Some(b'<') {
                        while self.peek().is_some_and(|b| b != b'>') {
                            self.pos += 1;
                        }
                        self.expect(b'>', "end of a partial range")?;
                    }
                    return Ok(Value::Atom(&self.input[start..self.pos]));
                }
                self.pos = start;
                Ok(Value::Atom(self.atom(false)?))
            }
            None => Err(self.error("value")),
        }
    }

    /// A parenthesized list of values.
    pub fn list(&mut self, depth_left: usize) -> ParseResult<Vec<Value<'a>>> {
        let Some(depth_left) = depth_left.checked_sub(1) else {
            return Err(self.error("shallower nesting"));
        };
        self.expect(b'(', "list")?;
        let mut items = Vec::new();
        loop {
            self.skip_spaces();
            if self.eat(b')') {
                return Ok(items);
            }
            if self.at_line_end() {
                return Err(self.error("closing parenthesis"));
            }
            items.push(self.value(depth_left)?);
        }
    }

    /// Skips `[...]`, honouring quoted strings and nested brackets.
    pub fn skip_brackets(&mut self) -> ParseResult<&'a [u8]> {
        self.expect(b'[', "section")?;
        let start = self.pos;
        let mut depth = 1usize;
        while let Some(byte) = self.peek() {
            match byte {
                b'"' => {
                    self.quoted()?;
                    continue;
                }
                b'[' => depth += 1,
                b']' => {
                    depth -= 1;
                    if depth == 0 {
                        let inner = &self.input[start..self.pos];
                        self.pos += 1;
                        return Ok(inner);
                    }
                }
                b'\r' | b'\n' => break,
                _ => {}
            }
            self.pos += 1;
        }
        Err(self.error("closing bracket"))
    }
}

fn parse_digits(digits: &[u8]) -> Option<u64> {
    digits
        .iter()
        .try_fold(0u64, |acc, &d| acc.checked_mul(10)?.checked_add(u64::from(d - b'0')))
}

/// Removes quoted-string escapes; unknown escapes keep their backslash.
fn unescape(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut index = 0;
    while let Some(&byte) = raw.get(index) {
        if byte == b'\\' {
            match raw.get(index + 1) {
                Some(&next @ (b'\\' | b'"')) => {
                    out.push(next);
                    index += 2;
                    continue;
                }
                _ => out.push(byte),
            }
        } else {
            out.push(byte);
        }
        index += 1;
    }
    out
}

/// `(\Seen $Label [bracketed]kw ...)`: flags are atoms in which `]` is allowed.
pub(crate) fn flag_list(cursor: &mut Cursor<'_>) -> ParseResult<Vec<String>> {
    cursor.expect(b'(', "flag list")?;
    let mut flags = Vec::new();
    loop {
        cursor.skip_spaces();
        if cursor.eat(b')') {
            return Ok(flags);
        }
        let flag = cursor.astring()?;
        flags.push(String::from_utf8_lossy(&flag).into_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_strings_come_back_unescaped() {
        // imap-proto returns `a\"b` here; Gmail's "\\Sent" label must read `\Sent`.
        assert_eq!(Cursor::new(br#""a\"b""#).string().unwrap().as_ref(), b"a\"b");
        assert_eq!(Cursor::new(br#""\\Sent""#).string().unwrap().as_ref(), b"\\Sent");
        assert_eq!(Cursor::new(br#""""#).string().unwrap().as_ref(), b"");
    }

    #[test]
    fn unescaped_quotes_inside_a_string_are_recovered() {
        let mut cursor = Cursor::new(br#""""" NIL"#);
        assert_eq!(cursor.string().unwrap().as_ref(), b"\"\"");
        cursor.skip_spaces();
        assert!(cursor.eat_keyword(b"NIL"));
    }

    #[test]
    fn literals_are_bounded_by_the_input() {
        let mut cursor = Cursor::new(b"{5}\r\nab");
        assert_eq!(
            cursor.string().unwrap_err().expected,
            "literal data as long as announced"
        );
        let mut cursor = Cursor::new(b"{99999999999999999999}\r\n");
        assert!(cursor.string().is_err());
        assert_eq!(
            Cursor::new(b"~{3}\r\n\x00\x01\x02").string().unwrap().as_ref(),
            b"\x00\x01\x02"
        );
    }

    #[test]
    fn nesting_is_capped_without_recursion_overflow() {
        let deep = format!("{}{}", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(
            Cursor::new(deep.as_bytes()).value(MAX_DEPTH).unwrap_err().expected,
            "shallower nesting"
        );
        let fine = format!("{}{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(Cursor::new(fine.as_bytes()).value(MAX_DEPTH).is_ok());
    }

    #[test]
    fn numbers_tolerate_floats_and_negatives() {
        assert_eq!(Value::Atom(b"1.86931e+06").to_number(), Some(1_869_310));
        assert_eq!(Value::Atom(b"-1").to_number(), Some(0));
        assert_eq!(Value::Atom(b"NaN").to_number(), None);
        assert_eq!(Value::Atom(b"abc").to_number(), None);
    }

    #[test]
    fn sections_stay_one_token() {
        let mut cursor = Cursor::new(b"BODY[HEADER.FIELDS (SUBJECT \"X]\")]<10> ");
        assert_eq!(
            cursor.value(MAX_DEPTH).unwrap(),
            Value::Atom(b"BODY[HEADER.FIELDS (SUBJECT \"X]\")]<10>")
        );
    }
}
