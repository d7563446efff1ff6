//! The async client against a scripted in-memory server on a paused clock:
//! restoring a session (QRESYNC, CONDSTORE, a new UIDVALIDITY) and
//! faults a real server produces only under load or by accident (hanging up on
//! a command, on every new session), replayed in milliseconds.

use client_wasm::client::ErrorKind;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use client_wasm::client::{
    Client, ClientError, ClientEvent, ClientOptions, Connector, LocalFuture, Runtime, Transport,
};
use futures_channel::mpsc;
use futures_util::StreamExt;

/// What the scripted server does with one command line from the client.
enum Answer {
    /// Send these lines (CRLF added), keep the session.
    Lines(Vec<String>),
    /// Send these lines, then close the connection.
    Hangup(Vec<String>),
    /// The bridge refuses what was sent and closes (its 1009 "message too big").
    Refuse(&'static str),
}

type Script = Rc<dyn Fn(&str, &str) -> Answer>;

/// Counts what the server saw, across all connections.
#[derive(Default)]
struct Seen {
    connections: usize,
    lines: Vec<String>,
}

struct ScriptedServer {
    script: Script,
    seen: Rc<RefCell<Seen>>,
}

/// What the client receives: bytes, or the transport's own error.
type Delivery = Result<Vec<u8>, ClientError>;

struct ScriptedTransport {
    to_client: mpsc::UnboundedReceiver<Delivery>,
    server: Option<mpsc::UnboundedSender<Delivery>>,
    script: Script,
    seen: Rc<RefCell<Seen>>,
    partial: Vec<u8>,
}

impl Connector for ScriptedServer {
    fn connect(&self) -> LocalFuture<'_, Result<Box<dyn Transport>, ClientError>> {
        Box::pin(async move {
            self.seen.borrow_mut().connections += 1;
            let (server, to_client) = mpsc::unbounded();
            let _ = server.unbounded_send(Ok(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] scripted\r\n".to_vec()));
            let transport: Box<dyn Transport> = Box::new(ScriptedTransport {
                to_client,
                server: Some(server),
                script: self.script.clone(),
                seen: self.seen.clone(),
                partial: Vec::new(),
            });
            Ok(transport)
        })
    }
}

impl Transport for ScriptedTransport {
    fn send(&mut self, bytes: Vec<u8>) -> LocalFuture<'_, Result<(), ClientError>> {
        Box::pin(async move {
            self.partial.extend_from_slice(&bytes);
            while let Some(end) = self.partial.windows(2).position(|pair| pair == b"\r\n") {
                let line: Vec<u8> = self.partial.drain(..end + 2).collect();
                let line = String::from_utf8_lossy(&line[..end]).into_owned();
                self.seen.borrow_mut().lines.push(line.clone());
                let Some(server) = &self.server else { break };
                let (tag, command) = line.split_once(' ').unwrap_or((&line, ""));
                let (lines, hang_up) = match (self.script)(tag, command) {
                    Answer::Lines(lines) => (lines, false),
                    Answer::Hangup(lines) => (lines, true),
                    Answer::Refuse(reason) => {
                        let _ = server.unbounded_send(Err(ClientError::new(ErrorKind::BridgeRefused, reason)));
                        (Vec::new(), true)
                    }
                };
                for line in lines {
                    let _ = server.unbounded_send(Ok(format!("{line}\r\n").into_bytes()));
                }
                if hang_up {
                    self.server = None;
                }
            }
            Ok(())
        })
    }

    fn recv(&mut self) -> LocalFuture<'_, Result<Option<Vec<u8>>, ClientError>> {
        Box::pin(async move { self.to_client.next().await.transpose() })
    }

    fn close(&mut self) {
        self.server = None;
    }
}

/// Time from tokio's clock, which the tests pause and let run ahead.
struct PausedRuntime(tokio::time::Instant);

impl Runtime for PausedRuntime {
    fn now(&self) -> u64 {
        self.0.elapsed().as_millis() as u64
    }

    fn sleep(&self, millis: u64) -> LocalFuture<'static, ()> {
        Box::pin(tokio::time::sleep(Duration::from_millis(millis)))
    }

    fn spawn(&self, task: LocalFuture<'static, ()>) {
        tokio::task::spawn_local(task);
    }
}

/// LOGIN, CAPABILITY and STATUS succeed; everything else goes to `rest`.
fn imap(rest: impl Fn(&str, &str) -> Answer + 'static) -> Script {
    imap_with("IMAP4rev1", rest)
}

