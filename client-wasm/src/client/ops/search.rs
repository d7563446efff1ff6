//! Finding and ordering messages: SEARCH, SORT and THREAD, done here where the server cannot.

use super::dates::parse_date;
use crate::client::types::{MessageSummary, ThreadTree};
use crate::client::{Client, ClientError};
use crate::codec::search::SearchKey;
use crate::codec::types::ThreadNode;
use crate::engine::{Command, SortKey, ThreadAlgorithm};

/// A display order for `messageUids`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SortOrder {
    /// `date`, `arrival`, `uid`, `from`, `to`, `subject` or `size`. `uid` is the
    /// order the server received the messages in, known since SELECT: it needs no
    /// round trip, so a huge folder shows its newest mail at once.
    pub sort: Option<String>,
    /// Newest (or largest, or Z) first.
    pub reverse: bool,
}

/// A search as a page builds it; every given criterion must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// Anywhere in headers or body.
    pub text: Option<String>,
    /// From contains.
    pub from: Option<String>,
    /// To contains.
    pub to: Option<String>,
    /// Cc contains.
    pub cc: Option<String>,
    /// Subject contains.
    pub subject: Option<String>,
    /// Body contains.
    pub body: Option<String>,
    /// Arrived on or after this date (`YYYY-MM-DD`).
    pub since: Option<String>,
    /// Arrived before this date (`YYYY-MM-DD`).
    pub before: Option<String>,
    /// Arrived on this date (`YYYY-MM-DD`).
    pub on: Option<String>,
    /// `\Seen` set (true) or not set (false).
    pub seen: Option<bool>,
    /// `\Flagged` set or not.
    pub flagged: Option<bool>,
    /// `\Answered` set or not.
    pub answered: Option<bool>,
    /// `\Draft` set or not.
    pub draft: Option<bool>,
    /// `\Deleted` set or not.
    pub deleted: Option<bool>,
    /// Keyword set.
    pub keyword: Option<String>,
    /// Larger than this many bytes.
    pub larger: Option<u64>,
    /// Smaller than this many bytes.
    pub smaller: Option<u64>,
    /// Any of these queries holds.
    pub or: Option<Vec<SearchQuery>>,
    /// This query does not hold.
    pub not: Option<Box<SearchQuery>>,
}

impl SearchQuery {
    /// The equivalent search key.
    pub fn to_key(&self) -> Result<SearchKey, ClientError> {
        let mut keys = Vec::new();
        let flag = |keys: &mut Vec<SearchKey>, value: Option<bool>, key: SearchKey| match value {
            Some(true) => keys.push(key),
            Some(false) => keys.push(SearchKey::Not(Box::new(key))),
            None => {}
        };
        type TextKey = fn(String) -> SearchKey;
        let strings: [(&Option<String>, TextKey); 6] = [
            (&self.text, SearchKey::Text),
            (&self.from, SearchKey::From),
            (&self.to, SearchKey::To),
            (&self.cc, SearchKey::Cc),
            (&self.subject, SearchKey::Subject),
            (&self.body, SearchKey::Body),
        ];
        for (value, make) in strings {
            if let Some(value) = value.as_ref().filter(|value| !value.is_empty()) {
                keys.push(make(value.clone()));
            }
        }
        if let Some(date) = &self.since {
            keys.push(SearchKey::Since(parse_date(date)?));
        }
        if let Some(date) = &self.before {
            keys.push(SearchKey::Before(parse_date(date)?));
        }
        if let Some(date) = &self.on {
            keys.push(SearchKey::On(parse_date(date)?));
        }
        flag(&mut keys, self.seen, SearchKey::Seen);
        flag(&mut keys, self.flagged, SearchKey::Flagged);
        flag(&mut keys, self.answered, SearchKey::Answered);
        flag(&mut keys, self.draft, SearchKey::Draft);
        flag(&mut keys, self.deleted, SearchKey::Deleted);
        if let Some(keyword) = &self.keyword {
            keys.push(SearchKey::Keyword(keyword.clone()));
        }
        if let Some(size) = self.larger {
            keys.push(SearchKey::Larger(size));
        }
        if let Some(size) = self.smaller {
            keys.push(SearchKey::Smaller(size));
        }
        if let Some(alternatives) = &self.or {
            let mut alternatives = alternatives
                .iter()
                .map(SearchQuery::to_key)
                .collect::<Result<Vec<_>, _>>()?;
            if let Some(last) = alternatives.pop() {
                let combined = alternatives
                    .into_iter()
                    .rev()
                    .fold(last, |rest, key| SearchKey::Or(Box::new(key), Box::new(rest)));
                keys.push(combined);
            }
        }
        if let Some(negated) = &self.not {
            keys.push(SearchKey::Not(Box::new(negated.to_key()?)));
        }
        Ok(match keys.len() {
            0 => SearchKey::All,
            1 => keys.remove(0),
            _ => SearchKey::And(keys),
        })
    }
}

