//! Reading messages: list rows, a message for the reader, parts and raw messages in chunks.

use super::{uid_chunks, validate_uids};
use crate::client::decode;
use crate::client::types::{Message, MessageSummary};
use crate::client::{Client, ClientError};
use crate::codec::framer::{Frame, Framer};
use crate::codec::parse_response;
use crate::codec::types::{Data, Fetch, Response, SequenceSet};
use crate::engine::{Command, FetchItem};
use crate::mime::{self, BodyPart};

/// Reports `(bytes received, bytes expected)` while a part downloads.
pub type ProgressFn = Box<dyn Fn(u64, u64)>;

/// What [`Client::fetch_summaries_with`] includes beyond the list columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SummaryOptions {
    /// A short text preview of each message, where the server offers PREVIEW.
    pub preview: bool,
}

impl Client {
    /// Rows for a message list, in the order asked; one round trip per 2,000 UIDs
    /// (the commands are pipelined). Without previews: see [`Client::fetch_summaries_with`].
    pub async fn fetch_summaries(&self, uids: &[u32]) -> Result<Vec<MessageSummary>, ClientError> {
        self.fetch_summaries_with(uids, SummaryOptions::default()).await
    }

    /// [`Client::fetch_summaries`] with options: `preview` asks the server for a
    /// text preview (PREVIEW), which costs it a read of each message's body.
    pub async fn fetch_summaries_with(
        &self,
        uids: &[u32],
        options: SummaryOptions,
    ) -> Result<Vec<MessageSummary>, ClientError> {
        validate_uids(uids)?;
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let mut rows: Vec<MessageSummary> = Vec::with_capacity(uids.len());
        for fetch in self.fetch_rows(uids, options, false).await? {
            rows.extend(summary(fetch));
        }
        rows.sort_unstable_by_key(|row| row.uid);
        rows.dedup_by_key(|row| row.uid);
        let keys: Vec<u32> = rows.iter().map(|row| row.uid).collect();
        let mut slots: Vec<Option<MessageSummary>> = rows.into_iter().map(Some).collect();
        let mut ordered = Vec::with_capacity(slots.len());
        for uid in uids {
            if let Some(row) = keys.binary_search(uid).ok().and_then(|index| slots[index].take()) {
                ordered.push(row);
            }
        }
        Ok(ordered)
    }

    /// Rows for a cache, undecoded: each message's FETCH response as the server
    /// sent it, in the order it sent them, for [`decode_summaries`] when the row
    /// is shown. The same round trips as [`Client::fetch_summaries`], at the
    /// speed of framing: only the UID is read now.
    pub async fn fetch_summary_records(&self, uids: &[u32]) -> Result<Vec<SummaryRecord>, ClientError> {
        validate_uids(uids)?;
        Ok(self
            .fetch_rows(uids, SummaryOptions::default(), true)
            .await?
            .into_iter()
            .filter_map(|fetch| {
                Some(SummaryRecord {
                    uid: fetch.uid?,
                    response: fetch.raw?,
                })
            })
            .collect())
    }

    /// The list columns' FETCH of `uids`, one pipelined command per 2,000.
    async fn fetch_rows(
        &self,
        uids: &[u32],
        options: SummaryOptions,
        keep_raw: bool,
    ) -> Result<Vec<Fetch>, ClientError> {
        let mut items = summary_items();
        if options.preview && self.has_capability("PREVIEW") {
            items.push(FetchItem::Preview);
        }
        if self.has_capability("X-GM-EXT-1") {
            items.push(FetchItem::GmailLabels);
        }
        let commands = uid_chunks(uids).into_iter().map(|set| Command::Fetch {
            uid: true,
            set,
            items: items.clone(),
            changed_since: None,
            vanished: false,
            keep_raw,
        });
        let results = futures_util::future::join_all(commands.map(|command| self.run(command, None))).await;
        let mut fetches = Vec::with_capacity(uids.len());
        for result in results {
            fetches.extend(result?.into_fetches());
        }
        Ok(fetches)
    }

