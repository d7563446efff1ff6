//! Benchmark entry points, only in builds with the `bench` feature.

use wasm_bindgen::prelude::*;

/// Replays a captured `SELECT` + `UID FETCH` stream through the engine and builds
/// the message-list rows, exactly as the native benchmark does. Returns the row count.
#[wasm_bindgen(js_name = benchSummariesFromCapture)]
pub fn bench_summaries_from_capture(stream: &[u8]) -> u32 {
    crate::client::replay::summaries_from_capture(stream, 64 * 1024).len() as u32
}
