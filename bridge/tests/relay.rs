//! The bridge with real WebSocket clients (tokio-tungstenite) and loopback upstreams:
//! relay correctness, every refusal path, limits and faults.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use support::{
    Bridge, closed, echo_upstream, http_get, http_get_with, open_fds, plain_upstream, read_bytes, send, upstream,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn every_byte_value_and_100_megabytes_each_way_arrive_intact() {
    let bridge = Bridge::start(&plain_upstream(echo_upstream().await, "")).await;
    let mut socket = bridge.connect("upstream=local").await.unwrap();
    let all_bytes: Vec<u8> = (0..=255u8).cycle().take(256 * 64).collect();
    send(&mut socket, &all_bytes).await;
    assert_eq!(read_bytes(&mut socket, all_bytes.len()).await, all_bytes);

    // 100 MB each way through an echo: written and read concurrently, checksummed.
    const TOTAL: usize = 100 * 1024 * 1024;
    let (mut sink, mut stream) = socket.split();
    let writer = tokio::spawn(async move {
        let mut hasher = crc32fast::Hasher::new();
        let mut state = 0x9e37_79b9u32;
        let mut sent = 0;
        while sent < TOTAL {
            let chunk: Vec<u8> = (0..64 * 1024)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    state as u8
                })
                .collect();
            hasher.update(&chunk);
            sent += chunk.len();
            sink.send(Message::binary(chunk)).await.unwrap();
        }
        hasher.finalize()
    });
    let mut hasher = crc32fast::Hasher::new();
    let mut received = 0;
    while received < TOTAL {
        match stream.next().await {
            Some(Ok(Message::Binary(data))) => {
                hasher.update(&data);
                received += data.len();
            }
            Some(Ok(_)) => {}
            other => panic!("stream ended after {received} bytes: {other:?}"),
        }
    }
    assert_eq!(received, TOTAL);
    assert_eq!(hasher.finalize(), writer.await.unwrap(), "checksums match");
    bridge
        .assert_metric(&format!(
            "bridge_bytes_total{{direction=\"to_upstream\"}} {}",
            TOTAL + all_bytes.len()
        ))
        .await;
}

#[tokio::test]
async fn refusals_before_the_upgrade() {
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    let addr = upstream(move |_stream| {
        counter.fetch_add(1, Ordering::SeqCst);
        async {}
    })
    .await;
    let bridge = Bridge::start(&plain_upstream(addr, "")).await;
    for origin in [Some("https://evil.example"), Some("null"), None] {
        let error = bridge.connect_from("upstream=local", origin).await.unwrap_err();
        assert!(error.to_string().contains("403"), "{origin:?}: {error}");
    }
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        0,
        "no upstream connection for a refused origin"
    );
    bridge.assert_metric("bridge_refused_total{reason=\"origin\"} 3").await;
}

