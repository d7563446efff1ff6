//! Why a session ended, as the page sees it: a WebSocket close code and a short reason.
//!
//! The codes themselves are `webmail_wire::close`, shared with the page's
//! client, which turns them into its API errors. Reasons stay under the
//! 123-byte limit of a close frame and never contain relayed data.

use std::fmt;

use webmail_wire::close::CloseCode;

/// The end of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The page closed the WebSocket.
    PageClosed,
    /// The bridge is shutting down.
    ShuttingDown,
    /// The page sent a text frame; only binary frames carry IMAP bytes.
    TextFrame,
    /// The page sent a message larger than `limits.max_message_bytes`.
    MessageTooBig,
    /// The upstream server closed the connection.
    UpstreamClosed,
    /// `?upstream=` names no configured upstream.
    UnknownUpstream(String),
    /// `service=submission` for an upstream that names no submission server.
    NoSubmission(String),
    /// The target is not spelled as the bridge accepts it (an odd IP spelling, not a host name...).
    AddressInvalid(crate::policy::AddressError),
    /// No pattern allows this typed server (`host:port`).
    NotAllowed(String),
    /// A typed server resolved to an address it may not be dialled at. The page
    /// learns only that `server` is not allowed; the address goes to the log.
    AddressForbidden {
        /// The server as the page typed it, `host:port`.
        server: String,
        /// Which address and why, for the log.
        why: crate::policy::Forbidden,
    },
    /// The name did not resolve.
    DnsFailure(String),
    /// Resolving and connecting took longer than `limits.connect_timeout_secs`.
    ConnectTimeout,
    /// The connection was refused or failed.
    ConnectFailed(String),
    /// TLS with the upstream failed; the text says why (untrusted, expired, wrong name...).
    TlsFailure(String),
    /// The upstream's certificate chains to no trusted root; pinning its
    /// fingerprint (`pinned_sha256`) would trust exactly it.
    CertificateNotTrusted {
        /// Why, e.g. "unknown issuer".
        why: &'static str,
        /// SHA-256 of the certificate, `AB:CD:...`, for the log.
        fingerprint: String,
    },
    /// The upstream did not greet as IMAP (or SMTP, for submission) or refused STARTTLS.
    StarttlsFailed(webmail_wire::starttls::StartTlsError),
    /// No byte was relayed for `limits.idle_timeout_secs`.
    IdleTimeout,
    /// The session reached `limits.max_session_bytes`.
    SessionByteLimit,
    /// The page stopped answering pings or reading.
    DeadPeer,
    /// Reading from or writing to the upstream failed.
    UpstreamError(String),
    /// The request itself is malformed (missing parameters).
    InvalidRequest(String),
    /// An end-to-end upstream's page did not start TLS as required (plaintext
    /// IMAP, a ClientHello for another server).
    EndToEndRefused(crate::e2e::Refusal),
}

impl CloseReason {
    /// The WebSocket close code, as the page's client knows it (`webmail_wire::close`).
    pub fn close_code(&self) -> CloseCode {
        match self {
            Self::PageClosed => CloseCode::Normal,
            Self::ShuttingDown => CloseCode::GoingAway,
            Self::TextFrame => CloseCode::UnsupportedData,
            Self::MessageTooBig => CloseCode::MessageTooBig,
            Self::UpstreamClosed => CloseCode::UpstreamClosed,
            Self::UnknownUpstream(_) | Self::NoSubmission(_) => CloseCode::UnknownUpstream,
            Self::AddressInvalid(_) | Self::NotAllowed(_) | Self::AddressForbidden { .. } => CloseCode::AddressRefused,
            Self::DnsFailure(_) => CloseCode::DnsFailure,
            Self::ConnectTimeout => CloseCode::ConnectTimeout,
            Self::ConnectFailed(_) => CloseCode::ConnectFailed,
            Self::TlsFailure(_) | Self::CertificateNotTrusted { .. } => CloseCode::TlsFailure,
            Self::StarttlsFailed(_) => CloseCode::StarttlsFailed,
            Self::IdleTimeout => CloseCode::IdleTimeout,
            Self::SessionByteLimit => CloseCode::SessionByteLimit,
            Self::DeadPeer => CloseCode::DeadPeer,
            Self::UpstreamError(_) => CloseCode::UpstreamError,
            Self::InvalidRequest(_) => CloseCode::InvalidRequest,
            Self::EndToEndRefused(_) => CloseCode::EndToEndRefused,
        }
    }

    /// The close code's number.
    pub fn code(&self) -> u16 {
        self.close_code().code()
    }

