//! The mailbox operations of the API.

use super::decode;
use super::types::{Mailbox, MailboxStatus, Message, MessageSummary, SelectInfo, ThreadTree, UidMap};
use super::{Client, ClientError, ClientEvent};
use crate::codec::search::{SearchDate, SearchKey};
use crate::codec::types::{Data, Fetch, SequenceSet, ThreadNode};
use crate::engine::sasl::{Mechanism, Secret};
use crate::engine::{Command, CommandError, FetchItem, Qresync, SortKey, StoreMode, ThreadAlgorithm};
use crate::mime::{self, BodyPart};

/// Largest UID set sent in one command; longer lists are split into pipelined commands.
const UIDS_PER_COMMAND: usize = 2000;
/// Bytes fetched per request when streaming a part or a raw message.
const CHUNK_BYTES: u64 = 512 * 1024;

/// Reports `(bytes received, bytes expected)` while a part downloads.
pub type ProgressFn = Box<dyn Fn(u64, u64)>;

/// How often an upload reports its progress, in milliseconds.
const UPLOAD_PROGRESS_MS: u64 = 100;

/// How `setFlags` changes flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetFlagsMode {
    /// Add the flags.
    Add,
    /// Remove the flags.
    Remove,
    /// Replace all flags with these.
    Replace,
}

/// A display order for `messageUids`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SortOrder {
    /// `date`, `arrival`, `uid`, `from`, `to`, `subject` or `size`. `uid` is the
    /// order the server received the messages in, known since SELECT: it needs no
    /// round trip, so a huge folder shows its newest mail at once.
    pub sort: Option<String>,
    /// Newest (or largest, or Z) first.
    pub reverse: bool,
}

/// What [`Client::fetch_summaries_with`] includes beyond the list columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SummaryOptions {
    /// A short text preview of each message, where the server offers PREVIEW.
    pub preview: bool,
}

/// A search as a page builds it; every given criterion must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// Anywhere in headers or body.
    pub text: Option<String>,
    /// From contains.
    pub from: Option<String>,
    /// To contains.
    pub to: Option<String>,
    /// Cc contains.
    pub cc: Option<String>,
    /// Subject contains.
    pub subject: Option<String>,
    /// Body contains.
    pub body: Option<String>,
    /// Arrived on or after this date (`YYYY-MM-DD`).
    pub since: Option<String>,
    /// Arrived before this date (`YYYY-MM-DD`).
    pub before: Option<String>,
    /// Arrived on this date (`YYYY-MM-DD`).
    pub on: Option<String>,
    /// `\Seen` set (true) or not set (false).
    pub seen: Option<bool>,
    /// `\Flagged` set or not.
    pub flagged: Option<bool>,
    /// `\Answered` set or not.
    pub answered: Option<bool>,
    /// `\Draft` set or not.
    pub draft: Option<bool>,
    /// `\Deleted` set or not.
    pub deleted: Option<bool>,
    /// Keyword set.
    pub keyword: Option<String>,
    /// Larger than this many bytes.
    pub larger: Option<u64>,
    /// Smaller than this many bytes.
    pub smaller: Option<u64>,
    /// Any of these queries holds.
    pub or: Option<Vec<SearchQuery>>,
    /// This query does not hold.
    pub not: Option<Box<SearchQuery>>,
}

/// A `YYYY-MM-DD` date, exactly: anything before or after it is an error, not ignored.
fn parse_date(text: &str) -> Result<SearchDate, ClientError> {
    let invalid = || ClientError::InvalidArgument(format!("`{text}` is not a date (use YYYY-MM-DD)"));
    let shape_ok = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
    if !shape_ok {
        return Err(invalid());
    }
    let year: u16 = digits(&text[..4]).ok_or_else(invalid)?;
    let month: u8 = digits(&text[5..7])
        .filter(|month| (1..=12).contains(month))
        .ok_or_else(invalid)?;
    let day: u8 = digits(&text[8..])
        .filter(|&day| (1..=days_in_month(year, month)).contains(&day))
        .ok_or_else(invalid)?;
    Ok(SearchDate { year, month, day })
}

/// A number written with ASCII digits only (no sign, no spaces).
fn digits<T: std::str::FromStr>(text: &str) -> Option<T> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl SearchQuery {
    /// The equivalent search key.
    pub fn to_key(&self) -> Result<SearchKey, ClientError> {
        let mut keys = Vec::new();
        let flag = |keys: &mut Vec<SearchKey>, value: Option<bool>, key: SearchKey| match value {
            Some(true) => keys.push(key),
            Some(false) => keys.push(SearchKey::Not(Box::new(key))),
            None => {}
        };
        type TextKey = fn(String) -> SearchKey;
        let strings: [(&Option<String>, TextKey); 6] = [
            (&self.text, SearchKey::Text),
            (&self.from, SearchKey::From),
            (&self.to, SearchKey::To),
            (&self.cc, SearchKey::Cc),
            (&self.subject, SearchKey::Subject),
            (&self.body, SearchKey::Body),
        ];
        for (value, make) in strings {
            if let Some(value) = value.as_ref().filter(|value| !value.is_empty()) {
                keys.push(make(value.clone()));
            }
        }
        if let Some(date) = &self.since {
            keys.push(SearchKey::Since(parse_date(date)?));
        }
        if let Some(date) = &self.before {
            keys.push(SearchKey::Before(parse_date(date)?));
        }
        if let Some(date) = &self.on {
            keys.push(SearchKey::On(parse_date(date)?));
        }
        flag(&mut keys, self.seen, SearchKey::Seen);
        flag(&mut keys, self.flagged, SearchKey::Flagged);
        flag(&mut keys, self.answered, SearchKey::Answered);
        flag(&mut keys, self.draft, SearchKey::Draft);
        flag(&mut keys, self.deleted, SearchKey::Deleted);
        if let Some(keyword) = &self.keyword {
            keys.push(SearchKey::Keyword(keyword.clone()));
        }
        if let Some(size) = self.larger {
            keys.push(SearchKey::Larger(size));
        }
        if let Some(size) = self.smaller {
            keys.push(SearchKey::Smaller(size));
        }
        if let Some(alternatives) = &self.or {
            let mut alternatives = alternatives
                .iter()
                .map(SearchQuery::to_key)
                .collect::<Result<Vec<_>, _>>()?;
            if let Some(last) = alternatives.pop() {
                let combined = alternatives
                    .into_iter()
                    .rev()
                    .fold(last, |rest, key| SearchKey::Or(Box::new(key), Box::new(rest)));
                keys.push(combined);
            }
        }
        if let Some(negated) = &self.not {
            keys.push(SearchKey::Not(Box::new(negated.to_key()?)));
        }
        Ok(match keys.len() {
            0 => SearchKey::All,
            1 => keys.remove(0),
            _ => SearchKey::And(keys),
        })
    }
}

