//! Message structure: which parts a reader shows, which are attachments, and how
//! a fetched part is decoded.
//!
//! The plan comes from BODYSTRUCTURE so a reader fetches only the text and HTML
//! it displays; attachments are fetched on demand. When a server's BODYSTRUCTURE
//! is broken the plan says so, and the caller fetches the whole message and
//! parses it here instead ([`parse_whole`]), with the same part model. Why this
//! is not mail-parser: docs/decisions/0003-mime-parser.md.

mod charset;
mod whole;

pub use charset::{ExternalDecoder, decode_charset, decode_header_text, decode_transfer, install_decoder};

use serde::Serialize;

use crate::codec::types::{BodyStructure, Disposition, PartFields, Token};

/// An attachment or inline part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    /// IMAP part number, e.g. `"2"` or `"1.3"`: pass it to `fetchPart`.
    pub part_id: String,
    /// File name (decoded), if any.
    pub filename: Option<String>,
    /// `type/subtype`, lower-cased.
    pub content_type: String,
    /// Size of the decoded content, estimated from the encoded size for base64.
    pub size: u64,
    /// Content-ID without angle brackets, for `cid:` references.
    pub content_id: Option<String>,
    /// Shown inline (an image the HTML references) rather than listed.
    pub inline: bool,
    /// Content-Transfer-Encoding.
    pub encoding: String,
}

/// A body part the reader shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyPart {
    /// IMAP section number.
    pub part_id: String,
    /// Charset parameter, lower-cased.
    pub charset: Option<String>,
    /// Content-Transfer-Encoding.
    pub encoding: String,
    /// Encoded size.
    pub size: u64,
}

/// What to fetch to show a message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartPlan {
    /// The plain-text body.
    pub text: Option<BodyPart>,
    /// The HTML body.
    pub html: Option<BodyPart>,
    /// Attachments and inline parts.
    pub attachments: Vec<Attachment>,
    /// The structure is malformed: fetch the whole message instead.
    pub broken: bool,
}

impl PartPlan {
    /// Whether the message has attachments a reader would list.
    pub fn has_attachments(&self) -> bool {
        self.attachments.iter().any(|attachment| !attachment.inline)
    }
}

fn param<'a>(params: &'a [(Token, Vec<u8>)], name: &str) -> Option<&'a [u8]> {
    params
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_slice())
}

/// Decodes a parameter value that may be an RFC 2047 word or raw 8-bit text.
fn param_text(value: &[u8]) -> String {
    decode_header_text(value)
}

/// Decodes a fetched text part to a string.
pub fn decode_text(part: &BodyPart, data: &[u8]) -> String {
    let bytes = decode_transfer(&part.encoding, data);
    decode_charset(part.charset.as_deref().unwrap_or("utf-8"), &bytes)
}

fn is_attachment_disposition(disposition: Option<&Disposition>) -> bool {
    disposition.is_some_and(|d| d.kind == "attachment")
}

fn filename(fields: &PartFields, disposition: Option<&Disposition>) -> Option<String> {
    disposition
        .and_then(|d| param(&d.params, "filename"))
        .or_else(|| param(&fields.params, "name"))
        .map(param_text)
        .filter(|name| !name.is_empty())
}

/// Decoded size: base64 carries 3 bytes per 4 characters (line breaks aside).
fn decoded_size(fields: &PartFields) -> u64 {
    if fields.encoding == "base64" {
        fields.octets / 78 * 57 + (fields.octets % 78) * 3 / 4
    } else {
        fields.octets
    }
}

/// Builds the plan for a message's BODYSTRUCTURE.
pub fn plan(structure: &BodyStructure) -> PartPlan {
    let mut plan = PartPlan::default();
    match structure {
        BodyStructure::Multi { .. } => walk(structure, "", &mut plan, false),
        BodyStructure::Single { .. } => walk(structure, "1", &mut plan, false),
    }
    plan
}

fn child_id(prefix: &str, index: usize) -> String {
    if prefix.is_empty() {
        (index + 1).to_string()
    } else {
        format!("{prefix}.{}", index + 1)
    }
}

