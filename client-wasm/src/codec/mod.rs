//! Bytes to types and back: framing, response parsing and command encoding.
//!
//! Layers, from the wire up: [`framer`] cuts the stream into whole responses,
//! [`lexer`] reads tokens, [`parse`] and `fetch` build [`types`]; [`encode`]
//! writes commands. Nothing here keeps session state.

pub mod encode;
mod fetch;
pub mod framer;
pub mod lexer;
pub mod mutf7;
pub mod parse;
pub mod search;
pub mod types;

pub use parse::{FetchDetail, parse_response, parse_response_with};
