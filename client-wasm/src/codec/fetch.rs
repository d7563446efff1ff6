//! `FETCH` attributes, with ENVELOPE and BODYSTRUCTURE read from a token tree.
//!
//! Envelopes and body structures are where servers go wrong most (NIL where a
//! string belongs, floats for sizes, a disposition sent as a bare string, parts
//! missing fields). Tokens are read first, then interpreted field by field with
//! defaults, so one odd field costs that field, not the whole response.

use super::lexer::{Cursor, MAX_DEPTH, ParseResult, Value, flag_list};
use super::types::{Address, BodyStructure, Disposition, Envelope, Fetch, PartFields, Section, Token, token};

/// `* n FETCH (UID m ...`, read no further: the sequence number and UID of a
/// response whose bytes are kept to be parsed when needed. `None` when the
/// response does not start so (then it is parsed whole).
pub(crate) fn fetch_prefix(input: &[u8]) -> Option<Fetch> {
    let mut cursor = Cursor::new(input);
    cursor.expect(b'*', "").ok()?;
    cursor.skip_spaces();
    let seq = cursor.number().ok()?;
    cursor.skip_spaces();
    if !cursor.eat_keyword(b"FETCH") {
        return None;
    }
    cursor.skip_spaces();
    cursor.expect(b'(', "").ok()?;
    if !cursor.eat_keyword(b"UID") {
        return None;
    }
    cursor.skip_spaces();
    let uid = cursor.number().ok()?;
    matches!(cursor.peek(), Some(b' ' | b')')).then(|| Fetch {
        seq,
        uid: Some(uid),
        raw: Some(input.to_vec()),
        ..Fetch::default()
    })
}

/// `(att value att value ...)` after `n FETCH`.
pub(crate) fn parse_fetch(cursor: &mut Cursor<'_>, seq: u32) -> ParseResult<Fetch> {
    let mut fetch = Fetch {
        seq,
        ..Fetch::default()
    };
    attributes(cursor, &mut fetch, 2)?;
    Ok(fetch)
}

fn attributes(cursor: &mut Cursor<'_>, fetch: &mut Fetch, nesting_left: usize) -> ParseResult<()> {
    cursor.expect(b'(', "FETCH attribute list")?;
    loop {
        cursor.skip_spaces();
        if cursor.eat(b')') {
            return Ok(());
        }
        if cursor.peek() == Some(b'(') {
            // Domino wraps attribute pairs in extra parentheses: `UID 1 (ENVELOPE (...))`.
            let Some(left) = nesting_left.checked_sub(1) else {
                return Err(cursor.error("FETCH attribute name"));
            };
            attributes(cursor, fetch, left)?;
            continue;
        }
        attribute(cursor, fetch)?;
    }
}

