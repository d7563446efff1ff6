//! `client-wasm`: an IMAP4rev1 client for the browser.
//!
//! The protocol engine is sans-IO: it never touches a socket or a clock. The
//! caller feeds the bytes it received, takes out the bytes to send, and reads
//! typed events and command results. The same engine runs natively (tests,
//! benchmarks, the tokio shell) and in the browser behind a WebSocket, where
//! `wasm` is the only module that knows about `wasm-bindgen`.
//!
//! Layers, each importing only from those below it: [`codec`] (bytes and
//! types; inside it `types` and `mutf7`, then `lexer` and `encode`, then the
//! FETCH and SEARCH grammar, then `parse`), then [`mailbox`] (the selected
//! mailbox model) and [`mime`] (message parts), then [`engine`] (the session),
//! then [`client`] (the async API), then the `wasm` bindings.
//! `tests/layers.rs` fails the build's tests when an import goes up.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod client;
pub mod codec;
pub mod engine;
pub mod mailbox;
pub mod mime;

#[cfg(target_arch = "wasm32")]
pub mod wasm;
