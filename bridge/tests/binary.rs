//! The `webmail-bridge` binary: configuration errors, the TLS listener, graceful
//! shutdown on SIGTERM, and logs that never carry relayed bytes.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use support::{closed, echo_upstream, read_bytes, send};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

const BINARY: &str = env!("CARGO_BIN_EXE_webmail-bridge");

fn run_with_config(toml: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bridge.toml");
    std::fs::write(&path, toml).unwrap();
    Command::new(BINARY).arg("--config").arg(&path).output().unwrap()
}

#[test]
fn configuration_errors_name_the_problem_and_exit_non_zero() {
    for (toml, expected) in [
        ("listen = \"127.0.0.1:0\"\nlisten_prot = 1\n", "listen_prot"),
        ("listen = \"not an address\"\n", "listen"),
        (
            "listen = \"127.0.0.1:0\"\ntls_cert = \"/nonexistent/cert.pem\"\ntls_key = \"/nonexistent/key.pem\"\n",
            "tls_cert",
        ),
        (
            "[[upstream]]\nname = \"x\"\naddress = \"host-without-port\"\ntls = \"none\"\n",
            "upstream[0].address",
        ),
        (
            "[[upstream]]\nname = \"x\"\naddress = \"h:1\"\ntls = \"maybe\"\n",
            "tls",
        ),
        ("[limits]\nidle_timeout_secs = 0\n", "limits.idle_timeout_secs"),
    ] {
        let output = run_with_config(toml);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{toml}: {stderr}");
        assert!(stderr.contains(expected), "{toml}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let missing = Command::new(BINARY)
        .args(["--config", "/nonexistent/bridge.toml"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read config file /nonexistent/bridge.toml"));
    let help = Command::new(BINARY).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--listen",
        "--upstream",
        "--idle-timeout-secs",
        "BRIDGE_MAX_CONNECTIONS",
        "--tls-cert",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
}

/// A running binary; killed when dropped.
struct Process {
    child: Child,
    url: String,
    logs: std::sync::mpsc::Receiver<String>,
}

impl Process {
    /// `HOST:PORT` the binary listens on, from its first line.
    fn address(&self) -> String {
        self.url
            .trim_start_matches("http://")
            .trim_start_matches("https://")
            .trim_end_matches('/')
            .to_owned()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(args: &[&str]) -> Process {
    spawn_command(Command::new(BINARY), args)
}

/// Spawns the binary with at most `limit` open file descriptors.
fn spawn_with_descriptor_limit(limit: u32, args: &[&str]) -> Process {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
        .arg(BINARY);
    spawn_command(command, args)
}

fn spawn_command(mut command: Command, args: &[&str]) -> Process {
    let mut child = command
        .args(args)
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let url = first
        .trim()
        .strip_prefix("webmail-bridge: listening on ")
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    let (sender, logs) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    for reader in [Box::new(stdout) as Box<dyn Read + Send>, Box::new(stderr)] {
        let sender = sender.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(reader).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
    }
    Process { child, url, logs }
}

fn all_logs(process: &Process) -> String {
    process.logs.try_iter().collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn graceful_shutdown_lets_sessions_finish_then_closes_them() {
    let echo = echo_upstream().await;
    let upstream = format!("local={echo},tls=none");
    let process = spawn(&[
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        &upstream,
        "--shutdown-grace-secs",
        "1",
    ]);
    let address = process.address();
    let mut request = format!("ws://{address}/ws?upstream=local")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "origin",
        HeaderValue::from_str(process.url.trim_end_matches('/')).unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    send(&mut socket, b"a1 NOOP\r\n").await;
    assert_eq!(read_bytes(&mut socket, 9).await, b"a1 NOOP\r\n");
    // The password must never reach the logs, even at debug level.
    send(&mut socket, b"a2 LOGIN alice sup3r-s3cret\r\n").await;
    read_bytes(&mut socket, 29).await;

    let _ = Command::new("kill")
        .args(["-TERM", &process.child.id().to_string()])
        .status();
    // New connections are refused at once; the open session still relays during the grace period.
    let refused = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if tokio::net::TcpStream::connect(&address).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(refused.is_ok(), "the listener still accepts after SIGTERM");
    send(&mut socket, b"a3 NOOP\r\n").await;
    assert_eq!(read_bytes(&mut socket, 9).await, b"a3 NOOP\r\n");
    assert_eq!(
        closed(&mut socket).await,
        Some((1001, "bridge is shutting down".into()))
    );
    let mut process = process;
    let status = tokio::task::spawn_blocking(move || {
        let status = process.child.wait();
        (status, process)
    })
    .await
    .unwrap();
    assert!(status.0.unwrap().success());
    let logs = all_logs(&status.1);
    assert!(logs.contains("session closed"), "{logs}");
    assert!(
        !logs.contains("sup3r-s3cret") && !logs.contains("a1 NOOP"),
        "relayed bytes in the logs:\n{logs}"
    );
}

#[tokio::test]
async fn the_listener_serves_wss_with_its_own_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let ca = webmail_testkit::pki::TestCa::generate("listener test CA").unwrap();
    let server = ca
        .issue_server(&["localhost", "127.0.0.1"], webmail_testkit::pki::Validity::CURRENT)
        .unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, &server.cert_pem).unwrap();
    std::fs::write(&key, &server.key_pem).unwrap();
    let echo = echo_upstream().await;
    let upstream = format!("local={echo},tls=none");
    let process = spawn(&[
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        &upstream,
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    assert!(process.url.starts_with("https://"), "{}", process.url);
    let address = process.address();
    let mut roots = rustls::RootCertStore::empty();
    use rustls::pki_types::pem::PemObject;
    roots
        .add(rustls::pki_types::CertificateDer::from_pem_slice(ca.cert_pem().as_bytes()).unwrap())
        .unwrap();
    let config =
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    let mut request = format!("wss://{address}/ws?upstream=local")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("origin", HeaderValue::from_str(&format!("https://{address}")).unwrap());
    let tcp = tokio::net::TcpStream::connect(&address).await.unwrap();
    let (mut socket, _) = tokio_tungstenite::client_async_tls_with_config(
        request,
        tcp,
        None,
        Some(tokio_tungstenite::Connector::Rustls(std::sync::Arc::new(config))),
    )
    .await
    .unwrap();
    send(&mut socket, b"over wss\r\n").await;
    assert_eq!(read_bytes(&mut socket, 10).await, b"over wss\r\n");
}

#[tokio::test]
async fn clients_that_never_finish_a_request_cannot_exhaust_descriptors() {
    let echo = echo_upstream().await;
    let upstream = format!("local={echo},tls=none");
    // About 50 descriptors for connections; twice that many attackers.
    let process = spawn_with_descriptor_limit(
        64,
        &[
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            &upstream,
            "--request-timeout-secs",
            "1",
        ],
    );
    let address = process.address();
    let mut silent = Vec::new();
    for _ in 0..120 {
        silent.push(tokio::net::TcpStream::connect(&address).await.unwrap());
    }
    // Queued behind all of them, a health check still gets its answer once the
    // silent ones have timed out and given their descriptors back.
    let health = tokio::time::timeout(
        Duration::from_secs(20),
        support::http_get(address.parse().unwrap(), "/healthz"),
    )
    .await
    .expect("/healthz answered while 120 connections sent nothing");
    assert!(health.0.starts_with("HTTP/1.1 200"), "{}", health.0);
    let logs = all_logs(&process);
    assert!(
        logs.contains("out of resources"),
        "the bridge ran out of descriptors:\n{logs}"
    );
    drop(silent);
}
