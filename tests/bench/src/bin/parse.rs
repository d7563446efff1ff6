//! Native parse-and-model throughput on a captured stream, and imap-proto on the
//! same responses for the parser decision record. Prints one JSON object.
//!
//! `bench-parse FILE [--rounds N]`

use std::time::Instant;

use clap::Parser;
use client_wasm::client::replay::summaries_from_capture;
use client_wasm::codec::framer::{Frame, Framer};
use client_wasm::codec::parse_response;

#[derive(Parser)]
struct Args {
    /// The captured stream (bench-capture's output).
    file: std::path::PathBuf,
    /// Timed rounds; the best is reported.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
}

/// The best of `rounds` runs, in seconds.
fn best(rounds: usize, mut run: impl FnMut() -> usize) -> (f64, usize) {
    let mut best = f64::MAX;
    let mut count = 0;
    for _ in 0..rounds {
        let started = Instant::now();
        count = std::hint::black_box(run());
        best = best.min(started.elapsed().as_secs_f64());
    }
    (best, count)
}

fn frames(stream: &[u8]) -> Vec<Vec<u8>> {
    let mut framer = Framer::new(usize::MAX);
    framer.push(stream);
    let mut out = Vec::new();
    while let Some(Frame::Response(range)) = framer.next_frame() {
        out.push(framer.buffer()[range].to_vec());
    }
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let stream = std::fs::read(&args.file)?;
    let megabytes = stream.len() as f64 / 1e6;
    let (model_seconds, rows) = best(args.rounds, || summaries_from_capture(&stream, 64 * 1024).len());
    let responses = frames(&stream);
    let (parse_seconds, parsed) = best(args.rounds, || {
        responses
            .iter()
            .filter(|response| parse_response(response).is_ok())
            .count()
    });
    let (proto_seconds, proto_parsed) = best(args.rounds, || {
        responses
            .iter()
            .filter(|response| imap_proto::Response::parse(response).is_ok())
            .count()
    });
    let result = serde_json::json!({
        "bytes": stream.len(),
        "responses": responses.len(),
        "rows": rows,
        "native_model_seconds": model_seconds,
        "native_model_mb_per_s": megabytes / model_seconds,
        "native_parse_seconds": parse_seconds,
        "native_parse_mb_per_s": megabytes / parse_seconds,
        "native_parsed": parsed,
        "imap_proto_seconds": proto_seconds,
        "imap_proto_mb_per_s": megabytes / proto_seconds,
        "imap_proto_parsed": proto_parsed,
    });
    println!("{result}");
    Ok(())
}
