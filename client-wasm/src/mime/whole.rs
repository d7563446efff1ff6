//! A whole RFC 5322 message parsed into the reader's part model: the fallback for
//! servers whose BODYSTRUCTURE is broken, and the parser for raw messages.
//!
//! Headers (RFC 5322 folding, RFC 2047 words), Content-Type and -Disposition
//! parameters (RFC 2045, RFC 2231 continuations and charsets), multipart trees
//! split by boundary, transfer encodings and charsets. Parts are numbered the way
//! IMAP numbers them, so an attachment found here can be fetched with `fetchPart`.

use super::charset::{decode_charset, decode_header_text, decode_transfer};
use super::{Attachment, ParsedMessage, header_fields};

/// Multipart nesting deeper than this is not followed (hostile mail).
const MAX_DEPTH: usize = 32;

/// Parses a complete message.
pub(super) fn parse(raw: &[u8]) -> ParsedMessage {
    let (header_block, _) = split_entity(raw);
    let mut message = ParsedMessage {
        headers: header_fields(header_block),
        ..ParsedMessage::default()
    };
    walk(raw, "", &mut message, 0, false);
    message
}

/// Splits an entity into its header block and its body at the first empty line.
fn split_entity(raw: &[u8]) -> (&[u8], &[u8]) {
    let mut index = 0;
    while index < raw.len() {
        let line_end = raw[index..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(raw.len(), |p| index + p + 1);
        let line = &raw[index..line_end];
        if line == b"\n" || line == b"\r\n" {
            return (&raw[..index], &raw[line_end..]);
        }
        index = line_end;
    }
    (raw, &[])
}

/// A parsed `type/subtype; name=value` header.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct FieldValue {
    /// The value before the parameters, lower-cased.
    pub(super) value: String,
    /// Parameters with lower-cased names; RFC 2231 pieces joined and decoded.
    pub(super) params: Vec<(String, String)>,
}

impl FieldValue {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Parses a structured MIME header value (RFC 2045 syntax with RFC 2231 extensions).
pub(super) fn parse_field(raw: &str) -> FieldValue {
    let mut parts = split_params(raw).into_iter();
    let value = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    // (name, section, extended, value) pieces, joined per name after sorting sections.
    let mut pieces: Vec<(String, u32, bool, String)> = Vec::new();
    for part in parts {
        let Some((name, value)) = part.split_once('=') else {
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim();
        let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).map_or_else(
            || value.to_owned(),
            |quoted| quoted.replace("\\\"", "\"").replace("\\\\", "\\"),
        );
        let (base, extended) = match name.strip_suffix('*') {
            Some(base) => (base.to_owned(), true),
            None => (name.clone(), false),
        };
        let (base, section) = match base.rsplit_once('*') {
            Some((stem, number)) if number.bytes().all(|b| b.is_ascii_digit()) && !number.is_empty() => {
                (stem.to_owned(), number.parse().unwrap_or(0))
            }
            _ => (base, 0),
        };
        pieces.push((base, section, extended, value));
    }
    pieces.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut params: Vec<(String, String)> = Vec::new();
    let mut index = 0;
    while index < pieces.len() {
        let name = pieces[index].0.clone();
        let mut charset = String::new();
        let mut bytes = Vec::new();
        while index < pieces.len() && pieces[index].0 == name {
            let (_, section, extended, value) = &pieces[index];
            if *extended {
                let mut text = value.as_str();
                if *section == 0 {
                    // charset'language'percent-encoded
                    let mut fields = text.splitn(3, '\'');
                    if let (Some(set), Some(_language), Some(rest)) = (fields.next(), fields.next(), fields.next()) {
                        charset = set.to_owned();
                        text = rest;
                    }
                }
                bytes.extend(percent_decode(text));
            } else {
                bytes.extend_from_slice(value.as_bytes());
            }
            index += 1;
        }
        let text = if charset.is_empty() {
            decode_header_text(&bytes)
        } else {
            decode_charset(&charset, &bytes)
        };
        params.push((name, text));
    }
    FieldValue { value, params }
}

/// Splits at `;` outside quoted strings (escapes are kept for the unquoting later).
fn split_params(raw: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut quoted = false;
    let mut escaped = false;
    for ch in raw.chars() {
        if ch == ';' && !quoted {
            parts.push(String::new());
            continue;
        }
        if !escaped {
            match ch {
                '"' => quoted = !quoted,
                '\\' if quoted => {
                    escaped = true;
                    if let Some(part) = parts.last_mut() {
                        part.push(ch);
                    }
                    continue;
                }
                _ => {}
            }
        }
        escaped = false;
        if let Some(part) = parts.last_mut() {
            part.push(ch);
        }
    }
    parts
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            if let Some(byte) = bytes
                .get(index + 1..index + 3)
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            {
                out.push(byte);
                index += 3;
                continue;
            }
        }
        out.push(bytes[index]);
        index += 1;
    }
    out
}

