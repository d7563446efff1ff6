//! Building the message a user wrote: an RFC 5322 message with MIME parts,
//! CRLF everywhere, ready for the SMTP engine and for the Sent or Drafts copy.
//!
//! The structure is what Thunderbird and Roundcube send:
//! `multipart/mixed[ multipart/alternative[ text/plain; format=flowed,
//! multipart/related[ text/html, inline images ] ], attachments ]`, each level
//! present only when needed. The clock and the randomness come from the caller
//! ([`Stamp`]): `SystemTime::now()` traps in `wasm32-unknown-unknown`, and a
//! retry must keep the same Message-ID.

mod encoding;
mod flowed;
mod headers;

/// A name and an address, as in `From: Alice <alice@example.org>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mailbox {
    /// The display name, if any.
    pub name: Option<String>,
    /// The address.
    pub address: String,
}

/// A file carried by the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The file name the recipient sees.
    pub filename: String,
    /// Its MIME type, e.g. `application/pdf` (`application/octet-stream` when unknown).
    pub content_type: String,
    /// The bytes.
    pub data: Vec<u8>,
    /// For an image the HTML shows inline (`<img src="cid:...">`): its Content-ID.
    pub content_id: Option<String>,
}

/// What the user wrote.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Draft {
    /// The sender (the identity chosen).
    pub from: Mailbox,
    /// Recipients.
    pub to: Vec<Mailbox>,
    /// Copies.
    pub cc: Vec<Mailbox>,
    /// Blind copies: in the envelope and in the Sent or Drafts copy, never in
    /// what is transmitted.
    pub bcc: Vec<Mailbox>,
    /// Where replies should go, if not to the sender.
    pub reply_to: Vec<Mailbox>,
    /// The subject.
    pub subject: String,
    /// The plain text, sent as `format=flowed`.
    pub text: String,
    /// An HTML version of the same text, if the user wrote one.
    pub html: Option<String>,
    /// Files, and images the HTML shows inline.
    pub attachments: Vec<Attachment>,
    /// The Message-ID of the message this replies to.
    pub in_reply_to: Option<String>,
    /// The thread's Message-IDs, oldest first (RFC 5322 3.6.4).
    pub references: Vec<String>,
    /// Further header fields, e.g. `("Disposition-Notification-To", ...)`.
    pub headers: Vec<(String, String)>,
    /// The Message-ID to use, e.g. the one a first attempt to send had, so a
    /// retry is the same message; made from the [`Stamp`] when absent.
    pub message_id: Option<String>,
}

/// What the caller supplies because the page has it and wasm does not: the
/// time, the zone and randomness (from `crypto.getRandomValues`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Milliseconds since the Unix epoch (`Date.now()`).
    pub millis: i64,
    /// The sender's zone, minutes east of UTC (`-new Date().getTimezoneOffset()`).
    pub utc_offset_minutes: i32,
    /// Random bytes for the Message-ID and the boundaries.
    pub random: [u8; 16],
}

/// Which version of the message to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// What goes to the submission server: no Bcc header.
    Transmitted,
    /// What is kept in Sent or Drafts: with the Bcc header.
    Kept,
}

/// Why a draft cannot become a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A field holds a line break, which would start a new header line.
    #[error("the {0} field contains a line break")]
    LineBreak(String),
    /// An address is not one (no `@`, spaces, `<`, `>`...).
    #[error("`{0}` is not an email address")]
    InvalidAddress(String),
    /// A Message-ID in In-Reply-To or References is malformed.
    #[error("`{0}` is not a Message-ID")]
    InvalidMessageId(String),
    /// A custom header's name is not a field name, or is one the builder writes.
    #[error("`{0}` cannot be set as a header")]
    InvalidHeader(String),
    /// No recipient in To, Cc or Bcc.
    #[error("the message has no recipients")]
    NoRecipients,
}

