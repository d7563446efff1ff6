//! The mailbox operations of the API, one file per area; shared limits and helpers here.

use super::ClientError;
use crate::codec::types::SequenceSet;

mod dates;
mod fetch;
mod mailboxes;
mod metadata;
mod search;
mod select;
mod session;
mod store;

pub use fetch::{ProgressFn, SummaryOptions, SummaryRecord, decode_summaries};
#[cfg(feature = "bench")]
pub(crate) use fetch::{summary, summary_items};
pub use search::{SearchQuery, SortOrder};
pub(crate) use select::flags_of;
pub use store::SetFlagsMode;

/// Largest UID set sent in one command; longer lists are split into pipelined commands.
const UIDS_PER_COMMAND: usize = 2000;

pub(super) fn uid_chunks(uids: &[u32]) -> Vec<SequenceSet> {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    sorted.chunks(UIDS_PER_COMMAND).map(SequenceSet::from_ids).collect()
}

pub(super) fn validate_uids(uids: &[u32]) -> Result<(), ClientError> {
    if uids.contains(&0) {
        return Err(ClientError::invalid_argument("0 is not a valid UID"));
    }
    Ok(())
}
