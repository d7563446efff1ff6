//! The harness's submission server delivers to its own accounts and refuses
//! unknown recipients, as the compose tests rely on.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;

use webmail_testkit::Dovecot;

/// Reads one (possibly multi-line) SMTP reply and returns its last line.
fn reply(reader: &mut impl BufRead) -> String {
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert!(!line.is_empty(), "the server closed the connection");
        if line.as_bytes().get(3) != Some(&b'-') {
            return line.trim_end().to_owned();
        }
    }
}

#[test]
fn a_message_sent_to_the_submission_port_reaches_the_recipients_inbox() {
    let dovecot = Dovecot::builder().submission().start().unwrap();
    let stream = TcpStream::connect(dovecot.submission_addr().unwrap()).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    assert!(reply(&mut reader).starts_with("220 "));
    let mut say = |line: &str, reader: &mut BufReader<TcpStream>| {
        writer.write_all(format!("{line}\r\n").as_bytes()).unwrap();
        reply(reader)
    };
    assert!(say("EHLO test", &mut reader).starts_with("250 "));
    // PLAIN "\0alice\0wonderland".
    assert!(say("AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=", &mut reader).starts_with("235 "));
    assert!(say("MAIL FROM:<alice@mail.test>", &mut reader).starts_with("250 "));
    assert!(say("RCPT TO:<bob@mail.test>", &mut reader).starts_with("250 "));
    let refused = say("RCPT TO:<nobody@mail.test>", &mut reader);
    assert!(refused.starts_with("550 "), "{refused}");
    assert!(say("DATA", &mut reader).starts_with("354 "));
    let sent = say(
        "Subject: harness check\r\nFrom: alice@mail.test\r\nTo: bob@mail.test\r\n\r\n..leading dot\r\n.",
        &mut reader,
    );
    assert!(sent.starts_with("250 "), "{sent}");
    let _ = say("QUIT", &mut reader);
    let delivered = dovecot
        .doveadm(&["fetch", "-u", "bob", "text", "mailbox", "INBOX"])
        .unwrap();
    assert!(delivered.contains("Subject: harness check"), "{delivered}");
    assert!(delivered.contains("\n.leading dot"), "{delivered}");
}
