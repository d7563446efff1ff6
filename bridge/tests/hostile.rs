//! The bridge against hostile pages and clients: each test replays an attack
//! that once got through (or a fault that once took the bridge down) and checks
//! what the attacker and the server see now.

mod support;

use std::sync::{Arc, Mutex};

use futures_util::SinkExt;
use support::{Bridge, closed, send, upstream};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio_tungstenite::tungstenite::Message;

/// An IMAP server that refuses STARTTLS (Dovecot will not on demand) and records
/// every line it receives.
async fn starttls_refusing_server(received: Arc<Mutex<Vec<String>>>) -> std::net::SocketAddr {
    upstream(move |stream| {
        let received = received.clone();
        async move {
            let (read, mut write) = stream.into_split();
            let _ = write.write_all(b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n").await;
            let mut lines = BufReader::new(read).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                received.lock().unwrap().push(line.clone());
                let tag = line.split(' ').next().unwrap_or("*");
                let answer = if line.to_ascii_uppercase().ends_with("STARTTLS") {
                    format!("{tag} NO STARTTLS is not available now\r\n")
                } else {
                    format!("{tag} OK done\r\n")
                };
                let _ = write.write_all(answer.as_bytes()).await;
            }
        }
    })
    .await
}

fn end_to_end_starttls(addr: std::net::SocketAddr) -> String {
    format!(
        "[[upstream]]\nname = \"e2e\"\naddress = \"{addr}\"\ntls = \"end-to-end-starttls\"\nserver_name = \"imap.example.org\"\n"
    )
}

#[tokio::test]
async fn a_noop_answer_cannot_open_the_end_to_end_gate_for_a_refused_starttls() {
    let received = Arc::new(Mutex::new(Vec::new()));
    let bridge = Bridge::start(&end_to_end_starttls(starttls_refusing_server(received.clone()).await)).await;

    // The attack as reported: NOOP and STARTTLS at once with one tag, then a
    // ClientHello on NOOP's OK, then plaintext behind it.
    let mut socket = bridge.connect("upstream=e2e").await.unwrap();
    send(&mut socket, b"a NOOP\r\n").await;
    send(&mut socket, b"a STARTTLS\r\n").await;
    let close = match support::read_until_or_close(&mut socket, b"a OK").await {
        Ok(()) => {
            // Sends may fail once the bridge has closed; the close frame tells.
            let _ = socket
                .send(Message::binary(webmail_testkit::pki::client_hello("imap.example.org")))
                .await;
            let _ = socket.send(Message::binary(&b"b LOGIN alice secret\r\n"[..])).await;
            closed(&mut socket).await
        }
        Err(close) => close,
    };
    let (code, reason) = close.expect("a close frame");
    assert_eq!(code, 4013, "{reason}");
    assert!(reason.contains("before the server answered"), "{reason}");

    // Taking turns, the refused STARTTLS keeps everything after it away from the server.
    let mut socket = bridge.connect("upstream=e2e").await.unwrap();
    send(&mut socket, b"a NOOP\r\n").await;
    support::read_until(&mut socket, b"a OK").await;
    send(&mut socket, b"a STARTTLS\r\n").await;
    support::read_until(&mut socket, b"a NO").await;
    send(&mut socket, b"b LOGIN alice secret\r\n").await;
    let (code, reason) = closed(&mut socket).await.expect("a close frame");
    assert_eq!(code, 4013, "{reason}");
    assert!(reason.contains("did not accept STARTTLS"), "{reason}");

    let received = received.lock().unwrap().clone();
    assert!(
        received.iter().all(|line| !line.contains("LOGIN")),
        "the server saw {received:?}"
    );
}

/// A raw WebSocket upgrade request with the given Host and Origin; returns the status line.
async fn upgrade_status(addr: std::net::SocketAddr, host: &str, origin: &str) -> String {
    upgrade_status_with_key(addr, host, origin, "dGhlIHNhbXBsZSBub25jZQ==").await
}

/// The same with a chosen `Sec-WebSocket-Key`.
async fn upgrade_status_with_key(addr: std::net::SocketAddr, host: &str, origin: &str, key: &str) -> String {
    let request = format!(
        "GET /ws?upstream=local HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n\r\n"
    );
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut lines = BufReader::new(stream).lines();
    lines.next_line().await.unwrap().unwrap_or_default()
}

