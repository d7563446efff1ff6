//! Response grammar: status responses, codes and untagged data.

use super::fetch::{fetch_prefix, parse_fetch};
use super::lexer::{Cursor, MAX_DEPTH, ParseError, ParseResult, Value, flag_list};
use super::types::{Code, Data, ESearch, ListEntry, Namespace, Response, SequenceSet, Status, StatusKind, ThreadNode};

/// How much of a FETCH response the parser reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchDetail {
    /// Every attribute, ENVELOPE and BODYSTRUCTURE built.
    Full,
    /// The response's bytes kept in [`super::types::Fetch::raw`], and where it
    /// starts `* n FETCH (UID m` nothing more read: a cache filling at wire
    /// speed decodes a row only when it is shown.
    Deferred,
}

/// Parses one complete response (as framed by [`super::framer::Framer`]).
pub fn parse_response(input: &[u8]) -> ParseResult<Response> {
    parse_response_with(input, FetchDetail::Full)
}

/// [`parse_response`], reading FETCH responses to the given detail.
pub fn parse_response_with(input: &[u8], detail: FetchDetail) -> ParseResult<Response> {
    if detail == FetchDetail::Deferred {
        if let Some(fetch) = fetch_prefix(input) {
            return Ok(Response::Data(Data::Fetch(Box::new(fetch))));
        }
    }
    match parse_strict(input) {
        Ok(Response::Data(Data::Fetch(mut fetch))) if detail == FetchDetail::Deferred => {
            fetch.raw = Some(input.to_vec());
            Ok(Response::Data(Data::Fetch(fetch)))
        }
        Ok(response) => Ok(response),
        Err(error) => recover_bye(input).ok_or(error),
    }
}

fn parse_strict(input: &[u8]) -> ParseResult<Response> {
    let mut cursor = Cursor::new(input);
    let response = match cursor.peek() {
        Some(b'+') => {
            cursor.eat(b'+');
            cursor.skip_spaces();
            let (code, text) = resp_text(&mut cursor)?;
            Response::Continue {
                code,
                text: text.to_vec(),
            }
        }
        Some(b'*') => {
            cursor.eat(b'*');
            cursor.skip_spaces();
            untagged(&mut cursor)?
        }
        Some(_) => {
            let tag = cursor.atom(true)?;
            if tag.contains(&b'*') || tag.contains(&b'+') {
                return Err(ParseError {
                    offset: 0,
                    expected: "a tag",
                });
            }
            cursor.skip_spaces();
            let kind = status_kind(&mut cursor).ok_or_else(|| cursor.error("OK, NO or BAD"))?;
            let (code, text) = resp_text(&mut cursor)?;
            Response::Status(Status {
                tag: Some(String::from_utf8_lossy(tag).into_owned()),
                kind,
                code,
                text: String::from_utf8_lossy(text).into_owned(),
            })
        }
        None => return Err(cursor.error("a response")),
    };
    cursor.line_end()?;
    Ok(response)
}

/// Text glued in front of `* BYE` (an anti-spam gateway does this) still means goodbye.
fn recover_bye(input: &[u8]) -> Option<Response> {
    let start = input
        .windows(6)
        .position(|window| window.eq_ignore_ascii_case(b"* BYE "))?;
    (start > 0).then(|| parse_strict(&input[start..]).ok()).flatten()
}

fn status_kind(cursor: &mut Cursor<'_>) -> Option<StatusKind> {
    for (keyword, kind) in [
        (&b"OK"[..], StatusKind::Ok),
        (b"NO", StatusKind::No),
        (b"BAD", StatusKind::Bad),
        (b"BYE", StatusKind::Bye),
        (b"PREAUTH", StatusKind::Preauth),
    ] {
        if cursor.eat_keyword(keyword) {
            return Some(kind);
        }
    }
    None
}

/// `[code] text`, both optional (servers omit the text after a code).
fn resp_text<'a>(cursor: &mut Cursor<'a>) -> ParseResult<(Option<Code>, &'a [u8])> {
    cursor.skip_spaces();
    let code = if cursor.peek() == Some(b'[') {
        Some(code(cursor)?)
    } else {
        None
    };
    cursor.skip_spaces();
    Ok((code, cursor.text()))
}

