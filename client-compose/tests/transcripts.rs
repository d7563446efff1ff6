//! The SMTP engine against servers that behave in ways Dovecot will not on
//! demand: scripted replies, checked against what the engine wrote and
//! reported. The engine is sans-IO, so a transcript is just bytes both ways.

use client_compose::smtp::{Config, Envelope, Event, Reply, SendError, Session, SessionError};
use webmail_wire::sasl::{Mechanism, Secret};

const GREETING: &str = "220 mail.example.org ESMTP\r\n";
const EHLO_FULL: &str = "250-mail.example.org\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-8BITMIME\r\n250-AUTH PLAIN LOGIN\r\n250 ENHANCEDSTATUSCODES\r\n";
const EHLO_BARE: &str = "250-mail.example.org\r\n250 AUTH PLAIN\r\n";

/// A session, the bytes it has written so far, and its events.
struct Run {
    session: Session,
    written: String,
    events: Vec<Event>,
}

impl Run {
    /// Greets with `greeting` and answers EHLO with `ehlo`.
    fn start(greeting: &str, ehlo: &str) -> Self {
        let mut run = Self {
            session: Session::new(Config::default(), 0),
            written: String::new(),
            events: Vec::new(),
        };
        run.server(greeting);
        assert_eq!(run.take_written(), "EHLO [127.0.0.1]\r\n");
        run.server(ehlo);
        run
    }

    /// The server sends `text`.
    fn server(&mut self, text: &str) {
        self.session.handle_input(text.as_bytes(), 1);
        while let Some(bytes) = self.session.poll_transmit() {
            self.written.push_str(&String::from_utf8_lossy(&bytes));
        }
        while let Some(event) = self.session.poll_event() {
            self.events.push(event);
        }
    }

    fn take_written(&mut self) -> String {
        std::mem::take(&mut self.written)
    }

    fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    fn send(&mut self, to: &[&str], message: &str) -> Result<(), SendError> {
        let envelope = Envelope {
            from: "alice@example.org".into(),
            to: to.iter().map(|address| (*address).to_owned()).collect(),
        };
        let result = self.session.send(&envelope, message.as_bytes());
        self.server("");
        result
    }
}

fn reply(code: u16, enhanced: Option<&str>, text: &str) -> Reply {
    Reply {
        code,
        enhanced: enhanced.map(str::to_owned),
        text: text.into(),
    }
}

#[test]
fn a_multi_line_greeting_is_read_whole_before_ehlo() {
    let mut session = Session::new(Config::default(), 0);
    session.handle_input(b"220-mail.example.org ESMTP\r\n", 1);
    assert_eq!(session.poll_transmit(), None, "still greeting");
    session.handle_input(b"220-no UCE\r\n220 welcome\r\n", 2);
    assert_eq!(
        session.poll_transmit().as_deref(),
        Some(b"EHLO [127.0.0.1]\r\n".as_slice())
    );
}

#[test]
fn pipelining_sends_the_whole_envelope_in_one_flight_and_keeps_each_recipients_reply() {
    let mut run = Run::start(GREETING, EHLO_FULL);
    assert!(matches!(run.take_events().as_slice(), [Event::Ready(extensions)] if extensions.pipelining));
    run.send(
        &["bob@example.org", "nobody@example.org", "carol@example.org"],
        ".dot\nbody",
    )
    .unwrap();
    assert_eq!(
        run.take_written(),
        "MAIL FROM:<alice@example.org> SIZE=12\r\nRCPT TO:<bob@example.org>\r\nRCPT TO:<nobody@example.org>\r\nRCPT TO:<carol@example.org>\r\nDATA\r\n",
        "one flight"
    );
    run.server("250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 <nobody@example.org>: no such user\r\n250 2.1.5 ok\r\n354 go ahead\r\n");
    assert_eq!(run.take_written(), "..dot\r\nbody\r\n.\r\n", "dot-stuffed, CRLF");
    run.server("250 2.0.0 queued as 42\r\n");
    let events = run.take_events();
    let [Event::Sent(report)] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(report.accepted, ["bob@example.org", "carol@example.org"]);
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].address, "nobody@example.org");
    assert_eq!(
        report.rejected[0].reply,
        reply(550, Some("5.1.1"), "<nobody@example.org>: no such user")
    );
    assert_eq!(report.size, 12);
    assert!(run.session.is_idle());
}