fn header<'a>(fields: &'a [(String, Vec<u8>)], name: &str) -> Option<&'a [u8]> {
    fields
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_slice())
}

/// Raw (undecoded) fields of a header block, unfolded (RFC 5322 folding).
pub(super) fn raw_fields(block: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut fields: Vec<(String, Vec<u8>)> = Vec::new();
    for line in block.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match line.first() {
            None => break,
            Some(b' ' | b'\t') => {
                if let Some((_, value)) = fields.last_mut() {
                    value.push(b' ');
                    value.extend_from_slice(line.trim_ascii_start());
                }
            }
            Some(_) => {
                if let Some(colon) = line.iter().position(|&b| b == b':') {
                    fields.push((
                        String::from_utf8_lossy(line[..colon].trim_ascii()).into_owned(),
                        line[colon + 1..].trim_ascii().to_vec(),
                    ));
                }
            }
        }
    }
    fields
}

/// The parts of a multipart body, between `--boundary` lines.
fn split_multipart<'a>(body: &'a [u8], boundary: &str) -> Vec<&'a [u8]> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut start: Option<usize> = None;
    let mut index = 0;
    while index <= body.len() {
        let line_end = body[index..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(body.len(), |p| index + p);
        let line = body[index..line_end]
            .strip_suffix(b"\r")
            .unwrap_or(&body[index..line_end]);
        if line.starts_with(delimiter.as_bytes()) {
            let rest = line[delimiter.len()..].trim_ascii_end();
            if rest.is_empty() || rest == b"--" {
                if let Some(part_start) = start {
                    // The line break before the delimiter belongs to the delimiter.
                    let mut end = index;
                    if end > part_start && body[end - 1] == b'\n' {
                        end -= 1;
                        if end > part_start && body[end - 1] == b'\r' {
                            end -= 1;
                        }
                    }
                    parts.push(&body[part_start..end]);
                }
                if rest == b"--" {
                    return parts;
                }
                start = Some((line_end + 1).min(body.len()));
            }
        }
        index = line_end + 1;
    }
    // A missing closing delimiter: keep what there is.
    if let Some(part_start) = start {
        parts.push(&body[part_start..]);
    }
    parts
}

fn child_id(prefix: &str, index: usize) -> String {
    if prefix.is_empty() {
        (index + 1).to_string()
    } else {
        format!("{prefix}.{}", index + 1)
    }
}