#[tokio::test]
async fn failures_reach_the_page_as_close_codes() {
    let dead_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let config = format!(
        "{}\n[[upstream]]\nname = \"dead\"\naddress = \"{dead_port}\"\ntls = \"none\"\n\n[[upstream]]\nname = \"nowhere\"\naddress = \"no-such-host.invalid:143\"\ntls = \"none\"\n\n[[upstream_pattern]]\npattern = \"*.example.org:993\"\ntls = \"implicit\"\n\n[[upstream_pattern]]\npattern = \"localhost:*\"\ntls = \"none\"\n\n[[upstream_pattern]]\npattern = \"64:ff9b:1::a00:1:993\"\ntls = \"implicit\"\n",
        plain_upstream(echo_upstream().await, "")
    );
    let bridge = Bridge::start(&config).await;
    let cases = [
        ("upstream=missing", 4001, "unknown upstream `missing`"),
        ("upstream=dead", 4005, "cannot connect to upstream"),
        ("upstream=nowhere", 4003, "DNS lookup failed"),
        ("host=imap.other.net&port=993", 4002, "is not an allowed server"),
        ("host=127.1&port=993", 4002, "unusual IP address spelling"),
        ("host=0x7f.0.0.1&port=143", 4002, "unusual IP address spelling"),
        ("host=2130706433&port=143", 4002, "unusual IP address spelling"),
        // Refusals by address say what the user can act on, never the address.
        (
            "host=localhost&port=143",
            4002,
            "localhost:143 is not an allowed server",
        ),
        ("host=64:ff9b:1::a00:1&port=993", 4002, "is not an allowed server"),
        ("host=localhost&port=22", 4002, "is not an allowed server"),
        ("upstream=local&host=x", 4012, "invalid request"),
    ];
    for (query, code, reason) in cases {
        let mut socket = bridge.connect(query).await.unwrap();
        let (got_code, got_reason) = closed(&mut socket)
            .await
            .unwrap_or_else(|| panic!("{query}: no close frame"));
        assert_eq!(got_code, code, "{query}: {got_reason}");
        assert!(got_reason.contains(reason), "{query}: {got_reason}");
        assert!(
            !got_reason.contains("127.0.0.1") && !got_reason.contains("10.0.0.1") && !got_reason.contains("loopback"),
            "{query}: {got_reason}"
        );
    }
    let (_, body) = http_get(bridge.addr, "/api/upstreams").await;
    assert!(
        body.contains("\"name\":\"dead\"") && body.contains("\"customServers\":true"),
        "{body}"
    );
    assert!(
        !body.contains("127.0.0.1") && !body.contains("invalid"),
        "no addresses: {body}"
    );
}

#[tokio::test]
async fn a_pattern_may_allow_a_private_network_explicitly() {
    let echo = echo_upstream().await;
    let config = format!(
        "[[upstream_pattern]]\npattern = \"localhost:*\"\ntls = \"none\"\nports = [{}]\nallow_networks = [\"127.0.0.0/8\", \"::1/128\"]\n",
        echo.port()
    );
    let bridge = Bridge::start(&config).await;
    let mut socket = bridge
        .connect(&format!("host=localhost&port={}", echo.port()))
        .await
        .unwrap();
    send(&mut socket, b"ping").await;
    assert_eq!(read_bytes(&mut socket, 4).await, b"ping");
}