#[test]
fn without_pipelining_each_command_waits_for_the_reply_before_it() {
    let mut run = Run::start(GREETING, EHLO_BARE);
    run.take_events();
    run.send(&["bob@example.org", "carol@example.org"], "hi").unwrap();
    assert_eq!(run.take_written(), "MAIL FROM:<alice@example.org>\r\n");
    run.server("250 ok\r\n");
    assert_eq!(run.take_written(), "RCPT TO:<bob@example.org>\r\n");
    run.server("250 ok\r\n");
    assert_eq!(run.take_written(), "RCPT TO:<carol@example.org>\r\n");
    run.server("250 ok\r\n");
    assert_eq!(run.take_written(), "DATA\r\n");
    run.server("354 go\r\n");
    assert_eq!(run.take_written(), "hi\r\n.\r\n");
    run.server("250 ok\r\n");
    assert!(matches!(run.take_events().as_slice(), [Event::Sent(_)]));
}

#[test]
fn a_refusal_after_data_reports_the_servers_words_and_resets() {
    let mut run = Run::start(GREETING, EHLO_FULL);
    run.take_events();
    run.send(&["bob@example.org"], "big").unwrap();
    run.take_written();
    run.server("250 ok\r\n250 ok\r\n354 go\r\n");
    run.take_written();
    run.server("552 5.3.4 Message size exceeds fixed limit\r\n");
    assert_eq!(run.take_written(), "RSET\r\n");
    assert!(run.take_events().is_empty(), "reported once the server is reset");
    run.server("250 2.0.0 ok\r\n");
    assert_eq!(
        run.take_events(),
        [Event::NotSent(SendError::Refused(reply(
            552,
            Some("5.3.4"),
            "Message size exceeds fixed limit"
        )))]
    );
    assert!(run.session.is_idle());
}

#[test]
fn a_refused_sender_is_named_as_the_cause_not_the_recipients_after_it() {
    let mut run = Run::start(GREETING, EHLO_FULL);
    run.take_events();
    run.send(&["bob@example.org"], "hi").unwrap();
    run.take_written();
    // MAIL refused; the pipelined RCPT and DATA fail only because of it.
    run.server("553 5.7.1 <alice@example.org>: sender not owned by user\r\n503 5.5.1 MAIL needed first\r\n503 5.5.1 MAIL needed first\r\n");
    assert_eq!(run.take_written(), "RSET\r\n");
    run.server("250 ok\r\n");
    assert_eq!(
        run.take_events(),
        [Event::NotSent(SendError::SenderRefused(reply(
            553,
            Some("5.7.1"),
            "<alice@example.org>: sender not owned by user"
        )))]
    );
    assert!(run.session.is_idle());
}

#[test]
fn when_every_recipient_is_refused_nothing_is_uploaded() {
    let mut run = Run::start(GREETING, EHLO_FULL);
    run.take_events();
    run.send(&["nobody@example.org"], "secret text").unwrap();
    run.take_written();
    // Some servers still say go ahead to DATA: they get an empty message.
    run.server("250 ok\r\n550 no such user\r\n354 go\r\n");
    assert_eq!(run.take_written(), ".\r\n");
    run.server("554 no valid recipients\r\n");
    assert_eq!(run.take_written(), "RSET\r\n");
    run.server("250 ok\r\n");
    let events = run.take_events();
    let [Event::NotSent(SendError::NoRecipients(rejected))] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(rejected[0].reply.text, "no such user");
}

#[test]
fn chunking_sends_a_small_message_with_its_envelope_in_one_round_trip() {
    let ehlo = "250-mail.example.org\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 SIZE 0\r\n";
    let mut run = Run::start(GREETING, ehlo);
    run.take_events();
    run.send(&["bob@example.org"], ".no stuffing\r\n").unwrap();
    assert_eq!(
        run.take_written(),
        "MAIL FROM:<alice@example.org> SIZE=14\r\nRCPT TO:<bob@example.org>\r\nBDAT 14 LAST\r\n.no stuffing\r\n"
    );
    run.server("250 ok\r\n250 ok\r\n250 2.0.0 queued\r\n");
    assert!(matches!(run.take_events().as_slice(), [Event::Sent(report)] if report.size == 14));
}

