//! The client API through the native tokio shell against a real Dovecot: every
//! command and extension Dovecot offers, checked against the generated corpus.

mod support;

use std::rc::Rc;
use std::time::Duration;

use client_wasm::client::native::{Security, TcpConnector, TokioRuntime, tls_config};
use client_wasm::client::{Client, ClientError, ClientEvent, SearchQuery, SetFlagsMode, SortOrder, SummaryOptions};
use client_wasm::codec::types::Data;
use client_wasm::engine::Command;
use client_wasm::engine::sasl::{Mechanism, Secret};
use support::{local, login, options, record};
use webmail_testkit::corpus::{GeneratedMessage, Kind};
use webmail_testkit::{Corpus, Dovecot};

const SEED: u64 = 42;

fn corpus() -> Corpus {
    Corpus::new(SEED, 60)
}

fn generated() -> Vec<GeneratedMessage> {
    corpus().messages().collect()
}

fn inbox_message(kind: Kind) -> GeneratedMessage {
    generated()
        .into_iter()
        .find(|message| message.folder == "INBOX" && message.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?} in INBOX"))
}

fn start() -> Dovecot {
    Dovecot::builder().corpus(corpus()).start().expect("dovecot")
}

/// A client to the harness over STARTTLS, not signed in.
async fn starttls_client(dovecot: &Dovecot) -> Result<Client, ClientError> {
    Client::connect(
        Rc::new(support::starttls_connector(dovecot)),
        Rc::new(TokioRuntime::default()),
        options(),
    )
    .await
}

#[test]
fn login_failures_and_mechanisms() {
    let dovecot = Dovecot::start().unwrap();
    local(async {
        let connect = || starttls_client(&dovecot);
        let client = connect().await.unwrap();
        let error = client.login("alice", "wrong").await.unwrap_err();
        assert_eq!(error.code(), "AUTH_FAILED", "{error}");
        // The session is still usable after a failed login.
        client.login("alice", "wonderland").await.unwrap();
        assert!(client.has_capability("IDLE"));

        let client = connect().await.unwrap();
        let login = Mechanism::Login {
            user: "bob".into(),
            password: Secret::new("builder"),
        };
        client.authenticate(login).await.unwrap();
        assert!(!client.list_mailboxes().await.unwrap().is_empty());
    });
}

#[test]
fn implicit_tls_with_the_harness_ca_and_a_wrong_ca_is_refused() {
    let dovecot = Dovecot::start().unwrap();
    local(async {
        let tls = tls_config(Some(&dovecot.ca_pem())).unwrap();
        let connector = TcpConnector::new(dovecot.imaps_addr(), Security::Implicit(tls, "localhost".into()));
        let client = Client::connect(Rc::new(connector), Rc::new(TokioRuntime::default()), options())
            .await
            .unwrap();
        client.login("alice", "wonderland").await.unwrap();

        let untrusted = tls_config(None).unwrap();
        let connector = TcpConnector::new(dovecot.imaps_addr(), Security::Implicit(untrusted, "localhost".into()));
        let error = Client::connect(Rc::new(connector), Rc::new(TokioRuntime::default()), options())
            .await
            .unwrap_err();
        assert_eq!(error.code(), "TLS_FAILED", "{error}");
    });
}

#[test]
fn mailboxes_with_special_use_unicode_names_and_counts() {
    let dovecot = start();
    let folders = dovecot.info().folders.clone();
    local(async {
        let client = login(&dovecot, options()).await;
        let mailboxes = client.list_mailboxes().await.unwrap();
        let paths: Vec<&str> = mailboxes.iter().map(|m| m.path.as_str()).collect();
        assert_eq!(
            &paths[..6],
            ["INBOX", "Drafts", "Sent", "Archive", "Junk", "Trash"],
            "special-use first"
        );
        for folder in &folders {
            let mailbox = mailboxes
                .iter()
                .find(|m| m.path == folder.name)
                .unwrap_or_else(|| panic!("{} missing", folder.name));
            let status = mailbox.status.as_ref().expect("LIST-STATUS counts");
            assert_eq!(status.messages, Some(folder.messages), "{}", folder.name);
            assert_eq!(status.unseen, Some(folder.unseen), "{}", folder.name);
            assert!(mailbox.subscribed, "{} subscribed", folder.name);
        }
        let buro = mailboxes.iter().find(|m| m.path == "Projects/Büro").unwrap();
        assert_eq!(buro.name, "Büro");
        assert_eq!(buro.delimiter.as_deref(), Some("/"));
        let projects = mailboxes.iter().find(|m| m.path == "Projects").unwrap();
        assert!(projects.children && !projects.selectable);
        assert_eq!(
            mailboxes
                .iter()
                .find(|m| m.path == "Sent")
                .unwrap()
                .special_use
                .as_deref(),
            Some("\\Sent")
        );

        let status = client.status("日本語").await.unwrap();
        let expected = folders.iter().find(|f| f.name == "日本語").unwrap();
        assert_eq!(status.messages, Some(expected.messages));
        assert!(status.highest_modseq.is_some(), "CONDSTORE");
        assert_eq!(
            client.status("No such folder").await.unwrap_err().code(),
            "NO_SUCH_MAILBOX"
        );
    });
}

