//! One WebSocket to the bridge: opened, fed in bounded messages, drained.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};

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

/// What the socket's event handlers hand the Rust side. One task reads a
/// socket and the page has one thread, so a queue and a waker are all the
/// channel it needs (futures' channels are built for threads, and weigh more).
#[derive(Default)]
struct Inbox {
    /// Messages not read yet, in order.
    messages: VecDeque<Vec<u8>>,
    /// How the opening ended, until `open` takes it.
    opened: Option<Result<(), SocketError>>,
    /// The close code and reason once the socket closed.
    closed: Option<(u16, String)>,
    /// The task waiting for any of the above.
    waker: Option<Waker>,
}

impl Inbox {
    fn wake(&mut self) {
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }
}

/// An open WebSocket to the bridge; closing it on drop.
pub struct BridgeSocket {
    socket: WebSocket,
    inbox: Rc<RefCell<Inbox>>,
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
        let inbox = Rc::new(RefCell::new(Inbox::default()));
        let on_message = {
            let inbox = inbox.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                let Ok(event) = event.dyn_into::<MessageEvent>() else {
                    return;
                };
                if let Ok(buffer) = event.data().dyn_into::<js_sys::ArrayBuffer>() {
                    let mut inbox = inbox.borrow_mut();
                    inbox.messages.push_back(js_sys::Uint8Array::new(&buffer).to_vec());
                    inbox.wake();
                }
            })
        };
        let on_close = {
            let inbox = inbox.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                let (code, reason) = event
                    .dyn_into::<CloseEvent>()
                    .map(|close| (close.code(), close.reason()))
                    .unwrap_or((ABNORMAL, String::new()));
                let mut inbox = inbox.borrow_mut();
                // Before the open event, a close is the bridge refusing the upgrade.
                let refused = SocketError::from_close(code, &reason, false);
                inbox.opened.get_or_insert(Err(refused));
                inbox.closed = Some((code, reason));
                inbox.wake();
            })
        };
        let on_open = {
            let inbox = inbox.clone();
            Closure::once(move || {
                let mut inbox = inbox.borrow_mut();
                inbox.opened.get_or_insert(Ok(()));
                inbox.wake();
            })
        };
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        let opened = poll_fn(|context| {
            let mut inbox = inbox.borrow_mut();
            match inbox.opened.take() {
                Some(opened) => Poll::Ready(opened),
                None => {
                    inbox.waker = Some(context.waker().clone());
                    Poll::Pending
                }
            }
        })
        .await;
        socket.set_onopen(None);
        drop(on_open);
        opened?;
        Ok(Self {
            socket,
            inbox,
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
        poll_fn(|context| {
            let mut inbox = self.inbox.borrow_mut();
            if let Some(bytes) = inbox.messages.pop_front() {
                return Poll::Ready(Ok(Some(bytes)));
            }
            // Every message before the close was read: now the close counts.
            match &inbox.closed {
                Some((code, _)) if close::kind_of(*code) == CloseKind::Ended => Poll::Ready(Ok(None)),
                Some((code, reason)) => Poll::Ready(Err(SocketError::from_close(*code, reason, true))),
                None => {
                    inbox.waker = Some(context.waker().clone());
                    Poll::Pending
                }
            }
        })
        .await
    }

    /// Closes the socket.
    pub fn close(&mut self) {
        let _ = self.socket.close();
    }

    /// Why a send failed: the bridge's close reason when it closed the socket
    /// (1009 for a message too big, 4009 for the session byte limit...).
    fn closed_error(&self) -> SocketError {
        match &self.inbox.borrow().closed {
            Some((code, reason)) => SocketError::from_close(*code, reason, true),
            None => SocketError::lost("the WebSocket is closed"),
        }
    }
}
