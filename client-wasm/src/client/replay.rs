//! Replays a captured server stream through the engine, as a client would receive
//! it: for benchmarks (native and wasm run the very same code) and for tools.
//! Built only with the `bench` feature.

use super::ops::{summary, summary_items};
use super::types::MessageSummary;
use crate::codec::types::SequenceSet;
use crate::engine::{Command, Config, Connection, Event};

/// The items a message list fetches; a capture to replay must have asked for these.
pub const SUMMARY_ITEMS: &str = "(UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE BODYSTRUCTURE)";

/// Replays the server's answers to `W1 SELECT INBOX` and `W2 UID FETCH 1:*
/// SUMMARY_ITEMS` (in `stream`, delivered `chunk` bytes at a time) through the
/// engine and the selected-mailbox model, and builds the message-list rows.
pub fn summaries_from_capture(stream: &[u8], chunk: usize) -> Vec<MessageSummary> {
    let config = Config {
        max_response_bytes: usize::MAX,
        ..Config::default()
    };
    let mut connection = Connection::new(config, 0);
    connection.handle_input(b"* PREAUTH [CAPABILITY IMAP4rev1] replay\r\n", 0);
    connection.submit(Command::Select {
        mailbox: "INBOX".into(),
        read_only: false,
        condstore: false,
        qresync: None,
    });
    let fetch = connection.submit(Command::Fetch {
        uid: true,
        set: SequenceSet(vec![(1, u32::MAX)]),
        items: summary_items(),
        changed_since: None,
        vanished: false,
        keep_raw: false,
    });
    let mut rows = Vec::new();
    for piece in stream.chunks(chunk.max(1)) {
        connection.handle_input(piece, 0);
        while connection.poll_transmit().is_some() {}
        while let Some(event) = connection.poll_event() {
            if let Event::Completed { id, result: Ok(result) } = event {
                if id == fetch {
                    rows.extend(result.into_fetches().into_iter().filter_map(summary));
                }
            }
        }
    }
    rows
}
