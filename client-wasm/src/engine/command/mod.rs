//! The commands a client can send, how each is encoded, and which untagged data
//! belongs to it.
//!
//! What a command is lives here (its variant and its row of [`Facts`]); how it
//! is written is `encode.rs`; how its answer flows (pipelining, which untagged
//! data belongs to it) is `flow.rs`.

mod encode;
mod flow;

use crate::codec::search::SearchKey;
use crate::codec::types::SequenceSet;

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
    /// `GETMETADATA mailbox (entries)` (RFC 5464); `""` is the server.
    GetMetadata {
        /// The mailbox, or `""`.
        mailbox: String,
        /// Entry names, e.g. `/private/vendor/webmail-bridge/identities`.
        entries: Vec<String>,
    },
    /// `SETMETADATA mailbox (entry value ...)`; a `None` value removes the entry.
    SetMetadata {
        /// The mailbox, or `""`.
        mailbox: String,
        /// Entry names and values.
        entries: Vec<(String, Option<Vec<u8>>)>,
    },
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
        /// Keep each response's bytes ([`crate::codec::types::Fetch::raw`]) and
        /// read no more of it than its UID where it starts with one, for a
        /// cache that decodes a row only when it is shown.
        keep_raw: bool,
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
            Self::GetMetadata { .. } => facts("GETMETADATA", Some("METADATA"), false, true),
            Self::SetMetadata { .. } => facts("SETMETADATA", Some("METADATA"), false, false),
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

    /// Whether this is a FETCH that keeps its responses raw ([`Command::Fetch`]'s `keep_raw`).
    pub fn keeps_raw(&self) -> bool {
        matches!(self, Self::Fetch { keep_raw: true, .. })
    }

    /// The command's name on the wire (for logs and errors).
    pub fn name(&self) -> &'static str {
        self.facts().name
    }

    /// Commands that must run alone (see [`Facts::barrier`]).
    pub fn is_barrier(&self) -> bool {
        self.facts().barrier
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::encode::EncodeOptions;

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
            Command::GetMetadata {
                mailbox: String::new(),
                entries: vec!["/private/comment".into()],
            },
            Command::SetMetadata {
                mailbox: "INBOX".into(),
                entries: vec![("/private/comment".into(), Some(b"two\r\nlines".to_vec()))],
            },
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
            wire(&Command::SetMetadata {
                mailbox: String::new(),
                entries: vec![
                    ("/private/vendor/x".into(), Some(b"{\"a\":1}".to_vec())),
                    ("/private/y".into(), None)
                ],
            }),
            "a1 SETMETADATA \"\" (/private/vendor/x \"{\\\"a\\\":1}\" /private/y NIL)\r\n"
        );
        assert_eq!(
            wire(&Command::GetMetadata {
                mailbox: String::new(),
                entries: vec!["/private/vendor/x".into()],
            }),
            "a1 GETMETADATA \"\" (/private/vendor/x)\r\n"
        );
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
                keep_raw: false,
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
            keep_raw: false,
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
            keep_raw: false,
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
