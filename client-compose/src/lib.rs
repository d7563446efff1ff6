//! `client-compose`: writing and sending mail from the page.
//!
//! - [`smtp`]: a sans-IO SMTP submission engine (bytes in, events and bytes
//!   out), tested natively against a real server and run unchanged in the page
//!   behind the bridge's WebSocket.
//! - [`message`]: the MIME builder that turns what the user wrote into the
//!   message the engine sends and the copy kept in Sent or Drafts.
//!
//! It ships as its own lazily loaded wasm module, fetched on the first
//! "New message", so reading mail never pays for it.
#![forbid(unsafe_code)]

pub mod message;
pub mod smtp;
#[cfg(target_arch = "wasm32")]
pub mod wasm;
