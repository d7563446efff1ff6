//! Every real-server transcript in tests/fixtures/imap-quirks is survived: parsed
//! correctly where valid, skipped alone where broken, fed whole and split at every
//! byte offset.

use std::path::PathBuf;

use client_wasm::codec::framer::{Frame, Framer};
use client_wasm::codec::parse_response;
use client_wasm::codec::types::{BodyStructure, Code, Data, Response, StatusKind};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/imap-quirks")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Frames and parses `bytes` delivered in two chunks split at `split`.
fn run(bytes: &[u8], split: usize) -> (Vec<Result<Response, String>>, bool) {
    let mut framer = Framer::default();
    let mut out = Vec::new();
    for chunk in [&bytes[..split], &bytes[split..]] {
        framer.push(chunk);
        while let Some(frame) = framer.next_frame() {
            match frame {
                Frame::Response(range) => {
                    out.push(parse_response(&framer.buffer()[range]).map_err(|error| error.to_string()));
                }
                Frame::Oversized { bytes } => out.push(Err(format!("oversized {bytes}"))),
            }
        }
    }
    (out, framer.in_progress())
}

/// Results of the whole file, checked to be identical for every split point.
fn survive(name: &str) -> Vec<Result<Response, String>> {
    let bytes = fixture(name);
    let (whole, _) = run(&bytes, bytes.len());
    for split in 0..bytes.len() {
        let (parts, _) = run(&bytes, split);
        assert_eq!(parts, whole, "{name}: split at byte {split} changed the result");
    }
    whole
}

fn single_fetch(name: &str) -> client_wasm::codec::types::Fetch {
    match survive(name).into_iter().next() {
        Some(Ok(Response::Data(Data::Fetch(fetch)))) => *fetch,
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn every_fixture_is_survived_at_every_split() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/imap-quirks");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".txt") {
            survive(&name);
            count += 1;
        }
    }
    assert_eq!(count, 36);
}

#[test]
fn broken_responses_are_skipped_alone() {
    let results = survive("smtp-banner-on-imap-port.txt");
    assert_eq!(results.len(), 1);
    assert!(results[0].is_err());
    // The next response after a broken one is unaffected.
    let mut stream = fixture("smtp-banner-on-imap-port.txt");
    stream.extend_from_slice(b"* OK fine\r\n");
    let (results, _) = run(&stream, stream.len());
    assert!(results[0].is_err());
    assert!(matches!(results[1], Ok(Response::Status(_))));
}

#[test]
fn the_rambler_literal_waits_for_a_timeout() {
    let bytes = fixture("rambler-literal-length-too-long.txt");
    let (results, in_progress) = run(&bytes, bytes.len());
    assert!(results.is_empty(), "the literal swallows the rest: {results:?}");
    assert!(
        in_progress,
        "the engine's progress timeout must see a response in progress"
    );
}

