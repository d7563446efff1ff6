//! Bridge benchmark: webmail-bridge against websockify, websocat and socat (a raw TCP
//! relay, the physical limit), measured in one run on loopback.
//!
//! ```text
//! bench-bridge target                      # internal: the TCP server behind every relay
//! bench-bridge run --bridge PATH [--websocat PATH] [--websockify PATH] [--socat PATH]
//! ```
//!
//! Prints Markdown tables: throughput each direction with 16 KiB and 64 KiB
//! messages (every byte checksummed), added round-trip latency of 64-byte
//! request/response pairs over direct TCP (p50, p99), and resident memory per idle
//! connection at 1,000 and 9,000 connections.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Mode,
}

#[derive(Subcommand)]
enum Mode {
    /// The TCP server behind the relays (prints its port).
    Target,
    /// Runs the benchmark.
    Run {
        /// The webmail-bridge binary.
        #[arg(long)]
        bridge: PathBuf,
        /// websocat 1.x, if installed.
        #[arg(long)]
        websocat: Option<PathBuf>,
        /// websockify, if installed.
        #[arg(long)]
        websockify: Option<PathBuf>,
        /// socat, if installed.
        #[arg(long)]
        socat: Option<PathBuf>,
        /// Megabytes per throughput measurement.
        #[arg(long, default_value_t = 256)]
        megabytes: usize,
        /// Idle-connection counts for the memory measurement.
        #[arg(long, value_delimiter = ',', default_value = "1000,9000")]
        idle: Vec<usize>,
    },
}

/// The deterministic stream the target sends and the client checks.
fn pattern(offset: usize, out: &mut [u8]) {
    for (index, byte) in out.iter_mut().enumerate() {
        let position = offset + index;
        *byte = (position as u8).wrapping_mul(31) ^ ((position >> 8) as u8);
    }
}

// ---------------------------------------------------------------- target server

