//! The one piece of IMAP the bridge speaks: the STARTTLS exchange (RFC 3501 6.2.1).
//!
//! The bridge, not the page, upgrades `tls = "starttls"` upstreams, before it relays
//! a single byte of the page's. A page cannot skip the upgrade (no downgrade to
//! plaintext credentials between bridge and server), and the page never needs TLS
//! code. The server's greeting is kept and handed to the page once TLS is up,
//! without its pre-TLS `[CAPABILITY ...]` code, so the client asks for the
//! capabilities again as RFC 3501 requires after STARTTLS.

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

/// The tag of the bridge's own command; the page's tags start after the upgrade.
const TAG: &[u8] = b"bridge0";
/// A greeting or status line longer than this is not an IMAP server talking.
const MAX_LINE: usize = 8 * 1024;
/// Untagged lines tolerated before the STARTTLS completion.
const MAX_UNTAGGED: usize = 32;

/// Reads the greeting and performs the plaintext half of STARTTLS on `stream`.
///
/// Returns the greeting to give to the page after the TLS handshake.
pub async fn negotiate<S>(stream: &mut S) -> Result<Vec<u8>, String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut reader = BufReader::with_capacity(1024, &mut *stream);
    let greeting = read_line(&mut reader).await?;
    if starts_with_ignore_case(&greeting, b"* PREAUTH") {
        return Err("the server sent PREAUTH, so the session cannot be upgraded to TLS".into());
    }
    if starts_with_ignore_case(&greeting, b"* BYE") {
        return Err(format!("the server said goodbye: {}", printable(&greeting[5..])));
    }
    if !starts_with_ignore_case(&greeting, b"* OK") {
        return Err(format!("not an IMAP greeting: {}", printable(&greeting)));
    }
    reader
        .get_mut()
        .write_all(b"bridge0 STARTTLS\r\n")
        .await
        .map_err(|error| error.to_string())?;
    reader.get_mut().flush().await.map_err(|error| error.to_string())?;

    for _ in 0..MAX_UNTAGGED {
        let line = read_line(&mut reader).await?;
        if line.starts_with(b"* ") {
            continue;
        }
        let Some(status) = line.strip_prefix(TAG).and_then(|rest| rest.strip_prefix(b" ")) else {
            return Err(format!("unexpected reply to STARTTLS: {}", printable(&line)));
        };
        if !starts_with_ignore_case(status, b"OK") {
            return Err(format!("the server refused STARTTLS: {}", printable(status)));
        }
        // Bytes after the OK would be read as if they came over TLS (CVE-2011-0411).
        if !reader.buffer().is_empty() {
            return Err("the server sent data after STARTTLS OK (possible injection)".into());
        }
        return Ok(strip_capability_code(&greeting));
    }
    Err("no reply to STARTTLS".into())
}

async fn read_line<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) -> Result<Vec<u8>, String> {
    let mut line = Vec::new();
    let mut limited = AsyncReadExt::take(&mut *reader, MAX_LINE as u64);
    let read = limited
        .read_until(b'\n', &mut line)
        .await
        .map_err(|error| error.to_string())?;
    if read == 0 {
        return Err("the server closed the connection".into());
    }
    if !line.ends_with(b"\r\n") {
        return Err(if line.len() >= MAX_LINE {
            "the server sent an overlong line".into()
        } else {
            format!("the server closed the connection mid-line: {}", printable(&line))
        });
    }
    Ok(line)
}

fn starts_with_ignore_case(line: &[u8], prefix: &[u8]) -> bool {
    line.len() >= prefix.len() && line[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// `* OK [CAPABILITY ...] text` becomes `* OK text`; other codes stay.
fn strip_capability_code(greeting: &[u8]) -> Vec<u8> {
    let rest = &greeting[4..];
    let trimmed = rest.strip_prefix(b" ").unwrap_or(rest);
    if starts_with_ignore_case(trimmed, b"[CAPABILITY ") {
        if let Some(end) = trimmed.iter().position(|&b| b == b']') {
            let text = trimmed[end + 1..].strip_prefix(b" ").unwrap_or(&trimmed[end + 1..]);
            let mut out = b"* OK ".to_vec();
            out.extend_from_slice(text);
            return out;
        }
    }
    greeting.to_vec()
}

/// A server line for an error message: printable ASCII only, shortened.
fn printable(bytes: &[u8]) -> String {
    let text: String = bytes
        .iter()
        .take(80)
        .map(|&b| if (0x20..0x7f).contains(&b) { char::from(b) } else { '.' })
        .collect();
    text.trim_end_matches('.').trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, duplex};

    /// Plays a server: sends `greeting`, reads the client's command, sends `reply`.
    async fn run(greeting: &'static [u8], reply: &'static [u8]) -> (Result<Vec<u8>, String>, Vec<u8>) {
        let (mut client, mut server) = duplex(4096);
        let server_task = tokio::spawn(async move {
            server.write_all(greeting).await.unwrap();
            let mut seen = vec![0u8; 64];
            let n = server.read(&mut seen).await.unwrap_or(0);
            seen.truncate(n);
            let _ = server.write_all(reply).await;
            seen
        });
        let result = negotiate(&mut client).await;
        drop(client);
        (result, server_task.await.unwrap())
    }

    #[tokio::test]
    async fn upgrades_and_keeps_the_greeting_without_capabilities() {
        let (result, sent) = run(
            b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Dovecot ready.\r\n",
            b"* CAPABILITY IMAP4rev1\r\nbridge0 OK Begin TLS negotiation now.\r\n",
        )
        .await;
        assert_eq!(result.unwrap(), b"* OK Dovecot ready.\r\n");
        assert_eq!(sent, b"bridge0 STARTTLS\r\n");
    }

    #[tokio::test]
    async fn refusals_are_explained() {
        let (result, _) = run(b"* OK ready\r\n", b"bridge0 BAD STARTTLS not supported\r\n").await;
        assert!(
            result
                .unwrap_err()
                .contains("refused STARTTLS: BAD STARTTLS not supported")
        );
        let (result, _) = run(b"* PREAUTH welcome\r\n", b"").await;
        assert!(result.unwrap_err().contains("PREAUTH"));
        let (result, _) = run(b"220 smtp.example.org ESMTP Postfix\r\n", b"").await;
        assert!(
            result
                .unwrap_err()
                .contains("not an IMAP greeting: 220 smtp.example.org")
        );
    }

    #[tokio::test]
    async fn data_injected_after_ok_is_refused() {
        let (result, _) = run(b"* OK ready\r\n", b"bridge0 OK go ahead\r\n* OK injected\r\n").await;
        assert!(result.unwrap_err().contains("injection"));
    }
}
