//! The selected mailbox as the client knows it, kept true under unsolicited data:
//! message count, the sequence-number-to-UID map through EXPUNGE and VANISHED,
//! flags, UIDVALIDITY and HIGHESTMODSEQ.

use crate::codec::types::{Code, Data, SequenceSet};

/// A change to the selected mailbox, reported as an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailboxChange {
    /// The message count changed (`EXISTS`); `count > previous` means new mail.
    Exists {
        /// The new count.
        count: u32,
        /// The count before.
        previous: u32,
    },
    /// A message was expunged; later sequence numbers shift down by one.
    Expunged {
        /// Its sequence number before removal.
        seq: u32,
        /// Its UID, when the client knew it.
        uid: Option<u32>,
    },
    /// Messages are gone (QRESYNC `VANISHED`); `earlier` means found during a resync.
    Vanished {
        /// Their UIDs.
        uids: Vec<u32>,
        /// Reported for the time the client was away, not just now.
        earlier: bool,
    },
    /// A message's flags changed (an unsolicited FETCH).
    Flags {
        /// Sequence number.
        seq: u32,
        /// UID, when known.
        uid: Option<u32>,
        /// The full new flag list.
        flags: Vec<String>,
        /// The new MODSEQ (CONDSTORE).
        modseq: Option<u64>,
    },
    /// The flags defined in the mailbox changed (`FLAGS`).
    DefinedFlags(Vec<String>),
    /// UIDVALIDITY is not what it was: every cached UID of this mailbox is invalid.
    UidValidityChanged {
        /// The value the client had.
        old: u32,
        /// The new value.
        new: u32,
    },
}

/// The state of the selected mailbox.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelectedMailbox {
    /// The mailbox name (Unicode).
    pub name: String,
    /// Selected with EXAMINE, or the server said `[READ-ONLY]`.
    pub read_only: bool,
    /// UIDVALIDITY.
    pub uid_validity: Option<u32>,
    /// The predicted next UID.
    pub uid_next: Option<u32>,
    /// HIGHESTMODSEQ (CONDSTORE); `None` with `[NOMODSEQ]`.
    pub highest_modseq: Option<u64>,
    /// Flags defined in the mailbox.
    pub flags: Vec<String>,
    /// Flags the client can store (`\*` allows new keywords).
    pub permanent_flags: Vec<String>,
    /// Messages with `\Recent`.
    pub recent: u32,
    /// Sequence number of the first unseen message, if the server said.
    pub first_unseen: Option<u32>,
    /// UID of each message by sequence number - 1; 0 while unknown.
    uids: Vec<u32>,
}

impl SelectedMailbox {
    /// A mailbox about to be selected; `known_validity` is what a cache holds.
    pub fn new(name: &str, read_only: bool, known_validity: Option<u32>) -> Self {
        Self {
            name: name.to_owned(),
            read_only,
            uid_validity: known_validity,
            ..Self::default()
        }
    }

    /// The number of messages.
    pub fn exists(&self) -> u32 {
        self.uids.len() as u32
    }

    /// The UID at a sequence number, if known.
    pub fn uid(&self, seq: u32) -> Option<u32> {
        self.uids
            .get(seq.checked_sub(1)? as usize)
            .copied()
            .filter(|&uid| uid != 0)
    }

    /// The sequence number of a UID, if known.
    pub fn seq(&self, uid: u32) -> Option<u32> {
        // Known UIDs ascend with the sequence number; unknown ones (0) sit at the end.
        let known = self
            .uids
            .partition_point(|&candidate| candidate != 0 && candidate < uid);
        match self.uids.get(known) {
            Some(&found) if found == uid => Some(known as u32 + 1),
            _ => self
                .uids
                .iter()
                .position(|&candidate| candidate == uid)
                .map(|index| index as u32 + 1),
        }
    }

