//! Bytes to types and back: framing, response parsing and command encoding.

pub mod mutf7;
