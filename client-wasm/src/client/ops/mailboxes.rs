//! The mailbox list and what can be done to a mailbox as a whole.

use crate::client::ErrorKind;
use crate::client::decode;
use crate::client::types::{Mailbox, MailboxStatus};
use crate::client::{Client, ClientError, ClientEvent};
use crate::codec::types::Data;
use crate::engine::Command;

impl Client {
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
            .ok_or_else(|| ClientError::new(ErrorKind::Protocol, "the server sent no STATUS data"))
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