impl Client {
    /// UIDs of the selected mailbox in display order (SORT on the server when offered).
    pub async fn message_uids(&self, order: &SortOrder) -> Result<Vec<u32>, ClientError> {
        if order.sort.as_deref() == Some("uid") {
            let mut uids: Vec<u32> =
                self.with_connection(|c| c.selected().map(|s| s.uids().collect()).unwrap_or_default());
            if order.reverse {
                uids.reverse();
            }
            return Ok(uids);
        }
        let key = match order.sort.as_deref().unwrap_or("date") {
            "date" => SortKey::Date,
            "arrival" => SortKey::Arrival,
            "from" if self.has_capability("SORT=DISPLAY") => SortKey::DisplayFrom,
            "from" => SortKey::From,
            "to" => SortKey::To,
            "subject" => SortKey::Subject,
            "size" => SortKey::Size,
            other => return Err(ClientError::invalid_argument(format!("cannot sort by `{other}`"))),
        };
        if self.has_capability("SORT") {
            let command = Command::Sort {
                uid: true,
                criteria: vec![(key, order.reverse)],
                key: SearchKey::All,
            };
            return Ok(self.run(command, None).await?.ids());
        }
        self.client_side_sort(key, order.reverse).await
    }

    async fn client_side_sort(&self, key: SortKey, reverse: bool) -> Result<Vec<u32>, ClientError> {
        let mut uids: Vec<u32> = self.with_connection(|c| c.selected().map(|s| s.uids().collect()).unwrap_or_default());
        if !matches!(key, SortKey::Arrival) {
            let summaries = self.fetch_summaries(&uids).await?;
            let sort_text = |summary: &MessageSummary| -> String {
                let address = |list: &[crate::client::types::Address]| {
                    list.first()
                        .map(|a| {
                            a.name
                                .clone()
                                .or_else(|| a.address.clone())
                                .unwrap_or_default()
                                .to_lowercase()
                        })
                        .unwrap_or_default()
                };
                match key {
                    SortKey::From | SortKey::DisplayFrom => address(&summary.envelope.from),
                    SortKey::To | SortKey::Cc => address(&summary.envelope.to),
                    SortKey::Subject => base_subject(summary.envelope.subject.as_deref().unwrap_or_default()),
                    _ => String::new(),
                }
            };
            let mut rows: Vec<(u32, String, u64, String)> = summaries
                .iter()
                .map(|summary| {
                    let date = summary
                        .envelope
                        .date
                        .clone()
                        .or_else(|| summary.internal_date.clone())
                        .unwrap_or_default();
                    (summary.uid, sort_text(summary), summary.size, date)
                })
                .collect();
            match key {
                SortKey::Size => rows.sort_by_key(|row| (row.2, row.0)),
                SortKey::Date => rows.sort_by(|a, b| a.3.cmp(&b.3).then(a.0.cmp(&b.0))),
                _ => rows.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0))),
            }
            uids = rows.into_iter().map(|row| row.0).collect();
        }
        if reverse {
            uids.reverse();
        }
        Ok(uids)
    }

    /// Conversations as UID trees: THREAD on the server, or threaded here by
    /// Message-ID and In-Reply-To when the server has no THREAD.
    pub async fn threads(&self, algorithm: &str) -> Result<Vec<ThreadTree>, ClientError> {
        let algorithm = match algorithm {
            "references" => ThreadAlgorithm::References,
            "orderedsubject" => ThreadAlgorithm::OrderedSubject,
            other => {
                return Err(ClientError::invalid_argument(format!(
                    "unknown thread algorithm `{other}`"
                )));
            }
        };
        let capability = match algorithm {
            ThreadAlgorithm::References => "THREAD=REFERENCES",
            ThreadAlgorithm::OrderedSubject => "THREAD=ORDEREDSUBJECT",
        };
        if self.has_capability(capability) {
            let command = Command::Thread {
                uid: true,
                algorithm,
                key: SearchKey::All,
            };
            let result = self.run(command, None).await?;
            return Ok(result.threads().iter().map(thread_tree).collect());
        }
        let uids: Vec<u32> = self.with_connection(|c| c.selected().map(|s| s.uids().collect()).unwrap_or_default());
        let summaries = self.fetch_summaries(&uids).await?;
        Ok(thread_locally(&summaries, algorithm))
    }

    /// UIDs of messages matching a query, in the selected mailbox.
    pub async fn search(&self, query: &SearchQuery) -> Result<Vec<u32>, ClientError> {
        let key = query.to_key()?;
        let esearch = self.has_capability("ESEARCH").then(|| vec!["ALL".to_owned()]);
        let mut uids = self
            .run(
                Command::Search {
                    uid: true,
                    key,
                    esearch,
                },
                None,
            )
            .await?
            .ids();
        uids.sort_unstable();
        Ok(uids)
    }

    /// UIDs matching search criteria written in IMAP syntax (for experts).
    pub async fn search_raw(&self, criteria: &str) -> Result<Vec<u32>, ClientError> {
        let command = Command::SearchRaw {
            uid: true,
            criteria: criteria.to_owned(),
        };
        let mut uids = self.run(command, None).await?.ids();
        uids.sort_unstable();
        Ok(uids)
    }
}