async fn target() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    println!("{}", listener.local_addr().expect("address").port());
    let open = Arc::new(AtomicUsize::new(0));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let open = open.clone();
        tokio::spawn(async move {
            open.fetch_add(1, Ordering::SeqCst);
            let _ = serve(stream, &open).await;
            open.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

/// First byte: `U` upload (8-byte length, then data; answers length and CRC),
/// `D` download (8-byte length, 4-byte chunk), `E` echo 64-byte pairs, `I` idle,
/// `C` count of open connections.
async fn serve(mut stream: TcpStream, open: &AtomicUsize) -> std::io::Result<()> {
    let mut mode = [0u8; 1];
    stream.read_exact(&mut mode).await?;
    match mode[0] {
        b'U' => {
            let total = stream.read_u64().await? as usize;
            let mut hasher = crc32fast::Hasher::new();
            let mut buffer = vec![0u8; 256 * 1024];
            let mut received = 0;
            while received < total {
                let n = stream.read(&mut buffer).await?;
                if n == 0 {
                    break;
                }
                hasher.update(&buffer[..n]);
                received += n;
            }
            stream.write_u64(received as u64).await?;
            stream.write_u32(hasher.finalize()).await?;
        }
        b'D' => {
            let total = stream.read_u64().await? as usize;
            let chunk = stream.read_u32().await? as usize;
            let mut buffer = vec![0u8; chunk];
            let mut sent = 0;
            while sent < total {
                let size = chunk.min(total - sent);
                pattern(sent, &mut buffer[..size]);
                stream.write_all(&buffer[..size]).await?;
                sent += size;
            }
        }
        b'E' => {
            let mut pair = [0u8; 64];
            while stream.read_exact(&mut pair).await.is_ok() {
                stream.write_all(&pair).await?;
            }
        }
        b'C' => {
            stream.write_u64(open.load(Ordering::SeqCst) as u64 - 1).await?;
        }
        _ => {
            let mut sink = [0u8; 64];
            while stream.read(&mut sink).await? > 0 {}
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- clients

/// A connection through a relay: a WebSocket or, for socat and direct, TCP.
enum Link {
    Ws(Box<tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>>),
    Tcp(TcpStream),
}

#[derive(Clone)]
enum Endpoint {
    Ws { url: String, origin: String },
    Tcp(SocketAddr),
}

impl Endpoint {
    async fn open(&self) -> Link {
        match self {
            Endpoint::Ws { url, origin } => {
                let mut request = url.as_str().into_client_request().expect("url");
                request
                    .headers_mut()
                    .insert("origin", HeaderValue::from_str(origin).expect("origin"));
                let (socket, _) = tokio_tungstenite::connect_async(request).await.expect("websocket");
                Link::Ws(Box::new(socket))
            }
            Endpoint::Tcp(address) => {
                let stream = TcpStream::connect(address).await.expect("tcp");
                let _ = stream.set_nodelay(true);
                Link::Tcp(stream)
            }
        }
    }
}

impl Link {
    async fn send(&mut self, bytes: &[u8]) {
        match self {
            Link::Ws(socket) => socket.send(Message::binary(bytes.to_vec())).await.expect("ws send"),
            Link::Tcp(stream) => stream.write_all(bytes).await.expect("tcp send"),
        }
    }

    /// Receives into `buffer` until `count` bytes arrived, calling `each` per piece.
    async fn receive(&mut self, count: usize, mut each: impl FnMut(&[u8])) {
        let mut received = 0;
        match self {
            Link::Ws(socket) => {
                while received < count {
                    match socket.next().await {
                        Some(Ok(Message::Binary(data))) => {
                            each(&data);
                            received += data.len();
                        }
                        Some(Ok(_)) => {}
                        other => panic!("ws ended after {received}: {other:?}"),
                    }
                }
            }
            Link::Tcp(stream) => {
                let mut buffer = vec![0u8; 256 * 1024];
                while received < count {
                    let n = stream
                        .read(&mut buffer[..(count - received).min(256 * 1024)])
                        .await
                        .expect("tcp read");
                    assert!(n > 0, "tcp ended after {received}");
                    each(&buffer[..n]);
                    received += n;
                }
            }
        }
    }
}

async fn upload(endpoint: &Endpoint, total: usize, message: usize) -> f64 {
    let mut link = endpoint.open().await;
    let mut header = vec![b'U'];
    header.extend_from_slice(&(total as u64).to_be_bytes());
    link.send(&header).await;
    let mut chunk = vec![0u8; message];
    let mut hasher = crc32fast::Hasher::new();
    let started = Instant::now();
    let mut sent = 0;
    while sent < total {
        let size = message.min(total - sent);
        pattern(sent, &mut chunk[..size]);
        hasher.update(&chunk[..size]);
        link.send(&chunk[..size]).await;
        sent += size;
    }
    let mut reply = Vec::new();
    link.receive(12, |piece| reply.extend_from_slice(piece)).await;
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(
        u64::from_be_bytes(reply[..8].try_into().expect("8 bytes")) as usize,
        total,
        "upload length"
    );
    assert_eq!(
        u32::from_be_bytes(reply[8..12].try_into().expect("4 bytes")),
        hasher.finalize(),
        "upload checksum"
    );
    total as f64 / 1e6 / elapsed
}

async fn download(endpoint: &Endpoint, total: usize, message: usize) -> f64 {
    let mut link = endpoint.open().await;
    let mut request = vec![b'D'];
    request.extend_from_slice(&(total as u64).to_be_bytes());
    request.extend_from_slice(&(message as u32).to_be_bytes());
    let started = Instant::now();
    link.send(&request).await;
    let mut hasher = crc32fast::Hasher::new();
    link.receive(total, |piece| hasher.update(piece)).await;
    let elapsed = started.elapsed().as_secs_f64();
    let mut expected = crc32fast::Hasher::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut offset = 0;
    while offset < total {
        let size = buffer.len().min(total - offset);
        pattern(offset, &mut buffer[..size]);
        expected.update(&buffer[..size]);
        offset += size;
    }
    assert_eq!(hasher.finalize(), expected.finalize(), "download checksum");
    total as f64 / 1e6 / elapsed
}

/// Round-trip times of 64-byte pairs, in microseconds (sorted).
async fn latency(endpoint: &Endpoint, pairs: usize) -> Vec<f64> {
    let mut link = endpoint.open().await;
    link.send(b"E").await;
    let pair = [7u8; 64];
    let mut times = Vec::with_capacity(pairs);
    for round in 0..pairs + 200 {
        let started = Instant::now();
        link.send(&pair).await;
        link.receive(64, |_| {}).await;
        if round >= 200 {
            times.push(started.elapsed().as_secs_f64() * 1e6);
        }
    }
    times.sort_by(f64::total_cmp);
    times
}

fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * fraction).round() as usize]
}

async fn open_count(target: SocketAddr) -> usize {
    let mut stream = TcpStream::connect(target).await.expect("target");
    stream.write_all(b"C").await.expect("count");
    stream.read_u64().await.expect("count") as usize
}

/// Resident memory of a process and its children (PSS, so forked copies are not counted twice), in KiB.
fn tree_pss_kib(pid: u32) -> u64 {
    let mut total = 0;
    let mut pending = vec![pid];
    while let Some(pid) = pending.pop() {
        let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
        total += rollup
            .lines()
            .find_map(|line| line.strip_prefix("Pss:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0);
        let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
        pending.extend(
            children
                .split_whitespace()
                .filter_map(|child| child.parse::<u32>().ok()),
        );
    }
    total
}

/// Opens `count` idle connections and returns KiB per connection, or why it failed.
async fn idle_memory(endpoint: &Endpoint, target: SocketAddr, relay: u32, count: usize) -> Result<f64, String> {
    // Start from a quiet relay: connections of earlier measurements are closed asynchronously.
    let quiet = Instant::now() + Duration::from_secs(30);
    while open_count(target).await > 0 {
        if Instant::now() > quiet {
            return Err("earlier connections never closed".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let baseline_open = 0;
    let before = tree_pss_kib(relay);
    let mut links = Vec::with_capacity(count);
    for index in 0..count {
        let link = tokio::time::timeout(Duration::from_secs(10), endpoint.open())
            .await
            .map_err(|_| format!("connection {index} timed out"))?;
        links.push(link);
    }
    for link in &mut links {
        link.send(b"I").await;
    }
    // Forking relays start a process per connection (websockify takes ~100 ms each).
    let deadline = Instant::now() + Duration::from_secs(60).max(Duration::from_millis(250) * count as u32);
    while open_count(target).await < baseline_open + count {
        if Instant::now() > deadline {
            return Err(format!(
                "only {} of {count} reached the target",
                open_count(target).await.saturating_sub(baseline_open)
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Let allocators settle before reading memory.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = tree_pss_kib(relay);
    drop(links);
    Ok(after.saturating_sub(before) as f64 / count as f64)
}

// ---------------------------------------------------------------- relays

struct Relay {
    name: &'static str,
    process: Option<Child>,
    endpoint: Endpoint,
    /// Forks a process per connection: thousands of idle ones would exhaust the machine.
    forks: bool,
}

impl Drop for Relay {
    fn drop(&mut self) {
        if let Some(process) = &mut self.process {
            let group = format!("-{}", process.id());
            let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
            let _ = process.kill();
            let _ = process.wait();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("port")
        .port()
}

fn spawn(program: &PathBuf, args: &[String]) -> Child {
    use std::os::unix::process::CommandExt;
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        // Nobody reads the relays' logs: a full pipe would stall them and the measurement.
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .env("RUST_LOG", "warn")
        .process_group(0)
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {}: {error}", program.display()))
}

async fn wait_listening(port: u16) {
    for _ in 0..400 {
        if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("nothing listens on port {port}");
}

async fn start_bridge(binary: &PathBuf, target: SocketAddr) -> Relay {
    let port = free_port();
    let args: Vec<String> = [
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--upstream",
        &format!("bench={target},tls=none"),
        "--max-connections",
        "20000",
        "--max-connections-per-ip",
        "20000",
        "--upgrades-per-minute-per-ip",
        "100000000",
        "--web-root",
        "/nonexistent",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let process = spawn(binary, &args);
    wait_listening(port).await;
    Relay {
        name: "webmail-bridge",
        process: Some(process),
        forks: false,
        endpoint: Endpoint::Ws {
            url: format!("ws://127.0.0.1:{port}/ws?upstream=bench"),
            origin: format!("http://127.0.0.1:{port}"),
        },
    }
}

async fn start_ws_relay(name: &'static str, program: &PathBuf, args: Vec<String>, port: u16, forks: bool) -> Relay {
    let process = spawn(program, &args);
    wait_listening(port).await;
    Relay {
        name,
        process: Some(process),
        forks,
        endpoint: Endpoint::Ws {
            url: format!("ws://127.0.0.1:{port}/"),
            origin: format!("http://127.0.0.1:{port}"),
        },
    }
}

#[derive(Default)]
struct Row {
    up16: f64,
    up64: f64,
    down16: f64,
    down64: f64,
    p50: f64,
    p99: f64,
    memory: BTreeMap<usize, Result<f64, String>>,
}

/// Throughput rounds run interleaved across relays, so a slow stretch of the
/// machine (another process, thermal throttling) hits every relay alike
/// instead of skewing one of them; each figure is the best of its rounds.
async fn measure_throughput(relays: &[Relay], megabytes: usize, rows: &mut [Row]) {
    let total = megabytes * 1024 * 1024;
    for round in 1..=3 {
        for (relay, row) in relays.iter().zip(rows.iter_mut()) {
            eprintln!("bench-bridge: round {round}/3 throughput of {}", relay.name);
            let endpoint = &relay.endpoint;
            row.up16 = row.up16.max(upload(endpoint, total, 16 * 1024).await);
            row.up64 = row.up64.max(upload(endpoint, total, 64 * 1024).await);
            row.down16 = row.down16.max(download(endpoint, total, 16 * 1024).await);
            row.down64 = row.down64.max(download(endpoint, total, 64 * 1024).await);
        }
    }
}

/// Latency samples are likewise gathered in interleaved rounds and pooled.
async fn measure_latency(relays: &[Relay], rows: &mut [Row]) {
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); relays.len()];
    for _ in 0..3 {
        for (relay, pooled) in relays.iter().zip(samples.iter_mut()) {
            pooled.extend(latency(&relay.endpoint, 1000).await);
        }
    }
    for (row, mut pooled) in rows.iter_mut().zip(samples) {
        pooled.sort_by(f64::total_cmp);
        row.p50 = percentile(&pooled, 0.5);
        row.p99 = percentile(&pooled, 0.99);
    }
}

async fn measure_memory(relay: &Relay, target: SocketAddr, idle: &[usize], row: &mut Row) {
    let Some(process) = &relay.process else { return };
    for &count in idle.iter().filter(|&&count| !relay.forks || count <= 1000) {
        eprintln!("bench-bridge: {count} idle connections through {}", relay.name);
        row.memory
            .insert(count, idle_memory(&relay.endpoint, target, process.id(), count).await);
        // Give the relay time to release the connections before the next size.
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

async fn run(
    bridge: PathBuf,
    websocat: Option<PathBuf>,
    websockify: Option<PathBuf>,
    socat: Option<PathBuf>,
    megabytes: usize,
    idle: Vec<usize>,
) {
    let current = std::env::current_exe().expect("own path");
    let mut target_process = Command::new(&current)
        .arg("target")
        .stdout(Stdio::piped())
        .spawn()
        .expect("target");
    let mut line = String::new();
    BufReader::new(target_process.stdout.as_mut().expect("stdout"))
        .read_line(&mut line)
        .expect("port");
    let target: SocketAddr = format!("127.0.0.1:{}", line.trim()).parse().expect("target port");

    let direct = Relay {
        name: "direct TCP (no relay)",
        process: None,
        forks: false,
        endpoint: Endpoint::Tcp(target),
    };
    let mut relays = vec![direct, start_bridge(&bridge, target).await];
    if let Some(socat) = &socat {
        let port = free_port();
        let args = vec![
            format!("TCP-LISTEN:{port},fork,reuseaddr,bind=127.0.0.1"),
            format!("TCP:{target}"),
        ];
        let process = spawn(socat, &args);
        wait_listening(port).await;
        relays.push(Relay {
            name: "socat (raw TCP relay)",
            process: Some(process),
            forks: true,
            endpoint: Endpoint::Tcp(format!("127.0.0.1:{port}").parse().expect("port")),
        });
    }
    if let Some(websocat) = &websocat {
        let port = free_port();
        let args = vec![
            "--binary".into(),
            format!("ws-l:127.0.0.1:{port}"),
            format!("tcp:{target}"),
        ];
        relays.push(start_ws_relay("websocat 1.14", websocat, args, port, false).await);
    }
    if let Some(websockify) = &websockify {
        let port = free_port();
        let args = vec![format!("127.0.0.1:{port}"), target.to_string()];
        relays.push(start_ws_relay("websockify 0.13", websockify, args, port, true).await);
    }
    let mut measured: Vec<Row> = relays.iter().map(|_| Row::default()).collect();
    measure_throughput(&relays, megabytes, &mut measured).await;
    measure_latency(&relays, &mut measured).await;
    for (relay, row) in relays.iter().zip(measured.iter_mut()) {
        measure_memory(relay, target, &idle, row).await;
    }
    let rows: Vec<(&str, Row)> = relays.iter().map(|relay| relay.name).zip(measured).collect();
    let (direct_p50, direct_p99) = (rows[0].1.p50, rows[0].1.p99);
    drop(relays);
    let _ = target_process.kill();
    let _ = target_process.wait();

    let socat_row = rows
        .iter()
        .find(|(name, _)| name.starts_with("socat"))
        .map(|(_, row)| row);
    let ratio = |value: f64, of: fn(&Row) -> f64| {
        socat_row.map_or(String::new(), |socat| format!(" ({:.2}x)", value / of(socat)))
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "Throughput on loopback, {megabytes} MB per run, every byte checksummed, best of 3 (ratio to socat):\n"
    );
    let _ = writeln!(out, "| relay | up, 16 KiB | up, 64 KiB | down, 16 KiB | down, 64 KiB |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    for (name, row) in &rows {
        let _ = writeln!(
            out,
            "| {name} | {:.0} MB/s{} | {:.0} MB/s{} | {:.0} MB/s{} | {:.0} MB/s{} |",
            row.up16,
            ratio(row.up16, |r| r.up16),
            row.up64,
            ratio(row.up64, |r| r.up64),
            row.down16,
            ratio(row.down16, |r| r.down16),
            row.down64,
            ratio(row.down64, |r| r.down64),
        );
    }
    let _ = writeln!(
        out,
        "\nRound trip of 64-byte request/response pairs (3 interleaved rounds of 1,000 after 200 warm-up each); added = over direct TCP (p50 {direct_p50:.1} µs, p99 {direct_p99:.1} µs):\n"
    );
    let _ = writeln!(out, "| relay | p50 | p99 | added p50 | added p50 vs socat |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    let socat_added = socat_row.map(|socat| socat.p50 - direct_p50);
    for (name, row) in rows.iter().skip(1) {
        let added = row.p50 - direct_p50;
        let versus = socat_added.map_or(String::new(), |socat| format!("{:.2}x", added / socat));
        let _ = writeln!(
            out,
            "| {name} | {:.1} µs | {:.1} µs | {added:.1} µs | {versus} |",
            row.p50, row.p99
        );
    }
    let _ = writeln!(
        out,
        "\nMemory per idle connection (PSS of the relay and its children, after opening them; forking relays pay a process each):\n"
    );
    let header: Vec<String> = idle.iter().map(|count| format!("{count} connections")).collect();
    let _ = writeln!(out, "| relay | {} |", header.join(" | "));
    let _ = writeln!(out, "|---|{}", "---|".repeat(idle.len()));
    for (name, row) in rows.iter().skip(1) {
        let cells: Vec<String> = idle
            .iter()
            .map(|count| match row.memory.get(count) {
                Some(Ok(kib)) => format!("{kib:.1} KiB"),
                Some(Err(why)) => format!("failed: {why}"),
                None => "not measured (a process per connection)".into(),
            })
            .collect();
        let _ = writeln!(out, "| {name} | {} |", cells.join(" | "));
    }
}

fn main() {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    match cli.command {
        Mode::Target => runtime.block_on(target()),
        Mode::Run {
            bridge,
            websocat,
            websockify,
            socat,
            megabytes,
            idle,
        } => {
            runtime.block_on(run(bridge, websocat, websockify, socat, megabytes, idle));
        }
    }
}
