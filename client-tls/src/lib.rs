//! TLS from the page to the IMAP server, for end-to-end upstreams: the bridge
//! relays ciphertext only, and the password and the mail never exist in the
//! clear outside the page and the server.
//!
//! [`Session`] is a rustls client connection driven over in-memory buffers
//! (sans-IO): ciphertext in, plaintext out, and the other way round. The base
//! client (`client-wasm`) calls it through a small JavaScript interface, so this
//! crate is a separate wasm module that a page loads only when an upstream needs
//! it; the base client stays as small as it was.
//!
//! Certificates are checked against the Mozilla roots (webpki-roots), plus an
//! extra root the operator configures, or accepted by a pinned SHA-256
//! fingerprint (a self-signed or private-CA server, the way Thunderbird offers a
//! certificate exception). The certificate the server presented is kept even when
//! it fails verification, so the page can show its subject, issuer and fingerprint.
//!
//! For STARTTLS upstreams the session also runs the plaintext before the
//! handshake ([`prelude`]), for IMAP and SMTP submission alike.

pub mod certificate;
pub mod prelude;
mod session;
mod verify;
#[cfg(target_arch = "wasm32")]
mod wasm;

pub use certificate::CertificateInfo;
pub use session::{Session, TlsError, TlsErrorKind, Trust};
