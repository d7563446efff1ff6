//! Sending through the bridge to a real submission server (Dovecot's, which
//! delivers to the harness's accounts): STARTTLS done by the bridge (EHLO
//! first), implicit TLS, what the sign-in page learns, and what is refused.

#[path = "../../../bridge/tests/support/mod.rs"]
mod bridge_support;

use bridge_support::{Bridge, Socket, closed, http_get, send};
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use webmail_testkit::Dovecot;

/// Reads one whole SMTP reply (its last line is `NNN text`).
async fn reply(socket: &mut Socket) -> String {
    let mut text = String::new();
    loop {
        let last_line_done = text
            .lines()
            .last()
            .is_some_and(|line| text.ends_with("\r\n") && line.as_bytes().get(3) != Some(&b'-'));
        if last_line_done {
            return text;
        }
        match tokio::time::timeout(std::time::Duration::from_secs(10), socket.next()).await {
            Ok(Some(Ok(Message::Binary(data)))) => text.push_str(&String::from_utf8_lossy(&data)),
            Ok(Some(Ok(_))) => {}
            other => panic!("waiting for a reply, got {other:?} after {text:?}"),
        }
    }
}

async fn say(socket: &mut Socket, line: &str) -> String {
    send(socket, format!("{line}\r\n").as_bytes()).await;
    reply(socket).await
}

fn upstream(dovecot: &Dovecot, name: &str, submission: std::net::SocketAddr, tls: &str) -> String {
    format!(
        "[[upstream]]\nname = \"{name}\"\naddress = \"{}\"\ntls = \"none\"\nca_file = \"{}\"\nsubmission = \"{submission}\"\nsubmission_tls = \"{tls}\"\n\n",
        dovecot.imap_addr(),
        dovecot.info().ca_file.display(),
    )
}

#[tokio::test]
async fn mail_sent_through_the_bridge_reaches_the_recipient_with_tls_done_by_the_bridge() {
    let dovecot = Dovecot::builder().submission().start().unwrap();
    let config = [
        upstream(&dovecot, "starttls", dovecot.submission_addr().unwrap(), "starttls"),
        upstream(&dovecot, "implicit", dovecot.submissions_addr().unwrap(), "implicit"),
    ]
    .concat();
    let bridge = Bridge::start(&config).await;
    for name in ["starttls", "implicit"] {
        let mut socket = bridge
            .connect(&format!("upstream={name}&service=submission"))
            .await
            .unwrap();
        let greeting = reply(&mut socket).await;
        assert!(greeting.starts_with("220 "), "{name}: {greeting}");
        let hello = say(&mut socket, "EHLO [127.0.0.1]").await;
        assert!(hello.contains("AUTH PLAIN"), "{name}: {hello}");
        assert!(
            !hello.contains("STARTTLS"),
            "{name}: TLS is already up, so the server offers no STARTTLS: {hello}"
        );
        assert!(
            say(&mut socket, "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=")
                .await
                .starts_with("235 ")
        );
        assert!(
            say(&mut socket, "MAIL FROM:<alice@mail.test>")
                .await
                .starts_with("250 ")
        );
        assert!(say(&mut socket, "RCPT TO:<bob@mail.test>").await.starts_with("250 "));
        assert!(say(&mut socket, "DATA").await.starts_with("354 "));
        let subject = format!("Sent over {name}");
        let sent = say(
            &mut socket,
            &format!("Subject: {subject}\r\nFrom: alice@mail.test\r\nTo: bob@mail.test\r\n\r\nHello Bob.\r\n."),
        )
        .await;
        assert!(sent.starts_with("250 "), "{name}: {sent}");
        assert!(say(&mut socket, "QUIT").await.starts_with("221 "));
        let delivered = dovecot
            .doveadm(&["fetch", "-u", "bob", "hdr", "mailbox", "INBOX"])
            .unwrap();
        assert!(delivered.contains(&subject), "{name}: {delivered}");
    }
    bridge
        .assert_metric("bridge_service_sessions_total{service=\"submission\"} 2")
        .await;
}

#[tokio::test]
async fn the_sign_in_page_learns_which_upstreams_can_send_but_never_where() {
    let dovecot = Dovecot::builder().submission().start().unwrap();
    let config = [
        upstream(&dovecot, "sends", dovecot.submission_addr().unwrap(), "starttls"),
        upstream(&dovecot, "gmail-like", dovecot.submission_addr().unwrap(), "starttls")
            + "submission_files_sent = true\n",
        format!(
            "[[upstream]]\nname = \"reads\"\naddress = \"{}\"\ntls = \"none\"\n",
            dovecot.imap_addr()
        ),
    ]
    .concat();
    let bridge = Bridge::start(&config).await;
    let (_, body) = http_get(bridge.addr, "/api/upstreams").await;
    let list: serde_json::Value = serde_json::from_str(&body).unwrap();
    let can_send: Vec<(String, bool)> = list["upstreams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["name"].as_str().unwrap().to_owned(),
                entry["canSend"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        can_send,
        vec![
            ("gmail-like".into(), true),
            ("reads".into(), false),
            ("sends".into(), true)
        ]
    );
    let files_sent = |index: usize| list["upstreams"][index]["submission"]["filesSent"].as_bool();
    assert_eq!(
        files_sent(0),
        Some(true),
        "the operator said the server files its own copy"
    );
    assert_eq!(files_sent(2), Some(false), "unset, the page files the Sent copy");
    let port = dovecot.submission_addr().unwrap().port().to_string();
    assert!(!body.contains(&port), "no address in {body}");

    let mut socket = bridge.connect("upstream=reads&service=submission").await.unwrap();
    let (code, reason) = closed(&mut socket).await.unwrap();
    assert_eq!(code, 4001, "the code for an upstream the page cannot use");
    assert!(reason.contains("no submission server"), "{reason}");
}
