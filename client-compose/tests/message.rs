//! A built message, read back by the reference parser (mail-parser) and by
//! the project's own MIME parser (decision 0003): what the recipient's client
//! will show must be what the user wrote.

use client_compose::message::{Attachment, BuildError, Draft, Mailbox, Stamp, Version, build};
use mail_parser::{Address, MessageParser, MimeHeaders};
use webmail_client::mime::parse_whole;

fn mailbox(name: &str, address: &str) -> Mailbox {
    Mailbox {
        name: (!name.is_empty()).then(|| name.to_owned()),
        address: address.into(),
    }
}

const STAMP: Stamp = Stamp {
    millis: 1_796_004_305_000,
    utc_offset_minutes: 60,
    random: [7; 16],
};

fn png() -> Vec<u8> {
    (0..=255u8).cycle().take(3000).collect()
}

fn draft() -> Draft {
    Draft {
        from: mailbox("Alice Ärger", "alice@example.org"),
        to: vec![
            mailbox("Bob", "bob@example.org"),
            mailbox("Doe, John", "john@example.org"),
        ],
        cc: vec![mailbox("", "carol@example.org")],
        bcc: vec![mailbox("Secret", "eve@example.org")],
        reply_to: Vec::new(),
        subject: "Grüße aus Köln — a subject long enough to be folded over more than one line".into(),
        text: format!(
            "Hello Bob,\n\n{}\n\nOn Monday, Bob wrote:\n> the original\n.a dot line\n-- \nAlice",
            "This paragraph is long enough to be wrapped by format=flowed. "
                .repeat(4)
                .trim_end()
        ),
        html: Some("<p>Hello <b>Bob</b>, here is the logo: <img src=\"cid:logo@example.org\"></p>".into()),
        attachments: vec![
            Attachment {
                filename: "Übersicht für das Quartal 2026, endgültige Fassung.pdf".into(),
                content_type: "application/pdf".into(),
                data: b"%PDF-1.4 not really".to_vec(),
                content_id: None,
            },
            Attachment {
                filename: "logo.png".into(),
                content_type: "image/png".into(),
                data: png(),
                content_id: Some("logo@example.org".into()),
            },
        ],
        in_reply_to: Some("<parent@example.org>".into()),
        references: vec!["<root@example.org>".into(), "<parent@example.org>".into()],
        headers: vec![("Disposition-Notification-To".into(), "alice@example.org".into())],
        message_id: None,
    }
}

/// format=flowed read back: a line ending in a space continues on the next.
fn unflowed(text: &str) -> String {
    let mut out = String::new();
    for line in text.replace("\r\n", "\n").split('\n') {
        out.push_str(line);
        if !line.ends_with(' ') || line == "-- " {
            out.push('\n');
        }
    }
    out.trim_end().to_owned()
}

#[test]
fn the_reference_parser_reads_back_what_the_user_wrote() {
    let draft = draft();
    let built = build(&draft, &STAMP, Version::Transmitted).unwrap();
    assert!(
        !built.bytes.windows(2).any(|pair| pair[1] == b'\n' && pair[0] != b'\r'),
        "CRLF only"
    );
    let message = MessageParser::default().parse(&built.bytes).unwrap();
    assert_eq!(message.subject(), Some(draft.subject.as_str()));
    let from = message.from().and_then(Address::first).unwrap();
    assert_eq!(
        (from.name(), from.address()),
        (Some("Alice Ärger"), Some("alice@example.org"))
    );
    let to: Vec<(Option<&str>, Option<&str>)> = message
        .to()
        .unwrap()
        .iter()
        .map(|address| (address.name(), address.address()))
        .collect();
    assert_eq!(
        to,
        [
            (Some("Bob"), Some("bob@example.org")),
            (Some("Doe, John"), Some("john@example.org"))
        ]
    );
    assert!(message.bcc().is_none(), "no Bcc in what is transmitted");
    assert!(!String::from_utf8_lossy(&built.bytes).contains("eve@example.org"));
    assert_eq!(message.message_id(), Some(built.message_id.trim_matches(['<', '>'])));
    assert_eq!(message.in_reply_to().as_text(), Some("parent@example.org"));
    assert_eq!(message.references().as_text_list().map(|ids| ids.len()), Some(2));
    assert_eq!(
        message.date().map(|date| date.to_rfc822()),
        Some("Mon, 30 Nov 2026 03:05:05 +0100".into())
    );
    let text = message.body_text(0).unwrap();
    assert_eq!(unflowed(&text), draft.text.trim_end());
    assert!(text.lines().all(|line| line.chars().count() <= 72), "{text}");
    assert_eq!(message.body_html(0).as_deref(), draft.html.as_deref());
    let attachments: Vec<(Option<&str>, Vec<u8>, Option<&str>)> = message
        .attachments()
        .map(|part| (part.attachment_name(), part.contents().to_vec(), part.content_id()))
        .collect();
    assert_eq!(attachments.len(), 2, "{attachments:?}");
    let pdf = attachments
        .iter()
        .find(|(_, data, _)| data.starts_with(b"%PDF"))
        .unwrap();
    assert_eq!(pdf.0, Some(draft.attachments[0].filename.as_str()));
    let logo = attachments.iter().find(|(_, data, _)| *data == png()).unwrap();
    assert_eq!(logo.2, Some("logo@example.org"));
}

