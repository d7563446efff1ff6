//! Opening a mailbox (SELECT/EXAMINE), learning its UIDs, and reopening it after a reconnect.

use std::collections::BTreeSet;

use crate::client::ErrorKind;
use crate::client::types::{FlagChange, SelectInfo, Since, SyncChanges};
use crate::client::{Client, ClientError};
use crate::codec::search::SearchKey;
use crate::codec::types::SequenceSet;
use crate::engine::{Command, CommandError, CommandResult, FetchItem, Qresync};

/// Without CONDSTORE, the flags of at most this many of the newest known
/// messages are read again on each visit: a 100,000-message folder must not
/// cost 100,000 flags (about 4 MB) every time it is opened.
const FLAG_WINDOW: usize = 500;

impl Client {
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

    /// Selects a mailbox the caller has kept a copy of, and says what changed
    /// since (RFC 7162): in one round trip with QRESYNC (vanished UIDs and changed
    /// flags come with the SELECT), one more with CONDSTORE alone (`CHANGEDSINCE`),
    /// and without either, the flags of the newest known messages only.
    pub async fn select_since(&self, path: &str, since: &Since) -> Result<(SelectInfo, SyncChanges), ClientError> {
        let qresync = match (self.with_connection(|c| c.is_enabled("QRESYNC")), since.highest_modseq) {
            (true, Some(modseq)) => Some(Qresync {
                uid_validity: since.uid_validity,
                modseq,
                known_uids: (!since.uids.is_empty()).then(|| SequenceSet::from_ids(&since.uids)),
            }),
            _ => None,
        };
        let condstore = self.has_capability("CONDSTORE");
        let with_qresync = qresync.is_some();
        let command = Command::Select {
            mailbox: path.to_owned(),
            read_only: false,
            condstore: condstore && !with_qresync,
            qresync,
        };
        let (info, selected) = self.select_result(command, path).await?;
        if info.uid_validity != since.uid_validity {
            return Ok((info, SyncChanges::reset()));
        }
        let now: BTreeSet<u32> = self.with_connection(|c| c.selected().map(|s| s.uids().collect()).unwrap_or_default());
        let known: Vec<u32> = since.uids.iter().copied().filter(|uid| now.contains(uid)).collect();
        let vanished = since.uids.iter().copied().filter(|uid| !now.contains(uid)).collect();
        let flags = if with_qresync {
            flag_changes(&selected, &known)
        } else if known.is_empty()
            || (condstore && info.highest_modseq.is_some() && info.highest_modseq == since.highest_modseq)
        {
            Vec::new()
        } else {
            // CONDSTORE: only what changed; without it, a window of the newest.
            let (set, changed_since) = match since.highest_modseq.filter(|_| condstore) {
                Some(modseq) => (known.clone(), Some(modseq)),
                None => (known[known.len().saturating_sub(FLAG_WINDOW)..].to_vec(), None),
            };
            let result = self.run(flags_of(&set, changed_since), Some(path)).await?;
            flag_changes(&result, &known)
        };
        Ok((
            info,
            SyncChanges {
                reset: false,
                vanished,
                flags,
            },
        ))
    }

    /// Runs a SELECT, then learns the UID map and the unseen count (pipelined).
    pub(crate) async fn select_with(&self, command: Command, path: &str) -> Result<SelectInfo, ClientError> {
        Ok(self.select_result(command, path).await?.0)
    }

    /// [`Client::select_with`], keeping what the server sent with the SELECT.
    async fn select_result(&self, command: Command, path: &str) -> Result<(SelectInfo, CommandResult), ClientError> {
        let read_only = matches!(command, Command::Select { read_only: true, .. });
        let result = match self.command(command).await {
            Ok(result) => result,
            Err(error) => {
                // A refused SELECT leaves no mailbox selected (RFC 3501 6.3.1); one
                // lost with the connection leaves the previous one for the restore.
                if matches!(error, CommandError::No(_) | CommandError::Bad(_)) {
                    self.inner.borrow_mut().memory.selected = None;
                }
                return Err(self.explain(error, Some(path)).await);
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
                .ok_or_else(|| ClientError::new(ErrorKind::Protocol, "no mailbox selected after SELECT"))?;
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
        Ok((info, result))
    }

    /// Fetches UIDs of messages from sequence number `from` on and records them.
    pub(crate) async fn learn_new_uids(&self, from: u32) -> Vec<u32> {
        let command = Command::Fetch {
            uid: false,
            set: SequenceSet(vec![(from, u32::MAX)]),
            items: vec![FetchItem::Uid],
            changed_since: None,
            vanished: false,
            keep_raw: false,
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

/// `UID FETCH uids (UID FLAGS)`, only those changed since a modseq where given (CONDSTORE).
pub(crate) fn flags_of(uids: &[u32], changed_since: Option<u64>) -> Command {
    Command::Fetch {
        uid: true,
        set: SequenceSet::from_ids(uids),
        items: vec![FetchItem::Uid, FetchItem::Flags],
        changed_since,
        vanished: false,
        keep_raw: false,
    }
}

/// The flags a response reports for messages the caller knows (new messages
/// are the caller's to fetch whole).
fn flag_changes(result: &CommandResult, known: &[u32]) -> Vec<FlagChange> {
    let known: BTreeSet<u32> = known.iter().copied().collect();
    result
        .fetches()
        .filter_map(|fetch| match (fetch.uid, &fetch.flags) {
            (Some(uid), Some(flags)) if known.contains(&uid) => Some(FlagChange {
                uid,
                flags: flags.clone(),
            }),
            _ => None,
        })
        .collect()
}
