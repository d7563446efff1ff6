//! The browser bindings: `TlsSession`, which `client-wasm` drives through the
//! `endToEnd` connect option (see client-wasm/src/wasm/page_tls.rs).

use js_sys::{Array, Error, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::certificate::{self, CertificateInfo};
use crate::prelude::{self, Prelude};
use crate::session::{Session, TlsError, Trust};
use webmail_wire::starttls::Progress;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** What to trust beyond the Mozilla roots. */
export interface TlsTrust {
  /** Extra root certificates, PEM (e.g. a private CA). */
  extraRootsPem?: string;
  /** Certificates accepted by SHA-256 fingerprint, "AB:CD:..." (e.g. a self-signed server the user trusts). */
  pinnedSha256?: string[];
}

/** A server certificate, as a certificate dialog shows it. */
export interface CertificateInfo {
  subject: string;
  issuer: string;
  /** SHA-256 of the certificate, "AB:CD:...". */
  sha256: string;
  notBefore: string | null;
  notAfter: string | null;
  /** DNS names and IP addresses it is valid for. */
  names: string[];
}

/** Codes of the `code` property of TLS errors (the last three from the STARTTLS exchange). */
export type TlsErrorCode = "CERT_UNTRUSTED" | "CERT_EXPIRED" | "CERT_NAME" | "CERT_INVALID" | "TLS_CONFIG" | "TLS_PROTOCOL"
  | "STARTTLS_REFUSED" | "PROTOCOL_ERROR" | "CONNECTION_LOST";
"#;

/// A TLS client session over in-memory buffers.
#[wasm_bindgen]
pub struct TlsSession {
    session: Session,
    /// The plaintext STARTTLS exchange, while it runs.
    prelude: Option<Prelude>,
    /// The server's greeting, kept for the protocol engine once TLS is up.
    greeting: Vec<u8>,
}

#[wasm_bindgen]
impl TlsSession {
    /// Starts a session to `serverName`; throws an `Error` with a `code` for bad options.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = serverName)] server_name: String,
        #[wasm_bindgen(unchecked_param_type = "TlsTrust | undefined")] trust: JsValue,
    ) -> Result<TlsSession, JsValue> {
        let trust = read_trust(&trust)?;
        Session::new(&server_name, &trust)
            .map(|session| TlsSession {
                session,
                prelude: None,
                greeting: Vec::new(),
            })
            .map_err(|error| js_error(&error))
    }

    /// Runs STARTTLS in plaintext before the handshake: `"imap"` or `"smtp"`
    /// (the `end-to-end-starttls` upstreams). Call before the first `receive`.
    #[wasm_bindgen(js_name = startTls)]
    pub fn start_tls(&mut self, protocol: &str) -> Result<(), JsValue> {
        let prelude = Prelude::new(protocol).ok_or_else(|| {
            coded_error(
                &format!("`{protocol}` has no STARTTLS here (imap or smtp)"),
                "TLS_CONFIG",
            )
        })?;
        self.prelude = Some(prelude);
        Ok(())
    }

    /// The server's greeting from before STARTTLS (once the exchange is over;
    /// empty for implicit TLS): the protocol engine reads it first.
    #[wasm_bindgen(js_name = takeGreeting)]
    pub fn take_greeting(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.greeting)
    }

    /// Takes bytes from the server, returns the plaintext they carried.
    pub fn receive(&mut self, ciphertext: &[u8]) -> Result<Vec<u8>, JsValue> {
        if let Some(exchange) = &mut self.prelude {
            let progress = exchange
                .handle_input(ciphertext)
                .map_err(|error| coded_error(&error.to_string(), prelude::error_code(&error)))?;
            if let Progress::Done { greeting } = progress {
                self.greeting = greeting;
                self.prelude = None;
            }
            return Ok(Vec::new());
        }
        self.session.receive(ciphertext).map_err(|error| js_error(&error))
    }

    /// Bytes to send to the server now (possibly none).
    #[wasm_bindgen(js_name = takeOutgoing)]
    pub fn take_outgoing(&mut self) -> Vec<u8> {
        match &mut self.prelude {
            Some(exchange) => exchange.take_outgoing(),
            None => self.session.take_outgoing(),
        }
    }

    /// Encrypts plaintext for the server; collect it with `takeOutgoing`.
    pub fn send(&mut self, plaintext: &[u8]) -> Result<(), JsValue> {
        self.session.send(plaintext).map_err(|error| js_error(&error))
    }

    /// True once the server is verified and the handshake is over.
    #[wasm_bindgen(getter, js_name = handshakeDone)]
    pub fn handshake_done(&self) -> bool {
        self.session.handshake_done()
    }

    /// The certificate the server presented (also after it was refused), or null.
    #[wasm_bindgen(js_name = peerCertificate, unchecked_return_type = "CertificateInfo | null")]
    pub fn peer_certificate(&self) -> JsValue {
        self.session
            .peer_certificate()
            .map_or(JsValue::NULL, |info| certificate_object(&info))
    }

    /// The code of the failure that ended the session (`CERT_UNTRUSTED`...), or null.
    #[wasm_bindgen(getter, js_name = failureCode, unchecked_return_type = "TlsErrorCode | null")]
    pub fn failure_code(&self) -> Option<String> {
        self.session.failure().map(|error| error.kind.code().to_owned())
    }

    /// "TLS 1.3" or "TLS 1.2" once negotiated.
    #[wasm_bindgen(getter)]
    pub fn protocol(&self) -> Option<String> {
        self.session.protocol().map(str::to_owned)
    }

    /// The negotiated cipher suite (IANA name).
    #[wasm_bindgen(getter, js_name = cipherSuite)]
    pub fn cipher_suite(&self) -> Option<String> {
        self.session.cipher_suite().map(str::to_owned)
    }
}

