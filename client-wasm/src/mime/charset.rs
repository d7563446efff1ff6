//! Charset decoding and RFC 2047 encoded words.
//!
//! Natively, encoding_rs decodes every charset. In the browser the `wasm` module
//! installs the page's `TextDecoder`, which implements the same WHATWG Encoding
//! Standard, instead of shipping encoding_rs's tables (126 KB gzip).

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::GeneralPurpose;
use base64::engine::{DecodePaddingMode, GeneralPurposeConfig};

/// A charset decoder supplied by the environment: `(label, bytes)` to text, or
/// `None` for a label it does not know.
pub type ExternalDecoder = fn(&str, &[u8]) -> Option<String>;

static EXTERNAL: OnceLock<ExternalDecoder> = OnceLock::new();

/// Installs the environment's decoder (once; later calls are ignored).
pub fn install_decoder(decoder: ExternalDecoder) {
    let _ = EXTERNAL.set(decoder);
}

/// Decodes bytes in a charset by its MIME name; unknown charsets fall back to
/// UTF-8 (lossy), as mail readers do.
pub fn decode_charset(charset: &str, bytes: &[u8]) -> String {
    let label = charset.trim().trim_matches('"').to_ascii_lowercase();
    if matches!(label.as_str(), "utf-8" | "utf8" | "us-ascii" | "ascii" | "") {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    if let Some(decoded) = EXTERNAL.get().and_then(|decoder| decoder(&label, bytes)) {
        return decoded;
    }
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(encoding) = encoding_rs::Encoding::for_label(label.as_bytes()) {
        return encoding.decode_without_bom_handling(bytes).0.into_owned();
    }
    String::from_utf8_lossy(bytes).into_owned()
}

/// Decodes one `=?charset?enc?text?=` word, or `None` if it is not one.
fn decode_word(word: &[u8]) -> Option<String> {
    let inner = word.strip_prefix(b"=?")?.strip_suffix(b"?=")?;
    let mut fields = inner.splitn(3, |&b| b == b'?');
    let charset = std::str::from_utf8(fields.next()?).ok()?;
    // RFC 2231 language suffix: charset*language.
    let charset = charset.split('*').next().unwrap_or(charset);
    let encoding = fields.next()?;
    let text = fields.next()?;
    let bytes = match encoding {
        b"B" | b"b" => base64_lenient(text),
        b"Q" | b"q" => {
            let underscores: Vec<u8> = text.iter().map(|&b| if b == b'_' { b' ' } else { b }).collect();
            quoted_printable(&underscores)
        }
        _ => return None,
    };
    Some(decode_charset(charset, &bytes))
}

/// A header value as a reader sees it: RFC 2047 words decoded (whitespace between
/// adjacent words dropped), raw 8-bit text read as UTF-8, or as Windows-1252 when
/// it is not UTF-8.
pub fn decode_header_text(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut plain_start = 0;
    let mut index = 0;
    let mut last_was_word = false;
    while index < raw.len() {
        if raw[index..].starts_with(b"=?") {
            // A word runs to the first "?=" after its charset and encoding fields.
            let end = find_word_end(&raw[index..]).map(|length| index + length);
            if let Some(decoded) = end.and_then(|end| decode_word(&raw[index..end])) {
                let between = &raw[plain_start..index];
                if !(last_was_word && between.iter().all(u8::is_ascii_whitespace)) {
                    out.push_str(&decode_plain(between));
                }
                out.push_str(&decoded);
                index = end.unwrap_or(index);
                plain_start = index;
                last_was_word = true;
                continue;
            }
        }
        index += 1;
    }
    out.push_str(&decode_plain(&raw[plain_start..]));
    out.replace(['\r', '\n'], " ")
}

fn find_word_end(text: &[u8]) -> Option<usize> {
    // =?charset?X?...?=  : skip past the two inner '?' before looking for "?=".
    let mut questions = 0;
    for (position, pair) in text.windows(2).enumerate().skip(2) {
        if pair[0] == b'?' {
            questions += 1;
            if questions > 2 && pair[1] == b'=' {
                return Some(position + 2);
            }
        }
    }
    None
}

fn decode_plain(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => decode_charset("windows-1252", bytes),
    }
}

/// Undoes a Content-Transfer-Encoding.
pub fn decode_transfer(encoding: &str, data: &[u8]) -> Vec<u8> {
    match encoding.to_ascii_lowercase().as_str() {
        "base64" => base64_lenient(data),
        "quoted-printable" => quoted_printable(data),
        _ => data.to_vec(),
    }
}

/// Base64 as mail carries it: line breaks and stray characters skipped, padding optional.
fn base64_lenient(data: &[u8]) -> Vec<u8> {
    const ENGINE: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let mut compact: Vec<u8> = data
        .iter()
        .copied()
        .filter(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
        .collect();
    // A truncated final quantum of one character cannot encode a byte.
    if compact.len() % 4 == 1 {
        compact.pop();
    }
    ENGINE.decode(&compact).unwrap_or_default()
}

/// Quoted-printable (RFC 2045 6.7): `=XX` escapes and `=` soft line breaks;
/// malformed escapes are kept as they are.
fn quoted_printable(data: &[u8]) -> Vec<u8> {
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(data.len());
    let mut index = 0;
    while let Some(&byte) = data.get(index) {
        if byte != b'=' {
            out.push(byte);
            index += 1;
            continue;
        }
        match (data.get(index + 1).copied(), data.get(index + 2).copied()) {
            (Some(b'\r'), Some(b'\n')) => index += 3,
            (Some(b'\n'), _) => index += 2,
            (Some(high), Some(low)) if hex(high).is_some() && hex(low).is_some() => {
                out.push((hex(high).unwrap_or(0) * 16 + hex(low).unwrap_or(0)) as u8);
                index += 3;
            }
            _ => {
                out.push(byte);
                index += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_words_decode_and_join() {
        assert_eq!(decode_header_text(b"=?UTF-8?B?RndkOiDXodeo15nXp9eq?="), "Fwd: סריקת");
        assert_eq!(decode_header_text(b"=?iso-8859-1?Q?caf=E9?= ok"), "café ok");
        assert_eq!(
            decode_header_text(b"=?utf-8?Q?a?= =?utf-8?Q?b?="),
            "ab",
            "space between words is dropped"
        );
        assert_eq!(decode_header_text(b"x =?utf-8?Q?a_b?= y"), "x a b y");
        assert_eq!(decode_header_text(b"=?utf-8?Q?broken"), "=?utf-8?Q?broken");
        assert_eq!(decode_header_text(b"=?shift_jis?B?gqCC6IKqgsaCpA==?="), "ありがとう");
        assert_eq!(decode_header_text(b"=?utf-8*en?Q?hi?="), "hi");
    }

    #[test]
    fn transfer_encodings_are_lenient() {
        assert_eq!(decode_transfer("base64", b"aGVs\r\nbG8="), b"hello");
        assert_eq!(decode_transfer("base64", b"aGVsbG8"), b"hello");
        assert_eq!(
            decode_transfer("quoted-printable", b"caf=C3=A9 =\r\nau =ZZ lait"),
            "café au =ZZ lait".as_bytes()
        );
        assert_eq!(decode_transfer("8bit", b"raw"), b"raw");
    }

    #[test]
    fn raw_bytes_are_utf8_or_windows_1252() {
        assert_eq!(decode_header_text("Grüße".as_bytes()), "Grüße");
        assert_eq!(decode_header_text(b"Gr\xfc\xdfe"), "Grüße");
    }
}
