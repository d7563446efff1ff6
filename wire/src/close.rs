//! The WebSocket close codes of a bridge session, as both ends know them.
//!
//! Codes 4000-4099 are the bridge's own (RFC 6455 leaves 4000-4999 to
//! applications); the others are RFC 6455's. The bridge picks the code for
//! why a session ended; the page turns a code into the API's error kind.

/// Why a session ended, as a WebSocket close code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseCode {
    /// 1000: the page closed the session.
    Normal,
    /// 1001: the bridge is shutting down.
    GoingAway,
    /// 1003: the page sent a text frame (only binary frames carry mail protocol bytes).
    UnsupportedData,
    /// 1009: the page sent a message larger than the bridge accepts.
    MessageTooBig,
    /// 4000: the mail server closed the connection.
    UpstreamClosed,
    /// 4001: no upstream by that name.
    UnknownUpstream,
    /// 4002: the server is not allowed (pattern, address class, port).
    AddressRefused,
    /// 4003: the server's name did not resolve.
    DnsFailure,
    /// 4004: resolving and connecting took too long.
    ConnectTimeout,
    /// 4005: the connection to the server failed.
    ConnectFailed,
    /// 4006: TLS with the server failed (untrusted, expired, wrong name...).
    TlsFailure,
    /// 4007: the server did not greet properly or refused STARTTLS.
    StarttlsFailed,
    /// 4008: no byte either way for the idle timeout.
    IdleTimeout,
    /// 4009: the session reached its byte limit.
    SessionByteLimit,
    /// 4010: the page stopped answering pings or reading.
    DeadPeer,
    /// 4011: reading from or writing to the server failed.
    UpstreamError,
    /// 4012: the request was malformed.
    InvalidRequest,
    /// 4013: an end-to-end upstream's page did not start TLS as required.
    EndToEndRefused,
}

/// What a close means to the page's API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseKind {
    /// The session ended the ordinary way (the page's own close, the server's).
    Ended,
    /// The bridge refused the session or what the page sent (`BRIDGE_REFUSED`).
    Refused,
    /// TLS with the server failed (`TLS_FAILED`).
    Tls,
    /// Something took too long (`TIMEOUT`).
    Timeout,
    /// The connection was lost; reconnecting may help (`CONNECTION_LOST`).
    Lost,
}

const CODES: [(CloseCode, u16); 18] = [
    (CloseCode::Normal, 1000),
    (CloseCode::GoingAway, 1001),
    (CloseCode::UnsupportedData, 1003),
    (CloseCode::MessageTooBig, 1009),
    (CloseCode::UpstreamClosed, 4000),
    (CloseCode::UnknownUpstream, 4001),
    (CloseCode::AddressRefused, 4002),
    (CloseCode::DnsFailure, 4003),
    (CloseCode::ConnectTimeout, 4004),
    (CloseCode::ConnectFailed, 4005),
    (CloseCode::TlsFailure, 4006),
    (CloseCode::StarttlsFailed, 4007),
    (CloseCode::IdleTimeout, 4008),
    (CloseCode::SessionByteLimit, 4009),
    (CloseCode::DeadPeer, 4010),
    (CloseCode::UpstreamError, 4011),
    (CloseCode::InvalidRequest, 4012),
    (CloseCode::EndToEndRefused, 4013),
];

/// RFC 6455's "policy violation", which proxies in front of a bridge send.
const POLICY_VIOLATION: u16 = 1008;

impl CloseCode {
    /// The number in the close frame.
    pub fn code(self) -> u16 {
        CODES
            .iter()
            .find(|(known, _)| *known == self)
            .map_or(1011, |(_, number)| *number)
    }

    /// The code for a number, if it is one of these.
    pub fn from_code(number: u16) -> Option<Self> {
        CODES.iter().find(|(_, known)| *known == number).map(|(code, _)| *code)
    }

    /// What the code means to the page.
    pub fn kind(self) -> CloseKind {
        match self {
            Self::Normal | Self::UpstreamClosed => CloseKind::Ended,
            Self::TlsFailure | Self::StarttlsFailed => CloseKind::Tls,
            Self::ConnectTimeout => CloseKind::Timeout,
            Self::UnknownUpstream
            | Self::AddressRefused
            | Self::SessionByteLimit
            | Self::InvalidRequest
            | Self::EndToEndRefused
            | Self::UnsupportedData
            | Self::MessageTooBig => CloseKind::Refused,
            Self::GoingAway
            | Self::DnsFailure
            | Self::ConnectFailed
            | Self::IdleTimeout
            | Self::DeadPeer
            | Self::UpstreamError => CloseKind::Lost,
        }
    }
}

/// What any close code means to the page, including codes this crate does not
/// name (a proxy's 1008 is a refusal; anything else unknown is a lost connection).
pub fn kind_of(number: u16) -> CloseKind {
    match CloseCode::from_code(number) {
        Some(code) => code.kind(),
        None if number == POLICY_VIOLATION => CloseKind::Refused,
        None => CloseKind::Lost,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_and_is_unique() {
        for (code, number) in CODES {
            assert_eq!(code.code(), number);
            assert_eq!(CloseCode::from_code(number), Some(code));
        }
        let mut numbers: Vec<u16> = CODES.iter().map(|(_, number)| *number).collect();
        numbers.dedup();
        assert_eq!(numbers.len(), CODES.len());
    }

    #[test]
    fn the_page_reads_each_close_as_the_api_error_it_is() {
        assert_eq!(kind_of(4013), CloseKind::Refused);
        assert_eq!(kind_of(1009), CloseKind::Refused);
        assert_eq!(kind_of(1008), CloseKind::Refused);
        assert_eq!(kind_of(4006), CloseKind::Tls);
        assert_eq!(kind_of(4004), CloseKind::Timeout);
        assert_eq!(kind_of(4000), CloseKind::Ended);
        assert_eq!(kind_of(4010), CloseKind::Lost);
        assert_eq!(kind_of(1006), CloseKind::Lost);
    }
}
