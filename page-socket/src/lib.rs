//! `page-socket`: the page's WebSocket to the bridge, written once for the
//! page's IMAP client (`client-wasm`) and its SMTP client (`client-compose`).
//!
//! - [`SocketError`]: how a socket ended, read from the bridge's close codes
//!   (`webmail_wire::close`), which each client turns into its API's error.
//! - `BridgeSocket` (browser only): open, send in bounded messages with
//!   backpressure on the browser's buffer, receive.
//! - `clock` (browser only): `performance.now()` and `setTimeout`, in windows
//!   and workers.
//! - `tls_session` (browser only): the TLS module's `TlsSession` as the IMAP
//!   and compose modules call it for end-to-end upstreams.
//! - [`race::first`]: the first of two futures, for a reply against its timeout.
#![forbid(unsafe_code)]

#[cfg(target_arch = "wasm32")]
pub mod clock;
pub mod race;
#[cfg(target_arch = "wasm32")]
mod socket;
#[cfg(target_arch = "wasm32")]
pub mod tls_session;

#[cfg(target_arch = "wasm32")]
pub use socket::BridgeSocket;

use webmail_wire::close::{self, CloseKind};

/// RFC 6455's code for a connection that ended without a close frame.
pub const ABNORMAL: u16 = 1006;

/// Why the socket cannot carry the session, as the API reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketError {
    /// What kind of end it was (the table the bridge writes its codes from).
    pub kind: CloseKind,
    /// The bridge's close reason, or a sentence saying what happened.
    pub message: String,
}

impl SocketError {
    /// A close of the bridge's WebSocket. `opened` tells a refused upgrade
    /// (1006 before the socket opened) from a lost connection.
    pub fn from_close(code: u16, reason: &str, opened: bool) -> Self {
        if code == ABNORMAL && !opened {
            return Self {
                kind: CloseKind::Refused,
                message: "the bridge could not be reached or refused the connection (origin not allowed or too many connections)".into(),
            };
        }
        let message = if reason.is_empty() {
            format!("the connection closed (code {code})")
        } else {
            reason.to_owned()
        };
        Self {
            kind: close::kind_of(code),
            message,
        }
    }

    /// The socket is gone for a reason the browser does not give.
    pub fn lost(message: &str) -> Self {
        Self {
            kind: CloseKind::Lost,
            message: message.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_upgrade_is_told_from_a_lost_connection() {
        assert_eq!(SocketError::from_close(ABNORMAL, "", false).kind, CloseKind::Refused);
        assert_eq!(SocketError::from_close(ABNORMAL, "", true).kind, CloseKind::Lost);
        let tls = SocketError::from_close(4006, "TLS failure: expired", true);
        assert_eq!(
            (tls.kind, tls.message.as_str()),
            (CloseKind::Tls, "TLS failure: expired")
        );
        assert_eq!(
            SocketError::from_close(1000, "", true).message,
            "the connection closed (code 1000)"
        );
    }
}