#[tokio::test]
async fn connection_limits_and_upgrade_rate() {
    let echo = echo_upstream().await;
    let bridge = Bridge::start(&plain_upstream(
        echo,
        "[limits]\nmax_connections_per_ip = 2\nupgrades_per_minute_per_ip = 100\n",
    ))
    .await;
    let first = bridge.connect("upstream=local").await.unwrap();
    let _second = bridge.connect("upstream=local").await.unwrap();
    let error = bridge.connect("upstream=local").await.unwrap_err();
    assert!(error.to_string().contains("429"), "{error}");
    drop(first);
    // The slot frees once the first session has ended.
    let mut reopened = None;
    for _ in 0..100 {
        if let Ok(socket) = bridge.connect("upstream=local").await {
            reopened = Some(socket);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(reopened.is_some(), "a freed slot is usable again");

    let bridge = Bridge::start(&plain_upstream(echo, "[limits]\nmax_connections = 1\n")).await;
    let _only = bridge.connect("upstream=local").await.unwrap();
    assert!(
        bridge
            .connect("upstream=local")
            .await
            .unwrap_err()
            .to_string()
            .contains("503")
    );

    let bridge = Bridge::start(&plain_upstream(echo, "[limits]\nupgrades_per_minute_per_ip = 3\n")).await;
    for _ in 0..3 {
        drop(bridge.connect("upstream=local").await.unwrap());
    }
    assert!(
        bridge
            .connect("upstream=local")
            .await
            .unwrap_err()
            .to_string()
            .contains("429")
    );
    bridge
        .assert_metric("bridge_refused_total{reason=\"rate_limited\"} 1")
        .await;
}

#[tokio::test]
async fn oversized_messages_text_frames_idle_sessions_and_byte_caps_are_closed() {
    let echo = echo_upstream().await;
    let bridge = Bridge::start(&plain_upstream(
        echo,
        "[limits]\nmax_message_bytes = 1024\nidle_timeout_secs = 1\nmax_session_bytes = 5000\n",
    ))
    .await;

    let mut socket = bridge.connect("upstream=local").await.unwrap();
    send(&mut socket, &[b'x'; 2000]).await;
    assert_eq!(closed(&mut socket).await.map(|(code, _)| code), Some(1009));

    let mut socket = bridge.connect("upstream=local").await.unwrap();
    socket.send(Message::text("a1 NOOP")).await.unwrap();
    assert_eq!(closed(&mut socket).await.map(|(code, _)| code), Some(1003));

    let mut socket = bridge.connect("upstream=local").await.unwrap();
    let started = tokio::time::Instant::now();
    assert_eq!(closed(&mut socket).await, Some((4008, "idle timeout".into())));
    assert!(started.elapsed() >= Duration::from_millis(900));

    let mut socket = bridge.connect("upstream=local").await.unwrap();
    for _ in 0..3 {
        send(&mut socket, &[b'y'; 1000]).await;
    }
    assert_eq!(closed(&mut socket).await.map(|(code, _)| code), Some(4009));
}

#[tokio::test]
async fn a_dead_peer_that_answers_no_ping_is_dropped() {
    let bridge = Bridge::start(&plain_upstream(
        echo_upstream().await,
        "[limits]\nping_interval_secs = 1\nping_timeout_secs = 1\n",
    ))
    .await;
    // Connected but never read: tungstenite only answers pings while it is polled.
    let mut silent = bridge.connect("upstream=local").await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let metrics = bridge.metrics().await;
        if metrics.contains("bridge_sessions_closed_total{reason=\"dead_peer\"} 1") {
            assert!(metrics.contains("bridge_sessions_open 0"), "{metrics}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "not dropped: {metrics}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A page that only stalled (a busy tab) reads the close code the config promises.
    let (code, reason) = closed(&mut silent).await.expect("a close frame after the pings");
    assert_eq!((code, reason.as_str()), (4010, "page stopped responding"));
}

#[tokio::test]
async fn faults_leave_no_session_socket_or_task_behind() {
    let fds_before = open_fds();
    // An upstream that sends a little and dies mid-stream.
    let dying = upstream(|mut stream| async move {
        let _ = stream.write_all(b"* OK half a respo").await;
        drop(stream);
    })
    .await;
    let bridge = Bridge::start(&plain_upstream(dying, "")).await;
    let mut socket = bridge.connect("upstream=local").await.unwrap();
    assert_eq!(read_bytes(&mut socket, 17).await, b"* OK half a respo");
    assert_eq!(
        closed(&mut socket).await,
        Some((4000, "upstream closed the connection".into()))
    );
    drop(socket);

    // A page that vanishes (no close frame) while the upstream is talking: the upstream sees EOF.
    let upstream_saw_eof = Arc::new(tokio::sync::Notify::new());
    let notify = upstream_saw_eof.clone();
    let chatty = upstream(move |mut stream| {
        let notify = notify.clone();
        async move {
            let mut buffer = [0u8; 64];
            loop {
                tokio::select! {
                    read = stream.read(&mut buffer) => if matches!(read, Ok(0) | Err(_)) { break },
                    _ = tokio::time::sleep(Duration::from_millis(5)) => if stream.write_all(b"* 1 EXISTS\r\n").await.is_err() { break },
                }
            }
            notify.notify_one();
        }
    })
    .await;
    let bridge2 = Bridge::start(&plain_upstream(chatty, "")).await;
    let eof = upstream_saw_eof.notified();
    let mut socket = bridge2.connect("upstream=local").await.unwrap();
    read_bytes(&mut socket, 12).await;
    // Drop the TCP connection without a WebSocket close.
    drop(socket);
    tokio::time::timeout(Duration::from_secs(10), eof)
        .await
        .expect("the bridge closed the upstream connection");

    for bridge in [&bridge, &bridge2] {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while !bridge.metrics().await.contains("bridge_sessions_open 0") {
            assert!(tokio::time::Instant::now() < deadline, "a session stayed open");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    bridge.stop().await;
    bridge2.stop().await;
    // Listeners, sessions and upstream sockets are all gone (the test's own upstream listeners remain: 2).
    assert!(
        open_fds() <= fds_before + 2,
        "fds before {fds_before}, after {}",
        open_fds()
    );
}

#[tokio::test]
async fn a_page_that_stops_reading_does_not_make_the_bridge_buffer_the_mailbox() {
    let written = Arc::new(AtomicUsize::new(0));
    let counter = written.clone();
    // An upstream that pours out data as fast as the bridge takes it.
    let flood = upstream(move |mut stream| {
        let counter = counter.clone();
        async move {
            let chunk = vec![b'z'; 64 * 1024];
            while stream.write_all(&chunk).await.is_ok() {
                counter.fetch_add(chunk.len(), Ordering::SeqCst);
            }
        }
    })
    .await;
    let bridge = Bridge::start(&plain_upstream(flood, "[limits]\nping_timeout_secs = 30\n")).await;
    let mut socket = bridge.connect("upstream=local").await.unwrap();
    read_bytes(&mut socket, 1024).await;
    // Stop reading. Whatever the bridge holds is bounded by socket buffers and one chunk.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let stalled_at = written.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let later = written.load(Ordering::SeqCst);
    assert_eq!(
        later, stalled_at,
        "the upstream is held back (backpressure), not drained into memory"
    );
    assert!(
        stalled_at < 32 * 1024 * 1024,
        "only buffers' worth was written: {stalled_at}"
    );
    // Reading again resumes the flow.
    let mut drained = 0;
    while written.load(Ordering::SeqCst) == stalled_at && drained < 256 * 1024 * 1024 {
        drained += read_bytes(&mut socket, 64 * 1024).await.len();
    }
    assert!(
        written.load(Ordering::SeqCst) > stalled_at,
        "the upstream writes again once the page reads"
    );
}

#[tokio::test]
async fn static_files_health_and_metrics() {
    let bridge = Bridge::start(&plain_upstream(echo_upstream().await, "")).await;
    let (head, body) = http_get(bridge.addr, "/healthz").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body, "ok\n");
    let (head, _) = http_get_with(bridge.addr, "/", "Accept-Encoding: gzip\r\n").await;
    let lower = head.to_ascii_lowercase();
    assert!(lower.contains("content-type: text/html"), "{head}");
    assert!(lower.contains("content-encoding: gzip"), "{head}");
    assert!(
        lower.contains("content-security-policy: default-src 'self'; script-src 'self' 'wasm-unsafe-eval'"),
        "{head}"
    );
    assert!(lower.contains("x-content-type-options: nosniff"));
    assert!(lower.contains("cache-control: no-cache"));
    // The wasm client, built by `make build`: served as the precompressed brotli
    // file the build wrote, not compressed again per request.
    let (head, _) = http_get_with(bridge.addr, "/pkg/client_wasm_bg.wasm", "Accept-Encoding: br, gzip\r\n").await;
    let lower = head.to_ascii_lowercase();
    assert!(head.starts_with("HTTP/1.1 200"), "run `make build` first: {head}");
    assert!(lower.contains("content-type: application/wasm"), "{head}");
    assert!(lower.contains("content-encoding: br"), "{head}");
    let precompressed = std::fs::metadata(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../web/dist/pkg/client_wasm_bg.wasm.br"
    ))
    .expect("the build's .br file")
    .len();
    assert!(
        lower.contains(&format!("content-length: {precompressed}\r\n")),
        "{head}"
    );
    let (head, _) = http_get(bridge.addr, "/no-such-file.js").await;
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    let metrics = bridge.metrics().await;
    for name in [
        "bridge_sessions_open",
        "bridge_sessions_total",
        "bridge_bytes_total",
        "bridge_upstream_connect_seconds_bucket",
    ] {
        assert!(metrics.contains(name), "{name} missing: {metrics}");
    }
}
