//! Small MIME writers: RFC 2047 encoded words, quoted-printable, base64, dates.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use encoding_rs::Encoding;

/// Longest encoded-text per encoded word, so that each word fits RFC 2047's 75 characters.
const ENCODED_WORD_PAYLOAD: usize = 45;

/// Encodes `text` in `encoding` as RFC 2047 words (`B` for CJK, `Q` for Latin scripts).
pub(crate) fn encoded_words(text: &str, charset: &str, encoding: &'static Encoding, base64: bool) -> String {
    let mut words = Vec::new();
    let mut chunk = String::new();
    for ch in text.chars() {
        chunk.push(ch);
        // Split on whole characters so a multi-byte character never straddles two words.
        if encoding.encode(&chunk).0.len() >= ENCODED_WORD_PAYLOAD * 3 / 4 {
            words.push(encode_word(&chunk, charset, encoding, base64));
            chunk.clear();
        }
    }
    if !chunk.is_empty() {
        words.push(encode_word(&chunk, charset, encoding, base64));
    }
    words.join("\r\n ")
}

fn encode_word(text: &str, charset: &str, encoding: &'static Encoding, base64: bool) -> String {
    let bytes = encoding.encode(text).0;
    if base64 {
        format!("=?{charset}?B?{}?=", STANDARD.encode(&bytes))
    } else {
        let mut q = String::new();
        for &byte in bytes.iter() {
            match byte {
                b' ' => q.push('_'),
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b',' | b'-' | b'!' => q.push(char::from(byte)),
                _ => q.push_str(&format!("={byte:02X}")),
            }
        }
        format!("=?{charset}?Q?{q}?=")
    }
}

/// Quoted-printable (RFC 2045) with CRLF line breaks and soft breaks before 76 columns.
pub(crate) fn quoted_printable(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 11 / 10);
    let mut column = 0;
    let mut lines = bytes.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        for (index, &byte) in line.iter().enumerate() {
            let last = index + 1 == line.len();
            let literal = (byte == b' ' || byte == b'\t') && !last || (33..=126).contains(&byte) && byte != b'=';
            let piece = if literal {
                char::from(byte).to_string()
            } else {
                format!("={byte:02X}")
            };
            if column + piece.len() > 75 {
                out.push_str("=\r\n");
                column = 0;
            }
            column += piece.len();
            out.push_str(&piece);
        }
        if lines.peek().is_some() {
            out.push_str("\r\n");
            column = 0;
        }
    }
    out
}

/// Base64 in 76-column lines, as mail bodies carry it.
pub(crate) fn base64_lines(bytes: &[u8]) -> String {
    let encoded = STANDARD.encode(bytes);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 38 + 2);
    for line in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

/// Formats a Unix time as an RFC 5322 date in UTC.
pub(crate) fn rfc5322_date(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|date| date.format(&time::format_description::well_known::Rfc2822).ok())
        .expect("the corpus makes dates between 1970 and 2100, which RFC 2822 can write")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_match_known_values() {
        assert_eq!(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(rfc5322_date(1_700_000_000), "Tue, 14 Nov 2023 22:13:20 +0000");
        assert_eq!(rfc5322_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 +0000");
    }

    #[test]
    fn quoted_printable_escapes_and_wraps() {
        let qp = quoted_printable("café = naïve \r\n".repeat(10).as_bytes());
        assert!(qp.contains("caf=C3=A9 =3D na=C3=AFve"));
        assert!(qp.lines().all(|line| line.len() <= 76));
    }

    #[test]
    fn encoded_words_stay_short_and_split_on_characters() {
        let words = encoded_words(&"日本語のテキスト".repeat(4), "shift_jis", encoding_rs::SHIFT_JIS, true);
        assert!(
            words
                .split("\r\n ")
                .all(|word| word.len() <= 75 && word.starts_with("=?shift_jis?B?"))
        );
    }
}
