//! Splits the server's byte stream into whole responses before anything parses them.
//!
//! A response is a line plus every literal it announces (`{n}`, `{n+}`, `~{n}`),
//! ended by CRLF (a bare LF is tolerated). Framing first means one malformed
//! response is dropped alone at its own boundary, the parser only ever sees
//! complete input (no "need more" states), and memory is bounded: a response
//! that would exceed the size limit (a literal announced as gigabytes, a line
//! that never ends) is reported the moment it is known to, and framing stops
//! there, since nothing after it can be trusted to start on a boundary.

use std::ops::Range;

/// The default largest response held (a fetched part larger than this must be
/// fetched in partial ranges, which the client API does).
pub const DEFAULT_MAX_RESPONSE: usize = 64 * 1024 * 1024;

/// What the framer found next in the stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A complete response; the bytes are at this range of [`Framer::buffer`]
    /// until the next call to [`Framer::next_frame`].
    Response(Range<usize>),
    /// The response is longer than the limit: at least this many bytes, as
    /// received so far or as its literals announce. Framing ends here.
    Oversized {
        /// Bytes the response has at least.
        bytes: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Scanning a line of the current response from `scan`.
    Line,
    /// Inside a literal: this many bytes remain.
    Literal(usize),
}

/// Incremental framer over a growable buffer.
#[derive(Debug)]
pub struct Framer {
    buffer: Vec<u8>,
    /// Start of the response being framed.
    start: usize,
    /// How far the current response has been scanned.
    scan: usize,
    state: State,
    max_response: usize,
    /// Set once an oversized response was reported: nothing more is framed.
    stopped: bool,
}

impl Default for Framer {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_RESPONSE)
    }
}

impl Framer {
    /// A framer that refuses responses larger than `max_response` bytes.
    pub fn new(max_response: usize) -> Self {
        Self {
            buffer: Vec::new(),
            start: 0,
            scan: 0,
            state: State::Line,
            max_response,
            stopped: false,
        }
    }

    /// Appends received bytes (ignored once an oversized response was reported).
    pub fn push(&mut self, bytes: &[u8]) {
        if self.stopped {
            return;
        }
        if self.start > 0 && self.start >= self.buffer.len() / 2 {
            // Drop consumed bytes before growing, so the buffer holds about one response.
            self.buffer.drain(..self.start);
            self.scan -= self.start;
            self.start = 0;
        }
        self.buffer.extend_from_slice(bytes);
    }

    /// The framer's buffer; [`Frame::Response`] ranges index into it.
    pub fn buffer(&self) -> &[u8] {
        &self.buffer
    }

    /// Bytes received but not yet framed (a partial response).
    pub fn pending(&self) -> usize {
        self.buffer.len() - self.start
    }

    /// True when a response has started but not finished (used for literal timeouts).
    pub fn in_progress(&self) -> bool {
        self.pending() > 0
    }

    /// Removes and returns the bytes after the last complete response. Used when
    /// the stream changes form mid-read (COMPRESS): those bytes need decoding first.
    pub fn take_unframed(&mut self) -> Vec<u8> {
        let rest = self.buffer.split_off(self.start);
        self.buffer.clear();
        self.start = 0;
        self.scan = 0;
        self.state = State::Line;
        rest
    }

    /// The next complete response, if the buffer holds one.
    pub fn next_frame(&mut self) -> Option<Frame> {
        if self.stopped {
            return None;
        }
        loop {
            match self.state {
                State::Literal(remaining) => {
                    let available = self.buffer.len() - self.scan;
                    if available < remaining {
                        self.scan = self.buffer.len();
                        self.state = State::Literal(remaining - available);
                        return None;
                    }
                    self.scan += remaining;
                    self.state = State::Line;
                }
                State::Line => {
                    let Some(newline) = self.buffer[self.scan..].iter().position(|&b| b == b'\n') else {
                        self.scan = self.buffer.len();
                        return self.stop_if_over(self.scan - self.start);
                    };
                    let line_end = self.scan + newline;
                    self.scan = line_end + 1;
                    if let Some(length) = announced_literal(&self.buffer[self.start..line_end]) {
                        // Judged by what is announced, before a byte of it is held.
                        let total = (self.scan - self.start).saturating_add(length);
                        if let Some(oversized) = self.stop_if_over(total) {
                            return Some(oversized);
                        }
                        self.state = State::Literal(length);
                        continue;
                    }
                    let range = self.start..self.scan;
                    if let Some(oversized) = self.stop_if_over(range.len()) {
                        return Some(oversized);
                    }
                    self.start = self.scan;
                    return Some(Frame::Response(range));
                }
            }
        }
    }

