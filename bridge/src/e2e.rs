//! The gate for end-to-end upstreams, where TLS runs in the page and the bridge
//! relays ciphertext it cannot read.
//!
//! The bridge cannot see inside the session, but it can make sure one starts:
//! the first thing the page sends must be a TLS ClientHello naming the
//! configured server (after a plaintext `CAPABILITY`/`STARTTLS` exchange in the
//! IMAP STARTTLS variant, or `EHLO`/`STARTTLS` in SMTP's). A page that sends
//! IMAP or SMTP instead (a plaintext `LOGIN` or `AUTH`, say) is cut off before
//! those bytes reach the server. Sans-IO: the relay feeds
//! bytes in both directions and forwards what `handle_page` hands back.

use bytes::{Bytes, BytesMut};
use webmail_wire::printable;

/// Longest plaintext command line accepted before STARTTLS.
const MAX_COMMAND_LINE: usize = 256;
/// Longest server line looked at while waiting for the STARTTLS answer.
const MAX_SERVER_LINE: usize = 8192;
/// A TLS record header: content type, version, length.
const RECORD_HEADER: usize = 5;
/// Largest TLS plaintext record (RFC 8446 section 5.1).
const MAX_RECORD: usize = 16384;

/// How the page reaches the server in an end-to-end upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// TLS from the first byte (port 993).
    Implicit,
    /// The page sends STARTTLS in plaintext, then TLS (port 143).
    Starttls,
    /// SMTP submission: the page reads the greeting, sends EHLO and STARTTLS
    /// in plaintext, then TLS (port 587).
    SmtpStarttls,
}

/// Why the gate ended a session; the page sees it as the close reason (4013).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The first bytes were not a TLS handshake record.
    #[error("the page did not start TLS (expected a TLS ClientHello)")]
    NotTls,
    /// A handshake record whose ClientHello does not parse.
    #[error("the page sent a malformed ClientHello")]
    MalformedHello,
    /// The ClientHello carries no server_name extension.
    #[error("the ClientHello names no server (SNI)")]
    NoServerName,
    /// The ClientHello names another server (printable, cut to 64 characters).
    #[error("the ClientHello names `{0}`, not this upstream")]
    WrongServer(String),
    /// A plaintext command other than CAPABILITY, NOOP, LOGOUT or STARTTLS (for
    /// SMTP: EHLO, NOOP, QUIT or STARTTLS), or one with arguments it does not take.
    #[error("plaintext `{0}` refused: this upstream needs TLS from the page first")]
    Command(String),
    /// A plaintext line longer than a short command.
    #[error("plaintext before STARTTLS is limited to short commands")]
    LongLine,
    /// A second command before the server answered the first, or bytes after STARTTLS
    /// before its answer: the answer could no longer be told apart.
    #[error("the page sent more before the server answered its command")]
    Pipelined,
    /// The server's answer to STARTTLS was not OK (or answered another tag, or
    /// was not SMTP's 220).
    #[error("the server did not accept STARTTLS")]
    StarttlsRefused,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// Plaintext commands before STARTTLS (STARTTLS variants only), strictly one
    /// at a time: `Some(tag)` while the server has not answered the last one, so
    /// an answer can only belong to the one command in flight. SMTP has no tags
    /// (the tag is empty): its replies come in order, and the greeting counts as
    /// the first one awaited.
    Commands { in_flight: Option<Vec<u8>> },
    /// STARTTLS sent with this tag (empty for SMTP); waiting for the server's answer.
    AwaitingStarttls(Vec<u8>),
    /// The next bytes must be a ClientHello.
    ClientHello,
    /// Verified: everything is relayed untouched.
    Open,
    /// The server did not accept STARTTLS: nothing more goes through.
    Shut,
}

/// Checks the start of an end-to-end session.
#[derive(Debug)]
pub struct Gate {
    phase: Phase,
    /// SMTP's plaintext rules rather than IMAP's.
    smtp: bool,
    /// The name the ClientHello's SNI must carry; `None` when the server is an IP address.
    server_name: Option<String>,
    /// Page bytes held until they form a whole line or a whole ClientHello.
    held: BytesMut,
    /// Server bytes of the current line while a command is in flight.
    server_line: Vec<u8>,
}

