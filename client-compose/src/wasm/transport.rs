//! The submission session's bytes over the bridge's WebSocket, in the clear to
//! the bridge (which does TLS with the server) or through TLS run in the page
//! (end-to-end upstreams, with the TLS module's `TlsSession`).

use js_sys::Function;
use page_socket::tls_session::{TlsSessionLike, error_parts};
use page_socket::{BridgeSocket, SocketError};
use wasm_bindgen::prelude::*;
use webmail_wire::close::CloseKind;

use super::errors::Failure;

/// The socket, and the page's TLS session on end-to-end upstreams.
pub(super) struct Transport {
    socket: BridgeSocket,
    tls: Option<TlsSessionLike>,
    /// Plaintext that came before the session asked (the greeting after STARTTLS).
    pending: Vec<u8>,
}

impl Transport {
    /// Opens `url`; with `create_session`, runs TLS in the page (after SMTP
    /// STARTTLS in plaintext when `starttls`).
    pub(super) async fn open(url: &str, end_to_end: Option<(Function, bool)>) -> Result<Self, Failure> {
        let socket = BridgeSocket::open(url).await.map_err(socket_failure)?;
        let mut transport = Self {
            socket,
            tls: None,
            pending: Vec::new(),
        };
        if let Some((create_session, starttls)) = end_to_end {
            let session: TlsSessionLike = create_session
                .call0(&JsValue::NULL)
                .map_err(tls_failure)?
                .unchecked_into();
            if starttls {
                session.start_tls("smtp").map_err(tls_failure)?;
            }
            let mut early = Vec::new();
            loop {
                let records = session.take_outgoing();
                if !records.is_empty() {
                    transport.socket.send(&records, |_| {}).await.map_err(socket_failure)?;
                }
                if session.handshake_done() {
                    break;
                }
                let records = transport.socket.recv().await.map_err(socket_failure)?.ok_or_else(|| {
                    Failure::new(
                        "TLS_FAILED",
                        "the server closed the connection during the TLS handshake",
                    )
                })?;
                early.extend(session.receive(&records).map_err(tls_failure)?);
            }
            transport.pending = [session.take_greeting(), early].concat();
            transport.tls = Some(session);
        }
        Ok(transport)
    }

    /// Sends `bytes`; `progress` hears how many have left the browser.
    pub(super) async fn send(&mut self, bytes: &[u8], progress: impl FnMut(usize)) -> Result<(), Failure> {
        match &self.tls {
            None => self.socket.send(bytes, progress).await.map_err(socket_failure),
            Some(session) => {
                session.send(bytes).map_err(tls_failure)?;
                let records = session.take_outgoing();
                // Records are a little larger than the plaintext; report in plaintext bytes.
                let total = bytes.len();
                let mut progress = progress;
                self.socket
                    .send(&records, |handed| progress(handed.min(total)))
                    .await
                    .map_err(socket_failure)
            }
        }
    }

    /// The next plaintext from the server; `None` when the session ended.
    pub(super) async fn recv(&mut self) -> Result<Option<Vec<u8>>, Failure> {
        if !self.pending.is_empty() {
            return Ok(Some(std::mem::take(&mut self.pending)));
        }
        loop {
            let Some(bytes) = self.socket.recv().await.map_err(socket_failure)? else {
                return Ok(None);
            };
            let Some(session) = &self.tls else {
                return Ok(Some(bytes));
            };
            let plaintext = session.receive(&bytes).map_err(tls_failure)?;
            let reply = session.take_outgoing();
            if !reply.is_empty() {
                self.socket.send(&reply, |_| {}).await.map_err(socket_failure)?;
            }
            if !plaintext.is_empty() {
                return Ok(Some(plaintext));
            }
        }
    }

    pub(super) fn close(&mut self) {
        self.socket.close();
    }
}

/// A socket's end as the API's error.
fn socket_failure(error: SocketError) -> Failure {
    let code = match error.kind {
        CloseKind::Tls => "TLS_FAILED",
        CloseKind::Timeout => "TIMEOUT",
        CloseKind::Refused => "BRIDGE_REFUSED",
        CloseKind::Ended | CloseKind::Lost => "CONNECTION_LOST",
    };
    Failure::new(code, error.message)
}

/// A `TlsSession` error: its STARTTLS exchange's protocol or connection
/// failures keep their codes; everything else is `TLS_FAILED`.
fn tls_failure(error: JsValue) -> Failure {
    let (code, message) = error_parts(&error);
    let code = match code.as_deref() {
        Some("PROTOCOL_ERROR") => "PROTOCOL_ERROR",
        Some("CONNECTION_LOST") => "CONNECTION_LOST",
        _ => "TLS_FAILED",
    };
    Failure::new(code, message)
}