#[test]
fn the_projects_own_parser_reads_it_the_same() {
    let draft = draft();
    let built = build(&draft, &STAMP, Version::Transmitted).unwrap();
    let parsed = parse_whole(&built.bytes);
    assert_eq!(unflowed(parsed.text.as_deref().unwrap()), draft.text.trim_end());
    assert_eq!(parsed.html.as_deref(), draft.html.as_deref());
    let names: Vec<(Option<&str>, bool)> = parsed
        .attachments
        .iter()
        .map(|attachment| (attachment.filename.as_deref(), attachment.inline))
        .collect();
    assert!(
        names.contains(&(Some(draft.attachments[0].filename.as_str()), false)),
        "{names:?}"
    );
    assert!(names.contains(&(Some("logo.png"), true)), "{names:?}");
    let subject = parsed
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("subject"))
        .map(|(_, value)| value.as_str());
    assert_eq!(subject, Some(draft.subject.as_str()));
}

#[test]
fn the_kept_copy_has_the_bcc_and_both_versions_match_otherwise() {
    let draft = draft();
    let transmitted = build(&draft, &STAMP, Version::Transmitted).unwrap();
    let kept = build(&draft, &STAMP, Version::Kept).unwrap();
    let message = MessageParser::default().parse(&kept.bytes).unwrap();
    let bcc = message.bcc().and_then(Address::first).unwrap();
    assert_eq!(bcc.address(), Some("eve@example.org"));
    assert_eq!(
        kept.message_id, transmitted.message_id,
        "a retry or the Sent copy keeps the Message-ID"
    );
    let without_bcc: Vec<u8> = String::from_utf8(kept.bytes)
        .unwrap()
        .replace("Bcc: Secret <eve@example.org>\r\n", "")
        .into_bytes();
    assert_eq!(without_bcc, transmitted.bytes);
}

#[test]
fn nothing_a_user_types_can_add_a_header_or_a_recipient() {
    let mut draft = draft();
    draft.subject = "hi\r\nBcc: mallory@example.org".into();
    assert_eq!(
        build(&draft, &STAMP, Version::Transmitted),
        Err(BuildError::LineBreak("Subject".into()))
    );
    let mut draft = self::draft();
    draft.to[0].name = Some("Bob\nX-Evil: 1".into());
    assert!(matches!(
        build(&draft, &STAMP, Version::Transmitted),
        Err(BuildError::LineBreak(_))
    ));
    let mut draft = self::draft();
    draft.cc[0].address = "carol@example.org>, <mallory@example.org".into();
    assert!(matches!(
        build(&draft, &STAMP, Version::Transmitted),
        Err(BuildError::InvalidAddress(_))
    ));
    let mut draft = self::draft();
    draft.headers = vec![("Bcc".into(), "mallory@example.org".into())];
    assert!(matches!(
        build(&draft, &STAMP, Version::Transmitted),
        Err(BuildError::InvalidHeader(_))
    ));
    let mut draft = self::draft();
    draft.attachments[0].filename = "evil\r\nContent-Type: text/html.pdf".into();
    let built = build(&draft, &STAMP, Version::Transmitted).unwrap();
    let message = MessageParser::default().parse(&built.bytes).unwrap();
    assert_eq!(message.attachments().count(), 2, "the name cannot split the part");
}

#[test]
fn a_plain_text_message_is_one_part() {
    let draft = Draft {
        from: mailbox("", "alice@example.org"),
        to: vec![mailbox("", "bob@example.org")],
        subject: "Plain".into(),
        text: "Just text.\n".into(),
        ..Draft::default()
    };
    let built = String::from_utf8(build(&draft, &STAMP, Version::Transmitted).unwrap().bytes).unwrap();
    assert!(built.contains("Content-Type: text/plain; charset=utf-8; format=flowed\r\nContent-Transfer-Encoding: 7bit\r\n\r\nJust text.\r\n"), "{built}");
    assert!(!built.contains("multipart"));
    assert!(built.contains("Message-ID: <07070707070707070707070707070707@example.org>"));
    let nobody = Draft {
        to: Vec::new(),
        ..draft
    };
    assert_eq!(
        build(&nobody, &STAMP, Version::Transmitted),
        Err(BuildError::NoRecipients)
    );
}

#[test]
fn a_given_message_id_is_kept_for_a_retry() {
    let draft = Draft {
        message_id: Some("first-attempt@example.org".into()),
        ..draft()
    };
    let other_stamp = Stamp {
        random: [9; 16],
        ..STAMP
    };
    let built = build(&draft, &other_stamp, Version::Transmitted).unwrap();
    assert_eq!(built.message_id, "<first-attempt@example.org>");
    let bad = Draft {
        message_id: Some("two words@example.org".into()),
        ..draft
    };
    assert!(matches!(
        build(&bad, &STAMP, Version::Transmitted),
        Err(BuildError::InvalidMessageId(_))
    ));
}
