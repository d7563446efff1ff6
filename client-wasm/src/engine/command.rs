//! The commands a client can send, how each is encoded, and which untagged data
//! belongs to it.

use crate::codec::encode::{CommandWriter, EncodeError, EncodeOptions, Piece};
use crate::codec::mutf7;
use crate::codec::search::SearchKey;
use crate::codec::types::{Data, SequenceSet};

use super::sasl::{Mechanism, Secret};

/// An attribute to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchItem {
    /// `UID`.
    Uid,
    /// `FLAGS`.
    Flags,
    /// `INTERNALDATE`.
    InternalDate,
    /// `RFC822.SIZE`.
    Size,
    /// `ENVELOPE`.
    Envelope,
    /// `BODYSTRUCTURE`.
    BodyStructure,
    /// `BODY.PEEK[section]<start.length>` (never sets `\Seen`).
    BodyPeek {
        /// `""` for the whole message, `"1.2"`, `"HEADER.FIELDS (SUBJECT)"`, `"1.MIME"`...
        section: String,
        /// `(start, length)` for a partial fetch.
        partial: Option<(u64, u64)>,
    },
    /// `BINARY.PEEK[section]<start.length>`: the part decoded by the server (RFC 3516).
    BinaryPeek {
        /// A part number.
        section: String,
        /// `(start, length)` for a partial fetch.
        partial: Option<(u64, u64)>,
    },
    /// `BINARY.SIZE[section]`: the decoded size of a part (RFC 3516).
    BinarySize {
        /// A part number.
        section: String,
    },
    /// `MODSEQ` (CONDSTORE).
    ModSeq,
    /// `X-GM-LABELS`.
    GmailLabels,
    /// `X-GM-MSGID`.
    GmailMsgId,
    /// `X-GM-THRID`.
    GmailThrId,
    /// `PREVIEW` (RFC 8970).
    Preview,
}

impl FetchItem {
    fn wire(&self) -> String {
        let partial = |partial: &Option<(u64, u64)>| match partial {
            Some((start, length)) => format!("<{start}.{length}>"),
            None => String::new(),
        };
        match self {
            Self::Uid => "UID".into(),
            Self::Flags => "FLAGS".into(),
            Self::InternalDate => "INTERNALDATE".into(),
            Self::Size => "RFC822.SIZE".into(),
            Self::Envelope => "ENVELOPE".into(),
            Self::BodyStructure => "BODYSTRUCTURE".into(),
            Self::BodyPeek {
                section,
                partial: range,
            } => format!("BODY.PEEK[{section}]{}", partial(range)),
            Self::BinaryPeek {
                section,
                partial: range,
            } => format!("BINARY.PEEK[{section}]{}", partial(range)),
            Self::BinarySize { section } => format!("BINARY.SIZE[{section}]"),
            Self::ModSeq => "MODSEQ".into(),
            Self::GmailLabels => "X-GM-LABELS".into(),
            Self::GmailMsgId => "X-GM-MSGID".into(),
            Self::GmailThrId => "X-GM-THRID".into(),
            Self::Preview => "PREVIEW".into(),
        }
    }

    fn is_safe_section(&self) -> bool {
        match self {
            Self::BodyPeek { section, .. } | Self::BinaryPeek { section, .. } | Self::BinarySize { section } => section
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b' ' | b'(' | b')' | b'-' | b'_')),
            _ => true,
        }
    }
}

/// How STORE changes flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreMode {
    /// `+FLAGS`.
    Add,
    /// `-FLAGS`.
    Remove,
    /// `FLAGS`.
    Replace,
}

/// A SORT criterion (RFC 5256).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// `ARRIVAL` (INTERNALDATE).
    Arrival,
    /// `DATE` (the Date header).
    Date,
    /// `FROM`.
    From,
    /// `SUBJECT` (base subject).
    Subject,
    /// `SIZE`.
    Size,
    /// `TO`.
    To,
    /// `CC`.
    Cc,
    /// `DISPLAYFROM` (RFC 5957).
    DisplayFrom,
}

/// A THREAD algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadAlgorithm {
    /// `REFERENCES`.
    References,
    /// `ORDEREDSUBJECT`.
    OrderedSubject,
}

