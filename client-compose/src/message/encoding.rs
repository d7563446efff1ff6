//! Transfer encodings for bodies: 7bit when a body is ASCII with short lines,
//! quoted-printable for text that is not, base64 for everything else.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Lines a 7bit body may hold (RFC 5322 2.1.1 allows 998; 78 is the polite limit
/// for text, but this only decides the encoding).
const MAX_7BIT_LINE: usize = 998;
/// Encoded lines are at most this long (RFC 2045 6.7 and 6.8).
const ENCODED_LINE: usize = 76;

/// A body's `Content-Transfer-Encoding` and its encoded bytes (CRLF lines).
pub(crate) struct Encoded {
    pub(crate) name: &'static str,
    pub(crate) bytes: Vec<u8>,
}

/// Text (already CRLF) as 7bit when it can be, else quoted-printable.
pub(crate) fn text(body: &str) -> Encoded {
    let plain = body.is_ascii()
        && body.split("\r\n").all(|line| line.len() <= MAX_7BIT_LINE)
        && !body.contains(['\0'])
        && !has_bare_line_break(body.as_bytes());
    if plain {
        Encoded {
            name: "7bit",
            bytes: body.as_bytes().to_vec(),
        }
    } else {
        Encoded {
            name: "quoted-printable",
            bytes: quoted_printable(body.as_bytes()),
        }
    }
}

/// Binary data in base64, 76 characters a line.
pub(crate) fn base64(data: &[u8]) -> Encoded {
    let encoded = STANDARD.encode(data);
    let mut bytes = Vec::with_capacity(encoded.len() + encoded.len() / ENCODED_LINE * 2 + 2);
    for line in encoded.as_bytes().chunks(ENCODED_LINE) {
        bytes.extend_from_slice(line);
        bytes.extend_from_slice(b"\r\n");
    }
    Encoded { name: "base64", bytes }
}

fn has_bare_line_break(bytes: &[u8]) -> bool {
    bytes.iter().enumerate().any(|(at, &byte)| match byte {
        b'\n' => at == 0 || bytes[at - 1] != b'\r',
        b'\r' => bytes.get(at + 1) != Some(&b'\n'),
        _ => false,
    })
}

/// RFC 2045 6.7, line by line (CRLF kept as hard breaks); trailing white space
/// and a leading `.` (for gateways that mishandle it) are encoded, and `=`
/// ends a line before 76 characters.
pub(crate) fn quoted_printable(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() * 5 / 4 + 8);
    let lines: Vec<&[u8]> = split_crlf(body);
    for (index, line) in lines.iter().enumerate() {
        let mut width = 0;
        for (at, &byte) in line.iter().enumerate() {
            let last = at + 1 == line.len();
            let literal = matches!(byte, b'!'..=b'<' | b'>'..=b'~') || (byte == b' ' || byte == b'\t') && !last;
            let literal = literal && !(at == 0 && byte == b'.');
            let piece: Vec<u8> = if literal {
                vec![byte]
            } else {
                format!("={byte:02X}").into_bytes()
            };
            if width + piece.len() > ENCODED_LINE - 1 {
                out.extend_from_slice(b"=\r\n");
                width = 0;
            }
            width += piece.len();
            out.extend_from_slice(&piece);
        }
        if index + 1 < lines.len() {
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

/// Splits on CRLF; a body ending with CRLF gives a last empty line.
fn split_crlf(body: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while at + 1 < body.len() {
        if body[at] == b'\r' && body[at + 1] == b'\n' {
            lines.push(&body[start..at]);
            at += 2;
            start = at;
        } else {
            at += 1;
        }
    }
    lines.push(&body[start..]);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_text_stays_7bit_and_the_rest_is_quoted_printable() {
        assert_eq!(text("Hello\r\n").name, "7bit");
        let encoded = text("Grüße, Jürgen. \r\n.dot\r\n");
        assert_eq!(encoded.name, "quoted-printable");
        assert_eq!(
            String::from_utf8(encoded.bytes).unwrap(),
            "Gr=C3=BC=C3=9Fe, J=C3=BCrgen.=20\r\n=2Edot\r\n"
        );
        assert_eq!(text(&"x".repeat(1200)).name, "quoted-printable");
    }

    #[test]
    fn encoded_lines_stay_under_76_characters() {
        let long = "é".repeat(200);
        let encoded = quoted_printable(long.as_bytes());
        for line in encoded.split(|&b| b == b'\n') {
            assert!(line.len() <= 77, "{}", line.len());
        }
        let data = base64(&[0u8; 1000]);
        assert!(data.bytes.split(|&b| b == b'\n').all(|line| line.len() <= 77));
    }
}
