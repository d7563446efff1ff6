//! Engine transcripts: exact bytes in (`S:`), exact bytes out (`C:`), and the events.
//!
//! Each test reads as the IMAP conversation it checks. Time is simulated.

use client_wasm::codec::encode::EncodeError;
use client_wasm::codec::types::{Data, SequenceSet};
use client_wasm::engine::sasl::{Mechanism, Secret};
use client_wasm::engine::{
    Command, CommandError, CommandId, Config, Connection, ConnectionError, Event, FetchItem, SessionState,
};
use client_wasm::mailbox::MailboxChange;

/// A connection plus helpers that read like a transcript.
struct Transcript {
    connection: Connection,
    now: u64,
    events: Vec<Event>,
}

impl Transcript {
    fn new() -> Self {
        Self::with_config(Config::default())
    }

    /// A fresh connection with these limits (small ones make limit tests fast).
    fn with_config(config: Config) -> Self {
        Self {
            connection: Connection::new(config, 0),
            now: 0,
            events: Vec::new(),
        }
    }

    /// A connection past the greeting with these capabilities, logged in.
    fn logged_in(capabilities: &str) -> Self {
        Self::logged_in_with(Config::default(), capabilities)
    }

    /// The same with these limits.
    fn logged_in_with(config: Config, capabilities: &str) -> Self {
        let mut t = Self::with_config(config);
        t.s(&format!("* OK [CAPABILITY IMAP4rev1 {capabilities}] ready"));
        let login = t.submit(Command::Login {
            user: "alice".into(),
            password: Secret::new("pw"),
        });
        t.c("W1 LOGIN alice pw");
        t.s(&format!("W1 OK [CAPABILITY IMAP4rev1 {capabilities}] Logged in"));
        t.completed(login).unwrap();
        t
    }

    /// The server sends one line (CRLF added).
    fn s(&mut self, line: &str) {
        self.s_bytes(format!("{line}\r\n").as_bytes());
    }

    fn s_bytes(&mut self, bytes: &[u8]) {
        self.connection.handle_input(bytes, self.now);
        self.drain();
    }

    /// The client must have sent exactly these lines (CRLF added), and nothing else.
    fn c(&mut self, lines: &str) {
        let expected: String = lines.lines().map(|line| format!("{line}\r\n")).collect();
        let mut sent = Vec::new();
        while let Some(bytes) = self.connection.poll_transmit() {
            sent.extend(bytes);
        }
        assert_eq!(String::from_utf8_lossy(&sent), expected);
    }

    /// The client must have sent exactly these bytes.
    fn c_raw(&mut self, expected: &[u8]) {
        let mut sent = Vec::new();
        while let Some(bytes) = self.connection.poll_transmit() {
            sent.extend(bytes);
        }
        assert_eq!(String::from_utf8_lossy(&sent), String::from_utf8_lossy(expected));
    }

    fn silent(&mut self) {
        assert_eq!(self.connection.poll_transmit(), None, "the client sent something");
    }

    fn submit(&mut self, command: Command) -> CommandId {
        let id = self.connection.submit(command);
        self.drain();
        id
    }

    fn drain(&mut self) {
        while let Some(event) = self.connection.poll_event() {
            self.events.push(event);
        }
    }

    fn completed(&mut self, id: CommandId) -> Result<client_wasm::engine::CommandResult, CommandError> {
        self.drain();
        let index = self
            .events
            .iter()
            .position(|event| matches!(event, Event::Completed { id: done, .. } if *done == id))
            .unwrap_or_else(|| panic!("command {id:?} not completed; events: {:?}", self.events));
        match self.events.remove(index) {
            Event::Completed { result, .. } => result,
            _ => unreachable!(),
        }
    }

    fn pending(&self, id: CommandId) -> bool {
        !self
            .events
            .iter()
            .any(|event| matches!(event, Event::Completed { id: done, .. } if *done == id))
    }

