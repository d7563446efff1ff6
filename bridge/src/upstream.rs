//! Choosing and dialling the upstream: allow-list, resolution, pinning, TLS.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::close::CloseReason;
use crate::config::{Config, PatternConfig, RELAY_PORT, TlsMode, UpstreamConfig};
use crate::e2e::{Gate, Start};
use crate::policy::{self, Host, HostPattern};
use crate::tls::{self, TlsSetupError};

/// What the page speaks through a session.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// IMAP, to read mail (the default).
    #[default]
    Imap,
    /// SMTP submission, to send it: `service=submission`.
    Submission,
}

impl Service {
    /// A stable label for metrics and logs.
    pub fn label(self) -> &'static str {
        match self {
            Self::Imap => "imap",
            Self::Submission => "submission",
        }
    }
}

/// What the page asked for in the WebSocket URL.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct TargetQuery {
    /// A configured upstream's name: `/ws?upstream=local`.
    pub upstream: Option<String>,
    /// A server the user typed, allowed by an `upstream_pattern`: `/ws?host=imap.example.org&port=993`.
    pub host: Option<String>,
    /// The port for `host`.
    pub port: Option<u16>,
    /// IMAP (the default) or the upstream's submission server.
    #[serde(default)]
    pub service: Service,
}

/// A server the bridge is allowed to dial, with how to reach it.
#[derive(Debug, Clone)]
pub struct Target {
    /// For logs and metrics: the upstream's name or the typed host.
    pub display: String,
    /// What the page speaks.
    pub service: Service,
    host: Host,
    port: u16,
    tls: TlsMode,
    tls_config: Arc<ClientConfig>,
    server_name: Option<String>,
    /// `None` for operator-named upstreams, which may point anywhere the operator likes.
    address_policy: Option<AddressPolicy>,
}

/// Where a typed server's resolved addresses may lie besides public unicast.
#[derive(Debug, Clone)]
struct AddressPolicy {
    /// The pattern's `allow_networks`.
    allow: Vec<ipnet::IpNet>,
    /// The bridge's `deny_networks`, which win over `allow`.
    deny: Vec<ipnet::IpNet>,
}

impl Target {
    /// The name TLS verifies: the configured `server_name`, else the host if it is a name.
    fn tls_name(&self) -> Option<&str> {
        match (&self.server_name, &self.host) {
            (Some(name), _) => Some(name),
            (None, Host::Name(name)) => Some(name),
            (None, Host::Ip(_)) => None,
        }
    }
}

/// The connection to the upstream, plain or TLS, as one stream type.
pub enum UpstreamStream {
    /// `tls = "none"` and the end-to-end modes (the page does TLS).
    Plain(TcpStream),
    /// Implicit TLS or STARTTLS.
    Tls(Box<TlsStream<TcpStream>>),
}

/// A dialled upstream plus bytes to give the page before relaying (the greeting,
/// when the bridge consumed it for STARTTLS).
pub struct Dialled {
    /// The stream.
    pub stream: UpstreamStream,
    /// Bytes the page must see first.
    pub prelude: Vec<u8>,
    /// For end-to-end upstreams: the check that the page starts TLS.
    pub gate: Option<Gate>,
    /// Time spent resolving and connecting (for the latency histogram).
    pub connect_time: Duration,
}

/// Builds targets from queries and dials them.
pub struct Dialer {
    named: HashMap<String, (UpstreamConfig, Arc<ClientConfig>)>,
    /// The `ca_file` text of end-to-end upstreams, which the page needs to verify the server.
    page_roots: HashMap<String, String>,
    patterns: Vec<(HostPattern, PatternConfig)>,
    /// Networks no typed server may be dialled in (`deny_networks`).
    deny_networks: Vec<ipnet::IpNet>,
    default_tls: Arc<ClientConfig>,
    connect_timeout: Duration,
    handshake_timeout: Duration,
}