fn read_trust(value: &JsValue) -> Result<Trust, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(Trust::default());
    }
    let field = |name: &str| Reflect::get(value, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
    let extra_roots_pem = field("extraRootsPem").as_string();
    let mut pinned_sha256 = Vec::new();
    let pins = field("pinnedSha256");
    if !pins.is_undefined() && !pins.is_null() {
        if !Array::is_array(&pins) {
            return Err(Error::new("pinnedSha256 must be an array of fingerprints").into());
        }
        for pin in Array::from(&pins).iter() {
            let text = pin.as_string().unwrap_or_default();
            let parsed = certificate::parse_fingerprint(&text)
                .ok_or_else(|| Error::new(&format!("`{text}` is not a SHA-256 fingerprint")))?;
            pinned_sha256.push(parsed);
        }
    }
    Ok(Trust {
        extra_roots_pem,
        pinned_sha256,
    })
}

fn js_error(error: &TlsError) -> JsValue {
    coded_error(&error.message, error.kind.code())
}

/// An `Error` with a `code`.
fn coded_error(message: &str, code: &str) -> JsValue {
    let object = Error::new(message);
    let _ = Reflect::set(&object, &"code".into(), &code.into());
    object.into()
}

fn certificate_object(info: &CertificateInfo) -> JsValue {
    let object = Object::new();
    let set = |key: &str, value: JsValue| {
        let _ = Reflect::set(&object, &key.into(), &value);
    };
    set("subject", info.subject.as_str().into());
    set("issuer", info.issuer.as_str().into());
    set("sha256", info.sha256.as_str().into());
    set(
        "notBefore",
        info.not_before.as_deref().map_or(JsValue::NULL, JsValue::from_str),
    );
    set(
        "notAfter",
        info.not_after.as_deref().map_or(JsValue::NULL, JsValue::from_str),
    );
    set(
        "names",
        info.names
            .iter()
            .map(|name| JsValue::from_str(name))
            .collect::<Array>()
            .into(),
    );
    object.into()
}