    fn take(&mut self, matches: impl Fn(&Event) -> bool) -> Vec<Event> {
        let (taken, kept) = std::mem::take(&mut self.events)
            .into_iter()
            .partition(|event| matches(event));
        self.events = kept;
        taken
    }
}

/// A plain `SELECT` of `mailbox`.
fn select(mailbox: &str) -> Command {
    Command::Select {
        mailbox: mailbox.into(),
        read_only: false,
        condstore: false,
        qresync: None,
    }
}

#[test]
fn greeting_capability_and_login() {
    let mut t = Transcript::new();
    t.silent();
    t.s("* OK Dovecot ready.");
    t.c("W1 CAPABILITY");
    t.s("* CAPABILITY IMAP4rev1 LITERAL+ SASL-IR IDLE");
    t.s("W1 OK done");
    assert!(t.connection.capabilities().has("IDLE"));
    let login = t.submit(Command::Login {
        user: "alice".into(),
        password: Secret::new("secret one"),
    });
    t.c("W2 LOGIN alice \"secret one\"");
    t.s("W2 OK Logged in");
    t.completed(login).unwrap();
    assert_eq!(t.connection.state(), SessionState::Authenticated);
    // No CAPABILITY code in the OK: the engine asks again, as capabilities change after login.
    t.c("W3 CAPABILITY");
}

#[test]
fn wrong_password_fails_only_that_command() {
    let mut t = Transcript::new();
    t.s("* OK [CAPABILITY IMAP4rev1] ready");
    let login = t.submit(Command::Login {
        user: "alice".into(),
        password: Secret::new("bad"),
    });
    t.c("W1 LOGIN alice bad");
    t.s("W1 NO [AUTHENTICATIONFAILED] Authentication failed.");
    assert!(matches!(t.completed(login), Err(CommandError::No(status)) if status.text == "Authentication failed."));
    assert_eq!(t.connection.state(), SessionState::NotAuthenticated);
    assert!(t.connection.error().is_none());
}

#[test]
fn an_smtp_banner_is_not_imap() {
    let mut t = Transcript::new();
    t.s("220 mail.somehost.net ESMTP NO UCE");
    assert!(matches!(t.connection.error(), Some(ConnectionError::NotImap(line)) if line.contains("ESMTP")));
    let late = t.submit(Command::Noop);
    assert!(
        matches!(t.completed(late), Err(CommandError::ConnectionLost(_))),
        "errors are sticky"
    );
}

#[test]
fn sasl_plain_with_and_without_initial_response() {
    let mut t = Transcript::new();
    t.s("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] ready");
    let auth = t.submit(Command::Authenticate(Mechanism::Plain {
        user: "u".into(),
        password: Secret::new("p"),
    }));
    t.c("W1 AUTHENTICATE PLAIN AHUAcA==");
    t.s("W1 OK [CAPABILITY IMAP4rev1] done");
    t.completed(auth).unwrap();

    let mut t = Transcript::new();
    t.s("* OK [CAPABILITY IMAP4rev1 AUTH=LOGIN] ready");
    let auth = t.submit(Command::Authenticate(Mechanism::Login {
        user: "u".into(),
        password: Secret::new("p"),
    }));
    t.c("W1 AUTHENTICATE LOGIN");
    t.s("+ VXNlcm5hbWU6");
    t.c("dQ==");
    t.s("+ UGFzc3dvcmQ6");
    t.c("cA==");
    t.s("W1 OK [CAPABILITY IMAP4rev1] done");
    t.completed(auth).unwrap();
}

