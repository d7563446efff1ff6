//! What the client needs from its surroundings: a transport, a way to open one,
//! timers and task spawning. Native code uses tokio; the browser uses a
//! WebSocket and the JavaScript event loop. The client itself stays the same.

use crate::client::ErrorKind;
use std::future::Future;
use std::pin::Pin;

use super::error::ClientError;

/// A boxed future that need not be `Send` (the browser is single-threaded).
pub type LocalFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// One byte stream to the IMAP server (through the bridge, or direct).
pub trait Transport {
    /// Sends bytes (or queues them: the browser's WebSocket never blocks).
    fn send(&mut self, bytes: Vec<u8>) -> LocalFuture<'_, Result<(), ClientError>>;

    /// The next received bytes, or `None` once the peer closed. Must be cancel-safe:
    /// dropping the future before it completes loses no data.
    fn recv(&mut self) -> LocalFuture<'_, Result<Option<Vec<u8>>, ClientError>>;

    /// Upgrades the stream to TLS after STARTTLS. Transports that cannot (the browser
    /// through a bridge that already did STARTTLS) keep the default.
    fn start_tls(&mut self) -> LocalFuture<'_, Result<(), ClientError>> {
        Box::pin(async { Err(ClientError::new(ErrorKind::Protocol, "this transport cannot start TLS")) })
    }

    /// Whether [`Transport::start_tls`] works on this transport.
    fn can_start_tls(&self) -> bool {
        false
    }

    /// Closes the stream.
    fn close(&mut self);
}

/// Opens transports: once at the start, and again to reconnect.
pub trait Connector {
    /// Opens a new transport.
    fn connect(&self) -> LocalFuture<'_, Result<Box<dyn Transport>, ClientError>>;
}

/// Clock, timers and tasks.
pub trait Runtime {
    /// Milliseconds on a monotonic clock.
    fn now(&self) -> u64;
    /// Resolves after `millis` milliseconds.
    fn sleep(&self, millis: u64) -> LocalFuture<'static, ()>;
    /// Runs a task in the background on this thread.
    fn spawn(&self, task: LocalFuture<'static, ()>);
}