/// QRESYNC parameters for SELECT: what the client knew last time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qresync {
    /// The UIDVALIDITY the cache belongs to.
    pub uid_validity: u32,
    /// The HIGHESTMODSEQ the cache is up to date with.
    pub modseq: u64,
    /// The UIDs the client holds (lets the server report only those that vanished).
    pub known_uids: Option<SequenceSet>,
}

/// What a command is, apart from how it is written and how its answer flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// The name on the wire (for logs and errors).
    pub name: &'static str,
    /// The capability the server must announce for it, if any.
    pub needs: Option<&'static str>,
    /// It runs alone: it changes the session's state, or uses sequence numbers.
    pub barrier: bool,
    /// It only reads, so it may be sent again on a new connection after the
    /// old one was lost under it.
    pub retryable: bool,
}

/// A client command.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `CAPABILITY`.
    Capability,
    /// `NOOP`: also polls for changes.
    Noop,
    /// `LOGOUT`.
    Logout,
    /// `STARTTLS`: the transport must upgrade after the OK.
    StartTls,
    /// `LOGIN user password`.
    Login {
        /// User name.
        user: String,
        /// Password.
        password: Secret,
    },
    /// `AUTHENTICATE` with a SASL mechanism.
    Authenticate(Mechanism),
    /// `ENABLE` extensions (CONDSTORE, QRESYNC, UTF8=ACCEPT).
    Enable(Vec<String>),
    /// `ID` with client fields, or NIL.
    Id(Option<Vec<(String, String)>>),
    /// `NAMESPACE`.
    Namespace,
    /// `SELECT` or `EXAMINE`.
    Select {
        /// The mailbox (Unicode).
        mailbox: String,
        /// EXAMINE instead of SELECT.
        read_only: bool,
        /// Ask for HIGHESTMODSEQ (CONDSTORE).
        condstore: bool,
        /// Resynchronize from a cached state (QRESYNC).
        qresync: Option<Qresync>,
    },
    /// `CREATE`, optionally with a special-use attribute (RFC 6154 CREATE-SPECIAL-USE).
    Create {
        /// The mailbox.
        mailbox: String,
        /// E.g. `\Archive`.
        special_use: Option<String>,
    },
    /// `DELETE`.
    Delete(String),
    /// `RENAME`.
    Rename {
        /// Current name.
        from: String,
        /// New name.
        to: String,
    },
    /// `SUBSCRIBE`.
    Subscribe(String),
    /// `UNSUBSCRIBE`.
    Unsubscribe(String),
    /// `LIST`, with LIST-EXTENDED return options when the server has them.
    List {
        /// Reference (usually empty).
        reference: String,
        /// Pattern with `*` and `%` wildcards (mailbox syntax).
        pattern: String,
        /// `RETURN (SUBSCRIBED CHILDREN SPECIAL-USE)` (LIST-EXTENDED).
        extended: bool,
        /// `RETURN (STATUS (...))` items (LIST-STATUS).
        status: Vec<String>,
    },
    /// `LSUB`.
    Lsub {
        /// Reference.
        reference: String,
        /// Pattern.
        pattern: String,
    },
    /// `STATUS mailbox (items)`.
    Status {
        /// The mailbox.
        mailbox: String,
        /// `MESSAGES`, `UNSEEN`, `UIDNEXT`, ...
        items: Vec<String>,
    },
    /// `APPEND`.
    Append {
        /// Target mailbox.
        mailbox: String,
        /// Flags to set.
        flags: Vec<String>,
        /// INTERNALDATE (`"17-Jul-1996 02:44:25 -0700"`).
        date: Option<String>,
        /// The RFC 5322 message.
        message: Vec<u8>,
    },
    /// `CHECK`.
    Check,
    /// `CLOSE`: expunges and deselects.
    Close,
    /// `UNSELECT`: deselects without expunging.
    Unselect,
    /// `EXPUNGE`, or `UID EXPUNGE set` (UIDPLUS).
    Expunge(Option<SequenceSet>),
    /// `SEARCH`/`UID SEARCH`, with `RETURN (...)` where ESEARCH is available.
    Search {
        /// UID SEARCH.
        uid: bool,
        /// The criteria.
        key: SearchKey,
        /// ESEARCH return options (`ALL`, `COUNT`, `MIN`, `MAX`).
        esearch: Option<Vec<String>>,
    },
    /// `SEARCH` with criteria written by an expert, passed through as is (validated to one line).
    SearchRaw {
        /// UID SEARCH.
        uid: bool,
        /// Criteria text.
        criteria: String,
    },
    /// `SORT`/`UID SORT`.
    Sort {
        /// UID SORT.
        uid: bool,
        /// Criteria in order, each with reverse.
        criteria: Vec<(SortKey, bool)>,
        /// Which messages.
        key: SearchKey,
    },
    /// `THREAD`/`UID THREAD`.
    Thread {
        /// UID THREAD.
        uid: bool,
        /// Algorithm.
        algorithm: ThreadAlgorithm,
        /// Which messages.
        key: SearchKey,
    },
    /// `FETCH`/`UID FETCH`.
    Fetch {
        /// UID FETCH.
        uid: bool,
        /// Which messages.
        set: SequenceSet,
        /// What to fetch.
        items: Vec<FetchItem>,
        /// `CHANGEDSINCE` (CONDSTORE).
        changed_since: Option<u64>,
        /// `VANISHED` (QRESYNC, UID FETCH only).
        vanished: bool,
    },
    /// `STORE`/`UID STORE`.
    Store {
        /// UID STORE.
        uid: bool,
        /// Which messages.
        set: SequenceSet,
        /// Add, remove or replace.
        mode: StoreMode,
        /// The flags.
        flags: Vec<String>,
        /// `.SILENT`.
        silent: bool,
        /// `UNCHANGEDSINCE` (CONDSTORE).
        unchanged_since: Option<u64>,
    },
    /// `COPY`/`UID COPY`.
    Copy {
        /// UID COPY.
        uid: bool,
        /// Which messages.
        set: SequenceSet,
        /// Target.
        mailbox: String,
    },
    /// `MOVE`/`UID MOVE` (RFC 6851).
    Move {
        /// UID MOVE.
        uid: bool,
        /// Which messages.
        set: SequenceSet,
        /// Target.
        mailbox: String,
    },
    /// `IDLE` (RFC 2177): ends when the engine sends DONE.
    Idle,
    /// `COMPRESS DEFLATE` (RFC 4978).
    Compress,
}

