//! What the engine reports: command completions, mailbox changes and session events.

use std::fmt;

use crate::codec::encode::EncodeError;
use crate::codec::types::{Code, Data, ESearch, Fetch, SequenceSet, Status, ThreadNode};
use crate::mailbox::MailboxChange;

use super::SessionState;

/// Identifies a submitted command; its completion event carries the same id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommandId(pub u64);

/// A successful command: its tagged completion and the untagged responses it caused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandResult {
    /// The tagged `OK`.
    pub status: Status,
    /// Untagged data routed to this command, in arrival order.
    pub data: Vec<Data>,
    /// Untagged status responses that arrived while it ran (SELECT's codes live here).
    pub untagged: Vec<Status>,
}

impl CommandResult {
    /// The FETCH responses.
    pub fn fetches(&self) -> impl Iterator<Item = &Fetch> {
        self.data.iter().filter_map(|data| match data {
            Data::Fetch(fetch) => Some(fetch.as_ref()),
            _ => None,
        })
    }

    /// Takes the FETCH responses out.
    pub fn into_fetches(self) -> Vec<Fetch> {
        self.data
            .into_iter()
            .filter_map(|data| match data {
                Data::Fetch(fetch) => Some(*fetch),
                _ => None,
            })
            .collect()
    }

    /// SEARCH or SORT numbers, or the expanded ESEARCH `ALL` set.
    pub fn ids(&self) -> Vec<u32> {
        let mut ids = Vec::new();
        for data in &self.data {
            match data {
                Data::Search(found, _) | Data::Sort(found) => ids.extend_from_slice(found),
                Data::ESearch(ESearch { all: Some(all), .. }) => ids.extend(all.iter()),
                _ => {}
            }
        }
        ids
    }

    /// The ESEARCH response, if the server sent one.
    pub fn esearch(&self) -> Option<&ESearch> {
        self.data.iter().find_map(|data| match data {
            Data::ESearch(result) => Some(result),
            _ => None,
        })
    }

    /// The THREAD forest.
    pub fn threads(&self) -> Vec<ThreadNode> {
        self.data
            .iter()
            .flat_map(|data| match data {
                Data::Thread(roots) => roots.clone(),
                _ => Vec::new(),
            })
            .collect()
    }

    /// `[COPYUID validity source destination]` (UIDPLUS), from the tagged OK or an untagged OK (MOVE).
    pub fn copy_uid(&self) -> Option<(u32, SequenceSet, SequenceSet)> {
        std::iter::once(&self.status)
            .chain(&self.untagged)
            .find_map(|status| match &status.code {
                Some(Code::CopyUid(validity, source, destination)) => {
                    Some((*validity, source.clone(), destination.clone()))
                }
                _ => None,
            })
    }

    /// `[APPENDUID validity uids]` (UIDPLUS).
    pub fn append_uid(&self) -> Option<(u32, SequenceSet)> {
        match &self.status.code {
            Some(Code::AppendUid(validity, uids)) => Some((*validity, uids.clone())),
            _ => None,
        }
    }

    /// `[MODIFIED set]`: messages a conditional STORE did not change.
    pub fn modified(&self) -> Option<&SequenceSet> {
        match &self.status.code {
            Some(Code::Modified(set)) => Some(set),
            _ => None,
        }
    }
}

/// Why a command failed; the connection itself may still be fine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandError {
    /// The server answered `NO` (e.g. wrong password, no such mailbox).
    No(Status),
    /// The server answered `BAD` (it did not understand the command).
    Bad(Status),
    /// The command could not be encoded (a value with no safe encoding).
    Encode(EncodeError),
    /// The connection ended before the command completed, for this reason.
    ConnectionLost(ConnectionError),
    /// The session ended, for a reason the server gave, while this command was
    /// in flight: most likely over it (Dovecot's BYE "Literal size too large", a
    /// response past the client's limits), so it is not sent again.
    Aborted(ConnectionError),
    /// The command needs a capability the server does not have.
    Unsupported(&'static str),
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::No(status) => write!(f, "the server refused: {}", status.text),
            Self::Bad(status) => write!(f, "the server rejected the command: {}", status.text),
            Self::Encode(error) => write!(f, "{error}"),
            Self::ConnectionLost(reason) => write!(f, "connection lost: {reason}"),
            Self::Aborted(error) => write!(f, "the session ended over this command: {error}"),
            Self::Unsupported(capability) => write!(f, "the server does not support {capability}"),
        }
    }
}

impl std::error::Error for CommandError {}

/// Why the whole connection is unusable. Sticky: once set, every call reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionError {
    /// The first line was not an IMAP greeting (an SMTP banner on the wrong port...).
    NotImap(String),
    /// The server said BYE instead of hello, or closed the session.
    Bye(String),
    /// A response stopped mid-way (a literal that never completes) for longer than the timeout.
    Stalled,
    /// The server did not answer a command within the timeout.
    Timeout,
    /// Bytes followed the STARTTLS OK before the TLS handshake (a downgrade or injection attempt).
    StartTlsInjection,
    /// The compressed stream is corrupt.
    Compression(String),
    /// The transport closed.
    Closed(String),
    /// The server sent more than the client holds (a literal announced as
    /// gigabytes, a line that never ends, data that inflates without end,
    /// a million answers to one command); the text says what.
    TooLarge(String),
    /// Something on the way to the server (the bridge) refused what the
    /// client sent and ended the session; the text is its reason.
    Refused(String),
}

impl fmt::Display for ConnectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotImap(line) => write!(f, "not an IMAP server (it said: {line})"),
            Self::Bye(text) => write!(f, "the server closed the session: {text}"),
            Self::Stalled => f.write_str("the server stopped in the middle of a response"),
            Self::Timeout => f.write_str("the server did not answer in time"),
            Self::StartTlsInjection => f.write_str("the server sent data before the TLS handshake (possible attack)"),
            Self::Compression(why) => write!(f, "the compressed stream is corrupt: {why}"),
            Self::Closed(why) => write!(f, "the connection closed: {why}"),
            Self::TooLarge(what) => write!(f, "the server sent more than this client holds: {what}"),
            Self::Refused(why) => write!(f, "the connection was refused on the way to the server: {why}"),
        }
    }
}

impl std::error::Error for ConnectionError {}

/// Something the caller should know about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A submitted command finished.
    Completed {
        /// The id [`super::Connection::submit`] returned.
        id: CommandId,
        /// The outcome.
        result: Result<CommandResult, CommandError>,
    },
    /// The session state changed (authenticated, selected...).
    State(SessionState),
    /// The server's capabilities are known or changed.
    Capabilities(Vec<String>),
    /// The selected mailbox changed (new mail, expunges, flags...).
    Mailbox(MailboxChange),
    /// `[ALERT]` text the user must see.
    Alert(String),
    /// The server said BYE; the connection is about to close.
    Bye(String),
    /// A response could not be parsed or was too large; it was skipped and the session goes on.
    BadResponse {
        /// Its length in bytes.
        bytes: usize,
        /// Why it was skipped.
        reason: String,
    },
    /// STARTTLS was accepted: upgrade the transport, then call [`super::Connection::tls_established`].
    StartTls,
    /// The server accepted IDLE; changes now arrive as they happen.
    Idling,
    /// Untagged data no command asked for (e.g. a STATUS from NOTIFY).
    Unsolicited(Data),
}
