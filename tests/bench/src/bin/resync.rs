//! The resync benchmark: a page kept a copy of INBOX; while it was away another
//! client flagged 1,000 messages, expunged 200 and added 100. Time, bytes and
//! round trips to a list consistent with the server, with the copy
//! (`select_since`, then the new messages' rows) and without it (SELECT, then
//! every row), alternating on fresh connections, median of the rounds.
//! `bench-resync --messages 10000 --rounds 5 [--without QRESYNC]`

use std::rc::Rc;
use std::time::{Duration, Instant};

use clap::Parser;
use client_wasm::client::meter::MeteredConnector;
use client_wasm::client::native::{Security, TcpConnector, TokioRuntime};
use client_wasm::client::types::Since;
use client_wasm::client::{Client, ClientOptions, SetFlagsMode, SortOrder};
use webmail_testkit::{Corpus, Dovecot};

#[derive(Parser)]
struct Args {
    /// Messages in INBOX.
    #[arg(long, default_value_t = 10_000)]
    messages: usize,
    /// Rounds of each way (median).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Corpus seed.
    #[arg(long, default_value_t = 5)]
    seed: u64,
    /// Capabilities the server hides (`QRESYNC`, `CONDSTORE`).
    #[arg(long)]
    without: Vec<String>,
}

const FLAGGED: usize = 1_000;
const EXPUNGED: usize = 200;
const ADDED: usize = 100;

fn by_uid() -> SortOrder {
    SortOrder {
        sort: Some("uid".into()),
        reverse: false,
    }
}

/// A signed-in client over plain TCP on loopback, and its meter.
async fn connect(dovecot: &Dovecot) -> (Client, Rc<std::cell::RefCell<client_wasm::client::meter::Meter>>) {
    let (connector, meter) = MeteredConnector::new(TcpConnector::new(dovecot.imap_addr(), Security::Plain(None)));
    let options = ClientOptions {
        idle: false,
        reconnect: false,
        ..ClientOptions::default()
    };
    let client = Client::connect(Rc::new(connector), Rc::new(TokioRuntime::default()), options)
        .await
        .expect("connect");
    let user = dovecot.user(0);
    client.login(&user.username, &user.password).await.expect("login");
    (client, meter)
}

/// One catch-up: (time, bytes both ways, round trips).
async fn catch_up(dovecot: &Dovecot, kept: Option<&Since>) -> (Duration, u64, usize) {
    let (client, meter) = connect(dovecot).await;
    let (from, before) = {
        let meter = meter.borrow();
        (meter.log.len(), meter.sent + meter.received)
    };
    let started = Instant::now();
    match kept {
        Some(since) => {
            client.select_since("INBOX", since).await.expect("select since");
            let now = client.message_uids(&by_uid()).await.expect("uids");
            let new: Vec<u32> = now
                .into_iter()
                .filter(|uid| since.uids.binary_search(uid).is_err())
                .collect();
            client.fetch_summaries(&new).await.expect("new rows");
        }
        None => {
            client.select("INBOX").await.expect("select");
            let uids = client.message_uids(&by_uid()).await.expect("uids");
            client.fetch_summaries(&uids).await.expect("every row");
        }
    }
    let elapsed = started.elapsed();
    let (bytes, trips) = {
        let meter = meter.borrow();
        (meter.sent + meter.received - before, meter.flights_since(from).len())
    };
    client.logout().await.expect("logout");
    (elapsed, bytes, trips)
}

fn median<T: Copy + Ord>(values: &mut [T]) -> T {
    values.sort_unstable();
    values[values.len() / 2]
}

async fn run(args: Args) {
    let corpus = Corpus::new(args.seed, args.messages)
        .without_large_attachment()
        .inbox_only();
    let missing: Vec<&str> = args.without.iter().map(String::as_str).collect();
    let dovecot = Dovecot::builder()
        .corpus(corpus)
        .without_capabilities(&missing)
        .start()
        .expect("dovecot");

    // The page's copy.
    let (keeper, _) = connect(&dovecot).await;
    let info = keeper.select("INBOX").await.expect("select");
    let uids = keeper.message_uids(&by_uid()).await.expect("uids");
    keeper.fetch_summaries(&uids).await.expect("rows");
    keeper.logout().await.expect("logout");
    let since = Since {
        uid_validity: info.uid_validity,
        highest_modseq: info.highest_modseq,
        uids: uids.clone(),
    };

    // While it was away.
    let (other, _) = connect(&dovecot).await;
    other.select("INBOX").await.expect("select");
    let step = uids.len() / FLAGGED;
    let flagged: Vec<u32> = uids.iter().step_by(step.max(1)).take(FLAGGED).copied().collect();
    other
        .set_flags(&flagged, &["\\Flagged".into()], SetFlagsMode::Add)
        .await
        .expect("flags");
    let gone: Vec<u32> = uids.iter().rev().step_by(7).take(EXPUNGED).copied().collect();
    other
        .set_flags(&gone, &["\\Deleted".into()], SetFlagsMode::Add)
        .await
        .expect("delete");
    other.expunge(Some(&gone)).await.expect("expunge");
    for index in 0..ADDED {
        let message = format!("Subject: arrived while away {index}\r\nFrom: bench@example.org\r\n\r\nbody {index}\r\n");
        other
            .append("INBOX", message.into_bytes(), &[], None, None)
            .await
            .expect("append");
    }
    other.logout().await.expect("logout");

    let (mut kept_times, mut kept_bytes, mut kept_trips) = (Vec::new(), Vec::new(), Vec::new());
    let (mut cold_times, mut cold_bytes, mut cold_trips) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..args.rounds {
        let (time, bytes, trips) = catch_up(&dovecot, Some(&since)).await;
        kept_times.push(time);
        kept_bytes.push(bytes);
        kept_trips.push(trips);
        let (time, bytes, trips) = catch_up(&dovecot, None).await;
        cold_times.push(time);
        cold_bytes.push(bytes);
        cold_trips.push(trips);
    }
    let (kept_time, cold_time) = (median(&mut kept_times), median(&mut cold_times));
    let (kept_byte, cold_byte) = (median(&mut kept_bytes), median(&mut cold_bytes));
    let without = if missing.is_empty() {
        "all of Dovecot's extensions".to_owned()
    } else {
        format!("without {}", missing.join(", "))
    };
    println!(
        "Resync benchmark: {} messages in INBOX ({without}); meanwhile {FLAGGED} flagged, {EXPUNGED} expunged, {ADDED} added; {} rounds (median)\n",
        args.messages, args.rounds
    );
    println!("| to a list consistent with the server | with the kept copy | without it | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| time | {:.1} ms | {:.1} ms | {:.2}x |",
        kept_time.as_secs_f64() * 1e3,
        cold_time.as_secs_f64() * 1e3,
        kept_time.as_secs_f64() / cold_time.as_secs_f64()
    );
    println!(
        "| bytes both ways | {:.1} KB | {:.1} KB | {:.2}x |",
        kept_byte as f64 / 1e3,
        cold_byte as f64 / 1e3,
        kept_byte as f64 / cold_byte as f64
    );
    println!(
        "| round trips | {} | {} | — |",
        median(&mut kept_trips),
        median(&mut cold_trips)
    );
}

fn main() {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    tokio::task::LocalSet::new().block_on(&runtime, run(args));
}