/// A raw expert search text that would break the command framing.
fn valid_raw_criteria(criteria: &str) -> bool {
    let bytes = criteria.as_bytes();
    !bytes.iter().any(|&b| matches!(b, b'\r' | b'\n' | 0)) && !criteria.trim_end().ends_with('}')
}

fn uid_prefix(uid: bool) -> &'static str {
    if uid { "UID " } else { "" }
}

impl Command {
    /// What this command is, in one row per command: adding a command means a
    /// variant, a row here, its encoding in [`Command::encode`], and (if it
    /// gets untagged data) its routing in [`Command::wants`].
    pub fn facts(&self) -> Facts {
        use ThreadAlgorithm::{OrderedSubject, References};
        let facts = |name, needs, barrier, retryable| Facts {
            name,
            needs,
            barrier,
            retryable,
        };
        // Sequence-number forms run alone: a concurrent EXPUNGE would shift their numbers.
        match self {
            Self::Capability => facts("CAPABILITY", None, false, false),
            Self::Noop => facts("NOOP", None, false, true),
            Self::Logout => facts("LOGOUT", None, true, false),
            Self::StartTls => facts("STARTTLS", None, true, false),
            Self::Login { .. } => facts("LOGIN", None, true, false),
            Self::Authenticate(_) => facts("AUTHENTICATE", None, true, false),
            Self::Enable(_) => facts("ENABLE", Some("ENABLE"), true, false),
            Self::Id(_) => facts("ID", Some("ID"), false, false),
            Self::Namespace => facts("NAMESPACE", Some("NAMESPACE"), false, false),
            Self::Select { read_only: false, .. } => facts("SELECT", None, true, false),
            Self::Select { read_only: true, .. } => facts("EXAMINE", None, true, false),
            Self::Create { .. } => facts("CREATE", None, false, false),
            Self::Delete(_) => facts("DELETE", None, false, false),
            Self::Rename { .. } => facts("RENAME", None, false, false),
            Self::Subscribe(_) => facts("SUBSCRIBE", None, false, false),
            Self::Unsubscribe(_) => facts("UNSUBSCRIBE", None, false, false),
            Self::List { .. } => facts("LIST", None, false, true),
            Self::Lsub { .. } => facts("LSUB", None, false, true),
            Self::Status { .. } => facts("STATUS", None, false, true),
            Self::Append { .. } => facts("APPEND", None, false, false),
            Self::Check => facts("CHECK", None, false, false),
            Self::Close => facts("CLOSE", None, true, false),
            Self::Unselect => facts("UNSELECT", Some("UNSELECT"), true, false),
            Self::Expunge(None) => facts("EXPUNGE", None, true, false),
            Self::Expunge(Some(_)) => facts("EXPUNGE", Some("UIDPLUS"), false, false),
            Self::Search { uid, .. } | Self::SearchRaw { uid, .. } => facts("SEARCH", None, !uid, true),
            Self::Sort { uid, .. } => facts("SORT", Some("SORT"), !uid, true),
            Self::Thread {
                uid,
                algorithm: References,
                ..
            } => facts("THREAD", Some("THREAD=REFERENCES"), !uid, true),
            Self::Thread {
                uid,
                algorithm: OrderedSubject,
                ..
            } => facts("THREAD", Some("THREAD=ORDEREDSUBJECT"), !uid, true),
            Self::Fetch { uid, .. } => facts("FETCH", None, !uid, true),
            Self::Store { uid, .. } => facts("STORE", None, !uid, false),
            Self::Copy { uid, .. } => facts("COPY", None, !uid, false),
            Self::Move { uid, .. } => facts("MOVE", Some("MOVE"), !uid, false),
            Self::Idle => facts("IDLE", Some("IDLE"), true, false),
            Self::Compress => facts("COMPRESS", Some("COMPRESS=DEFLATE"), true, false),
        }
    }