/// Fields the builder writes itself; a custom header may not replace them.
const OWN_FIELDS: [&str; 14] = [
    "date",
    "from",
    "to",
    "cc",
    "bcc",
    "reply-to",
    "subject",
    "message-id",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "content-disposition",
];

/// A built message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The message, CRLF throughout.
    pub bytes: Vec<u8>,
    /// Its Message-ID, with angle brackets.
    pub message_id: String,
}

/// Builds the [`Version`] of `draft` asked for. The same draft and stamp always
/// give the same Message-ID and boundaries, so both versions match.
pub fn build(draft: &Draft, stamp: &Stamp, version: Version) -> Result<Built, BuildError> {
    if draft.to.is_empty() && draft.cc.is_empty() && draft.bcc.is_empty() {
        return Err(BuildError::NoRecipients);
    }
    let message_id = match &draft.message_id {
        Some(given) => {
            let field = headers::ids("Message-ID", std::slice::from_ref(given))?;
            field["Message-ID: ".len()..].trim_end().to_owned()
        }
        None => message_id(&draft.from.address, stamp),
    };
    let mut out = String::new();
    out.push_str(&format!(
        "Date: {}\r\n",
        headers::date(stamp.millis, stamp.utc_offset_minutes)
    ));
    out.push_str(&headers::addresses("From", std::slice::from_ref(&draft.from))?);
    for (name, list) in [("To", &draft.to), ("Cc", &draft.cc), ("Reply-To", &draft.reply_to)] {
        if !list.is_empty() {
            out.push_str(&headers::addresses(name, list)?);
        }
    }
    if !draft.bcc.is_empty() {
        // Checked in both copies, so a draft that builds once builds always.
        let bcc = headers::addresses("Bcc", &draft.bcc)?;
        if version == Version::Kept {
            out.push_str(&bcc);
        }
    }
    out.push_str(&headers::unstructured("Subject", &draft.subject)?);
    out.push_str(&format!("Message-ID: {message_id}\r\n"));
    if let Some(parent) = &draft.in_reply_to {
        out.push_str(&headers::ids("In-Reply-To", std::slice::from_ref(parent))?);
    }
    if !draft.references.is_empty() {
        out.push_str(&headers::ids("References", &draft.references)?);
    }
    for (name, value) in &draft.headers {
        let valid_name = !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && b != b':');
        if !valid_name || OWN_FIELDS.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(BuildError::InvalidHeader(webmail_wire::printable(name.as_bytes(), 40)));
        }
        out.push_str(&headers::unstructured(name, value)?);
    }
    out.push_str("MIME-Version: 1.0\r\n");
    let mut bytes = out.into_bytes();
    let mut boundaries = Boundaries::new(stamp);
    body(draft, &mut boundaries).write(&mut bytes);
    Ok(Built { bytes, message_id })
}

/// `<random@domain>`: the sender's domain, never `localhost`.
fn message_id(from: &str, stamp: &Stamp) -> String {
    let domain = from.rsplit_once('@').map_or("webmail.invalid", |(_, domain)| domain);
    format!("<{}@{domain}>", hex(&stamp.random))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Boundaries unique within the message and unguessable from outside it, so
/// no text a sender quotes can end a part.
struct Boundaries {
    seed: String,
    next: usize,
}

impl Boundaries {
    fn new(stamp: &Stamp) -> Self {
        Self {
            seed: hex(&stamp.random[8..]),
            next: 0,
        }
    }

    fn take(&mut self) -> String {
        self.next += 1;
        format!("=_part{}_{}", self.next, self.seed)
    }
}

/// One MIME entity: its header fields (after Content-Type) and its body.
enum Part {
    Leaf {
        content_type: String,
        fields: Vec<String>,
        body: Vec<u8>,
    },
    Multipart {
        subtype: &'static str,
        boundary: String,
        parts: Vec<Part>,
    },
}

impl Part {
    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Self::Leaf {
                content_type,
                fields,
                body,
            } => {
                out.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
                for field in fields {
                    out.extend_from_slice(field.as_bytes());
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(b"\r\n");
                out.extend_from_slice(body);
            }
            Self::Multipart {
                subtype,
                boundary,
                parts,
            } => {
                out.extend_from_slice(
                    format!("Content-Type: multipart/{subtype};\r\n boundary=\"{boundary}\"\r\n\r\n").as_bytes(),
                );
                for part in parts {
                    out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
                    part.write(out);
                    if !out.ends_with(b"\r\n") {
                        out.extend_from_slice(b"\r\n");
                    }
                }
                out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
            }
        }
    }
}

