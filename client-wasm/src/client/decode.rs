//! From wire types to API types: envelopes, addresses, dates, mailbox names.

use super::types::{Address, Envelope, Mailbox, MailboxStatus};
use crate::codec::mutf7;
use crate::codec::types::{self, ListEntry};
use crate::mime::decode_header_text;

fn text(raw: &Option<Vec<u8>>) -> Option<String> {
    raw.as_deref().map(decode_header_text)
}

fn ascii(raw: &Option<Vec<u8>>) -> Option<String> {
    raw.as_deref()
        .map(|bytes| String::from_utf8_lossy(bytes).trim().to_owned())
}

/// Envelope addresses, with RFC 2822 groups flattened (their markers dropped).
pub(crate) fn addresses(list: &[types::Address]) -> Vec<Address> {
    list.iter()
        .filter(|address| address.host.is_some())
        .map(|address| {
            let email = match (&address.mailbox, &address.host) {
                (Some(mailbox), Some(host)) if !host.is_empty() => Some(format!(
                    "{}@{}",
                    decode_header_text(mailbox),
                    String::from_utf8_lossy(host)
                )),
                (Some(mailbox), _) => Some(decode_header_text(mailbox)),
                _ => None,
            };
            Address {
                name: text(&address.name).filter(|name| !name.trim().is_empty()),
                address: email,
            }
        })
        .collect()
}

/// An RFC 5322 date as ISO 8601 in UTC.
pub(crate) fn rfc5322_date(raw: &str) -> Option<String> {
    parse_rfc5322(raw).map(iso_from_timestamp)
}

/// Unix seconds from an RFC 5322 date, tolerant the way real mail needs: optional
/// weekday and seconds, two-digit years, obsolete zone names, comments.
fn parse_rfc5322(raw: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let text = raw.split('(').next().unwrap_or(raw);
    let text = text.split_once(',').map_or(text, |(_, rest)| rest);
    let mut words = text.split_whitespace();
    let day: i64 = words.next()?.parse().ok()?;
    let month_word = words.next()?.to_ascii_lowercase();
    let month = MONTHS.iter().position(|m| month_word.starts_with(m))? as i64 + 1;
    let mut year: i64 = words.next()?.parse().ok()?;
    if year < 50 {
        year += 2000;
    } else if year < 1000 {
        year += 1900;
    }
    let mut time = words.next()?.split(':');
    let hour: i64 = time.next()?.parse().ok()?;
    let minute: i64 = time.next()?.parse().ok()?;
    let second: i64 = time.next().map_or(Some(0), |s| s.parse().ok())?;
    let offset_minutes = match words.next() {
        Some(zone) if zone.starts_with(['+', '-']) && zone.len() == 5 => {
            let value: i64 = zone[1..].parse().ok()?;
            let minutes = value / 100 * 60 + value % 100;
            if zone.starts_with('-') { -minutes } else { minutes }
        }
        Some(zone) => match zone.to_ascii_uppercase().as_str() {
            "EST" => -300,
            "EDT" => -240,
            "CST" => -360,
            "CDT" => -300,
            "MST" => -420,
            "MDT" => -360,
            "PST" => -480,
            "PDT" => -420,
            _ => 0,
        },
        None => 0,
    };
    let valid =
        (1..=31).contains(&day) && (0..24).contains(&hour) && (0..60).contains(&minute) && (0..=60).contains(&second);
    if !valid {
        return None;
    }
    let days = webmail_wire::calendar::days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60)
}

/// An IMAP INTERNALDATE (`17-Jul-1996 02:44:25 -0700`) as ISO 8601 in UTC.
pub(crate) fn internal_date(raw: &str) -> Option<String> {
    // Same fields as an RFC 5322 date, with dashes instead of spaces in the date.
    let normalized = raw.trim().replacen('-', " ", 2);
    rfc5322_date(&normalized)
}

/// Unix seconds to `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn iso_from_timestamp(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let rest = seconds.rem_euclid(86_400);
    let (year, month, day) = webmail_wire::calendar::civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// The API envelope from the wire envelope.
pub(crate) fn envelope(raw: &types::Envelope) -> Envelope {
    Envelope {
        date: ascii(&raw.date).and_then(|date| rfc5322_date(&date)),
        subject: text(&raw.subject),
        from: addresses(&raw.from),
        sender: addresses(&raw.sender),
        reply_to: addresses(&raw.reply_to),
        to: addresses(&raw.to),
        cc: addresses(&raw.cc),
        bcc: addresses(&raw.bcc),
        in_reply_to: ascii(&raw.in_reply_to),
        message_id: ascii(&raw.message_id),
    }
}

