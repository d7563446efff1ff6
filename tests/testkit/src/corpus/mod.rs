//! A deterministic mail corpus: the same seed gives the same bytes everywhere.
//!
//! The first messages of INBOX are one of each [`Kind`], so even a ten-message
//! corpus exercises a client; the next ones seed every folder; the rest are drawn
//! at random (plain text most often, as in real mailboxes), a quarter of them
//! replies that form threads through `In-Reply-To` and `References`.

mod content;
mod files;
mod maildir;
mod message;
mod mime;
mod rng;

use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use content::{CHARSET_SAMPLES, OWNER, PEOPLE, Person, SENTENCES, TOPICS};
pub use message::Kind;
use message::{Body, Envelope};
use rng::SplitMix64;

/// The folders the corpus fills, in display form (Unicode, `/`-separated), with
/// the share of random messages each gets.
pub const FOLDERS: [(&str, u64); 10] = [
    ("INBOX", 780),
    ("Sent", 60),
    ("Archive", 50),
    ("Archive/2024", 30),
    ("Trash", 20),
    ("Junk", 20),
    ("Drafts", 10),
    ("Projects/Büro", 10),
    ("Projects/Ελληνικά", 10),
    ("日本語", 10),
];

/// The custom keywords some messages carry.
pub const KEYWORDS: [&str; 3] = ["$Important", "work", "$Forwarded"];

/// The kinds that open INBOX, in this order, so every corpus has each of them.
const OPENING_KINDS: [Kind; 12] = [
    Kind::Plain,
    Kind::Alternative,
    Kind::Attachments,
    Kind::InlineImages,
    Kind::Forwarded,
    Kind::Charset("iso-8859-1"),
    Kind::Charset("windows-1252"),
    Kind::Charset("koi8-r"),
    Kind::Charset("shift_jis"),
    Kind::Charset("gb2312"),
    Kind::RawUtf8Headers,
    Kind::LargeAttachment,
];

/// The most recent date in any corpus (2026-11-18); dates spread over three years before it.
const NEWEST_DATE: i64 = 1_795_000_000;
const SPAN_SECONDS: i64 = 3 * 365 * 86_400;

/// A corpus specification: a seed and a size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corpus {
    seed: u64,
    messages: usize,
    large_attachment: bool,
    inbox_only: bool,
}

/// One generated message and what a test may want to check about it.
#[derive(Debug, Clone)]
pub struct GeneratedMessage {
    /// Its folder, in display form.
    pub folder: &'static str,
    /// Its UID in that folder (UIDs are assigned in order from 1).
    pub uid: u32,
    /// Its shape.
    pub kind: Kind,
    /// System flags such as `\Seen`.
    pub flags: Vec<&'static str>,
    /// Custom keywords.
    pub keywords: Vec<&'static str>,
    /// INTERNALDATE and `Date:` as Unix seconds.
    pub date: i64,
    /// The subject as a reader sees it, decoded.
    pub subject: String,
    /// The sender's address.
    pub from_address: &'static str,
    /// The sender's display name, decoded.
    pub from_name: &'static str,
    /// The `Message-ID` header, with angle brackets.
    pub message_id: String,
    /// The raw RFC 5322 message, CRLF line endings.
    pub raw: Vec<u8>,
}

/// How many messages a folder received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderSummary {
    /// The folder in display form.
    pub name: String,
    /// Messages in it.
    pub messages: u32,
    /// Messages without `\Seen`.
    pub unseen: u32,
}

impl Corpus {
    /// `messages` messages generated from `seed`, including one 10 MiB attachment
    /// once the corpus is large enough to hold every opening kind.
    pub fn new(seed: u64, messages: usize) -> Self {
        Self {
            seed,
            messages,
            large_attachment: true,
            inbox_only: false,
        }
    }

    /// Puts every message in INBOX (for benchmarks of one large folder).
    pub fn inbox_only(mut self) -> Self {
        self.inbox_only = true;
        self
    }

    /// Leaves out the 10 MiB message, for tests that fetch everything.
    pub fn without_large_attachment(mut self) -> Self {
        self.large_attachment = false;
        self
    }

    /// The number of messages.
    pub fn len(&self) -> usize {
        self.messages
    }

    /// True for an empty corpus.
    pub fn is_empty(&self) -> bool {
        self.messages == 0
    }

    /// Generates the messages in order; the sequence depends only on the spec.
    pub fn messages(&self) -> impl Iterator<Item = GeneratedMessage> + '_ {
        let mut generator = Generator::new(*self);
        (0..self.messages).map(move |ordinal| generator.next_message(ordinal))
    }

    /// Writes the corpus as Maildir under `root` (the user's mail directory),
    /// with UIDs, keywords and subscriptions, and returns the folder counts.
    pub fn write_maildir(&self, root: &Path) -> io::Result<Vec<FolderSummary>> {
        maildir::write(root, self.seed, self.messages())
    }
}