#[test]
fn xoauth2_failure_details_are_answered_with_an_empty_line() {
    let mut t = Transcript::new();
    t.s("* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2 SASL-IR] ready");
    let auth = t.submit(Command::Authenticate(Mechanism::XOAuth2 {
        user: "a@b".into(),
        token: Secret::new("t"),
    }));
    t.c("W1 AUTHENTICATE XOAUTH2 dXNlcj1hQGIBYXV0aD1CZWFyZXIgdAEB");
    t.s("+ eyJzdGF0dXMiOiI0MDEifQ==");
    t.c_raw(b"\r\n");
    t.s("W1 NO [AUTHENTICATIONFAILED] Invalid credentials");
    assert!(matches!(t.completed(auth), Err(CommandError::No(_))));
}

#[test]
fn synchronizing_literals_wait_for_the_continuation() {
    let mut t = Transcript::logged_in("");
    t.c("");
    let login = t.submit(Command::Login {
        user: "bob".into(),
        password: Secret::new("x\r\ny"),
    });
    t.c("W2 LOGIN bob {4}");
    let noop = t.submit(Command::Noop);
    t.silent();
    t.s("+ go ahead");
    t.c_raw(b"x\r\ny\r\n");
    t.s("W2 OK logged in");
    t.c("W3 CAPABILITY\nW4 NOOP");
    t.s("W3 OK");
    t.s("W4 OK noop");
    t.completed(login).unwrap();
    t.completed(noop).unwrap();
}

#[test]
fn literal_plus_sends_at_once_and_a_refused_literal_fails_cleanly() {
    let mut t = Transcript::logged_in("LITERAL+");
    t.c("");
    let append = t.submit(Command::Append {
        mailbox: "Drafts".into(),
        flags: vec!["\\Draft".into()],
        date: None,
        message: b"Subject: x\r\n\r\nhi\r\n".to_vec(),
    });
    t.c_raw(b"W2 APPEND Drafts (\\Draft) {18+}\r\nSubject: x\r\n\r\nhi\r\n\r\n");
    t.s("W2 OK [APPENDUID 1 7] Append completed.");
    assert_eq!(
        t.completed(append).unwrap().append_uid(),
        Some((1, SequenceSet(vec![(7, 7)])))
    );

    let mut t = Transcript::logged_in("");
    t.c("");
    let append = t.submit(Command::Append {
        mailbox: "INBOX".into(),
        flags: vec![],
        date: None,
        message: vec![b'x'; 10],
    });
    t.c("W2 APPEND INBOX {10}");
    t.s("W2 NO [LIMIT] too big");
    assert!(matches!(t.completed(append), Err(CommandError::No(_))));
    let noop = t.submit(Command::Noop);
    t.c("W3 NOOP");
    t.s("W3 OK");
    t.completed(noop).unwrap();
}

#[test]
fn uid_fetches_pipeline_and_match_out_of_order_completions() {
    let mut t = Transcript::logged_in("");
    t.c("");
    let fetch = |ids: &[u32]| Command::Fetch {
        uid: true,
        set: SequenceSet::from_ids(ids),
        items: vec![FetchItem::Uid, FetchItem::Flags],
        changed_since: None,
        vanished: false,
        keep_raw: false,
    };
    let first = t.submit(fetch(&[1, 2]));
    let second = t.submit(fetch(&[3]));
    let overlapping = t.submit(fetch(&[2, 3]));
    t.c("W2 UID FETCH 1:2 (UID FLAGS)\nW3 UID FETCH 3 (UID FLAGS)");
    t.s("* 3 FETCH (UID 3 FLAGS ())");
    t.s("W3 OK done");
    t.s("* 1 FETCH (UID 1 FLAGS (\\Seen))");
    t.s("* 2 FETCH (FLAGS () UID 2)");
    assert!(t.pending(first));
    t.s("W2 OK done");
    assert_eq!(t.completed(first).unwrap().fetches().count(), 2);
    assert_eq!(t.completed(second).unwrap().fetches().count(), 1);
    // The overlapping fetch waited until both were done.
    t.c("W4 UID FETCH 2:3 (UID FLAGS)");
    t.s("W4 OK");
    t.completed(overlapping).unwrap();
}

