//! The typed form of server responses (RFC 3501 section 7 and the extensions).
//!
//! Strings that may carry arbitrary bytes (envelope fields, literals, body
//! parameters) stay bytes here: decoding RFC 2047 words and charsets is the
//! mailbox and MIME layers' job, and nothing is decoded lossily on the way.

use std::borrow::Cow;

/// A lower-cased protocol word (media type, encoding, parameter name). The common
/// ones are shared constants, so a 50,000-message list does not allocate them
/// 50,000 times.
pub type Token = Cow<'static, str>;

const COMMON_TOKENS: [&str; 28] = [
    "text",
    "plain",
    "html",
    "image",
    "application",
    "message",
    "rfc822",
    "multipart",
    "mixed",
    "alternative",
    "related",
    "7bit",
    "8bit",
    "base64",
    "quoted-printable",
    "binary",
    "charset",
    "name",
    "filename",
    "boundary",
    "format",
    "delsp",
    "attachment",
    "inline",
    "utf-8",
    "us-ascii",
    "octet-stream",
    "pdf",
];

/// Lower-cases `word` into a [`Token`], sharing the common ones.
pub fn token(word: &[u8]) -> Token {
    for common in COMMON_TOKENS {
        if word.eq_ignore_ascii_case(common.as_bytes()) {
            return Cow::Borrowed(common);
        }
    }
    Cow::Owned(String::from_utf8_lossy(word).to_ascii_lowercase())
}

/// How a status response ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusKind {
    /// `OK`
    Ok,
    /// `NO`
    No,
    /// `BAD`
    Bad,
    /// `BYE`
    Bye,
    /// `PREAUTH` (greeting only)
    Preauth,
}

/// A response code in brackets, e.g. `[UIDVALIDITY 42]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
    /// `ALERT`: the text must be shown to the user.
    Alert,
    /// `BADCHARSET`, with the charsets the server supports.
    BadCharset(Vec<String>),
    /// `CAPABILITY`, sent with a greeting or a login result.
    Capability(Vec<String>),
    /// `PARSE`: the server could not parse a message's headers.
    Parse,
    /// `PERMANENTFLAGS`.
    PermanentFlags(Vec<String>),
    /// `READ-ONLY`.
    ReadOnly,
    /// `READ-WRITE`.
    ReadWrite,
    /// `TRYCREATE`: the target mailbox does not exist.
    TryCreate,
    /// `UIDNEXT`.
    UidNext(u32),
    /// `UIDVALIDITY`.
    UidValidity(u32),
    /// `UNSEEN`: the first unseen message's sequence number.
    Unseen(u32),
    /// `HIGHESTMODSEQ` (CONDSTORE).
    HighestModseq(u64),
    /// `NOMODSEQ` (CONDSTORE): the mailbox has no mod-sequences.
    NoModseq,
    /// `MODIFIED` (CONDSTORE): messages whose conditional STORE failed.
    Modified(SequenceSet),
    /// `APPENDUID validity uids` (UIDPLUS).
    AppendUid(u32, SequenceSet),
    /// `COPYUID validity source destination` (UIDPLUS).
    CopyUid(u32, SequenceSet, SequenceSet),
    /// `UIDNOTSTICKY` (UIDPLUS).
    UidNotSticky,
    /// `CLOSED` (QRESYNC): the previous mailbox is closed.
    Closed,
    /// `AUTHENTICATIONFAILED` and the other RFC 5530 codes, by name.
    Other(String, Option<String>),
}

/// A tagged or untagged status response (`OK`, `NO`, `BAD`, `BYE`, `PREAUTH`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The command tag, or `None` for `*`.
    pub tag: Option<String>,
    /// The status.
    pub kind: StatusKind,
    /// The response code, if any.
    pub code: Option<Code>,
    /// The human-readable text (may be empty).
    pub text: String,
}

/// A set of message numbers or UIDs, as ranges (`1:5,7,9:*`). `u32::MAX` stands for `*`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SequenceSet(pub Vec<(u32, u32)>);

impl SequenceSet {
    /// A set of single numbers, compressed into ranges.
    pub fn from_ids(ids: &[u32]) -> Self {
        let mut sorted = ids.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let mut ranges: Vec<(u32, u32)> = Vec::new();
        for id in sorted {
            match ranges.last_mut() {
                Some((_, end)) if end.checked_add(1) == Some(id) => *end = id,
                _ => ranges.push((id, id)),
            }
        }
        Self(ranges)
    }

    /// True when `id` is in the set.
    pub fn contains(&self, id: u32) -> bool {
        self.0.iter().any(|&(a, b)| (a.min(b)..=a.max(b)).contains(&id))
    }

