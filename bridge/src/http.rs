//! Plain HTTP routes: the UI's static files, `/healthz`, `/metrics`, `/api/upstreams`.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::AppState;
use crate::config::TlsMode;
use crate::origin::origin_allowed;
use crate::upstream::Dialer;

/// The UI's Content-Security-Policy unless the operator sets one.
///
/// `wasm-unsafe-eval` lets the page compile the wasm client; `connect-src 'self'`
/// covers the WebSocket to this bridge. Message HTML is shown in sandboxed
/// `srcdoc` iframes, which inherit this policy: they get inline styles, and
/// remote images stay blocked inside them by the sanitizer and the iframe's own,
/// stricter policy until the reader allows them.
pub(crate) const DEFAULT_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https: http:; font-src 'self' data:; \
connect-src 'self'; frame-src 'self' blob: about:; object-src 'none'; base-uri 'none'; \
form-action 'none'; frame-ancestors 'self'";

/// `GET /healthz`.
pub(crate) async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /metrics` in the Prometheus text format.
pub(crate) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.metrics().render(),
    )
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UpstreamEntry<'a> {
    name: &'a str,
    label: &'a str,
    tls: TlsMode,
    /// End-to-end modes only: what the page's own TLS needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    end_to_end: Option<EndToEnd<'a>>,
    /// Whether the upstream has a submission server (`service=submission`).
    can_send: bool,
    /// How the page reaches that server, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    submission: Option<Submission<'a>>,
}

/// The submission server as the page needs to know it: never its address.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Submission<'a> {
    tls: TlsMode,
    /// Whether the server files sent mail in Sent itself (the page then does not).
    files_sent: bool,
    /// End-to-end modes only: what the page's own TLS needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    end_to_end: Option<EndToEnd<'a>>,
}

/// How the page verifies an end-to-end upstream. Certificates and fingerprints
/// are public facts about the server, not secrets.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EndToEnd<'a> {
    /// Whether the page sends STARTTLS before the handshake.
    starttls: bool,
    /// The name the certificate must carry (and the ClientHello's SNI).
    server_name: Option<String>,
    /// The operator's extra root for a private CA (PEM).
    extra_roots_pem: Option<&'a str>,
    /// Certificates accepted by SHA-256 fingerprint.
    pinned_sha256: &'a [String],
    /// Whether the UI may let the user trust a certificate that fails verification.
    allow_certificate_exceptions: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UpstreamList<'a> {
    upstreams: Vec<UpstreamEntry<'a>>,
    /// Whether the sign-in form may offer a free-text server field.
    custom_servers: bool,
}

/// `GET /api/upstreams`: names and labels for the sign-in page, never addresses.
pub(crate) async fn upstreams(State(state): State<AppState>) -> Response {
    let dialer = state.dialer();
    let list = UpstreamList {
        upstreams: dialer
            .listing()
            .into_iter()
            .map(|upstream| {
                let end_to_end = |tls: TlsMode, server_name: Option<String>| {
                    tls.is_end_to_end().then(|| EndToEnd {
                        starttls: tls == TlsMode::EndToEndStarttls,
                        server_name,
                        extra_roots_pem: dialer.page_root(&upstream.name),
                        pinned_sha256: &upstream.pinned_sha256,
                        allow_certificate_exceptions: upstream.allow_certificate_exceptions,
                    })
                };
                let submission = upstream.submission_tls_mode().map(|tls| Submission {
                    tls,
                    files_sent: upstream.submission_files_sent,
                    end_to_end: end_to_end(tls, Dialer::page_submission_name(upstream)),
                });
                UpstreamEntry {
                    name: &upstream.name,
                    label: upstream.label.as_deref().unwrap_or(&upstream.name),
                    tls: upstream.tls,
                    end_to_end: end_to_end(upstream.tls, Dialer::page_server_name(upstream)),
                    can_send: submission.is_some(),
                    submission,
                }
            })
            .collect(),
        custom_servers: dialer.accepts_typed_servers(),
    };
    Json(list).into_response()
}

/// True for file names that carry a content hash (`app-3f9a1c2d.js`), which never change.
fn is_hashed_asset(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    let stem = file.split('.').next().unwrap_or_default();
    stem.rsplit_once('-').is_some_and(|(_, hash)| {
        hash.len() >= 8 && hash.bytes().all(|b| b.is_ascii_alphanumeric()) && hash.bytes().any(|b| b.is_ascii_digit())
    })
}

/// Adds cache and security headers to static responses.
pub(crate) async fn static_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let hashed = is_hashed_asset(request.uri().path());
    let mut response = next.run(request).await;
    let found = response.status() == StatusCode::OK;
    let headers = response.headers_mut();
    let cache = if hashed && found {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::CONTENT_SECURITY_POLICY, state.csp().clone());
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    response
}

/// Lets pages on other allowed origins load the UI's files and the server list:
/// an app that embeds `<webmail-app>` loads `webmail-app.js` as a module script
/// and the wasm with `fetch`, both of which need CORS. Only origins that may also
/// open the WebSocket get the header; no credentials are involved.
pub(crate) async fn cors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .filter(|_| origin_allowed(request.headers(), &state.config().allowed_origins))
        .cloned();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("origin"));
    if let Some(origin) = origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_assets_are_recognised() {
        assert!(is_hashed_asset("/assets/app-3f9a1c2d.js"));
        assert!(is_hashed_asset("/chunk-AB12CD34.css"));
        assert!(!is_hashed_asset("/pkg/client_wasm_bg.wasm"));
        assert!(!is_hashed_asset("/index.html"));
        assert!(!is_hashed_asset("/web-component.js"));
    }
}
