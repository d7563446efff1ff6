//! The shapes the API returns. Field names are camelCase in JavaScript.

use serde::Serialize;

/// Attachments are the MIME layer's part model, listed as the API returns them.
pub use crate::mime::Attachment;

/// A person in an address header, decoded to Unicode.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// Display name.
    pub name: Option<String>,
    /// `local@domain`.
    pub address: Option<String>,
}

/// A message's envelope, decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// The `Date:` header as an ISO 8601 timestamp (UTC), when it parses.
    pub date: Option<String>,
    /// Subject.
    pub subject: Option<String>,
    /// From.
    pub from: Vec<Address>,
    /// Sender.
    pub sender: Vec<Address>,
    /// Reply-To.
    pub reply_to: Vec<Address>,
    /// To.
    pub to: Vec<Address>,
    /// Cc.
    pub cc: Vec<Address>,
    /// Bcc.
    pub bcc: Vec<Address>,
    /// In-Reply-To.
    pub in_reply_to: Option<String>,
    /// Message-ID.
    pub message_id: Option<String>,
}

/// A mailbox from LIST.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Mailbox {
    /// The last path component, for display.
    pub name: String,
    /// The full name (Unicode), used to select it.
    pub path: String,
    /// The hierarchy delimiter.
    pub delimiter: Option<String>,
    /// LIST attributes as sent (`\HasChildren`, `\Noselect`...).
    pub flags: Vec<String>,
    /// `\Sent`, `\Drafts`, `\Trash`, `\Junk`, `\Archive`, `\All`, `\Flagged`, or `\Inbox`.
    pub special_use: Option<String>,
    /// Subscribed.
    pub subscribed: bool,
    /// Has child mailboxes.
    pub children: bool,
    /// Can be selected (no `\Noselect` / `\NonExistent`).
    pub selectable: bool,
    /// Counts, when the server could send them with the list (LIST-STATUS).
    pub status: Option<MailboxStatus>,
}

/// Mailbox counters from STATUS.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MailboxStatus {
    /// Messages.
    pub messages: Option<u32>,
    /// Unseen messages.
    pub unseen: Option<u32>,
    /// Recent messages.
    pub recent: Option<u32>,
    /// The next UID.
    pub uid_next: Option<u32>,
    /// UIDVALIDITY.
    pub uid_validity: Option<u32>,
    /// HIGHESTMODSEQ (CONDSTORE).
    pub highest_modseq: Option<u64>,
}

/// The result of SELECT or EXAMINE.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SelectInfo {
    /// The mailbox.
    pub path: String,
    /// Messages.
    pub exists: u32,
    /// Recent messages.
    pub recent: u32,
    /// Unseen messages (counted with a search: the SELECT code only names the first one).
    pub unseen: u32,
    /// UIDVALIDITY.
    pub uid_validity: u32,
    /// The next UID.
    pub uid_next: u32,
    /// Flags defined in the mailbox.
    pub flags: Vec<String>,
    /// Flags that can be stored (`\*`: new keywords allowed).
    pub permanent_flags: Vec<String>,
    /// HIGHESTMODSEQ (CONDSTORE).
    pub highest_modseq: Option<u64>,
    /// Opened read-only.
    pub read_only: bool,
}

/// What a caller kept of a mailbox, for [`Client::select_since`](crate::client::Client::select_since).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Since {
    /// The UIDVALIDITY the copy belongs to.
    pub uid_validity: u32,
    /// The HIGHESTMODSEQ the copy is up to date with (CONDSTORE servers).
    pub highest_modseq: Option<u64>,
    /// The UIDs the copy holds.
    pub uids: Vec<u32>,
}

/// What changed in a mailbox since a kept copy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncChanges {
    /// The UIDVALIDITY changed: every kept UID is meaningless, drop the copy.
    pub reset: bool,
    /// Kept UIDs that are gone from the mailbox.
    pub vanished: Vec<u32>,
    /// Kept messages whose flags changed (or, without CONDSTORE, the newest ones' flags).
    pub flags: Vec<FlagChange>,
}

impl SyncChanges {
    pub(crate) fn reset() -> Self {
        Self {
            reset: true,
            ..Self::default()
        }
    }
}

/// A message's flags as the server has them now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlagChange {
    /// UID.
    pub uid: u32,
    /// All its flags.
    pub flags: Vec<String>,
}

/// One row of a message list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageSummary {
    /// UID.
    pub uid: u32,
    /// Sequence number.
    pub seq: u32,
    /// Flags.
    pub flags: Vec<String>,
    /// Size in bytes (RFC822.SIZE).
    pub size: u64,
    /// INTERNALDATE (arrival) as ISO 8601.
    pub internal_date: Option<String>,
    /// Envelope.
    pub envelope: Envelope,
    /// True when the structure shows attachments.
    pub has_attachments: bool,
    /// A short text preview, where the server offers PREVIEW.
    pub preview: Option<String>,
    /// Gmail labels, where offered.
    pub labels: Option<Vec<String>>,
}

/// A message opened for reading.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// UID.
    pub uid: u32,
    /// Every header, decoded, in order.
    pub headers: Vec<(String, String)>,
    /// Subject.
    pub subject: Option<String>,
    /// From.
    pub from: Vec<Address>,
    /// To.
    pub to: Vec<Address>,
    /// Cc.
    pub cc: Vec<Address>,
    /// Bcc (on sent mail).
    pub bcc: Vec<Address>,
    /// Reply-To.
    pub reply_to: Vec<Address>,
    /// `Date:` as ISO 8601.
    pub date: Option<String>,
    /// Message-ID.
    pub message_id: Option<String>,
    /// In-Reply-To.
    pub in_reply_to: Option<String>,
    /// References.
    pub references: Vec<String>,
    /// The plain-text body, decoded.
    pub text: Option<String>,
    /// The HTML body, decoded (not sanitized: the UI must sanitize it).
    pub html: Option<String>,
    /// Attachments and inline parts.
    pub attachments: Vec<Attachment>,
    /// Flags.
    pub flags: Vec<String>,
}

/// A thread: a message and the replies to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadTree {
    /// The message's UID, or `None` for a missing parent.
    pub uid: Option<u32>,
    /// Replies.
    pub children: Vec<ThreadTree>,
}

/// Where copied or moved messages landed (UIDPLUS).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UidMap {
    /// The target's UIDVALIDITY.
    pub uid_validity: u32,
    /// `(source UID, target UID)` pairs.
    pub uids: Vec<(u32, u32)>,
}
