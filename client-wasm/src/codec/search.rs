//! SEARCH keys (RFC 3501 6.4.4 plus CONDSTORE, WITHIN and Gmail's X-GM-RAW), encoded safely.

use super::encode::{CommandWriter, EncodeError};
use super::types::SequenceSet;

/// A calendar date for BEFORE/ON/SINCE (the server compares dates, not times).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchDate {
    /// Year, e.g. 2024.
    pub year: u16,
    /// Month 1-12.
    pub month: u8,
    /// Day 1-31.
    pub day: u8,
}

impl SearchDate {
    fn wire(self) -> String {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let month = MONTHS[usize::from(self.month.clamp(1, 12) - 1)];
        format!("{}-{month}-{}", self.day.clamp(1, 31), self.year)
    }
}

/// One search criterion; a list of keys is their conjunction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchKey {
    /// Every message.
    All,
    /// `\Answered` set.
    Answered,
    /// `\Deleted` set.
    Deleted,
    /// `\Draft` set.
    Draft,
    /// `\Flagged` set.
    Flagged,
    /// `\Seen` set.
    Seen,
    /// `\Recent` and not `\Seen`.
    New,
    /// A keyword is set.
    Keyword(String),
    /// A keyword is not set.
    Unkeyword(String),
    /// `Bcc:` contains.
    Bcc(String),
    /// The body contains.
    Body(String),
    /// `Cc:` contains.
    Cc(String),
    /// `From:` contains.
    From(String),
    /// `Subject:` contains.
    Subject(String),
    /// Headers or body contain.
    Text(String),
    /// `To:` contains.
    To(String),
    /// A header field contains (empty value: the field exists).
    Header(String, String),
    /// INTERNALDATE before.
    Before(SearchDate),
    /// INTERNALDATE on.
    On(SearchDate),
    /// INTERNALDATE on or after.
    Since(SearchDate),
    /// `Date:` before.
    SentBefore(SearchDate),
    /// `Date:` on.
    SentOn(SearchDate),
    /// `Date:` on or after.
    SentSince(SearchDate),
    /// RFC822.SIZE larger than.
    Larger(u64),
    /// RFC822.SIZE smaller than.
    Smaller(u64),
    /// UIDs.
    Uid(SequenceSet),
    /// Message sequence numbers.
    Sequence(SequenceSet),
    /// Negation.
    Not(Box<SearchKey>),
    /// Either.
    Or(Box<SearchKey>, Box<SearchKey>),
    /// All of (a parenthesized group).
    And(Vec<SearchKey>),
    /// MODSEQ greater or equal (CONDSTORE).
    ModSeq(u64),
    /// Newer than this many seconds (WITHIN).
    Younger(u64),
    /// Older than this many seconds (WITHIN).
    Older(u64),
    /// Gmail search syntax (X-GM-EXT-1).
    GmailRaw(String),
}

impl SearchKey {
    /// True when some string in the key is not ASCII (the command then needs CHARSET UTF-8).
    pub fn needs_utf8(&self) -> bool {
        match self {
            Self::Keyword(text)
            | Self::Unkeyword(text)
            | Self::Bcc(text)
            | Self::Body(text)
            | Self::Cc(text)
            | Self::From(text)
            | Self::Subject(text)
            | Self::Text(text)
            | Self::To(text)
            | Self::GmailRaw(text) => !text.is_ascii(),
            Self::Header(name, value) => !name.is_ascii() || !value.is_ascii(),
            Self::Not(key) => key.needs_utf8(),
            Self::Or(a, b) => a.needs_utf8() || b.needs_utf8(),
            Self::And(keys) => keys.iter().any(Self::needs_utf8),
            _ => false,
        }
    }