impl Gate {
    /// A gate for a server reached as `server_name` (None for an IP address).
    pub fn new(start: Start, server_name: Option<String>) -> Self {
        Self {
            phase: match start {
                Start::Implicit => Phase::ClientHello,
                Start::Starttls => Phase::Commands { in_flight: None },
                Start::SmtpStarttls => Phase::Commands {
                    in_flight: Some(Vec::new()),
                },
            },
            smtp: start == Start::SmtpStarttls,
            server_name: server_name.map(|name| name.trim_end_matches('.').to_ascii_lowercase()),
            held: BytesMut::new(),
            server_line: Vec::new(),
        }
    }

    /// True once a valid ClientHello went through.
    pub fn is_open(&self) -> bool {
        self.phase == Phase::Open
    }

    /// Takes bytes from the page; returns what may go to the server now (possibly
    /// nothing while a line or ClientHello is incomplete), or why the session must end.
    pub fn handle_page(&mut self, data: Bytes) -> Result<Bytes, Refusal> {
        if self.phase == Phase::Open {
            return Ok(data);
        }
        self.held.extend_from_slice(&data);
        match self.phase {
            Phase::Commands { in_flight: None } => self.take_command(),
            Phase::Commands { in_flight: Some(_) } | Phase::AwaitingStarttls(_) => Err(Refusal::Pipelined),
            Phase::ClientHello => self.take_client_hello(),
            Phase::Shut => Err(Refusal::StarttlsRefused),
            Phase::Open => unreachable!("handled above"),
        }
    }

    /// Looks at bytes from the server for the tagged answer to the command in flight.
    ///
    /// Only a tagged line with the STARTTLS command's own tag and status OK lets a
    /// ClientHello through; any other tagged answer while STARTTLS is pending shuts
    /// the gate for the rest of the session.
    pub fn handle_server(&mut self, data: &[u8]) {
        for &byte in data {
            let tag = match &self.phase {
                Phase::Commands { in_flight: Some(tag) } | Phase::AwaitingStarttls(tag) => tag,
                _ => return,
            };
            if byte != b'\n' {
                if self.server_line.len() < MAX_SERVER_LINE {
                    self.server_line.push(byte);
                }
                continue;
            }
            let line = std::mem::take(&mut self.server_line);
            if self.smtp {
                self.smtp_reply_line(&line);
                continue;
            }
            let mut words = line.split(|&b| b == b' ');
            let first = words.next().unwrap_or_default();
            if first == b"*" || first == b"+" {
                continue;
            }
            let own_tag = first == tag.as_slice();
            let ok = own_tag && words.next().is_some_and(|status| status.eq_ignore_ascii_case(b"OK"));
            match self.phase {
                Phase::AwaitingStarttls(_) if ok => self.phase = Phase::ClientHello,
                // A NO, a BAD or another tag's answer: no TLS in this session.
                Phase::AwaitingStarttls(_) => self.phase = Phase::Shut,
                _ if own_tag => self.phase = Phase::Commands { in_flight: None },
                // A tagged line for nothing the page sent: keep waiting for the real answer.
                _ => {}
            }
        }
    }