fn attribute(cursor: &mut Cursor<'_>, fetch: &mut Fetch) -> ParseResult<()> {
    let name = cursor.name().to_ascii_uppercase();
    if name.is_empty() {
        return Err(cursor.error("FETCH attribute name"));
    }
    let section = if cursor.peek() == Some(b'[') {
        Some(String::from_utf8_lossy(cursor.skip_brackets()?).to_ascii_uppercase())
    } else {
        None
    };
    let origin = if cursor.eat(b'<') {
        let origin = cursor.number64()?;
        cursor.expect(b'>', "end of partial origin")?;
        Some(origin)
    } else {
        None
    };
    cursor.skip_spaces();
    match (name.as_slice(), section) {
        (b"UID", None) => fetch.uid = Some(cursor.number()?),
        (b"FLAGS", None) => fetch.flags = Some(flag_list(cursor)?),
        (b"INTERNALDATE", None) => {
            fetch.internal_date = cursor
                .nstring()?
                .map(|date| String::from_utf8_lossy(&date).into_owned());
        }
        (b"RFC822.SIZE", None) => fetch.size = cursor.value(1)?.to_number(),
        (b"MODSEQ", None) => fetch.modseq = cursor.list(1)?.first().and_then(Value::to_number),
        (b"X-GM-MSGID", None) => fetch.gmail_msgid = cursor.value(1)?.to_number(),
        (b"X-GM-THRID", None) => fetch.gmail_thrid = cursor.value(1)?.to_number(),
        (b"X-GM-LABELS", None) => fetch.gmail_labels = Some(flag_list(cursor)?),
        (b"ENVELOPE", None) => {
            let envelope = fast_path(cursor, envelope_direct, envelope)?;
            fetch.envelope = Some(Box::new(envelope));
        }
        (b"BODY" | b"BODYSTRUCTURE", None) => {
            let structure = fast_path(cursor, |c| body_direct(c, MAX_DEPTH), body)?;
            fetch.body_structure = Some(Box::new(structure));
        }
        (b"PREVIEW" | b"SNIPPET", None) => {
            // RFC 8970 sends a string; the draft Dovecot also speaks sends (FUZZY "text").
            let value = cursor.value(2)?;
            fetch.preview = match &value {
                Value::List(items) => items.last().and_then(Value::to_nstring),
                other => other.to_nstring(),
            };
        }
        (b"RFC822", None) => push_section(fetch, cursor, "", false, None)?,
        (b"RFC822.HEADER", None) => push_section(fetch, cursor, "HEADER", false, None)?,
        (b"RFC822.TEXT", None) => push_section(fetch, cursor, "TEXT", false, None)?,
        (b"BODY", Some(section)) => push_section(fetch, cursor, &section, false, origin)?,
        (b"BINARY", Some(section)) => push_section(fetch, cursor, &section, true, origin)?,
        (b"BINARY.SIZE", Some(section)) => {
            if let Some(size) = cursor.value(1)?.to_number() {
                fetch.binary_sizes.push((section, size));
            }
        }
        (other, _) => {
            cursor.value(MAX_DEPTH)?;
            fetch.unknown.push(String::from_utf8_lossy(other).into_owned());
        }
    }
    Ok(())
}