    /// The command's name on the wire (for logs and errors).
    pub fn name(&self) -> &'static str {
        self.facts().name
    }

    /// Commands that must run alone (see [`Facts::barrier`]).
    pub fn is_barrier(&self) -> bool {
        self.facts().barrier
    }

    /// Whether `self` and `other` in flight together would make untagged data ambiguous.
    pub fn conflicts_with(&self, other: &Command) -> bool {
        use Command as C;
        match (self, other) {
            (C::Fetch { set: a, .. } | C::Store { set: a, .. }, C::Fetch { set: b, .. } | C::Store { set: b, .. }) => {
                sets_overlap(a, b)
            }
            (C::Status { mailbox: a, .. }, C::Status { mailbox: b, .. }) => a == b,
            // Search results are only tied to their command by ESEARCH's tag correlator.
            (
                C::Search { esearch: None, .. } | C::SearchRaw { .. },
                C::Search { esearch: None, .. } | C::SearchRaw { .. },
            ) => true,
            _ => {
                std::mem::discriminant(self) == std::mem::discriminant(other)
                    && matches!(
                        self,
                        C::Sort { .. }
                            | C::Thread { .. }
                            | C::List { .. }
                            | C::Lsub { .. }
                            | C::Namespace
                            | C::Id(_)
                            | C::Capability
                            | C::Expunge(_)
                    )
            }
        }
    }

    /// Whether an untagged response belongs to this command's result.
    pub fn wants(&self, data: &Data, tag: &str) -> bool {
        match (self, data) {
            (Self::Capability, Data::Capability(_)) => true,
            (Self::Enable(_), Data::Enabled(_)) => true,
            (Self::Id(_), Data::Id(_)) => true,
            (Self::Namespace, Data::Namespace(_)) => true,
            (Self::List { .. }, Data::List(_) | Data::Status { .. }) => true,
            (Self::Lsub { .. }, Data::Lsub(_)) => true,
            (Self::Status { mailbox, .. }, Data::Status { raw_name, .. }) => names_match(mailbox, raw_name),
            (Self::Search { esearch: None, .. } | Self::SearchRaw { .. }, Data::Search(..)) => true,
            (Self::Search { esearch: Some(_), .. }, Data::ESearch(result)) => result.tag.as_deref() == Some(tag),
            (Self::Search { esearch: Some(_), .. }, Data::Search(..)) => true,
            (Self::Sort { .. }, Data::Sort(_)) => true,
            (Self::Thread { .. }, Data::Thread(_)) => true,
            (Self::Fetch { uid, set, .. } | Self::Store { uid, set, .. }, Data::Fetch(fetch)) => {
                if *uid {
                    fetch.uid.is_some_and(|id| set_contains(set, id))
                } else {
                    set_contains(set, fetch.seq)
                }
            }
            (Self::Fetch { vanished: true, .. }, Data::Vanished { earlier: true, .. }) => true,
            (Self::Expunge(_) | Self::Move { .. } | Self::Close, Data::Expunge(_) | Data::Vanished { .. }) => true,
            (Self::Select { .. }, Data::Flags(_) | Data::Exists(_) | Data::Recent(_)) => true,
            (Self::Select { .. }, Data::Vanished { earlier: true, .. } | Data::Fetch(_)) => true,
            _ => false,
        }
    }

    /// Encodes the command with `tag`.
    pub fn encode(&self, tag: &str, options: EncodeOptions, sasl_ir: bool) -> Result<Vec<Piece>, EncodeError> {
        let mut w = CommandWriter::new(options, tag, "");
        // The writer starts with "tag "; the command name follows without another space.
        match self {
            Self::Capability | Self::Noop | Self::Logout | Self::StartTls | Self::Namespace => {
                w.raw(self.name());
            }
            Self::Check | Self::Close | Self::Unselect | Self::Idle => {
                w.raw(self.name());
            }
            Self::Compress => {
                w.raw("COMPRESS DEFLATE");
            }
            Self::Login { user, password } => {
                w.raw("LOGIN ")
                    .astring(user.as_bytes())?
                    .sp()
                    .astring(password.expose().as_bytes())?;
            }
            Self::Authenticate(mechanism) => {
                w.raw("AUTHENTICATE ").raw(mechanism.name());
                if sasl_ir && mechanism.has_initial_response() {
                    let initial = mechanism.respond(0);
                    w.sp().raw(if initial.is_empty() { "=" } else { &initial });
                }
            }
            Self::Enable(extensions) => {
                w.raw("ENABLE");
                for extension in extensions {
                    w.sp().astring(extension.as_bytes())?;
                }
            }
            Self::Id(fields) => {
                w.raw("ID ");
                match fields {
                    None => {
                        w.raw("NIL");
                    }
                    Some(fields) => {
                        w.raw("(");
                        for (index, (key, value)) in fields.iter().enumerate() {
                            if index > 0 {
                                w.sp();
                            }
                            w.string(key.as_bytes())?.sp().string(value.as_bytes())?;
                        }
                        w.raw(")");
                    }
                }
            }
            Self::Select {
                mailbox,
                read_only: _,
                condstore,
                qresync,
            } => {
                w.raw(self.name()).sp().mailbox(mailbox)?;
                if let Some(qresync) = qresync {
                    w.raw(&format!(" (QRESYNC ({} {}", qresync.uid_validity, qresync.modseq));
                    if let Some(known) = &qresync.known_uids {
                        w.sp().raw(&known.to_wire());
                    }
                    w.raw("))");
                } else if *condstore {
                    w.raw(" (CONDSTORE)");
                }
            }
            Self::Create { mailbox, special_use } => {
                w.raw("CREATE ").mailbox(mailbox)?;
                if let Some(flag) = special_use {
                    w.raw(" (USE (").astring(flag.as_bytes())?.raw("))");
                }
            }
            Self::Delete(mailbox) => {
                w.raw("DELETE ").mailbox(mailbox)?;
            }
            Self::Rename { from, to } => {
                w.raw("RENAME ").mailbox(from)?.sp().mailbox(to)?;
            }
            Self::Subscribe(mailbox) => {
                w.raw("SUBSCRIBE ").mailbox(mailbox)?;
            }
            Self::Unsubscribe(mailbox) => {
                w.raw("UNSUBSCRIBE ").mailbox(mailbox)?;
            }
            Self::List {
                reference,
                pattern,
                extended,
                status,
            } => {
                w.raw("LIST ")
                    .mailbox_pattern(reference)?
                    .sp()
                    .mailbox_pattern(pattern)?;
                let mut returns: Vec<String> = Vec::new();
                if *extended {
                    returns.extend(["SUBSCRIBED".into(), "CHILDREN".into(), "SPECIAL-USE".into()]);
                }
                if !status.is_empty() {
                    returns.push(format!("STATUS ({})", status.join(" ")));
                }
                if !returns.is_empty() {
                    w.raw(&format!(" RETURN ({})", returns.join(" ")));
                }
            }
            Self::Lsub { reference, pattern } => {
                w.raw("LSUB ")
                    .mailbox_pattern(reference)?
                    .sp()
                    .mailbox_pattern(pattern)?;
            }
            Self::Status { mailbox, items } => {
                w.raw("STATUS ")
                    .mailbox(mailbox)?
                    .raw(&format!(" ({})", items.join(" ")));
            }
            Self::Append {
                mailbox,
                flags,
                date,
                message,
            } => {
                w.raw("APPEND ").mailbox(mailbox)?;
                if !flags.is_empty() {
                    w.sp().flag_list(flags)?;
                }
                if let Some(date) = date {
                    w.sp().string(date.as_bytes())?;
                }
                w.sp().message_literal(message)?;
            }
            Self::Expunge(None) => {
                w.raw("EXPUNGE");
            }
            Self::Expunge(Some(set)) => {
                w.raw("UID EXPUNGE ").raw(&set.to_wire());
            }
            Self::Search { uid, key, esearch } => {
                w.raw(uid_prefix(*uid)).raw("SEARCH");
                if let Some(returns) = esearch {
                    w.raw(&format!(" RETURN ({})", returns.join(" ")));
                }
                if key.needs_utf8() && !options.utf8 {
                    w.raw(" CHARSET UTF-8");
                }
                w.sp();
                key.write(&mut w)?;
            }
            Self::SearchRaw { uid, criteria } => {
                if !valid_raw_criteria(criteria) {
                    return Err(EncodeError::Invalid(
                        "search text: it must be one line and not end in a literal",
                    ));
                }
                w.raw(uid_prefix(*uid)).raw("SEARCH ").raw(criteria);
            }
            Self::Sort { uid, criteria, key } => {
                w.raw(uid_prefix(*uid)).raw("SORT (");
                for (index, (sort_key, reverse)) in criteria.iter().enumerate() {
                    if index > 0 {
                        w.sp();
                    }
                    if *reverse {
                        w.raw("REVERSE ");
                    }
                    w.raw(sort_key_name(*sort_key));
                }
                w.raw(if options.utf8 || key.needs_utf8() {
                    ") UTF-8 "
                } else {
                    ") US-ASCII "
                });
                key.write(&mut w)?;
            }
            Self::Thread { uid, algorithm, key } => {
                w.raw(uid_prefix(*uid)).raw("THREAD ").raw(match algorithm {
                    ThreadAlgorithm::References => "REFERENCES",
                    ThreadAlgorithm::OrderedSubject => "ORDEREDSUBJECT",
                });
                w.raw(if options.utf8 || key.needs_utf8() {
                    " UTF-8 "
                } else {
                    " US-ASCII "
                });
                key.write(&mut w)?;
            }
            Self::Fetch {
                uid,
                set,
                items,
                changed_since,
                vanished,
            } => {
                if !items.iter().all(FetchItem::is_safe_section) {
                    return Err(EncodeError::Invalid("body section name"));
                }
                let list: Vec<String> = items.iter().map(FetchItem::wire).collect();
                w.raw(uid_prefix(*uid))
                    .raw("FETCH ")
                    .raw(&set.to_wire())
                    .raw(&format!(" ({})", list.join(" ")));
                match (changed_since, vanished) {
                    (Some(modseq), true) => w.raw(&format!(" (CHANGEDSINCE {modseq} VANISHED)")),
                    (Some(modseq), false) => w.raw(&format!(" (CHANGEDSINCE {modseq})")),
                    _ => &mut w,
                };
            }
            Self::Store {
                uid,
                set,
                mode,
                flags,
                silent,
                unchanged_since,
            } => {
                w.raw(uid_prefix(*uid)).raw("STORE ").raw(&set.to_wire());
                if let Some(modseq) = unchanged_since {
                    w.raw(&format!(" (UNCHANGEDSINCE {modseq})"));
                }
                w.raw(match mode {
                    StoreMode::Add => " +FLAGS",
                    StoreMode::Remove => " -FLAGS",
                    StoreMode::Replace => " FLAGS",
                });
                if *silent {
                    w.raw(".SILENT");
                }
                w.sp().flag_list(flags)?;
            }
            Self::Copy { uid, set, mailbox } => {
                w.raw(uid_prefix(*uid))
                    .raw("COPY ")
                    .raw(&set.to_wire())
                    .sp()
                    .mailbox(mailbox)?;
            }
            Self::Move { uid, set, mailbox } => {
                w.raw(uid_prefix(*uid))
                    .raw("MOVE ")
                    .raw(&set.to_wire())
                    .sp()
                    .mailbox(mailbox)?;
            }
        }
        let message_bytes = match self {
            Self::Append { message, .. } => message.len(),
            _ => 0,
        };
        w.finish_within_limit(message_bytes)
    }
}

