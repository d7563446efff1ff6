//! Builds the RFC 5322 bytes of each kind of generated message.

use super::content::{CharsetSample, Person};
use super::files;
use super::mime::{base64_lines, encoded_words, quoted_printable, rfc5322_date};
use super::rng::SplitMix64;

/// Size of the one large attachment, as the issue asks for mail clients to cope with.
pub(crate) const LARGE_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// The shape of a generated message, for tests that look for a particular kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// `text/plain` in UTF-8.
    Plain,
    /// `multipart/alternative` with text and HTML.
    Alternative,
    /// `multipart/mixed` with a PDF, a PNG and a ZIP (one filename RFC 2231-encoded).
    Attachments,
    /// HTML with `cid:` images in `multipart/related`.
    InlineImages,
    /// A message forwarded as a `message/rfc822` attachment.
    Forwarded,
    /// `text/plain` in a legacy charset, with RFC 2047 headers in the same charset.
    Charset(&'static str),
    /// Subject and sender name as raw UTF-8 header bytes (RFC 6532).
    RawUtf8Headers,
    /// A 10 MiB attachment.
    LargeAttachment,
}

/// Headers shared by every kind.
pub(crate) struct Envelope<'a> {
    pub(crate) date: i64,
    pub(crate) from: Person,
    pub(crate) to: Person,
    pub(crate) cc: Option<Person>,
    pub(crate) subject: &'a str,
    pub(crate) message_id: &'a str,
    pub(crate) in_reply_to: Option<&'a str>,
    pub(crate) references: &'a [String],
}

/// Writes messages with CRLF line endings, as they travel on the wire.
pub(crate) struct MessageWriter {
    out: Vec<u8>,
}

impl MessageWriter {
    fn new() -> Self {
        Self {
            out: Vec::with_capacity(4096),
        }
    }

    fn line(&mut self, line: &str) {
        self.raw_line(line.as_bytes());
    }

    fn raw_line(&mut self, line: &[u8]) {
        self.out.extend_from_slice(line);
        self.out.extend_from_slice(b"\r\n");
    }

    /// Appends pre-formatted text that already ends with CRLF.
    fn block(&mut self, block: &[u8]) {
        self.out.extend_from_slice(block);
    }

    fn text(&mut self, text: &str) {
        for line in text.split('\n') {
            self.line(line.trim_end_matches('\r'));
        }
    }

    fn headers(&mut self, envelope: &Envelope<'_>, header_style: HeaderStyle) {
        self.line(&format!("Date: {}", rfc5322_date(envelope.date)));
        self.line(&format!("From: {}", address(envelope.from, header_style)));
        self.line(&format!("To: {}", address(envelope.to, header_style)));
        if let Some(cc) = envelope.cc {
            self.line(&format!("Cc: {}", address(cc, header_style)));
        }
        self.line(&format!("Subject: {}", header_text(envelope.subject, header_style)));
        self.line(&format!("Message-ID: {}", envelope.message_id));
        if let Some(parent) = envelope.in_reply_to {
            self.line(&format!("In-Reply-To: {parent}"));
        }
        if !envelope.references.is_empty() {
            self.line(&format!("References: {}", envelope.references.join("\r\n ")));
        }
        self.line("MIME-Version: 1.0");
    }

    fn part_header(&mut self, boundary: &str) {
        self.line(&format!("--{boundary}"));
    }

    fn close(&mut self, boundary: &str) {
        self.line(&format!("--{boundary}--"));
    }

    fn attachment(&mut self, boundary: &str, content_type: &str, disposition: &str, extra: &[&str], data: &[u8]) {
        self.part_header(boundary);
        self.line(&format!("Content-Type: {content_type}"));
        self.line("Content-Transfer-Encoding: base64");
        self.line(&format!("Content-Disposition: {disposition}"));
        for header in extra {
            self.line(header);
        }
        self.line("");
        self.block(base64_lines(data).as_bytes());
    }

    fn into_bytes(self) -> Vec<u8> {
        self.out
    }
}

