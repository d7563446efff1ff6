//! TLS in the page for end-to-end upstreams: a transport layered between the
//! WebSocket and the engine, so the bridge relays only ciphertext.
//!
//! The TLS itself lives in a second wasm module (`client_tls.js`, rustls), which
//! the page loads only when it needs it and hands over as a session factory:
//! `endToEnd: { createSession: () => new TlsSession(serverName, trust) }`. The
//! engine does not know TLS runs here: for the STARTTLS variant the session
//! runs the plaintext exchange too (`TlsSession.startTls("imap")`, the same
//! exchange the bridge runs for its own STARTTLS upstreams, kept in the TLS
//! module so this one carries none of it), then the handshake, before the
//! engine sees a byte; the engine gets the greeting stripped of its pre-TLS
//! capabilities (which anyone on the path could have forged).

use crate::client::ErrorKind;
use js_sys::Function;
use page_socket::race::{First, first};
use page_socket::tls_session::{TlsSessionLike, error_parts};
use wasm_bindgen::prelude::*;

use super::runtime::BrowserRuntime;
use super::transport::WebSocketConnector;
use crate::client::{ClientError, Connector, LocalFuture, Runtime, Transport};

/// How long the STARTTLS exchange and the handshake may take together.
const HANDSHAKE_TIMEOUT_MS: u64 = 15_000;

/// Opens WebSockets and runs TLS from the page through each.
pub(crate) struct PageTlsConnector {
    pub(crate) socket: WebSocketConnector,
    /// Returns a fresh `TlsSession` for each connection (reconnects included).
    pub(crate) create_session: Function,
    /// Send STARTTLS in plaintext first (`end-to-end-starttls` upstreams).
    pub(crate) starttls: bool,
}

impl Connector for PageTlsConnector {
    fn connect(&self) -> LocalFuture<'_, Result<Box<dyn Transport>, ClientError>> {
        Box::pin(async move {
            let mut socket = self.socket.connect().await?;
            let secured = Box::pin(async {
                let session: TlsSessionLike = self
                    .create_session
                    .call0(&JsValue::NULL)
                    .map_err(tls_error)?
                    .unchecked_into();
                if self.starttls {
                    session.start_tls("imap").map_err(tls_error)?;
                }
                let early = handshake(socket.as_mut(), &session).await?;
                Ok::<_, ClientError>((session.take_greeting(), session, early))
            });
            // A server that never answers must not leave connect() pending forever.
            let (greeting, session, early) = match first(secured, BrowserRuntime.sleep(HANDSHAKE_TIMEOUT_MS)).await {
                First::Left(secured) => secured?,
                First::Right(()) => {
                    return Err(ClientError::new(
                        ErrorKind::Timeout,
                        format!(
                            "the TLS handshake did not finish within {} s",
                            HANDSHAKE_TIMEOUT_MS / 1000
                        ),
                    ));
                }
            };
            let transport: Box<dyn Transport> = Box::new(PageTls {
                socket,
                session,
                pending: [greeting, early].concat(),
            });
            Ok(transport)
        })
    }
}

/// A WebSocket carrying TLS records; the engine sees plaintext.
struct PageTls {
    socket: Box<dyn Transport>,
    session: TlsSessionLike,
    /// Plaintext that arrived before the engine asked (greeting, early data).
    pending: Vec<u8>,
}

impl Transport for PageTls {
    fn send(&mut self, bytes: Vec<u8>) -> LocalFuture<'_, Result<(), ClientError>> {
        Box::pin(async move {
            self.session.send(&bytes).map_err(tls_error)?;
            let records = self.session.take_outgoing();
            self.socket.send(records).await
        })
    }

    // Cancel-safe like the WebSocket beneath: once bytes were taken from the socket
    // nothing awaits that can suspend (the WebSocket's send completes at once).
    fn recv(&mut self) -> LocalFuture<'_, Result<Option<Vec<u8>>, ClientError>> {
        Box::pin(async move {
            if !self.pending.is_empty() {
                return Ok(Some(std::mem::take(&mut self.pending)));
            }
            loop {
                let Some(records) = self.socket.recv().await? else {
                    return Ok(None);
                };
                let plaintext = self.session.receive(&records).map_err(tls_error)?;
                // Key updates and alerts the session wants to answer.
                let reply = self.session.take_outgoing();
                if !reply.is_empty() {
                    self.socket.send(reply).await?;
                }
                if !plaintext.is_empty() {
                    return Ok(Some(plaintext));
                }
            }
        })
    }

    fn close(&mut self) {
        self.socket.close();
    }
}

/// Runs the STARTTLS exchange, if any, and the handshake; returns plaintext
/// that arrived with the handshake's last flight.
async fn handshake(socket: &mut dyn Transport, session: &TlsSessionLike) -> Result<Vec<u8>, ClientError> {
    let mut early = Vec::new();
    loop {
        let records = session.take_outgoing();
        if !records.is_empty() {
            socket.send(records).await?;
        }
        if session.handshake_done() {
            return Ok(early);
        }
        let Some(records) = socket.recv().await? else {
            return Err(ClientError::new(
                ErrorKind::TlsFailed,
                "the server closed the connection during the TLS handshake",
            ));
        };
        early.extend(session.receive(&records).map_err(tls_error)?);
    }
}

/// A `TlsSession` error as the API's: TLS_FAILED (a certificate, a refused
/// STARTTLS), or what its STARTTLS exchange found (PROTOCOL_ERROR, CONNECTION_LOST).
fn tls_error(error: JsValue) -> ClientError {
    let (code, message) = error_parts(&error);
    let kind = match code.as_deref() {
        Some("PROTOCOL_ERROR") => ErrorKind::Protocol,
        Some("CONNECTION_LOST") => ErrorKind::ConnectionLost,
        _ => ErrorKind::TlsFailed,
    };
    ClientError::new(kind, message)
}