    /// A message for reading: headers, decoded text and HTML, and its attachments.
    pub async fn fetch_message(&self, uid: u32) -> Result<Message, ClientError> {
        validate_uids(&[uid])?;
        let first = self
            .fetch_one(
                uid,
                vec![
                    FetchItem::Uid,
                    FetchItem::Flags,
                    FetchItem::Envelope,
                    FetchItem::BodyStructure,
                    FetchItem::BodyPeek {
                        section: "HEADER".into(),
                        partial: None,
                    },
                ],
            )
            .await?;
        let header = first
            .sections
            .iter()
            .find(|s| s.section == "HEADER")
            .and_then(|s| s.data.clone())
            .unwrap_or_default();
        let mut message = message_from_headers(uid, first.envelope.as_deref(), &header);
        message.flags = first.flags.clone().unwrap_or_default();
        let plan = first
            .body_structure
            .as_deref()
            .map(mime::plan)
            .unwrap_or_else(|| mime::PartPlan {
                broken: true,
                ..mime::PartPlan::default()
            });
        if plan.broken {
            let raw = self.fetch_raw(uid).await?;
            let parsed = mime::parse_whole(&raw);
            message.text = parsed.text;
            message.html = parsed.html;
            message.attachments = parsed.attachments;
            return Ok(message);
        }
        let parts: Vec<&BodyPart> = plan.text.iter().chain(plan.html.iter()).collect();
        if !parts.is_empty() {
            let items = parts
                .iter()
                .map(|part| FetchItem::BodyPeek {
                    section: part.part_id.clone(),
                    partial: None,
                })
                .collect();
            let bodies = self.fetch_one(uid, items).await?;
            let body = |part: &Option<BodyPart>| {
                let part = part.as_ref()?;
                let data = bodies
                    .sections
                    .iter()
                    .find(|s| s.section == part.part_id)?
                    .data
                    .as_deref()?;
                Some(mime::decode_text(part, data))
            };
            message.text = body(&plan.text);
            message.html = body(&plan.html);
        }
        message.attachments = plan.attachments;
        Ok(message)
    }

    async fn fetch_one(&self, uid: u32, items: Vec<FetchItem>) -> Result<Fetch, ClientError> {
        let command = Command::Fetch {
            uid: true,
            set: SequenceSet::from_ids(&[uid]),
            items,
            changed_since: None,
            vanished: false,
            keep_raw: false,
        };
        self.run(command, None)
            .await?
            .into_fetches()
            .into_iter()
            .find(|fetch| fetch.uid == Some(uid))
            .ok_or_else(|| ClientError::invalid_argument(format!("no message with UID {uid}")))
    }

    /// One part's content, decoded from its transfer encoding, streamed in chunks
    /// (BINARY where the server offers it, so base64 is not sent over the wire).
    pub async fn fetch_part(
        &self,
        uid: u32,
        part_id: &str,
        progress: Option<ProgressFn>,
    ) -> Result<Vec<u8>, ClientError> {
        validate_uids(&[uid])?;
        if part_id.is_empty()
            || !part_id
                .split('.')
                .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(ClientError::invalid_argument(format!(
                "`{part_id}` is not a part number"
            )));
        }
        let binary = self.has_capability("BINARY");
        let mut items = vec![FetchItem::Uid, FetchItem::BodyStructure];
        if binary {
            items.push(FetchItem::BinarySize {
                section: part_id.to_owned(),
            });
        }
        let head = self.fetch_one(uid, items).await?;
        let (encoding, octets) = head
            .body_structure
            .as_deref()
            .and_then(|structure| part_fields(structure, part_id))
            .unwrap_or_else(|| ("7bit".to_owned(), 0));
        // With BINARY the server decodes, and says the decoded size up front.
        let binary_size = head
            .binary_sizes
            .iter()
            .find(|(section, _)| section == part_id)
            .map(|(_, size)| *size);
        let expected = if binary { binary_size.unwrap_or(octets) } else { octets };
        let data = self
            .fetch_chunks(uid, part_id, binary, expected, progress.as_ref())
            .await?;
        Ok(if binary {
            data
        } else {
            mime::decode_transfer(&encoding, &data)
        })
    }

    async fn fetch_chunks(
        &self,
        uid: u32,
        section: &str,
        binary: bool,
        expected: u64,
        progress: Option<&ProgressFn>,
    ) -> Result<Vec<u8>, ClientError> {
        let mut data = Vec::with_capacity(expected.min(64 << 20) as usize);
        let mut total = expected;
        // The expected size ends the loop without a last empty request when it is exact.
        while expected == 0 || (data.len() as u64) < expected {
            let start = data.len() as u64;
            let item = if binary {
                FetchItem::BinaryPeek {
                    section: section.to_owned(),
                    partial: Some((start, CHUNK_BYTES)),
                }
            } else {
                FetchItem::BodyPeek {
                    section: section.to_owned(),
                    partial: Some((start, CHUNK_BYTES)),
                }
            };
            let fetch = self.fetch_one(uid, vec![FetchItem::Uid, item]).await?;
            let chunk = fetch
                .sections
                .into_iter()
                .find(|s| s.section == section)
                .and_then(|s| s.data)
                .unwrap_or_default();
            let received = chunk.len() as u64;
            data.extend_from_slice(&chunk);
            let done = received < CHUNK_BYTES || (expected != 0 && data.len() as u64 >= expected);
            total = if done {
                data.len() as u64
            } else {
                total.max(data.len() as u64)
            };
            if let Some(report) = progress {
                if received > 0 {
                    report(data.len() as u64, total);
                }
            }
            if done {
                break;
            }
        }
        Ok(data)
    }

    /// The whole RFC 5322 message, streamed in chunks.
    pub async fn fetch_raw(&self, uid: u32) -> Result<Vec<u8>, ClientError> {
        validate_uids(&[uid])?;
        let head = self.fetch_one(uid, vec![FetchItem::Uid, FetchItem::Size]).await?;
        self.fetch_chunks(uid, "", false, head.size.unwrap_or(0), None).await
    }
}