fn uid_chunks(uids: &[u32]) -> Vec<SequenceSet> {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    sorted.chunks(UIDS_PER_COMMAND).map(SequenceSet::from_ids).collect()
}

fn validate_uids(uids: &[u32]) -> Result<(), ClientError> {
    if uids.contains(&0) {
        return Err(ClientError::InvalidArgument("0 is not a valid UID".into()));
    }
    Ok(())
}

fn thread_tree(node: &ThreadNode) -> ThreadTree {
    ThreadTree {
        uid: node.id,
        children: node.children.iter().map(thread_tree).collect(),
    }
}

fn copy_map((validity, source, destination): (u32, SequenceSet, SequenceSet)) -> UidMap {
    UidMap {
        uid_validity: validity,
        uids: source.iter().zip(destination.iter()).collect(),
    }
}

/// An INTERNALDATE for APPEND from an ISO 8601 timestamp: `YYYY-MM-DD`, or
/// `YYYY-MM-DDTHH:MM:SS` with optional fraction and a zone (`Z`, `+HH:MM`;
/// none means UTC), as `Date.prototype.toISOString()` writes it.
fn internal_date_from_iso(iso: &str) -> Result<String, ClientError> {
    let invalid = || ClientError::InvalidArgument(format!("`{iso}` is not an ISO 8601 date"));
    let (day_part, rest) = iso.split_at_checked(10).ok_or_else(invalid)?;
    let date = parse_date(day_part).map_err(|_| invalid())?;
    let (time, zone) = if rest.is_empty() {
        ("00:00:00", "+0000".to_owned())
    } else {
        let rest = rest.strip_prefix('T').ok_or_else(invalid)?;
        let (time, mut zone) = rest.split_at_checked(8).ok_or_else(invalid)?;
        let [hour, minute, second] = [0..2, 3..5, 6..8].map(|range| digits::<u8>(&time[range]));
        let time_ok = time.as_bytes()[2] == b':'
            && time.as_bytes()[5] == b':'
            && hour.is_some_and(|h| h < 24)
            && minute.is_some_and(|m| m < 60)
            && second.is_some_and(|s| s <= 60);
        if !time_ok {
            return Err(invalid());
        }
        if let Some(fraction) = zone.strip_prefix('.') {
            let end = fraction.find(|c: char| !c.is_ascii_digit()).unwrap_or(fraction.len());
            if end == 0 {
                return Err(invalid());
            }
            zone = &fraction[end..];
        }
        let zone = match zone {
            "" | "Z" => "+0000".to_owned(),
            offset => {
                let valid = offset.len() == 6
                    && (offset.starts_with('+') || offset.starts_with('-'))
                    && offset.as_bytes()[3] == b':'
                    && digits::<u8>(&offset[1..3]).is_some_and(|h| h < 24)
                    && digits::<u8>(&offset[4..]).is_some_and(|m| m < 60);
                if !valid {
                    return Err(invalid());
                }
                format!("{}{}", &offset[..3], &offset[4..])
            }
        };
        (time, zone)
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    Ok(format!(
        "{:02}-{}-{} {time} {zone}",
        date.day,
        MONTHS[usize::from(date.month - 1)],
        date.year
    ))
}

impl Client {
    /// Runs any command and returns its raw result: for tools, tests and experts.
    pub async fn execute(&self, command: Command) -> Result<crate::engine::CommandResult, ClientError> {
        self.run(command, None).await
    }

    /// Logs in with a user name and password (LOGIN, or AUTHENTICATE PLAIN where LOGIN is disabled).
    pub async fn login(&self, user: &str, password: &str) -> Result<(), ClientError> {
        let mechanism = Mechanism::Plain {
            user: user.to_owned(),
            password: Secret::new(password),
        };
        self.authenticate(mechanism).await
    }

    /// Logs in with a SASL mechanism (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER).
    pub async fn authenticate(&self, mechanism: Mechanism) -> Result<(), ClientError> {
        self.ready().await?;
        self.establish(&mechanism).await?;
        self.inner.borrow_mut().memory.mechanism = Some(mechanism);
        Ok(())
    }

    /// STARTTLS if useful, authentication, then the extensions worth enabling.
    pub(crate) async fn establish(&self, mechanism: &Mechanism) -> Result<(), ClientError> {
        if !self.has_capability("IMAP4rev1") && !self.has_capability("IMAP4rev2") {
            self.run(Command::Capability, None).await?;
        }
        let can_upgrade = self.inner.borrow().options.starttls && self.transport_can_start_tls();
        if can_upgrade && self.has_capability("STARTTLS") {
            self.run(Command::StartTls, None).await?;
            self.run(Command::Capability, None).await?;
        }
        let command = match mechanism {
            Mechanism::Plain { user, password } if !self.has_capability("LOGINDISABLED") => Command::Login {
                user: user.clone(),
                password: password.clone(),
            },
            other => Command::Authenticate(other.clone()),
        };
        self.command(command).await.map_err(|error| match error {
            crate::engine::CommandError::No(status) | crate::engine::CommandError::Bad(status) => {
                ClientError::AuthFailed(status.text)
            }
            other => ClientError::from_command(other, None),
        })?;
        if !self.has_capability("IMAP4rev1") {
            self.run(Command::Capability, None).await?;
        }
        if self.has_capability("ID") {
            let id = vec![
                ("name".to_owned(), "webmail-bridge".to_owned()),
                ("version".to_owned(), env!("CARGO_PKG_VERSION").to_owned()),
            ];
            // Some servers (163.com) refuse SELECT without ID; others may refuse ID. Ignore its result.
            let _ = self.command(Command::Id(Some(id))).await;
        }
        let mut enable = Vec::new();
        if self.has_capability("QRESYNC") {
            enable.push("QRESYNC".to_owned());
        } else if self.has_capability("CONDSTORE") {
            enable.push("CONDSTORE".to_owned());
        }
        if self.has_capability("UTF8=ACCEPT") {
            enable.push("UTF8=ACCEPT".to_owned());
        }
        if !enable.is_empty() && self.has_capability("ENABLE") {
            self.run(Command::Enable(enable), None).await?;
        }
        let compress = self.inner.borrow().options.compress;
        if compress && self.has_capability("COMPRESS=DEFLATE") {
            self.run(Command::Compress, None).await?;
        }
        let idle = self.inner.borrow().options.idle;
        self.with_connection(|connection| connection.set_idle(idle));
        Ok(())
    }

    fn transport_can_start_tls(&self) -> bool {
        self.inner.borrow().transport_can_start_tls
    }

    fn utf8(&self) -> bool {
        self.inner.borrow().connection.is_enabled("UTF8=ACCEPT")
    }

    /// Every mailbox, with special-use roles, subscription and (where the server can
    /// send them in the same round trip) message counts.
    pub async fn list_mailboxes(&self) -> Result<Vec<Mailbox>, ClientError> {
        let extended = self.has_capability("LIST-EXTENDED");
        let with_status = self.has_capability("LIST-STATUS");
        let status: Vec<String> = if with_status {
            ["MESSAGES", "UNSEEN", "UIDNEXT", "UIDVALIDITY"]
                .iter()
                .map(|item| (*item).to_owned())
                .collect()
        } else {
            Vec::new()
        };
        let list = Command::List {
            reference: String::new(),
            pattern: "*".into(),
            extended: extended && self.has_capability("SPECIAL-USE"),
            status,
        };
        let (listed, subscribed) = if extended {
            (self.run(list, None).await?, None)
        } else {
            let lsub = Command::Lsub {
                reference: String::new(),
                pattern: "*".into(),
            };
            let (listed, subscribed) = futures_util::join!(self.run(list, None), self.run(lsub, None));
            (listed?, Some(subscribed?))
        };
        let utf8 = self.utf8();
        let subscribed_names: Vec<Vec<u8>> = subscribed
            .map(|result| {
                result
                    .data
                    .into_iter()
                    .filter_map(|data| match data {
                        Data::Lsub(entry) => Some(entry.raw_name),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        type StatusItems = Vec<(String, u64)>;
        let mut statuses: Vec<(Vec<u8>, StatusItems)> = Vec::new();
        let mut mailboxes = Vec::new();
        for data in listed.data {
            match data {
                Data::List(entry) => {
                    let subscribed = subscribed_names.contains(&entry.raw_name);
                    mailboxes.push((entry.raw_name.clone(), decode::mailbox(&entry, utf8, subscribed)));
                }
                Data::Status { raw_name, items } => statuses.push((raw_name, items)),
                _ => {}
            }
        }
        let mut result: Vec<Mailbox> = mailboxes
            .into_iter()
            .map(|(raw, mut mailbox)| {
                mailbox.status = statuses
                    .iter()
                    .find(|(name, _)| *name == raw)
                    .map(|(_, items)| decode::status(items));
                mailbox
            })
            .collect();
        result.sort_by(|a, b| {
            mailbox_order(a)
                .cmp(&mailbox_order(b))
                .then_with(|| a.path.cmp(&b.path))
        });
        Ok(result)
    }

    /// Counters of one mailbox.
    pub async fn status(&self, path: &str) -> Result<MailboxStatus, ClientError> {
        let mut items: Vec<String> = ["MESSAGES", "UNSEEN", "RECENT", "UIDNEXT", "UIDVALIDITY"]
            .iter()
            .map(|item| (*item).to_owned())
            .collect();
        if self.has_capability("CONDSTORE") {
            items.push("HIGHESTMODSEQ".into());
        }
        let result = self
            .run(
                Command::Status {
                    mailbox: path.to_owned(),
                    items,
                },
                Some(path),
            )
            .await?;
        result
            .data
            .iter()
            .find_map(|data| match data {
                Data::Status { items, .. } => Some(decode::status(items)),
                _ => None,
            })
            .ok_or_else(|| ClientError::Protocol("the server sent no STATUS data".into()))
    }

    /// Selects a mailbox for reading and writing.
    pub async fn select(&self, path: &str) -> Result<SelectInfo, ClientError> {
        self.open(path, false).await
    }

    /// Selects a mailbox read-only.
    pub async fn examine(&self, path: &str) -> Result<SelectInfo, ClientError> {
        self.open(path, true).await
    }

    pub(crate) async fn open(&self, path: &str, read_only: bool) -> Result<SelectInfo, ClientError> {
        let condstore = self.has_capability("CONDSTORE") && !self.with_connection(|c| c.is_enabled("QRESYNC"));
        let command = Command::Select {
            mailbox: path.to_owned(),
            read_only,
            condstore,
            qresync: None,
        };
        self.select_with(command, path).await
    }

    /// Runs a SELECT, then learns the UID map and the unseen count (pipelined).
    pub(crate) async fn select_with(&self, command: Command, path: &str) -> Result<SelectInfo, ClientError> {
        let read_only = matches!(command, Command::Select { read_only: true, .. });
        let result = match self.command(command).await {
            Ok(result) => result,
            Err(error) => {
                // A refused SELECT leaves no mailbox selected (RFC 3501 6.3.1); one
                // lost with the connection leaves the previous one for the restore.
                if matches!(error, CommandError::No(_) | CommandError::Bad(_)) {
                    self.inner.borrow_mut().memory.selected = None;
                }
                return Err(ClientError::from_command(error, Some(path)));
            }
        };
        let esearch = self.has_capability("ESEARCH");
        let all = Command::Search {
            uid: true,
            key: SearchKey::All,
            esearch: esearch.then(|| vec!["ALL".to_owned()]),
        };
        let unseen = Command::Search {
            uid: true,
            key: SearchKey::Not(Box::new(SearchKey::Seen)),
            esearch: esearch.then(|| vec!["COUNT".to_owned()]),
        };
        let (all, unseen) = futures_util::join!(self.run(all, Some(path)), self.run(unseen, Some(path)));
        let uids = all?.ids();
        let unseen = unseen?;
        let unseen_count = unseen
            .esearch()
            .and_then(|esearch| esearch.count)
            .unwrap_or_else(|| unseen.ids().len() as u32);
        let info = {
            let mut inner = self.inner.borrow_mut();
            let selected = inner
                .connection
                .selected_mut()
                .ok_or_else(|| ClientError::Protocol("no mailbox selected after SELECT".into()))?;
            selected.set_uids(uids);
            let info = SelectInfo {
                path: path.to_owned(),
                exists: selected.exists(),
                recent: selected.recent,
                unseen: unseen_count,
                uid_validity: selected.uid_validity.unwrap_or(0),
                uid_next: selected.uid_next.unwrap_or(0),
                flags: selected.flags.clone(),
                permanent_flags: selected.permanent_flags.clone(),
                highest_modseq: selected.highest_modseq,
                read_only: selected.read_only
                    || read_only
                    || result.status.code == Some(crate::codec::types::Code::ReadOnly),
            };
            inner.memory.selected = Some((path.to_owned(), read_only));
            info
        };
        self.remember_uids();
        Ok(info)
    }

    /// Fetches UIDs of messages from sequence number `from` on and records them.
    pub(crate) async fn learn_new_uids(&self, from: u32) -> Vec<u32> {
        let command = Command::Fetch {
            uid: false,
            set: SequenceSet(vec![(from, u32::MAX)]),
            items: vec![FetchItem::Uid],
            changed_since: None,
            vanished: false,
        };
        let fetched = self.command(command).await;
        self.remember_uids();
        match fetched {
            Ok(result) => {
                let mut uids: Vec<u32> = result.fetches().filter_map(|fetch| fetch.uid).collect();
                uids.sort_unstable();
                uids
            }
            Err(_) => Vec::new(),
        }
    }

    /// UIDs of the selected mailbox in display order (SORT on the server when offered).
    pub async fn message_uids(&self, order: &SortOrder) -> Result<Vec<u32>, ClientError> {
        if order.sort.as_deref() == Some("uid") {
            let mut uids: Vec<u32> =
                self.with_connection(|c| c.selected().map(|s| s.uids().collect()).unwrap_or_default());
            if order.reverse {
                uids.reverse();
            }
            return Ok(uids);
        }
        let key = match order.sort.as_deref().unwrap_or("date") {
            "date" => SortKey::Date,
            "arrival" => SortKey::Arrival,
            "from" if self.has_capability("SORT=DISPLAY") => SortKey::DisplayFrom,
            "from" => SortKey::From,
            "to" => SortKey::To,
            "subject" => SortKey::Subject,
            "size" => SortKey::Size,
            other => return Err(ClientError::InvalidArgument(format!("cannot sort by `{other}`"))),
        };
        if self.has_capability("SORT") {
            let command = Command::Sort {
                uid: true,
                criteria: vec![(key, order.reverse)],
                key: SearchKey::All,
            };
            return Ok(self.run(command, None).await?.ids());
        }
        self.client_side_sort(key, order.reverse).await
    }

    async fn client_side_sort(&self, key: SortKey, reverse: bool) -> Result<Vec<u32>, ClientError> {
        let mut uids: Vec<u32> = self.with_connection(|c| c.selected().map(|s| s.uids().collect()).unwrap_or_default());
        if !matches!(key, SortKey::Arrival) {
            let summaries = self.fetch_summaries(&uids).await?;
            let sort_text = |summary: &MessageSummary| -> String {
                let address = |list: &[super::types::Address]| {
                    list.first()
                        .map(|a| {
                            a.name
                                .clone()
                                .or_else(|| a.address.clone())
                                .unwrap_or_default()
                                .to_lowercase()
                        })
                        .unwrap_or_default()
                };
                match key {
                    SortKey::From | SortKey::DisplayFrom => address(&summary.envelope.from),
                    SortKey::To | SortKey::Cc => address(&summary.envelope.to),
                    SortKey::Subject => base_subject(summary.envelope.subject.as_deref().unwrap_or_default()),
                    _ => String::new(),
                }
            };
            let mut rows: Vec<(u32, String, u64, String)> = summaries
                .iter()
                .map(|summary| {
                    let date = summary
                        .envelope
                        .date
                        .clone()
                        .or_else(|| summary.internal_date.clone())
                        .unwrap_or_default();
                    (summary.uid, sort_text(summary), summary.size, date)
                })
                .collect();
            match key {
                SortKey::Size => rows.sort_by_key(|row| (row.2, row.0)),
                SortKey::Date => rows.sort_by(|a, b| a.3.cmp(&b.3).then(a.0.cmp(&b.0))),
                _ => rows.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0))),
            }
            uids = rows.into_iter().map(|row| row.0).collect();
        }
        if reverse {
            uids.reverse();
        }
        Ok(uids)
    }

    /// Conversations as UID trees: THREAD on the server, or threaded here by
    /// Message-ID and In-Reply-To when the server has no THREAD.
    pub async fn threads(&self, algorithm: &str) -> Result<Vec<ThreadTree>, ClientError> {
        let algorithm = match algorithm {
            "references" => ThreadAlgorithm::References,
            "orderedsubject" => ThreadAlgorithm::OrderedSubject,
            other => {
                return Err(ClientError::InvalidArgument(format!(
                    "unknown thread algorithm `{other}`"
                )));
            }
        };
        let capability = match algorithm {
            ThreadAlgorithm::References => "THREAD=REFERENCES",
            ThreadAlgorithm::OrderedSubject => "THREAD=ORDEREDSUBJECT",
        };
        if self.has_capability(capability) {
            let command = Command::Thread {
                uid: true,
                algorithm,
                key: SearchKey::All,
            };
            let result = self.run(command, None).await?;
            return Ok(result.threads().iter().map(thread_tree).collect());
        }
        let uids: Vec<u32> = self.with_connection(|c| c.selected().map(|s| s.uids().collect()).unwrap_or_default());
        let summaries = self.fetch_summaries(&uids).await?;
        Ok(thread_locally(&summaries, algorithm))
    }

    /// Rows for a message list, in the order asked; one round trip per 2,000 UIDs
    /// (the commands are pipelined). Without previews: see [`Client::fetch_summaries_with`].
    pub async fn fetch_summaries(&self, uids: &[u32]) -> Result<Vec<MessageSummary>, ClientError> {
        self.fetch_summaries_with(uids, SummaryOptions::default()).await
    }

    /// [`Client::fetch_summaries`] with options: `preview` asks the server for a
    /// text preview (PREVIEW), which costs it a read of each message's body.
    pub async fn fetch_summaries_with(
        &self,
        uids: &[u32],
        options: SummaryOptions,
    ) -> Result<Vec<MessageSummary>, ClientError> {
        validate_uids(uids)?;
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let mut items = summary_items();
        if options.preview && self.has_capability("PREVIEW") {
            items.push(FetchItem::Preview);
        }
        if self.has_capability("X-GM-EXT-1") {
            items.push(FetchItem::GmailLabels);
        }
        let commands = uid_chunks(uids).into_iter().map(|set| Command::Fetch {
            uid: true,
            set,
            items: items.clone(),
            changed_since: None,
            vanished: false,
        });
        let results = futures_util::future::join_all(commands.map(|command| self.run(command, None))).await;
        let mut rows: Vec<MessageSummary> = Vec::with_capacity(uids.len());
        for result in results {
            rows.extend(result?.into_fetches().into_iter().filter_map(summary));
        }
        rows.sort_unstable_by_key(|row| row.uid);
        rows.dedup_by_key(|row| row.uid);
        let keys: Vec<u32> = rows.iter().map(|row| row.uid).collect();
        let mut slots: Vec<Option<MessageSummary>> = rows.into_iter().map(Some).collect();
        let mut ordered = Vec::with_capacity(slots.len());
        for uid in uids {
            if let Some(row) = keys.binary_search(uid).ok().and_then(|index| slots[index].take()) {
                ordered.push(row);
            }
        }
        Ok(ordered)
    }

    /// A message for reading: headers, decoded text and HTML, and its attachments.
    pub async fn fetch_message(&self, uid: u32) -> Result<Message, ClientError> {
        validate_uids(&[uid])?;
        let first = self
            .fetch_one(
                uid,
                vec![
                    FetchItem::Uid,
                    FetchItem::Flags,
                    FetchItem::Envelope,
                    FetchItem::BodyStructure,
                    FetchItem::BodyPeek {
                        section: "HEADER".into(),
                        partial: None,
                    },
                ],
            )
            .await?;
        let header = first
            .sections
            .iter()
            .find(|s| s.section == "HEADER")
            .and_then(|s| s.data.clone())
            .unwrap_or_default();
        let mut message = message_from_headers(uid, first.envelope.as_deref(), &header);
        message.flags = first.flags.clone().unwrap_or_default();
        let plan = first
            .body_structure
            .as_deref()
            .map(mime::plan)
            .unwrap_or_else(|| mime::PartPlan {
                broken: true,
                ..mime::PartPlan::default()
            });
        if plan.broken {
            let raw = self.fetch_raw(uid).await?;
            let parsed = mime::parse_whole(&raw);
            message.text = parsed.text;
            message.html = parsed.html;
            message.attachments = parsed.attachments;
            return Ok(message);
        }
        let parts: Vec<&BodyPart> = plan.text.iter().chain(plan.html.iter()).collect();
        if !parts.is_empty() {
            let items = parts
                .iter()
                .map(|part| FetchItem::BodyPeek {
                    section: part.part_id.clone(),
                    partial: None,
                })
                .collect();
            let bodies = self.fetch_one(uid, items).await?;
            let body = |part: &Option<BodyPart>| {
                let part = part.as_ref()?;
                let data = bodies
                    .sections
                    .iter()
                    .find(|s| s.section == part.part_id)?
                    .data
                    .as_deref()?;
                Some(mime::decode_text(part, data))
            };
            message.text = body(&plan.text);
            message.html = body(&plan.html);
        }
        message.attachments = plan.attachments;
        Ok(message)
    }

    async fn fetch_one(&self, uid: u32, items: Vec<FetchItem>) -> Result<Fetch, ClientError> {
        let command = Command::Fetch {
            uid: true,
            set: SequenceSet::from_ids(&[uid]),
            items,
            changed_since: None,
            vanished: false,
        };
        self.run(command, None)
            .await?
            .into_fetches()
            .into_iter()
            .find(|fetch| fetch.uid == Some(uid))
            .ok_or_else(|| ClientError::InvalidArgument(format!("no message with UID {uid}")))
    }

    /// One part's content, decoded from its transfer encoding, streamed in chunks
    /// (BINARY where the server offers it, so base64 is not sent over the wire).
    pub async fn fetch_part(
        &self,
        uid: u32,
        part_id: &str,
        progress: Option<ProgressFn>,
    ) -> Result<Vec<u8>, ClientError> {
        validate_uids(&[uid])?;
        if part_id.is_empty()
            || !part_id
                .split('.')
                .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(ClientError::InvalidArgument(format!(
                "`{part_id}` is not a part number"
            )));
        }
        let binary = self.has_capability("BINARY");
        let mut items = vec![FetchItem::Uid, FetchItem::BodyStructure];
        if binary {
            items.push(FetchItem::BinarySize {
                section: part_id.to_owned(),
            });
        }
        let head = self.fetch_one(uid, items).await?;
        let (encoding, octets) = head
            .body_structure
            .as_deref()
            .and_then(|structure| part_fields(structure, part_id))
            .unwrap_or_else(|| ("7bit".to_owned(), 0));
        // With BINARY the server decodes, and says the decoded size up front.
        let binary_size = head
            .binary_sizes
            .iter()
            .find(|(section, _)| section == part_id)
            .map(|(_, size)| *size);
        let expected = if binary { binary_size.unwrap_or(octets) } else { octets };
        let data = self
            .fetch_chunks(uid, part_id, binary, expected, progress.as_ref())
            .await?;
        Ok(if binary {
            data
        } else {
            mime::decode_transfer(&encoding, &data)
        })
    }

    async fn fetch_chunks(
        &self,
        uid: u32,
        section: &str,
        binary: bool,
        expected: u64,
        progress: Option<&ProgressFn>,
    ) -> Result<Vec<u8>, ClientError> {
        let mut data = Vec::with_capacity(expected.min(64 << 20) as usize);
        let mut total = expected;
        // The expected size ends the loop without a last empty request when it is exact.
        while expected == 0 || (data.len() as u64) < expected {
            let start = data.len() as u64;
            let item = if binary {
                FetchItem::BinaryPeek {
                    section: section.to_owned(),
                    partial: Some((start, CHUNK_BYTES)),
                }
            } else {
                FetchItem::BodyPeek {
                    section: section.to_owned(),
                    partial: Some((start, CHUNK_BYTES)),
                }
            };
            let fetch = self.fetch_one(uid, vec![FetchItem::Uid, item]).await?;
            let chunk = fetch
                .sections
                .into_iter()
                .find(|s| s.section == section)
                .and_then(|s| s.data)
                .unwrap_or_default();
            let received = chunk.len() as u64;
            data.extend_from_slice(&chunk);
            let done = received < CHUNK_BYTES || (expected != 0 && data.len() as u64 >= expected);
            total = if done {
                data.len() as u64
            } else {
                total.max(data.len() as u64)
            };
            if let Some(report) = progress {
                if received > 0 {
                    report(data.len() as u64, total);
                }
            }
            if done {
                break;
            }
        }
        Ok(data)
    }

    /// The whole RFC 5322 message, streamed in chunks.
    pub async fn fetch_raw(&self, uid: u32) -> Result<Vec<u8>, ClientError> {
        validate_uids(&[uid])?;
        let head = self.fetch_one(uid, vec![FetchItem::Uid, FetchItem::Size]).await?;
        self.fetch_chunks(uid, "", false, head.size.unwrap_or(0), None).await
    }

    /// UIDs of messages matching a query, in the selected mailbox.
    pub async fn search(&self, query: &SearchQuery) -> Result<Vec<u32>, ClientError> {
        let key = query.to_key()?;
        let esearch = self.has_capability("ESEARCH").then(|| vec!["ALL".to_owned()]);
        let mut uids = self
            .run(
                Command::Search {
                    uid: true,
                    key,
                    esearch,
                },
                None,
            )
            .await?
            .ids();
        uids.sort_unstable();
        Ok(uids)
    }

    /// UIDs matching search criteria written in IMAP syntax (for experts).
    pub async fn search_raw(&self, criteria: &str) -> Result<Vec<u32>, ClientError> {
        let command = Command::SearchRaw {
            uid: true,
            criteria: criteria.to_owned(),
        };
        let mut uids = self.run(command, None).await?.ids();
        uids.sort_unstable();
        Ok(uids)
    }

    /// Adds, removes or replaces flags on messages.
    pub async fn set_flags(&self, uids: &[u32], flags: &[String], mode: SetFlagsMode) -> Result<(), ClientError> {
        validate_uids(uids)?;
        let mode = match mode {
            SetFlagsMode::Add => StoreMode::Add,
            SetFlagsMode::Remove => StoreMode::Remove,
            SetFlagsMode::Replace => StoreMode::Replace,
        };
        let commands = uid_chunks(uids).into_iter().map(|set| Command::Store {
            uid: true,
            set,
            mode,
            flags: flags.to_vec(),
            silent: true,
            unchanged_since: None,
        });
        for result in futures_util::future::join_all(commands.map(|command| self.run(command, None))).await {
            result?;
        }
        Ok(())
    }

    /// Copies messages; returns where they landed when the server says (UIDPLUS).
    pub async fn copy(&self, uids: &[u32], target: &str) -> Result<Option<UidMap>, ClientError> {
        validate_uids(uids)?;
        let mut map: Option<UidMap> = None;
        for set in uid_chunks(uids) {
            let command = Command::Copy {
                uid: true,
                set,
                mailbox: target.to_owned(),
            };
            let result = self.run(command, Some(target)).await?;
            merge_map(&mut map, result.copy_uid().map(copy_map));
        }
        Ok(map)
    }

    /// Moves messages: MOVE where offered, otherwise COPY, then `\Deleted` and an
    /// expunge of only those messages. A failure part-way leaves the messages in
    /// the source (and perhaps also the target): never nowhere.
    pub async fn move_messages(&self, uids: &[u32], target: &str) -> Result<Option<UidMap>, ClientError> {
        validate_uids(uids)?;
        if self.has_capability("MOVE") {
            let mut map: Option<UidMap> = None;
            for set in uid_chunks(uids) {
                let command = Command::Move {
                    uid: true,
                    set,
                    mailbox: target.to_owned(),
                };
                let result = self.run(command, Some(target)).await?;
                merge_map(&mut map, result.copy_uid().map(copy_map));
            }
            return Ok(map);
        }
        let map = self.copy(uids, target).await?;
        self.set_flags(uids, &["\\Deleted".to_owned()], SetFlagsMode::Add)
            .await?;
        self.expunge_only(uids).await?;
        Ok(map)
    }

    /// Expunges only `uids`: UID EXPUNGE with UIDPLUS; otherwise other messages
    /// marked `\Deleted` are unmarked for the EXPUNGE and marked again after.
    async fn expunge_only(&self, uids: &[u32]) -> Result<(), ClientError> {
        if self.has_capability("UIDPLUS") {
            for set in uid_chunks(uids) {
                self.run(Command::Expunge(Some(set)), None).await?;
            }
            return Ok(());
        }
        let others_key = SearchKey::And(vec![
            SearchKey::Deleted,
            SearchKey::Not(Box::new(SearchKey::Uid(SequenceSet::from_ids(uids)))),
        ]);
        let others = self
            .run(
                Command::Search {
                    uid: true,
                    key: others_key,
                    esearch: None,
                },
                None,
            )
            .await?
            .ids();
        if !others.is_empty() {
            self.set_flags(&others, &["\\Deleted".to_owned()], SetFlagsMode::Remove)
                .await?;
        }
        let expunged = self.run(Command::Expunge(None), None).await;
        if !others.is_empty() {
            self.set_flags(&others, &["\\Deleted".to_owned()], SetFlagsMode::Add)
                .await?;
        }
        expunged.map(|_| ())
    }

    /// Permanently removes messages marked `\Deleted`: only `uids` when given.
    pub async fn expunge(&self, uids: Option<&[u32]>) -> Result<(), ClientError> {
        match uids {
            Some(uids) => {
                validate_uids(uids)?;
                self.expunge_only(uids).await
            }
            None => self.run(Command::Expunge(None), None).await.map(|_| ()),
        }
    }

    /// Stores a message; returns its UID when the server says (UIDPLUS).
    /// `progress(sent, total)` follows the upload while the message leaves.
    pub async fn append(
        &self,
        mailbox: &str,
        message: Vec<u8>,
        flags: &[String],
        date: Option<&str>,
        progress: Option<ProgressFn>,
    ) -> Result<Option<u32>, ClientError> {
        let date = date.map(internal_date_from_iso).transpose()?;
        let total = message.len() as u64;
        let command = Command::Append {
            mailbox: mailbox.to_owned(),
            flags: flags.to_vec(),
            date,
            message,
        };
        let run = self.run(command, Some(mailbox));
        let result = match progress {
            None => run.await?,
            Some(report) => {
                let result = self.with_upload_progress(run, total, &report).await?;
                report(total, total);
                result
            }
        };
        Ok(result.append_uid().and_then(|(_, uids)| uids.iter().next()))
    }

    /// Runs `work`, reporting every [`UPLOAD_PROGRESS_MS`] how many of `total`
    /// bytes the transport has taken since it began (the transport waits for
    /// the network, so that is how far the upload got).
    async fn with_upload_progress<T>(
        &self,
        work: impl std::future::Future<Output = T>,
        total: u64,
        report: &ProgressFn,
    ) -> T {
        let start = self.inner.borrow().bytes_sent;
        let runtime = self.runtime();
        let watch = async {
            loop {
                runtime.sleep(UPLOAD_PROGRESS_MS).await;
                let sent = self.inner.borrow().bytes_sent - start;
                report(sent.min(total), total);
            }
        };
        let work = std::pin::pin!(work);
        let watch: std::pin::Pin<&mut dyn std::future::Future<Output = ()>> = std::pin::pin!(watch);
        match futures_util::future::select(work, watch).await {
            futures_util::future::Either::Left((output, _)) => output,
            futures_util::future::Either::Right(((), _)) => unreachable!("the progress loop never ends"),
        }
    }

    /// Creates a mailbox.
    pub async fn create_mailbox(&self, path: &str) -> Result<(), ClientError> {
        self.run(
            Command::Create {
                mailbox: path.to_owned(),
                special_use: None,
            },
            None,
        )
        .await?;
        self.emit(ClientEvent::Mailboxes);
        Ok(())
    }

    /// Renames a mailbox.
    pub async fn rename_mailbox(&self, from: &str, to: &str) -> Result<(), ClientError> {
        self.run(
            Command::Rename {
                from: from.to_owned(),
                to: to.to_owned(),
            },
            Some(from),
        )
        .await?;
        self.emit(ClientEvent::Mailboxes);
        Ok(())
    }

    /// Deletes a mailbox.
    pub async fn delete_mailbox(&self, path: &str) -> Result<(), ClientError> {
        self.run(Command::Delete(path.to_owned()), Some(path)).await?;
        self.emit(ClientEvent::Mailboxes);
        Ok(())
    }

    /// Subscribes to a mailbox.
    pub async fn subscribe(&self, path: &str) -> Result<(), ClientError> {
        self.run(Command::Subscribe(path.to_owned()), Some(path)).await?;
        self.emit(ClientEvent::Mailboxes);
        Ok(())
    }

    /// Unsubscribes from a mailbox.
    pub async fn unsubscribe(&self, path: &str) -> Result<(), ClientError> {
        self.run(Command::Unsubscribe(path.to_owned()), Some(path)).await?;
        self.emit(ClientEvent::Mailboxes);
        Ok(())
    }

    /// Logs out and closes the connection for good.
    pub async fn logout(&self) -> Result<(), ClientError> {
        self.inner.borrow_mut().memory.logged_out = true;
        self.with_connection(|connection| connection.set_idle(false));
        let result = self.run(Command::Logout, None).await;
        self.set_state(super::ClientState::Closed);
        result.map(|_| ())
    }

    /// Resynchronizes the selected mailbox after a reconnect (QRESYNC where enabled).
    pub(crate) async fn reselect(&self, path: &str, read_only: bool) -> Result<SelectInfo, ClientError> {
        let (validity, modseq, known) = {
            let inner = self.inner.borrow();
            (
                inner.memory.uid_validity,
                inner.memory.highest_modseq,
                inner.memory.uids.clone(),
            )
        };
        let qresync = match (self.with_connection(|c| c.is_enabled("QRESYNC")), validity, modseq) {
            (true, Some(uid_validity), Some(modseq)) => Some(Qresync {
                uid_validity,
                modseq,
                known_uids: (!known.is_empty()).then(|| SequenceSet::from_ids(&known)),
            }),
            _ => None,
        };
        let condstore = qresync.is_none() && self.has_capability("CONDSTORE");
        let command = Command::Select {
            mailbox: path.to_owned(),
            read_only,
            condstore,
            qresync,
        };
        self.select_with(command, path).await
    }
}

fn merge_map(map: &mut Option<UidMap>, part: Option<UidMap>) {
    match (map.as_mut(), part) {
        (Some(existing), Some(part)) => existing.uids.extend(part.uids),
        (None, Some(part)) => *map = Some(part),
        _ => {}
    }
}

/// Special-use folders first, in the order people look for them, then the rest.
fn mailbox_order(mailbox: &Mailbox) -> u8 {
    match mailbox.special_use.as_deref() {
        Some("\\Inbox") => 0,
        Some("\\Drafts") => 1,
        Some("\\Sent") => 2,
        Some("\\Archive") => 3,
        Some("\\Junk") => 4,
        Some("\\Trash") => 5,
        Some(_) => 6,
        None => 7,
    }
}

/// The subject without `Re:`/`Fwd:` prefixes and list tags, lower-cased (RFC 5256 in spirit).
fn base_subject(subject: &str) -> String {
    let mut rest = subject.trim();
    loop {
        let lower = rest.to_ascii_lowercase();
        let stripped = ["re:", "fwd:", "fw:", "aw:", "wg:", "sv:"]
            .iter()
            .find_map(|prefix| lower.starts_with(prefix).then(|| rest[prefix.len()..].trim_start()));
        let tag = (rest.starts_with('['))
            .then(|| rest.find(']').map(|end| rest[end + 1..].trim_start()))
            .flatten();
        match stripped.or(tag) {
            Some(next) if next.len() < rest.len() => rest = next,
            _ => return rest.to_lowercase(),
        }
    }
}

/// What a message-list row needs from the server (see [`summary`]).
pub(crate) fn summary_items() -> Vec<FetchItem> {
    vec![
        FetchItem::Uid,
        FetchItem::Flags,
        FetchItem::Size,
        FetchItem::InternalDate,
        FetchItem::Envelope,
        FetchItem::BodyStructure,
    ]
}

/// A message-list row from FETCH data (needs UID; ENVELOPE and BODYSTRUCTURE when fetched).
pub(crate) fn summary(fetch: Fetch) -> Option<MessageSummary> {
    let uid = fetch.uid?;
    let plan = fetch.body_structure.as_deref().map(mime::plan);
    Some(MessageSummary {
        uid,
        seq: fetch.seq,
        flags: fetch.flags.unwrap_or_default(),
        size: fetch.size.unwrap_or(0),
        internal_date: fetch.internal_date.as_deref().and_then(decode::internal_date),
        envelope: fetch.envelope.as_deref().map(decode::envelope).unwrap_or_default(),
        has_attachments: plan.is_some_and(|plan| plan.has_attachments()),
        preview: fetch.preview.as_deref().map(mime::decode_header_text),
        labels: fetch.gmail_labels,
    })
}

/// The reader's view of the headers: display fields from the ENVELOPE (decoded
/// here, with the page's charsets in the browser), the full list and References
/// from the header block.
fn message_from_headers(uid: u32, envelope: Option<&crate::codec::types::Envelope>, header: &[u8]) -> Message {
    let envelope = envelope.map(decode::envelope).unwrap_or_default();
    let headers = mime::header_fields(header);
    let references = headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("References"))
        .flat_map(|(_, value)| mime::message_ids(value))
        .collect();
    Message {
        uid,
        headers,
        subject: envelope.subject,
        from: envelope.from,
        to: envelope.to,
        cc: envelope.cc,
        bcc: envelope.bcc,
        reply_to: envelope.reply_to,
        date: envelope.date,
        message_id: envelope.message_id,
        in_reply_to: envelope.in_reply_to,
        references,
        ..Message::default()
    }
}