#[test]
fn a_message_over_the_servers_size_is_refused_before_anything_is_sent() {
    let mut run = Run::start(GREETING, EHLO_FULL);
    run.take_events();
    let error = run.send(&["bob@example.org"], &"x".repeat(2000)).unwrap_err();
    assert_eq!(
        error,
        SendError::TooLarge {
            size: 2002,
            limit: 1000
        }
    );
    assert_eq!(run.take_written(), "");
    let error = run
        .send(&["bob@example.org\r\nRCPT TO:<eve@example.org>"], "x")
        .unwrap_err();
    assert!(matches!(error, SendError::InvalidAddress(_)), "{error:?}");
    assert_eq!(run.take_written(), "");
}

#[test]
fn a_421_mid_session_fails_the_send_with_the_servers_reason() {
    let mut run = Run::start(GREETING, EHLO_FULL);
    run.take_events();
    run.send(&["bob@example.org"], "hello").unwrap();
    run.server("250 ok\r\n421 4.3.2 Shutting down\r\n");
    let closed = SessionError::Closed("421 4.3.2 Shutting down".into());
    assert_eq!(
        run.take_events(),
        [
            Event::NotSent(SendError::Session(closed.clone())),
            Event::Failed(closed.clone())
        ]
    );
    assert_eq!(run.send(&["bob@example.org"], "again"), Err(SendError::Session(closed)));
}

#[test]
fn a_dropped_connection_during_data_is_not_reported_as_sent() {
    let mut run = Run::start(GREETING, EHLO_FULL);
    run.take_events();
    run.send(&["bob@example.org"], "hello").unwrap();
    run.server("250 ok\r\n250 ok\r\n354 go\r\n");
    run.session.handle_closed("the WebSocket closed");
    let events: Vec<Event> = std::iter::from_fn(|| run.session.poll_event()).collect();
    assert!(
        matches!(
            events.as_slice(),
            [
                Event::NotSent(SendError::Session(SessionError::Closed(_))),
                Event::Failed(_)
            ]
        ),
        "{events:?}"
    );
}

#[test]
fn login_answers_each_challenge_and_a_refusal_is_reported() {
    let mut run = Run::start(GREETING, EHLO_FULL);
    run.take_events();
    let login = Mechanism::Login {
        user: "alice".into(),
        password: Secret::new("wonderland"),
    };
    run.session.authenticate(login).unwrap();
    run.server("");
    assert_eq!(run.take_written(), "AUTH LOGIN\r\n");
    run.server("334 VXNlcm5hbWU6\r\n");
    assert_eq!(run.take_written(), "YWxpY2U=\r\n");
    run.server("334 UGFzc3dvcmQ6\r\n");
    assert_eq!(run.take_written(), "d29uZGVybGFuZA==\r\n");
    run.server("535 5.7.8 Authentication failed\r\n");
    assert_eq!(
        run.take_events(),
        [Event::AuthFailed(reply(535, Some("5.7.8"), "Authentication failed"))]
    );
    let bearer = Mechanism::OAuthBearer {
        user: "alice@example.org".into(),
        token: Secret::new("expired"),
    };
    run.session.authenticate(bearer).unwrap();
    run.server("");
    assert!(run.take_written().starts_with("AUTH OAUTHBEARER bixh"));
    // RFC 7628 3.2.3: the failure's JSON gets the dummy reply, then the 535.
    run.server("334 eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=\r\n");
    assert_eq!(run.take_written(), "AQ==\r\n");
    run.server("535 5.7.8 invalid token\r\n");
    assert!(matches!(run.take_events().as_slice(), [Event::AuthFailed(_)]));
}

#[test]
fn an_imap_server_on_the_submission_port_is_named_as_such() {
    let mut session = Session::new(Config::default(), 0);
    session.handle_input(b"* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n", 1);
    let events: Vec<Event> = std::iter::from_fn(|| session.poll_event()).collect();
    assert!(
        matches!(events.as_slice(), [Event::Failed(SessionError::NotSmtp(start))] if start.contains("Dovecot")),
        "{events:?}"
    );
}

#[test]
fn a_silent_server_times_out() {
    let mut session = Session::new(Config::default(), 0);
    let deadline = session.poll_timeout().unwrap();
    session.handle_timeout(deadline - 1);
    assert!(session.error().is_none());
    session.handle_timeout(deadline);
    assert_eq!(session.error(), Some(&SessionError::Timeout));
}
