//! How a command is written on the wire (RFC 3501 section 9 and the extensions'
//! grammar), through the codec's `CommandWriter`.

use super::{Command, FetchItem, SortKey, StoreMode, ThreadAlgorithm};
use crate::codec::encode::{CommandWriter, EncodeError, EncodeOptions, Piece};

impl Command {
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
            Self::GetMetadata { mailbox, entries } => {
                w.raw("GETMETADATA ").mailbox(mailbox)?.raw(" (");
                for (index, entry) in entries.iter().enumerate() {
                    if index > 0 {
                        w.sp();
                    }
                    w.astring(entry.as_bytes())?;
                }
                w.raw(")");
            }
            Self::SetMetadata { mailbox, entries } => {
                w.raw("SETMETADATA ").mailbox(mailbox)?.raw(" (");
                for (index, (entry, value)) in entries.iter().enumerate() {
                    if index > 0 {
                        w.sp();
                    }
                    w.astring(entry.as_bytes())?.sp();
                    match value {
                        Some(value) => w.string(value)?,
                        None => w.raw("NIL"),
                    };
                }
                w.raw(")");
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
                keep_raw: _,
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

/// A raw expert search text that would break the command framing.
fn valid_raw_criteria(criteria: &str) -> bool {
    let bytes = criteria.as_bytes();
    !bytes.iter().any(|&b| matches!(b, b'\r' | b'\n' | 0)) && !criteria.trim_end().ends_with('}')
}

fn uid_prefix(uid: bool) -> &'static str {
    if uid { "UID " } else { "" }
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