#[test]
fn select_sort_thread_and_summaries() {
    let dovecot = start();
    let inbox = dovecot.info().folders[0].clone();
    let messages: Vec<GeneratedMessage> = generated().into_iter().filter(|m| m.folder == "INBOX").collect();
    local(async {
        let client = login(&dovecot, options()).await;
        let info = client.select("INBOX").await.unwrap();
        assert_eq!((info.exists, info.unseen), (inbox.messages, inbox.unseen));
        assert!(info.uid_validity > 0 && info.highest_modseq.is_some() && !info.read_only);
        assert!(info.permanent_flags.contains(&"\\*".to_owned()));

        let order = |sort: &'static str, reverse: bool| {
            let client = &client;
            async move {
                let order = SortOrder {
                    sort: Some(sort.into()),
                    reverse,
                };
                client.message_uids(&order).await
            }
        };
        let newest_first = order("date", true).await.unwrap();
        let mut by_date: Vec<&GeneratedMessage> = messages.iter().collect();
        by_date.sort_by_key(|m| std::cmp::Reverse(m.date));
        assert_eq!(newest_first, by_date.iter().map(|m| m.uid).collect::<Vec<_>>());
        let by_size = order("size", false).await.unwrap();
        let sizes: Vec<usize> = by_size
            .iter()
            .map(|uid| messages.iter().find(|m| m.uid == *uid).unwrap().raw.len())
            .collect();
        assert!(sizes.windows(2).all(|pair| pair[0] <= pair[1]), "{sizes:?}");
        let received_last_first = order("uid", true).await.unwrap();
        let mut uids: Vec<u32> = messages.iter().map(|m| m.uid).collect();
        uids.sort_unstable_by(|a, b| b.cmp(a));
        assert_eq!(received_last_first, uids, "UID order, known since SELECT");

        let threads = client.threads("references").await.unwrap();
        let replies = messages.iter().filter(|m| m.subject.starts_with("Re: ")).count();
        let nested: usize = threads.iter().map(|tree| count(tree) - 1).sum();
        assert!(nested > 0 && nested <= replies, "{nested} nested of {replies} replies");

        let first_uids: Vec<u32> = messages.iter().take(12).map(|m| m.uid).rev().collect();
        let summaries = client.fetch_summaries(&first_uids).await.unwrap();
        assert_eq!(
            summaries.iter().map(|s| s.uid).collect::<Vec<_>>(),
            first_uids,
            "in the order asked"
        );
        for summary in &summaries {
            let generated = messages.iter().find(|m| m.uid == summary.uid).unwrap();
            assert_eq!(
                summary.envelope.subject.as_deref(),
                Some(generated.subject.as_str()),
                "uid {}",
                summary.uid
            );
            assert_eq!(
                summary.envelope.from[0].address.as_deref(),
                Some(generated.from_address)
            );
            if !generated.from_name.is_empty() {
                assert_eq!(summary.envelope.from[0].name.as_deref(), Some(generated.from_name));
            }
            assert_eq!(summary.size, generated.raw.len() as u64);
            let with_files = matches!(
                generated.kind,
                Kind::Attachments | Kind::Forwarded | Kind::LargeAttachment
            );
            assert_eq!(summary.has_attachments, with_files, "{:?}", generated.kind);
            assert!(summary.internal_date.as_deref().is_some_and(|d| d.ends_with('Z')));
            assert!(summary.preview.is_none(), "PREVIEW only when asked");
        }
        let with_preview = client
            .fetch_summaries_with(&first_uids, SummaryOptions { preview: true })
            .await
            .unwrap();
        assert!(with_preview.iter().all(|summary| summary.preview.is_some()), "PREVIEW");
        assert_eq!(
            client.fetch_summaries(&[0]).await.unwrap_err().code(),
            "INVALID_ARGUMENT"
        );
    });
}