#[test]
fn recoverable_quirks_parse_correctly() {
    let exchange = single_fetch("exchange-bodystructure-dsp-string-inline.txt");
    let BodyStructure::Multi { parts, subtype, .. } = *exchange.body_structure.unwrap() else {
        panic!()
    };
    assert_eq!(subtype, "alternative");
    let BodyStructure::Single {
        disposition, fields, ..
    } = &parts[0]
    else {
        panic!()
    };
    assert_eq!(disposition.as_ref().unwrap().kind, "inline");
    assert_eq!(fields.encoding, "quoted-printable");
    assert_eq!(exchange.flags.unwrap(), vec!["\\Seen", "\\Recent"]);

    let gmail = single_fetch("gmail-bodystructure-related-nil-parts.txt");
    assert_eq!(gmail.gmail_labels.unwrap(), vec!["\\Sent"]);
    assert_eq!(gmail.modseq, Some(10_677_203));
    assert_eq!(
        gmail.sections[0].data.as_deref(),
        Some(&b"MIME-Version: 1.0\r\n\r\n"[..])
    );

    let apple = single_fetch("appledouble-bodystructure-negative-octets.txt");
    let BodyStructure::Multi { parts, .. } = *apple.body_structure.unwrap() else {
        panic!()
    };
    assert!(
        matches!(&parts[1], BodyStructure::Single { media_type, fields, .. } if media_type == "multipart" && fields.octets == 0)
    );

    let icloud = single_fetch("icloud-bodystructure-nil-encoding.txt");
    let BodyStructure::Multi { parts, .. } = *icloud.body_structure.unwrap() else {
        panic!()
    };
    let BodyStructure::Multi { parts: inner, .. } = &parts[0] else {
        panic!()
    };
    assert!(matches!(&inner[0], BodyStructure::Single { fields, .. } if fields.encoding == "7bit"));

    let k9 = single_fetch("k9-bodystructure-nil-octets.txt");
    assert!(matches!(*k9.body_structure.unwrap(), BodyStructure::Single { ref fields, .. } if fields.octets == 0));

    let latin1 = single_fetch("latin1-literal-filename-bodystructure.txt");
    let BodyStructure::Single { fields, .. } = *latin1.body_structure.unwrap() else {
        panic!()
    };
    assert_eq!(
        fields.params[0].1, b"G\xf6r\xfcnt\xfc1",
        "8-bit bytes kept, not lossily decoded"
    );

    let mailru = single_fetch("mailru-bodystructure-boundary-nil.txt");
    let BodyStructure::Multi { params, .. } = *mailru.body_structure.unwrap() else {
        panic!()
    };
    assert_eq!(params, vec![("boundary".into(), Vec::new())]);

    let float = single_fetch("mailru-bodystructure-float-octets.txt");
    let BodyStructure::Multi { parts, .. } = *float.body_structure.unwrap() else {
        panic!()
    };
    assert!(
        matches!(&parts[1], BodyStructure::Single { fields, disposition: Some(d), .. } if fields.octets == 1_869_310 && d.kind == "attachment")
    );

    let qiye = single_fetch("qiye163-body-unescaped-quotes.txt");
    let BodyStructure::Multi { parts, .. } = *qiye.body_structure.unwrap() else {
        panic!()
    };
    assert!(
        matches!(&parts[1], BodyStructure::Single { fields, .. } if fields.encoding == "base64" && fields.octets == 65322)
    );

    let domino = single_fetch("domino-fetch-extra-parens-envelope.txt");
    assert_eq!(domino.uid, Some(14935));
    assert!(domino.envelope.is_some());

    let online = single_fetch("onlineno-envelope-raw-utf8-subject.txt");
    let subject = online.envelope.unwrap().subject.unwrap();
    assert_eq!(
        String::from_utf8(subject).unwrap(),
        "Kun For Deg! Få Et GRATIS Bil Nødssett Fra NAF!"
    );
    assert_eq!(online.uid, Some(24371));

    let davmail = single_fetch("davmail-rfc822-header-double-space.txt");
    assert_eq!(davmail.sections[0].data.as_deref(), Some(&b"Subject: test\r\n\r\n"[..]));

    let trailing = single_fetch("fetch-trailing-space-before-paren.txt");
    assert_eq!(trailing.size, Some(5_799_845));

    assert!(matches!(
        survive("davmail-exists-double-space.txt")[0],
        Ok(Response::Data(Data::Exists(1688)))
    ));
    assert!(matches!(
        &survive("surgemail-flags-trailing-space.txt")[0],
        Ok(Response::Data(Data::Flags(flags))) if flags.len() == 6
    ));
    assert!(matches!(
        &survive("gmail-flags-with-bracket.txt")[0],
        Ok(Response::Data(Data::Flags(flags))) if flags == &["OIB-Seen-[Gmail]/All"]
    ));
    assert!(matches!(
        &survive("outlook-status-trailing-space.txt")[0],
        Ok(Response::Data(Data::Status { items, .. })) if items == &[("UIDNEXT".to_owned(), 107)]
    ));
    assert!(matches!(
        &survive("antispam-garbage-before-bye.txt")[0],
        Ok(Response::Status(status)) if status.kind == StatusKind::Bye
    ));
    let permanent = survive("permanentflags-bracket-keyword.txt");
    assert!(matches!(
        &permanent[0],
        Ok(Response::Status(status)) if matches!(&status.code, Some(Code::PermanentFlags(flags)) if flags.contains(&"[css3-page]".to_owned()) && flags.last().unwrap() == "\\*")
    ));
}

#[test]
fn valid_sessions_parse_completely() {
    for name in [
        "airmail-list-brackets-in-atom.txt",
        "async-imap-fetch-empty-flags-uid-last.txt",
        "continuation-without-space.txt",
        "coremail-list-mutf7.txt",
        "coremail-select-myrights-recent-in-flags.txt",
        "davidfx-continuation-trailing-space.txt",
        "davidfx-list-empty-attrs.txt",
        "gmail-session-list-special-use.txt",
        "icloud-idle-unsolicited-fetch.txt",
        "list-mailbox-named-nil.txt",
        "maddy-greeting-capability-no-values.txt",
        "mailkit-examine-unseen-missing-text.txt",
        "msgserve-list-nil-delimiter.txt",
        "seine-capability-junk-and-greeting.txt",
        "yahoojp-namespace-nil-delimiter.txt",
    ] {
        for (index, result) in survive(name).iter().enumerate() {
            assert!(result.is_ok(), "{name} response {index}: {result:?}");
        }
    }
    let coremail = survive("coremail-list-mutf7.txt");
    let Ok(Response::Data(Data::List(entry))) = &coremail[2] else {
        panic!()
    };
    assert_eq!(
        client_wasm::codec::mutf7::decode(&entry.raw_name).unwrap(),
        "Archive.35邮箱"
    );
}
