//! Writes generated messages as Dovecot Maildir (`LAYOUT=fs`), bypassing IMAP.
//!
//! Loading 50,000 messages by APPEND is quadratic on Maildir; writing the files
//! with a prepared `dovecot-uidlist` is linear and gives deterministic UIDs.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use client_wasm::codec::mutf7;

use super::{FOLDERS, FolderSummary, GeneratedMessage, KEYWORDS};

/// Folders Dovecot creates and subscribes itself (the special-use ones).
const AUTO_SUBSCRIBED: [&str; 5] = ["Drafts", "Sent", "Trash", "Junk", "Archive"];

struct FolderFiles {
    dir: PathBuf,
    uidlist: String,
    summary: FolderSummary,
    last_uid: u32,
}

/// Writes `messages` below `root` and returns the per-folder counts in [`FOLDERS`] order.
pub(crate) fn write(
    root: &Path,
    seed: u64,
    messages: impl Iterator<Item = GeneratedMessage>,
) -> io::Result<Vec<FolderSummary>> {
    let mut folders: BTreeMap<&'static str, FolderFiles> = BTreeMap::new();
    for message in messages {
        let folder = match folders.entry(message.folder) {
            std::collections::btree_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::btree_map::Entry::Vacant(entry) => entry.insert(create_folder(root, message.folder)?),
        };
        let base = format!(
            "{}.M{}P{seed}.corpus,S={size},W={size}",
            message.date,
            message.uid,
            size = message.raw.len()
        );
        let file_name = format!("{base}:2,{}", maildir_flags(&message));
        let mut file = File::create(folder.dir.join("cur").join(&file_name))?;
        file.write_all(&message.raw)?;
        // Maildir keeps INTERNALDATE in the file's modification time.
        file.set_modified(UNIX_EPOCH + Duration::from_secs(message.date.max(0) as u64))?;
        let _ = writeln!(folder.uidlist, "{} :{base}", message.uid);
        folder.last_uid = message.uid;
        folder.summary.messages += 1;
        if !message.flags.contains(&"\\Seen") {
            folder.summary.unseen += 1;
        }
    }

    let keyword_file: String = KEYWORDS
        .iter()
        .enumerate()
        .map(|(index, keyword)| format!("{index} {keyword}\n"))
        .collect();
    // INBOX is subscribed, as every real account has it.
    let mut subscriptions = String::from("INBOX\n");
    let mut summaries = Vec::new();
    for (position, (name, _)) in FOLDERS.iter().enumerate() {
        let Some(folder) = folders.remove(name) else {
            continue;
        };
        // Version 3 header: UIDVALIDITY and the next UID; one "<uid> :<file>" line per message.
        let uid_validity = 1_700_000_000 + position as u64 + seed % 1000 * 16;
        let header = format!("3 V{uid_validity} N{}\n", folder.last_uid + 1);
        fs::write(folder.dir.join("dovecot-uidlist"), header + &folder.uidlist)?;
        fs::write(folder.dir.join("dovecot-keywords"), &keyword_file)?;
        if *name != "INBOX" && !AUTO_SUBSCRIBED.contains(name) {
            subscriptions.push_str(&mutf7::encode(name));
            subscriptions.push('\n');
        }
        summaries.push(folder.summary);
    }
    fs::create_dir_all(root)?;
    fs::write(root.join("subscriptions"), subscriptions)?;
    Ok(summaries)
}

fn create_folder(root: &Path, name: &str) -> io::Result<FolderFiles> {
    let dir = if name == "INBOX" {
        root.to_owned()
    } else {
        name.split('/')
            .fold(root.to_owned(), |dir, part| dir.join(mutf7::encode(part)))
    };
    for sub in ["cur", "new", "tmp"] {
        fs::create_dir_all(dir.join(sub))?;
    }
    Ok(FolderFiles {
        dir,
        uidlist: String::new(),
        summary: FolderSummary {
            name: name.to_owned(),
            messages: 0,
            unseen: 0,
        },
        last_uid: 0,
    })
}

/// Maildir info letters, which must be in ASCII order: system flags, then keyword letters.
fn maildir_flags(message: &GeneratedMessage) -> String {
    let mut letters: Vec<char> = message
        .flags
        .iter()
        .filter_map(|flag| match *flag {
            "\\Draft" => Some('D'),
            "\\Flagged" => Some('F'),
            "\\Answered" => Some('R'),
            "\\Seen" => Some('S'),
            _ => None,
        })
        .collect();
    for keyword in &message.keywords {
        if let Some(index) = KEYWORDS.iter().position(|k| k == keyword) {
            letters.push(char::from(b'a' + index as u8));
        }
    }
    letters.sort_unstable();
    letters.into_iter().collect()
}
