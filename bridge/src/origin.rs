//! Which names the bridge answers to (`Host`) and which pages may use it (`Origin`).
//!
//! The Origin check alone is not enough in its default mode, where the page's
//! own origin is allowed: a DNS-rebinding page on `rebind.attacker.example`
//! sends a matching Host and Origin. So `/ws` and `/api/*` first require a Host
//! the bridge knows as its own: a configured public origin, or, when none is
//! configured, an IP literal or `localhost`, which no attacker's DNS can point
//! elsewhere.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::warn;

use crate::AppState;

/// Middleware for `/ws` and `/api/*`: refuses a request whose Host is not the bridge's own.
pub(crate) async fn require_own_host(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if host_allowed(request.headers(), &state.config().public_origins) {
        return next.run(request).await;
    }
    state.metrics().refused("host");
    warn!(host = ?request.headers().get(header::HOST), "refused: Host is not one of the bridge's own names (set public_origins)");
    (
        StatusCode::MISDIRECTED_REQUEST,
        "this bridge does not serve that host name\n",
    )
        .into_response()
}

/// True when the request's Host is one of the bridge's own names.
///
/// With `public_origins` configured, the Host must be the authority of one of
/// them; otherwise it must be an IP literal or `localhost` (with any port).
pub(crate) fn host_allowed(headers: &HeaderMap, public_origins: &[String]) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|value| value.to_str().ok()) else {
        return false;
    };
    if !public_origins.is_empty() {
        return public_origins.iter().any(|origin| origin_matches_host(origin, host));
    }
    let name = match host.strip_prefix('[') {
        Some(bracketed) => {
            return bracketed
                .split_once(']')
                .is_some_and(|(ip, port)| ip.parse::<std::net::Ipv6Addr>().is_ok() && is_port_suffix(port));
        }
        None => match host.rsplit_once(':') {
            Some((name, port)) if is_port_suffix(&format!(":{port}")) => name,
            _ => host,
        },
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::Ipv4Addr>().is_ok()
}

/// `""` or `:DIGITS`.
fn is_port_suffix(text: &str) -> bool {
    text.is_empty()
        || text
            .strip_prefix(':')
            .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// The Origin check against cross-site WebSocket hijacking. Browsers always send
/// Origin on WebSocket upgrades, so a request without one is refused as well.
/// With no configured origins, only the page's own origin (the Host, which
/// [`host_allowed`] has vouched for) is allowed.
pub(crate) fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|value| value.to_str().ok()) else {
        return false;
    };
    if !allowed.is_empty() {
        return allowed.iter().any(|candidate| candidate.eq_ignore_ascii_case(origin));
    }
    headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|host| origin_matches_host(origin, host))
}

/// True when `origin` (`scheme://authority`) names the same authority as a Host
/// header, with the scheme's default port written or left out on either side.
fn origin_matches_host(origin: &str, host: &str) -> bool {
    let (authority, default_port) = if let Some(authority) = origin.strip_prefix("https://") {
        (authority, ":443")
    } else if let Some(authority) = origin.strip_prefix("http://") {
        (authority, ":80")
    } else {
        return false;
    };
    authority.eq_ignore_ascii_case(host)
        || format!("{authority}{default_port}").eq_ignore_ascii_case(host)
        || authority.eq_ignore_ascii_case(host.strip_suffix(default_port).unwrap_or(host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::headers;

    #[test]
    fn same_origin_is_the_default() {
        let same = headers(&[("origin", "http://127.0.0.1:8080"), ("host", "127.0.0.1:8080")]);
        assert!(origin_allowed(&same, &[]));
        let https = headers(&[("origin", "https://mail.example.org"), ("host", "mail.example.org")]);
        assert!(origin_allowed(&https, &[]));
        let foreign = headers(&[("origin", "https://evil.example"), ("host", "mail.example.org")]);
        assert!(!origin_allowed(&foreign, &[]));
        let missing = headers(&[("host", "mail.example.org")]);
        assert!(!origin_allowed(&missing, &[]));
        let sneaky = headers(&[
            ("origin", "http://127.0.0.1:8080.evil.example"),
            ("host", "127.0.0.1:8080"),
        ]);
        assert!(!origin_allowed(&sneaky, &[]));
    }

    #[test]
    fn configured_origins_replace_the_default() {
        let allowed = vec!["https://app.example.com".to_owned()];
        let ok = headers(&[("origin", "https://app.example.com"), ("host", "bridge.example.com")]);
        assert!(origin_allowed(&ok, &allowed));
        let same_host = headers(&[("origin", "https://bridge.example.com"), ("host", "bridge.example.com")]);
        assert!(!origin_allowed(&same_host, &allowed));
    }

    #[test]
    fn without_public_origins_only_ip_literals_and_localhost_are_the_bridges_names() {
        for host in [
            "127.0.0.1:8080",
            "127.0.0.1",
            "[::1]:8080",
            "[::1]",
            "LOCALHOST:80",
            "192.0.2.7:8443",
        ] {
            assert!(host_allowed(&headers(&[("host", host)]), &[]), "{host} refused");
        }
        for host in [
            "rebind.attacker.example:8080",
            "rebind.attacker.example",
            "127.0.0.1.attacker.example:8080",
            "localhost.attacker.example",
            "[::1]x:8080",
            "127.0.0.1:80:80",
            "",
        ] {
            assert!(!host_allowed(&headers(&[("host", host)]), &[]), "{host} allowed");
        }
        assert!(!host_allowed(&HeaderMap::new(), &[]), "no Host at all");
    }

    #[test]
    fn public_origins_name_exactly_the_hosts_served() {
        let public = vec!["https://mail.example.org".to_owned(), "http://10.0.0.2:8080".to_owned()];
        for host in ["mail.example.org", "MAIL.example.org:443", "10.0.0.2:8080"] {
            assert!(host_allowed(&headers(&[("host", host)]), &public), "{host} refused");
        }
        for host in [
            "mail.example.org:8443",
            "127.0.0.1:8080",
            "rebind.attacker.example",
            "10.0.0.2",
        ] {
            assert!(!host_allowed(&headers(&[("host", host)]), &public), "{host} allowed");
        }
    }
}