#[test]
fn select_then_unsolicited_changes_keep_the_model_true() {
    let mut t = Transcript::logged_in("");
    t.c("");
    let select = t.submit(select("INBOX"));
    let fetch = t.submit(Command::Fetch {
        uid: false,
        set: SequenceSet(vec![(1, u32::MAX)]),
        items: vec![FetchItem::Uid],
        changed_since: None,
        vanished: false,
        keep_raw: false,
    });
    t.c("W2 SELECT INBOX");
    t.s("* FLAGS (\\Answered \\Seen)");
    t.s("* 3 EXISTS");
    t.s("* OK [UIDVALIDITY 42] UIDs valid");
    t.s("* OK [UIDNEXT 31] next");
    t.s("W2 OK [READ-WRITE] Select completed");
    t.completed(select).unwrap();
    assert_eq!(t.connection.state(), SessionState::Selected);
    // The SELECT's own EXISTS is the mailbox's starting state, not new mail.
    assert!(
        t.take(|event| matches!(event, Event::Mailbox(_))).is_empty(),
        "SELECT reported its EXISTS as a change"
    );
    // FETCH by sequence number is a barrier: it went only after SELECT completed.
    t.c("W3 FETCH 1:* (UID)");
    t.s("* 1 FETCH (UID 10)");
    t.s("* 2 FETCH (UID 20)");
    t.s("* 3 FETCH (UID 30)");
    t.s("W3 OK");
    t.completed(fetch).unwrap();
    let mailbox = t.connection.selected().unwrap();
    assert_eq!(
        (mailbox.uid_validity, mailbox.uid_next, mailbox.exists()),
        (Some(42), Some(31), 3)
    );
    t.take(|_| true);

    t.s("* 2 EXPUNGE");
    t.s("* 4 EXISTS");
    t.s("* 3 FETCH (FLAGS (\\Seen))");
    let changes: Vec<MailboxChange> = t
        .take(|event| matches!(event, Event::Mailbox(_)))
        .into_iter()
        .filter_map(|event| match event {
            Event::Mailbox(change) => Some(change),
            _ => None,
        })
        .collect();
    assert_eq!(
        changes,
        vec![
            MailboxChange::Expunged { seq: 2, uid: Some(20) },
            MailboxChange::Exists { count: 4, previous: 2 },
            MailboxChange::Flags {
                seq: 3,
                uid: None,
                flags: vec!["\\Seen".into()],
                modseq: None
            },
        ]
    );
    let mailbox = t.connection.selected().unwrap();
    assert_eq!(mailbox.seq(30), Some(2));
}

#[test]
fn a_filling_fetch_keeps_its_rows_raw_and_news_of_flags_is_read_whole() {
    let mut t = Transcript::logged_in("");
    t.c("");
    let select = t.submit(select("INBOX"));
    t.c("W2 SELECT INBOX");
    t.s("* 2 EXISTS");
    t.s("* OK [UIDVALIDITY 42] UIDs valid");
    t.s("W2 OK [READ-WRITE] Select completed");
    t.completed(select).unwrap();
    t.take(|_| true);
    let fill = t.submit(Command::Fetch {
        uid: true,
        set: SequenceSet::from_ids(&[10]),
        items: vec![FetchItem::Uid, FetchItem::Envelope],
        changed_since: None,
        vanished: false,
        keep_raw: true,
    });
    t.c("W3 UID FETCH 10 (UID ENVELOPE)");
    let row = "* 1 FETCH (UID 10 ENVELOPE (NIL \"Hi\" NIL NIL NIL NIL NIL NIL NIL NIL))";
    t.s(row);
    // Another client flagged message 2 meanwhile: the UI must hear it.
    t.s("* 2 FETCH (UID 20 FLAGS (\\Flagged))");
    t.s("W3 OK");
    let fetches = t.completed(fill).unwrap().into_fetches();
    assert_eq!(fetches.len(), 1);
    assert_eq!(fetches[0].raw.as_deref(), Some(format!("{row}\r\n").as_bytes()));
    assert!(fetches[0].envelope.is_none(), "the row is decoded when shown, not now");
    let news = t.take(|event| matches!(event, Event::Mailbox(_)));
    assert!(
        matches!(&news[..], [Event::Mailbox(MailboxChange::Flags { uid: Some(20), flags, .. })] if flags == &["\\Flagged"]),
        "{news:?}"
    );
}