impl Dialer {
    /// Prepares TLS configurations for every upstream (reading CA files now, not per connection).
    pub fn new(config: &Config) -> Result<Self, TlsSetupError> {
        let default_tls = tls::client_config(tls::UpstreamTrust::default())?;
        let mut named = HashMap::new();
        let mut page_roots = HashMap::new();
        for upstream in &config.upstreams {
            let page_does_tls =
                upstream.tls.is_end_to_end() || upstream.submission_tls_mode().is_some_and(TlsMode::is_end_to_end);
            if let (true, Some(path)) = (page_does_tls, &upstream.ca_file) {
                let pem = std::fs::read_to_string(path).map_err(|error| TlsSetupError::Pem {
                    path: path.display().to_string(),
                    message: format!("cannot read: {error}"),
                })?;
                page_roots.insert(upstream.name.clone(), pem);
            }
            let own_trust = upstream.ca_file.is_some() || !upstream.pinned_sha256.is_empty();
            // Built even when the IMAP side is end-to-end: the submission side may not be.
            let tls_config = if own_trust {
                tls::client_config(tls::UpstreamTrust {
                    extra_ca: upstream.ca_file.as_deref(),
                    pinned_sha256: &upstream.pinned_sha256,
                    pinned_checks_name_and_dates: upstream.pinned_checks_name_and_dates,
                })?
            } else {
                default_tls.clone()
            };
            named.insert(upstream.name.clone(), (upstream.clone(), tls_config));
        }
        let patterns = config
            .patterns
            .iter()
            .filter_map(|pattern| {
                HostPattern::parse(&pattern.pattern)
                    .ok()
                    .map(|parsed| (parsed, pattern.clone()))
            })
            .collect();
        Ok(Self {
            named,
            page_roots,
            patterns,
            deny_networks: config.deny_networks.clone(),
            default_tls,
            connect_timeout: Duration::from_secs(config.limits.connect_timeout_secs),
            handshake_timeout: Duration::from_secs(config.limits.tls_handshake_timeout_secs),
        })
    }

    /// Decides whether the query names an allowed server; nothing is resolved yet.
    pub fn target(&self, query: &TargetQuery) -> Result<Target, CloseReason> {
        match (&query.upstream, &query.host) {
            (Some(name), None) => {
                let (upstream, tls_config) = self
                    .named
                    .get(name)
                    .ok_or_else(|| CloseReason::UnknownUpstream(name.chars().take(64).collect()))?;
                let (address, tls, server_name) = match query.service {
                    Service::Imap => (upstream.address.as_str(), upstream.tls, upstream.server_name.clone()),
                    // `server_name` is the IMAP server's; the submission host names itself.
                    Service::Submission => match (&upstream.submission, upstream.submission_tls_mode()) {
                        (Some(address), Some(tls)) => (address.as_str(), tls, None),
                        _ => return Err(CloseReason::NoSubmission(upstream.name.clone())),
                    },
                };
                // Checked at start-up (Config::validate): a failure here is the configuration's.
                let (host, port) = policy::split_host_port(address).map_err(CloseReason::AddressInvalid)?;
                let host = policy::parse_host(&host).map_err(CloseReason::AddressInvalid)?;
                Ok(Target {
                    display: upstream.name.clone(),
                    service: query.service,
                    host,
                    port,
                    tls,
                    tls_config: tls_config.clone(),
                    server_name,
                    address_policy: None,
                })
            }
            (None, Some(typed)) => {
                let port = query
                    .port
                    .ok_or_else(|| CloseReason::InvalidRequest("`host` needs a `port`".into()))?;
                let host = policy::parse_host(typed).map_err(CloseReason::AddressInvalid)?;
                let display = format!("{typed}:{port}");
                let sending = query.service == Service::Submission;
                let (pattern, tls) = self
                    .patterns
                    .iter()
                    .filter(|(parsed, config)| parsed.matches(&host, port, &config.ports))
                    .find_map(|(_, pattern)| match query.service {
                        Service::Imap => Some((pattern, pattern.tls)),
                        Service::Submission => pattern.submission_tls.map(|tls| (pattern, tls)),
                    })
                    .filter(|_| !(sending && port == RELAY_PORT))
                    .ok_or_else(|| CloseReason::NotAllowed(display.clone()))?;
                if let Host::Ip(ip) = host {
                    policy::check_resolved(&[ip], &pattern.allow_networks, &self.deny_networks).map_err(|why| {
                        CloseReason::AddressForbidden {
                            server: display.clone(),
                            why,
                        }
                    })?;
                }
                Ok(Target {
                    display,
                    service: query.service,
                    host,
                    port,
                    tls,
                    tls_config: self.default_tls.clone(),
                    server_name: None,
                    address_policy: Some(AddressPolicy {
                        allow: pattern.allow_networks.clone(),
                        deny: self.deny_networks.clone(),
                    }),
                })
            }
            _ => Err(CloseReason::InvalidRequest(
                "give either `upstream` or `host` and `port`".into(),
            )),
        }
    }

