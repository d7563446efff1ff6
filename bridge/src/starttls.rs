//! The one piece of IMAP and of SMTP the bridge speaks: the STARTTLS exchange
//! (RFC 3501 6.2.1, RFC 3207), driven over tokio; the exchange itself is
//! `webmail_wire::starttls`, which the page runs too.
//!
//! The bridge, not the page, upgrades `tls = "starttls"` upstreams, before it relays
//! a single byte of the page's. A page cannot skip the upgrade (no downgrade to
//! plaintext credentials between bridge and server), and the page never needs TLS
//! code. The server's greeting is kept and handed to the page once TLS is up
//! (IMAP's without its pre-TLS `[CAPABILITY ...]` code), so the client asks for
//! the capabilities again (IMAP) or says EHLO again (SMTP) over TLS, as the
//! RFCs require.

use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use webmail_wire::starttls::{Dialogue, Progress, StartTls, StartTlsError};

use crate::upstream::Service;

/// The tag of the bridge's own command; the page's tags start after the upgrade.
const TAG: &str = "bridge0";
/// Bytes read at a time: a greeting and an answer fit; what follows the answer
/// in the same read is caught as an injection.
const READ_BYTES: usize = 1024;

/// Reads the greeting and performs the plaintext half of STARTTLS for `service`
/// on `stream`. Returns the greeting to give to the page after the handshake.
pub(crate) async fn negotiate(stream: &mut TcpStream, service: Service) -> Result<Vec<u8>, StartTlsError> {
    match service {
        Service::Imap => run(stream, StartTls::imap(TAG)).await,
        Service::Submission => run(stream, StartTls::smtp(&address_literal(stream.local_addr().ok()))).await,
    }
}

/// The bridge's side of the connection as an EHLO argument (RFC 5321 4.1.3):
/// `[192.0.2.1]` or `[IPv6:2001:db8::1]`, as mail clients without a host name send.
fn address_literal(local: Option<SocketAddr>) -> String {
    match local {
        Some(SocketAddr::V4(v4)) => format!("[{}]", v4.ip()),
        Some(SocketAddr::V6(v6)) => match v6.ip().to_ipv4_mapped() {
            Some(v4) => format!("[{v4}]"),
            None => format!("[IPv6:{}]", v6.ip()),
        },
        None => "[127.0.0.1]".to_owned(),
    }
}

/// Drives `exchange` over `stream` until the server's go-ahead.
async fn run<S, D>(stream: &mut S, mut exchange: StartTls<D>) -> Result<Vec<u8>, StartTlsError>
where
    S: AsyncRead + AsyncWrite + Unpin,
    D: Dialogue,
{
    let mut buffer = [0u8; READ_BYTES];
    loop {
        let read = stream.read(&mut buffer).await.map_err(|_| StartTlsError::Closed)?;
        if read == 0 {
            return Err(StartTlsError::Closed);
        }
        let progress = exchange.handle_input(&buffer[..read])?;
        let outgoing = exchange.take_outgoing();
        if !outgoing.is_empty() {
            stream.write_all(&outgoing).await.map_err(|_| StartTlsError::Closed)?;
            stream.flush().await.map_err(|_| StartTlsError::Closed)?;
        }
        if let Progress::Done { greeting } = progress {
            return Ok(greeting);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::duplex;

    /// Plays a server: sends `greeting`, reads the client's command, sends `reply`.
    async fn play(greeting: &'static [u8], reply: &'static [u8]) -> (Result<Vec<u8>, StartTlsError>, Vec<u8>) {
        let (mut client, mut server) = duplex(4096);
        let server_task = tokio::spawn(async move {
            server.write_all(greeting).await.unwrap();
            let mut seen = vec![0u8; 64];
            let n = server.read(&mut seen).await.unwrap_or(0);
            seen.truncate(n);
            let _ = server.write_all(reply).await;
            seen
        });
        let result = run(&mut client, StartTls::imap(TAG)).await;
        drop(client);
        (result, server_task.await.unwrap())
    }

    #[tokio::test]
    async fn upgrades_over_a_stream_and_keeps_the_greeting_without_capabilities() {
        let (result, sent) = play(
            b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Dovecot ready.\r\n",
            b"* CAPABILITY IMAP4rev1\r\nbridge0 OK Begin TLS negotiation now.\r\n",
        )
        .await;
        assert_eq!(result.unwrap(), b"* OK Dovecot ready.\r\n");
        assert_eq!(sent, b"bridge0 STARTTLS\r\n");
    }

    #[tokio::test]
    async fn a_server_that_hangs_up_is_reported_as_closed() {
        let (result, _) = play(b"* OK ready\r\n", b"").await;
        assert_eq!(result, Err(StartTlsError::Closed));
        let (result, _) = play(b"* OK ready\r\n", b"bridge0 OK go ahead\r\n* OK injected\r\n").await;
        assert_eq!(result, Err(StartTlsError::Injection));
    }

    #[test]
    fn ehlo_names_the_bridge_by_its_address() {
        assert_eq!(address_literal("192.0.2.1:40000".parse().ok()), "[192.0.2.1]");
        assert_eq!(
            address_literal("[2001:db8::1]:40000".parse().ok()),
            "[IPv6:2001:db8::1]"
        );
        assert_eq!(address_literal("[::ffff:192.0.2.1]:40000".parse().ok()), "[192.0.2.1]");
    }
}