#[test]
fn idle_starts_when_quiet_and_ends_for_new_work() {
    let mut t = Transcript::logged_in("IDLE");
    t.c("");
    t.submit(select("INBOX"));
    t.c("W2 SELECT INBOX");
    t.s("* 4 EXISTS");
    t.s("W2 OK selected");
    t.connection.set_idle(true);
    // Not at once: a page's next command usually follows within moments.
    t.silent();
    let delay = Config::default().idle_delay;
    assert_eq!(t.connection.poll_timeout(), Some(t.now + delay));
    t.now += delay;
    t.connection.handle_timeout(t.now);
    t.c("W3 IDLE");
    t.s("+ idling");
    assert!(t.connection.is_idling());
    t.s("* 5 EXISTS");
    assert!(
        t.events
            .iter()
            .any(|event| matches!(event, Event::Mailbox(MailboxChange::Exists { count: 5, .. })))
    );
    let noop = t.submit(Command::Noop);
    t.c("DONE");
    t.s("W3 OK Idle completed");
    t.c("W4 NOOP");
    t.s("W4 OK");
    t.completed(noop).unwrap();
    // Quiet again: back to IDLE.
    t.silent();
    t.now += delay;
    t.connection.handle_timeout(t.now);
    t.c("W5 IDLE");
    t.s("+ idling");
    // Re-issued before the server's 30-minute limit.
    let refresh = Config::default().idle_refresh;
    t.now += refresh;
    t.connection.handle_timeout(t.now);
    t.c("DONE");
    t.s("W5 OK");
    t.now += delay;
    t.connection.handle_timeout(t.now);
    t.c("W6 IDLE");
}

#[test]
fn a_literal_that_never_completes_is_caught_by_the_stall_timeout() {
    let mut t = Transcript::logged_in("");
    t.c("");
    let fetch = t.submit(Command::Fetch {
        uid: true,
        set: SequenceSet::from_ids(&[2]),
        items: vec![FetchItem::BodyPeek {
            section: "2".into(),
            partial: None,
        }],
        changed_since: None,
        vanished: false,
        keep_raw: false,
    });
    t.c("W2 UID FETCH 2 (BODY.PEEK[2])");
    t.s_bytes(include_bytes!(
        "../../tests/fixtures/imap-quirks/rambler-literal-length-too-long.txt"
    ));
    let deadline = t.connection.poll_timeout().unwrap();
    t.now = deadline;
    t.connection.handle_timeout(t.now);
    assert_eq!(t.connection.error(), Some(&ConnectionError::Stalled));
    assert!(matches!(t.completed(fetch), Err(CommandError::ConnectionLost(_))));
}

#[test]
fn a_bad_response_is_skipped_and_the_session_goes_on() {
    let mut t = Transcript::logged_in("");
    t.c("");
    let noop = t.submit(Command::Noop);
    t.c("W2 NOOP");
    t.s("* 12 FETCH (UID");
    t.s("W2 OK noop done");
    t.completed(noop).unwrap();
    assert!(
        t.events
            .iter()
            .any(|event| matches!(event, Event::BadResponse { bytes: 17, .. }))
    );
}