fn walk(node: &BodyStructure, id: &str, plan: &mut PartPlan, inline_context: bool) {
    match node {
        BodyStructure::Multi { parts, subtype, .. } => {
            if parts.is_empty() {
                plan.broken = true;
                return;
            }
            match subtype.as_ref() {
                "alternative" => {
                    // Later alternatives are preferred; each kind keeps its last match.
                    let mut found = PartPlan::default();
                    for (index, part) in parts.iter().enumerate() {
                        let mut branch = PartPlan::default();
                        walk(part, &child_id(id, index), &mut branch, inline_context);
                        found.broken |= branch.broken;
                        found.text = branch.text.or(found.text);
                        found.html = branch.html.or(found.html);
                        found.attachments.extend(branch.attachments);
                    }
                    plan.broken |= found.broken;
                    if plan.text.is_none() && plan.html.is_none() {
                        plan.text = found.text;
                        plan.html = found.html;
                    }
                    plan.attachments.extend(found.attachments);
                }
                "related" => {
                    for (index, part) in parts.iter().enumerate() {
                        walk(part, &child_id(id, index), plan, index > 0 || inline_context);
                    }
                }
                _ => {
                    for (index, part) in parts.iter().enumerate() {
                        walk(part, &child_id(id, index), plan, inline_context);
                    }
                }
            }
        }
        BodyStructure::Single {
            media_type,
            subtype,
            fields,
            disposition,
            message,
            ..
        } => {
            if media_type.is_empty() || subtype.is_empty() || media_type == "multipart" {
                plan.broken = true;
                return;
            }
            let disposition = disposition.as_ref();
            let attachment = is_attachment_disposition(disposition);
            let named = filename(fields, disposition);
            let is_body_candidate = media_type == "text" && !attachment && named.is_none();
            if is_body_candidate && subtype == "plain" && plan.text.is_none() {
                plan.text = Some(body_part(id, fields));
                return;
            }
            if is_body_candidate && subtype == "html" && plan.html.is_none() {
                plan.html = Some(body_part(id, fields));
                return;
            }
            let content_id = fields.id.as_ref().map(|raw| {
                String::from_utf8_lossy(raw)
                    .trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_owned()
            });
            let default_name = (message.is_some()).then(|| "forwarded-message.eml".to_owned());
            plan.attachments.push(Attachment {
                part_id: id.to_owned(),
                filename: named.or(default_name),
                content_type: format!("{media_type}/{subtype}"),
                size: decoded_size(fields),
                inline: !attachment
                    && (inline_context || disposition.is_some_and(|d| d.kind == "inline"))
                    && content_id.is_some(),
                content_id,
                encoding: fields.encoding.to_string(),
            });
        }
    }
}

fn body_part(id: &str, fields: &PartFields) -> BodyPart {
    BodyPart {
        part_id: id.to_owned(),
        charset: param(&fields.params, "charset").map(|value| String::from_utf8_lossy(value).to_ascii_lowercase()),
        encoding: fields.encoding.to_string(),
        size: fields.octets,
    }
}

/// Every header of a header block, unfolded and decoded, in order.
pub fn header_fields(block: &[u8]) -> Vec<(String, String)> {
    whole::raw_fields(block)
        .into_iter()
        .map(|(name, value)| (name, decode_header_text(&value)))
        .collect()
}

/// The message ids in a `References` or `In-Reply-To` value, with angle brackets.
pub fn message_ids(value: &str) -> Vec<String> {
    value
        .split('<')
        .skip(1)
        .filter_map(|rest| rest.split_once('>').map(|(id, _)| format!("<{}>", id.trim())))
        .filter(|id| id.len() > 2)
        .collect()
}

/// A whole message, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedMessage {
    /// Headers, decoded.
    pub headers: Vec<(String, String)>,
    /// The text body.
    pub text: Option<String>,
    /// The HTML body.
    pub html: Option<String>,
    /// Attachments, with IMAP part numbers.
    pub attachments: Vec<Attachment>,
}

