//! The shipped nginx example in front of two bridge replicas, against a real Dovecot:
//! WebSocket upgrade headers pass, sessions spread over both bridges, and a replica
//! that dies is routed around.

mod support;

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};

use futures_util::StreamExt;
use support::{Socket, http_get, send};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use webmail_testkit::Dovecot;

const BINARY: &str = env!("CARGO_BIN_EXE_webmail-bridge");
const EXAMPLE: &str = include_str!("../deploy/nginx.conf");

/// A child process stopped on drop.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let _ = self.0.wait();
    }
}

fn bridge(dovecot: &Dovecot) -> (Running, SocketAddr) {
    let upstream = format!("local={},tls=none", dovecot.imap_addr());
    let mut child = Command::new(BINARY)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            &upstream,
            "--trusted-proxies",
            "127.0.0.1/32",
            "--shutdown-grace-secs",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let address = line
        .trim()
        .trim_start_matches("webmail-bridge: listening on http://")
        .trim_end_matches('/');
    (Running(child), address.parse().unwrap())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn imap_session(front: SocketAddr) -> Socket {
    let mut request = format!("ws://{front}/ws?upstream=local").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("origin", HeaderValue::from_str(&format!("http://{front}")).unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut text = String::new();
    send(&mut socket, b"a1 LOGIN alice wonderland\r\n").await;
    while !text.contains("a1 OK") {
        match socket.next().await {
            Some(Ok(Message::Binary(data))) => text.push_str(&String::from_utf8_lossy(&data)),
            Some(Ok(_)) => {}
            other => panic!("through nginx: {other:?} after {text:?}"),
        }
    }
    socket
}

#[tokio::test]
async fn two_bridges_behind_the_nginx_example() {
    let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|path| std::path::Path::new(path).exists());
    let nginx = nginx.expect("nginx is not installed: run `make setup` (Debian package nginx)");
    let dovecot = Dovecot::start().unwrap();
    let (first, first_addr) = bridge(&dovecot);
    let (_second, second_addr) = bridge(&dovecot);
    let front: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let config = EXAMPLE
        .replace("listen 8080;", &format!("listen {front};"))
        .replace("server 127.0.0.1:8081", &format!("server {first_addr}"))
        .replace("server 127.0.0.1:8082", &format!("server {second_addr}"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("logs")).unwrap();
    let config_path = dir.path().join("nginx.conf");
    std::fs::write(&config_path, config.replace("http {", "http {\n    access_log off;")).unwrap();
    let globals = format!("daemon off; pid {}/nginx.pid;", dir.path().display());
    let _nginx = Running(
        Command::new(nginx)
            .arg("-p")
            .arg(dir.path())
            .arg("-e")
            .arg(dir.path().join("logs/error.log"))
            .arg("-c")
            .arg(&config_path)
            .args(["-g", &globals])
            .spawn()
            .unwrap(),
    );
    // nginx is ready once it answers (the health route goes through to a bridge).
    let mut ready = false;
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(front).await.is_ok() {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(
        ready,
        "nginx did not start: {}",
        std::fs::read_to_string(dir.path().join("logs/error.log")).unwrap_or_default()
    );
    assert!(http_get(front, "/healthz").await.0.starts_with("HTTP/1.1 200"));

    let _one = imap_session(front).await;
    let _two = imap_session(front).await;
    for bridge in [first_addr, second_addr] {
        let (_, metrics) = http_get(bridge, "/metrics").await;
        assert!(
            metrics.contains("bridge_sessions_open 1"),
            "least_conn spreads sessions: {bridge}: {metrics}"
        );
    }
    // One replica goes away: new sessions reach the other one.
    drop(first);
    for _ in 0..3 {
        drop(imap_session(front).await);
    }
}