#[test]
fn starttls_stops_everything_until_the_upgrade() {
    let mut t = Transcript::new();
    t.s("* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready");
    let starttls = t.submit(Command::StartTls);
    let login = t.submit(Command::Login {
        user: "a".into(),
        password: Secret::new("b"),
    });
    t.c("W1 STARTTLS");
    t.s("W1 OK Begin TLS negotiation now");
    t.completed(starttls).unwrap();
    assert!(t.events.contains(&Event::StartTls));
    t.silent();
    t.connection.tls_established();
    t.c("W2 CAPABILITY");
    t.s("* CAPABILITY IMAP4rev1 AUTH=PLAIN");
    t.s("W2 OK");
    t.c("W3 LOGIN a b");
    t.s("W3 OK");
    t.completed(login).unwrap();
}

#[test]
fn data_injected_after_starttls_ok_is_fatal() {
    let mut t = Transcript::new();
    t.s("* OK [CAPABILITY IMAP4rev1 STARTTLS] ready");
    t.submit(Command::StartTls);
    t.c("W1 STARTTLS");
    t.s_bytes(b"W1 OK go\r\n* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n");
    assert_eq!(t.connection.error(), Some(&ConnectionError::StartTlsInjection));
}

#[test]
fn bye_at_any_moment_ends_running_commands() {
    let mut t = Transcript::logged_in("");
    t.c("");
    let noop = t.submit(Command::Noop);
    t.c("W2 NOOP");
    t.s("* BYE Server shutting down");
    assert!(t.events.contains(&Event::Bye("Server shutting down".into())));
    t.connection.handle_closed("eof");
    assert_eq!(
        t.completed(noop),
        Err(CommandError::Aborted(ConnectionError::Bye(
            "Server shutting down".into()
        )))
    );
}

#[test]
fn a_command_the_server_hung_up_on_is_told_apart_from_one_it_never_saw() {
    // Dovecot's answer to a literal past its limit, with a second command queued
    // behind a barrier: only the one in flight was the server's reason to hang up.
    let mut t = Transcript::logged_in("");
    t.c("");
    let search = t.submit(Command::SearchRaw {
        uid: true,
        criteria: "TEXT huge".into(),
    });
    t.c("W2 UID SEARCH TEXT huge");
    let select = t.submit(select("Archive"));
    t.silent();
    t.s("* BYE Literal size too large");
    t.connection.handle_closed("eof");
    assert_eq!(
        t.completed(search),
        Err(CommandError::Aborted(ConnectionError::Bye(
            "Literal size too large".into()
        )))
    );
    assert!(matches!(t.completed(select), Err(CommandError::ConnectionLost(_))));
}

#[test]
fn arguments_past_what_servers_take_are_refused_before_anything_is_sent() {
    let mut t = Transcript::logged_in("");
    t.c("");
    let status = t.submit(Command::Status {
        mailbox: "x".repeat(120_000),
        items: vec!["MESSAGES".into()],
    });
    let search = t.submit(Command::SearchRaw {
        uid: true,
        criteria: "TEXT ".to_owned() + &"A b ".repeat(40_000),
    });
    t.silent();
    for id in [status, search] {
        assert!(
            matches!(t.completed(id), Err(CommandError::Encode(EncodeError::TooLong { .. }))),
            "refused locally"
        );
    }
    // The session goes on.
    let noop = t.submit(Command::Noop);
    t.c("W4 NOOP");
    t.s("W4 OK");
    t.completed(noop).unwrap();
}

#[test]
fn esearch_results_are_matched_by_tag() {
    let mut t = Transcript::logged_in("ESEARCH");
    t.c("");
    let search = t.submit(Command::Search {
        uid: true,
        key: client_wasm::codec::search::SearchKey::Seen,
        esearch: Some(vec!["ALL".into()]),
    });
    t.c("W2 UID SEARCH RETURN (ALL) SEEN");
    t.s("* ESEARCH (TAG \"W9\") UID ALL 1");
    t.s("* ESEARCH (TAG \"W2\") UID ALL 3:5,8");
    t.s("W2 OK");
    assert_eq!(t.completed(search).unwrap().ids(), vec![3, 4, 5, 8]);
    assert!(
        t.events
            .iter()
            .any(|event| matches!(event, Event::Unsolicited(Data::ESearch(_))))
    );
}