/// How non-ASCII header text is written.
#[derive(Clone, Copy)]
pub(crate) enum HeaderStyle {
    /// RFC 2047 encoded words in UTF-8.
    EncodedUtf8,
    /// RFC 2047 encoded words in a legacy charset.
    EncodedLegacy(&'static CharsetSample),
    /// Raw UTF-8 bytes (RFC 6532).
    RawUtf8,
}

fn header_text(text: &str, style: HeaderStyle) -> String {
    if text.is_ascii() {
        return text.to_owned();
    }
    match style {
        HeaderStyle::EncodedUtf8 => encoded_words(text, "utf-8", encoding_rs::UTF_8, false),
        HeaderStyle::EncodedLegacy(sample) => {
            encoded_words(text, sample.charset, sample.encoding, sample.base64_headers)
        }
        HeaderStyle::RawUtf8 => text.to_owned(),
    }
}

fn address(person: Person, style: HeaderStyle) -> String {
    if person.name.is_empty() {
        person.address.to_owned()
    } else if person.name.is_ascii() {
        format!("\"{}\" <{}>", person.name, person.address)
    } else {
        // A legacy charset cannot carry every name; fall back to UTF-8 for those.
        let style = match style {
            HeaderStyle::EncodedLegacy(sample) if sample.encoding.encode(person.name).2 => HeaderStyle::EncodedUtf8,
            other => other,
        };
        format!("{} <{}>", header_text(person.name, style), person.address)
    }
}

fn html_body(paragraphs: &str, extra: &str) -> String {
    let mut html = String::from(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Message</title></head>\n<body style=\"font-family: sans-serif\">\n",
    );
    for paragraph in paragraphs.split("\n\n").filter(|p| !p.trim().is_empty()) {
        let escaped = paragraph
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        html.push_str(&format!("<p>{}</p>\n", escaped.replace('\n', "<br>")));
    }
    html.push_str(extra);
    html.push_str("</body></html>\n");
    html
}

fn text_part(writer: &mut MessageWriter, text: &str) {
    writer.line("Content-Type: text/plain; charset=utf-8");
    if text.is_ascii() {
        writer.line("Content-Transfer-Encoding: 7bit");
        writer.line("");
        writer.text(text);
    } else {
        writer.line("Content-Transfer-Encoding: quoted-printable");
        writer.line("");
        writer.text(&quoted_printable(text.as_bytes()));
    }
}

fn html_part(writer: &mut MessageWriter, html: &str) {
    writer.line("Content-Type: text/html; charset=utf-8");
    writer.line("Content-Transfer-Encoding: quoted-printable");
    writer.line("");
    writer.text(&quoted_printable(html.as_bytes()));
}

/// Everything a kind needs besides the shared headers.
pub(crate) struct Body<'a> {
    pub(crate) kind: Kind,
    pub(crate) text: &'a str,
    pub(crate) boundary: &'a str,
    pub(crate) ordinal: usize,
    pub(crate) charset: Option<&'static CharsetSample>,
}

/// Renders one message.
pub(crate) fn render(envelope: &Envelope<'_>, body: &Body<'_>, rng: &mut SplitMix64) -> Vec<u8> {
    let style = match body.kind {
        Kind::Charset(_) => body
            .charset
            .map_or(HeaderStyle::EncodedUtf8, HeaderStyle::EncodedLegacy),
        Kind::RawUtf8Headers => HeaderStyle::RawUtf8,
        _ => HeaderStyle::EncodedUtf8,
    };
    let mut w = MessageWriter::new();
    w.headers(envelope, style);
    let boundary = body.boundary;
    match body.kind {
        Kind::Plain => text_part(&mut w, body.text),
        Kind::RawUtf8Headers => {
            w.line("Content-Type: text/plain; charset=utf-8");
            w.line("Content-Transfer-Encoding: 8bit");
            w.line("");
            w.text(body.text);
        }
        Kind::Charset(_) => {
            if let Some(sample) = body.charset {
                legacy_text(&mut w, sample);
            }
        }
        Kind::Alternative => {
            w.line(&format!("Content-Type: multipart/alternative; boundary=\"{boundary}\""));
            w.line("");
            w.line("This is a multi-part message in MIME format.");
            w.part_header(boundary);
            text_part(&mut w, body.text);
            w.part_header(boundary);
            html_part(
                &mut w,
                &html_body(
                    body.text,
                    "<p><a href=\"https://example.org/dashboard\">Open the dashboard</a></p>\n",
                ),
            );
            w.close(boundary);
        }
        Kind::InlineImages => inline_images(&mut w, body),
        Kind::Attachments => {
            w.line(&format!("Content-Type: multipart/mixed; boundary=\"{boundary}\""));
            w.line("");
            w.part_header(boundary);
            text_part(&mut w, body.text);
            let pdf = files::pdf(&format!("Report number {}", body.ordinal));
            w.attachment(
                boundary,
                "application/pdf; name=\"=?utf-8?Q?=C3=9Cbersicht_2024.pdf?=\"",
                "attachment; filename*=utf-8''%C3%9Cbersicht%202024.pdf",
                &[],
                &pdf,
            );
            let png = files::png(48, [40, 120, 200]);
            w.attachment(
                boundary,
                "image/png; name=\"photo.png\"",
                "attachment; filename=\"photo.png\"",
                &[],
                &png,
            );
            let notes = format!("Notes for message {}\n", body.ordinal);
            let zip = files::zip(&[("notes.txt", notes.as_bytes()), ("report.pdf", &pdf)]);
            w.attachment(
                boundary,
                "application/zip; name=\"archive.zip\"",
                "attachment; filename=\"archive.zip\"",
                &[],
                &zip,
            );
            w.close(boundary);
        }
        Kind::Forwarded => {
            w.line(&format!("Content-Type: multipart/mixed; boundary=\"{boundary}\""));
            w.line("");
            w.part_header(boundary);
            text_part(&mut w, "Forwarding this one, see the attached message.\n\nAlice\n");
            w.part_header(boundary);
            w.line("Content-Type: message/rfc822");
            w.line("Content-Disposition: attachment; filename=\"forwarded.eml\"");
            w.line("");
            let inner_envelope = Envelope {
                date: envelope.date - 86_400,
                from: envelope.to,
                to: envelope.from,
                cc: None,
                subject: "Original: the plan",
                message_id: "<original-plan@corpus.example.org>",
                in_reply_to: None,
                references: &[],
            };
            let inner_boundary = format!("{boundary}_inner");
            let inner = render(
                &inner_envelope,
                &Body {
                    kind: Kind::Attachments,
                    text: body.text,
                    boundary: &inner_boundary,
                    ordinal: body.ordinal,
                    charset: None,
                },
                rng,
            );
            w.block(&inner);
            w.close(boundary);
        }
        Kind::LargeAttachment => {
            w.line(&format!("Content-Type: multipart/mixed; boundary=\"{boundary}\""));
            w.line("");
            w.part_header(boundary);
            text_part(&mut w, "The backup you asked for is attached (10 MB).\n");
            let mut data = vec![0u8; LARGE_ATTACHMENT_BYTES];
            rng.fill(&mut data);
            w.attachment(
                boundary,
                "application/octet-stream; name=\"backup.tar\"",
                "attachment; filename=\"backup.tar\"",
                &[],
                &data,
            );
            w.close(boundary);
        }
    }
    w.into_bytes()
}

