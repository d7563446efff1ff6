//! `format=flowed` (RFC 3676, DelSp=no) for the text part: paragraphs wrap at
//! 72 columns with a trailing space on each soft break, so readers that know
//! flowed text rejoin them and the rest still see tidy lines; quotes keep their
//! `>` on every wrapped line.

/// Where lines wrap (Roundcube's and Thunderbird's default).
pub(crate) const WIDTH: usize = 72;

/// The text encoded as flowed lines, CRLF-terminated.
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16 + 2);
    let normalized = text.replace("\r\n", "\n").replace('\r', "\n");
    let normalized = normalized.strip_suffix('\n').unwrap_or(&normalized);
    for line in normalized.split('\n') {
        // The signature separator keeps its trailing space and is never flowed.
        if line == "-- " {
            out.push_str("-- \r\n");
            continue;
        }
        let depth = line.bytes().take_while(|&b| b == b'>').count();
        let rest = &line[depth..];
        let rest = if depth > 0 {
            rest.strip_prefix(' ').unwrap_or(rest)
        } else {
            rest
        };
        // Trailing spaces would make a hard line break look soft.
        let rest = rest.trim_end_matches(' ');
        let prefix = ">".repeat(depth);
        let width = WIDTH.saturating_sub(depth + 1).max(20);
        for segment in wrap(rest, width) {
            out.push_str(&prefix);
            // Space-stuffing (RFC 3676 4.4): a quote's marks are followed by a
            // space; an unquoted line that starts with a space or "From " gets one.
            if depth > 0 && !segment.is_empty()
                || depth == 0 && (segment.starts_with(' ') || segment.starts_with("From "))
            {
                out.push(' ');
            }
            out.push_str(segment);
            out.push_str("\r\n");
        }
    }
    out
}

/// Cuts `line` into pieces of at most `width` characters at spaces; every piece
/// but the last keeps the space it was cut at (the soft break). A word longer
/// than `width` stays whole.
fn wrap(line: &str, width: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = line;
    while rest.chars().count() > width {
        let limit = rest.char_indices().nth(width).map_or(rest.len(), |(at, _)| at);
        let cut = rest[..limit]
            .rfind(' ')
            .filter(|&at| at > 0)
            .or_else(|| rest[limit..].find(' ').map(|at| at + limit));
        let Some(cut) = cut else { break };
        pieces.push(&rest[..=cut]);
        rest = &rest[cut + 1..];
    }
    pieces.push(rest);
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_paragraphs_wrap_with_soft_breaks_that_rejoin() {
        let paragraph = "word ".repeat(40);
        let flowed = encode(paragraph.trim_end());
        let lines: Vec<&str> = flowed.split("\r\n").filter(|line| !line.is_empty()).collect();
        assert!(lines.len() > 2);
        assert!(lines.iter().all(|line| line.chars().count() <= WIDTH));
        assert!(lines[..lines.len() - 1].iter().all(|line| line.ends_with(' ')));
        assert!(!lines.last().unwrap().ends_with(' '));
        assert_eq!(lines.concat(), paragraph.trim_end());
    }

    #[test]
    fn quotes_signatures_and_special_starts_are_kept_apart() {
        let text = "On Monday, Bob wrote:\n> a quoted line\n>> deeper  \nFrom here on\n leading space\n-- \nAlice";
        assert_eq!(
            encode(text),
            "On Monday, Bob wrote:\r\n> a quoted line\r\n>> deeper\r\n From here on\r\n  leading space\r\n-- \r\nAlice\r\n"
        );
        let long_quote = format!("> {}", "quoted ".repeat(20));
        for line in encode(&long_quote).split("\r\n").filter(|line| !line.is_empty()) {
            assert!(line.starts_with("> "), "{line:?}");
        }
    }

    #[test]
    fn a_word_longer_than_a_line_stays_whole() {
        let url = format!("https://example.org/{}", "a".repeat(100));
        assert_eq!(encode(&format!("see {url} now")), format!("see \r\n{url} \r\nnow\r\n"));
    }
}