    /// Resolves (once), checks and pins the addresses, connects and sets up TLS.
    pub async fn dial(&self, target: &Target) -> Result<Dialled, CloseReason> {
        let started = Instant::now();
        let tcp = tokio::time::timeout(self.connect_timeout, connect(target))
            .await
            .map_err(|_| CloseReason::ConnectTimeout)??;
        let connect_time = started.elapsed();
        let _ = tcp.set_nodelay(true);
        let (stream, prelude) = tokio::time::timeout(self.handshake_timeout, secure(target, tcp))
            .await
            .map_err(|_| CloseReason::TlsFailure("handshake timed out".into()))??;
        let gate = match (target.tls, target.service) {
            (TlsMode::EndToEnd, _) => Some(Start::Implicit),
            (TlsMode::EndToEndStarttls, Service::Imap) => Some(Start::Starttls),
            (TlsMode::EndToEndStarttls, Service::Submission) => Some(Start::SmtpStarttls),
            (TlsMode::None | TlsMode::Implicit | TlsMode::Starttls, _) => None,
        }
        .map(|start| Gate::new(start, target.tls_name().map(str::to_owned)));
        Ok(Dialled {
            stream,
            prelude,
            gate,
            connect_time,
        })
    }

    /// The configured upstreams in name order, for the UI's listing.
    pub fn listing(&self) -> Vec<&UpstreamConfig> {
        let mut list: Vec<&UpstreamConfig> = self.named.values().map(|(upstream, _)| upstream).collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        list
    }

    /// The extra root (PEM) the page trusts for an end-to-end upstream.
    pub fn page_root(&self, name: &str) -> Option<&str> {
        self.page_roots.get(name).map(String::as_str)
    }

    /// The name the page's TLS must verify for an end-to-end upstream.
    pub fn page_server_name(upstream: &UpstreamConfig) -> Option<String> {
        let (host, _) = policy::split_host_port(&upstream.address).ok()?;
        upstream.server_name.clone().or(Some(host))
    }

    /// The name the page's TLS must verify for an end-to-end submission server.
    pub fn page_submission_name(upstream: &UpstreamConfig) -> Option<String> {
        policy::split_host_port(upstream.submission.as_deref()?)
            .ok()
            .map(|(host, _)| host)
    }

    /// Whether users may type their own server (some pattern is configured).
    pub fn accepts_typed_servers(&self) -> bool {
        !self.patterns.is_empty()
    }
}

async fn connect(target: &Target) -> Result<TcpStream, CloseReason> {
    let addresses: Vec<SocketAddr> = match &target.host {
        Host::Ip(ip) => vec![SocketAddr::new(*ip, target.port)],
        Host::Name(name) => tokio::net::lookup_host((name.as_str(), target.port))
            .await
            .map_err(|error| CloseReason::DnsFailure(format!("{name}: {error}")))?
            .collect(),
    };
    if let Some(policy) = &target.address_policy {
        let ips: Vec<IpAddr> = addresses.iter().map(SocketAddr::ip).collect();
        policy::check_resolved(&ips, &policy.allow, &policy.deny).map_err(|why| CloseReason::AddressForbidden {
            server: target.display.clone(),
            why,
        })?;
    }
    // The checked addresses are dialled as they are: no second lookup can swap them.
    let mut last_error = None;
    for address in addresses {
        match TcpStream::connect(address).await {
            Ok(stream) => return Ok(stream),
            Err(error) => last_error = Some(error),
        }
    }
    Err(CloseReason::ConnectFailed(last_error.map_or_else(
        || "no address to connect to".into(),
        |error| error.to_string(),
    )))
}

async fn secure(target: &Target, mut tcp: TcpStream) -> Result<(UpstreamStream, Vec<u8>), CloseReason> {
    let prelude = match target.tls {
        TlsMode::None | TlsMode::EndToEnd | TlsMode::EndToEndStarttls => {
            return Ok((UpstreamStream::Plain(tcp), Vec::new()));
        }
        TlsMode::Implicit => Vec::new(),
        TlsMode::Starttls => crate::starttls::negotiate(&mut tcp, target.service)
            .await
            .map_err(CloseReason::StarttlsFailed)?,
    };
    let name = match (target.tls_name(), &target.host) {
        (Some(name), _) => ServerName::try_from(name.to_owned()),
        (None, Host::Ip(ip)) => Ok(ServerName::from(*ip)),
        (None, Host::Name(name)) => ServerName::try_from(name.clone()),
    }
    .map_err(|error| CloseReason::TlsFailure(format!("invalid server name: {error}")))?;
    let tls = TlsConnector::from(target.tls_config.clone())
        .connect(name, tcp)
        .await
        .map_err(|error| tls::handshake_failure(&error))?;
    Ok((UpstreamStream::Tls(Box::new(tls)), prelude))
}

impl AsyncRead for UpstreamStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(stream) => Pin::new(stream).poll_read(cx, buf),
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for UpstreamStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(stream) => Pin::new(stream).poll_write(cx, buf),
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(stream) => Pin::new(stream).poll_flush(cx),
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(stream) => Pin::new(stream).poll_shutdown(cx),
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_shutdown(cx),
        }
    }
}
