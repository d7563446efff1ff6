//! End-to-end upstreams: TLS runs in the client (client-tls, the page's TLS
//! module, natively here), the bridge relays ciphertext to a real Dovecot and
//! cuts off a page that does not start TLS.

#[path = "../../../bridge/tests/support/mod.rs"]
mod bridge_support;

use bridge_support::{Bridge, Socket, closed, send};
use client_tls::{Session, Trust};
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use webmail_testkit::Dovecot;

fn config(dovecot: &Dovecot) -> String {
    let implicit = dovecot.imaps_addr();
    let starttls = dovecot.imap_addr();
    format!(
        "[[upstream]]\nname = \"e2e\"\naddress = \"{implicit}\"\ntls = \"end-to-end\"\nserver_name = \"localhost\"\n\n\
         [[upstream]]\nname = \"e2e-starttls\"\naddress = \"{starttls}\"\ntls = \"end-to-end-starttls\"\nserver_name = \"localhost\"\n"
    )
}

async fn next_bytes(socket: &mut Socket) -> Vec<u8> {
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), socket.next()).await {
            Ok(Some(Ok(Message::Binary(data)))) => return data.to_vec(),
            Ok(Some(Ok(_))) => {}
            other => panic!("expected bytes, got {other:?}"),
        }
    }
}

async fn read_plain_until(socket: &mut Socket, needle: &str) -> String {
    let mut text = String::new();
    while !text.contains(needle) {
        text.push_str(&String::from_utf8_lossy(&next_bytes(socket).await));
    }
    text
}

/// Drives the handshake, then exchanges IMAP inside TLS until `needle` arrives.
struct TlsOverBridge {
    socket: Socket,
    tls: Session,
    /// Every byte the bridge relayed, both ways.
    wire: Vec<u8>,
    /// Plaintext received and not yet looked at.
    pending: String,
}

impl TlsOverBridge {
    async fn start(socket: Socket, ca_pem: String) -> Self {
        let trust = Trust {
            extra_roots_pem: Some(ca_pem),
            pinned_sha256: Vec::new(),
        };
        let mut this = Self {
            socket,
            tls: Session::new("localhost", &trust).expect("session"),
            wire: Vec::new(),
            pending: String::new(),
        };
        this.flush().await;
        while !this.tls.handshake_done() {
            let bytes = next_bytes(&mut this.socket).await;
            this.wire.extend_from_slice(&bytes);
            let plaintext = this.tls.receive(&bytes).expect("handshake");
            this.pending.push_str(&String::from_utf8_lossy(&plaintext));
            this.flush().await;
        }
        this
    }

    async fn flush(&mut self) {
        let out = self.tls.take_outgoing();
        if !out.is_empty() {
            self.wire.extend_from_slice(&out);
            send(&mut self.socket, &out).await;
        }
    }

    async fn command(&mut self, line: &str, needle: &str) -> String {
        self.tls.send(line.as_bytes()).expect("send");
        self.flush().await;
        let mut text = std::mem::take(&mut self.pending);
        while !text.contains(needle) {
            let bytes = next_bytes(&mut self.socket).await;
            self.wire.extend_from_slice(&bytes);
            text.push_str(&String::from_utf8_lossy(&self.tls.receive(&bytes).expect("receive")));
            self.flush().await;
        }
        text
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

#[tokio::test]
async fn imap_runs_inside_the_clients_tls_and_the_bridge_sees_only_ciphertext() {
    let dovecot = Dovecot::start().unwrap();
    let ca_pem = std::fs::read_to_string(&dovecot.info().ca_file).unwrap();
    let bridge = Bridge::start(&config(&dovecot)).await;

    let socket = bridge.connect("upstream=e2e").await.unwrap();
    let mut session = TlsOverBridge::start(socket, ca_pem.clone()).await;
    assert_eq!(session.tls.protocol(), Some("TLS 1.3"));
    let certificate = session.tls.peer_certificate().expect("certificate");
    assert!(certificate.names.contains(&"localhost".to_owned()), "{certificate:?}");
    session.command("", "* OK").await;
    let login = session.command("a1 LOGIN alice wonderland\r\n", "a1 ").await;
    assert!(login.contains("a1 OK"), "{login}");
    let select = session.command("a2 SELECT INBOX\r\n", "a2 ").await;
    assert!(select.contains("a2 OK"), "{select}");
    session.command("a3 LOGOUT\r\n", "a3 OK").await;
    assert!(
        !contains(&session.wire, b"wonderland"),
        "the password crossed the bridge readable"
    );
    assert!(!contains(&session.wire, b"LOGIN"));
    assert!(!contains(&session.wire, b"INBOX"));

    // The STARTTLS variant: the page itself asks for STARTTLS in plaintext.
    let mut socket = bridge.connect("upstream=e2e-starttls").await.unwrap();
    read_plain_until(&mut socket, "* OK").await;
    send(&mut socket, b"s1 STARTTLS\r\n").await;
    read_plain_until(&mut socket, "s1 OK").await;
    let mut session = TlsOverBridge::start(socket, ca_pem).await;
    let login = session.command("a1 LOGIN alice wonderland\r\n", "a1 ").await;
    assert!(login.contains("a1 OK"), "{login}");
    assert!(!contains(&session.wire, b"wonderland"));
    bridge.stop().await;
}

#[tokio::test]
async fn a_page_that_does_not_start_tls_is_cut_off() {
    let dovecot = Dovecot::start().unwrap();
    let bridge = Bridge::start(&config(&dovecot)).await;

    // Plaintext IMAP to an implicit end-to-end upstream.
    let mut socket = bridge.connect("upstream=e2e").await.unwrap();
    send(&mut socket, b"a1 LOGIN alice wonderland\r\n").await;
    let (code, reason) = closed(&mut socket).await.expect("closed by the bridge");
    assert_eq!(code, 4013, "{reason}");
    assert!(reason.contains("did not start TLS"), "{reason}");

    // A plaintext LOGIN on the STARTTLS variant, before STARTTLS.
    let mut socket = bridge.connect("upstream=e2e-starttls").await.unwrap();
    read_plain_until(&mut socket, "* OK").await;
    send(&mut socket, b"a1 LOGIN alice wonderland\r\n").await;
    let (code, reason) = closed(&mut socket).await.expect("closed by the bridge");
    assert_eq!(code, 4013, "{reason}");
    assert!(reason.contains("`LOGIN` refused"), "{reason}");

    // A ClientHello for a server other than the configured one.
    let mut socket = bridge.connect("upstream=e2e").await.unwrap();
    let mut other = Session::new("mail.attacker.example", &Trust::default()).unwrap();
    send(&mut socket, &other.take_outgoing()).await;
    let (code, reason) = closed(&mut socket).await.expect("closed by the bridge");
    assert_eq!(code, 4013, "{reason}");
    assert!(reason.contains("mail.attacker.example"), "{reason}");
    bridge.stop().await;
}

#[tokio::test]
async fn the_upstream_list_tells_the_page_how_to_verify() {
    let dovecot = Dovecot::start().unwrap();
    let bridge = Bridge::start(&config(&dovecot)).await;
    let (_, body) = bridge_support::http_get(bridge.addr, "/api/upstreams").await;
    assert!(body.contains(r#""tls":"end-to-end""#), "{body}");
    assert!(body.contains(r#""tls":"end-to-end-starttls""#), "{body}");
    assert!(body.contains(r#""starttls":true"#), "{body}");
    assert!(body.contains(r#""serverName":"localhost""#), "{body}");
    assert!(!body.contains("127.0.0.1"), "no addresses: {body}");
    bridge.stop().await;
}