/// [`imap`] for a server that announces `capabilities` once logged in.
fn imap_with(capabilities: &'static str, rest: impl Fn(&str, &str) -> Answer + 'static) -> Script {
    Rc::new(move |tag, command| {
        let name = command.split(' ').next().unwrap_or("").to_ascii_uppercase();
        match name.as_str() {
            "LOGIN" | "AUTHENTICATE" => Answer::Lines(vec![format!("{tag} OK [CAPABILITY {capabilities}] in")]),
            "CAPABILITY" => Answer::Lines(vec![format!("* CAPABILITY {capabilities}"), format!("{tag} OK")]),
            "LOGOUT" => Answer::Hangup(vec!["* BYE".into(), format!("{tag} OK")]),
            "STATUS" => Answer::Lines(vec![
                "* STATUS INBOX (MESSAGES 0 UNSEEN 0 RECENT 0 UIDNEXT 1 UIDVALIDITY 1)".into(),
                format!("{tag} OK"),
            ]),
            _ => rest(tag, command),
        }
    })
}

/// Runs `test` on a paused tokio clock in a LocalSet, with a client connected to `script`.
fn with_client<F, Fut>(script: Script, options: ClientOptions, test: F) -> Rc<RefCell<Seen>>
where
    F: FnOnce(Client) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let seen = Rc::new(RefCell::new(Seen::default()));
    let server = ScriptedServer {
        script,
        seen: seen.clone(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    tokio::task::LocalSet::new().block_on(&runtime, async move {
        let clock: Rc<dyn Runtime> = Rc::new(PausedRuntime(tokio::time::Instant::now()));
        let client = Client::connect(Rc::new(server), clock, options).await.unwrap();
        client.login("alice", "secret").await.unwrap();
        // Well past any backoff: a client that loops would still be looping.
        tokio::time::timeout(Duration::from_secs(3_600), test(client))
            .await
            .expect("the call settles");
    });
    seen
}

#[test]
fn a_command_the_server_hangs_up_on_fails_once_instead_of_looping() {
    let script = imap(|tag, command| {
        if command.starts_with("UID SEARCH") {
            Answer::Hangup(vec!["* BYE Literal size too large".into()])
        } else {
            Answer::Lines(vec![format!("{tag} OK")])
        }
    });
    let seen = with_client(script, ClientOptions::default(), |client| async move {
        let error = client.search_raw("TEXT poison").await.unwrap_err();
        assert_eq!(error.code(), "SERVER_ERROR");
        assert!(error.message().contains("Literal size too large"), "{error}");
        // The session itself comes back for the next call.
        client.search_raw("ALL").await.unwrap_err();
        assert_eq!(client.status("INBOX").await.map(|_| ()).map_err(|e| e.code()), Ok(()));
    });
    let seen = seen.borrow();
    let searches = seen.lines.iter().filter(|line| line.contains("UID SEARCH")).count();
    assert_eq!(searches, 2, "each search sent once: {:?}", seen.lines);
}

#[test]
fn a_server_that_drops_every_restored_session_makes_the_client_give_up() {
    // The first SELECT works; from then on the server hangs up on every SELECT,
    // which is what restoring a session after a drop begins with.
    let selects = Rc::new(std::cell::Cell::new(0));
    let script = imap(move |tag, command| {
        if command.starts_with("SELECT") {
            selects.set(selects.get() + 1);
            if selects.get() > 1 {
                return Answer::Hangup(vec!["* BYE go away".into()]);
            }
            return Answer::Lines(vec![
                "* 0 EXISTS".into(),
                "* OK [UIDVALIDITY 1] ok".into(),
                "* OK [UIDNEXT 1] ok".into(),
                format!("{tag} OK [READ-WRITE] selected"),
            ]);
        }
        if command.starts_with("UID SEARCH TEXT") {
            return Answer::Hangup(vec!["* BYE Literal size too large".into()]);
        }
        Answer::Lines(vec![format!("{tag} OK")])
    });
    let options = ClientOptions {
        reconnect_attempts: 4,
        ..ClientOptions::default()
    };
    let seen = with_client(script, options, |client| async move {
        client.select("INBOX").await.unwrap();
        client.search_raw("TEXT poison").await.unwrap_err();
        let settled = client.status("INBOX").await;
        assert_eq!(settled.map(|_| ()).map_err(|e| e.code()), Err("CONNECTION_LOST"));
        assert_eq!(client.state(), client_wasm::client::ClientState::Closed);
    });
    // The first session and four reconnects, each hung up on at once.
    assert_eq!(seen.borrow().connections, 5);
}

#[test]
fn arguments_past_server_limits_fail_before_anything_is_sent() {
    let script = imap(|tag, _| Answer::Lines(vec![format!("{tag} OK")]));
    let seen = with_client(script, ClientOptions::default(), |client| async move {
        let long_name = "x".repeat(120_000);
        let error = client.status(&long_name).await.unwrap_err();
        assert_eq!(error.code(), "INVALID_ARGUMENT", "{error}");
        let error = client.search_raw(&"TEXT A ".repeat(200_000)).await.unwrap_err();
        assert_eq!(error.code(), "INVALID_ARGUMENT", "{error}");
    });
    let seen = seen.borrow();
    assert!(
        seen.lines
            .iter()
            .all(|line| !line.contains("STATUS") && !line.contains("SEARCH")),
        "{:?}",
        seen.lines
            .iter()
            .map(|line| &line[..line.len().min(40)])
            .collect::<Vec<_>>()
    );
    assert_eq!(seen.connections, 1);
}

#[test]
fn a_refusal_by_the_bridge_fails_the_command_with_its_reason_and_the_session_goes_on() {
    let script = imap(|tag, command| {
        if command.starts_with("APPEND") {
            Answer::Refuse("message too big")
        } else {
            Answer::Lines(vec![format!("{tag} OK")])
        }
    });
    let seen = with_client(script, ClientOptions::default(), |client| async move {
        let error = client
            .append("Drafts", b"Subject: x\r\n\r\nbody\r\n".to_vec(), &[], None, None)
            .await
            .unwrap_err();
        assert_eq!((error.code(), error.message()), ("BRIDGE_REFUSED", "message too big"));
        client.status("INBOX").await.expect("the session was restored");
    });
    let seen = seen.borrow();
    assert_eq!(
        seen.lines.iter().filter(|line| line.contains("APPEND")).count(),
        1,
        "not retried"
    );
    assert_eq!(seen.connections, 2);
}

#[test]
fn a_missing_mailbox_is_recognised_without_response_codes_in_any_language() {
    // A server without RFC 5530 codes, answering in German: the client asks
    // with LIST instead of reading the words.
    let script = imap(|tag, command| {
        if command.starts_with("SELECT") {
            Answer::Lines(vec![format!("{tag} NO Postfach nicht verfügbar")])
        } else if command == "LIST \"\" Nope" {
            Answer::Lines(vec![format!("{tag} OK")])
        } else if command == "LIST \"\" Locked" {
            Answer::Lines(vec![r#"* LIST () "/" Locked"#.into(), format!("{tag} OK")])
        } else {
            Answer::Lines(vec![format!("{tag} OK")])
        }
    });
    with_client(script, ClientOptions::default(), |client| async move {
        let missing = client.select("Nope").await.unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NoSuchMailbox, "{missing}");
        assert_eq!(missing.message(), "Nope: Postfach nicht verfügbar");
        let refused = client.select("Locked").await.unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Server, "{refused}");
        assert_eq!(refused.message(), "Postfach nicht verfügbar");
    });
}

/// INBOX as the server holds it in one session: SELECT's answer, the UIDs and
/// the answer to a flag FETCH.
struct Inbox {
    select: Vec<String>,
    uids: &'static str,
    flag_changes: Vec<String>,
}

impl Inbox {
    /// UIDVALIDITY `validity`, `uids` (space-separated), HIGHESTMODSEQ `modseq`
    /// where the server has CONDSTORE.
    fn new(validity: u32, uids: &'static str, modseq: Option<u64>) -> Self {
        let count = uids.split(' ').count();
        let next = uids
            .split(' ')
            .filter_map(|uid| uid.parse::<u32>().ok())
            .max()
            .unwrap_or(0)
            + 1;
        let mut select = vec![
            format!("* {count} EXISTS"),
            format!("* OK [UIDVALIDITY {validity}] ok"),
            format!("* OK [UIDNEXT {next}] ok"),
        ];
        select.extend(modseq.map(|modseq| format!("* OK [HIGHESTMODSEQ {modseq}] ok")));
        Self {
            select,
            uids,
            flag_changes: Vec::new(),
        }
    }

    /// The message with `uid` (sequence number `seq`) now has `flag`, at `modseq`.
    fn changed(mut self, seq: u32, uid: u32, flag: &str, modseq: u64) -> Self {
        self.flag_changes
            .push(format!("* {seq} FETCH (UID {uid} FLAGS ({flag}) MODSEQ ({modseq}))"));
        self
    }

    /// Extra lines in SELECT's answer (QRESYNC's VANISHED and FETCH).
    fn on_select(mut self, lines: impl IntoIterator<Item = String>) -> Self {
        self.select.extend(lines);
        self
    }
}

/// A server whose INBOX moves from `before` to `after` between the first
/// session and the one restored after a drop. The drop comes on the first
/// `UID SEARCH TEXT`, which is answered normally when it is sent again.
fn changing_inbox(capabilities: &'static str, before: Inbox, after: Inbox) -> Script {
    let sessions = Rc::new(std::cell::Cell::new(0));
    let searched = Rc::new(std::cell::Cell::new(false));
    imap_with(capabilities, move |tag, command| {
        let ok = format!("{tag} OK");
        if command.starts_with("ENABLE") {
            return Answer::Lines(vec!["* ENABLED QRESYNC".into(), ok]);
        }
        if command.starts_with("SELECT") {
            sessions.set(sessions.get() + 1);
        }
        let inbox = if sessions.get() <= 1 { &before } else { &after };
        let mut lines: Vec<String> = if command.starts_with("SELECT") {
            inbox.select.clone()
        } else if command.starts_with("UID SEARCH TEXT") {
            if !searched.replace(true) {
                return Answer::Hangup(Vec::new());
            }
            vec!["* SEARCH".into()]
        } else if command.starts_with("UID SEARCH ALL") {
            vec![format!("* SEARCH {}", inbox.uids)]
        } else if command.starts_with("UID SEARCH") {
            vec!["* SEARCH".into()]
        } else if command.starts_with("UID FETCH") {
            inbox.flag_changes.clone()
        } else {
            Vec::new()
        };
        lines.push(ok);
        Answer::Lines(lines)
    })
}

/// Selects INBOX, loses the connection under a search, and returns what the
/// client reported once the session was restored (and the search retried),
/// with the lines the server saw.
fn events_after_a_drop(script: Script) -> (Vec<ClientEvent>, Vec<String>) {
    let events = Rc::new(RefCell::new(Vec::new()));
    let recorded = events.clone();
    let seen = with_client(script, ClientOptions::default(), |client| async move {
        client.select("INBOX").await.unwrap();
        client.on_event(move |event| {
            if !matches!(event, ClientEvent::State { .. }) {
                recorded.borrow_mut().push(event.clone());
            }
        });
        client.search_raw("TEXT lost").await.expect("retried after the restore");
    });
    assert_eq!(seen.borrow().connections, 2);
    let events = events.borrow().clone();
    let lines = seen.borrow().lines.clone();
    (events, lines)
}

fn expunged(uids: &[u32]) -> ClientEvent {
    ClientEvent::Expunge {
        mailbox: "INBOX".into(),
        uids: uids.to_vec(),
    }
}

fn arrived(count: u32, uids: &[u32]) -> ClientEvent {
    ClientEvent::Exists {
        mailbox: "INBOX".into(),
        count,
        uids: uids.to_vec(),
    }
}

fn flags(uid: u32, flag: &str) -> ClientEvent {
    ClientEvent::Flags {
        mailbox: "INBOX".into(),
        uid,
        flags: vec![flag.into()],
    }
}

#[test]
fn after_a_drop_qresync_reports_what_changed_while_away() {
    let after = Inbox::new(7, "2 3 4", Some(14))
        .on_select([
            "* VANISHED (EARLIER) 1".into(),
            "* 2 FETCH (UID 3 FLAGS (\\Seen) MODSEQ (12))".into(),
        ])
        .changed(2, 3, "\\Seen", 12);
    let script = changing_inbox(
        "IMAP4rev1 ENABLE CONDSTORE QRESYNC",
        Inbox::new(7, "1 2 3", Some(10)),
        after,
    );
    let (events, lines) = events_after_a_drop(script);
    assert_eq!(events, vec![expunged(&[1]), arrived(3, &[4]), flags(3, "\\Seen")]);
    assert!(
        lines
            .iter()
            .any(|line| line.ends_with("SELECT INBOX (QRESYNC (7 10 1:3))")),
        "the restore names what the client knew: {lines:?}"
    );
}

#[test]
fn after_a_drop_condstore_fetches_only_the_flags_changed_since() {
    let script = changing_inbox(
        "IMAP4rev1 ENABLE CONDSTORE",
        Inbox::new(7, "1 2 3", Some(10)),
        Inbox::new(7, "1 3", Some(12)).changed(2, 3, "\\Flagged", 12),
    );
    let (events, lines) = events_after_a_drop(script);
    assert_eq!(events, vec![expunged(&[2]), flags(3, "\\Flagged")]);
    assert!(
        lines
            .iter()
            .any(|line| line.ends_with("UID FETCH 1,3 (UID FLAGS) (CHANGEDSINCE 10)")),
        "{lines:?}"
    );
}

#[test]
fn after_a_drop_a_new_uidvalidity_voids_what_the_client_knew() {
    let script = changing_inbox("IMAP4rev1", Inbox::new(7, "1 2 3", None), Inbox::new(8, "1", None));
    let (events, lines) = events_after_a_drop(script);
    assert_eq!(
        events,
        vec![ClientEvent::UidValidity {
            mailbox: "INBOX".into(),
            uid_validity: 8
        }]
    );
    assert!(
        !lines.iter().any(|line| line.contains("UID FETCH")),
        "no flags fetched for UIDs that mean nothing now"
    );
}