    /// Every number in the set, in order (ranges ending in `*` are not expanded).
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.0
            .iter()
            .filter(|&&(a, b)| a != u32::MAX && b != u32::MAX)
            .flat_map(|&(a, b)| a.min(b)..=a.max(b))
    }

    /// How many numbers the set holds (ranges ending in `*` count as one).
    pub fn len(&self) -> usize {
        self.0
            .iter()
            .map(|&(a, b)| {
                if b == u32::MAX || a == u32::MAX {
                    1
                } else {
                    (a.abs_diff(b) as usize) + 1
                }
            })
            .sum()
    }

    /// True for the empty set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The wire form, e.g. `1:5,7`.
    pub fn to_wire(&self) -> String {
        let mut out = String::new();
        for (index, &(a, b)) in self.0.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            push_number(&mut out, a);
            if a != b {
                out.push(':');
                push_number(&mut out, b);
            }
        }
        out
    }
}

fn push_number(out: &mut String, n: u32) {
    if n == u32::MAX {
        out.push('*');
    } else {
        out.push_str(&n.to_string());
    }
}

/// One address of an envelope; group markers have `host: None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    /// Display name, raw (may hold RFC 2047 words or 8-bit bytes).
    pub name: Option<Vec<u8>>,
    /// Source route (obsolete).
    pub adl: Option<Vec<u8>>,
    /// Local part, or the group name for a group start.
    pub mailbox: Option<Vec<u8>>,
    /// Domain; `None` marks a group start or end.
    pub host: Option<Vec<u8>>,
}

/// The ENVELOPE structure: raw header values as the server parsed them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    /// `Date:`
    pub date: Option<Vec<u8>>,
    /// `Subject:`
    pub subject: Option<Vec<u8>>,
    /// `From:`
    pub from: Vec<Address>,
    /// `Sender:`
    pub sender: Vec<Address>,
    /// `Reply-To:`
    pub reply_to: Vec<Address>,
    /// `To:`
    pub to: Vec<Address>,
    /// `Cc:`
    pub cc: Vec<Address>,
    /// `Bcc:`
    pub bcc: Vec<Address>,
    /// `In-Reply-To:`
    pub in_reply_to: Option<Vec<u8>>,
    /// `Message-ID:`
    pub message_id: Option<Vec<u8>>,
}

/// A `Content-Disposition` from a body structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disposition {
    /// `inline`, `attachment`, ... (lower-cased).
    pub kind: Token,
    /// Its parameters (`filename`, ...), names lower-cased.
    pub params: Vec<(Token, Vec<u8>)>,
}

/// Fields every body part has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartFields {
    /// Content-Type parameters (`charset`, `name`, `boundary`...), names lower-cased.
    pub params: Vec<(Token, Vec<u8>)>,
    /// `Content-ID`.
    pub id: Option<Vec<u8>>,
    /// `Content-Description`.
    pub description: Option<Vec<u8>>,
    /// `Content-Transfer-Encoding`, lower-cased (`7bit` when the server gave none).
    pub encoding: Token,
    /// Size in octets of the encoded body.
    pub octets: u64,
}

/// A BODYSTRUCTURE node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyStructure {
    /// A leaf part.
    Single {
        /// Media type, lower-cased (`text`, `image`...).
        media_type: Token,
        /// Media subtype, lower-cased.
        subtype: Token,
        /// Common fields.
        fields: PartFields,
        /// Lines, for text and message/rfc822 parts.
        lines: Option<u64>,
        /// For `message/rfc822`: the inner message's envelope and structure.
        message: Option<Box<(Envelope, BodyStructure)>>,
        /// Content-Disposition, when the server sends extension data.
        disposition: Option<Disposition>,
    },
    /// A multipart node.
    Multi {
        /// The parts, in order.
        parts: Vec<BodyStructure>,
        /// Subtype, lower-cased (`mixed`, `alternative`, `related`...).
        subtype: Token,
        /// Content-Type parameters.
        params: Vec<(Token, Vec<u8>)>,
        /// Content-Disposition, when the server sends extension data.
        disposition: Option<Disposition>,
    },
}

/// A fetched body section: `BODY[section]<origin>`, `BINARY[...]`, `RFC822*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The section as the server named it, upper-cased: `""`, `"1.2"`, `"HEADER"`,
    /// `"HEADER.FIELDS (SUBJECT)"`; `RFC822` maps to `""`, `RFC822.HEADER` to `"HEADER"`,
    /// `RFC822.TEXT` to `"TEXT"`.
    pub section: String,
    /// True for `BINARY[...]` (already decoded by the server).
    pub binary: bool,
    /// The partial fetch's starting octet.
    pub origin: Option<u64>,
    /// The data (`None` for NIL).
    pub data: Option<Vec<u8>>,
}

