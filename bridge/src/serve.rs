//! The accept loop and the HTTP/1.1 connections, with the timers `axum::serve` lacks.
//!
//! `axum::serve` gives hyper no timer, so hyper's header timeout never fires: a
//! client that sends one header line every few seconds, or nothing at all, holds
//! a descriptor for as long as it likes, and enough of them lock everyone out.
//! Here every connection must finish its TLS handshake within
//! `limits.tls_handshake_timeout_secs` and each request head (the first, and the
//! next on a kept-alive connection) within `limits.request_timeout_secs`. When
//! descriptors run out, the accept loop backs off instead of spinning, and the
//! timed-out connections give them back.
//!
//! Only HTTP/1.1 is served (the TLS listener offers only `http/1.1` by ALPN):
//! the WebSocket needs nothing else, and HTTP/2's stream multiplexing and reset
//! floods are surface the bridge does not need.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;
use tracing::{debug, warn};

/// First pause after an accept error caused by exhausted resources.
const BACKOFF_FIRST: Duration = Duration::from_millis(10);
/// Longest pause between accept attempts while resources stay exhausted.
const BACKOFF_MAX: Duration = Duration::from_secs(1);

/// What every connection is served with.
pub(crate) struct Connections {
    /// The bridge's routes.
    pub(crate) router: Router,
    /// `Some` on the HTTPS listener.
    pub(crate) tls: Option<TlsAcceptor>,
    /// Bound on the listener's TLS handshake.
    pub(crate) handshake_timeout: Duration,
    /// Bound on receiving a complete request head.
    pub(crate) request_timeout: Duration,
    /// How long requests in progress may finish after `signal`.
    pub(crate) grace: Duration,
}

/// Accepts and serves connections until `signal` resolves, then lets requests in
/// progress finish for up to `grace` (upgraded WebSockets are not waited for here).
pub(crate) async fn serve(tcp: TcpListener, connections: Connections, signal: impl Future<Output = ()>) {
    let connections = Arc::new(connections);
    let running = TaskTracker::new();
    let stop = CancellationToken::new();
    let mut backoff = BACKOFF_FIRST;
    tokio::pin!(signal);
    loop {
        let accepted = tokio::select! {
            () = &mut signal => break,
            accepted = tcp.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                backoff = BACKOFF_FIRST;
                running.spawn(connection(stream, peer, connections.clone(), stop.clone()));
            }
            Err(error) if is_resource_exhaustion(&error) => {
                warn!(%error, pause_ms = backoff.as_millis() as u64, "cannot accept connections: out of resources");
                tokio::select! {
                    () = &mut signal => break,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
            // A connection reset before it was accepted and the like: that one only.
            Err(error) => debug!(%error, "accept failed"),
        }
    }
    drop(tcp);
    stop.cancel();
    running.close();
    if tokio::time::timeout(connections.grace, running.wait()).await.is_err() {
        debug!("requests still in progress after the grace period");
    }
}

/// Errors after which accepting again at once would fail the same way.
fn is_resource_exhaustion(error: &io::Error) -> bool {
    // Linux's numbers (the bridge is built for Linux; EMFILE, ENFILE and ENOMEM are
    // the same on the BSDs, ENOBUFS is not).
    const EMFILE: i32 = 24;
    const ENFILE: i32 = 23;
    const ENOBUFS: i32 = 105;
    const ENOMEM: i32 = 12;
    matches!(error.raw_os_error(), Some(EMFILE | ENFILE | ENOBUFS | ENOMEM))
        || error.kind() == io::ErrorKind::OutOfMemory
}

async fn connection(stream: TcpStream, peer: SocketAddr, connections: Arc<Connections>, stop: CancellationToken) {
    // Relayed IMAP is request/response: small writes must go out at once.
    let _ = stream.set_nodelay(true);
    let Some(acceptor) = &connections.tls else {
        return http(stream, peer, &connections, &stop).await;
    };
    match tokio::time::timeout(connections.handshake_timeout, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => http(tls, peer, &connections, &stop).await,
        Ok(Err(error)) => debug!(%peer, %error, "listener TLS handshake failed"),
        Err(_) => debug!(%peer, "listener TLS handshake timed out"),
    }
}

async fn http<I>(io: I, peer: SocketAddr, connections: &Connections, stop: &CancellationToken)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let router = connections.router.clone();
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        // What axum's ConnectInfo extractor reads (client_ip, per-IP limits).
        request.extensions_mut().insert(ConnectInfo(peer));
        router.clone().oneshot(request)
    });
    let served = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(connections.request_timeout)
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::pin!(served);
    let result = tokio::select! {
        result = served.as_mut() => result,
        () = stop.cancelled() => {
            served.as_mut().graceful_shutdown();
            served.await
        }
    };
    if let Err(error) = result {
        debug!(%peer, %error, "connection ended");
    }
}