/// Parses a complete RFC 5322 message (see [`whole`]).
pub fn parse_whole(raw: &[u8]) -> ParsedMessage {
    whole::parse(raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::parse_response;
    use crate::codec::types::{Data, Response};

    fn structure(line: &str) -> BodyStructure {
        match parse_response(line.as_bytes()) {
            Ok(Response::Data(Data::Fetch(fetch))) => *fetch.body_structure.unwrap(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn alternative_with_related_images_and_an_attachment() {
        let body = structure(concat!(
            "* 1 FETCH (BODYSTRUCTURE (((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 100 3 NIL NIL NIL NIL)",
            "((\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 300 9 NIL NIL NIL NIL)",
            "(\"image\" \"png\" (\"name\" \"logo.png\") \"<logo@x>\" NIL \"base64\" 780 NIL (\"inline\" (\"filename\" \"logo.png\")) NIL NIL) \"related\" (\"boundary\" \"r\") NIL NIL NIL)",
            " \"alternative\" (\"boundary\" \"a\") NIL NIL NIL)",
            "(\"application\" \"pdf\" (\"name\" \"=?utf-8?Q?=C3=9Cbersicht.pdf?=\") NIL NIL \"base64\" 7800 NIL (\"attachment\" NIL) NIL NIL)",
            " \"mixed\" (\"boundary\" \"m\") NIL NIL NIL))\r\n"
        ));
        let plan = plan(&body);
        assert!(!plan.broken);
        assert_eq!(plan.text.as_ref().unwrap().part_id, "1.1");
        assert_eq!(plan.html.as_ref().unwrap().part_id, "1.2.1");
        assert_eq!(plan.html.as_ref().unwrap().encoding, "quoted-printable");
        let logo = &plan.attachments[0];
        assert_eq!(
            (logo.part_id.as_str(), logo.inline, logo.content_id.as_deref()),
            ("1.2.2", true, Some("logo@x"))
        );
        let pdf = &plan.attachments[1];
        assert_eq!(pdf.part_id, "2");
        assert_eq!(pdf.filename.as_deref(), Some("Übersicht.pdf"));
        assert!(!pdf.inline);
        assert!(plan.has_attachments());
    }

    #[test]
    fn a_single_part_message_is_section_one() {
        let plan = plan(&structure(
            "* 1 FETCH (BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"koi8-r\") NIL NIL \"8bit\" 10 1 NIL NIL NIL NIL))\r\n",
        ));
        assert_eq!(
            plan.text.unwrap(),
            BodyPart {
                part_id: "1".into(),
                charset: Some("koi8-r".into()),
                encoding: "8bit".into(),
                size: 10
            }
        );
    }

    #[test]
    fn broken_structures_ask_for_the_whole_message() {
        let gmail = std::fs::read("../tests/fixtures/imap-quirks/gmail-bodystructure-related-nil-parts.txt").unwrap();
        let Ok(Response::Data(Data::Fetch(fetch))) = parse_response(&gmail) else {
            panic!()
        };
        assert!(plan(&fetch.body_structure.unwrap()).broken);
    }

    #[test]
    fn parts_decode_from_transfer_encoding_and_charset() {
        let part = BodyPart {
            part_id: "1".into(),
            charset: Some("iso-8859-1".into()),
            encoding: "quoted-printable".into(),
            size: 0,
        };
        assert_eq!(decode_text(&part, b"caf=E9 =\r\nn=E4"), "café nä");
        let part = BodyPart {
            part_id: "1".into(),
            charset: Some("shift_jis".into()),
            encoding: "base64".into(),
            size: 0,
        };
        assert_eq!(decode_text(&part, b"gqCC6IKq\r\ngsaCpA==\r\n"), "ありがとう");
    }

    #[test]
    fn header_blocks_unfold_and_decode() {
        let block = b"Subject: =?utf-8?Q?Gr=C3=BC=C3=9Fe?=\r\n  from home\r\nReferences: <a@x>\r\n <b@y> <c@z>\r\nX-Empty:\r\n\r\nbody: no";
        let fields = header_fields(block);
        assert_eq!(fields[0], ("Subject".into(), "Grüße from home".into()));
        assert_eq!(message_ids(&fields[1].1), vec!["<a@x>", "<b@y>", "<c@z>"]);
        assert_eq!(fields.len(), 3, "the body is not a header");
    }

    #[test]
    fn whole_message_fallback_numbers_parts_like_imap() {
        let raw = b"From: a@b\r\nSubject: =?utf-8?Q?Gr=C3=BC=C3=9Fe?=\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhello\r\n--x\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--x--\r\n";
        let parsed = parse_whole(raw);
        assert_eq!(parsed.text.as_deref().map(str::trim), Some("hello"));
        assert!(parsed.headers.contains(&("Subject".into(), "Grüße".into())));
        assert_eq!(parsed.attachments[0].part_id, "2");
        assert_eq!(parsed.attachments[0].filename.as_deref(), Some("a.pdf"));
    }
}
