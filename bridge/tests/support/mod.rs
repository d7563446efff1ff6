//! Helpers for the bridge's tests: an in-process bridge, WebSocket clients and
//! loopback upstream servers.
#![allow(dead_code)] // each test binary uses a different subset

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use webmail_bridge::Config;
use webmail_bridge::Server;

pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A bridge running in this process; dropping it stops it.
pub(crate) struct Bridge {
    pub(crate) addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<()>,
}

impl Bridge {
    /// Starts a bridge with `toml` (its `listen` is replaced by a free loopback port).
    pub(crate) async fn start(toml: &str) -> Bridge {
        let mut config = Config::from_toml(toml, std::path::Path::new("test.toml")).expect("test config");
        config.listen = "127.0.0.1:0".parse().expect("address");
        config.web_root = Some(std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../web/dist"
        )));
        config.validate().expect("valid test config");
        let server = Server::bind(config).await.expect("bind");
        let addr = server.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let done = tokio::spawn(server.run(async move {
            let _ = stopped.await;
        }));
        Bridge {
            addr,
            stop: Some(stop),
            done,
        }
    }

    /// The page origin the default same-origin check accepts.
    pub(crate) fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Opens `/ws?query` with a same-origin Origin header.
    pub(crate) async fn connect(&self, query: &str) -> Result<Socket, WsError> {
        self.connect_from(query, Some(&self.origin())).await
    }

    /// Opens `/ws?query` with the given Origin (or none).
    pub(crate) async fn connect_from(&self, query: &str, origin: Option<&str>) -> Result<Socket, WsError> {
        let mut request = format!("ws://{}/ws?{query}", self.addr).into_client_request()?;
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert("origin", HeaderValue::from_str(origin).expect("origin header"));
        }
        tokio_tungstenite::connect_async(request)
            .await
            .map(|(socket, _)| socket)
    }

    /// The `/metrics` text.
    pub(crate) async fn metrics(&self) -> String {
        http_get(self.addr, "/metrics").await.1
    }

    /// Asserts that `/metrics` holds this exact sample line.
    pub(crate) async fn assert_metric(&self, sample: &str) {
        let metrics = self.metrics().await;
        assert!(
            metrics.lines().any(|line| line == sample),
            "{sample} not in:\n{metrics}"
        );
    }

    /// Stops the server and waits for it.
    pub(crate) async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.done).await;
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A minimal HTTP/1.1 GET; returns (head, body).
pub(crate) async fn http_get(addr: SocketAddr, path: &str) -> (String, String) {
    http_get_with(addr, path, "").await
}

/// A GET with extra header lines (each ending in CRLF); a `Host:` among them replaces the default.
pub(crate) async fn http_get_with(addr: SocketAddr, path: &str, headers: &str) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let host = if headers.to_ascii_lowercase().contains("host:") {
        String::new()
    } else {
        format!("Host: {addr}\r\n")
    };
    let request = format!("GET {path} HTTP/1.1\r\n{host}{headers}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (head.to_owned(), body.to_owned())
}

/// Reads until the bridge closes the socket; returns the close code and reason.
pub(crate) async fn closed(socket: &mut Socket) -> Option<(u16, String)> {
    let wait = async {
        while let Some(message) = socket.next().await {
            match message {
                Ok(Message::Close(frame)) => {
                    return frame.map(|CloseFrame { code, reason }| (u16::from(code), reason.to_string()));
                }
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
        None
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .expect("the bridge closes the socket")
}

/// Collects binary payload bytes until `count` bytes arrived.
pub(crate) async fn read_bytes(socket: &mut Socket, count: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        match socket.next().await {
            Some(Ok(Message::Binary(data))) => out.extend_from_slice(&data),
            Some(Ok(_)) => {}
            other => panic!("socket ended after {} of {count} bytes: {other:?}", out.len()),
        }
    }
    out
}

/// Reads binary payload until it contains `needle`; panics if the socket ends first.
pub(crate) async fn read_until(socket: &mut Socket, needle: &[u8]) {
    if let Err(close) = read_until_or_close(socket, needle).await {
        panic!(
            "socket ended before {:?} arrived: {close:?}",
            String::from_utf8_lossy(needle)
        );
    }
}

/// Reads binary payload until it contains `needle`, or returns the close frame
/// (code and reason) if the bridge closes first.
pub(crate) async fn read_until_or_close(socket: &mut Socket, needle: &[u8]) -> Result<(), Option<(u16, String)>> {
    let mut out = Vec::new();
    while !out.windows(needle.len()).any(|window| window == needle) {
        match socket.next().await {
            Some(Ok(Message::Binary(data))) => out.extend_from_slice(&data),
            Some(Ok(Message::Close(frame))) => {
                return Err(frame.map(|CloseFrame { code, reason }| (u16::from(code), reason.to_string())));
            }
            None | Some(Err(_)) => return Err(None),
            Some(Ok(_)) => {}
        }
    }
    Ok(())
}

/// Sends one binary message.
pub(crate) async fn send(socket: &mut Socket, bytes: &[u8]) {
    socket.send(Message::binary(bytes.to_vec())).await.expect("send");
}

/// A loopback TCP server that runs `handler` for each connection.
pub(crate) async fn upstream<F, Fut>(handler: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(handler(stream));
        }
    });
    addr
}

/// An echo upstream.
pub(crate) async fn echo_upstream() -> SocketAddr {
    upstream(|mut stream| async move {
        let (mut read, mut write) = stream.split();
        let _ = tokio::io::copy(&mut read, &mut write).await;
    })
    .await
}

/// The bridge configuration for one plain upstream named `local`.
pub(crate) fn plain_upstream(addr: SocketAddr, extra: &str) -> String {
    format!("{extra}\n[[upstream]]\nname = \"local\"\naddress = \"{addr}\"\ntls = \"none\"\n")
}

/// Open file descriptors of this process.
pub(crate) fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map(|dir| dir.count()).unwrap_or(0)
}
