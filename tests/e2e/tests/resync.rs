//! Catching a kept copy of a mailbox up with the server (`Client::select_since`)
//! against a real Dovecot, with QRESYNC, with CONDSTORE alone (QRESYNC not
//! announced) and with neither: the same changes are found each way, in the
//! round trips each extension allows, and a recreated mailbox says so.

mod support;

use std::cell::RefCell;
use std::rc::Rc;

use client_wasm::client::meter::{Meter, MeteredConnector};
use client_wasm::client::native::TokioRuntime;
use client_wasm::client::types::{FlagChange, Since};
use client_wasm::client::{Client, SetFlagsMode};
use support::{by_uid, local, login, options, starttls_connector};
use webmail_testkit::{Corpus, Dovecot};

fn dovecot_without(missing: &[&str]) -> Dovecot {
    Dovecot::builder()
        .corpus(Corpus::new(7, 40))
        .without_capabilities(missing)
        .start()
        .expect("dovecot")
}

/// A signed-in client whose wire is counted.
async fn recorded_client(dovecot: &Dovecot) -> (Client, Rc<RefCell<Meter>>) {
    let (connector, meter) = MeteredConnector::new(starttls_connector(dovecot));
    let client = Client::connect(Rc::new(connector), Rc::new(TokioRuntime::default()), options())
        .await
        .expect("connect");
    let user = dovecot.user(0);
    client.login(&user.username, &user.password).await.expect("login");
    (client, meter)
}

/// A kept copy of INBOX, then changes made elsewhere: two messages' flags, one
/// expunged, one new. Returns the copy and what the changes were.
async fn copy_then_change(dovecot: &Dovecot) -> (Since, u32, Vec<u32>) {
    let keeper = login(dovecot, options()).await;
    let info = keeper.select("INBOX").await.expect("select");
    let uids = keeper.message_uids(&by_uid()).await.expect("uids");
    keeper.logout().await.expect("logout");
    let since = Since {
        uid_validity: info.uid_validity,
        highest_modseq: info.highest_modseq,
        uids: uids.clone(),
    };
    let other = login(dovecot, options()).await;
    other.select("INBOX").await.expect("select");
    let (flagged, gone) = (vec![uids[0], uids[1]], uids[2]);
    other
        .set_flags(&flagged, &["\\Flagged".into(), "\\Seen".into()], SetFlagsMode::Replace)
        .await
        .expect("flags");
    other
        .set_flags(&[gone], &["\\Deleted".into()], SetFlagsMode::Add)
        .await
        .expect("delete");
    other.expunge(Some(&[gone])).await.expect("expunge");
    other
        .append(
            "INBOX",
            b"Subject: new while away\r\n\r\nx\r\n".to_vec(),
            &[],
            None,
            None,
        )
        .await
        .expect("append");
    other.logout().await.expect("logout");
    (since, gone, flagged)
}

fn flagged_now(changes: &[FlagChange], uids: &[u32]) -> bool {
    uids.iter().all(|uid| {
        changes
            .iter()
            .any(|change| change.uid == *uid && change.flags.contains(&"\\Flagged".to_owned()))
    })
}

#[test]
fn with_qresync_the_changes_come_with_the_select() {
    let dovecot = dovecot_without(&[]);
    local(async {
        let (since, gone, flagged) = copy_then_change(&dovecot).await;
        let (client, wire) = recorded_client(&dovecot).await;
        assert!(client.is_enabled("QRESYNC"));
        let from = wire.borrow().log.len();
        let (info, changes) = client.select_since("INBOX", &since).await.expect("select since");
        assert!(!changes.reset);
        assert_eq!(changes.vanished, [gone]);
        assert!(flagged_now(&changes.flags, &flagged), "{:?}", changes.flags);
        assert!(info.exists as usize == since.uids.len(), "one gone, one new");
        let flights = wire.borrow().flights_since(from);
        assert!(flights[0].contains("(QRESYNC ("), "{flights:?}");
        assert!(
            !flights.iter().any(|flight| flight.contains("FETCH")),
            "no FETCH beyond the SELECT: {flights:?}"
        );
        assert_eq!(flights.len(), 2, "SELECT, then the UID list: {flights:?}");
    });
}

#[test]
fn with_condstore_alone_one_fetch_of_what_changed_follows() {
    let dovecot = dovecot_without(&["QRESYNC"]);
    local(async {
        let (since, gone, flagged) = copy_then_change(&dovecot).await;
        let (client, wire) = recorded_client(&dovecot).await;
        assert!(!client.is_enabled("QRESYNC"));
        let from = wire.borrow().log.len();
        let (_, changes) = client.select_since("INBOX", &since).await.expect("select since");
        assert_eq!(changes.vanished, [gone]);
        assert!(flagged_now(&changes.flags, &flagged), "{:?}", changes.flags);
        assert_eq!(
            changes.flags.len(),
            flagged.len(),
            "only what changed: {:?}",
            changes.flags
        );
        let flights = wire.borrow().flights_since(from);
        assert_eq!(flights.len(), 3, "SELECT, the UID list, the changed flags: {flights:?}");
        assert!(flights[2].contains("(CHANGEDSINCE "), "{flights:?}");
    });
}

#[test]
fn without_either_the_newest_flags_are_read_and_a_recreated_mailbox_resets() {
    let dovecot = dovecot_without(&["QRESYNC", "CONDSTORE"]);
    local(async {
        let (since, gone, flagged) = copy_then_change(&dovecot).await;
        let client = login(&dovecot, options()).await;
        let (_, changes) = client.select_since("INBOX", &since).await.expect("select since");
        assert_eq!(changes.vanished, [gone]);
        assert!(flagged_now(&changes.flags, &flagged), "{:?}", changes.flags);
        // The window: every kept message still there (fewer than 500 of them).
        assert_eq!(changes.flags.len(), since.uids.len() - 1);

        // Archive deleted and made again: its UIDs start over under a new UIDVALIDITY.
        let archive = client.select("Archive").await.expect("archive");
        let kept = Since {
            uid_validity: archive.uid_validity,
            highest_modseq: None,
            uids: client.message_uids(&by_uid()).await.expect("uids"),
        };
        client.select("INBOX").await.expect("select");
        client.delete_mailbox("Archive").await.expect("delete");
        client.create_mailbox("Archive").await.expect("create");
        let (info, changes) = client.select_since("Archive", &kept).await.expect("select since");
        assert!(
            changes.reset,
            "a new UIDVALIDITY ({} after {})",
            info.uid_validity, kept.uid_validity
        );
        assert!(changes.vanished.is_empty() && changes.flags.is_empty());
    });
}
