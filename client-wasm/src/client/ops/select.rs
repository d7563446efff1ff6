//! Opening a mailbox (SELECT/EXAMINE), learning its UIDs, and reopening it after a reconnect.

use crate::client::ErrorKind;
use crate::client::types::SelectInfo;
use crate::client::{Client, ClientError};
use crate::codec::search::SearchKey;
use crate::codec::types::SequenceSet;
use crate::engine::{Command, CommandError, FetchItem, Qresync};

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