fn count(tree: &client_wasm::client::types::ThreadTree) -> usize {
    1 + tree.children.iter().map(count).sum::<usize>()
}

#[test]
fn every_kind_of_message_opens_correctly() {
    let dovecot = start();
    local(async {
        let client = login(&dovecot, options()).await;
        client.select("INBOX").await.unwrap();

        let plain = inbox_message(Kind::Plain);
        let message = client.fetch_message(plain.uid).await.unwrap();
        assert!(message.text.as_deref().unwrap().starts_with("Hi "));
        assert_eq!(message.html, None);
        assert_eq!(message.subject.as_deref(), Some(plain.subject.as_str()));
        assert_eq!(message.message_id.as_deref(), Some(plain.message_id.as_str()));

        let alternative = client
            .fetch_message(inbox_message(Kind::Alternative).uid)
            .await
            .unwrap();
        assert!(
            alternative
                .html
                .as_deref()
                .unwrap()
                .contains("<a href=\"https://example.org/dashboard\">")
        );
        assert!(alternative.text.is_some());
        assert!(alternative.attachments.is_empty());

        let inline = client
            .fetch_message(inbox_message(Kind::InlineImages).uid)
            .await
            .unwrap();
        let html = inline.html.unwrap();
        let cids: Vec<&str> = inline
            .attachments
            .iter()
            .filter_map(|a| a.content_id.as_deref())
            .collect();
        assert_eq!(cids.len(), 2);
        for cid in cids {
            assert!(html.contains(&format!("cid:{cid}")), "{cid}");
        }
        assert!(
            inline
                .attachments
                .iter()
                .all(|a| a.inline && a.content_type == "image/png")
        );

        let with_files = inbox_message(Kind::Attachments);
        let message = client.fetch_message(with_files.uid).await.unwrap();
        let names: Vec<&str> = message
            .attachments
            .iter()
            .filter_map(|a| a.filename.as_deref())
            .collect();
        assert_eq!(names, ["Übersicht 2024.pdf", "photo.png", "archive.zip"]);
        let png = message
            .attachments
            .iter()
            .find(|a| a.content_type == "image/png")
            .unwrap();
        let bytes = client.fetch_part(with_files.uid, &png.part_id, None).await.unwrap();
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(bytes.len() as u64, png.size, "the decoded size estimate is exact here");
        let pdf = message
            .attachments
            .iter()
            .find(|a| a.content_type == "application/pdf")
            .unwrap();
        assert!(
            client
                .fetch_part(with_files.uid, &pdf.part_id, None)
                .await
                .unwrap()
                .starts_with(b"%PDF-1.4")
        );

        let forwarded = client.fetch_message(inbox_message(Kind::Forwarded).uid).await.unwrap();
        let inner = forwarded
            .attachments
            .iter()
            .find(|a| a.content_type == "message/rfc822")
            .unwrap();
        assert_eq!(inner.filename.as_deref(), Some("forwarded.eml"));
        let eml = client
            .fetch_part(inbox_message(Kind::Forwarded).uid, &inner.part_id, None)
            .await
            .unwrap();
        assert!(String::from_utf8_lossy(&eml).contains("Subject: Original: the plan"));

        for (charset, expected) in [
            ("iso-8859-1", "Das Café an der Ecke"),
            ("windows-1252", "250 €"),
            ("koi8-r", "Здравствуйте, Алиса!"),
            ("shift_jis", "昨日の会議の議事録"),
            ("gb2312", "项目进度报告"),
        ] {
            let generated = inbox_message(Kind::Charset(charset));
            let message = client.fetch_message(generated.uid).await.unwrap();
            assert!(
                message.text.as_deref().unwrap_or_default().contains(expected),
                "{charset}: {:?}",
                message.text
            );
            assert_eq!(
                message.subject.as_deref(),
                Some(generated.subject.as_str()),
                "{charset} subject"
            );
        }
        let raw_utf8 = inbox_message(Kind::RawUtf8Headers);
        let message = client.fetch_message(raw_utf8.uid).await.unwrap();
        assert_eq!(message.subject.as_deref(), Some(raw_utf8.subject.as_str()));
        assert_eq!(message.from[0].name.as_deref(), Some("Zoë Ångström"));

        assert_eq!(client.fetch_raw(plain.uid).await.unwrap(), plain.raw);
    });
}

