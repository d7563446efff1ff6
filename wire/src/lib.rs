//! `webmail-wire`: what the bridge and the page share on the wire, written once.
//!
//! - [`close`]: the WebSocket close codes the bridge sends and the page decodes.
//! - [`starttls`]: the plaintext half of STARTTLS (IMAP and SMTP) as a sans-IO state machine
//!   (bytes in, bytes out), which the bridge drives over tokio and the page over
//!   its WebSocket transport: one implementation, tested natively here.
//! - [`calendar`]: dates as days since 1970, both ways, for every date mail carries.
//! - [`sasl`]: the SASL mechanisms' client messages, which the page's IMAP and
//!   SMTP engines both send.
//! - [`printable`]: peer-controlled text made safe for errors and logs.
//!
//! No I/O, no runtime, no dependencies beyond `thiserror` and `base64`: it builds for
//! `wasm32-unknown-unknown` and natively alike.
#![forbid(unsafe_code)]

pub mod calendar;
pub mod close;
pub mod sasl;
pub mod starttls;

/// Peer-controlled bytes as text for an error or a log line: printable ASCII
/// only (anything else becomes `?`), at most `max` characters, trimmed.
pub fn printable(bytes: &[u8], max: usize) -> String {
    let text: String = bytes
        .iter()
        .take(max)
        .map(|&b| if (0x20..0x7f).contains(&b) { char::from(b) } else { '?' })
        .collect();
    text.trim_end_matches(['?', ' ']).trim_start().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_text_carries_no_control_bytes_and_is_bounded() {
        assert_eq!(printable(b"BAD x\r\n", 80), "BAD x");
        assert_eq!(printable(b"a\x1b[31mb", 80), "a?[31mb");
        assert_eq!(printable("é".as_bytes(), 80), "");
        assert_eq!(printable(&[b'a'; 500], 64).len(), 64);
    }
}