#[tokio::test]
async fn a_dns_rebinding_name_gets_neither_a_relay_nor_the_server_list() {
    let bridge = Bridge::start(&support::plain_upstream(support::echo_upstream().await, "")).await;
    let port = bridge.addr.port();
    let rebound = format!("rebind.attacker.example:{port}");
    let status = upgrade_status(bridge.addr, &rebound, &format!("http://{rebound}")).await;
    assert!(status.contains("421"), "{status}");
    let (head, _) = support::http_get_with(bridge.addr, "/api/upstreams", &format!("Host: {rebound}\r\n")).await;
    assert!(head.starts_with("HTTP/1.1 421"), "{head}");
    // The bridge's own name still works, and the UI's files are served whatever the name.
    let own = bridge.addr.to_string();
    let status = upgrade_status(bridge.addr, &own, &bridge.origin()).await;
    assert!(status.contains("101"), "{status}");
    let (head, _) = support::http_get_with(bridge.addr, "/healthz", &format!("Host: {rebound}\r\n")).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    bridge.assert_metric("bridge_refused_total{reason=\"host\"} 2").await;

    // Behind a proxy, the configured public origin is the one name served.
    let config = support::plain_upstream(
        support::echo_upstream().await,
        "public_origins = [\"https://mail.example.org\"]",
    );
    let bridge = Bridge::start(&config).await;
    let status = upgrade_status(bridge.addr, "mail.example.org", "https://mail.example.org").await;
    assert!(status.contains("101"), "{status}");
    let status = upgrade_status(bridge.addr, &bridge.addr.to_string(), &bridge.origin()).await;
    assert!(status.contains("421"), "{status}");
}

#[tokio::test]
async fn addresses_from_one_ipv6_64_share_one_per_ip_limit() {
    let config = support::plain_upstream(
        support::echo_upstream().await,
        "trusted_proxies = [\"127.0.0.1/32\"]\n[limits]\nmax_connections_per_ip = 2",
    );
    let bridge = Bridge::start(&config).await;
    let open_from = |client: &'static str| {
        let bridge = &bridge;
        async move {
            let mut request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!(
                "ws://{}/ws?upstream=local",
                bridge.addr
            ))
            .unwrap();
            let headers = request.headers_mut();
            headers.insert("origin", bridge.origin().parse().unwrap());
            headers.insert("x-forwarded-for", client.parse().unwrap());
            tokio_tungstenite::connect_async(request)
                .await
                .map(|(socket, _)| socket)
        }
    };
    let _first = open_from("2001:db8:5:6::1").await.unwrap();
    let _second = open_from("2001:db8:5:6:1:2:3:4").await.unwrap();
    let third = open_from("2001:db8:5:6:ffff::99").await.unwrap_err();
    assert!(third.to_string().contains("429"), "{third}");
    let _other_network = open_from("2001:db8:5:7::1").await.unwrap();
}

#[tokio::test]
async fn a_websocket_key_that_is_not_16_base64_bytes_gets_400() {
    let bridge = Bridge::start(&support::plain_upstream(support::echo_upstream().await, "")).await;
    let own = bridge.addr.to_string();
    for key in ["x", "not base64 at all!!", "dGhlIHNhbXBsZSBub25jZSBsb25nZXI="] {
        let status = upgrade_status_with_key(bridge.addr, &own, &bridge.origin(), key).await;
        assert!(status.contains("400"), "{key}: {status}");
    }
    let status = upgrade_status(bridge.addr, &own, &bridge.origin()).await;
    assert!(status.contains("101"), "{status}");
}

/// Sends `line` every 300 ms until the bridge closes the connection; returns
/// how long it stayed open (or panics after 15 s).
async fn trickle_until_closed(addr: std::net::SocketAddr, first: &[u8], line: &[u8]) -> std::time::Duration {
    use tokio::io::AsyncReadExt;
    let started = std::time::Instant::now();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(first).await.unwrap();
    let mut buffer = [0u8; 1024];
    loop {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "still open after 15 s"
        );
        match tokio::time::timeout(std::time::Duration::from_millis(300), stream.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => return started.elapsed(),
            // A response (a 408 or the answer to a finished request): keep reading.
            Ok(Ok(_)) => {}
            Err(_) => {
                if stream.write_all(line).await.is_err() {
                    return started.elapsed();
                }
            }
        }
    }
}

#[tokio::test]
async fn a_request_head_that_never_ends_is_cut_off() {
    let config = support::plain_upstream(support::echo_upstream().await, "[limits]\nrequest_timeout_secs = 1");
    let bridge = Bridge::start(&config).await;
    // Nothing at all; one header line every 300 ms; a kept-alive connection gone quiet.
    let silent = trickle_until_closed(bridge.addr, b"", b"").await;
    let trickling = trickle_until_closed(bridge.addr, b"GET /healthz HTTP/1.1\r\n", b"X-Slow: 1\r\n").await;
    let idle = trickle_until_closed(bridge.addr, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", b"").await;
    for (what, open) in [("silent", silent), ("trickling", trickling), ("idle", idle)] {
        assert!(
            open < std::time::Duration::from_secs(5),
            "{what} connection open for {open:?}"
        );
    }
}

#[tokio::test]
async fn http2_is_not_spoken_on_the_plain_port() {
    use tokio::io::AsyncReadExt;
    let bridge = Bridge::start(&support::plain_upstream(support::echo_upstream().await, "")).await;
    let mut stream = tokio::net::TcpStream::connect(bridge.addr).await.unwrap();
    // HTTP/2 with prior knowledge: the connection preface, then an empty SETTINGS frame.
    stream
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    // An HTTP/2 server would answer with its own SETTINGS frame (type 4 at byte 3).
    assert!(
        answer.starts_with(b"HTTP/1.1 ") || answer.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&answer[..answer.len().min(64)])
    );
}