/// Bytes fetched per request when streaming a part or a raw message.
const CHUNK_BYTES: u64 = 512 * 1024;

/// What a message-list row needs from the server (see [`summary`]).
pub(crate) fn summary_items() -> Vec<FetchItem> {
    vec![
        FetchItem::Uid,
        FetchItem::Flags,
        FetchItem::Size,
        FetchItem::InternalDate,
        FetchItem::Envelope,
        FetchItem::BodyStructure,
    ]
}

/// A list row kept as the server sent it ([`Client::fetch_summary_records`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryRecord {
    /// UID.
    pub uid: u32,
    /// The whole `* n FETCH (...)` response, CRLF included.
    pub response: Vec<u8>,
}

/// The rows [`SummaryRecord`] responses describe, as [`Client::fetch_summaries`]
/// would have returned them: `responses` is any number of them one after the
/// other. A response that is not a FETCH with a UID gives no row.
pub fn decode_summaries(responses: &[u8]) -> Vec<MessageSummary> {
    let mut framer = Framer::new(responses.len());
    framer.push(responses);
    let mut rows = Vec::new();
    while let Some(Frame::Response(range)) = framer.next_frame() {
        if let Ok(Response::Data(Data::Fetch(fetch))) = parse_response(&framer.buffer()[range]) {
            rows.extend(summary(*fetch));
        }
    }
    rows
}

/// A message-list row from FETCH data (needs UID; ENVELOPE and BODYSTRUCTURE when fetched).
pub(crate) fn summary(fetch: Fetch) -> Option<MessageSummary> {
    let uid = fetch.uid?;
    let plan = fetch.body_structure.as_deref().map(mime::plan);
    Some(MessageSummary {
        uid,
        seq: fetch.seq,
        flags: fetch.flags.unwrap_or_default(),
        size: fetch.size.unwrap_or(0),
        internal_date: fetch.internal_date.as_deref().and_then(decode::internal_date),
        envelope: fetch.envelope.as_deref().map(decode::envelope).unwrap_or_default(),
        has_attachments: plan.is_some_and(|plan| plan.has_attachments()),
        preview: fetch.preview.as_deref().map(mime::decode_header_text),
        labels: fetch.gmail_labels,
    })
}

/// The reader's view of the headers: display fields from the ENVELOPE (decoded
/// here, with the page's charsets in the browser), the full list and References
/// from the header block.
fn message_from_headers(uid: u32, envelope: Option<&crate::codec::types::Envelope>, header: &[u8]) -> Message {
    let envelope = envelope.map(decode::envelope).unwrap_or_default();
    let headers = mime::header_fields(header);
    let references = headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("References"))
        .flat_map(|(_, value)| mime::message_ids(value))
        .collect();
    Message {
        uid,
        headers,
        subject: envelope.subject,
        from: envelope.from,
        to: envelope.to,
        cc: envelope.cc,
        bcc: envelope.bcc,
        reply_to: envelope.reply_to,
        date: envelope.date,
        message_id: envelope.message_id,
        in_reply_to: envelope.in_reply_to,
        references,
        ..Message::default()
    }
}

/// Encoding and encoded size of a part, from the structure.
fn part_fields(structure: &crate::codec::types::BodyStructure, part_id: &str) -> Option<(String, u64)> {
    use crate::codec::types::BodyStructure as B;
    let mut node = structure;
    for (depth, index) in part_id.split('.').enumerate() {
        let index: usize = index.parse().ok()?;
        node = match node {
            B::Multi { parts, .. } => parts.get(index.checked_sub(1)?)?,
            B::Single {
                message: Some(inner), ..
            } => match &inner.1 {
                B::Multi { parts, .. } => parts.get(index.checked_sub(1)?)?,
                single if index == 1 => single,
                _ => return None,
            },
            single @ B::Single { .. } if depth == 0 && index == 1 => single,
            _ => return None,
        };
    }
    match node {
        B::Single { fields, .. } => Some((fields.encoding.to_string(), fields.octets)),
        B::Multi { .. } => None,
    }
}