struct ThreadParent {
    message_id: String,
    subject: String,
    references: Vec<String>,
}

struct Generator {
    spec: Corpus,
    rng: SplitMix64,
    next_uid: [u32; FOLDERS.len()],
    date: i64,
    step: i64,
    recent: Vec<ThreadParent>,
}

impl Generator {
    fn new(spec: Corpus) -> Self {
        let step = (SPAN_SECONDS / spec.messages.max(1) as i64).max(1);
        Self {
            spec,
            rng: SplitMix64::new(spec.seed ^ 0x5eed_c0de),
            next_uid: [1; FOLDERS.len()],
            date: 0,
            step,
            recent: Vec::new(),
        }
    }

    fn opening_kinds(&self) -> &'static [Kind] {
        if self.spec.large_attachment {
            &OPENING_KINDS
        } else {
            &OPENING_KINDS[..OPENING_KINDS.len() - 1]
        }
    }

    fn folder_for(&mut self, ordinal: usize) -> usize {
        let opening = self.opening_kinds().len();
        if ordinal < opening || self.spec.inbox_only {
            0
        } else if ordinal < opening + FOLDERS.len() - 1 {
            ordinal - opening + 1
        } else {
            let mut roll = self.rng.below(FOLDERS.iter().map(|(_, share)| share).sum());
            FOLDERS
                .iter()
                .position(|&(_, share)| {
                    let hit = roll < share;
                    roll = roll.saturating_sub(share);
                    hit
                })
                .unwrap_or(0)
        }
    }

    fn kind_for(&mut self, ordinal: usize) -> Kind {
        if let Some(&kind) = self.opening_kinds().get(ordinal) {
            return kind;
        }
        match self.rng.below(100) {
            0..=39 => Kind::Plain,
            40..=64 => Kind::Alternative,
            65..=74 => Kind::Attachments,
            75..=79 => Kind::InlineImages,
            80..=82 => Kind::Forwarded,
            83..=94 => Kind::Charset(self.rng.pick(&CHARSET_SAMPLES).charset),
            _ => Kind::RawUtf8Headers,
        }
    }

    fn next_message(&mut self, ordinal: usize) -> GeneratedMessage {
        let folder_index = self.folder_for(ordinal);
        let (folder, _) = FOLDERS[folder_index];
        let uid = self.next_uid[folder_index];
        self.next_uid[folder_index] += 1;
        let kind = self.kind_for(ordinal);
        // Evenly spread with jitter below one step: strictly increasing, never past NEWEST_DATE.
        self.date = NEWEST_DATE - SPAN_SECONDS + ordinal as i64 * self.step + self.rng.below(self.step as u64) as i64;
        let charset = match kind {
            Kind::Charset(name) => CHARSET_SAMPLES.iter().find(|sample| sample.charset == name),
            _ => None,
        };
        let outgoing = matches!(folder, "Sent" | "Drafts");
        let correspondent = charset.map_or_else(|| *self.rng.pick(&PEOPLE), |sample| sample.sender);
        let correspondent = if kind == Kind::RawUtf8Headers {
            PEOPLE[8]
        } else {
            correspondent
        };
        let (from, to): (Person, Person) = if outgoing {
            (OWNER, correspondent)
        } else {
            (correspondent, OWNER)
        };
        let cc = self.rng.percent(15).then(|| *self.rng.pick(&PEOPLE));

        let parent = (ordinal >= 20 && charset.is_none() && self.rng.percent(25) && !self.recent.is_empty())
            .then(|| self.rng.below(self.recent.len() as u64) as usize);
        let topic = self.rng.pick(&TOPICS);
        let mut subject = match (charset, kind, parent) {
            (Some(sample), _, _) => sample.subject.to_owned(),
            (None, Kind::RawUtf8Headers, _) => content::RAW_UTF8_SUBJECT.to_owned(),
            (None, _, Some(index)) => format!("Re: {}", self.recent[index].subject.trim_start_matches("Re: ")),
            (None, _, None) => format!("{topic} #{ordinal}"),
        };
        if kind == Kind::LargeAttachment {
            subject = "Backup archive (10 MB)".to_owned();
        }
        let message_id = format!("<{ordinal}.{}@corpus.example.org>", self.spec.seed);
        let (in_reply_to, references) = match parent {
            Some(index) => {
                let parent = &self.recent[index];
                let mut references = parent.references.clone();
                references.push(parent.message_id.clone());
                (Some(parent.message_id.clone()), references)
            }
            None => (None, Vec::new()),
        };

        let sentences = 2 + self.rng.below(4) as usize;
        let mut text = format!("Hi {},\n\n", to.name.split(' ').next().unwrap_or("there"));
        for _ in 0..sentences {
            let sentence: &&str = self.rng.pick(&SENTENCES);
            text.push_str(sentence);
            text.push(' ');
        }
        text.push_str(&format!(
            "\n\n-- \n{}\n",
            if from.name.is_empty() { from.address } else { from.name }
        ));
        let boundary = format!("----=_Part_{ordinal}_{}", self.spec.seed);
        let raw = message::render(
            &Envelope {
                date: self.date,
                from,
                to,
                cc,
                subject: &subject,
                message_id: &message_id,
                in_reply_to: in_reply_to.as_deref(),
                references: &references,
            },
            &Body {
                kind,
                text: &text,
                boundary: &boundary,
                ordinal,
                charset,
            },
            &mut self.rng,
        );

        let flags = self.flags_for(folder, ordinal);
        let keywords: Vec<&'static str> = KEYWORDS.iter().copied().filter(|_| self.rng.percent(4)).collect();
        self.recent.push(ThreadParent {
            message_id: message_id.clone(),
            subject: subject.clone(),
            references,
        });
        if self.recent.len() > 40 {
            self.recent.remove(0);
        }
        GeneratedMessage {
            folder,
            uid,
            kind,
            flags,
            keywords,
            date: self.date,
            subject,
            from_address: from.address,
            from_name: from.name,
            message_id,
            raw,
        }
    }

    fn flags_for(&mut self, folder: &str, ordinal: usize) -> Vec<&'static str> {
        let mut flags = Vec::new();
        let seen = match folder {
            "Sent" | "Drafts" => true,
            // The opening messages stay unread so a reader opening them marks them read.
            _ => ordinal >= self.opening_kinds().len() && self.rng.percent(65),
        };
        if folder == "Drafts" {
            flags.push("\\Draft");
        }
        if seen && self.rng.percent(12) {
            flags.push("\\Answered");
        }
        if self.rng.percent(8) {
            flags.push("\\Flagged");
        }
        if seen {
            flags.push("\\Seen");
        }
        flags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_bytes() {
        let a: Vec<Vec<u8>> = Corpus::new(7, 40)
            .without_large_attachment()
            .messages()
            .map(|m| m.raw)
            .collect();
        let b: Vec<Vec<u8>> = Corpus::new(7, 40)
            .without_large_attachment()
            .messages()
            .map(|m| m.raw)
            .collect();
        let c: Vec<Vec<u8>> = Corpus::new(8, 40)
            .without_large_attachment()
            .messages()
            .map(|m| m.raw)
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn a_small_corpus_has_every_kind_and_every_folder() {
        let messages: Vec<GeneratedMessage> = Corpus::new(1, 30).messages().collect();
        for kind in OPENING_KINDS {
            assert!(messages.iter().any(|m| m.kind == kind), "{kind:?} missing");
        }
        for (folder, _) in FOLDERS {
            assert!(messages.iter().any(|m| m.folder == folder), "{folder} empty");
        }
        let large = messages.iter().find(|m| m.kind == Kind::LargeAttachment).unwrap();
        assert!(large.raw.len() > message::LARGE_ATTACHMENT_BYTES);
    }

    #[test]
    fn dates_increase_and_stay_in_the_past() {
        let messages: Vec<GeneratedMessage> = Corpus::new(3, 500).without_large_attachment().messages().collect();
        assert!(messages.windows(2).all(|pair| pair[0].date < pair[1].date));
        assert!(messages.last().unwrap().date <= NEWEST_DATE);
    }

    #[test]
    fn replies_reference_their_parents() {
        let messages: Vec<GeneratedMessage> = Corpus::new(5, 200).without_large_attachment().messages().collect();
        let replies: Vec<&GeneratedMessage> = messages.iter().filter(|m| m.subject.starts_with("Re: ")).collect();
        assert!(replies.len() > 20, "only {} replies", replies.len());
        for reply in replies {
            let text = String::from_utf8_lossy(&reply.raw);
            assert!(text.contains("\r\nIn-Reply-To: <"), "{}", reply.subject);
            assert!(text.contains("\r\nReferences: <"));
        }
    }

    #[test]
    fn legacy_charsets_are_really_encoded() {
        let messages: Vec<GeneratedMessage> = Corpus::new(1, 12).messages().collect();
        let koi8 = messages.iter().find(|m| m.kind == Kind::Charset("koi8-r")).unwrap();
        assert!(std::str::from_utf8(&koi8.raw).is_err(), "koi8-r body must be raw 8-bit");
        let sjis = messages.iter().find(|m| m.kind == Kind::Charset("shift_jis")).unwrap();
        assert!(String::from_utf8_lossy(&sjis.raw).contains("Subject: =?shift_jis?B?"));
    }
}