/// The attributes of one `* n FETCH (...)` response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fetch {
    /// The message sequence number.
    pub seq: u32,
    /// `UID`.
    pub uid: Option<u32>,
    /// `FLAGS`.
    pub flags: Option<Vec<String>>,
    /// `INTERNALDATE` as sent (`"17-Jul-1996 02:44:25 -0700"`).
    pub internal_date: Option<String>,
    /// `RFC822.SIZE`.
    pub size: Option<u64>,
    /// `ENVELOPE`.
    pub envelope: Option<Box<Envelope>>,
    /// `BODYSTRUCTURE` or `BODY`.
    pub body_structure: Option<Box<BodyStructure>>,
    /// `BODY[...]`, `BINARY[...]`, `RFC822`, `RFC822.HEADER`, `RFC822.TEXT`.
    pub sections: Vec<Section>,
    /// `MODSEQ` (CONDSTORE).
    pub modseq: Option<u64>,
    /// `X-GM-LABELS`.
    pub gmail_labels: Option<Vec<String>>,
    /// `X-GM-MSGID`.
    pub gmail_msgid: Option<u64>,
    /// `X-GM-THRID`.
    pub gmail_thrid: Option<u64>,
    /// `PREVIEW` / `SNIPPET` text.
    pub preview: Option<Vec<u8>>,
    /// `BINARY.SIZE[...]` values by section.
    pub binary_sizes: Vec<(String, u64)>,
    /// Attributes this client does not know, by name (their values are skipped).
    pub unknown: Vec<String>,
    /// The whole response, when it was read with [`super::FetchDetail::Deferred`]
    /// (perhaps no more than its UID read): parse it again to have the rest.
    pub raw: Option<Vec<u8>>,
}

/// A `LIST`/`LSUB` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    /// Name attributes (`\HasChildren`, `\Sent`, ...), as sent.
    pub attributes: Vec<String>,
    /// Hierarchy delimiter, `None` for a flat namespace.
    pub delimiter: Option<char>,
    /// The name as it was on the wire (modified UTF-7 unless UTF8=ACCEPT).
    pub raw_name: Vec<u8>,
    /// Child info from LIST-EXTENDED (`SUBSCRIBED`).
    pub child_info: Vec<String>,
    /// `OLDNAME` from LIST-EXTENDED.
    pub old_name: Option<Vec<u8>>,
}

/// A namespace entry: prefix and delimiter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    /// The prefix (raw, like a mailbox name).
    pub prefix: Vec<u8>,
    /// The hierarchy delimiter, if any.
    pub delimiter: Option<char>,
}

/// `ESEARCH` results (RFC 4731).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ESearch {
    /// The command tag it answers.
    pub tag: Option<String>,
    /// True for UID results.
    pub uid: bool,
    /// `MIN`.
    pub min: Option<u32>,
    /// `MAX`.
    pub max: Option<u32>,
    /// `COUNT`.
    pub count: Option<u32>,
    /// `ALL`.
    pub all: Option<SequenceSet>,
    /// `MODSEQ`.
    pub modseq: Option<u64>,
}

/// A node of a `THREAD` response: a message and its replies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadNode {
    /// The message number, or `None` for a missing parent (a dummy node).
    pub id: Option<u32>,
    /// Replies to it.
    pub children: Vec<ThreadNode>,
}

/// Untagged data responses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    /// `CAPABILITY`.
    Capability(Vec<String>),
    /// `ENABLED`.
    Enabled(Vec<String>),
    /// `FLAGS`.
    Flags(Vec<String>),
    /// `LIST`.
    List(ListEntry),
    /// `LSUB`.
    Lsub(ListEntry),
    /// `STATUS`.
    Status {
        /// The mailbox, raw.
        raw_name: Vec<u8>,
        /// Items such as (`MESSAGES`, 3), names upper-cased.
        items: Vec<(String, u64)>,
    },
    /// `SEARCH` (with the CONDSTORE modseq).
    Search(Vec<u32>, Option<u64>),
    /// `ESEARCH`.
    ESearch(ESearch),
    /// `SORT`.
    Sort(Vec<u32>),
    /// `THREAD`: the roots.
    Thread(Vec<ThreadNode>),
    /// `n EXISTS`.
    Exists(u32),
    /// `n RECENT`.
    Recent(u32),
    /// `n EXPUNGE`.
    Expunge(u32),
    /// `n FETCH`.
    Fetch(Box<Fetch>),
    /// `VANISHED` (QRESYNC).
    Vanished {
        /// `(EARLIER)`: reported during a resync, not a new expunge.
        earlier: bool,
        /// The UIDs.
        uids: SequenceSet,
    },
    /// `NAMESPACE`: personal, other users', shared.
    Namespace([Vec<Namespace>; 3]),
    /// `ID` (RFC 2971): field/value pairs, or `None` for `NIL`.
    Id(Option<Vec<(String, Option<String>)>>),
    /// `METADATA` (RFC 5464): a mailbox's entries (`""` for the server's), with
    /// their values (`None` for NIL, and in unsolicited reports of a change).
    Metadata {
        /// The mailbox, raw.
        raw_name: Vec<u8>,
        /// Entry names and values.
        entries: Vec<(String, Option<Vec<u8>>)>,
    },
    /// Any other untagged data, kept by name.
    Other(String),
}

/// One parsed server response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// `+ ...`: the server waits for more of a command.
    Continue {
        /// A response code, rarely sent.
        code: Option<Code>,
        /// The text (base64 for SASL challenges).
        text: Vec<u8>,
    },
    /// A status response, tagged or untagged.
    Status(Status),
    /// Untagged data.
    Data(Data),
}
