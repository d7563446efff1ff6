//! The layering `src/lib.rs` promises, checked on the source: each module imports
//! only from the layers below it, so the engine never learns about the client,
//! the codec never about the engine, and a second protocol can reuse the lower
//! layers as they are. Test modules (after `#[cfg(test)]`) may import anything.

use std::fs;
use std::path::{Path, PathBuf};

/// The crate's top-level modules, lowest first: a module may import from a
/// module of a lower rank, never from one of the same or a higher rank.
const LAYERS: [(&str, u8); 6] = [
    ("codec", 0),
    ("mailbox", 1),
    ("mime", 1),
    ("engine", 2),
    ("client", 3),
    ("wasm", 4),
];

/// The codec's own modules, lowest first: bytes and types, then the lexer and
/// the writer, then the grammar of FETCH and SEARCH, then the response parser.
const CODEC_LAYERS: [(&str, u8); 8] = [
    ("types", 0),
    ("mutf7", 0),
    ("framer", 0),
    ("lexer", 1),
    ("encode", 1),
    ("fetch", 2),
    ("search", 2),
    ("parse", 3),
];

fn rank(table: &[(&str, u8)], name: &str) -> Option<u8> {
    table.iter().find(|(known, _)| *known == name).map(|(_, rank)| *rank)
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("source directory") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a source file: `src/codec/fetch.rs` is `["codec", "fetch"]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if parts.last().is_some_and(|last| last == "mod" || last == "lib") {
        parts.pop();
    }
    parts
}

/// The modules a line names through `crate::a::b` or `super::b` (resolved from `module`).
fn references(line: &str, module: &[String]) -> Vec<Vec<String>> {
    // `module_of` drops `mod`, so `super` is always the module path minus its last name.
    let parent = module[..module.len().saturating_sub(1)].to_vec();
    let mut found = Vec::new();
    for (prefix, base) in [("crate::", Vec::new()), ("super::", parent)] {
        let mut rest = line;
        while let Some(at) = rest.find(prefix) {
            let before = rest[..at].chars().last();
            rest = &rest[at + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let names: Vec<String> = rest
                .split("::")
                .take(2)
                .map(|name| name.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect())
                .take_while(|name: &String| !name.is_empty())
                .collect();
            let mut target = base.clone();
            target.extend(names);
            found.push(target);
        }
    }
    found
}

/// Why `from` may not import `to`, if it may not.
fn violation(from: &[String], to: &[String]) -> Option<String> {
    let (Some(from_top), Some(to_top)) = (from.first(), to.first()) else {
        return None;
    };
    if from_top != to_top {
        let (Some(from_rank), Some(to_rank)) = (rank(&LAYERS, from_top), rank(&LAYERS, to_top)) else {
            return None;
        };
        return (to_rank >= from_rank).then(|| format!("`{from_top}` may not import from `{to_top}`"));
    }
    if from_top != "codec" {
        return None;
    }
    let (Some(from_sub), Some(to_sub)) = (from.get(1), to.get(1)) else {
        return None;
    };
    if from_sub == to_sub {
        return None;
    }
    let (Some(from_rank), Some(to_rank)) = (rank(&CODEC_LAYERS, from_sub), rank(&CODEC_LAYERS, to_sub)) else {
        return Some(format!(
            "`codec::{from_sub}` or `codec::{to_sub}` is missing from CODEC_LAYERS"
        ));
    };
    (to_rank >= from_rank).then(|| format!("`codec::{from_sub}` may not import from `codec::{to_sub}`"))
}

#[test]
fn every_module_imports_only_from_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut problems = Vec::new();
    for file in &files {
        let module = module_of(&src, file);
        let text = fs::read_to_string(file).expect("source");
        for (number, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("#[cfg(test)]") {
                break;
            }
            if line.trim_start().starts_with("//") {
                continue;
            }
            for target in references(line, &module) {
                if let Some(why) = violation(&module, &target) {
                    problems.push(format!("{}:{}: {why}: {}", file.display(), number + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "imports that go up a layer:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_check_sees_an_upward_import() {
    let codec = vec!["codec".to_owned(), "fetch".to_owned()];
    let line = "use crate::client::types::Attachment;";
    let targets = references(line, &codec);
    assert_eq!(targets, vec![vec!["client".to_owned(), "types".to_owned()]]);
    assert!(violation(&codec, &targets[0]).is_some());
    let sibling = references("use super::parse::flag_list;", &codec);
    assert_eq!(
        violation(&codec, &sibling[0]),
        Some("`codec::fetch` may not import from `codec::parse`".into())
    );
    let down = references("use super::lexer::Cursor;", &codec);
    assert_eq!(violation(&codec, &down[0]), None);
}