/// Encoding and encoded size of a part, from the structure.
fn part_fields(structure: &crate::codec::types::BodyStructure, part_id: &str) -> Option<(String, u64)> {
    use crate::codec::types::BodyStructure as B;
    let mut node = structure;
    for (depth, index) in part_id.split('.').enumerate() {
        let index: usize = index.parse().ok()?;
        node = match node {
            B::Multi { parts, .. } => parts.get(index.checked_sub(1)?)?,
            B::Single {
                message: Some(inner), ..
            } => match &inner.1 {
                B::Multi { parts, .. } => parts.get(index.checked_sub(1)?)?,
                single if index == 1 => single,
                _ => return None,
            },
            single @ B::Single { .. } if depth == 0 && index == 1 => single,
            _ => return None,
        };
    }
    match node {
        B::Single { fields, .. } => Some((fields.encoding.to_string(), fields.octets)),
        B::Multi { .. } => None,
    }
}

/// Threads by Message-ID/In-Reply-To (references) or by base subject.
fn thread_locally(summaries: &[MessageSummary], algorithm: ThreadAlgorithm) -> Vec<ThreadTree> {
    // (child, parent) pairs, found with sorted lists rather than hash maps (smaller wasm).
    let mut parent_of: Vec<(u32, u32)> = Vec::new();
    match algorithm {
        ThreadAlgorithm::References => {
            let mut by_id: Vec<(&str, u32)> = summaries
                .iter()
                .filter_map(|s| Some((s.envelope.message_id.as_deref()?, s.uid)))
                .collect();
            by_id.sort_unstable();
            for summary in summaries {
                let Some(parent_id) = summary.envelope.in_reply_to.as_deref() else {
                    continue;
                };
                if let Ok(index) = by_id.binary_search_by(|(id, _)| (*id).cmp(parent_id)) {
                    let parent = by_id[index].1;
                    if parent != summary.uid {
                        parent_of.push((summary.uid, parent));
                    }
                }
            }
        }
        ThreadAlgorithm::OrderedSubject => {
            let mut subjects: Vec<(String, usize)> = summaries
                .iter()
                .enumerate()
                .map(|(index, s)| (base_subject(s.envelope.subject.as_deref().unwrap_or_default()), index))
                .collect();
            subjects.sort();
            for group in subjects.chunk_by(|a, b| a.0 == b.0) {
                let root = summaries[group[0].1].uid;
                parent_of.extend(group[1..].iter().map(|(_, index)| (summaries[*index].uid, root)));
            }
        }
    }
    parent_of.sort_unstable();
    let mut children: Vec<(u32, u32)> = parent_of.iter().map(|&(child, parent)| (parent, child)).collect();
    children.sort_unstable();
    fn build(uid: u32, children: &[(u32, u32)], depth: usize) -> ThreadTree {
        let start = children.partition_point(|&(parent, _)| parent < uid);
        let kids = children[start..].iter().take_while(|&&(parent, _)| parent == uid);
        ThreadTree {
            uid: Some(uid),
            children: if depth > 64 {
                Vec::new()
            } else {
                kids.map(|&(_, kid)| build(kid, children, depth + 1)).collect()
            },
        }
    }
    summaries
        .iter()
        .filter(|summary| {
            parent_of
                .binary_search_by_key(&summary.uid, |&(child, _)| child)
                .is_err()
        })
        .map(|summary| build(summary.uid, &children, 0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_become_search_keys() {
        let query: SearchQuery = SearchQuery {
            from: Some("bob".into()),
            seen: Some(false),
            since: Some("2024-02-01".into()),
            or: Some(vec![
                SearchQuery {
                    subject: Some("a".into()),
                    ..SearchQuery::default()
                },
                SearchQuery {
                    subject: Some("b".into()),
                    ..SearchQuery::default()
                },
                SearchQuery {
                    subject: Some("c".into()),
                    ..SearchQuery::default()
                },
            ]),
            ..SearchQuery::default()
        };
        let key = query.to_key().unwrap();
        let SearchKey::And(keys) = key else { panic!() };
        assert_eq!(keys[0], SearchKey::From("bob".into()));
        assert!(matches!(keys.last(), Some(SearchKey::Or(_, rest)) if matches!(**rest, SearchKey::Or(_, _))));
        assert!(
            SearchQuery {
                since: Some("yesterday".into()),
                ..SearchQuery::default()
            }
            .to_key()
            .is_err()
        );
        assert_eq!(SearchQuery::default().to_key().unwrap(), SearchKey::All);
    }

    #[test]
    fn base_subjects_drop_reply_prefixes_and_tags() {
        assert_eq!(base_subject("Re: Fwd: [list] Hello"), "hello");
        assert_eq!(base_subject("AW: Re: Budget"), "budget");
    }

    #[test]
    fn append_dates() {
        assert_eq!(
            internal_date_from_iso("2024-03-05T07:08:09Z").unwrap(),
            "05-Mar-2024 07:08:09 +0000"
        );
        assert!(internal_date_from_iso("2024-13-05").is_err());
        assert_eq!(
            internal_date_from_iso("2024-03-05T07:08:09.123Z").unwrap(),
            "05-Mar-2024 07:08:09 +0000",
            "toISOString()"
        );
        assert_eq!(
            internal_date_from_iso("2024-03-05T07:08:09+02:00").unwrap(),
            "05-Mar-2024 07:08:09 +0200"
        );
        assert_eq!(
            internal_date_from_iso("2024-03-05").unwrap(),
            "05-Mar-2024 00:00:00 +0000"
        );
        for bad in [
            "2024-03-05junk",
            "2024-03-05T7:08:09Z",
            "2024-03-05T07:08:09.Z",
            "2024-03-05T25:00:00Z",
            "2024-03-05T07:08:09+2",
        ] {
            assert!(internal_date_from_iso(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn search_dates_are_exactly_yyyy_mm_dd() {
        assert_eq!(
            parse_date("2024-02-29").unwrap(),
            SearchDate {
                year: 2024,
                month: 2,
                day: 29
            }
        );
        for bad in [
            "2026-01-01junk",
            "2026-01-01T00:00:00Z",
            "2026-1-01",
            "2023-02-29",
            "2026-04-31",
            "+026-01-01",
            "2026-01-00",
            "",
        ] {
            assert!(
                matches!(parse_date(bad), Err(ClientError::InvalidArgument(_))),
                "{bad} accepted"
            );
        }
    }
}
