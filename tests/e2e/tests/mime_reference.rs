//! The MIME parser of client-wasm against mail-parser, the reference, on every
//! message the corpus generator makes (docs/decisions/0003-mime-parser.md).

use client_wasm::mime::parse_whole;
use mail_parser::{MessageParser, MimeHeaders, PartType};
use webmail_testkit::Corpus;

fn normalize(text: &str) -> String {
    text.replace("\r\n", "\n").trim_end().to_owned()
}

#[test]
fn agrees_with_mail_parser_on_the_corpus() {
    let mut checked = 0;
    for generated in Corpus::new(99, 400).without_large_attachment().messages() {
        let ours = parse_whole(&generated.raw);
        let reference = MessageParser::default()
            .parse(&generated.raw)
            .expect("mail-parser parses the corpus");
        let subject = ours
            .headers
            .iter()
            .find(|(name, _)| name == "Subject")
            .map(|(_, value)| value.as_str());
        assert_eq!(subject, reference.subject(), "subject of {}", generated.message_id);
        let reference_text = reference
            .text_body
            .first()
            .and_then(|&i| match &reference.parts[i as usize].body {
                PartType::Text(text) => Some(normalize(text)),
                _ => None,
            });
        assert_eq!(
            ours.text.as_deref().map(normalize),
            reference_text,
            "text of {} ({:?})",
            generated.message_id,
            generated.kind
        );
        let reference_html = reference
            .html_body
            .first()
            .and_then(|&i| match &reference.parts[i as usize].body {
                PartType::Html(html) => Some(normalize(html)),
                _ => None,
            });
        assert_eq!(
            ours.html.as_deref().map(normalize),
            reference_html,
            "html of {}",
            generated.message_id
        );
        let reference_files: Vec<(Option<String>, usize)> = reference
            .attachments()
            .map(|part| (part.attachment_name().map(str::to_owned), part.contents().len()))
            .collect();
        let our_files: Vec<(Option<String>, usize)> = ours
            .attachments
            .iter()
            .map(|a| (a.filename.clone(), a.size as usize))
            .collect();
        assert_eq!(
            our_files, reference_files,
            "attachments of {} ({:?})",
            generated.message_id, generated.kind
        );
        checked += 1;
    }
    assert_eq!(checked, 400);
}
