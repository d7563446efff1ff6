//! Header fields: RFC 2047 encoded words for non-ASCII text, quoted display
//! names, folded lines, the RFC 5322 date, RFC 2231 parameters, and the check
//! that nothing the user typed can start a new header line.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::{BuildError, Mailbox};

/// Folded lines aim at this many characters (RFC 5322 2.1.1).
const LINE: usize = 78;
/// An encoded word is at most 75 characters (RFC 2047 2).
const WORD: usize = 75;

/// Refuses a value with a line break or NUL: it would end the header field and
/// start another (header injection).
pub(crate) fn check(field: &str, value: &str) -> Result<(), BuildError> {
    if value.contains(['\r', '\n', '\0']) {
        return Err(BuildError::LineBreak(field.to_owned()));
    }
    Ok(())
}

/// `Name: value` for unstructured text (Subject, custom fields): ASCII folded at
/// spaces, anything else as encoded words.
pub(crate) fn unstructured(name: &str, value: &str) -> Result<String, BuildError> {
    check(name, value)?;
    let body = if value.is_ascii() {
        fold(name.len() + 2, value.split(' ').collect::<Vec<_>>(), " ")
    } else {
        encoded_words(value, name.len() + 2)
    };
    Ok(format!("{name}: {body}\r\n"))
}

/// `Name: a, b, c` for address fields, folded between addresses.
pub(crate) fn addresses(name: &str, list: &[Mailbox]) -> Result<String, BuildError> {
    let mut items = Vec::with_capacity(list.len());
    for mailbox in list {
        items.push(self::mailbox(name, mailbox)?);
    }
    let refs: Vec<&str> = items.iter().map(String::as_str).collect();
    Ok(format!("{name}: {}\r\n", fold(name.len() + 2, refs, ", ")))
}

/// One mailbox: `addr`, `Name <addr>`, `"Doe, John" <addr>` or `=?utf-8?...?= <addr>`.
pub(crate) fn mailbox(field: &str, mailbox: &Mailbox) -> Result<String, BuildError> {
    check(field, &mailbox.address)?;
    let address = &mailbox.address;
    let valid = address.matches('@').count() == 1
        && !address.starts_with('@')
        && !address.ends_with('@')
        && !address
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>,;\"()[]\\".contains(c));
    if !valid {
        return Err(BuildError::InvalidAddress(webmail_wire::printable(
            address.as_bytes(),
            80,
        )));
    }
    let name = mailbox.name.as_deref().map(str::trim).unwrap_or_default();
    check(field, name)?;
    if name.is_empty() {
        return Ok(address.clone());
    }
    let phrase = if !name.is_ascii() {
        encoded_words(name, field.len() + 2)
    } else if name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " !#$%&'*+-/=?^_`{|}~".contains(c))
    {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    };
    Ok(format!("{phrase} <{address}>"))
}

/// `Name: <id1> <id2>` for Message-ID lists (References), folded between ids.
pub(crate) fn ids(name: &str, ids: &[String]) -> Result<String, BuildError> {
    let mut wrapped = Vec::with_capacity(ids.len());
    for id in ids {
        check(name, id)?;
        let bare = id.trim().trim_start_matches('<').trim_end_matches('>');
        if bare.is_empty() || bare.contains(['<', '>', ' ']) {
            return Err(BuildError::InvalidMessageId(webmail_wire::printable(id.as_bytes(), 80)));
        }
        wrapped.push(format!("<{bare}>"));
    }
    let refs: Vec<&str> = wrapped.iter().map(String::as_str).collect();
    Ok(format!("{name}: {}\r\n", fold(name.len() + 2, refs, " ")))
}

/// Joins `items` with `separator`, starting a new line (CRLF and a space) before
/// an item that would pass [`LINE`]; `start` is the column of the first.
fn fold(start: usize, items: Vec<&str>, separator: &str) -> String {
    let mut out = String::new();
    let mut column = start;
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            let separator_end = separator.trim_end();
            if column + separator.len() + item.len() > LINE {
                out.push_str(separator_end);
                out.push_str("\r\n ");
                column = 1;
            } else {
                out.push_str(separator);
                column += separator.len();
            }
        }
        out.push_str(item);
        column += item.len();
    }
    out
}

/// RFC 2047 `B` words of UTF-8, each at most 75 characters and never splitting a
/// character, one per line after the first, so that no line with an encoded
/// word passes 76 characters (RFC 2047 2); `start` is the first word's column.
pub(crate) fn encoded_words(text: &str, start: usize) -> String {
    const OPEN: &str = "=?utf-8?B?";
    // Bytes of text a word of `room` characters carries: 4 base64 characters hold 3 bytes.
    let capacity = |room: usize| room.saturating_sub(OPEN.len() + 2) / 4 * 3;
    let mut per_word = capacity((WORD + 1).saturating_sub(start).min(WORD));
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        if !chunk.is_empty() && chunk.len() + c.len_utf8() > per_word {
            per_word = capacity(WORD);
            words.push(format!("{OPEN}{}?=", STANDARD.encode(&chunk)));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("{OPEN}{}?=", STANDARD.encode(&chunk)));
    }
    let refs: Vec<&str> = words.iter().map(String::as_str).collect();
    fold(start, refs, " ")
}

