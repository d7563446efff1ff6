//! How a command's answer flows: which commands may be in flight together, and
//! which untagged data belongs to which command.

use super::Command;
use crate::codec::mutf7;
use crate::codec::types::{Data, SequenceSet};

impl Command {
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
            (Self::GetMetadata { .. }, Data::Metadata { .. }) => true,
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
