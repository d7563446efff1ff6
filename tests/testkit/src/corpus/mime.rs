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
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix.div_euclid(86_400);
    let seconds = unix.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} +0000",
        DAYS[days.rem_euclid(7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// Howard Hinnant's days-to-civil conversion (proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
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
