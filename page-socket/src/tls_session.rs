//! The TLS module's `TlsSession` as the other modules see it: a JavaScript
//! object, since separate wasm modules cannot link to each other.

use js_sys::Reflect;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// A TLS client session over in-memory buffers (client-tls's `TlsSession`).
    pub type TlsSessionLike;

    /// Takes bytes from the server, returns the plaintext they carried.
    #[wasm_bindgen(method, catch)]
    pub fn receive(this: &TlsSessionLike, ciphertext: &[u8]) -> Result<Vec<u8>, JsValue>;

    /// Bytes to send to the server now.
    #[wasm_bindgen(method, js_name = takeOutgoing)]
    pub fn take_outgoing(this: &TlsSessionLike) -> Vec<u8>;

    /// Encrypts plaintext for the server.
    #[wasm_bindgen(method, catch)]
    pub fn send(this: &TlsSessionLike, plaintext: &[u8]) -> Result<(), JsValue>;

    /// True once the server is verified and the handshake is over.
    #[wasm_bindgen(method, getter, js_name = handshakeDone)]
    pub fn handshake_done(this: &TlsSessionLike) -> bool;

    /// Runs STARTTLS in plaintext first: `"imap"` or `"smtp"`.
    #[wasm_bindgen(method, catch, js_name = startTls)]
    pub fn start_tls(this: &TlsSessionLike, protocol: &str) -> Result<(), JsValue>;

    /// The greeting from before STARTTLS, for the protocol engine.
    #[wasm_bindgen(method, js_name = takeGreeting)]
    pub fn take_greeting(this: &TlsSessionLike) -> Vec<u8>;
}

/// A `TlsSession` error's `code` and `message`.
pub fn error_parts(error: &JsValue) -> (Option<String>, String) {
    let text = |name: &str| {
        Reflect::get(error, &JsValue::from_str(name))
            .ok()
            .and_then(|value| value.as_string())
    };
    (
        text("code"),
        text("message").unwrap_or_else(|| "TLS in the page failed".into()),
    )
}
