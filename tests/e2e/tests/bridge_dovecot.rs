//! IMAP through the bridge to a real Dovecot: plain, STARTTLS and implicit TLS with
//! the harness CA, and TLS failures explained in the close reason.

#[path = "../../../bridge/tests/support/mod.rs"]
mod bridge_support;

use bridge_support::{Bridge, Socket, closed, send};
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use webmail_testkit::Dovecot;
use webmail_testkit::pki::{TestCa, Validity};

/// Reads until the received text contains `needle`.
async fn read_until(socket: &mut Socket, needle: &str) -> String {
    let mut text = String::new();
    while !text.contains(needle) {
        match tokio::time::timeout(std::time::Duration::from_secs(10), socket.next()).await {
            Ok(Some(Ok(Message::Binary(data)))) => text.push_str(&String::from_utf8_lossy(&data)),
            Ok(Some(Ok(_))) => {}
            other => panic!("waiting for {needle:?}, got {other:?} after {text:?}"),
        }
    }
    text
}

fn upstream(name: &str, address: std::net::SocketAddr, tls: &str, ca_file: Option<&std::path::Path>) -> String {
    let ca = ca_file
        .map(|path| format!("ca_file = \"{}\"\nserver_name = \"localhost\"\n", path.display()))
        .unwrap_or_default();
    format!("[[upstream]]\nname = \"{name}\"\naddress = \"{address}\"\ntls = \"{tls}\"\n{ca}\n")
}

#[tokio::test]
async fn imap_through_the_bridge_in_every_tls_mode() {
    let dovecot = Dovecot::start().unwrap();
    let ca = dovecot.info().ca_file.clone();
    let config = [
        upstream("plain", dovecot.imap_addr(), "none", None),
        upstream("starttls", dovecot.imap_addr(), "starttls", Some(&ca)),
        upstream("implicit", dovecot.imaps_addr(), "implicit", Some(&ca)),
    ]
    .concat();
    let bridge = Bridge::start(&config).await;
    for name in ["plain", "starttls", "implicit"] {
        let mut socket = bridge.connect(&format!("upstream={name}")).await.unwrap();
        let greeting = read_until(&mut socket, "\r\n").await;
        assert!(greeting.starts_with("* OK"), "{name}: {greeting}");
        if name == "starttls" {
            assert!(
                !greeting.contains("[CAPABILITY"),
                "pre-TLS capabilities are dropped: {greeting}"
            );
        }
        send(&mut socket, b"a1 CAPABILITY\r\n").await;
        let capabilities = read_until(&mut socket, "a1 OK").await;
        // After STARTTLS or on implicit TLS, Dovecot no longer offers STARTTLS.
        assert_eq!(
            capabilities.contains("STARTTLS"),
            name == "plain",
            "{name}: {capabilities}"
        );
        send(&mut socket, b"a2 LOGIN alice wonderland\r\na3 SELECT INBOX\r\n").await;
        read_until(&mut socket, "a3 OK").await;
        send(&mut socket, b"a4 LOGOUT\r\n").await;
        read_until(&mut socket, "a4 OK").await;
        assert_eq!(
            closed(&mut socket).await.map(|(code, _)| code),
            Some(4000),
            "{name}: the server closed after LOGOUT"
        );
    }
}

#[tokio::test]
async fn tls_failures_are_refused_with_the_reason() {
    let dovecot = Dovecot::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let other_ca = dir.path().join("other-ca.pem");
    std::fs::write(&other_ca, TestCa::generate("someone else").unwrap().cert_pem()).unwrap();
    let ca = dovecot.info().ca_file.clone();
    let wrong_name = format!(
        "[[upstream]]\nname = \"wrong-name\"\naddress = \"{}\"\ntls = \"implicit\"\nca_file = \"{}\"\nserver_name = \"imap.example.org\"\n",
        dovecot.imaps_addr(),
        ca.display()
    );
    let config = [
        upstream("no-ca", dovecot.imaps_addr(), "implicit", None),
        upstream("wrong-ca", dovecot.imap_addr(), "starttls", Some(&other_ca)),
        wrong_name,
        upstream("not-tls", dovecot.imap_addr(), "implicit", Some(&ca)),
    ]
    .concat();
    let bridge = Bridge::start(&config).await;
    for (name, reason) in [
        ("no-ca", "TLS failure: certificate not trusted (unknown issuer)"),
        ("wrong-ca", "TLS failure: certificate not trusted (unknown issuer)"),
        ("wrong-name", "TLS failure: certificate does not match the server name"),
        ("not-tls", "TLS failure"),
    ] {
        let mut socket = bridge.connect(&format!("upstream={name}")).await.unwrap();
        let (code, got) = closed(&mut socket)
            .await
            .unwrap_or_else(|| panic!("{name}: no close frame"));
        assert_eq!(code, 4006, "{name}: {got}");
        assert!(got.starts_with(reason), "{name}: {got}");
    }
}

#[tokio::test]
async fn an_expired_server_certificate_is_refused() {
    let ca = TestCa::generate("expiry CA").unwrap();
    let expired = ca.issue_server(&["localhost"], Validity::EXPIRED).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, ca_file) = (
        dir.path().join("cert.pem"),
        dir.path().join("key.pem"),
        dir.path().join("ca.pem"),
    );
    std::fs::write(&cert, &expired.cert_pem).unwrap();
    std::fs::write(&key, &expired.key_pem).unwrap();
    std::fs::write(&ca_file, ca.cert_pem()).unwrap();
    let dovecot = Dovecot::builder()
        .extra_config(&format!(
            "ssl_cert = <{}\nssl_key = <{}\n",
            cert.display(),
            key.display()
        ))
        .start()
        .unwrap();
    let bridge = Bridge::start(&upstream("expired", dovecot.imaps_addr(), "implicit", Some(&ca_file))).await;
    let mut socket = bridge.connect("upstream=expired").await.unwrap();
    assert_eq!(
        closed(&mut socket).await,
        Some((4006, "TLS failure: certificate expired".into()))
    );
}