fn legacy_text(w: &mut MessageWriter, sample: &CharsetSample) {
    let encoded = sample.encoding.encode(sample.body).0;
    w.line(&format!("Content-Type: text/plain; charset={}", sample.charset));
    if sample.base64_headers {
        w.line("Content-Transfer-Encoding: base64");
        w.line("");
        w.block(base64_lines(&encoded).as_bytes());
    } else if sample.charset == "koi8-r" {
        // Raw 8-bit body bytes, as many Russian mailers still send them.
        w.line("Content-Transfer-Encoding: 8bit");
        w.line("");
        for line in encoded.split(|&b| b == b'\n') {
            w.raw_line(line);
        }
    } else {
        w.line("Content-Transfer-Encoding: quoted-printable");
        w.line("");
        w.text(&quoted_printable(&encoded));
    }
}

fn inline_images(w: &mut MessageWriter, body: &Body<'_>) {
    let boundary = body.boundary;
    let related = format!("{boundary}_related");
    let chart_cid = format!("chart-{}@corpus.example.org", body.ordinal);
    let logo_cid = format!("logo-{}@corpus.example.org", body.ordinal);
    w.line(&format!("Content-Type: multipart/alternative; boundary=\"{boundary}\""));
    w.line("");
    w.part_header(boundary);
    text_part(w, body.text);
    w.part_header(boundary);
    w.line(&format!(
        "Content-Type: multipart/related; type=\"text/html\"; boundary=\"{related}\""
    ));
    w.line("");
    w.part_header(&related);
    let images = format!(
        "<p><img src=\"cid:{logo_cid}\" alt=\"Company logo\" width=\"32\" height=\"32\"></p>\n<p><img src=\"cid:{chart_cid}\" alt=\"Sales chart\" width=\"96\" height=\"96\"></p>\n"
    );
    html_part(w, &html_body(body.text, &images));
    let logo = files::png(32, [220, 60, 60]);
    w.attachment(
        &related,
        "image/png; name=\"logo.png\"",
        "inline; filename=\"logo.png\"",
        &[&format!("Content-ID: <{logo_cid}>")],
        &logo,
    );
    let chart = files::png(96, [60, 160, 90]);
    w.attachment(
        &related,
        "image/png; name=\"chart.png\"",
        "inline; filename=\"chart.png\"",
        &[&format!("Content-ID: <{chart_cid}>")],
        &chart,
    );
    w.close(&related);
    w.close(boundary);
}
