//! The WebSocket to the bridge as the client's transport.

use crate::client::ErrorKind;
use std::cell::RefCell;
use std::rc::Rc;

use futures_channel::{mpsc, oneshot};
use futures_util::StreamExt;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};
use webmail_wire::close::{self, CloseKind};

use super::runtime::BrowserRuntime;
use crate::client::{ClientError, Connector, LocalFuture, Runtime, Transport};

/// Largest WebSocket message the page sends: a large APPEND goes as many of
/// them, so it passes the bridge's `limits.max_message_bytes` (1 MiB by default).
const MAX_MESSAGE: usize = 64 * 1024;
/// Bytes the browser may hold unsent before a send waits, so an upload's
/// progress follows the network instead of a buffer.
const MAX_BUFFERED: u32 = 1 << 20;
/// How often a waiting send looks at the browser's buffer.
const DRAIN_POLL_MS: u64 = 4;

/// What the socket delivers.
enum Incoming {
    Bytes(Vec<u8>),
    Closed(u16, String),
}

/// Opens `url?upstream=NAME` WebSockets.
pub(crate) struct WebSocketConnector {
    pub(crate) url: String,
}

/// A close of the bridge's WebSocket as the API's error (`webmail_wire::close`
/// is the table the bridge writes its codes from). `opened` tells a refused
/// upgrade (1006 before the socket opened) from a lost connection.
pub(crate) fn close_error(code: u16, reason: &str, opened: bool) -> ClientError {
    let text = if reason.is_empty() {
        format!("the connection closed (code {code})")
    } else {
        reason.to_owned()
    };
    match close::kind_of(code) {
        CloseKind::Tls => ClientError::new(ErrorKind::TlsFailed, text),
        CloseKind::Timeout => ClientError::new(ErrorKind::Timeout, text),
        CloseKind::Refused => ClientError::new(ErrorKind::BridgeRefused, text),
        _ if code == ABNORMAL && !opened => ClientError::new(
            ErrorKind::BridgeRefused,
            "the bridge could not be reached or refused the connection (origin not allowed or too many connections)",
        ),
        CloseKind::Ended | CloseKind::Lost => ClientError::connection_lost(text),
    }
}

/// RFC 6455's code for a connection that ended without a close frame.
const ABNORMAL: u16 = 1006;

struct Socket {
    socket: WebSocket,
    incoming: mpsc::UnboundedReceiver<Incoming>,
    /// The close code and reason once the socket closed, for a send that finds it closed.
    closed: Rc<RefCell<Option<(u16, String)>>>,
    /// Kept alive as long as the socket: the JS side calls them.
    _handlers: [Closure<dyn FnMut(JsValue)>; 2],
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
        let _ = self.socket.close();
    }
}

impl Connector for WebSocketConnector {
    fn connect(&self) -> LocalFuture<'_, Result<Box<dyn Transport>, ClientError>> {
        let url = self.url.clone();
        Box::pin(async move {
            // The browser only refuses malformed URLs here; its message adds nothing.
            let socket = WebSocket::new(&url)
                .map_err(|_| ClientError::invalid_argument(format!("`{url}` is not a WebSocket URL")))?;
            socket.set_binary_type(BinaryType::Arraybuffer);
            let (sender, incoming) = mpsc::unbounded();
            let (opened_tx, opened) = oneshot::channel::<Result<(), ClientError>>();
            let opened_tx = Rc::new(RefCell::new(Some(opened_tx)));

            let on_message = {
                let sender = sender.clone();
                Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                    let Ok(event) = event.dyn_into::<MessageEvent>() else {
                        return;
                    };
                    if let Ok(buffer) = event.data().dyn_into::<js_sys::ArrayBuffer>() {
                        let _ = sender.unbounded_send(Incoming::Bytes(js_sys::Uint8Array::new(&buffer).to_vec()));
                    }
                })
            };
            let closed = Rc::new(RefCell::new(None));
            let on_close = {
                let opened_tx = opened_tx.clone();
                let closed = closed.clone();
                Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                    let (code, reason) = event
                        .dyn_into::<CloseEvent>()
                        .map(|close| (close.code(), close.reason()))
                        .unwrap_or((1006, String::new()));
                    *closed.borrow_mut() = Some((code, reason.clone()));
                    if let Some(waiting) = opened_tx.borrow_mut().take() {
                        let _ = waiting.send(Err(close_error(code, &reason, false)));
                    }
                    let _ = sender.unbounded_send(Incoming::Closed(code, reason));
                })
            };
            let on_open = Closure::once(move || {
                if let Some(waiting) = opened_tx.borrow_mut().take() {
                    let _ = waiting.send(Ok(()));
                }
            });
            socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
            socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
            let opened = opened
                .await
                .unwrap_or_else(|_| Err(ClientError::connection_lost("the socket vanished")));
            socket.set_onopen(None);
            drop(on_open);
            opened?;
            let transport: Box<dyn Transport> = Box::new(Socket {
                socket,
                incoming,
                closed,
                _handlers: [on_message, on_close],
            });
            Ok(transport)
        })
    }
}

impl Transport for Socket {
    // Resolves once the bytes are in the browser's send buffer and that buffer
    // is below MAX_BUFFERED: a 30 MB APPEND waits for the network, in steps.
    fn send(&mut self, bytes: Vec<u8>) -> LocalFuture<'_, Result<(), ClientError>> {
        Box::pin(async move {
            for chunk in bytes.chunks(MAX_MESSAGE) {
                while self.socket.buffered_amount() > MAX_BUFFERED && self.socket.ready_state() == WebSocket::OPEN {
                    BrowserRuntime.sleep(DRAIN_POLL_MS).await;
                }
                if self.socket.ready_state() != WebSocket::OPEN || self.socket.send_with_u8_array(chunk).is_err() {
                    return Err(self.closed_error());
                }
            }
            Ok(())
        })
    }

    fn recv(&mut self) -> LocalFuture<'_, Result<Option<Vec<u8>>, ClientError>> {
        Box::pin(async move {
            match self.incoming.next().await {
                Some(Incoming::Bytes(bytes)) => Ok(Some(bytes)),
                Some(Incoming::Closed(code, _)) if close::kind_of(code) == CloseKind::Ended => Ok(None),
                None => Ok(None),
                Some(Incoming::Closed(code, reason)) => Err(close_error(code, &reason, true)),
            }
        })
    }

    fn close(&mut self) {
        let _ = self.socket.close();
    }
}

impl Socket {
    /// Why a send failed: the bridge's close reason when it closed the socket
    /// (1009 for a message too big, 4009 for the session byte limit...).
    fn closed_error(&self) -> ClientError {
        match &*self.closed.borrow() {
            Some((code, reason)) => close_error(*code, reason, true),
            None => ClientError::connection_lost("the WebSocket is closed"),
        }
    }
}
