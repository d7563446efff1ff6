//! The engine's input path: arbitrary server bytes after a greeting, with commands
//! in flight, IDLE and timeouts. No input may panic the engine; its limits are
//! small here so the fuzzer reaches them (libFuzzer's -rss_limit_mb catches any
//! input that makes it hold more), and fuzz/seeds/engine_input starts at each.
#![no_main]

use client_wasm::codec::types::SequenceSet;
use client_wasm::engine::sasl::{Mechanism, Secret};
use client_wasm::engine::{Command, Config, Connection, FetchItem};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let config = Config {
        max_response_bytes: 64 * 1024,
        max_answers_per_command: 1_000,
        ..Config::default()
    };
    let mut connection = Connection::new(config, 0);
    connection.handle_input(b"* OK [CAPABILITY IMAP4rev1 IDLE LITERAL+ QRESYNC UIDPLUS MOVE COMPRESS=DEFLATE] hi\r\n", 0);
    connection.submit(Command::Authenticate(Mechanism::Login { user: "u".into(), password: Secret::new("p") }));
    connection.submit(Command::Select { mailbox: "INBOX".into(), read_only: false, condstore: true, qresync: None });
    connection.submit(Command::List { reference: String::new(), pattern: "*".into(), extended: false, status: Vec::new() });
    connection.submit(Command::Fetch {
        uid: true,
        set: SequenceSet(vec![(1, u32::MAX)]),
        items: vec![FetchItem::Uid, FetchItem::Flags, FetchItem::Envelope, FetchItem::BodyStructure],
        changed_since: None,
        vanished: false,
    });
    connection.set_idle(true);
    let mut now = 0;
    for (index, chunk) in data.chunks(97).enumerate() {
        now += 1000;
        connection.handle_input(chunk, now);
        while connection.poll_transmit().is_some() {}
        while connection.poll_event().is_some() {}
        if index % 7 == 3 {
            connection.submit(Command::Noop);
        }
        if let Some(deadline) = connection.poll_timeout() {
            if index % 5 == 4 {
                now = now.max(deadline);
                connection.handle_timeout(now);
            }
        }
    }
    connection.handle_closed("end of input");
    while connection.poll_event().is_some() {}
});