fn sort_key_name(key: SortKey) -> &'static str {
    match key {
        SortKey::Arrival => "ARRIVAL",
        SortKey::Date => "DATE",
        SortKey::From => "FROM",
        SortKey::Subject => "SUBJECT",
        SortKey::Size => "SIZE",
        SortKey::To => "TO",
        SortKey::Cc => "CC",
        SortKey::DisplayFrom => "DISPLAYFROM",
    }
}

fn set_contains(set: &SequenceSet, id: u32) -> bool {
    // A range ending in `*` covers everything from its start.
    set.0.iter().any(|&(a, b)| {
        let (low, high) = (a.min(b), a.max(b));
        id >= low && (high == u32::MAX || id <= high)
    })
}

fn sets_overlap(a: &SequenceSet, b: &SequenceSet) -> bool {
    a.0.iter().any(|&(a1, a2)| {
        b.0.iter()
            .any(|&(b1, b2)| a1.min(a2) <= b1.max(b2) && b1.min(b2) <= a1.max(a2))
    })
}

/// Compares a requested mailbox with a name from a response, as the server would.
fn names_match(requested: &str, raw: &[u8]) -> bool {
    if requested.eq_ignore_ascii_case("INBOX") {
        return raw.eq_ignore_ascii_case(b"INBOX");
    }
    raw == requested.as_bytes() || mutf7::decode(raw).is_ok_and(|name| name == requested)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(command: &Command) -> String {
        command
            .encode("a1", EncodeOptions::default(), true)
            .unwrap()
            .iter()
            .map(|piece| String::from_utf8_lossy(&piece.bytes).into_owned())
            .collect()
    }

    #[test]
    fn every_commands_facts_name_what_its_encoding_sends() {
        let set = SequenceSet(vec![(1, 3)]);
        let mailbox = || "Archive".to_owned();
        let commands = [
            Command::Capability,
            Command::Noop,
            Command::Logout,
            Command::StartTls,
            Command::Namespace,
            Command::Enable(vec!["QRESYNC".into()]),
            Command::Id(None),
            Command::Select {
                mailbox: mailbox(),
                read_only: true,
                condstore: false,
                qresync: None,
            },
            Command::Create {
                mailbox: mailbox(),
                special_use: None,
            },
            Command::Delete(mailbox()),
            Command::Subscribe(mailbox()),
            Command::Status {
                mailbox: mailbox(),
                items: vec!["MESSAGES".into()],
            },
            Command::Check,
            Command::Close,
            Command::Unselect,
            Command::Expunge(Some(set.clone())),
            Command::SearchRaw {
                uid: true,
                criteria: "ALL".into(),
            },
            Command::Copy {
                uid: false,
                set: set.clone(),
                mailbox: mailbox(),
            },
            Command::Move {
                uid: true,
                set,
                mailbox: mailbox(),
            },
            Command::Idle,
            Command::Compress,
        ];
        for command in commands {
            let facts = command.facts();
            let sent = wire(&command);
            let verb = sent.trim_start_matches("a1 ").trim_start_matches("UID ");
            assert!(verb.starts_with(facts.name), "{sent:?} is not {}", facts.name);
            let uid_form = sent.starts_with("a1 UID ");
            if matches!(
                command,
                Command::Copy { .. } | Command::Move { .. } | Command::SearchRaw { .. }
            ) {
                assert_eq!(
                    facts.barrier, !uid_form,
                    "{sent:?}: only the sequence-number form runs alone"
                );
            }
        }
    }

    #[test]
    fn commands_encode_to_rfc_syntax() {
        assert_eq!(wire(&Command::Capability), "a1 CAPABILITY\r\n");
        assert_eq!(
            wire(&Command::Login {
                user: "alice".into(),
                password: Secret::new("p w")
            }),
            "a1 LOGIN alice \"p w\"\r\n"
        );
        assert_eq!(
            wire(&Command::Select {
                mailbox: "Büro".into(),
                read_only: true,
                condstore: true,
                qresync: None
            }),
            "a1 EXAMINE B&APw-ro (CONDSTORE)\r\n"
        );
        assert_eq!(
            wire(&Command::Fetch {
                uid: true,
                set: SequenceSet::from_ids(&[1, 2, 3, 7]),
                items: vec![
                    FetchItem::Uid,
                    FetchItem::Flags,
                    FetchItem::BodyPeek {
                        section: "1".into(),
                        partial: Some((0, 1024))
                    }
                ],
                changed_since: Some(5),
                vanished: true,
            }),
            "a1 UID FETCH 1:3,7 (UID FLAGS BODY.PEEK[1]<0.1024>) (CHANGEDSINCE 5 VANISHED)\r\n"
        );
        assert_eq!(
            wire(&Command::Store {
                uid: true,
                set: SequenceSet::from_ids(&[4]),
                mode: StoreMode::Add,
                flags: vec!["\\Seen".into(), "$Important".into()],
                silent: true,
                unchanged_since: None
            }),
            "a1 UID STORE 4 +FLAGS.SILENT (\\Seen $Important)\r\n"
        );
        assert_eq!(
            wire(&Command::List {
                reference: String::new(),
                pattern: "*".into(),
                extended: true,
                status: vec!["UNSEEN".into()]
            }),
            "a1 LIST \"\" * RETURN (SUBSCRIBED CHILDREN SPECIAL-USE STATUS (UNSEEN))\r\n"
        );
        assert_eq!(
            wire(&Command::Sort {
                uid: true,
                criteria: vec![(SortKey::Date, true)],
                key: SearchKey::All
            }),
            "a1 UID SORT (REVERSE DATE) US-ASCII ALL\r\n"
        );
    }

    #[test]
    fn sasl_ir_goes_inline_only_when_offered() {
        let mechanism = Mechanism::Plain {
            user: "u".into(),
            password: Secret::new("p"),
        };
        let with_ir = Command::Authenticate(mechanism.clone())
            .encode("a", EncodeOptions::default(), true)
            .unwrap();
        assert_eq!(with_ir[0].bytes, b"a AUTHENTICATE PLAIN AHUAcA==\r\n");
        let without = Command::Authenticate(mechanism)
            .encode("a", EncodeOptions::default(), false)
            .unwrap();
        assert_eq!(without[0].bytes, b"a AUTHENTICATE PLAIN\r\n");
    }

    #[test]
    fn untrusted_raw_input_is_refused() {
        let raw = Command::SearchRaw {
            uid: true,
            criteria: "ALL\r\na2 LOGOUT".into(),
        };
        assert!(raw.encode("a1", EncodeOptions::default(), false).is_err());
        let literal = Command::SearchRaw {
            uid: true,
            criteria: "TEXT {5}".into(),
        };
        assert!(literal.encode("a1", EncodeOptions::default(), false).is_err());
        let section = Command::Fetch {
            uid: true,
            set: SequenceSet::from_ids(&[1]),
            items: vec![FetchItem::BodyPeek {
                section: "1]\r\na2 LOGOUT".into(),
                partial: None,
            }],
            changed_since: None,
            vanished: false,
        };
        assert!(section.encode("a1", EncodeOptions::default(), false).is_err());
        let flag = Command::Store {
            uid: true,
            set: SequenceSet::from_ids(&[1]),
            mode: StoreMode::Add,
            flags: vec!["a b".into()],
            silent: true,
            unchanged_since: None,
        };
        assert!(flag.encode("a1", EncodeOptions::default(), false).is_err());
    }

    #[test]
    fn pipelining_conflicts() {
        let fetch = |ids: &[u32]| Command::Fetch {
            uid: true,
            set: SequenceSet::from_ids(ids),
            items: vec![FetchItem::Flags],
            changed_since: None,
            vanished: false,
        };
        assert!(!fetch(&[1, 2]).conflicts_with(&fetch(&[3, 4])));
        assert!(fetch(&[1, 2]).conflicts_with(&fetch(&[2, 9])));
        let list = Command::List {
            reference: String::new(),
            pattern: "*".into(),
            extended: false,
            status: vec![],
        };
        assert!(list.conflicts_with(&list));
        assert!(!list.conflicts_with(&fetch(&[1])));
        assert!(
            Command::Select {
                mailbox: "INBOX".into(),
                read_only: false,
                condstore: false,
                qresync: None
            }
            .is_barrier()
        );
    }
}
