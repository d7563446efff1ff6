//! `webmail-bridge`: a WebSocket-to-IMAP relay that is never an open proxy.
//!
//! A browser opens `/ws?upstream=NAME`; the bridge checks the Origin and its
//! limits, connects to the allow-listed IMAP server (TLS or STARTTLS done here),
//! and relays raw bytes both ways. It also serves the web UI. It knows nothing
//! about IMAP beyond the STARTTLS exchange.
//!
//! [`app`] builds the router from an [`AppState`] so tests can serve it on any
//! listener; [`Server`] binds, serves and drains sessions on shutdown.
#![forbid(unsafe_code)]

mod close;
mod config;
mod e2e;
mod http;
mod limits;
mod metrics;
mod origin;
mod policy;
mod relay;
mod serve;
mod session;
mod starttls;
mod tls;
mod upstream;

/// Helpers the unit tests of several modules share.
#[cfg(test)]
mod test_support {
    use axum::http::{HeaderMap, HeaderValue};

    /// A header map from name/value pairs (a name may repeat).
    pub(crate) fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }
}

// The bridge's whole public surface: the server, its configuration, and why a
// session ended (with the typed causes that reason carries).
pub use close::CloseReason;
pub use config::{Cli, Config, ConfigError, Limits, PatternConfig, TlsMode, UpstreamConfig};
pub use e2e::Refusal as EndToEndRefusal;
pub use policy::{AddressError, Forbidden};
pub use tls::TlsSetupError;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::HeaderValue;
use axum::middleware;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tracing::info;

use crate::limits::Admission;
use crate::metrics::Metrics;
use crate::upstream::Dialer;

/// Why the bridge could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartupError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// A certificate or CA file is unusable.
    #[error(transparent)]
    Tls(#[from] tls::TlsSetupError),
    /// `content_security_policy` is not a valid header value.
    #[error("invalid setting `content_security_policy`: not a valid header value")]
    Csp,
    /// The listen address cannot be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// Everything handlers share. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    config: Config,
    dialer: Dialer,
    admission: Arc<Admission>,
    metrics: Metrics,
    csp: HeaderValue,
    shutdown: CancellationToken,
    sessions: TaskTracker,
}

impl AppState {
    /// Prepares state from a validated configuration (reads CA files now).
    pub fn new(config: Config) -> Result<Self, StartupError> {
        let dialer = Dialer::new(&config)?;
        let csp = HeaderValue::from_str(config.content_security_policy.as_deref().unwrap_or(http::DEFAULT_CSP))
            .map_err(|_| StartupError::Csp)?;
        Ok(Self(Arc::new(Inner {
            admission: Admission::new(&config.limits),
            dialer,
            metrics: Metrics::default(),
            csp,
            shutdown: CancellationToken::new(),
            sessions: TaskTracker::new(),
            config,
        })))
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.0.config
    }

    /// The upstream dialer.
    pub fn dialer(&self) -> &Dialer {
        &self.0.dialer
    }

    /// Admission control.
    pub fn admission(&self) -> &Arc<Admission> {
        &self.0.admission
    }

    /// The counters behind `/metrics`.
    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    /// The UI's Content-Security-Policy header.
    pub fn csp(&self) -> &HeaderValue {
        &self.0.csp
    }

    /// Fires when sessions must end (after the shutdown grace period).
    pub fn shutdown(&self) -> &CancellationToken {
        &self.0.shutdown
    }

    /// The running WebSocket sessions.
    pub fn sessions(&self) -> &TaskTracker {
        &self.0.sessions
    }

    /// Lets sessions finish for up to `grace`, then closes the rest with 1001.
    pub async fn drain(&self, grace: Duration) {
        let sessions = self.sessions();
        sessions.close();
        if tokio::time::timeout(grace, sessions.wait()).await.is_err() {
            info!(
                open = self.metrics().sessions_open(),
                "grace period over; closing sessions"
            );
            self.shutdown().cancel();
            let _ = tokio::time::timeout(Duration::from_secs(5), sessions.wait()).await;
        }
    }
}

/// The bridge's router: `/ws`, the JSON and monitoring routes, and the UI.
pub fn app(state: AppState) -> Router {
    // Only the routes that reach upstreams or describe them check the Host: the
    // UI's files and the monitoring routes are the same whatever name was used.
    let own_host = middleware::from_fn_with_state(state.clone(), origin::require_own_host);
    let mut router = Router::new()
        .route("/ws", get(session::upgrade).layer(own_host.clone()))
        .route("/healthz", get(http::healthz))
        .route("/metrics", get(http::metrics))
        .route(
            "/api/upstreams",
            get(http::upstreams)
                .layer(middleware::from_fn_with_state(state.clone(), http::cors))
                .layer(own_host),
        );
    if let Some(root) = &state.config().web_root {
        let files = Router::new()
            .fallback_service(
                ServeDir::new(root)
                    .append_index_html_on_directories(true)
                    .precompressed_br()
                    .precompressed_gzip(),
            )
            .layer(middleware::from_fn_with_state(state.clone(), http::static_headers))
            .layer(middleware::from_fn_with_state(state.clone(), http::cors))
            .layer(CompressionLayer::new());
        router = router.merge(files);
    }
    router.with_state(state)
}

/// A bound, not yet running bridge: [`Server::bind`], then [`Server::run`].
pub struct Server {
    state: AppState,
    tcp: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    local_addr: SocketAddr,
}

impl Server {
    /// Checks the configuration's files and binds the listen address.
    pub async fn bind(config: Config) -> Result<Self, StartupError> {
        let address = config.listen;
        let tls = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => Some(tls::server_config(cert, key)?),
            _ => None,
        };
        let state = AppState::new(config)?;
        let tcp = TcpListener::bind(address)
            .await
            .map_err(|source| StartupError::Bind { address, source })?;
        let local_addr = tcp
            .local_addr()
            .map_err(|source| StartupError::Bind { address, source })?;
        Ok(Self {
            state,
            tcp,
            tls,
            local_addr,
        })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The URL pages open, `http://` or `https://`.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}/", self.local_addr)
    }

    /// Serves until `signal` resolves, then drains sessions for the configured grace period.
    pub async fn run(self, signal: impl Future<Output = ()> + Send + 'static) {
        let config = self.state.config();
        let grace = Duration::from_secs(config.shutdown_grace_secs);
        let connections = serve::Connections {
            router: app(self.state.clone()),
            tls: self.tls.map(tokio_rustls::TlsAcceptor::from),
            handshake_timeout: Duration::from_secs(config.limits.tls_handshake_timeout_secs),
            request_timeout: Duration::from_secs(config.limits.request_timeout_secs),
            grace,
        };
        serve::serve(self.tcp, connections, signal).await;
        info!("no longer accepting; draining sessions");
        self.state.drain(grace).await;
    }
}
