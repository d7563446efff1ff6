//! Rows kept undecoded for a cache (`Client::fetch_summary_records`) against a
//! real Dovecot: each record decodes to the row `fetch_summaries` gives, and a
//! list fetch running while a cache fills still gets whole rows.

mod support;

use client_wasm::client::{Client, decode_summaries};
use support::{by_uid, local, login, options};
use webmail_testkit::{Corpus, Dovecot};

fn dovecot() -> Dovecot {
    Dovecot::builder().corpus(Corpus::new(11, 60)).start().expect("dovecot")
}

/// Signed in with INBOX selected, and its UIDs in order.
async fn inbox(dovecot: &Dovecot) -> (Client, Vec<u32>) {
    let client = login(dovecot, options()).await;
    client.select("INBOX").await.expect("select");
    let uids = client.message_uids(&by_uid()).await.expect("uids");
    (client, uids)
}

#[test]
fn records_decode_to_the_rows_a_list_fetch_gives() {
    let dovecot = dovecot();
    local(async {
        let (client, uids) = inbox(&dovecot).await;
        assert!(uids.len() > 10, "the corpus fills INBOX");
        let rows = client.fetch_summaries(&uids).await.expect("rows");
        let records = client.fetch_summary_records(&uids).await.expect("records");
        assert_eq!(records.iter().map(|record| record.uid).collect::<Vec<_>>(), uids);
        let responses: Vec<u8> = records
            .iter()
            .flat_map(|record| record.response.iter().copied())
            .collect();
        assert_eq!(
            decode_summaries(&responses),
            rows,
            "each record decodes to exactly its row"
        );
        assert_eq!(decode_summaries(&records[3].response), rows[3..4], "one record alone");
        assert!(
            rows.iter().any(|row| row.envelope.subject.is_some()),
            "rows carry their subjects"
        );
        client.logout().await.expect("logout");
    });
}

#[test]
fn a_list_fetch_while_a_cache_fills_gets_whole_rows() {
    let dovecot = dovecot();
    local(async {
        let (client, uids) = inbox(&dovecot).await;
        let (older, newest) = uids.split_at(uids.len() - 10);
        let expected = client.fetch_summaries(newest).await.expect("rows");
        let (records, rows) = futures_util::join!(client.fetch_summary_records(older), client.fetch_summaries(newest));
        assert_eq!(records.expect("records").len(), older.len());
        assert_eq!(rows.expect("rows"), expected, "the rows on screen are read whole");
        client.logout().await.expect("logout");
    });
}
