//! `FETCH` attributes, with ENVELOPE and BODYSTRUCTURE read from a token tree.
//!
//! Envelopes and body structures are where servers go wrong most (NIL where a
//! string belongs, floats for sizes, a disposition sent as a bare string, parts
//! missing fields). Tokens are read first, then interpreted field by field with
//! defaults, so one odd field costs that field, not the whole response.

use super::lexer::{Cursor, MAX_DEPTH, ParseResult, Value};
use super::parse::flag_list;
use super::types::{Address, BodyStructure, Disposition, Envelope, Fetch, PartFields, Section};

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
        (b"ENVELOPE", None) => fetch.envelope = Some(Box::new(envelope(&cursor.value(MAX_DEPTH)?))),
        (b"BODY" | b"BODYSTRUCTURE", None) => {
            fetch.body_structure = Some(Box::new(body(&cursor.value(MAX_DEPTH)?)));
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

fn params(value: Option<&Value<'_>>) -> Vec<(String, Vec<u8>)> {
    value
        .map(Value::items)
        .unwrap_or_default()
        .chunks(2)
        .filter_map(|pair| {
            let name = pair.first()?.to_lower();
            // mail.ru sends ("boundary" NIL): keep the parameter with an empty value.
            let value = pair.get(1).and_then(Value::to_nstring).unwrap_or_default();
            (!name.is_empty()).then_some((name, value))
        })
        .collect()
}

fn disposition(value: Option<&Value<'_>>) -> Option<Disposition> {
    match value? {
        Value::List(items) => Some(Disposition {
            kind: items.first()?.to_lower(),
            params: params(items.get(1)),
        }),
        // Exchange sends the disposition type as a bare string.
        Value::Str(_) | Value::Atom(_) => Some(Disposition {
            kind: value?.to_lower(),
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
            subtype: rest.first().map(Value::to_lower).unwrap_or_default(),
            params: params(rest.get(1)),
            disposition: disposition(rest.get(2)),
        };
    }
    let media_type = items.first().map(Value::to_lower).unwrap_or_default();
    let subtype = items.get(1).map(Value::to_lower).unwrap_or_default();
    let fields = PartFields {
        params: params(items.get(2)),
        id: items.get(3).and_then(Value::to_nstring),
        description: items.get(4).and_then(Value::to_nstring),
        // iCloud sends NIL here; 7bit is what a missing header means.
        encoding: items
            .get(5)
            .map(Value::to_lower)
            .filter(|encoding| !encoding.is_empty())
            .unwrap_or_else(|| "7bit".to_owned()),
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
    use crate::codec::parse::parse_response;
    use crate::codec::types::{Data, Response};

    fn fetch(text: &[u8]) -> Fetch {
        match parse_response(text) {
            Ok(Response::Data(Data::Fetch(fetch))) => *fetch,
            other => panic!("{other:?}"),
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
