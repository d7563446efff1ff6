//! Captures Dovecot's answer to a message-list fetch of a generated INBOX, byte for
//! byte, for the parser benchmark: `bench-capture --messages 50000 --out FILE`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use client_wasm::client::replay::SUMMARY_ITEMS;
use webmail_testkit::{Corpus, Dovecot};

#[derive(Parser)]
struct Args {
    /// Messages in INBOX.
    #[arg(long, default_value_t = 50_000)]
    messages: usize,
    /// Corpus seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write the captured stream.
    #[arg(long)]
    out: PathBuf,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let started = Instant::now();
    let corpus = Corpus::new(args.seed, args.messages)
        .without_large_attachment()
        .inbox_only();
    let dovecot = Dovecot::builder().corpus(corpus).start()?;
    eprintln!(
        "bench-capture: {} messages loaded in {:.1?}",
        args.messages,
        started.elapsed()
    );
    let mut reader = BufReader::new(TcpStream::connect(dovecot.imap_addr())?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let user = dovecot.user(0);
    write!(reader.get_mut(), "L1 LOGIN {} {}\r\n", user.username, user.password)?;
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        if line.starts_with("L1 ") {
            break;
        }
    }
    write!(
        reader.get_mut(),
        "W1 SELECT INBOX\r\nW2 UID FETCH 1:* {SUMMARY_ITEMS}\r\n"
    )?;
    let mut captured = Vec::new();
    let mut chunk = vec![0u8; 256 * 1024];
    let fetch_started = Instant::now();
    while !captured.ends_with(b"\r\n") || !last_line(&captured).starts_with(b"W2 ") {
        let n = reader.read(&mut chunk)?;
        if n == 0 {
            return Err("the server closed the connection".into());
        }
        captured.extend_from_slice(&chunk[..n]);
    }
    std::fs::write(&args.out, &captured)?;
    eprintln!(
        "bench-capture: {} bytes in {:.1?} written to {}",
        captured.len(),
        fetch_started.elapsed(),
        args.out.display()
    );
    Ok(())
}

fn last_line(bytes: &[u8]) -> &[u8] {
    let trimmed = &bytes[..bytes.len().saturating_sub(2)];
    match trimmed.iter().rposition(|&b| b == b'\n') {
        Some(position) => &trimmed[position + 1..],
        None => trimmed,
    }
}