#[test]
fn a_ten_megabyte_attachment_streams_with_progress() {
    let dovecot = start();
    let large = inbox_message(Kind::LargeAttachment);
    local(async {
        let client = login(&dovecot, options()).await;
        client.select("INBOX").await.unwrap();
        let message = client.fetch_message(large.uid).await.unwrap();
        let attachment = message
            .attachments
            .iter()
            .find(|a| a.filename.as_deref() == Some("backup.tar"))
            .unwrap();
        let reports = Rc::new(std::cell::RefCell::new(Vec::new()));
        let sink = reports.clone();
        let progress: client_wasm::client::ProgressFn =
            Box::new(move |done, total| sink.borrow_mut().push((done, total)));
        let bytes = client
            .fetch_part(large.uid, &attachment.part_id, Some(progress))
            .await
            .unwrap();
        assert_eq!(bytes.len(), 10 * 1024 * 1024);
        let reports = reports.borrow();
        assert!(reports.len() >= 10, "{} progress reports", reports.len());
        assert!(reports.windows(2).all(|pair| pair[0].0 < pair[1].0));
        assert_eq!(reports.last().unwrap(), &(bytes.len() as u64, bytes.len() as u64));
    });
}

#[test]
fn search_matches_the_corpus() {
    let dovecot = start();
    let inbox: Vec<GeneratedMessage> = generated().into_iter().filter(|m| m.folder == "INBOX").collect();
    local(async {
        let client = login(&dovecot, options()).await;
        client.select("INBOX").await.unwrap();
        let expect = |predicate: &dyn Fn(&GeneratedMessage) -> bool| -> Vec<u32> {
            inbox.iter().filter(|m| predicate(m)).map(|m| m.uid).collect()
        };
        let unseen = client
            .search(&SearchQuery {
                seen: Some(false),
                ..SearchQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(unseen, expect(&|m| !m.flags.contains(&"\\Seen")));
        let from = client
            .search(&SearchQuery {
                from: Some("olga@example.ru".into()),
                ..SearchQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(from, expect(&|m| m.from_address == "olga@example.ru"));
        let flagged_or_answered = client
            .search(&SearchQuery {
                or: Some(vec![
                    SearchQuery {
                        flagged: Some(true),
                        ..SearchQuery::default()
                    },
                    SearchQuery {
                        answered: Some(true),
                        ..SearchQuery::default()
                    },
                ]),
                ..SearchQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(
            flagged_or_answered,
            expect(&|m| m.flags.contains(&"\\Flagged") || m.flags.contains(&"\\Answered"))
        );
        let larger = client
            .search(&SearchQuery {
                larger: Some(100_000),
                ..SearchQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(larger, expect(&|m| m.raw.len() > 100_000));
        // Non-ASCII criteria go with CHARSET UTF-8 and match decoded headers.
        let japanese = client
            .search(&SearchQuery {
                subject: Some("議事録".into()),
                ..SearchQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(japanese, expect(&|m| m.subject.contains("議事録")));
        assert!(!japanese.is_empty());
        let not_seen_text = client
            .search(&SearchQuery {
                not: Some(Box::new(SearchQuery {
                    seen: Some(true),
                    ..SearchQuery::default()
                })),
                ..SearchQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(not_seen_text, unseen);
        let raw = client.search_raw("UNSEEN FROM \"olga\"").await.unwrap();
        assert_eq!(
            raw,
            expect(&|m| !m.flags.contains(&"\\Seen") && m.from_address.starts_with("olga"))
        );
        assert_eq!(
            client.search_raw("ALL\r\nX LOGOUT").await.unwrap_err().code(),
            "INVALID_ARGUMENT"
        );
    });
}

#[test]
fn flags_copy_move_expunge_append_and_folder_management() {
    let dovecot = start();
    local(async {
        let client = login(&dovecot, options()).await;
        let info = client.select("INBOX").await.unwrap();
        let uids: Vec<u32> = (1..=3).collect();

        client
            .set_flags(&uids, &["\\Flagged".into(), "$Important".into()], SetFlagsMode::Add)
            .await
            .unwrap();
        let rows = client.fetch_summaries(&uids).await.unwrap();
        assert!(
            rows.iter()
                .all(|r| r.flags.contains(&"\\Flagged".to_owned()) && r.flags.contains(&"$Important".to_owned()))
        );
        client
            .set_flags(&uids, &["\\Seen".into()], SetFlagsMode::Replace)
            .await
            .unwrap();
        let rows = client.fetch_summaries(&uids).await.unwrap();
        assert!(rows.iter().all(|r| r.flags == vec!["\\Seen".to_owned()]), "{rows:?}");
        assert_eq!(
            client
                .set_flags(&uids, &["bad flag".into()], SetFlagsMode::Add)
                .await
                .unwrap_err()
                .code(),
            "INVALID_ARGUMENT"
        );

        let copied = client.copy(&[1, 2], "Archive").await.unwrap().expect("COPYUID");
        assert_eq!(copied.uids.iter().map(|pair| pair.0).collect::<Vec<_>>(), vec![1, 2]);
        let moved = client
            .move_messages(&[3], "Archive/2024")
            .await
            .unwrap()
            .expect("COPYUID");
        assert_eq!(moved.uids[0].0, 3);
        let archive = dovecot
            .doveadm(&[
                "search",
                "-u",
                "alice",
                "mailbox",
                "Archive/2024",
                "uid",
                &moved.uids[0].1.to_string(),
            ])
            .unwrap();
        assert!(!archive.trim().is_empty(), "the moved message is in Archive/2024");
        assert_eq!(
            client.move_messages(&[4], "Nowhere").await.unwrap_err().code(),
            "NO_SUCH_MAILBOX"
        );

        client
            .set_flags(&[4, 5], &["\\Deleted".into()], SetFlagsMode::Add)
            .await
            .unwrap();
        client.expunge(Some(&[4])).await.unwrap();
        let after = client.select("INBOX").await.unwrap();
        assert_eq!(
            after.exists,
            info.exists - 2,
            "only message 4 was expunged (and 3 moved)"
        );

        let appended = client
            .append(
                "Drafts",
                b"Subject: draft\r\nFrom: alice@example.org\r\n\r\nhello\r\n".to_vec(),
                &["\\Draft".into()],
                Some("2024-05-06T07:08:09Z"),
                None,
            )
            .await
            .unwrap()
            .expect("APPENDUID");
        client.select("Drafts").await.unwrap();
        let draft = &client.fetch_summaries(&[appended]).await.unwrap()[0];
        assert_eq!(draft.envelope.subject.as_deref(), Some("draft"));
        assert_eq!(draft.internal_date.as_deref(), Some("2024-05-06T07:08:09Z"));
        assert!(draft.flags.contains(&"\\Draft".to_owned()));

        let events = record(&client);
        client.create_mailbox("Reisen/Île-de-France").await.unwrap();
        client
            .rename_mailbox("Reisen/Île-de-France", "Reisen/Paris")
            .await
            .unwrap();
        client.unsubscribe("Reisen/Paris").await.unwrap();
        let listed = client.list_mailboxes().await.unwrap();
        let paris = listed.iter().find(|m| m.path == "Reisen/Paris").unwrap();
        assert!(!paris.subscribed);
        client.subscribe("Reisen/Paris").await.unwrap();
        client.delete_mailbox("Reisen/Paris").await.unwrap();
        assert!(
            !client
                .list_mailboxes()
                .await
                .unwrap()
                .iter()
                .any(|m| m.path == "Reisen/Paris")
        );
        assert_eq!(
            events
                .snapshot()
                .iter()
                .filter(|e| **e == ClientEvent::Mailboxes)
                .count(),
            5
        );
        assert!(client.examine("INBOX").await.unwrap().read_only);
        client.logout().await.unwrap();
    });
}

#[test]
fn move_without_the_move_extension_loses_nothing() {
    let dovecot = Dovecot::builder()
        .corpus(Corpus::new(7, 20).without_large_attachment())
        .extra_config("protocol imap {\n  imap_capability = IMAP4rev1 LITERAL+ SASL-IR IDLE UIDPLUS NAMESPACE\n}\n")
        .start()
        .unwrap();
    local(async {
        let client = login(&dovecot, options()).await;
        assert!(!client.has_capability("MOVE"));
        let before = client.select("INBOX").await.unwrap();
        // Another message is already marked \Deleted; a move must not expunge it.
        client
            .set_flags(&[1], &["\\Deleted".into()], SetFlagsMode::Add)
            .await
            .unwrap();
        client.move_messages(&[2, 3], "Trash").await.unwrap();
        let after = client.select("INBOX").await.unwrap();
        assert_eq!(after.exists, before.exists - 2);
        assert!(
            client.fetch_summaries(&[1]).await.unwrap()[0]
                .flags
                .contains(&"\\Deleted".to_owned())
        );
        let trash = client.status("Trash").await.unwrap();
        let expected = dovecot
            .info()
            .folders
            .iter()
            .find(|f| f.name == "Trash")
            .map_or(0, |f| f.messages);
        assert_eq!(trash.messages, Some(expected + 2));
    });
}

#[test]
fn idle_reports_mail_appended_by_a_second_client_within_a_second() {
    let dovecot = start();
    local(async {
        let watcher = login(&dovecot, options()).await;
        let info = watcher.select("INBOX").await.unwrap();
        let events = record(&watcher);
        let writer = login(&dovecot, options()).await;
        let uid = writer
            .append("INBOX", b"Subject: live\r\n\r\nnew mail\r\n".to_vec(), &[], None, None)
            .await
            .unwrap()
            .unwrap();
        let arrived = events
            .wait_for(Duration::from_secs(1), |events| {
                events.iter().any(|event| matches!(event, ClientEvent::Exists { uids, count, .. } if uids == &[uid] && *count == info.exists + 1))
            })
            .await;
        assert!(arrived, "{:?}", events.snapshot());

        writer.select("INBOX").await.unwrap();
        writer
            .set_flags(&[uid], &["\\Flagged".into()], SetFlagsMode::Add)
            .await
            .unwrap();
        let flagged = events
            .wait_for(Duration::from_secs(1), |events| {
                events.iter().any(|event| matches!(event, ClientEvent::Flags { uid: changed, flags, .. } if *changed == uid && flags.contains(&"\\Flagged".to_owned())))
            })
            .await;
        assert!(flagged, "{:?}", events.snapshot());
        writer.move_messages(&[uid], "Archive").await.unwrap();
        let gone = events
            .wait_for(Duration::from_secs(1), |events| {
                events
                    .iter()
                    .any(|event| matches!(event, ClientEvent::Expunge { uids, .. } if uids == &[uid]))
            })
            .await;
        assert!(gone, "{:?}", events.snapshot());
    });
}

#[test]
fn qresync_after_a_restart_reports_what_changed_elsewhere() {
    let mut dovecot = start();
    local(async {
        let client = login(&dovecot, options()).await;
        client.select("INBOX").await.unwrap();
        assert!(client.is_enabled("QRESYNC"));
        let events = record(&client);
        let pending_fetch = client.fetch_summaries(&[1]);

        dovecot.kill();
        // Changes made while the client is away.
        dovecot.restart().unwrap();
        let other = login(&dovecot, options()).await;
        other.select("INBOX").await.unwrap();
        other
            .set_flags(&[5], &["\\Seen".into(), "\\Flagged".into()], SetFlagsMode::Replace)
            .await
            .unwrap();
        other
            .set_flags(&[6], &["\\Deleted".into()], SetFlagsMode::Add)
            .await
            .unwrap();
        other.expunge(Some(&[6])).await.unwrap();
        let new_uid = other
            .append("INBOX", b"Subject: while away\r\n\r\nx\r\n".to_vec(), &[], None, None)
            .await
            .unwrap()
            .unwrap();

        // The call made before the drop succeeds on retry or fails cleanly; it never hangs.
        let outcome = tokio::time::timeout(Duration::from_secs(30), pending_fetch)
            .await
            .expect("no hang");
        assert!(
            outcome
                .as_ref()
                .map_or_else(|e| e.code() == "CONNECTION_LOST", |rows| rows.len() == 1),
            "{outcome:?}"
        );
        let restored = events
            .wait_for(Duration::from_secs(30), |events| {
                events.iter().any(|e| matches!(e, ClientEvent::Expunge { uids, .. } if uids.contains(&6)))
                    && events.iter().any(|e| matches!(e, ClientEvent::Exists { uids, .. } if uids.contains(&new_uid)))
                    && events.iter().any(|e| matches!(e, ClientEvent::Flags { uid: 5, flags, .. } if flags.contains(&"\\Flagged".to_owned())))
            })
            .await;
        assert!(restored, "{:?}", events.snapshot());
        let states: Vec<_> = events
            .snapshot()
            .into_iter()
            .filter(|e| matches!(e, ClientEvent::State { .. }))
            .collect();
        assert!(states.len() >= 2, "reconnecting then ready: {states:?}");
        // A later call works on the restored session.
        assert_eq!(
            client.fetch_summaries(&[new_uid]).await.unwrap()[0]
                .envelope
                .subject
                .as_deref(),
            Some("while away")
        );
    });
}

#[test]
fn compress_id_namespace_enable_and_other_extensions() {
    let dovecot = start();
    local(async {
        let mut options = options();
        options.compress = true;
        let client = login(&dovecot, options).await;
        let namespace = client.execute(Command::Namespace).await.unwrap();
        assert!(matches!(&namespace.data[0], Data::Namespace(groups) if groups[0][0].delimiter == Some('/')));
        let id = client.execute(Command::Id(None)).await.unwrap();
        assert!(matches!(&id.data[0], Data::Id(Some(fields)) if fields.iter().any(|(k, _)| k == "name")));
        // Through the compressed stream: a large fetch and the unseen count.
        let info = client.select("INBOX").await.unwrap();
        let all: Vec<u32> = (1..=info.exists).collect();
        assert_eq!(client.fetch_summaries(&all).await.unwrap().len() as u32, info.exists);
        client.execute(Command::Check).await.unwrap();
        client.execute(Command::Unselect).await.unwrap();
        let lsub = client
            .execute(Command::Lsub {
                reference: String::new(),
                pattern: "*".into(),
            })
            .await
            .unwrap();
        assert!(lsub.data.len() >= 5);
        let error: ClientError = client.fetch_summaries(&[1]).await.unwrap_err();
        assert_eq!(error.code(), "SERVER_ERROR", "no mailbox selected: {error}");
    });
}

#[test]
fn account_metadata_round_trips_and_is_per_user() {
    let dovecot = Dovecot::start().unwrap();
    local(async {
        let connect = || starttls_client(&dovecot);
        let entry = "/private/vendor/webmail-bridge/identities".to_owned();
        let alice = connect().await.unwrap();
        alice.login("alice", "wonderland").await.unwrap();
        assert!(alice.has_capability("METADATA"));
        assert_eq!(
            alice.get_metadata("", std::slice::from_ref(&entry)).await.unwrap(),
            vec![(entry.clone(), None)]
        );
        // A value with a line break and non-ASCII goes as a literal and comes back whole.
        let value = "[{\"name\":\"Alice Ärger\",\"signature\":\"Alice\\r\\nExample\"}]\r\n"
            .as_bytes()
            .to_vec();
        alice
            .set_metadata("", vec![(entry.clone(), Some(value.clone()))])
            .await
            .unwrap();
        assert_eq!(
            alice.get_metadata("", std::slice::from_ref(&entry)).await.unwrap(),
            vec![(entry.clone(), Some(value))]
        );
        let bob = connect().await.unwrap();
        bob.login("bob", "builder").await.unwrap();
        assert_eq!(
            bob.get_metadata("", std::slice::from_ref(&entry)).await.unwrap(),
            vec![(entry.clone(), None)]
        );
        alice.set_metadata("", vec![(entry.clone(), None)]).await.unwrap();
        assert_eq!(
            alice.get_metadata("", std::slice::from_ref(&entry)).await.unwrap(),
            vec![(entry, None)]
        );
    });
}