/// A MIME parameter: `name="value"` for short ASCII, else RFC 2231's
/// `name*=utf-8''percent-encoded` (split into `name*0*`, `name*1*`... when
/// long), which every current client reads.
pub(crate) fn parameter(name: &str, value: &str) -> String {
    let plain = value.is_ascii() && value.len() <= 60 && !value.chars().any(|c| c.is_control());
    if plain {
        return format!("{name}=\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""));
    }
    let mut encoded = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    let pieces = split_escapes(&encoded, 60);
    if pieces.len() == 1 {
        return format!("{name}*=utf-8''{encoded}");
    }
    pieces
        .iter()
        .enumerate()
        .map(|(index, piece)| {
            let charset = if index == 0 { "utf-8''" } else { "" };
            format!("{name}*{index}*={charset}{piece}")
        })
        .collect::<Vec<_>>()
        .join(";\r\n ")
}

/// Cuts percent-encoded text into pieces of about `size` without splitting an escape.
fn split_escapes(encoded: &str, size: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = encoded;
    while rest.len() > size {
        let mut cut = size;
        // Back up off an escape ("%", or one or two characters after it).
        while rest[..cut].ends_with('%') || rest[..cut].chars().rev().nth(1) == Some('%') {
            cut -= 1;
        }
        pieces.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    pieces.push(rest);
    pieces
}

/// The RFC 5322 date for `millis` since the Unix epoch, in the zone `offset_minutes` east of UTC.
pub(crate) fn date(millis: i64, offset_minutes: i32) -> String {
    let local = millis.div_euclid(1000) + i64::from(offset_minutes) * 60;
    let days = local.div_euclid(86_400);
    let seconds = local.rem_euclid(86_400);
    let (year, month, day) = webmail_wire::calendar::civil_from_days(days);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let offset = offset_minutes.unsigned_abs();
    format!(
        "{}, {day} {} {year} {:02}:{:02}:{:02} {sign}{:02}{:02}",
        WEEKDAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1) as usize],
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        offset / 60,
        offset % 60,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str, address: &str) -> Mailbox {
        Mailbox {
            name: Some(name.into()),
            address: address.into(),
        }
    }

    #[test]
    fn dates_follow_rfc_5322_in_the_senders_zone() {
        assert_eq!(date(0, 0), "Thu, 1 Jan 1970 00:00:00 +0000");
        assert_eq!(date(1_796_004_305_000, 60), "Mon, 30 Nov 2026 03:05:05 +0100");
        assert_eq!(date(951_782_400_000, -330), "Mon, 28 Feb 2000 18:30:00 -0530");
    }

    #[test]
    fn display_names_are_quoted_or_encoded() {
        assert_eq!(
            mailbox("To", &named("Bob", "bob@example.org")).unwrap(),
            "Bob <bob@example.org>"
        );
        assert_eq!(
            mailbox("To", &named("Doe, \"JD\" John", "jd@example.org")).unwrap(),
            "\"Doe, \\\"JD\\\" John\" <jd@example.org>"
        );
        assert_eq!(
            mailbox("To", &named("Jürgen", "j@example.de")).unwrap(),
            "=?utf-8?B?SsO8cmdlbg==?= <j@example.de>"
        );
    }

    #[test]
    fn nothing_typed_can_start_a_header_line() {
        assert_eq!(
            unstructured("Subject", "hi\r\nBcc: eve@example.org"),
            Err(BuildError::LineBreak("Subject".into()))
        );
        assert!(matches!(
            mailbox("To", &named("x\ny", "a@b")),
            Err(BuildError::LineBreak(_))
        ));
        assert!(matches!(
            mailbox("To", &named("x", "a@b>\r\nBcc: eve@example.org")),
            Err(BuildError::LineBreak(_))
        ));
        assert!(matches!(
            mailbox("To", &named("x", "a@b>, c@d")),
            Err(BuildError::InvalidAddress(_))
        ));
    }

    #[test]
    fn long_fields_fold_and_encoded_words_stay_short() {
        let subject = unstructured("Subject", &"Grüße aus Köln ".repeat(8)).unwrap();
        for line in subject.trim_end().split("\r\n") {
            assert!(line.len() <= LINE, "{line}");
        }
        assert!(
            subject
                .split("=?utf-8?B?")
                .skip(1)
                .all(|word| word.find("?=").unwrap() + 12 <= WORD)
        );
        // After a long field name, the first word is short enough to fit too.
        let words = encoded_words(&"ü".repeat(100), 40);
        let mut lines = words.split("\r\n");
        assert!(lines.next().unwrap().len() + 40 <= 76);
        assert!(lines.all(|line| line.len() <= 76));
        let ids: Vec<String> = (0..10).map(|n| format!("<message-{n}@example.org>")).collect();
        let references = self::ids("References", &ids).unwrap();
        assert!(references.trim_end().split("\r\n").all(|line| line.len() <= LINE));
    }

    #[test]
    fn parameters_use_rfc_2231_for_what_quotes_cannot_carry() {
        assert_eq!(parameter("filename", "report.pdf"), "filename=\"report.pdf\"");
        assert_eq!(parameter("filename", "Ärger.txt"), "filename*=utf-8''%C3%84rger.txt");
        let long = parameter("filename", &"ü".repeat(30));
        assert!(long.starts_with("filename*0*=utf-8''%C3%BC"), "{long}");
        assert!(long.contains(";\r\n filename*1*=%C3"), "{long}");
    }
}