    /// Writes the key; strings become quoted strings or literals, never raw text.
    pub fn write(&self, w: &mut CommandWriter) -> Result<(), EncodeError> {
        let text = |w: &mut CommandWriter, name: &str, value: &str| -> Result<(), EncodeError> {
            w.raw(name).sp().string(value.as_bytes())?;
            Ok(())
        };
        match self {
            Self::All => w.raw("ALL"),
            Self::Answered => w.raw("ANSWERED"),
            Self::Deleted => w.raw("DELETED"),
            Self::Draft => w.raw("DRAFT"),
            Self::Flagged => w.raw("FLAGGED"),
            Self::Seen => w.raw("SEEN"),
            Self::New => w.raw("NEW"),
            Self::Keyword(keyword) => w.raw("KEYWORD").sp().astring(keyword.as_bytes())?,
            Self::Unkeyword(keyword) => w.raw("UNKEYWORD").sp().astring(keyword.as_bytes())?,
            Self::Bcc(value) => return text(w, "BCC", value),
            Self::Body(value) => return text(w, "BODY", value),
            Self::Cc(value) => return text(w, "CC", value),
            Self::From(value) => return text(w, "FROM", value),
            Self::Subject(value) => return text(w, "SUBJECT", value),
            Self::Text(value) => return text(w, "TEXT", value),
            Self::To(value) => return text(w, "TO", value),
            Self::GmailRaw(value) => return text(w, "X-GM-RAW", value),
            Self::Header(name, value) => w
                .raw("HEADER")
                .sp()
                .astring(name.as_bytes())?
                .sp()
                .string(value.as_bytes())?,
            Self::Before(date) => w.raw("BEFORE ").raw(&date.wire()),
            Self::On(date) => w.raw("ON ").raw(&date.wire()),
            Self::Since(date) => w.raw("SINCE ").raw(&date.wire()),
            Self::SentBefore(date) => w.raw("SENTBEFORE ").raw(&date.wire()),
            Self::SentOn(date) => w.raw("SENTON ").raw(&date.wire()),
            Self::SentSince(date) => w.raw("SENTSINCE ").raw(&date.wire()),
            Self::Larger(size) => w.raw("LARGER ").raw(&size.to_string()),
            Self::Smaller(size) => w.raw("SMALLER ").raw(&size.to_string()),
            Self::Uid(set) => w.raw("UID ").raw(&set.to_wire()),
            Self::Sequence(set) => w.raw(&set.to_wire()),
            Self::ModSeq(modseq) => w.raw("MODSEQ ").raw(&modseq.to_string()),
            Self::Younger(seconds) => w.raw("YOUNGER ").raw(&seconds.to_string()),
            Self::Older(seconds) => w.raw("OLDER ").raw(&seconds.to_string()),
            Self::Not(key) => {
                w.raw("NOT ");
                key.write(w)?;
                w
            }
            Self::Or(a, b) => {
                w.raw("OR ");
                a.write(w)?;
                w.sp();
                b.write(w)?;
                w
            }
            Self::And(keys) => {
                if keys.is_empty() {
                    w.raw("ALL");
                } else {
                    w.raw("(");
                    for (index, key) in keys.iter().enumerate() {
                        if index > 0 {
                            w.sp();
                        }
                        key.write(w)?;
                    }
                    w.raw(")");
                }
                w
            }
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::encode::EncodeOptions;

    fn wire(key: &SearchKey) -> String {
        let mut writer = CommandWriter::new(EncodeOptions::default(), "a", "UID SEARCH");
        writer.sp();
        key.write(&mut writer).unwrap();
        writer
            .finish()
            .iter()
            .map(|piece| String::from_utf8_lossy(&piece.bytes).into_owned())
            .collect()
    }

    #[test]
    fn nested_keys_encode_in_prefix_form() {
        let key = SearchKey::And(vec![
            SearchKey::Not(Box::new(SearchKey::Seen)),
            SearchKey::Or(
                Box::new(SearchKey::From("bob".into())),
                Box::new(SearchKey::Subject("a \"b\"".into())),
            ),
            SearchKey::Since(SearchDate {
                year: 2024,
                month: 2,
                day: 1,
            }),
            SearchKey::Larger(1000),
        ]);
        assert_eq!(
            wire(&key),
            "a UID SEARCH (NOT SEEN OR FROM \"bob\" SUBJECT \"a \\\"b\\\"\" SINCE 1-Feb-2024 LARGER 1000)\r\n"
        );
    }

    #[test]
    fn hostile_text_stays_a_string() {
        let key = SearchKey::Text("x\r\nA LOGOUT".into());
        assert_eq!(wire(&key), "a UID SEARCH TEXT {11}\r\nx\r\nA LOGOUT\r\n");
        assert!(SearchKey::Body("Grüße".into()).needs_utf8());
        assert!(!SearchKey::Body("hello".into()).needs_utf8());
    }
}