fn walk(entity: &[u8], id: &str, message: &mut ParsedMessage, depth: usize, inline_context: bool) {
    let (block, body) = split_entity(entity);
    let fields = raw_fields(block);
    let content_type = header(&fields, "Content-Type")
        .map(|raw| parse_field(&String::from_utf8_lossy(raw)))
        .filter(|field| field.value.contains('/'))
        .unwrap_or_else(|| FieldValue {
            value: "text/plain".into(),
            params: Vec::new(),
        });
    let (media_type, subtype) = content_type.value.split_once('/').unwrap_or(("text", "plain"));
    if media_type == "multipart" && depth < MAX_DEPTH {
        if let Some(boundary) = content_type.param("boundary").filter(|b| !b.is_empty()) {
            let parts = split_multipart(body, boundary);
            let related = subtype == "related";
            for (index, part) in parts.iter().enumerate() {
                walk(
                    part,
                    &child_id(id, index),
                    message,
                    depth + 1,
                    inline_context || (related && index > 0),
                );
            }
            return;
        }
    }
    let part_id = if id.is_empty() { "1".to_owned() } else { id.to_owned() };
    let encoding = header(&fields, "Content-Transfer-Encoding")
        .map(|raw| String::from_utf8_lossy(raw).trim().to_ascii_lowercase())
        .unwrap_or_else(|| "7bit".into());
    let disposition = header(&fields, "Content-Disposition").map(|raw| parse_field(&String::from_utf8_lossy(raw)));
    let filename = disposition
        .as_ref()
        .and_then(|d| d.param("filename"))
        .or_else(|| content_type.param("name"))
        .map(str::to_owned)
        .filter(|name| !name.is_empty());
    let attachment = disposition.as_ref().is_some_and(|d| d.value == "attachment");
    let is_body = media_type == "text" && !attachment && filename.is_none();
    if is_body && subtype == "plain" && message.text.is_none() {
        let bytes = decode_transfer(&encoding, body);
        message.text = Some(decode_charset(
            content_type.param("charset").unwrap_or("us-ascii"),
            &bytes,
        ));
        return;
    }
    if is_body && subtype == "html" && message.html.is_none() {
        let bytes = decode_transfer(&encoding, body);
        message.html = Some(decode_charset(
            content_type.param("charset").unwrap_or("us-ascii"),
            &bytes,
        ));
        return;
    }
    let content_id = header(&fields, "Content-ID")
        .map(|raw| {
            String::from_utf8_lossy(raw)
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned()
        })
        .filter(|cid| !cid.is_empty());
    let size = decode_transfer(&encoding, body).len() as u64;
    let default_name = (content_type.value == "message/rfc822").then(|| "forwarded-message.eml".to_owned());
    message.attachments.push(Attachment {
        part_id,
        filename: filename.or(default_name),
        content_type: content_type.value.clone(),
        size,
        inline: !attachment
            && content_id.is_some()
            && (inline_context || disposition.as_ref().is_some_and(|d| d.value == "inline")),
        content_id,
        encoding,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2231_parameters_join_and_decode() {
        let field = parse_field("attachment; filename*0*=utf-8''%C3%9Cber; filename*1=\"sicht 2024.pdf\"; size=10");
        assert_eq!(field.value, "attachment");
        assert_eq!(field.param("filename"), Some("Übersicht 2024.pdf"));
        let field = parse_field("text/plain; charset=\"iso-8859-1\"; format=flowed");
        assert_eq!(field.param("charset"), Some("iso-8859-1"));
        let field = parse_field("application/pdf; name=\"a;b \\\"c\\\".pdf\"");
        assert_eq!(field.param("name"), Some("a;b \"c\".pdf"));
        let field = parse_field("image/png; name=\"=?utf-8?Q?caf=C3=A9.png?=\"");
        assert_eq!(field.param("name"), Some("café.png"));
    }

    #[test]
    fn nested_multiparts_are_numbered_like_imap() {
        let raw = b"Subject: x\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\npreamble\r\n--m\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9\r\n--a\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n--a--\r\n--m\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\niVBO\r\nRw==\r\n--m\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nhello\r\n--m--\r\nepilogue";
        let message = parse(raw);
        assert_eq!(message.text.as_deref(), Some("café"));
        assert_eq!(message.html.as_deref(), Some("<p>hi</p>"));
        assert_eq!(message.attachments[0].part_id, "2");
        assert!(message.attachments[0].inline);
        assert_eq!(message.attachments[0].content_id.as_deref(), Some("logo@x"));
        assert_eq!(message.attachments[1].part_id, "3");
        assert_eq!(message.attachments[1].content_type, "message/rfc822");
        assert_eq!(message.headers[0], ("Subject".into(), "x".into()));
    }

    #[test]
    fn a_missing_boundary_or_garbage_does_not_panic() {
        for raw in [
            &b""[..],
            b"\r\n",
            b"Content-Type: multipart/mixed\r\n\r\nno boundary",
            b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nunterminated",
            b"\xff\xfe: \x00\r\n\r\n",
        ] {
            let _ = parse(raw);
        }
        let deep = format!(
            "Content-Type: multipart/mixed; boundary=b\r\n\r\n{}",
            "--b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n".repeat(100)
        );
        let _ = parse(deep.as_bytes());
    }
}
