//! The harness from Rust: a generated corpus is served by a private Dovecot.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

use webmail_testkit::{Corpus, Dovecot};

/// Sends one tagged command and returns everything up to its completion.
fn command(reader: &mut BufReader<TcpStream>, tag: &str, line: &str) -> String {
    reader
        .get_mut()
        .write_all(format!("{tag} {line}\r\n").as_bytes())
        .unwrap();
    let mut response = String::new();
    loop {
        let mut raw = Vec::new();
        reader.read_until(b'\n', &mut raw).unwrap();
        assert!(!raw.is_empty(), "server closed the connection");
        let text = String::from_utf8_lossy(&raw).into_owned();
        response.push_str(&text);
        if text.starts_with(&format!("{tag} ")) {
            return response;
        }
    }
}

#[test]
fn a_rust_test_logs_in_selects_inbox_and_fetches_a_generated_message() {
    let corpus = Corpus::new(11, 25).without_large_attachment();
    let first = corpus.messages().find(|message| message.folder == "INBOX").unwrap();
    let dovecot = Dovecot::builder().corpus(corpus).start().unwrap();
    let inbox = &dovecot.info().folders[0];
    assert_eq!(inbox.name, "INBOX");

    let stream = TcpStream::connect(dovecot.imap_addr()).unwrap();
    let mut reader = BufReader::new(stream);
    let mut greeting = String::new();
    reader.read_line(&mut greeting).unwrap();
    assert!(greeting.starts_with("* OK [CAPABILITY"), "{greeting}");

    let user = dovecot.user(0);
    let login = command(&mut reader, "a1", &format!("LOGIN {} {}", user.username, user.password));
    assert!(login.contains("a1 OK"), "{login}");
    let select = command(&mut reader, "a2", "SELECT INBOX");
    assert!(select.contains(&format!("* {} EXISTS", inbox.messages)), "{select}");
    let fetch = command(&mut reader, "a3", "UID FETCH 1 (BODY.PEEK[])");
    let expected_size = format!("BODY[] {{{}}}", first.raw.len());
    assert!(fetch.contains(&expected_size), "{fetch}");
    assert!(fetch.contains(&first.message_id), "{fetch}");
}

#[test]
fn the_server_stops_and_leaves_nothing_behind() {
    let dovecot = Dovecot::start().unwrap();
    let config = dovecot.info().config_file.clone();
    let addr = dovecot.imap_addr();
    let group = dovecot.process_group().unwrap();
    // A logged-in session keeps an imap process alive: it must go too.
    let mut session = BufReader::new(TcpStream::connect(addr).unwrap());
    let mut greeting = String::new();
    session.read_line(&mut greeting).unwrap();
    command(&mut session, "a1", "LOGIN alice wonderland");
    dovecot.stop();
    assert!(!config.exists(), "the harness directory survived");
    assert!(TcpStream::connect(addr).is_err(), "dovecot still listening");
    let survivors = std::process::Command::new("pgrep")
        .args(["-g", &group.to_string()])
        .output()
        .unwrap();
    assert!(
        survivors.stdout.is_empty(),
        "processes left: {}",
        String::from_utf8_lossy(&survivors.stdout)
    );
    let mut rest = String::new();
    session
        .get_mut()
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    session
        .read_to_string(&mut rest)
        .expect("the session was closed, not left hanging");
    assert!(rest.is_empty() || rest.starts_with("* BYE"), "{rest}");
}
