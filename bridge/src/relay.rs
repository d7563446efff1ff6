//! The byte pump between one WebSocket and one upstream connection.
//!
//! Both directions run as two futures in one task. Neither buffers more than
//! one chunk: a chunk is read from one side only after the previous one was
//! accepted by the other, so a page that stops reading stops the upstream (TCP
//! backpressure) instead of growing the bridge's memory. A send that the page
//! does not accept within the ping timeout ends the session as a dead peer.

use std::io;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message};
use bytes::BytesMut;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::time::{Instant, MissedTickBehavior, timeout};
use tokio_rustls::client::TlsStream;
use tokio_util::sync::CancellationToken;

use crate::close::CloseReason;
use crate::e2e::Gate;
use crate::metrics::Metrics;
use crate::upstream::UpstreamStream;

/// How long closing handshakes may take once the session is over.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Per-session limits, taken from the configuration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RelaySettings {
    /// Close after this long without a relayed byte.
    pub idle_timeout: Duration,
    /// Ping the page this often.
    pub ping_interval: Duration,
    /// A page silent (no pong, no reading) for this long is dead.
    pub ping_timeout: Duration,
    /// Largest chunk read from the upstream at once.
    pub buffer_bytes: usize,
    /// Cap on relayed bytes, 0 for none.
    pub max_session_bytes: u64,
}

type TlsUpstream = Box<TlsStream<tokio::net::TcpStream>>;

/// The upstream's read side. Plain TCP waits for readiness before it allocates
/// a buffer, so an idle session holds no read buffer at all.
enum UpstreamReader {
    Tcp(OwnedReadHalf),
    Tls(ReadHalf<TlsUpstream>, BytesMut),
}

enum UpstreamWriter {
    Tcp(OwnedWriteHalf),
    Tls(WriteHalf<TlsUpstream>),
}

fn split(stream: UpstreamStream) -> (UpstreamReader, UpstreamWriter) {
    match stream {
        UpstreamStream::Plain(tcp) => {
            let (read, write) = tcp.into_split();
            (UpstreamReader::Tcp(read), UpstreamWriter::Tcp(write))
        }
        UpstreamStream::Tls(tls) => {
            let (read, write) = tokio::io::split(tls);
            (UpstreamReader::Tls(read, BytesMut::new()), UpstreamWriter::Tls(write))
        }
    }
}

impl UpstreamReader {
    /// The next chunk, or `None` at end of stream.
    async fn next_chunk(&mut self, capacity: usize) -> io::Result<Option<Bytes>> {
        match self {
            Self::Tcp(read) => loop {
                read.readable().await?;
                let mut chunk = BytesMut::with_capacity(capacity);
                match read.try_read_buf(&mut chunk) {
                    Ok(0) => return Ok(None),
                    Ok(_) => return Ok(Some(chunk.freeze())),
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
                    Err(error) => return Err(error),
                }
            },
            Self::Tls(read, buffer) => {
                buffer.reserve(capacity.min(TLS_READ_BYTES));
                match read.read_buf(buffer).await? {
                    0 => Ok(None),
                    n => Ok(Some(buffer.split_to(n).freeze())),
                }
            }
        }
    }
}

impl UpstreamWriter {
    async fn send(&mut self, data: &[u8]) -> io::Result<()> {
        match self {
            Self::Tcp(write) => write.write_all(data).await,
            Self::Tls(write) => {
                write.write_all(data).await?;
                // rustls holds written plaintext until flushed.
                write.flush().await
            }
        }
    }

    async fn close(&mut self) {
        let _ = match self {
            Self::Tcp(write) => timeout(CLOSE_TIMEOUT, write.shutdown()).await,
            Self::Tls(write) => timeout(CLOSE_TIMEOUT, write.shutdown()).await,
        };
    }
}

/// Largest read from a TLS upstream at once: rustls decrypts one record (at most
/// 16 KiB) at a time, and the buffer stays allocated while a TLS session is idle.
const TLS_READ_BYTES: usize = 16 * 1024;

/// Milliseconds since the session started, stored in atomics.
struct SessionClock(Instant);

impl SessionClock {
    fn new() -> Self {
        Self(Instant::now())
    }

