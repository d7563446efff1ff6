//! The framer and parser over arbitrary bytes, delivered in arbitrary chunks:
//! no panic, no hang, bounded memory, and the same frames for every chunking.
#![no_main]

use client_wasm::codec::framer::{Frame, Framer};
use client_wasm::codec::parse_response;
use libfuzzer_sys::fuzz_target;

fn frames(chunks: &[&[u8]]) -> Vec<Result<String, String>> {
    let mut framer = Framer::new(64 * 1024);
    let mut out = Vec::new();
    for chunk in chunks {
        framer.push(chunk);
        while let Some(frame) = framer.next_frame() {
            out.push(match frame {
                Frame::Response(range) => match parse_response(&framer.buffer()[range]) {
                    Ok(response) => Ok(format!("{response:?}")),
                    Err(error) => Err(error.to_string()),
                },
                Frame::Oversized { bytes } => Err(format!("oversized {bytes}")),
            });
        }
        assert!(framer.buffer().len() <= 2 * (64 * 1024) + chunk.len() + 64);
    }
    out
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks a split point, so the same input is tried whole and in two pieces.
    let Some((&split, stream)) = data.split_first() else { return };
    let split = usize::from(split) * stream.len() / 256;
    let whole = frames(&[stream]);
    let parts = frames(&[&stream[..split], &stream[split..]]);
    assert_eq!(whole, parts);
});