    /// A stable label for metrics and logs.
    pub fn label(&self) -> &'static str {
        match self {
            Self::PageClosed => "page_closed",
            Self::ShuttingDown => "shutting_down",
            Self::TextFrame => "text_frame",
            Self::MessageTooBig => "message_too_big",
            Self::UpstreamClosed => "upstream_closed",
            Self::UnknownUpstream(_) => "unknown_upstream",
            Self::NoSubmission(_) => "no_submission",
            Self::AddressInvalid(_) | Self::NotAllowed(_) | Self::AddressForbidden { .. } => "address_refused",
            Self::DnsFailure(_) => "dns_failure",
            Self::ConnectTimeout => "connect_timeout",
            Self::ConnectFailed(_) => "connect_failed",
            Self::TlsFailure(_) | Self::CertificateNotTrusted { .. } => "tls_failure",
            Self::StarttlsFailed(_) => "starttls_failed",
            Self::IdleTimeout => "idle_timeout",
            Self::SessionByteLimit => "session_byte_limit",
            Self::DeadPeer => "dead_peer",
            Self::UpstreamError(_) => "upstream_error",
            Self::InvalidRequest(_) => "invalid_request",
            Self::EndToEndRefused(_) => "end_to_end_refused",
        }
    }

    /// The close frame's reason text, cut to fit the frame. Unlike `Display`
    /// (which the log gets), it never says where a typed name resolved to.
    pub fn reason(&self) -> String {
        let text = match self {
            Self::AddressForbidden { server, .. } => {
                format!("address refused: {server} is not an allowed server")
            }
            // The fingerprint is for the operator, who reads the log.
            Self::CertificateNotTrusted { why, .. } => {
                format!("TLS failure: certificate not trusted ({why}); the operator can pin it")
            }
            _ => self.to_string(),
        };
        if text.len() <= 123 {
            return text;
        }
        let mut end = 120;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &text[..end])
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PageClosed => f.write_str("closed by the page"),
            Self::ShuttingDown => f.write_str("bridge is shutting down"),
            Self::TextFrame => f.write_str("text frames are not accepted; send binary frames"),
            Self::MessageTooBig => f.write_str("message too big"),
            Self::UpstreamClosed => f.write_str("upstream closed the connection"),
            Self::UnknownUpstream(name) => write!(f, "unknown upstream `{name}`"),
            Self::NoSubmission(name) => write!(f, "upstream `{name}` has no submission server for sending"),
            Self::AddressInvalid(why) => write!(f, "address refused: {why}"),
            Self::NotAllowed(server) => write!(f, "address refused: {server} is not an allowed server"),
            Self::AddressForbidden { server, why } => {
                write!(f, "address refused: {server} is not an allowed server ({why})")
            }
            Self::DnsFailure(why) => write!(f, "DNS lookup failed: {why}"),
            Self::ConnectTimeout => f.write_str("upstream connect timeout"),
            Self::ConnectFailed(why) => write!(f, "cannot connect to upstream: {why}"),
            Self::TlsFailure(why) => write!(f, "TLS failure: {why}"),
            Self::CertificateNotTrusted { why, fingerprint } => write!(
                f,
                "TLS failure: certificate not trusted ({why}); to trust exactly this certificate, add pinned_sha256 = [\"{fingerprint}\"] to the upstream"
            ),
            Self::StarttlsFailed(why) => write!(f, "STARTTLS failed: {why}"),
            Self::IdleTimeout => f.write_str("idle timeout"),
            Self::SessionByteLimit => f.write_str("session byte limit reached"),
            Self::DeadPeer => f.write_str("page stopped responding"),
            Self::UpstreamError(why) => write!(f, "upstream connection error: {why}"),
            Self::InvalidRequest(why) => write!(f, "invalid request: {why}"),
            Self::EndToEndRefused(why) => write!(f, "end-to-end TLS required: {why}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_reasons_fit_a_close_frame() {
        let reason = CloseReason::TlsFailure("ü".repeat(200)).reason();
        assert!(reason.len() <= 123, "{}", reason.len());
        assert!(reason.ends_with("..."));
    }

    #[test]
    fn the_page_never_learns_where_a_typed_name_points() {
        let reason = CloseReason::AddressForbidden {
            server: "intranet.example.org:993".into(),
            why: crate::policy::Forbidden::Class {
                ip: "10.1.2.3".parse().unwrap(),
                class: "a private address",
            },
        };
        assert_eq!(
            reason.reason(),
            "address refused: intranet.example.org:993 is not an allowed server"
        );
        assert!(
            reason.to_string().contains("10.1.2.3 is a private address"),
            "the log has it"
        );
    }
}