fn thread_tree(node: &ThreadNode) -> ThreadTree {
    ThreadTree {
        uid: node.id,
        children: node.children.iter().map(thread_tree).collect(),
    }
}

/// The subject without `Re:`/`Fwd:` prefixes and list tags, lower-cased (RFC 5256 in spirit).
fn base_subject(subject: &str) -> String {
    let mut rest = subject.trim();
    loop {
        let lower = rest.to_ascii_lowercase();
        let stripped = ["re:", "fwd:", "fw:", "aw:", "wg:", "sv:"]
            .iter()
            .find_map(|prefix| lower.starts_with(prefix).then(|| rest[prefix.len()..].trim_start()));
        let tag = (rest.starts_with('['))
            .then(|| rest.find(']').map(|end| rest[end + 1..].trim_start()))
            .flatten();
        match stripped.or(tag) {
            Some(next) if next.len() < rest.len() => rest = next,
            _ => return rest.to_lowercase(),
        }
    }
}

/// Threads by Message-ID/In-Reply-To (references) or by base subject.
fn thread_locally(summaries: &[MessageSummary], algorithm: ThreadAlgorithm) -> Vec<ThreadTree> {
    // (child, parent) pairs, found with sorted lists rather than hash maps (smaller wasm).
    let mut parent_of: Vec<(u32, u32)> = Vec::new();
    match algorithm {
        ThreadAlgorithm::References => {
            let mut by_id: Vec<(&str, u32)> = summaries
                .iter()
                .filter_map(|s| Some((s.envelope.message_id.as_deref()?, s.uid)))
                .collect();
            by_id.sort_unstable();
            for summary in summaries {
                let Some(parent_id) = summary.envelope.in_reply_to.as_deref() else {
                    continue;
                };
                if let Ok(index) = by_id.binary_search_by(|(id, _)| (*id).cmp(parent_id)) {
                    let parent = by_id[index].1;
                    if parent != summary.uid {
                        parent_of.push((summary.uid, parent));
                    }
                }
            }
        }
        ThreadAlgorithm::OrderedSubject => {
            let mut subjects: Vec<(String, usize)> = summaries
                .iter()
                .enumerate()
                .map(|(index, s)| (base_subject(s.envelope.subject.as_deref().unwrap_or_default()), index))
                .collect();
            subjects.sort();
            for group in subjects.chunk_by(|a, b| a.0 == b.0) {
                let root = summaries[group[0].1].uid;
                parent_of.extend(group[1..].iter().map(|(_, index)| (summaries[*index].uid, root)));
            }
        }
    }
    parent_of.sort_unstable();
    let mut children: Vec<(u32, u32)> = parent_of.iter().map(|&(child, parent)| (parent, child)).collect();
    children.sort_unstable();
    fn build(uid: u32, children: &[(u32, u32)], depth: usize) -> ThreadTree {
        let start = children.partition_point(|&(parent, _)| parent < uid);
        let kids = children[start..].iter().take_while(|&&(parent, _)| parent == uid);
        ThreadTree {
            uid: Some(uid),
            children: if depth > 64 {
                Vec::new()
            } else {
                kids.map(|&(_, kid)| build(kid, children, depth + 1)).collect()
            },
        }
    }
    summaries
        .iter()
        .filter(|summary| {
            parent_of
                .binary_search_by_key(&summary.uid, |&(child, _)| child)
                .is_err()
        })
        .map(|summary| build(summary.uid, &children, 0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_become_search_keys() {
        let query: SearchQuery = SearchQuery {
            from: Some("bob".into()),
            seen: Some(false),
            since: Some("2024-02-01".into()),
            or: Some(vec![
                SearchQuery {
                    subject: Some("a".into()),
                    ..SearchQuery::default()
                },
                SearchQuery {
                    subject: Some("b".into()),
                    ..SearchQuery::default()
                },
                SearchQuery {
                    subject: Some("c".into()),
                    ..SearchQuery::default()
                },
            ]),
            ..SearchQuery::default()
        };
        let key = query.to_key().unwrap();
        let SearchKey::And(keys) = key else { panic!() };
        assert_eq!(keys[0], SearchKey::From("bob".into()));
        assert!(matches!(keys.last(), Some(SearchKey::Or(_, rest)) if matches!(**rest, SearchKey::Or(_, _))));
        assert!(
            SearchQuery {
                since: Some("yesterday".into()),
                ..SearchQuery::default()
            }
            .to_key()
            .is_err()
        );
        assert_eq!(SearchQuery::default().to_key().unwrap(), SearchKey::All);
    }

    #[test]
    fn base_subjects_drop_reply_prefixes_and_tags() {
        assert_eq!(base_subject("Re: Fwd: [list] Hello"), "hello");
        assert_eq!(base_subject("AW: Re: Budget"), "budget");
    }
}