    /// All known UIDs in sequence order.
    pub fn uids(&self) -> impl Iterator<Item = u32> + '_ {
        self.uids.iter().copied().filter(|&uid| uid != 0)
    }

    /// True when every message's UID is known.
    pub fn uids_complete(&self) -> bool {
        !self.uids.contains(&0)
    }

    /// Installs the complete UID list (e.g. from `UID SEARCH ALL`), which in UID
    /// order is also the sequence order. Ignored if the count no longer matches.
    pub fn set_uids(&mut self, mut uids: Vec<u32>) -> bool {
        uids.sort_unstable();
        uids.dedup();
        if uids.len() != self.uids.len() {
            return false;
        }
        self.uids = uids;
        true
    }

    /// Applies a response code (from any untagged or tagged status).
    pub fn apply_code(&mut self, code: &Code) -> Option<MailboxChange> {
        match code {
            Code::UidValidity(new) => {
                let old = self.uid_validity.replace(*new);
                match old {
                    Some(old) if old != *new => {
                        self.uids.fill(0);
                        Some(MailboxChange::UidValidityChanged { old, new: *new })
                    }
                    _ => None,
                }
            }
            Code::UidNext(next) => {
                self.uid_next = Some(*next);
                None
            }
            Code::HighestModseq(modseq) => {
                self.highest_modseq = Some(*modseq);
                None
            }
            Code::NoModseq => {
                self.highest_modseq = None;
                None
            }
            Code::PermanentFlags(flags) => {
                self.permanent_flags = flags.clone();
                None
            }
            Code::Unseen(seq) => {
                self.first_unseen = Some(*seq);
                None
            }
            Code::ReadOnly => {
                self.read_only = true;
                None
            }
            Code::ReadWrite => {
                self.read_only = false;
                None
            }
            _ => None,
        }
    }

    /// Applies untagged data and returns the change it made, if any. Flag changes
    /// are only reported with `flag_news` (a command's own FETCH results are not news).
    pub fn apply(&mut self, data: &Data, flag_news: bool) -> Option<MailboxChange> {
        match data {
            Data::Exists(count) => {
                let previous = self.exists();
                self.uids.resize(*count as usize, 0);
                Some(MailboxChange::Exists {
                    count: *count,
                    previous,
                })
            }
            Data::Recent(count) => {
                self.recent = *count;
                None
            }
            Data::Expunge(seq) => {
                let index = seq.saturating_sub(1) as usize;
                if *seq == 0 || index >= self.uids.len() {
                    return None;
                }
                let uid = self.uids.remove(index);
                Some(MailboxChange::Expunged {
                    seq: *seq,
                    uid: (uid != 0).then_some(uid),
                })
            }
            Data::Vanished { earlier, uids } => self.vanish(uids, *earlier),
            Data::Flags(flags) => {
                self.flags = flags.clone();
                Some(MailboxChange::DefinedFlags(flags.clone()))
            }
            Data::Fetch(fetch) => {
                if let (Some(uid), Some(slot)) = (fetch.uid, self.uids.get_mut(fetch.seq.saturating_sub(1) as usize)) {
                    if fetch.seq > 0 {
                        *slot = uid;
                    }
                }
                if let Some(modseq) = fetch.modseq {
                    self.highest_modseq = Some(self.highest_modseq.map_or(modseq, |known| known.max(modseq)));
                }
                if let Some(uid) = fetch.uid {
                    if self.uid_next.is_some_and(|next| uid >= next) {
                        self.uid_next = Some(uid + 1);
                    }
                }
                let flags = fetch.flags.as_ref().filter(|_| flag_news)?;
                Some(MailboxChange::Flags {
                    seq: fetch.seq,
                    uid: fetch.uid.or_else(|| self.uid(fetch.seq)),
                    flags: flags.clone(),
                    modseq: fetch.modseq,
                })
            }
            _ => None,
        }
    }

    fn vanish(&mut self, set: &SequenceSet, earlier: bool) -> Option<MailboxChange> {
        let gone: Vec<u32> = if set.0.iter().any(|&(a, b)| a == u32::MAX || b == u32::MAX) {
            self.uids
                .iter()
                .copied()
                .filter(|&uid| uid != 0 && set.contains(uid))
                .collect()
        } else {
            set.iter().collect()
        };
        let before = self.uids.len();
        self.uids.retain(|uid| *uid == 0 || !set.contains(*uid));
        // VANISHED does not say how many unknown-UID messages went; only known ones are removed.
        let removed = before - self.uids.len();
        if gone.is_empty() && removed == 0 {
            return None;
        }
        Some(MailboxChange::Vanished { uids: gone, earlier })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::types::Fetch;

    fn mailbox_with(uids: &[u32]) -> SelectedMailbox {
        let mut mailbox = SelectedMailbox::new("INBOX", false, None);
        mailbox.apply(&Data::Exists(uids.len() as u32), true);
        assert!(mailbox.set_uids(uids.to_vec()));
        mailbox
    }

    #[test]
    fn expunge_renumbers() {
        let mut mailbox = mailbox_with(&[10, 20, 30, 40]);
        let change = mailbox.apply(&Data::Expunge(2), true);
        assert_eq!(change, Some(MailboxChange::Expunged { seq: 2, uid: Some(20) }));
        assert_eq!(mailbox.uid(2), Some(30));
        assert_eq!(mailbox.seq(40), Some(3));
        assert_eq!(mailbox.exists(), 3);
    }

    #[test]
    fn vanished_removes_by_uid() {
        let mut mailbox = mailbox_with(&[10, 20, 30, 40, 50]);
        let change = mailbox.apply(
            &Data::Vanished {
                earlier: false,
                uids: SequenceSet(vec![(20, 30), (50, 50), (99, 99)]),
            },
            true,
        );
        assert_eq!(mailbox.uids().collect::<Vec<_>>(), vec![10, 40]);
        assert!(matches!(&change, Some(MailboxChange::Vanished { uids, .. }) if uids.contains(&20)));
    }

    #[test]
    fn new_mail_extends_and_fetch_fills_uids() {
        let mut mailbox = mailbox_with(&[10, 20]);
        assert_eq!(
            mailbox.apply(&Data::Exists(3), true),
            Some(MailboxChange::Exists { count: 3, previous: 2 })
        );
        assert_eq!(mailbox.uid(3), None);
        assert!(!mailbox.uids_complete());
        let fetch = Fetch {
            seq: 3,
            uid: Some(25),
            flags: Some(vec!["\\Seen".into()]),
            ..Fetch::default()
        };
        let change = mailbox.apply(&Data::Fetch(Box::new(fetch)), true);
        assert_eq!(mailbox.uid(3), Some(25));
        assert_eq!(mailbox.seq(25), Some(3));
        assert!(matches!(&change, Some(MailboxChange::Flags { uid: Some(25), .. })));
    }

    #[test]
    fn uidvalidity_change_invalidates_the_map() {
        let mut mailbox = mailbox_with(&[10, 20]);
        mailbox.apply_code(&Code::UidValidity(7));
        let change = mailbox.apply_code(&Code::UidValidity(8));
        assert_eq!(change, Some(MailboxChange::UidValidityChanged { old: 7, new: 8 }));
        assert_eq!(mailbox.uid(1), None);
    }

    #[test]
    fn out_of_range_data_is_ignored() {
        let mut mailbox = mailbox_with(&[10]);
        assert!(mailbox.apply(&Data::Expunge(0), true).is_none());
        assert!(mailbox.apply(&Data::Expunge(5), true).is_none());
        let stray = Fetch {
            seq: 99,
            uid: Some(5),
            ..Fetch::default()
        };
        assert!(mailbox.apply(&Data::Fetch(Box::new(stray)), true).is_none());
        assert_eq!(mailbox.exists(), 1);
    }
}
