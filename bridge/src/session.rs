//! `GET /ws`: checks the request, upgrades, dials the upstream and relays.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ipnet::IpNet;
use tracing::{Instrument, info, info_span, warn};

use crate::AppState;
use crate::limits::{Permit, Refusal};
use crate::relay::{self, RelaySettings};
use crate::upstream::TargetQuery;

/// The page-side WebSocket read buffer: small, because it is allocated for every
/// session up front, idle or not (tungstenite grows it for larger frames).
const WS_READ_BUFFER: usize = 4096;

/// `GET /ws?upstream=NAME` (or `?host=H&port=P` where patterns allow it), with
/// `&service=submission` for the upstream's submission server.
pub(crate) async fn upgrade(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(query): Query<TargetQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    let config = state.config();
    let client_ip = client_ip(peer.ip(), &headers, &config.trusted_proxies);
    if !websocket_key_valid(&headers) {
        state.metrics().refused("bad_request");
        return (
            StatusCode::BAD_REQUEST,
            "Sec-WebSocket-Key must be 16 bytes in base64 (RFC 6455 section 4.2.1)\n",
        )
            .into_response();
    }
    if !crate::origin::origin_allowed(&headers, &config.allowed_origins) {
        state.metrics().refused("origin");
        warn!(%client_ip, origin = ?headers.get(header::ORIGIN), "refused: origin not allowed");
        return (StatusCode::FORBIDDEN, "origin not allowed\n").into_response();
    }
    let permit = match state.admission().admit(client_ip) {
        Ok(permit) => permit,
        Err(refusal) => {
            state.metrics().refused(refusal.label());
            warn!(%client_ip, limit = refusal.label(), "refused: limit reached");
            let status = match refusal {
                Refusal::TooManySessions => StatusCode::SERVICE_UNAVAILABLE,
                Refusal::TooManyFromIp | Refusal::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            };
            return (status, format!("{}\n", refusal.label())).into_response();
        }
    };
    let limits = &config.limits;
    let tracker = state.sessions().clone();
    ws.read_buffer_size(WS_READ_BUFFER)
        // Each chunk is written out at once; backpressure comes from awaiting the send.
        .write_buffer_size(0)
        .max_write_buffer_size(limits.buffer_bytes * 4 + 1024)
        .max_message_size(limits.max_message_bytes)
        .max_frame_size(limits.max_message_bytes)
        .on_upgrade(move |socket| {
            let span = info_span!(
                "session",
                %client_ip,
                upstream = query.upstream.as_deref().or(query.host.as_deref()).unwrap_or("-"),
                service = query.service.label(),
            );
            tracker.track_future(session(state, socket, query, permit).instrument(span))
        })
}

async fn session(state: AppState, mut socket: WebSocket, query: TargetQuery, permit: Permit) {
    let started = Instant::now();
    let _open = state.metrics().session_opened(query.service.label());
    let dialer = state.dialer();
    let dialled = match dialer.target(&query) {
        Ok(target) => dialer.dial(&target).await,
        Err(reason) => Err(reason),
    };
    let reason = match dialled {
        Err(reason) => {
            let frame = CloseFrame {
                code: reason.code(),
                reason: reason.reason().into(),
            };
            let _ = tokio::time::timeout(Duration::from_secs(2), socket.send(Message::Close(Some(frame)))).await;
            reason
        }
        Ok(dialled) => {
            state.metrics().observe_connect(dialled.connect_time);
            let limits = &state.config().limits;
            let settings = RelaySettings {
                idle_timeout: Duration::from_secs(limits.idle_timeout_secs),
                ping_interval: Duration::from_secs(limits.ping_interval_secs),
                ping_timeout: Duration::from_secs(limits.ping_timeout_secs),
                buffer_bytes: limits.buffer_bytes,
                max_session_bytes: limits.max_session_bytes,
            };
            relay::relay(
                socket,
                dialled.stream,
                dialled.prelude,
                dialled.gate,
                settings,
                state.metrics(),
                state.shutdown(),
            )
            .await
        }
    };
    state.metrics().closed(reason.label());
    info!(reason = reason.label(), detail = %reason, seconds = started.elapsed().as_secs_f32(), "session closed");
    drop(permit);
}

/// RFC 6455 section 4.2.1: the key is a base64-encoded 16-byte value (the
/// standard engine also refuses non-canonical padding and trailing bits).
fn websocket_key_valid(headers: &HeaderMap) -> bool {
    use base64::Engine;
    headers.get(header::SEC_WEBSOCKET_KEY).is_some_and(|key| {
        base64::engine::general_purpose::STANDARD
            .decode(key.as_bytes())
            .is_ok_and(|bytes| bytes.len() == 16)
    })
}

/// The client's address: the peer, or the last hop a trusted proxy reports.
pub(crate) fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    if !trusted.iter().any(|net| net.contains(&peer)) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    // Walk from the nearest hop back; the first untrusted one is the client.
    forwarded
        .into_iter()
        .rev()
        .find(|hop| !trusted.iter().any(|net| net.contains(hop)))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::headers;

    #[test]
    fn websocket_keys_are_16_bytes_of_base64() {
        let with_key = |key: &'static str| headers(&[("sec-websocket-key", key)]);
        assert!(
            websocket_key_valid(&with_key("dGhlIHNhbXBsZSBub25jZQ==")),
            "RFC 6455's example"
        );
        for bad in [
            "",
            "x",
            "dGhlIHNhbXBsZSBub25jZQ",
            "dGhlIHNhbXBsZSBub25jZR==",
            "dGhlIHNhbXBsZSBub25j!Q==",
            "dGhlIHNhbXBsZSBub25jZQ==dGhl",
            "dGhlIHNhbXBsZSBub25jZSBsb25nZXI=",
        ] {
            assert!(!websocket_key_valid(&with_key(bad)), "{bad:?} accepted");
        }
        assert!(!websocket_key_valid(&HeaderMap::new()));
    }

    #[test]
    fn forwarded_for_is_only_trusted_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["127.0.0.0/8".parse().unwrap()];
        let xff = headers(&[("x-forwarded-for", "203.0.113.7, 127.0.0.2")]);
        assert_eq!(
            client_ip("127.0.0.1".parse().unwrap(), &xff, &trusted),
            "203.0.113.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_ip("198.51.100.1".parse().unwrap(), &xff, &trusted),
            "198.51.100.1".parse::<IpAddr>().unwrap()
        );
    }
}