    /// One line of an SMTP reply: its last line (`NNN text`, not `NNN-text`)
    /// answers the command in flight, and only a 220 to STARTTLS opens the way.
    fn smtp_reply_line(&mut self, line: &[u8]) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let last = line.len() >= 3 && line.get(3).is_none_or(|&b| b == b' ');
        if !last {
            return;
        }
        self.phase = match self.phase {
            Phase::AwaitingStarttls(_) if line.starts_with(b"220") => Phase::ClientHello,
            Phase::AwaitingStarttls(_) => Phase::Shut,
            _ => Phase::Commands { in_flight: None },
        };
    }

    /// Passes one complete plaintext SMTP command: EHLO with its domain, NOOP,
    /// QUIT or STARTTLS.
    fn take_smtp_command(&mut self, line: Bytes) -> Result<Bytes, Refusal> {
        let text = line
            .strip_suffix(b"\r\n")
            .or_else(|| line.strip_suffix(b"\n"))
            .unwrap_or(&line);
        let mut words = text.split(|&b| b == b' ');
        let command = words.next().unwrap_or_default();
        let arguments: Vec<&[u8]> = words.collect();
        let domain_ok = |arguments: &[&[u8]]| matches!(arguments, [domain] if !domain.is_empty() && domain.iter().all(|b| b.is_ascii_graphic()));
        let allowed = if command.eq_ignore_ascii_case(b"EHLO") {
            domain_ok(&arguments)
        } else {
            arguments.is_empty()
                && [b"NOOP".as_slice(), b"QUIT", b"STARTTLS"]
                    .iter()
                    .any(|verb| command.eq_ignore_ascii_case(verb))
        };
        if !allowed {
            return Err(refused_command(command));
        }
        self.phase = if command.eq_ignore_ascii_case(b"STARTTLS") {
            Phase::AwaitingStarttls(Vec::new())
        } else {
            Phase::Commands {
                in_flight: Some(Vec::new()),
            }
        };
        Ok(line)
    }

    /// Passes one complete plaintext command, if it is one the STARTTLS start allows.
    fn take_command(&mut self) -> Result<Bytes, Refusal> {
        let Some(end) = self.held.iter().position(|&b| b == b'\n') else {
            if self.held.len() > MAX_COMMAND_LINE {
                return Err(Refusal::LongLine);
            }
            return Ok(Bytes::new());
        };
        if self.held.len() > end + 1 {
            return Err(Refusal::Pipelined);
        }
        let line = self.held.split().freeze();
        if self.smtp {
            return self.take_smtp_command(line);
        }
        let text = line
            .strip_suffix(b"\r\n")
            .or_else(|| line.strip_suffix(b"\n"))
            .unwrap_or(&line);
        let mut words = text.split(|&b| b == b' ');
        let tag = words.next().unwrap_or_default();
        let command = words.next().unwrap_or_default();
        let has_arguments = words.next().is_some();
        let valid_tag = !tag.is_empty() && tag.iter().all(|b| b.is_ascii_alphanumeric() || b".-_".contains(b));
        if !valid_tag || has_arguments {
            return Err(refused_command(command));
        }
        self.phase = if command.eq_ignore_ascii_case(b"STARTTLS") {
            Phase::AwaitingStarttls(tag.to_vec())
        } else if command.eq_ignore_ascii_case(b"CAPABILITY")
            || command.eq_ignore_ascii_case(b"NOOP")
            || command.eq_ignore_ascii_case(b"LOGOUT")
        {
            Phase::Commands {
                in_flight: Some(tag.to_vec()),
            }
        } else {
            return Err(refused_command(command));
        };
        Ok(line)
    }

    /// Passes the held bytes once they hold a whole ClientHello with the right SNI.
    fn take_client_hello(&mut self) -> Result<Bytes, Refusal> {
        match client_hello_sni(&self.held)? {
            None => Ok(Bytes::new()),
            Some(sni) => {
                if let Some(expected) = &self.server_name {
                    let sni = sni.ok_or(Refusal::NoServerName)?;
                    if sni.trim_end_matches('.').to_ascii_lowercase() != *expected {
                        return Err(Refusal::WrongServer(printable(sni.as_bytes(), 64)));
                    }
                }
                self.phase = Phase::Open;
                Ok(self.held.split().freeze())
            }
        }
    }
}

fn refused_command(command: &[u8]) -> Refusal {
    Refusal::Command(printable(&command.to_ascii_uppercase(), 20))
}

/// Reads a ClientHello record: `Ok(None)` while incomplete, `Ok(Some(sni))` when
/// whole (with the SNI host name if present), `Err` when it is not a ClientHello.
fn client_hello_sni(bytes: &[u8]) -> Result<Option<Option<String>>, Refusal> {
    if bytes.first().is_some_and(|&b| b != 0x16) || bytes.get(1).is_some_and(|&b| b != 0x03) {
        return Err(Refusal::NotTls);
    }
    if bytes.len() < RECORD_HEADER {
        return Ok(None);
    }
    let length = usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
    if length > MAX_RECORD {
        return Err(Refusal::NotTls);
    }
    let Some(record) = bytes.get(RECORD_HEADER..RECORD_HEADER + length) else {
        return Ok(None);
    };
    let mut reader = Reader(record);
    let malformed = || Refusal::MalformedHello;
    if reader.u8() != Some(1) {
        return Err(Refusal::NotTls);
    }
    let body_length = reader.u24().ok_or_else(malformed)?;
    let mut hello = Reader(reader.take(body_length).ok_or_else(malformed)?);
    hello.take(2 + 32).ok_or_else(malformed)?; // legacy_version, random
    hello.vector8().ok_or_else(malformed)?; // legacy_session_id
    hello.vector16().ok_or_else(malformed)?; // cipher_suites
    hello.vector8().ok_or_else(malformed)?; // legacy_compression_methods
    let mut extensions = Reader(hello.vector16().unwrap_or_default());
    while !extensions.0.is_empty() {
        let kind = extensions.u16().ok_or_else(malformed)?;
        let data = extensions.vector16().ok_or_else(malformed)?;
        if kind == 0 {
            return server_name_extension(data)
                .map(|name| Some(Some(name)))
                .ok_or_else(malformed);
        }
    }
    Ok(Some(None))
}

