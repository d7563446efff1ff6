//! Changing messages: flags, copy, move, expunge, and APPEND with upload progress.

use super::dates::internal_date_from_iso;
use super::fetch::ProgressFn;
use super::{uid_chunks, validate_uids};
use crate::client::types::UidMap;
use crate::client::{Client, ClientError};
use crate::codec::search::SearchKey;
use crate::codec::types::SequenceSet;
use crate::engine::{Command, StoreMode};

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

impl Client {
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
        self.transfer(uids, target, |set, mailbox| Command::Copy {
            uid: true,
            set,
            mailbox,
        })
        .await
    }

    /// Moves messages: MOVE where offered, otherwise COPY, then `\Deleted` and an
    /// expunge of only those messages. A failure part-way leaves the messages in
    /// the source (and perhaps also the target): never nowhere.
    pub async fn move_messages(&self, uids: &[u32], target: &str) -> Result<Option<UidMap>, ClientError> {
        validate_uids(uids)?;
        if self.has_capability("MOVE") {
            return self
                .transfer(uids, target, |set, mailbox| Command::Move {
                    uid: true,
                    set,
                    mailbox,
                })
                .await;
        }
        let map = self.copy(uids, target).await?;
        self.set_flags(uids, &["\\Deleted".to_owned()], SetFlagsMode::Add)
            .await?;
        self.expunge_only(uids).await?;
        Ok(map)
    }

    /// Expunges only `uids`: UID EXPUNGE with UIDPLUS; otherwise other messages
    /// marked `\Deleted` are unmarked for the EXPUNGE and marked again after.
    /// Runs COPY or MOVE over `uids` in chunks; returns where they landed (UIDPLUS).
    async fn transfer(
        &self,
        uids: &[u32],
        target: &str,
        command: fn(SequenceSet, String) -> Command,
    ) -> Result<Option<UidMap>, ClientError> {
        let mut map: Option<UidMap> = None;
        for set in uid_chunks(uids) {
            let result = self.run(command(set, target.to_owned()), Some(target)).await?;
            merge_map(&mut map, result.copy_uid().map(copy_map));
        }
        Ok(map)
    }

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
}

/// How often an upload reports its progress, in milliseconds.
const UPLOAD_PROGRESS_MS: u64 = 100;

fn copy_map((validity, source, destination): (u32, SequenceSet, SequenceSet)) -> UidMap {
    UidMap {
        uid_validity: validity,
        uids: source.iter().zip(destination.iter()).collect(),
    }
}

fn merge_map(map: &mut Option<UidMap>, part: Option<UidMap>) {
    match (map.as_mut(), part) {
        (Some(existing), Some(part)) => existing.uids.extend(part.uids),
        (None, Some(part)) => *map = Some(part),
        _ => {}
    }
}

#[cfg(test)]
mod tests {}
