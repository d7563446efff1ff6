//! One WebSocket to the bridge: opened, fed in bounded messages, drained.

use std::cell::RefCell;
use std::rc::Rc;

use futures_channel::{mpsc, oneshot};
use futures_util::StreamExt;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};
use webmail_wire::close::{self, CloseKind};

use crate::{ABNORMAL, SocketError, clock};

/// Largest WebSocket message the page sends: a large upload goes as many of
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

/// An open WebSocket to the bridge; closing it on drop.
pub struct BridgeSocket {
    socket: WebSocket,
    incoming: mpsc::UnboundedReceiver<Incoming>,
    /// The close code and reason once the socket closed, for a send that finds it closed.
    closed: Rc<RefCell<Option<(u16, String)>>>,
    /// Kept alive as long as the socket: the JS side calls them.
    _handlers: [Closure<dyn FnMut(JsValue)>; 2],
}

impl std::fmt::Debug for BridgeSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BridgeSocket").field("url", &self.socket.url()).finish()
    }
}

impl Drop for BridgeSocket {
    fn drop(&mut self) {
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
        let _ = self.socket.close();
    }
}

impl BridgeSocket {
    /// Opens `url` and waits until the bridge accepted it (or refused it).
    pub async fn open(url: &str) -> Result<Self, SocketError> {
        // The browser only refuses malformed URLs here; its message adds nothing.
        let socket = WebSocket::new(url).map_err(|_| SocketError {
            kind: CloseKind::Refused,
            message: format!("`{url}` is not a WebSocket URL"),
        })?;
        socket.set_binary_type(BinaryType::Arraybuffer);
        let (sender, incoming) = mpsc::unbounded();
        let (opened_tx, opened) = oneshot::channel::<Result<(), SocketError>>();
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
                    .unwrap_or((ABNORMAL, String::new()));
                *closed.borrow_mut() = Some((code, reason.clone()));
                if let Some(waiting) = opened_tx.borrow_mut().take() {
                    let _ = waiting.send(Err(SocketError::from_close(code, &reason, false)));
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
            .unwrap_or_else(|_| Err(SocketError::lost("the socket vanished")));
        socket.set_onopen(None);
        drop(on_open);
        opened?;
        Ok(Self {
            socket,
            incoming,
            closed,
            _handlers: [on_message, on_close],
        })
    }

    /// Resolves once the bytes are in the browser's send buffer and that buffer
    /// is below 1 MiB: a 30 MB upload waits for the network, in steps.
    /// `progress` hears how many of them have left the browser so far.
    pub async fn send(&mut self, bytes: &[u8], mut progress: impl FnMut(usize)) -> Result<(), SocketError> {
        let mut handed = 0;
        for chunk in bytes.chunks(MAX_MESSAGE) {
            while self.socket.buffered_amount() > MAX_BUFFERED && self.socket.ready_state() == WebSocket::OPEN {
                clock::sleep(DRAIN_POLL_MS).await;
            }
            if self.socket.ready_state() != WebSocket::OPEN || self.socket.send_with_u8_array(chunk).is_err() {
                return Err(self.closed_error());
            }
            handed += chunk.len();
            progress(handed.saturating_sub(self.socket.buffered_amount() as usize));
        }
        Ok(())
    }

    /// The next bytes from the server; `None` once the session ended the
    /// ordinary way; an error for any other close.
    pub async fn recv(&mut self) -> Result<Option<Vec<u8>>, SocketError> {
        match self.incoming.next().await {
            Some(Incoming::Bytes(bytes)) => Ok(Some(bytes)),
            Some(Incoming::Closed(code, _)) if close::kind_of(code) == CloseKind::Ended => Ok(None),
            None => Ok(None),
            Some(Incoming::Closed(code, reason)) => Err(SocketError::from_close(code, &reason, true)),
        }
    }

    /// Closes the socket.
    pub fn close(&mut self) {
        let _ = self.socket.close();
    }

    /// Why a send failed: the bridge's close reason when it closed the socket
    /// (1009 for a message too big, 4009 for the session byte limit...).
    fn closed_error(&self) -> SocketError {
        match &*self.closed.borrow() {
            Some((code, reason)) => SocketError::from_close(*code, reason, true),
            None => SocketError::lost("the WebSocket is closed"),
        }
    }
}