/// A mailbox name from the wire: modified UTF-7, or UTF-8 (UTF8=ACCEPT and
/// servers that send raw 8-bit names anyway), or Latin-1 as a last resort.
pub(crate) fn mailbox_name(raw: &[u8], utf8: bool) -> String {
    if !utf8 {
        if let Ok(name) = mutf7::decode(raw) {
            return name;
        }
    }
    match std::str::from_utf8(raw) {
        Ok(name) => name.to_owned(),
        Err(_) => raw.iter().map(|&b| char::from(b)).collect(),
    }
}

const SPECIAL_USE: [&str; 8] = [
    "\\All",
    "\\Archive",
    "\\Drafts",
    "\\Flagged",
    "\\Junk",
    "\\Sent",
    "\\Trash",
    "\\Important",
];

/// The API mailbox from a LIST entry; `subscribed` comes from LSUB or `\Subscribed`.
pub(crate) fn mailbox(entry: &ListEntry, utf8: bool, subscribed: bool) -> Mailbox {
    let path = mailbox_name(&entry.raw_name, utf8);
    let path = if path.eq_ignore_ascii_case("INBOX") {
        "INBOX".to_owned()
    } else {
        path
    };
    let has = |flag: &str| {
        entry
            .attributes
            .iter()
            .any(|attribute| attribute.eq_ignore_ascii_case(flag))
    };
    let special_use = SPECIAL_USE
        .iter()
        .find(|flag| has(flag))
        .map(|flag| (*flag).to_owned())
        .or_else(|| (path == "INBOX").then(|| "\\Inbox".to_owned()));
    let name = match entry.delimiter {
        Some(delimiter) => path.rsplit(delimiter).next().unwrap_or(&path).to_owned(),
        None => path.clone(),
    };
    Mailbox {
        name,
        delimiter: entry.delimiter.map(String::from),
        special_use,
        subscribed: subscribed || has("\\Subscribed"),
        children: has("\\HasChildren"),
        selectable: !has("\\Noselect") && !has("\\NonExistent"),
        flags: entry.attributes.clone(),
        path,
        status: None,
    }
}

/// STATUS items to the API shape.
pub(crate) fn status(items: &[(String, u64)]) -> MailboxStatus {
    let get = |name: &str| items.iter().find(|(key, _)| key == name).map(|(_, value)| *value);
    let get32 = |name: &str| get(name).and_then(|value| u32::try_from(value).ok());
    MailboxStatus {
        messages: get32("MESSAGES"),
        unseen: get32("UNSEEN"),
        recent: get32("RECENT"),
        uid_next: get32("UIDNEXT"),
        uid_validity: get32("UIDVALIDITY"),
        highest_modseq: get("HIGHESTMODSEQ"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_become_iso_utc() {
        assert_eq!(
            rfc5322_date("Tue, 14 Nov 2023 23:13:20 +0100").as_deref(),
            Some("2023-11-14T22:13:20Z")
        );
        assert_eq!(
            internal_date("17-Jul-1996 02:44:25 -0700").as_deref(),
            Some("1996-07-17T09:44:25Z")
        );
        assert_eq!(rfc5322_date("not a date"), None);
    }

    #[test]
    fn addresses_decode_and_groups_flatten() {
        let raw = vec![
            types::Address {
                name: None,
                adl: None,
                mailbox: Some(b"undisclosed".to_vec()),
                host: None,
            },
            types::Address {
                name: Some(b"=?utf-8?Q?Zo=C3=AB?=".to_vec()),
                adl: None,
                mailbox: Some(b"zoe".to_vec()),
                host: Some(b"example.se".to_vec()),
            },
            types::Address {
                name: None,
                adl: None,
                mailbox: None,
                host: None,
            },
        ];
        assert_eq!(
            addresses(&raw),
            vec![Address {
                name: Some("Zoë".into()),
                address: Some("zoe@example.se".into())
            }]
        );
    }

    #[test]
    fn mailbox_names_and_special_use() {
        let entry = ListEntry {
            attributes: vec!["\\HasNoChildren".into(), "\\Sent".into()],
            delimiter: Some('/'),
            raw_name: b"[Gmail]/Messages envoy&AOk-s".to_vec(),
            child_info: vec![],
            old_name: None,
        };
        let mailbox = mailbox(&entry, false, true);
        assert_eq!(mailbox.path, "[Gmail]/Messages envoyés");
        assert_eq!(mailbox.name, "Messages envoyés");
        assert_eq!(mailbox.special_use.as_deref(), Some("\\Sent"));
        assert!(mailbox.selectable && mailbox.subscribed && !mailbox.children);
        assert_eq!(mailbox_name("Büro".as_bytes(), false), "Büro");
        assert_eq!(mailbox_name(b"B\xfcro", false), "Büro");
    }
}