/// Reads a well-formed value straight into its type; anything unusual is read again
/// as a token tree and interpreted leniently. Most responses take the fast path.
fn fast_path<T>(
    cursor: &mut Cursor<'_>,
    direct: impl FnOnce(&mut Cursor<'_>) -> ParseResult<T>,
    lenient: impl FnOnce(&Value<'_>) -> T,
) -> ParseResult<T> {
    let mut attempt = cursor.clone();
    if let Ok(value) = direct(&mut attempt) {
        if matches!(attempt.peek(), Some(b' ' | b')')) {
            *cursor = attempt;
            return Ok(value);
        }
    }
    Ok(lenient(&cursor.value(MAX_DEPTH)?))
}

fn owned(value: Option<std::borrow::Cow<'_, [u8]>>) -> Option<Vec<u8>> {
    value.map(std::borrow::Cow::into_owned)
}

/// `NIL` or `((name adl mailbox host) ...)`.
fn address_list_direct(cursor: &mut Cursor<'_>) -> ParseResult<Vec<Address>> {
    if cursor.eat_keyword(b"NIL") {
        return Ok(Vec::new());
    }
    cursor.expect(b'(', "address list")?;
    let mut list = Vec::new();
    loop {
        cursor.skip_spaces();
        if cursor.eat(b')') {
            return Ok(list);
        }
        cursor.expect(b'(', "address")?;
        let mut fields: [Option<Vec<u8>>; 4] = Default::default();
        for (index, field) in fields.iter_mut().enumerate() {
            if index > 0 {
                cursor.skip_spaces();
            }
            *field = owned(cursor.nstring()?);
        }
        cursor.skip_spaces();
        cursor.expect(b')', "end of address")?;
        let [name, adl, mailbox, host] = fields;
        list.push(Address {
            name,
            adl,
            mailbox,
            host,
        });
    }
}

/// The ten envelope fields, strictly in the RFC 3501 form.
fn envelope_direct(cursor: &mut Cursor<'_>) -> ParseResult<Envelope> {
    cursor.expect(b'(', "envelope")?;
    let date = owned(cursor.nstring()?);
    cursor.skip_spaces();
    let subject = owned(cursor.nstring()?);
    let mut lists: [Vec<Address>; 6] = Default::default();
    for list in &mut lists {
        cursor.skip_spaces();
        *list = address_list_direct(cursor)?;
    }
    cursor.skip_spaces();
    let in_reply_to = owned(cursor.nstring()?);
    cursor.skip_spaces();
    let message_id = owned(cursor.nstring()?);
    cursor.skip_spaces();
    cursor.expect(b')', "end of envelope")?;
    let [from, sender, reply_to, to, cc, bcc] = lists;
    Ok(Envelope {
        date,
        subject,
        from,
        sender,
        reply_to,
        to,
        cc,
        bcc,
        in_reply_to,
        message_id,
    })
}

/// A number that must end at a delimiter (`1.8e+06` is not a number here: the
/// lenient path reads it).
fn whole_number(cursor: &mut Cursor<'_>) -> ParseResult<u64> {
    let number = cursor.number64()?;
    if matches!(cursor.peek(), Some(b' ' | b')')) {
        Ok(number)
    } else {
        Err(cursor.error("a whole number"))
    }
}

/// A string that must be there, lower-cased (types, subtypes, encodings).
fn lower_string(cursor: &mut Cursor<'_>) -> ParseResult<Token> {
    Ok(token(&cursor.string()?))
}

/// `NIL` or `("name" "value" ...)`.
fn params_direct(cursor: &mut Cursor<'_>) -> ParseResult<Vec<(Token, Vec<u8>)>> {
    if cursor.eat_keyword(b"NIL") {
        return Ok(Vec::new());
    }
    cursor.expect(b'(', "parameter list")?;
    let mut params = Vec::new();
    loop {
        cursor.skip_spaces();
        if cursor.eat(b')') {
            return Ok(params);
        }
        let name = lower_string(cursor)?;
        cursor.skip_spaces();
        params.push((name, cursor.string()?.into_owned()));
    }
}

/// `NIL` or `("type" params)`.
fn disposition_direct(cursor: &mut Cursor<'_>) -> ParseResult<Option<Disposition>> {
    if cursor.eat_keyword(b"NIL") {
        return Ok(None);
    }
    cursor.expect(b'(', "disposition")?;
    let kind = lower_string(cursor)?;
    cursor.skip_spaces();
    let params = params_direct(cursor)?;
    cursor.skip_spaces();
    cursor.expect(b')', "end of disposition")?;
    Ok(Some(Disposition { kind, params }))
}

/// Skips any remaining extension values up to the closing parenthesis.
fn skip_to_close(cursor: &mut Cursor<'_>, depth_left: usize) -> ParseResult<()> {
    loop {
        cursor.skip_spaces();
        if cursor.eat(b')') {
            return Ok(());
        }
        cursor.value(depth_left)?;
    }
}

/// Extension data after the fixed fields: `md5`/params, disposition, then anything.
fn disposition_extension(cursor: &mut Cursor<'_>, depth_left: usize) -> ParseResult<Option<Disposition>> {
    cursor.skip_spaces();
    if cursor.eat(b')') {
        return Ok(None);
    }
    cursor.value(depth_left)?;
    cursor.skip_spaces();
    if cursor.eat(b')') {
        return Ok(None);
    }
    let disposition = disposition_direct(cursor)?;
    skip_to_close(cursor, depth_left)?;
    Ok(disposition)
}

/// A body structure in the RFC 3501 form.
fn body_direct(cursor: &mut Cursor<'_>, depth_left: usize) -> ParseResult<BodyStructure> {
    let Some(depth_left) = depth_left.checked_sub(1) else {
        return Err(cursor.error("shallower nesting"));
    };
    cursor.expect(b'(', "body structure")?;
    if cursor.peek() == Some(b'(') {
        let mut parts = Vec::new();
        while cursor.peek() == Some(b'(') {
            parts.push(body_direct(cursor, depth_left)?);
            cursor.skip_spaces();
        }
        let subtype = lower_string(cursor)?;
        cursor.skip_spaces();
        if cursor.eat(b')') {
            return Ok(BodyStructure::Multi {
                parts,
                subtype,
                params: Vec::new(),
                disposition: None,
            });
        }
        let params = params_direct(cursor)?;
        cursor.skip_spaces();
        let disposition = if cursor.eat(b')') {
            return Ok(BodyStructure::Multi {
                parts,
                subtype,
                params,
                disposition: None,
            });
        } else {
            disposition_direct(cursor)?
        };
        skip_to_close(cursor, depth_left)?;
        return Ok(BodyStructure::Multi {
            parts,
            subtype,
            params,
            disposition,
        });
    }
    let media_type = lower_string(cursor)?;
    cursor.skip_spaces();
    let subtype = lower_string(cursor)?;
    cursor.skip_spaces();
    let params = params_direct(cursor)?;
    cursor.skip_spaces();
    let id = owned(cursor.nstring()?);
    cursor.skip_spaces();
    let description = owned(cursor.nstring()?);
    cursor.skip_spaces();
    let encoding = lower_string(cursor)?;
    cursor.skip_spaces();
    let octets = whole_number(cursor)?;
    let fields = PartFields {
        params,
        id,
        description,
        encoding,
        octets,
    };
    let is_message = media_type == "message" && (subtype == "rfc822" || subtype == "global");
    let (lines, message) = if is_message {
        cursor.skip_spaces();
        let inner_envelope = envelope_direct(cursor)?;
        cursor.skip_spaces();
        let inner = body_direct(cursor, depth_left)?;
        cursor.skip_spaces();
        (Some(whole_number(cursor)?), Some(Box::new((inner_envelope, inner))))
    } else if media_type == "text" {
        cursor.skip_spaces();
        (Some(whole_number(cursor)?), None)
    } else {
        (None, None)
    };
    let disposition = disposition_extension(cursor, depth_left)?;
    Ok(BodyStructure::Single {
        media_type,
        subtype,
        fields,
        lines,
        message,
        disposition,
    })
}

fn push_section(
    fetch: &mut Fetch,
    cursor: &mut Cursor<'_>,
    section: &str,
    binary: bool,
    origin: Option<u64>,
) -> ParseResult<()> {
    let data = cursor.nstring()?.map(|data| data.into_owned());
    fetch.sections.push(Section {
        section: section.to_owned(),
        binary,
        origin,
        data,
    });
    Ok(())
}

fn addresses(value: Option<&Value<'_>>) -> Vec<Address> {
    value
        .map(Value::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|address| {
            let fields = address.items();
            if fields.is_empty() {
                return None;
            }
            let field = |index: usize| fields.get(index).and_then(Value::to_nstring);
            Some(Address {
                name: field(0),
                adl: field(1),
                mailbox: field(2),
                host: field(3),
            })
        })
        .collect()
}

/// Reads the ten envelope fields; missing or mistyped ones stay empty.
pub(crate) fn envelope(value: &Value<'_>) -> Envelope {
    let mut items = value.items();
    // A doubly parenthesized envelope: ((date subject ...)).
    if let [inner @ Value::List(_)] = items {
        items = inner.items();
    }
    let text = |index: usize| items.get(index).and_then(Value::to_nstring);
    Envelope {
        date: text(0),
        subject: text(1),
        from: addresses(items.get(2)),
        sender: addresses(items.get(3)),
        reply_to: addresses(items.get(4)),
        to: addresses(items.get(5)),
        cc: addresses(items.get(6)),
        bcc: addresses(items.get(7)),
        in_reply_to: text(8),
        message_id: text(9),
    }
}

fn params(value: Option<&Value<'_>>) -> Vec<(Token, Vec<u8>)> {
    value
        .map(Value::items)
        .unwrap_or_default()
        .chunks(2)
        .filter_map(|pair| {
            let name = pair.first()?.to_token();
            // mail.ru sends ("boundary" NIL): keep the parameter with an empty value.
            let value = pair.get(1).and_then(Value::to_nstring).unwrap_or_default();
            (!name.is_empty()).then_some((name, value))
        })
        .collect()
}

fn disposition(value: Option<&Value<'_>>) -> Option<Disposition> {
    match value? {
        Value::List(items) => Some(Disposition {
            kind: items.first()?.to_token(),
            params: params(items.get(1)),
        }),
        // Exchange sends the disposition type as a bare string.
        Value::Str(_) | Value::Atom(_) => Some(Disposition {
            kind: value?.to_token(),
            params: Vec::new(),
        }),
        Value::Nil => None,
    }
}

/// Reads a body structure; the tree is already depth-limited by the lexer.
pub(crate) fn body(value: &Value<'_>) -> BodyStructure {
    let items = value.items();
    let part_count = items.iter().take_while(|item| matches!(item, Value::List(_))).count();
    if part_count > 0 {
        let rest = &items[part_count..];
        return BodyStructure::Multi {
            parts: items[..part_count].iter().map(body).collect(),
            subtype: rest.first().map(Value::to_token).unwrap_or_default(),
            params: params(rest.get(1)),
            disposition: disposition(rest.get(2)),
        };
    }
    let media_type = items.first().map(Value::to_token).unwrap_or_default();
    let subtype = items.get(1).map(Value::to_token).unwrap_or_default();
    let fields = PartFields {
        params: params(items.get(2)),
        id: items.get(3).and_then(Value::to_nstring),
        description: items.get(4).and_then(Value::to_nstring),
        // iCloud sends NIL here; 7bit is what a missing header means.
        encoding: items
            .get(5)
            .map(Value::to_token)
            .filter(|encoding| !encoding.is_empty())
            .unwrap_or(Token::Borrowed("7bit")),
        octets: items.get(6).and_then(Value::to_number).unwrap_or(0),
    };
    let is_message = media_type == "message" && (subtype == "rfc822" || subtype == "global");
    let (lines, message, extension_start) = if is_message && matches!(items.get(7), Some(Value::List(_))) {
        let inner = items.get(8).map(body);
        let message = inner.map(|inner| Box::new((envelope(&items[7]), inner)));
        (items.get(9).and_then(Value::to_number), message, 10)
    } else if media_type == "text" {
        (items.get(7).and_then(Value::to_number), None, 8)
    } else {
        (None, None, 7)
    };
    // Extension data: md5, then disposition.
    BodyStructure::Single {
        media_type,
        subtype,
        fields,
        lines,
        message,
        disposition: disposition(items.get(extension_start + 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::parse::{FetchDetail, parse_response};
    use crate::codec::types::{Data, Response};

    fn fetch(text: &[u8]) -> Fetch {
        match parse_response(text) {
            Ok(Response::Data(Data::Fetch(fetch))) => *fetch,
            other => panic!("{other:?}"),
        }
    }

    /// A deferred read takes the UID and keeps the bytes, which read whole give
    /// the full response; one not starting with its UID is read whole at once.
    #[test]
    fn a_deferred_read_keeps_the_response_for_later() {
        let text: &[u8] = b"* 3 FETCH (UID 42 FLAGS (\\Seen) ENVELOPE (NIL {6}\r\nA (b)) NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ((\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1) \"mixed\") RFC822.SIZE 99)\r\n";
        let deferred = match crate::codec::parse::parse_response_with(text, FetchDetail::Deferred) {
            Ok(Response::Data(Data::Fetch(fetch))) => *fetch,
            other => panic!("{other:?}"),
        };
        assert_eq!((deferred.seq, deferred.uid), (3, Some(42)));
        assert!(deferred.envelope.is_none() && deferred.flags.is_none());
        assert_eq!(deferred.raw.as_deref(), Some(text));
        let whole = fetch(text);
        assert_eq!(
            whole.envelope.and_then(|envelope| envelope.subject),
            Some(b"A (b))".to_vec())
        );
        assert_eq!((whole.size, whole.raw), (Some(99), None));

        let flags_first: &[u8] = b"* 4 FETCH (FLAGS (\\Seen) UID 43)\r\n";
        match crate::codec::parse::parse_response_with(flags_first, FetchDetail::Deferred) {
            Ok(Response::Data(Data::Fetch(fetch))) => {
                assert_eq!((fetch.uid, fetch.flags), (Some(43), Some(vec!["\\Seen".to_owned()])));
                assert_eq!(fetch.raw.as_deref(), Some(flags_first));
            }
            other => panic!("{other:?}"),
        }
    }

    /// The strict fast path and the lenient token-tree path must agree wherever the fast path accepts.
    #[test]
    fn fast_and_lenient_paths_agree() {
        let samples: [&[u8]; 6] = [
            b"(\"Sun, 19 Nov 2023 11:08:36 +0000\" \"Hi \\\"you\\\"\" ((\"=?utf-8?Q?Zo=C3=AB?=\" NIL \"zoe\" \"example.se\")) NIL NIL ((NIL NIL \"a\" \"b\")(\"B\" NIL \"c\" \"d\")) NIL NIL \"<p@x>\" \"<m@x>\")",
            b"(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 10 1 NIL NIL NIL NIL)",
            b"((\"text\" \"plain\" NIL NIL NIL \"7bit\" 10 1)(\"image\" \"png\" (\"name\" \"a.png\") \"<c@x>\" NIL \"base64\" 300 NIL (\"inline\" (\"filename\" \"a.png\")) NIL NIL) \"related\" (\"boundary\" \"r\") NIL NIL NIL)",
            b"((\"text\" \"plain\" NIL NIL NIL \"7bit\" 10 1)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 300 (NIL \"s\" NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"html\" NIL NIL NIL \"base64\" 20 1) 9) \"mixed\")",
            b"(\"application\" \"pdf\" (\"name\" {5}\r\nA B.c) NIL \"des\\\"c\" \"base64\" 78 NIL (\"attachment\" (\"filename\" \"x\")) \"en\" \"loc\" (\"ext\" 1))",
            b"((\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)(\"text\" \"html\" NIL NIL NIL \"7bit\" 1 1) \"alternative\" NIL)",
        ];
        for (index, sample) in samples.iter().enumerate() {
            let mut text = sample.to_vec();
            text.push(b' ');
            let lenient = Cursor::new(&text).value(MAX_DEPTH).unwrap();
            if index == 0 {
                assert_eq!(envelope_direct(&mut Cursor::new(&text)).unwrap(), envelope(&lenient));
            } else {
                assert_eq!(
                    body_direct(&mut Cursor::new(&text), MAX_DEPTH).unwrap(),
                    body(&lenient),
                    "sample {index}"
                );
            }
        }
    }

    #[test]
    fn flags_uid_and_trailing_spaces() {
        let first = fetch(b"* 12 FETCH (FLAGS () UID 20)\r\n");
        assert_eq!(first.flags, Some(vec![]));
        assert_eq!(first.uid, Some(20));
        let spaced =
            fetch(b"* 11784 FETCH (UID 87567 INTERNALDATE \"06-May-2023 18:48:30 +0200\" RFC822.SIZE 5799845 )\r\n");
        assert_eq!(spaced.size, Some(5_799_845));
    }

    #[test]
    fn sections_with_literals_and_partials() {
        let parsed =
            fetch(b"* 4 FETCH (UID 71372 RFC822.HEADER  {17}\r\nSubject: test\r\n\r\n BODY[1]<100> {3}\r\nabc)\r\n");
        assert_eq!(parsed.sections[0].section, "HEADER");
        assert_eq!(parsed.sections[0].data.as_deref(), Some(&b"Subject: test\r\n\r\n"[..]));
        assert_eq!(parsed.sections[1].section, "1");
        assert_eq!(parsed.sections[1].origin, Some(100));
    }

    #[test]
    fn extra_parentheses_around_attributes() {
        let parsed = fetch(
            b"* 2 FETCH (UID 14935 (ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)) BODYSTRUCTURE (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 0 0 NIL))\r\n",
        );
        assert_eq!(parsed.uid, Some(14935));
        assert_eq!(parsed.envelope.unwrap().subject, None);
        assert!(
            matches!(*parsed.body_structure.unwrap(), BodyStructure::Single { ref media_type, .. } if media_type == "text")
        );
    }

    #[test]
    fn message_rfc822_parts_carry_their_inner_structure() {
        let parsed = fetch(b"* 1 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 10 1 NIL NIL NIL NIL)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 300 (\"date\" \"Inner\" NIL NIL NIL NIL NIL NIL NIL \"<i@x>\") (\"text\" \"html\" NIL NIL NIL \"base64\" 20 1 NIL NIL NIL NIL) 9 NIL (\"attachment\" (\"filename\" \"fwd.eml\")) NIL NIL) \"mixed\" (\"boundary\" \"b\") NIL NIL NIL))\r\n");
        let BodyStructure::Multi { parts, subtype, .. } = *parsed.body_structure.unwrap() else {
            panic!()
        };
        assert_eq!(subtype, "mixed");
        let BodyStructure::Single {
            message: Some(inner),
            disposition,
            lines,
            ..
        } = &parts[1]
        else {
            panic!()
        };
        assert_eq!(inner.0.subject.as_deref(), Some(&b"Inner"[..]));
        assert!(matches!(inner.1, BodyStructure::Single { ref subtype, .. } if subtype == "html"));
        assert_eq!(*lines, Some(9));
        assert_eq!(disposition.as_ref().unwrap().params[0].1, b"fwd.eml");
    }
}
