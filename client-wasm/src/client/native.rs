//! The native shell: tokio TCP and TLS transports, for tests, benchmarks and tools.
//!
//! Runs on a tokio `LocalSet` (the client is single-threaded by design).

use crate::client::ErrorKind;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::error::ClientError;
use super::runtime::{Connector, LocalFuture, Runtime, Transport};

/// Timers and tasks on the current tokio `LocalSet`.
#[derive(Debug)]
pub struct TokioRuntime {
    start: Instant,
}

impl Default for TokioRuntime {
    fn default() -> Self {
        Self { start: Instant::now() }
    }
}

impl Runtime for TokioRuntime {
    fn now(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    fn sleep(&self, millis: u64) -> LocalFuture<'static, ()> {
        Box::pin(tokio::time::sleep(std::time::Duration::from_millis(millis)))
    }

    fn spawn(&self, task: LocalFuture<'static, ()>) {
        tokio::task::spawn_local(task);
    }
}

/// How a direct connection does TLS.
#[derive(Clone)]
pub enum Security {
    /// Plain TCP; STARTTLS may upgrade it later with this configuration and name.
    Plain(Option<(Arc<ClientConfig>, String)>),
    /// TLS from the first byte.
    Implicit(Arc<ClientConfig>, String),
}

/// A client configuration trusting the Mozilla roots plus `extra_ca_pem`.
pub fn tls_config(extra_ca_pem: Option<&str>) -> Result<Arc<ClientConfig>, ClientError> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(pem) = extra_ca_pem {
        use rustls::pki_types::pem::PemObject;
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(|error| ClientError::invalid_argument(format!("bad CA PEM: {error}")))?;
            roots
                .add(cert)
                .map_err(|error| ClientError::invalid_argument(format!("bad CA: {error}")))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| ClientError::new(ErrorKind::TlsFailed, error.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Opens direct TCP or TLS connections to one server.
#[derive(Clone)]
pub struct TcpConnector {
    address: SocketAddr,
    security: Security,
}

impl TcpConnector {
    /// A connector for `address` with the given TLS setup.
    pub fn new(address: SocketAddr, security: Security) -> Self {
        Self { address, security }
    }
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    /// No stream: closed, or handed to a TLS handshake that failed.
    Detached,
}

/// A TCP or TLS stream as a [`Transport`].
pub struct TcpTransport {
    stream: Stream,
    upgrade: Option<(Arc<ClientConfig>, String)>,
    buffer: Vec<u8>,
}

async fn handshake(tcp: TcpStream, config: Arc<ClientConfig>, name: &str) -> Result<TlsStream<TcpStream>, ClientError> {
    let server_name =
        ServerName::try_from(name.to_owned()).map_err(|error| ClientError::invalid_argument(error.to_string()))?;
    TlsConnector::from(config)
        .connect(server_name, tcp)
        .await
        .map_err(|error| ClientError::new(ErrorKind::TlsFailed, error.to_string()))
}

impl Connector for TcpConnector {
    fn connect(&self) -> LocalFuture<'_, Result<Box<dyn Transport>, ClientError>> {
        Box::pin(async move {
            let tcp = TcpStream::connect(self.address).await.map_err(|error| {
                ClientError::connection_lost(format!("cannot connect to {}: {error}", self.address))
            })?;
            let _ = tcp.set_nodelay(true);
            let (stream, upgrade) = match &self.security {
                Security::Plain(upgrade) => (Stream::Plain(tcp), upgrade.clone()),
                Security::Implicit(config, name) => {
                    (Stream::Tls(Box::new(handshake(tcp, config.clone(), name).await?)), None)
                }
            };
            let transport: Box<dyn Transport> = Box::new(TcpTransport {
                stream,
                upgrade,
                buffer: vec![0; 64 * 1024],
            });
            Ok(transport)
        })
    }
}

fn lost(error: std::io::Error) -> ClientError {
    ClientError::connection_lost(error.to_string())
}

impl Transport for TcpTransport {
    fn send(&mut self, bytes: Vec<u8>) -> LocalFuture<'_, Result<(), ClientError>> {
        Box::pin(async move {
            match &mut self.stream {
                Stream::Plain(tcp) => tcp.write_all(&bytes).await.map_err(lost),
                Stream::Tls(tls) => {
                    tls.write_all(&bytes).await.map_err(lost)?;
                    tls.flush().await.map_err(lost)
                }
                Stream::Detached => Err(ClientError::connection_lost("the TLS upgrade failed")),
            }
        })
    }

    fn recv(&mut self) -> LocalFuture<'_, Result<Option<Vec<u8>>, ClientError>> {
        Box::pin(async move {
            let read = match &mut self.stream {
                Stream::Plain(tcp) => tcp.read(&mut self.buffer).await,
                Stream::Tls(tls) => tls.read(&mut self.buffer).await,
                Stream::Detached => return Ok(None),
            };
            match read {
                Ok(0) => Ok(None),
                Ok(n) => Ok(Some(self.buffer[..n].to_vec())),
                Err(error) => Err(lost(error)),
            }
        })
    }

    fn start_tls(&mut self) -> LocalFuture<'_, Result<(), ClientError>> {
        Box::pin(async move {
            let Some((config, name)) = self.upgrade.take() else {
                return Err(ClientError::new(
                    ErrorKind::Protocol,
                    "no TLS configuration for STARTTLS",
                ));
            };
            let Stream::Plain(tcp) = std::mem::replace(&mut self.stream, Stream::Detached) else {
                return Err(ClientError::new(ErrorKind::Protocol, "the stream is already TLS"));
            };
            self.stream = Stream::Tls(Box::new(handshake(tcp, config, &name).await?));
            Ok(())
        })
    }

    fn can_start_tls(&self) -> bool {
        self.upgrade.is_some() && matches!(self.stream, Stream::Plain(_))
    }

    fn close(&mut self) {
        self.stream = Stream::Detached;
    }
}