#[test]
fn missing_capabilities_fail_locally() {
    let mut t = Transcript::logged_in("");
    t.c("");
    let moved = t.submit(Command::Move {
        uid: true,
        set: SequenceSet::from_ids(&[1]),
        mailbox: "Archive".into(),
    });
    assert_eq!(t.completed(moved), Err(CommandError::Unsupported("MOVE")));
    t.silent();
}

/// A logged-in transcript with one command in flight whose answer will be hostile.
fn awaiting_list(config: Config) -> (Transcript, CommandId) {
    let mut t = Transcript::logged_in_with(config, "");
    t.c("");
    let list = t.submit(Command::List {
        reference: String::new(),
        pattern: "*".into(),
        extended: false,
        status: Vec::new(),
    });
    t.c("W2 LIST \"\" *");
    (t, list)
}

fn assert_too_large(t: &mut Transcript, id: CommandId) {
    assert!(
        matches!(t.connection.error(), Some(ConnectionError::TooLarge(_))),
        "{:?}",
        t.connection.error()
    );
    assert!(matches!(
        t.completed(id),
        Err(CommandError::Aborted(ConnectionError::TooLarge(_)))
    ));
}

#[test]
fn a_literal_announced_as_gigabytes_ends_the_session_before_it_arrives() {
    let (mut t, list) = awaiting_list(Config::default());
    t.s_bytes(b"* LIST () \"/\" {5000000000}\r\nINBOX");
    assert_too_large(&mut t, list);
    // Whatever follows is ignored, and nothing was kept of it.
    t.s_bytes(&[b'x'; 4096]);
    assert_eq!(t.connection.poll_transmit(), None);
}

#[test]
fn an_untagged_response_that_never_ends_ends_the_session() {
    let mut t = Transcript::with_config(Config {
        max_response_bytes: 64 * 1024,
        ..Config::default()
    });
    t.s("* OK [CAPABILITY IMAP4rev1] ready");
    let noop = t.submit(Command::Noop);
    t.c("W1 NOOP");
    t.s_bytes(b"* OK ");
    for _ in 0..100 {
        t.s_bytes(&[b'a'; 1024]);
    }
    assert_too_large(&mut t, noop);
}

#[test]
fn more_mailboxes_than_the_limit_end_the_session() {
    // A million entries against the default limit, scaled down to keep the test fast.
    let (mut t, list) = awaiting_list(Config {
        max_answers_per_command: 1_000,
        ..Config::default()
    });
    let entries: String = (0..1_000).map(|n| format!("* LIST () \"/\" box{n}\r\n")).collect();
    t.s_bytes(entries.as_bytes());
    assert_eq!(t.connection.error(), None, "the limit itself is allowed");
    t.s("* LIST () \"/\" one-more");
    assert_too_large(&mut t, list);
}

#[test]
fn a_compressed_stream_that_inflates_without_end_ends_the_session() {
    let limit = 1 << 20;
    let mut t = Transcript::logged_in_with(
        Config {
            max_response_bytes: limit,
            ..Config::default()
        },
        "COMPRESS=DEFLATE",
    );
    t.c("");
    let compress = t.submit(Command::Compress);
    t.c("W2 COMPRESS DEFLATE");
    t.s("W2 OK DEFLATE active");
    t.completed(compress).unwrap();
    let noop = t.submit(Command::Noop);
    while t.connection.poll_transmit().is_some() {}
    // Eight times the limit in one response line, deflated to a few kilobytes.
    let bomb = miniz_oxide::deflate::compress_to_vec(&vec![b'x'; 8 * limit], 6);
    assert!(bomb.len() < limit / 16);
    t.s_bytes(&bomb);
    assert_too_large(&mut t, noop);
}