    /// Reports (once) and stops framing when the current response has `bytes` over the limit.
    fn stop_if_over(&mut self, bytes: usize) -> Option<Frame> {
        if bytes <= self.max_response {
            return None;
        }
        self.stopped = true;
        self.buffer = Vec::new();
        self.start = 0;
        self.scan = 0;
        Some(Frame::Oversized { bytes })
    }
}

/// If `line` (without its LF) ends with a literal announcement, its length.
///
/// Accepts `{n}`, `{n+}` and `~{n}` with an optional CR. Only the line's end
/// counts: a `{` inside a quoted string ends in `"`, never in `}`.
fn announced_literal(line: &[u8]) -> Option<usize> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let digits = &inner[open + 1..];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    digits.iter().try_fold(0usize, |acc, &d| {
        acc.checked_mul(10)?.checked_add(usize::from(d - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(framer: &mut Framer) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(frame) = framer.next_frame() {
            match frame {
                Frame::Response(range) => out.push(framer.buffer()[range].to_vec()),
                Frame::Oversized { bytes } => out.push(format!("<oversized {bytes}>").into_bytes()),
            }
        }
        out
    }

    #[test]
    fn lines_and_literals_make_one_response() {
        let stream = b"* OK hi\r\n* 1 FETCH (BODY[] {5}\r\nab\r\nc UID 4)\r\na1 OK done\r\n";
        let mut framer = Framer::default();
        framer.push(stream);
        assert_eq!(
            frames(&mut framer),
            vec![
                b"* OK hi\r\n".to_vec(),
                b"* 1 FETCH (BODY[] {5}\r\nab\r\nc UID 4)\r\n".to_vec(),
                b"a1 OK done\r\n".to_vec()
            ]
        );
    }

    #[test]
    fn every_split_point_gives_the_same_frames() {
        let stream: &[u8] =
            b"* 2 FETCH (BODY[HEADER] {10}\r\n0123456789 FLAGS (\\Seen) X ~{3}\r\n\r\n\n)\r\n+ \r\n* BYE\n";
        let mut whole = Framer::default();
        whole.push(stream);
        let expected = frames(&mut whole);
        for split in 0..stream.len() {
            let mut framer = Framer::default();
            framer.push(&stream[..split]);
            let mut got = frames(&mut framer);
            framer.push(&stream[split..]);
            got.extend(frames(&mut framer));
            assert_eq!(got, expected, "split at {split}");
        }
    }

    #[test]
    fn a_literal_announced_past_the_limit_is_refused_before_it_arrives() {
        let mut framer = Framer::new(64);
        framer.push(b"* OK fine\r\n* 1 FETCH (BODY[] {5000000000}\r\nxx");
        assert_eq!(
            frames(&mut framer),
            vec![b"* OK fine\r\n".to_vec(), b"<oversized 5000000032>".to_vec()]
        );
        framer.push(&[b'x'; 100]);
        assert_eq!(framer.next_frame(), None, "nothing after it is framed");
        assert!(framer.buffer().is_empty());
    }

    #[test]
    fn a_line_that_never_ends_is_refused_once_past_the_limit() {
        let mut framer = Framer::new(64);
        framer.push(b"* OK ");
        assert_eq!(framer.next_frame(), None);
        for _ in 0..2 {
            framer.push(&[b'x'; 40]);
        }
        assert_eq!(framer.next_frame(), Some(Frame::Oversized { bytes: 85 }));
        assert!(framer.buffer().len() < 200);
    }

    #[test]
    fn braces_that_are_not_announcements_are_text() {
        let mut framer = Framer::default();
        framer.push(b"* OK [ALERT] use {braces}\r\n* OK {12x}\r\n");
        assert_eq!(frames(&mut framer).len(), 2);
        assert_eq!(announced_literal(b"* X {99999999999999999999}"), None);
    }

    #[test]
    fn a_literal_longer_than_the_data_waits() {
        // rambler-literal-length-too-long: the framer cannot know; the engine's timeout decides.
        let mut framer = Framer::default();
        framer.push(b"* 1 FETCH (BODY[] {100}\r\nshort)\r\n");
        assert_eq!(framer.next_frame(), None);
        assert!(framer.in_progress());
    }
}