fn code(cursor: &mut Cursor<'_>) -> ParseResult<Code> {
    let mut attempt = cursor.clone();
    if let Ok(code) = typed_code(&mut attempt) {
        *cursor = attempt;
        return Ok(code);
    }
    // An unknown or malformed code keeps its name and raw argument text.
    let inner = cursor.skip_brackets()?;
    let name_end = inner.iter().position(|&b| b == b' ').unwrap_or(inner.len());
    let argument = inner.get(name_end + 1..).filter(|rest| !rest.is_empty());
    Ok(Code::Other(
        String::from_utf8_lossy(&inner[..name_end]).to_ascii_uppercase(),
        argument.map(|text| String::from_utf8_lossy(text).into_owned()),
    ))
}

fn typed_code(cursor: &mut Cursor<'_>) -> ParseResult<Code> {
    cursor.expect(b'[', "response code")?;
    let name = cursor.atom(true)?.to_ascii_uppercase();
    cursor.skip_spaces();
    let code = match name.as_slice() {
        b"ALERT" => Code::Alert,
        b"PARSE" => Code::Parse,
        b"READ-ONLY" => Code::ReadOnly,
        b"READ-WRITE" => Code::ReadWrite,
        b"TRYCREATE" => Code::TryCreate,
        b"NOMODSEQ" => Code::NoModseq,
        b"UIDNOTSTICKY" => Code::UidNotSticky,
        b"CLOSED" => Code::Closed,
        b"UIDNEXT" => Code::UidNext(cursor.number()?),
        b"UIDVALIDITY" => Code::UidValidity(cursor.number()?),
        b"UNSEEN" => Code::Unseen(cursor.number()?),
        b"HIGHESTMODSEQ" => Code::HighestModseq(cursor.number64()?),
        b"MODIFIED" => Code::Modified(sequence_set(cursor)?),
        b"APPENDUID" => {
            let validity = cursor.number()?;
            cursor.skip_spaces();
            Code::AppendUid(validity, sequence_set(cursor)?)
        }
        b"COPYUID" => {
            let validity = cursor.number()?;
            cursor.skip_spaces();
            let source = sequence_set(cursor)?;
            cursor.skip_spaces();
            Code::CopyUid(validity, source, sequence_set(cursor)?)
        }
        b"CAPABILITY" => {
            let mut capabilities = Vec::new();
            while cursor.peek() != Some(b']') && !cursor.at_line_end() {
                capabilities.push(String::from_utf8_lossy(cursor.atom(true)?).into_owned());
                cursor.skip_spaces();
            }
            Code::Capability(capabilities)
        }
        b"PERMANENTFLAGS" => Code::PermanentFlags(flag_list(cursor)?),
        b"BADCHARSET" => {
            let charsets = if cursor.peek() == Some(b'(') {
                cursor.list(2)?.iter().filter_map(value_text).collect()
            } else {
                Vec::new()
            };
            Code::BadCharset(charsets)
        }
        _ => return Err(cursor.error("known response code")),
    };
    cursor.skip_spaces();
    cursor.expect(b']', "end of response code")?;
    Ok(code)
}

fn value_text(value: &Value<'_>) -> Option<String> {
    value.bytes().map(|bytes| String::from_utf8_lossy(bytes).into_owned())
}

/// `1:5,7,9:*`.
pub(crate) fn sequence_set(cursor: &mut Cursor<'_>) -> ParseResult<SequenceSet> {
    let mut ranges = Vec::new();
    loop {
        let start = seq_number(cursor)?;
        let end = if cursor.eat(b':') { seq_number(cursor)? } else { start };
        ranges.push((start, end));
        if !cursor.eat(b',') {
            return Ok(SequenceSet(ranges));
        }
    }
}

fn seq_number(cursor: &mut Cursor<'_>) -> ParseResult<u32> {
    if cursor.eat(b'*') {
        Ok(u32::MAX)
    } else {
        cursor.number()
    }
}

