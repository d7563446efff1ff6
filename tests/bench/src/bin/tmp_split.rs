//! temporary
use client_wasm::codec::framer::{Frame, Framer};
use client_wasm::codec::parse_response;
use client_wasm::codec::types::{Data, Response};
use std::time::Instant;
fn main() {
    let stream = std::fs::read(".cache/bench/fetch-50k.imap").unwrap();
    let mut framer = Framer::new(usize::MAX);
    framer.push(&stream);
    let mut fetches = Vec::new();
    let t = Instant::now();
    while let Some(Frame::Response(r)) = framer.next_frame() {
        if let Ok(Response::Data(Data::Fetch(f))) = parse_response(&framer.buffer()[r]) {
            fetches.push(*f);
        }
    }
    println!("parse {:?}", t.elapsed());
    let t = Instant::now();
    let envs: Vec<_> = fetches
        .iter()
        .map(|f| {
            client_wasm::mime::decode_header_text(f.envelope.as_ref().unwrap().subject.as_deref().unwrap_or_default())
        })
        .collect();
    println!("subjects {:?} {}", t.elapsed(), envs.len());
    let t = Instant::now();
    let plans: Vec<_> = fetches
        .iter()
        .map(|f| client_wasm::mime::plan(f.body_structure.as_ref().unwrap()))
        .collect();
    println!("plans {:?} {}", t.elapsed(), plans.len());
    let t = Instant::now();
    let n = client_wasm::client::replay::summaries_from_capture(&stream, 65536).len();
    println!("total {:?} {}", t.elapsed(), n);
}
