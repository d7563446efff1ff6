//! The SMTP submission engine natively against a real server (Dovecot's
//! submission service, which delivers to the harness's accounts): both TLS
//! modes, PIPELINING and CHUNKING, a refused recipient among accepted ones,
//! dot-stuffing, 8-bit bodies, and the checks made before anything is sent.

use std::time::{Duration, Instant};

use client_compose::smtp::{Config, Envelope, Event, SendError, SendReport, Session};
use client_wasm::client::native::tls_config;
use client_wasm::engine::sasl::{Mechanism, Secret};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;
use webmail_testkit::Dovecot;
use webmail_wire::starttls::{Progress, StartTls};

/// How the test reaches the server, as the bridge or the page would.
#[derive(Debug, Clone, Copy)]
enum Tls {
    Starttls,
    Implicit,
}

/// A session over a TLS stream, driven until the events a test waits for.
struct Driver<S> {
    session: Session,
    stream: S,
    started: Instant,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Driver<S> {
    fn now(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Writes what the session has, reads until an event arrives, returns it.
    async fn next_event(&mut self) -> Event {
        let mut buffer = vec![0u8; 16 * 1024];
        loop {
            while let Some(bytes) = self.session.poll_transmit() {
                self.stream.write_all(&bytes).await.unwrap();
            }
            self.stream.flush().await.unwrap();
            if let Some(event) = self.session.poll_event() {
                return event;
            }
            let read = tokio::time::timeout(Duration::from_secs(20), self.stream.read(&mut buffer))
                .await
                .expect("the server answers")
                .unwrap_or(0);
            let now = self.now();
            if read == 0 {
                self.session.handle_closed("the server closed the connection");
            } else {
                self.session.handle_input(&buffer[..read], now);
            }
        }
    }

    async fn login(&mut self, user: &str, password: &str) -> Event {
        let mechanism = Mechanism::Plain {
            user: user.into(),
            password: Secret::new(password),
        };
        self.session.authenticate(mechanism).unwrap();
        self.next_event().await
    }

    async fn send(&mut self, to: &[&str], message: &[u8]) -> Result<SendReport, SendError> {
        let envelope = Envelope {
            from: "alice@mail.test".into(),
            to: to.iter().map(|address| (*address).to_owned()).collect(),
        };
        self.session.send(&envelope, message)?;
        match self.next_event().await {
            Event::Sent(report) => Ok(report),
            Event::NotSent(error) => Err(error),
            other => panic!("expected the send's outcome, got {other:?}"),
        }
    }
}

/// Connects, secures the connection and waits for the session to be ready.
async fn connect(dovecot: &Dovecot, tls: Tls) -> Driver<tokio_rustls::client::TlsStream<TcpStream>> {
    let (address, greeting) = match tls {
        Tls::Starttls => (dovecot.submission_addr().unwrap(), true),
        Tls::Implicit => (dovecot.submissions_addr().unwrap(), false),
    };
    let mut tcp = TcpStream::connect(address).await.unwrap();
    // The plaintext half as the bridge runs it; the greeting it keeps is what
    // the page's session reads first once TLS is up.
    let prelude = if greeting {
        let mut exchange = StartTls::smtp("[127.0.0.1]");
        let mut buffer = [0u8; 4096];
        loop {
            let read = tcp.read(&mut buffer).await.unwrap();
            let progress = exchange.handle_input(&buffer[..read]).unwrap();
            tcp.write_all(&exchange.take_outgoing()).await.unwrap();
            if let Progress::Done { greeting } = progress {
                break greeting;
            }
        }
    } else {
        Vec::new()
    };
    let config = tls_config(Some(&dovecot.ca_pem())).unwrap();
    let stream = TlsConnector::from(config)
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let mut driver = Driver {
        session: Session::new(Config::default(), 0),
        stream,
        started: Instant::now(),
    };
    driver.session.handle_input(&prelude, 0);
    match driver.next_event().await {
        Event::Ready(extensions) => {
            assert!(extensions.pipelining && extensions.chunking, "{extensions:?}");
            assert_eq!(
                extensions.size_limit(),
                Some(dovecot.info().submission.unwrap().max_bytes)
            );
        }
        other => panic!("{tls:?}: expected Ready, got {other:?}"),
    }
    driver
}

/// Bob's newest message as Dovecot stored it.
fn delivered_to_bob(dovecot: &Dovecot, subject: &str) -> String {
    dovecot
        .doveadm(&[
            "fetch", "-u", "bob", "text", "mailbox", "INBOX", "header", "Subject", subject,
        ])
        .unwrap()
}

fn message(subject: &str, body: &str) -> Vec<u8> {
    format!("From: Alice <alice@mail.test>\r\nTo: Bob <bob@mail.test>\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}").into_bytes()
}

#[tokio::test]
async fn mail_is_delivered_over_starttls_and_implicit_tls_with_each_recipient_answered() {
    let dovecot = Dovecot::builder().submission().start().unwrap();
    for tls in [Tls::Starttls, Tls::Implicit] {
        let mut driver = connect(&dovecot, tls).await;
        assert_eq!(driver.login("alice", "wonderland").await, Event::Authenticated);
        let subject = format!("Hello over {tls:?}");
        let body = "Dear Bob,\n.a line that starts with a dot\n..and one with two\nGrüße, Alice\n";
        let report = driver
            .send(&["bob@mail.test", "nobody@mail.test"], &message(&subject, body))
            .await
            .unwrap();
        assert_eq!(report.accepted, ["bob@mail.test"]);
        assert_eq!(report.rejected.len(), 1);
        assert_eq!(report.rejected[0].address, "nobody@mail.test");
        assert_eq!(report.rejected[0].reply.code, 550, "{:?}", report.rejected[0]);
        let stored = delivered_to_bob(&dovecot, &subject);
        assert!(
            stored.contains("\n.a line that starts with a dot\n..and one with two\nGrüße, Alice"),
            "{tls:?}: {stored}"
        );
        driver.session.quit().unwrap();
        assert_eq!(driver.next_event().await, Event::Closed);
    }
}

#[tokio::test]
async fn a_large_message_goes_after_its_recipients_are_accepted_and_arrives_whole() {
    let dovecot = Dovecot::builder().submission().start().unwrap();
    let mut driver = connect(&dovecot, Tls::Implicit).await;
    driver.login("alice", "wonderland").await;
    let line = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuv\r\n";
    let body = line.repeat(4_000);
    let report = driver.send(&["bob@mail.test"], &message("Large", &body)).await.unwrap();
    assert!(report.size > 280_000);
    let stored = delivered_to_bob(&dovecot, "Large");
    assert_eq!(stored.matches(line.trim_end()).count(), 4_000);
    // The session goes on: a second message on the same connection.
    driver
        .send(&["bob@mail.test"], &message("Second", "again\r\n"))
        .await
        .unwrap();
    assert!(delivered_to_bob(&dovecot, "Second").contains("again"));
}

#[tokio::test]
async fn what_the_server_cannot_take_is_refused_before_anything_is_sent() {
    let dovecot = Dovecot::builder().submission().start().unwrap();
    let mut driver = connect(&dovecot, Tls::Implicit).await;
    assert!(matches!(
        driver.login("alice", "not her password").await,
        Event::AuthFailed(reply) if reply.code == 535
    ));
    assert_eq!(driver.login("alice", "wonderland").await, Event::Authenticated);
    let limit = dovecot.info().submission.unwrap().max_bytes;
    let huge = vec![b'x'; limit as usize + 1];
    let error = driver.send(&["bob@mail.test"], &huge).await.unwrap_err();
    assert!(
        matches!(error, SendError::TooLarge { limit: l, .. } if l == limit),
        "{error:?}"
    );
    // Dovecot has no SMTPUTF8: a non-ASCII address cannot be sent to.
    let error = driver.send(&["jürgen@mail.test"], b"x").await.unwrap_err();
    assert_eq!(error, SendError::NeedsSmtpUtf8);
    // Nothing above reached the server: the session is as fresh as before.
    driver
        .send(&["bob@mail.test"], &message("After refusals", "ok\r\n"))
        .await
        .unwrap();
}