fn untagged(cursor: &mut Cursor<'_>) -> ParseResult<Response> {
    if cursor.peek().is_some_and(|b| b.is_ascii_digit()) {
        let number = cursor.number()?;
        cursor.skip_spaces();
        let keyword = cursor.atom(true)?.to_ascii_uppercase();
        let data = match keyword.as_slice() {
            b"EXISTS" => Data::Exists(number),
            b"RECENT" => Data::Recent(number),
            b"EXPUNGE" => Data::Expunge(number),
            b"FETCH" => {
                cursor.skip_spaces();
                Data::Fetch(Box::new(parse_fetch(cursor, number)?))
            }
            _ => return Err(cursor.error("EXISTS, RECENT, EXPUNGE or FETCH")),
        };
        return Ok(Response::Data(data));
    }
    if let Some(kind) = status_kind(cursor) {
        let (code, text) = resp_text(cursor)?;
        return Ok(Response::Status(Status {
            tag: None,
            kind,
            code,
            text: String::from_utf8_lossy(text).into_owned(),
        }));
    }
    let keyword = cursor.atom(true)?.to_ascii_uppercase();
    cursor.skip_spaces();
    let data = match keyword.as_slice() {
        b"CAPABILITY" => Data::Capability(atoms(cursor)?),
        b"ENABLED" => Data::Enabled(atoms(cursor)?),
        b"FLAGS" => Data::Flags(flag_list(cursor)?),
        b"LIST" | b"XLIST" => Data::List(list_entry(cursor)?),
        b"LSUB" => Data::Lsub(list_entry(cursor)?),
        b"STATUS" => status(cursor)?,
        b"SEARCH" => search(cursor)?,
        b"SORT" => Data::Sort(numbers(cursor)?),
        b"ESEARCH" => Data::ESearch(esearch(cursor)?),
        b"THREAD" => Data::Thread(threads(cursor)?),
        b"VANISHED" => {
            let earlier = if cursor.peek() == Some(b'(') {
                let flags = cursor.list(2)?;
                flags.iter().any(|flag| flag.to_lower() == "earlier")
            } else {
                false
            };
            cursor.skip_spaces();
            Data::Vanished {
                earlier,
                uids: sequence_set(cursor)?,
            }
        }
        b"NAMESPACE" => namespace(cursor)?,
        b"ID" => id(cursor)?,
        b"METADATA" => metadata(cursor)?,
        _ => {
            // Unknown data (QUOTA, ACL...): keep the name, skip the rest.
            cursor.text();
            Data::Other(String::from_utf8_lossy(&keyword).into_owned())
        }
    };
    Ok(Response::Data(data))
}

fn atoms(cursor: &mut Cursor<'_>) -> ParseResult<Vec<String>> {
    let mut out = Vec::new();
    while !cursor.at_line_end() {
        out.push(String::from_utf8_lossy(cursor.atom(false)?).into_owned());
        cursor.skip_spaces();
    }
    Ok(out)
}

fn numbers(cursor: &mut Cursor<'_>) -> ParseResult<Vec<u32>> {
    let mut out = Vec::new();
    while cursor.peek().is_some_and(|b| b.is_ascii_digit()) {
        out.push(cursor.number()?);
        cursor.skip_spaces();
    }
    Ok(out)
}

fn search(cursor: &mut Cursor<'_>) -> ParseResult<Data> {
    let ids = numbers(cursor)?;
    let modseq = if cursor.peek() == Some(b'(') {
        let items = cursor.list(2)?;
        items.get(1).and_then(Value::to_number)
    } else {
        None
    };
    Ok(Data::Search(ids, modseq))
}

/// A LIST name: an astring, where the atom `NIL` is the mailbox named "NIL".
fn mailbox_name(cursor: &mut Cursor<'_>) -> ParseResult<Vec<u8>> {
    cursor.astring().map(|name| name.into_owned())
}

fn delimiter(cursor: &mut Cursor<'_>) -> ParseResult<Option<char>> {
    Ok(cursor.nstring()?.and_then(|text| text.first().map(|&b| char::from(b))))
}