    fn mark(&self, slot: &AtomicU64) {
        slot.store(self.0.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// The instant recorded in `slot`.
    fn at(&self, slot: &AtomicU64) -> Instant {
        self.0 + Duration::from_millis(slot.load(Ordering::Relaxed))
    }

    fn since(&self, slot: &AtomicU64) -> Duration {
        self.0
            .elapsed()
            .saturating_sub(Duration::from_millis(slot.load(Ordering::Relaxed)))
    }
}

/// Relays until one side ends, a limit is hit or `shutdown` fires; then sends the
/// page a close frame saying why and returns the reason. With a `gate` (end-to-end
/// upstreams), page bytes reach the upstream only as the gate lets them through.
pub(crate) async fn relay<P>(
    page: P,
    upstream: UpstreamStream,
    prelude: Vec<u8>,
    gate: Option<Gate>,
    settings: RelaySettings,
    metrics: &Metrics,
    shutdown: &CancellationToken,
) -> CloseReason
where
    P: Stream<Item = Result<Message, axum::Error>> + Sink<Message, Error = axum::Error> + Unpin,
{
    let (mut page_sink, mut page_stream) = page.split();
    let (mut reader, mut writer) = split(upstream);
    // Both directions run in this one task; atomics only because the future must be Send.
    let clock = SessionClock::new();
    let last_activity = AtomicU64::new(0);
    let last_pong = AtomicU64::new(0);
    let relayed = AtomicU64::new(0);
    // Shared by both directions (the STARTTLS answer opens it); a Mutex only
    // because the future must be Send, it is never contended.
    let gate = gate.map(Mutex::new);
    let over_cap = |bytes: usize| {
        let total = relayed.fetch_add(bytes as u64, Ordering::Relaxed) + bytes as u64;
        settings.max_session_bytes != 0 && total > settings.max_session_bytes
    };

    let reason = {
        let to_page = async {
            if !prelude.is_empty() {
                metrics.add_to_page(prelude.len());
                if page_sink.send(Message::Binary(prelude.into())).await.is_err() {
                    return CloseReason::DeadPeer;
                }
            }
            let mut ticker = tokio::time::interval_at(Instant::now() + settings.ping_interval, settings.ping_interval);
            ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                // Recomputed each turn: the page's direction also counts as activity.
                let idle_deadline = clock.at(&last_activity) + settings.idle_timeout;
                tokio::select! {
                    () = tokio::time::sleep_until(idle_deadline) => {
                        if clock.since(&last_activity) >= settings.idle_timeout {
                            return CloseReason::IdleTimeout;
                        }
                    }
                    chunk = reader.next_chunk(settings.buffer_bytes) => {
                        let chunk = match chunk {
                            Ok(Some(chunk)) => chunk,
                            Ok(None) => return CloseReason::UpstreamClosed,
                            Err(error) => return CloseReason::UpstreamError(error.to_string()),
                        };
                        if over_cap(chunk.len()) {
                            return CloseReason::SessionByteLimit;
                        }
                        if let Some(gate) = &gate {
                            gate.lock().unwrap_or_else(std::sync::PoisonError::into_inner).handle_server(&chunk);
                        }
                        metrics.add_to_page(chunk.len());
                        clock.mark(&last_activity);
                        match timeout(settings.ping_timeout, page_sink.send(Message::Binary(chunk))).await {
                            Ok(Ok(())) => {}
                            Ok(Err(_)) | Err(_) => return CloseReason::DeadPeer,
                        }
                    }
                    _ = ticker.tick() => {
                        if clock.since(&last_pong) > settings.ping_timeout {
                            return CloseReason::DeadPeer;
                        }
                        if !matches!(timeout(settings.ping_timeout, page_sink.send(Message::Ping(Bytes::new()))).await, Ok(Ok(()))) {
                            return CloseReason::DeadPeer;
                        }
                    }
                }
            }
        };
        let to_upstream = async {
            while let Some(message) = page_stream.next().await {
                match message {
                    Ok(Message::Binary(data)) => {
                        if over_cap(data.len()) {
                            return CloseReason::SessionByteLimit;
                        }
                        clock.mark(&last_activity);
                        let data = match &gate {
                            None => data,
                            Some(gate) => {
                                match gate
                                    .lock()
                                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                                    .handle_page(data)
                                {
                                    Ok(data) => data,
                                    Err(why) => return CloseReason::EndToEndRefused(why),
                                }
                            }
                        };
                        if data.is_empty() {
                            continue;
                        }
                        match timeout(settings.ping_timeout, writer.send(&data)).await {
                            Ok(Ok(())) => metrics.add_to_upstream(data.len()),
                            Ok(Err(error)) => return CloseReason::UpstreamError(error.to_string()),
                            Err(_) => return CloseReason::UpstreamError("the upstream stopped reading".into()),
                        }
                    }
                    Ok(Message::Pong(_)) => clock.mark(&last_pong),
                    Ok(Message::Ping(_)) => {}
                    Ok(Message::Text(_)) => return CloseReason::TextFrame,
                    Ok(Message::Close(_)) => return CloseReason::PageClosed,
                    Err(error) => return page_error(&error),
                }
            }
            CloseReason::PageClosed
        };
        tokio::select! {
            reason = to_page => reason,
            reason = to_upstream => reason,
            () = shutdown.cancelled() => CloseReason::ShuttingDown,
        }
    };

    writer.close().await;
    // Best effort also for a dead peer: a page that only stalled (a busy tab, a
    // suspended laptop waking up) still reads 4010; a gone one costs CLOSE_TIMEOUT.
    if reason != CloseReason::PageClosed {
        let frame = CloseFrame {
            code: reason.code(),
            reason: reason.reason().into(),
        };
        let _ = timeout(CLOSE_TIMEOUT, page_sink.send(Message::Close(Some(frame)))).await;
    }
    let _ = timeout(CLOSE_TIMEOUT, page_sink.close()).await;
    reason
}

/// Maps a failed read from the page: oversized messages have their own code.
fn page_error(error: &axum::Error) -> CloseReason {
    let capacity = std::error::Error::source(error)
        .and_then(|inner| inner.downcast_ref::<tungstenite::Error>())
        .is_some_and(|inner| matches!(inner, tungstenite::Error::Capacity(_)));
    if capacity {
        CloseReason::MessageTooBig
    } else {
        CloseReason::DeadPeer
    }
}
