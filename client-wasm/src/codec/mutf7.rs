//! Modified UTF-7, the mailbox-name encoding of RFC 3501 section 5.1.3.
//!
//! Servers without `UTF8=ACCEPT` send and expect mailbox names in this form:
//! printable ASCII stands for itself (`&` is written `&-`), everything else is
//! UTF-16 in a base64 variant that uses `,` instead of `/`, between `&` and `-`.

use std::fmt;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/// A mailbox name that is not valid modified UTF-7.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutf7Error {
    /// Byte offset of the first byte that could not be decoded.
    pub offset: usize,
}

impl fmt::Display for Mutf7Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "mailbox name is not valid modified UTF-7 (at byte {})", self.offset)
    }
}

impl std::error::Error for Mutf7Error {}

/// Encodes a Unicode mailbox name as modified UTF-7.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    for ch in name.chars() {
        if (' '..='~').contains(&ch) {
            flush_utf16(&mut pending, &mut out);
            if ch == '&' {
                out.push_str("&-");
            } else {
                out.push(ch);
            }
        } else {
            let mut units = [0u16; 2];
            pending.extend_from_slice(ch.encode_utf16(&mut units));
        }
    }
    flush_utf16(&mut pending, &mut out);
    out
}

fn flush_utf16(pending: &mut Vec<u16>, out: &mut String) {
    if pending.is_empty() {
        return;
    }
    let bytes: Vec<u8> = pending.iter().flat_map(|unit| unit.to_be_bytes()).collect();
    out.push('&');
    for chunk in bytes.chunks(3) {
        let b0 = chunk.first().copied().unwrap_or(0);
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let sextets = [
            b0 >> 2,
            ((b0 & 0x03) << 4) | (b1 >> 4),
            ((b1 & 0x0f) << 2) | (b2 >> 6),
            b2 & 0x3f,
        ];
        // Modified base64 carries no padding: 1 byte -> 2 chars, 2 -> 3, 3 -> 4.
        for &sextet in sextets.iter().take(chunk.len() + 1) {
            out.push(char::from(ALPHABET[usize::from(sextet)]));
        }
    }
    out.push('-');
    pending.clear();
}

/// Decodes a modified UTF-7 mailbox name.
///
/// Names that are not valid modified UTF-7 (servers do send raw 8-bit names)
/// return an error so the caller can fall back to showing the bytes as they came.
pub fn decode(wire: &[u8]) -> Result<String, Mutf7Error> {
    let mut out = String::with_capacity(wire.len());
    let mut index = 0;
    while let Some(&byte) = wire.get(index) {
        match byte {
            b'&' => {
                let start = index + 1;
                let end = wire[start..]
                    .iter()
                    .position(|&b| b == b'-')
                    .map(|pos| start + pos)
                    .ok_or(Mutf7Error { offset: index })?;
                if end == start {
                    out.push('&');
                } else {
                    decode_shifted(&wire[start..end], start, &mut out)?;
                }
                index = end + 1;
            }
            0x20..=0x7e => {
                out.push(char::from(byte));
                index += 1;
            }
            _ => return Err(Mutf7Error { offset: index }),
        }
    }
    Ok(out)
}

fn decode_shifted(encoded: &[u8], offset: usize, out: &mut String) -> Result<(), Mutf7Error> {
    let mut bytes = Vec::with_capacity(encoded.len() * 3 / 4);
    let mut accumulator: u32 = 0;
    let mut bits = 0;
    for (position, &symbol) in encoded.iter().enumerate() {
        let value = ALPHABET.iter().position(|&a| a == symbol).ok_or(Mutf7Error {
            offset: offset + position,
        })?;
        accumulator = (accumulator << 6) | value as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((accumulator >> bits) as u8);
            accumulator &= (1 << bits) - 1;
        }
    }
    if bytes.len() % 2 != 0 || accumulator != 0 {
        return Err(Mutf7Error { offset });
    }
    let units = bytes.chunks_exact(2).map(|pair| u16::from_be_bytes([pair[0], pair[1]]));
    for decoded in char::decode_utf16(units) {
        let ch = decoded.map_err(|_| Mutf7Error { offset })?;
        // A shifted run must not hide printable ASCII (RFC 3501 requires the direct form).
        if (' '..='~').contains(&ch) {
            return Err(Mutf7Error { offset });
        }
        out.push(ch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_passes_through_and_ampersand_is_escaped() {
        assert_eq!(encode("Sent Items"), "Sent Items");
        assert_eq!(encode("Tom & Jerry"), "Tom &- Jerry");
        assert_eq!(decode(b"Tom &- Jerry").unwrap(), "Tom & Jerry");
    }

    #[test]
    fn rfc3501_examples() {
        assert_eq!(encode("~peter/mail/台北/日本語"), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
        assert_eq!(
            decode(b"~peter/mail/&U,BTFw-/&ZeVnLIqe-").unwrap(),
            "~peter/mail/台北/日本語"
        );
    }

    #[test]
    fn round_trips_names_outside_the_bmp_and_mixed_runs() {
        for name in ["Büro", "Ελληνικά", "📨 Inbox", "a&b€c", "Entwürfe/2024", "Корзина"] {
            assert_eq!(decode(encode(name).as_bytes()).unwrap(), name, "{name}");
        }
    }

    #[test]
    fn gmail_french_name_decodes() {
        assert_eq!(
            decode(b"[Gmail]/Messages envoy&AOk-s").unwrap(),
            "[Gmail]/Messages envoyés"
        );
    }

    #[test]
    fn rejects_broken_input() {
        assert!(decode(b"&Jjo").is_err(), "unterminated shift");
        assert!(decode(b"&AGE-").is_err(), "ASCII hidden in a shifted run");
        assert!(decode("B\u{fc}ro".as_bytes()).is_err(), "raw 8-bit");
        assert!(decode(b"&*-").is_err(), "not in the alphabet");
    }
}