/// The host name in a server_name extension (RFC 6066 section 3).
fn server_name_extension(data: &[u8]) -> Option<String> {
    let mut list = Reader(Reader(data).vector16()?);
    while !list.0.is_empty() {
        let kind = list.u8()?;
        let name = list.vector16()?;
        if kind == 0 {
            return String::from_utf8(name.to_vec()).ok();
        }
    }
    None
}

/// A cursor over TLS's length-prefixed encoding.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u16(&mut self) -> Option<usize> {
        self.take(2).map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
    }

    fn u24(&mut self) -> Option<usize> {
        self.take(3)
            .map(|b| usize::from(b[0]) << 16 | usize::from(b[1]) << 8 | usize::from(b[2]))
    }

    fn vector8(&mut self) -> Option<&'a [u8]> {
        let n = usize::from(self.u8()?);
        self.take(n)
    }

    fn vector16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use webmail_testkit::pki::client_hello;

    fn feed(gate: &mut Gate, data: &[u8]) -> Result<Vec<u8>, Refusal> {
        gate.handle_page(Bytes::copy_from_slice(data))
            .map(|bytes| bytes.to_vec())
    }

    #[test]
    fn implicit_passes_a_client_hello_naming_the_server() {
        let hello = client_hello("imap.example.org");
        let mut gate = Gate::new(Start::Implicit, Some("IMAP.example.org".into()));
        // Split anywhere: nothing is passed until the record is whole.
        assert_eq!(feed(&mut gate, &hello[..3]).unwrap(), b"");
        assert_eq!(feed(&mut gate, &hello[3..40]).unwrap(), b"");
        assert_eq!(feed(&mut gate, &hello[40..]).unwrap(), hello);
        assert!(gate.is_open());
        assert_eq!(feed(&mut gate, b"anything").unwrap(), b"anything");
    }

    #[test]
    fn implicit_refuses_plaintext_imap() {
        let mut gate = Gate::new(Start::Implicit, Some("imap.example.org".into()));
        assert_eq!(feed(&mut gate, b"a1 LOGIN alice secret\r\n"), Err(Refusal::NotTls));
    }

    #[test]
    fn a_client_hello_for_another_server_is_refused() {
        let mut gate = Gate::new(Start::Implicit, Some("imap.example.org".into()));
        assert_eq!(
            feed(&mut gate, &client_hello("evil.example.net")),
            Err(Refusal::WrongServer("evil.example.net".into()))
        );
    }

    #[test]
    fn an_ip_upstream_needs_no_sni() {
        let mut gate = Gate::new(Start::Implicit, None);
        let hello = client_hello("127.0.0.1");
        assert_eq!(feed(&mut gate, &hello).unwrap(), hello);
    }

    #[test]
    fn a_truncated_hello_is_malformed_not_a_panic() {
        let mut hello = client_hello("imap.example.org");
        // Claim a longer handshake body than the record holds.
        hello[6] = 0x7f;
        let mut gate = Gate::new(Start::Implicit, Some("imap.example.org".into()));
        assert_eq!(feed(&mut gate, &hello), Err(Refusal::MalformedHello));
    }

    #[test]
    fn starttls_allows_capability_then_starttls_then_a_client_hello() {
        let mut gate = Gate::new(Start::Starttls, Some("imap.example.org".into()));
        assert_eq!(feed(&mut gate, b"a1 CAPAB").unwrap(), b"");
        assert_eq!(feed(&mut gate, b"ILITY\r\n").unwrap(), b"a1 CAPABILITY\r\n");
        gate.handle_server(b"* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\n");
        assert_eq!(feed(&mut gate, b"a2 STARTTLS\r\n").unwrap(), b"a2 STARTTLS\r\n");
        gate.handle_server(b"a2 OK Begin TLS");
        gate.handle_server(b" negotiation now\r\n");
        let hello = client_hello("imap.example.org");
        assert_eq!(feed(&mut gate, &hello).unwrap(), hello);
        assert!(gate.is_open());
    }

    #[test]
    fn starttls_refuses_login_in_plaintext() {
        let mut gate = Gate::new(Start::Starttls, Some("imap.example.org".into()));
        let error = feed(&mut gate, b"a1 LOGIN alice secret\r\n").unwrap_err();
        assert_eq!(error, Refusal::Command("LOGIN".into()));
        assert!(!error.to_string().contains("secret"));
    }

    #[test]
    fn a_refused_starttls_keeps_the_gate_closed() {
        let mut gate = Gate::new(Start::Starttls, Some("imap.example.org".into()));
        feed(&mut gate, b"a1 STARTTLS\r\n").unwrap();
        gate.handle_server(b"a1 NO not now\r\n");
        assert_eq!(
            feed(&mut gate, &client_hello("imap.example.org")),
            Err(Refusal::StarttlsRefused)
        );
    }

    #[test]
    fn another_commands_ok_is_never_taken_as_the_starttls_answer() {
        // The attack: NOOP and STARTTLS with one tag, so NOOP's OK would open the gate.
        let mut gate = Gate::new(Start::Starttls, Some("imap.example.org".into()));
        assert_eq!(feed(&mut gate, b"a NOOP\r\n").unwrap(), b"a NOOP\r\n");
        assert_eq!(feed(&mut gate, b"a STARTTLS\r\n"), Err(Refusal::Pipelined));

        // Taking turns, the STARTTLS answer is the only tagged line that counts.
        let mut gate = Gate::new(Start::Starttls, Some("imap.example.org".into()));
        feed(&mut gate, b"a NOOP\r\n").unwrap();
        gate.handle_server(b"* 3 EXISTS\r\na OK NOOP done\r\n");
        feed(&mut gate, b"a STARTTLS\r\n").unwrap();
        gate.handle_server(b"a NO STARTTLS not now\r\n");
        assert_eq!(
            feed(&mut gate, &client_hello("imap.example.org")),
            Err(Refusal::StarttlsRefused)
        );
        assert_eq!(
            feed(&mut gate, b"b LOGIN alice secret\r\n"),
            Err(Refusal::StarttlsRefused)
        );
    }

    #[test]
    fn a_tagged_answer_with_another_tag_shuts_the_gate() {
        let mut gate = Gate::new(Start::Starttls, Some("imap.example.org".into()));
        feed(&mut gate, b"t1 STARTTLS\r\n").unwrap();
        gate.handle_server(b"t0 OK stale\r\nt1 OK Begin TLS\r\n");
        assert_eq!(
            feed(&mut gate, &client_hello("imap.example.org")),
            Err(Refusal::StarttlsRefused)
        );
    }

    #[test]
    fn answers_split_anywhere_are_read_whole() {
        let reply = b"* CAPABILITY IMAP4rev1\r\nc1 OK done\r\n";
        for cut in 0..=reply.len() {
            let mut gate = Gate::new(Start::Starttls, None);
            feed(&mut gate, b"c1 CAPABILITY\r\n").unwrap();
            gate.handle_server(&reply[..cut]);
            gate.handle_server(&reply[cut..]);
            assert_eq!(
                feed(&mut gate, b"c2 STARTTLS\r\n").unwrap(),
                b"c2 STARTTLS\r\n",
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn nothing_may_follow_starttls_before_the_answer() {
        let mut gate = Gate::new(Start::Starttls, None);
        feed(&mut gate, b"a1 STARTTLS\r\n").unwrap();
        assert_eq!(feed(&mut gate, &client_hello("127.0.0.1")), Err(Refusal::Pipelined));
    }

    #[test]
    fn arbitrary_page_bytes_never_panic_the_gate() {
        // A small xorshift generator: deterministic, no extra dependency.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let hello = client_hello("imap.example.org");
        for round in 0..2_000 {
            // Start from a real ClientHello and corrupt some bytes, or from noise.
            let mut bytes = if round % 2 == 0 {
                hello.clone()
            } else {
                vec![0x16, 0x03]
            };
            let extra = (next() % 64) as usize;
            bytes.extend((0..extra).map(|_| next() as u8));
            for _ in 0..(next() % 8) {
                let at = (next() as usize) % bytes.len();
                bytes[at] = next() as u8;
            }
            let cut = (next() as usize) % (bytes.len() + 1);
            for start in [Start::Implicit, Start::Starttls, Start::SmtpStarttls] {
                let mut gate = Gate::new(start, Some("imap.example.org".into()));
                let _ = feed(&mut gate, &bytes[..cut]).and_then(|_| feed(&mut gate, &bytes[cut..]));
                gate.handle_server(&bytes);
            }
        }
    }

    #[test]
    fn pipelined_or_long_plaintext_is_refused() {
        let mut gate = Gate::new(Start::Starttls, None);
        assert_eq!(
            feed(&mut gate, b"a1 STARTTLS\r\na2 LOGIN x y\r\n"),
            Err(Refusal::Pipelined)
        );
        let mut gate = Gate::new(Start::Starttls, None);
        assert_eq!(feed(&mut gate, &[b'a'; 300]), Err(Refusal::LongLine));
    }

    const SMTP_GREETING: &[u8] = b"220-mail.example.org ESMTP\r\n220 ready\r\n";
    const SMTP_EHLO: &[u8] = b"250-mail.example.org\r\n250-STARTTLS\r\n250 PIPELINING\r\n";

    #[test]
    fn smtp_allows_ehlo_then_starttls_then_a_client_hello() {
        let mut gate = Gate::new(Start::SmtpStarttls, Some("smtp.example.org".into()));
        gate.handle_server(SMTP_GREETING);
        assert_eq!(
            feed(&mut gate, b"EHLO [127.0.0.1]\r\n").unwrap(),
            b"EHLO [127.0.0.1]\r\n"
        );
        gate.handle_server(SMTP_EHLO);
        assert_eq!(feed(&mut gate, b"STARTTLS\r\n").unwrap(), b"STARTTLS\r\n");
        gate.handle_server(b"220 2.0.0 go ahead\r\n");
        let hello = client_hello("smtp.example.org");
        assert_eq!(feed(&mut gate, &hello).unwrap(), hello);
        assert!(gate.is_open());
    }

    #[test]
    fn smtp_refuses_authentication_and_mail_in_plaintext() {
        for command in [
            b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n".as_slice(),
            b"MAIL FROM:<alice@example.org>\r\n",
            b"EHLO\r\n",
            b"STARTTLS now\r\n",
        ] {
            let mut gate = Gate::new(Start::SmtpStarttls, Some("smtp.example.org".into()));
            gate.handle_server(SMTP_GREETING);
            assert!(
                matches!(feed(&mut gate, command), Err(Refusal::Command(_))),
                "{}",
                String::from_utf8_lossy(command)
            );
        }
    }

    #[test]
    fn smtp_waits_for_the_whole_greeting_and_each_whole_reply() {
        let mut gate = Gate::new(Start::SmtpStarttls, None);
        assert_eq!(
            feed(&mut gate, b"EHLO x\r\n"),
            Err(Refusal::Pipelined),
            "before the greeting"
        );
        let mut gate = Gate::new(Start::SmtpStarttls, None);
        gate.handle_server(b"220-first line only\r\n");
        assert_eq!(feed(&mut gate, b"EHLO x\r\n"), Err(Refusal::Pipelined), "mid-greeting");
        let mut gate = Gate::new(Start::SmtpStarttls, None);
        gate.handle_server(SMTP_GREETING);
        feed(&mut gate, b"EHLO x\r\n").unwrap();
        gate.handle_server(b"250-mail.example.org\r\n");
        assert_eq!(feed(&mut gate, b"STARTTLS\r\n"), Err(Refusal::Pipelined), "mid-reply");
    }

    #[test]
    fn smtp_starttls_refused_keeps_the_gate_closed() {
        let mut gate = Gate::new(Start::SmtpStarttls, None);
        gate.handle_server(SMTP_GREETING);
        feed(&mut gate, b"STARTTLS\r\n").unwrap();
        gate.handle_server(b"454 4.7.0 TLS not available\r\n");
        assert_eq!(
            feed(&mut gate, &client_hello("smtp.example.org")),
            Err(Refusal::StarttlsRefused)
        );
    }
}