/// The body tree for `draft`.
fn body(draft: &Draft, boundaries: &mut Boundaries) -> Part {
    let text = {
        let encoded = encoding::text(&flowed::encode(&draft.text));
        Part::Leaf {
            content_type: "text/plain; charset=utf-8; format=flowed".into(),
            fields: vec![format!("Content-Transfer-Encoding: {}", encoded.name)],
            body: encoded.bytes,
        }
    };
    let (inline, files): (Vec<&Attachment>, Vec<&Attachment>) = draft
        .attachments
        .iter()
        .partition(|attachment| attachment.content_id.is_some() && draft.html.is_some());
    let mut content = match &draft.html {
        None => text,
        Some(html) => {
            let html = html.replace("\r\n", "\n").replace('\r', "\n").replace('\n', "\r\n");
            let encoded = encoding::text(&html);
            let mut html = Part::Leaf {
                content_type: "text/html; charset=utf-8".into(),
                fields: vec![format!("Content-Transfer-Encoding: {}", encoded.name)],
                body: encoded.bytes,
            };
            if !inline.is_empty() {
                let mut parts = vec![html];
                parts.extend(inline.into_iter().map(|image| attachment(image, "inline")));
                html = Part::Multipart {
                    subtype: "related",
                    boundary: boundaries.take(),
                    parts,
                };
            }
            Part::Multipart {
                subtype: "alternative",
                boundary: boundaries.take(),
                parts: vec![text, html],
            }
        }
    };
    if !files.is_empty() {
        let mut parts = vec![content];
        parts.extend(files.into_iter().map(|file| attachment(file, "attachment")));
        content = Part::Multipart {
            subtype: "mixed",
            boundary: boundaries.take(),
            parts,
        };
    }
    content
}

/// A file as a part: base64, its name in RFC 2231 `filename` and, for old
/// clients, RFC 2047 in `name` (Roundcube's and Thunderbird's default).
fn attachment(file: &Attachment, disposition: &str) -> Part {
    let content_type = file.content_type.trim();
    let valid_type = content_type.split_once('/').is_some_and(|(kind, sub)| {
        !kind.is_empty() && !sub.is_empty() && (kind.chars().chain(sub.chars())).all(|c| c.is_ascii_graphic())
    });
    let content_type = if valid_type {
        content_type.to_ascii_lowercase()
    } else {
        "application/octet-stream".to_owned()
    };
    let filename: String = file.filename.chars().filter(|c| !c.is_control()).collect();
    let name = if filename.is_ascii() {
        headers::parameter("name", &filename)
    } else {
        format!(
            "name=\"{}\"",
            headers::encoded_words(&filename, 0).replace("\r\n ", " ")
        )
    };
    let encoded = encoding::base64(&file.data);
    let mut fields = vec![
        format!("Content-Transfer-Encoding: {}", encoded.name),
        format!(
            "Content-Disposition: {disposition};\r\n {}",
            headers::parameter("filename", &filename)
        ),
    ];
    if let Some(id) = &file.content_id {
        let bare: String = id
            .trim_matches(['<', '>'])
            .chars()
            .filter(|c| c.is_ascii_graphic() && !"<>".contains(*c))
            .collect();
        fields.push(format!("Content-ID: <{bare}>"));
    }
    Part::Leaf {
        content_type: format!("{content_type};\r\n {name}"),
        fields,
        body: encoded.bytes,
    }
}