fn list_entry(cursor: &mut Cursor<'_>) -> ParseResult<ListEntry> {
    let attributes = flag_list(cursor)?;
    cursor.skip_spaces();
    let delimiter = delimiter(cursor)?;
    cursor.skip_spaces();
    let raw_name = mailbox_name(cursor)?;
    cursor.skip_spaces();
    let mut child_info = Vec::new();
    let mut old_name = None;
    if cursor.peek() == Some(b'(') {
        // LIST-EXTENDED data: ("CHILDINFO" ("SUBSCRIBED") "OLDNAME" ("old"))
        let extended = cursor.list(MAX_DEPTH)?;
        for pair in extended.chunks(2) {
            let (Some(key), Some(value)) = (pair.first(), pair.get(1)) else {
                continue;
            };
            match key.to_lower().as_str() {
                "childinfo" => child_info.extend(value.items().iter().filter_map(value_text)),
                "oldname" => old_name = value.items().first().and_then(Value::to_nstring),
                _ => {}
            }
        }
    }
    Ok(ListEntry {
        attributes,
        delimiter,
        raw_name,
        child_info,
        old_name,
    })
}

fn status(cursor: &mut Cursor<'_>) -> ParseResult<Data> {
    let raw_name = mailbox_name(cursor)?;
    cursor.skip_spaces();
    let values = cursor.list(2)?;
    let items = values
        .chunks(2)
        .filter_map(|pair| {
            let name = pair.first()?.to_lower().to_ascii_uppercase();
            Some((name, pair.get(1)?.to_number()?))
        })
        .collect();
    Ok(Data::Status { raw_name, items })
}

fn esearch(cursor: &mut Cursor<'_>) -> ParseResult<ESearch> {
    let mut result = ESearch::default();
    if cursor.peek() == Some(b'(') {
        let correlator = cursor.list(2)?;
        if correlator.first().is_some_and(|key| key.to_lower() == "tag") {
            result.tag = correlator.get(1).and_then(value_text);
        }
        cursor.skip_spaces();
    }
    while !cursor.at_line_end() {
        let key = cursor.atom(false)?.to_ascii_uppercase();
        cursor.skip_spaces();
        match key.as_slice() {
            b"UID" => {
                result.uid = true;
                continue;
            }
            b"MIN" => result.min = Some(cursor.number()?),
            b"MAX" => result.max = Some(cursor.number()?),
            b"COUNT" => result.count = Some(cursor.number()?),
            b"ALL" => result.all = Some(sequence_set(cursor)?),
            b"MODSEQ" => result.modseq = Some(cursor.number64()?),
            _ => {
                cursor.value(MAX_DEPTH)?;
            }
        }
        cursor.skip_spaces();
    }
    Ok(result)
}

fn threads(cursor: &mut Cursor<'_>) -> ParseResult<Vec<ThreadNode>> {
    let mut roots = Vec::new();
    while cursor.peek() == Some(b'(') {
        let list = cursor.list(MAX_DEPTH)?;
        roots.extend(thread_chain(&list));
        cursor.skip_spaces();
    }
    Ok(roots)
}

/// `(1 2 (3)(4 5))`: numbers form a chain of replies; sub-lists branch from the last one.
/// A list that starts with sub-lists has no known root: its branches are siblings.
fn thread_chain(items: &[Value<'_>]) -> Vec<ThreadNode> {
    let numbers: Vec<u32> = items
        .iter()
        .map_while(|item| item.to_number().and_then(|n| u32::try_from(n).ok()))
        .collect();
    let branches: Vec<ThreadNode> = items[numbers.len()..]
        .iter()
        .flat_map(|branch| thread_chain(branch.items()))
        .collect();
    let Some((&first, rest)) = numbers.split_first() else {
        return branches;
    };
    // Build the chain from its end: each message's only child is the next one.
    let mut tail_children = branches;
    for &id in rest.iter().rev() {
        tail_children = vec![ThreadNode {
            id: Some(id),
            children: tail_children,
        }];
    }
    vec![ThreadNode {
        id: Some(first),
        children: tail_children,
    }]
}

fn namespace(cursor: &mut Cursor<'_>) -> ParseResult<Data> {
    let mut groups: [Vec<Namespace>; 3] = Default::default();
    for group in &mut groups {
        cursor.skip_spaces();
        if cursor.eat_keyword(b"NIL") {
            continue;
        }
        for entry in cursor.list(MAX_DEPTH)? {
            let items = entry.items();
            group.push(Namespace {
                prefix: items.first().and_then(Value::to_nstring).unwrap_or_default(),
                delimiter: items
                    .get(1)
                    .and_then(Value::bytes)
                    .and_then(|bytes| bytes.first())
                    .map(|&b| char::from(b)),
            });
        }
    }
    Ok(Data::Namespace(groups))
}

fn id(cursor: &mut Cursor<'_>) -> ParseResult<Data> {
    if cursor.eat_keyword(b"NIL") {
        return Ok(Data::Id(None));
    }
    let items = cursor.list(2)?;
    let fields = items
        .chunks(2)
        .filter_map(|pair| Some((value_text(pair.first()?)?, pair.get(1).and_then(value_text))))
        .collect();
    Ok(Data::Id(Some(fields)))
}

/// `mailbox (entry value ...)`, or `mailbox entry ...` when unsolicited (RFC 5464 4.4).
fn metadata(cursor: &mut Cursor<'_>) -> ParseResult<Data> {
    let raw_name = cursor.astring()?.into_owned();
    cursor.skip_spaces();
    let mut entries = Vec::new();
    if cursor.peek() == Some(b'(') {
        let items = cursor.list(2)?;
        for pair in items.chunks(2) {
            let Some(name) = pair.first().and_then(value_text) else {
                continue;
            };
            entries.push((name, pair.get(1).and_then(Value::to_nstring)));
        }
    } else {
        while !cursor.at_line_end() {
            entries.push((String::from_utf8_lossy(&cursor.astring()?).into_owned(), None));
            cursor.skip_spaces();
        }
    }
    Ok(Data::Metadata { raw_name, entries })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Response {
        parse_response(text.as_bytes()).unwrap_or_else(|error| panic!("{text}: {error}"))
    }

    #[test]
    fn status_responses_with_and_without_codes() {
        assert_eq!(
            parse("a1 OK [READ-WRITE] SELECT completed\r\n"),
            Response::Status(Status {
                tag: Some("a1".into()),
                kind: StatusKind::Ok,
                code: Some(Code::ReadWrite),
                text: "SELECT completed".into()
            })
        );
        assert!(matches!(
            parse("* OK [UNSEEN 27]\r\n"),
            Response::Status(Status {
                code: Some(Code::Unseen(27)),
                ..
            })
        ));
        assert!(matches!(
            parse("* OK [MYRIGHTS \"acdilrsw\"] ACL\r\n"),
            Response::Status(Status { code: Some(Code::Other(name, Some(_))), .. }) if name == "MYRIGHTS"
        ));
        assert!(matches!(
            parse("a2 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n"),
            Response::Status(Status {
                code: Some(Code::CopyUid(38505, _, _)),
                ..
            })
        ));
    }

    #[test]
    fn permanent_flags_with_a_bracket_keyword() {
        let Response::Status(status) = parse("* OK [PERMANENTFLAGS (\\Seen [css3-page] \\*)] Flags permitted.\r\n")
        else {
            panic!()
        };
        assert_eq!(
            status.code,
            Some(Code::PermanentFlags(vec![
                "\\Seen".into(),
                "[css3-page]".into(),
                "\\*".into()
            ]))
        );
        assert_eq!(status.text, "Flags permitted.");
    }

    #[test]
    fn continuation_forms() {
        assert_eq!(
            parse("+\r\n"),
            Response::Continue {
                code: None,
                text: vec![]
            }
        );
        assert_eq!(
            parse("+ \r\n"),
            Response::Continue {
                code: None,
                text: vec![]
            }
        );
        assert_eq!(
            parse("+ YWJj\r\n"),
            Response::Continue {
                code: None,
                text: b"YWJj".to_vec()
            }
        );
    }

    #[test]
    fn namespace_esearch_thread_and_id() {
        assert_eq!(
            parse("* NAMESPACE ((\"\" NIL)) NIL ((\"#shared/\" \"/\"))\r\n"),
            Response::Data(Data::Namespace([
                vec![Namespace {
                    prefix: vec![],
                    delimiter: None
                }],
                vec![],
                vec![Namespace {
                    prefix: b"#shared/".to_vec(),
                    delimiter: Some('/')
                }],
            ]))
        );
        let Response::Data(Data::ESearch(esearch)) =
            parse("* ESEARCH (TAG \"a5\") UID COUNT 3 ALL 4:5,9 MODSEQ 77\r\n")
        else {
            panic!()
        };
        assert_eq!(esearch.tag.as_deref(), Some("a5"));
        assert!(esearch.uid);
        assert_eq!(esearch.all.unwrap().iter().collect::<Vec<_>>(), vec![4, 5, 9]);
        let Response::Data(Data::Thread(roots)) = parse("* THREAD (2)(3 6 (4 23)(44 7 96))\r\n") else {
            panic!()
        };
        assert_eq!(roots.len(), 2);
        let six = &roots[1].children[0];
        assert_eq!(six.id, Some(6));
        assert_eq!(six.children.len(), 2);
        assert_eq!(six.children[1].children[0].id, Some(7));
        assert!(
            matches!(parse("* ID (\"name\" \"Dovecot\" \"version\" NIL)\r\n"), Response::Data(Data::Id(Some(f))) if f.len() == 2)
        );
        // A partial ID is a framing matter; a complete one with NIL parses.
        assert_eq!(parse("* ID NIL\r\n"), Response::Data(Data::Id(None)));
    }

    #[test]
    fn metadata_with_values_and_unsolicited() {
        assert_eq!(
            parse("* METADATA \"\" (/private/vendor/x {5}\r\nhello /shared/comment NIL)\r\n"),
            Response::Data(Data::Metadata {
                raw_name: Vec::new(),
                entries: vec![
                    ("/private/vendor/x".into(), Some(b"hello".to_vec())),
                    ("/shared/comment".into(), None)
                ],
            })
        );
        assert_eq!(
            parse("* METADATA INBOX /shared/comment /private/comment\r\n"),
            Response::Data(Data::Metadata {
                raw_name: b"INBOX".to_vec(),
                entries: vec![("/shared/comment".into(), None), ("/private/comment".into(), None)],
            })
        );
    }

    #[test]
    fn list_extended_and_odd_names() {
        let Response::Data(Data::List(entry)) =
            parse("* LIST (\\Subscribed) \"/\" \"Foo\" (\"CHILDINFO\" (\"SUBSCRIBED\") \"OLDNAME\" (\"Bar\"))\r\n")
        else {
            panic!()
        };
        assert_eq!(entry.child_info, vec!["SUBSCRIBED"]);
        assert_eq!(entry.old_name.as_deref(), Some(&b"Bar"[..]));
        let Response::Data(Data::List(entry)) = parse("* LIST (\\HasNoChildren) \"/\" NIL\r\n") else {
            panic!()
        };
        assert_eq!(entry.raw_name, b"NIL");
        let Response::Data(Data::List(entry)) = parse("* LIST (\\UnMarked) \".\" INBOX.[Airmail].Snooze\r\n") else {
            panic!()
        };
        assert_eq!(entry.raw_name, b"INBOX.[Airmail].Snooze");
        let Response::Data(Data::List(entry)) = parse("* LIST () NIL \"INBOX\"\r\n") else {
            panic!()
        };
        assert_eq!(entry.delimiter, None);
        // Raw UTF-8 names (UTF8=ACCEPT) stay bytes.
        let Response::Data(Data::List(entry)) = parse("* LIST () \"/\" \"Büro\"\r\n") else {
            panic!()
        };
        assert_eq!(entry.raw_name, "Büro".as_bytes());
    }

    #[test]
    fn garbage_before_bye_is_still_a_bye() {
        let response = parse("Your IP is blocked, contact support* BYE IMAP4rev1 Server logging out\r\n");
        assert!(matches!(
            response,
            Response::Status(Status {
                kind: StatusKind::Bye,
                ..
            })
        ));
    }

    #[test]
    fn not_imap_is_an_error() {
        assert!(parse_response(b"220 mail.somehost.net ESMTP NO UCE\r\n").is_err());
        assert!(parse_response(b"\r\n").is_err());
    }
}
