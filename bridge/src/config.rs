//! Configuration: a TOML file, with every setting also a CLI flag and an env var.
//!
//! Precedence: command line, then environment, then the file, then defaults.
//! Unknown keys are errors, so a typo never silently falls back to a default.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use clap::Parser;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// A configuration problem, with the key or file at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The config file is not valid TOML for this schema (unknown key, wrong type...).
    #[error("invalid config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The TOML error, with line and column.
        message: String,
    },
    /// A value is out of range or inconsistent with another.
    #[error("invalid setting `{key}`: {message}")]
    Invalid {
        /// The key, as written in the TOML file.
        key: String,
        /// What is wrong and how to fix it.
        message: String,
    },
}

fn invalid(key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_owned(),
        message: message.into(),
    }
}

/// How the bridge reaches an upstream IMAP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    /// TLS from the first byte (port 993).
    Implicit,
    /// Plain connection upgraded by the bridge with STARTTLS before any client byte is relayed.
    Starttls,
    /// No TLS at all: only for servers on the same host or a trusted network.
    None,
    /// TLS runs in the page from the first byte (port 993); the bridge relays
    /// ciphertext only, after checking that the page starts with a ClientHello.
    EndToEnd,
    /// The page sends STARTTLS itself (port 143), then TLS runs in the page.
    EndToEndStarttls,
}

impl TlsMode {
    /// True when TLS runs in the page and the bridge sees only ciphertext.
    pub fn is_end_to_end(self) -> bool {
        matches!(self, Self::EndToEnd | Self::EndToEndStarttls)
    }
}

impl FromStr for TlsMode {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "implicit" => Ok(Self::Implicit),
            "starttls" => Ok(Self::Starttls),
            "none" => Ok(Self::None),
            "end-to-end" => Ok(Self::EndToEnd),
            "end-to-end-starttls" => Ok(Self::EndToEndStarttls),
            other => Err(format!(
                "unknown tls mode `{other}` (expected implicit, starttls, none, end-to-end or end-to-end-starttls)"
            )),
        }
    }
}

impl fmt::Display for TlsMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Implicit => "implicit",
            Self::Starttls => "starttls",
            Self::None => "none",
            Self::EndToEnd => "end-to-end",
            Self::EndToEndStarttls => "end-to-end-starttls",
        })
    }
}

/// An IMAP server the operator allows, reached by name: `/ws?upstream=NAME`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamConfig {
    /// The name the page asks for.
    pub name: String,
    /// What the sign-in page shows; defaults to the name.
    #[serde(default)]
    pub label: Option<String>,
    /// `host:port`; the host may be a DNS name or an IP address.
    pub address: String,
    /// How TLS is done.
    pub tls: TlsMode,
    /// Extra trust anchor (PEM) for a server with a private CA.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// The name to verify the certificate against, when it differs from the address's host.
    #[serde(default)]
    pub server_name: Option<String>,
    /// Certificates accepted by SHA-256 fingerprint ("AB:CD:..."), e.g. a
    /// self-signed server certificate: by the bridge for `implicit`/`starttls`,
    /// by the page for the end-to-end modes.
    #[serde(default)]
    pub pinned_sha256: Vec<String>,
    /// `implicit`/`starttls`: whether a pinned certificate must still carry the
    /// server's name and be within its validity dates (default true).
    #[serde(default = "default_true")]
    pub pinned_checks_name_and_dates: bool,
    /// End-to-end modes: whether the UI may offer "Trust this certificate" for a
    /// certificate that fails verification (like Thunderbird's exceptions).
    #[serde(default)]
    pub allow_certificate_exceptions: bool,
}

/// A family of servers the user may type in, e.g. `*.example.org:993`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternConfig {
    /// `host:port` where the host may start with `*.`; the port may be `*`.
    pub pattern: String,
    /// How TLS is done for matching servers.
    pub tls: TlsMode,
    /// Ports allowed when the pattern's port is `*` (default: IMAP and submission ports).
    #[serde(default = "default_ports")]
    pub ports: Vec<u16>,
    /// Networks a matching name may resolve into despite being private, loopback, etc.
    #[serde(default)]
    pub allow_networks: Vec<IpNet>,
}

fn default_true() -> bool {
    true
}

fn default_ports() -> Vec<u16> {
    vec![143, 993, 465, 587]
}

/// Resource limits; every one can be changed, none can be switched off by accident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// WebSocket sessions open at once, all clients together.
    pub max_connections: usize,
    /// WebSocket sessions open at once from one client IP.
    pub max_connections_per_ip: usize,
    /// IPv6 clients are counted per network of this many leading bits (a /64
    /// usually belongs to one subscriber); 128 counts single addresses.
    pub ipv6_client_prefix: u8,
    /// WebSocket upgrades per minute from one client IP.
    pub upgrades_per_minute_per_ip: u32,
    /// Largest WebSocket message (and frame) the bridge accepts from a page.
    pub max_message_bytes: usize,
    /// A session with no relayed byte in either direction for this long is closed.
    pub idle_timeout_secs: u64,
    /// How often the bridge pings the page.
    pub ping_interval_secs: u64,
    /// A page that answers no ping for this long is treated as dead.
    pub ping_timeout_secs: u64,
    /// Time allowed to resolve and connect to an upstream.
    pub connect_timeout_secs: u64,
    /// Time allowed for a TLS handshake (upstream or listener) and STARTTLS.
    pub tls_handshake_timeout_secs: u64,
    /// Time a client has to send a complete request head (the first one, and
    /// each next one on a kept-alive connection) before the connection is closed.
    pub request_timeout_secs: u64,
    /// Bytes read from the upstream per WebSocket message; also the page-side read buffer.
    pub buffer_bytes: usize,
    /// Bytes relayed per session in both directions together; 0 means no cap.
    pub max_session_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 10_000,
            max_connections_per_ip: 32,
            ipv6_client_prefix: 64,
            upgrades_per_minute_per_ip: 120,
            max_message_bytes: 1 << 20,
            // IMAP clients re-issue IDLE every 29 minutes (RFC 2177), so 31 minutes of
            // silence means the client is gone.
            idle_timeout_secs: 31 * 60,
            ping_interval_secs: 30,
            ping_timeout_secs: 60,
            connect_timeout_secs: 10,
            tls_handshake_timeout_secs: 10,
            request_timeout_secs: 10,
            // Fewer, larger WebSocket messages for bulk downloads (measured by
            // scripts/bench-bridge.sh); idle sessions hold no read buffer.
            buffer_bytes: 64 * 1024,
            max_session_bytes: 0,
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Origins allowed to open a WebSocket; empty means "the origin of the request's Host".
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// The bridge's own public origins (e.g. `https://mail.example.org`): `/ws` and
    /// `/api/*` answer only requests whose Host is one of them. Empty means an IP
    /// literal or `localhost`, so a DNS-rebinding name is never served.
    #[serde(default)]
    pub public_origins: Vec<String>,
    /// Directory of the web UI (with `pkg/` inside); `None` serves no files.
    #[serde(default = "default_web_root")]
    pub web_root: Option<PathBuf>,
    /// Listener certificate chain (PEM); with `tls_key`, the bridge serves HTTPS and `wss://`.
    #[serde(default)]
    pub tls_cert: Option<PathBuf>,
    /// Listener private key (PEM).
    #[serde(default)]
    pub tls_key: Option<PathBuf>,
    /// Proxies whose `X-Forwarded-For` is trusted for the client IP (e.g. your nginx).
    #[serde(default)]
    pub trusted_proxies: Vec<IpNet>,
    /// Networks a typed server may never be dialled in, over any pattern's
    /// `allow_networks` (e.g. your own NAT64 prefix, or public ranges you keep private).
    #[serde(default)]
    pub deny_networks: Vec<IpNet>,
    /// Seconds sessions get to finish after SIGTERM before they are closed.
    #[serde(default = "default_grace")]
    pub shutdown_grace_secs: u64,
    /// Replaces the default Content-Security-Policy of the UI.
    #[serde(default)]
    pub content_security_policy: Option<String>,
    /// Resource limits.
    #[serde(default)]
    pub limits: Limits,
    /// Allowed servers, by name.
    #[serde(default, rename = "upstream")]
    pub upstreams: Vec<UpstreamConfig>,
    /// Allowed server families the user may type in.
    #[serde(default, rename = "upstream_pattern")]
    pub patterns: Vec<PatternConfig>,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

fn default_web_root() -> Option<PathBuf> {
    Some(PathBuf::from("web/dist"))
}

fn default_grace() -> u64 {
    10
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            allowed_origins: Vec::new(),
            public_origins: Vec::new(),
            web_root: default_web_root(),
            tls_cert: None,
            tls_key: None,
            trusted_proxies: Vec::new(),
            deny_networks: Vec::new(),
            shutdown_grace_secs: default_grace(),
            content_security_policy: None,
            limits: Limits::default(),
            upstreams: Vec::new(),
            patterns: Vec::new(),
        }
    }
}

/// Command line and environment; each flag overrides the file's value.
#[derive(Debug, Parser, Default)]
#[command(
    name = "webmail-bridge",
    version,
    about = "WebSocket-to-IMAP bridge for browser webmail: relays raw IMAP bytes to allow-listed servers only",
    after_help = "Every setting can come from the TOML file (--config), a flag, or an env var; flags win over env, env over the file.\nSee bridge/bridge.example.toml for an annotated configuration."
)]
pub struct Cli {
    /// TOML configuration file.
    #[arg(long, env = "BRIDGE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "BRIDGE_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Allowed page origins, comma-separated [default: the request's own origin].
    #[arg(long, env = "BRIDGE_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Option<Vec<String>>,
    /// The bridge's own public origins, comma-separated; /ws and /api answer only these Host names [default: IP literals and localhost].
    #[arg(long, env = "BRIDGE_PUBLIC_ORIGINS", value_delimiter = ',')]
    pub public_origins: Option<Vec<String>>,
    /// Directory of the web UI [default: web/dist].
    #[arg(long, env = "BRIDGE_WEB_ROOT")]
    pub web_root: Option<PathBuf>,
    /// Listener certificate chain (PEM) for HTTPS and wss://.
    #[arg(long, env = "BRIDGE_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// Listener private key (PEM).
    #[arg(long, env = "BRIDGE_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// Proxies (CIDR, comma-separated) whose X-Forwarded-For is trusted.
    #[arg(long, env = "BRIDGE_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Option<Vec<IpNet>>,
    /// Networks (CIDR, comma-separated) no typed server may be dialled in, e.g. your own NAT64 prefix.
    #[arg(long, env = "BRIDGE_DENY_NETWORKS", value_delimiter = ',')]
    pub deny_networks: Option<Vec<IpNet>>,
    /// Seconds sessions get to finish after SIGTERM [default: 10].
    #[arg(long, env = "BRIDGE_SHUTDOWN_GRACE_SECS")]
    pub shutdown_grace_secs: Option<u64>,
    /// Content-Security-Policy for the UI, replacing the built-in one.
    #[arg(long, env = "BRIDGE_CONTENT_SECURITY_POLICY")]
    pub content_security_policy: Option<String>,
    /// Allowed server, repeatable (`;` between them in the variable): NAME=HOST:PORT[,tls=implicit|starttls|none|end-to-end|end-to-end-starttls][,ca_file=PATH][,label=TEXT][,server_name=NAME][,pinned_sha256=HEX]...[,pinned_checks_name_and_dates=BOOL][,allow_certificate_exceptions=BOOL].
    #[arg(long = "upstream", env = "BRIDGE_UPSTREAMS", value_delimiter = ';', value_parser = parse_upstream)]
    pub upstreams: Option<Vec<UpstreamConfig>>,
    /// Servers users may type, repeatable (`;` between them in the variable): HOST:PORT with `*.` and `*` wildcards[,tls=MODE][,ports=PORT]...[,allow_networks=CIDR]....
    #[arg(long = "upstream-pattern", env = "BRIDGE_UPSTREAM_PATTERNS", value_delimiter = ';', value_parser = parse_pattern)]
    pub patterns: Option<Vec<PatternConfig>>,
    /// Max concurrent sessions [default: 10000].
    #[arg(long, env = "BRIDGE_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Max concurrent sessions per client IP [default: 32].
    #[arg(long, env = "BRIDGE_MAX_CONNECTIONS_PER_IP")]
    pub max_connections_per_ip: Option<usize>,
    /// Count IPv6 clients per network of this many bits [default: 64].
    #[arg(long, env = "BRIDGE_IPV6_CLIENT_PREFIX")]
    pub ipv6_client_prefix: Option<u8>,
    /// Max WebSocket upgrades per minute per client IP [default: 120].
    #[arg(long, env = "BRIDGE_UPGRADES_PER_MINUTE_PER_IP")]
    pub upgrades_per_minute_per_ip: Option<u32>,
    /// Largest WebSocket message from a page, in bytes [default: 1048576].
    #[arg(long, env = "BRIDGE_MAX_MESSAGE_BYTES")]
    pub max_message_bytes: Option<usize>,
    /// Close sessions idle this many seconds [default: 1860].
    #[arg(long, env = "BRIDGE_IDLE_TIMEOUT_SECS")]
    pub idle_timeout_secs: Option<u64>,
    /// Ping the page every N seconds [default: 30].
    #[arg(long, env = "BRIDGE_PING_INTERVAL_SECS")]
    pub ping_interval_secs: Option<u64>,
    /// Declare the page dead after N seconds without a pong [default: 60].
    #[arg(long, env = "BRIDGE_PING_TIMEOUT_SECS")]
    pub ping_timeout_secs: Option<u64>,
    /// Upstream connect timeout in seconds [default: 10].
    #[arg(long, env = "BRIDGE_CONNECT_TIMEOUT_SECS")]
    pub connect_timeout_secs: Option<u64>,
    /// TLS handshake and STARTTLS timeout in seconds [default: 10].
    #[arg(long, env = "BRIDGE_TLS_HANDSHAKE_TIMEOUT_SECS")]
    pub tls_handshake_timeout_secs: Option<u64>,
    /// Seconds a client has to send a complete request head [default: 10].
    #[arg(long, env = "BRIDGE_REQUEST_TIMEOUT_SECS")]
    pub request_timeout_secs: Option<u64>,
    /// Relay buffer per direction in bytes [default: 65536].
    #[arg(long, env = "BRIDGE_BUFFER_BYTES")]
    pub buffer_bytes: Option<usize>,
    /// Cap on bytes relayed per session, 0 for none [default: 0].
    #[arg(long, env = "BRIDGE_MAX_SESSION_BYTES")]
    pub max_session_bytes: Option<u64>,
    /// Print the effective configuration as TOML and exit.
    #[arg(long)]
    pub print_config: bool,
}

/// A flag's options, `key=value` pairs in order.
type FlagOptions<'a> = Vec<(&'a str, &'a str)>;

/// Splits a flag's `HEAD,key=value,...` into the head and its options (a list
/// option is given once per value).
fn flag_options(text: &str) -> Result<(&str, FlagOptions<'_>), String> {
    let mut parts = text.split(',');
    let head = parts.next().unwrap_or_default().trim();
    let options = parts
        .map(|part| {
            part.split_once('=')
                .map(|(key, value)| (key.trim(), value.trim()))
                .ok_or_else(|| format!("expected key=value, got `{part}`"))
        })
        .collect::<Result<_, _>>()?;
    Ok((head, options))
}

fn parse_bool(key: &str, value: &str) -> Result<bool, String> {
    value.parse().map_err(|_| format!("{key} is true or false"))
}

fn parse_upstream(text: &str) -> Result<UpstreamConfig, String> {
    let (head, options) = flag_options(text)?;
    let (name, address) = head.split_once('=').ok_or("expected NAME=HOST:PORT[,key=value...]")?;
    let mut upstream = UpstreamConfig {
        name: name.trim().to_owned(),
        label: None,
        address: address.trim().to_owned(),
        tls: TlsMode::Implicit,
        ca_file: None,
        server_name: None,
        pinned_sha256: Vec::new(),
        pinned_checks_name_and_dates: true,
        allow_certificate_exceptions: false,
    };
    for (key, value) in options {
        match key {
            "tls" => upstream.tls = value.parse()?,
            "ca_file" => upstream.ca_file = Some(PathBuf::from(value)),
            "label" => upstream.label = Some(value.to_owned()),
            "server_name" => upstream.server_name = Some(value.to_owned()),
            "pinned_sha256" => upstream.pinned_sha256.push(value.to_owned()),
            "pinned_checks_name_and_dates" => upstream.pinned_checks_name_and_dates = parse_bool(key, value)?,
            "allow_certificate_exceptions" => upstream.allow_certificate_exceptions = parse_bool(key, value)?,
            other => {
                return Err(format!(
                    "unknown upstream option `{other}` (tls, ca_file, label, server_name, pinned_sha256, pinned_checks_name_and_dates, allow_certificate_exceptions)"
                ));
            }
        }
    }
    Ok(upstream)
}

fn parse_pattern(text: &str) -> Result<PatternConfig, String> {
    let (pattern, options) = flag_options(text)?;
    let mut config = PatternConfig {
        pattern: pattern.to_owned(),
        tls: TlsMode::Implicit,
        ports: Vec::new(),
        allow_networks: Vec::new(),
    };
    for (key, value) in options {
        match key {
            "tls" => config.tls = value.parse()?,
            "ports" => config
                .ports
                .push(value.parse().map_err(|_| format!("`{value}` is not a port"))?),
            "allow_networks" => config.allow_networks.push(
                value
                    .parse()
                    .map_err(|_| format!("`{value}` is not a network (CIDR)"))?,
            ),
            other => return Err(format!("unknown pattern option `{other}` (tls, ports, allow_networks)")),
        }
    }
    if config.ports.is_empty() {
        config.ports = default_ports();
    }
    Ok(config)
}

impl Config {
    /// Parses a TOML document; `path` only names the source in errors.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|error| ConfigError::Parse {
            path: path.to_owned(),
            message: error.to_string().trim().to_owned(),
        })
    }

    /// Loads the file named by `cli` (if any), applies the flags and checks the result.
    pub fn load(cli: &Cli) -> Result<Self, ConfigError> {
        let mut config = match &cli.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                Self::from_toml(&text, path)?
            }
            None => Self::default(),
        };
        config.apply(cli);
        config.validate()?;
        Ok(config)
    }

    fn apply(&mut self, cli: &Cli) {
        fn set<T: Clone>(target: &mut T, value: &Option<T>) {
            if let Some(value) = value {
                *target = value.clone();
            }
        }
        set(&mut self.listen, &cli.listen);
        set(&mut self.allowed_origins, &cli.allowed_origins);
        set(&mut self.public_origins, &cli.public_origins);
        if cli.web_root.is_some() {
            self.web_root = cli.web_root.clone();
        }
        if cli.tls_cert.is_some() {
            self.tls_cert = cli.tls_cert.clone();
        }
        if cli.tls_key.is_some() {
            self.tls_key = cli.tls_key.clone();
        }
        set(&mut self.trusted_proxies, &cli.trusted_proxies);
        set(&mut self.deny_networks, &cli.deny_networks);
        set(&mut self.shutdown_grace_secs, &cli.shutdown_grace_secs);
        if cli.content_security_policy.is_some() {
            self.content_security_policy = cli.content_security_policy.clone();
        }
        set(&mut self.upstreams, &cli.upstreams);
        set(&mut self.patterns, &cli.patterns);
        let limits = &mut self.limits;
        set(&mut limits.max_connections, &cli.max_connections);
        set(&mut limits.max_connections_per_ip, &cli.max_connections_per_ip);
        set(&mut limits.ipv6_client_prefix, &cli.ipv6_client_prefix);
        set(&mut limits.upgrades_per_minute_per_ip, &cli.upgrades_per_minute_per_ip);
        set(&mut limits.max_message_bytes, &cli.max_message_bytes);
        set(&mut limits.idle_timeout_secs, &cli.idle_timeout_secs);
        set(&mut limits.ping_interval_secs, &cli.ping_interval_secs);
        set(&mut limits.ping_timeout_secs, &cli.ping_timeout_secs);
        set(&mut limits.connect_timeout_secs, &cli.connect_timeout_secs);
        set(&mut limits.tls_handshake_timeout_secs, &cli.tls_handshake_timeout_secs);
        set(&mut limits.request_timeout_secs, &cli.request_timeout_secs);
        set(&mut limits.buffer_bytes, &cli.buffer_bytes);
        set(&mut limits.max_session_bytes, &cli.max_session_bytes);
    }

    /// Checks values that parse but cannot work.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return Err(invalid("tls_cert", "tls_cert and tls_key must be given together"));
        }
        for (key, path) in [("tls_cert", &self.tls_cert), ("tls_key", &self.tls_key)] {
            if let Some(path) = path {
                if !path.is_file() {
                    return Err(invalid(key, format!("file {} does not exist", path.display())));
                }
            }
        }
        for (key, origins) in [
            ("allowed_origins", &self.allowed_origins),
            ("public_origins", &self.public_origins),
        ] {
            for origin in origins {
                let authority = origin
                    .strip_prefix("http://")
                    .or_else(|| origin.strip_prefix("https://"));
                if authority.is_none_or(|authority| authority.is_empty() || authority.contains('/')) {
                    return Err(invalid(
                        key,
                        format!("`{origin}` is not an origin (expected e.g. https://mail.example.org, no path)"),
                    ));
                }
            }
        }
        let limits = &self.limits;
        for (key, value) in [
            ("limits.max_connections", limits.max_connections as u64),
            ("limits.max_connections_per_ip", limits.max_connections_per_ip as u64),
            (
                "limits.upgrades_per_minute_per_ip",
                u64::from(limits.upgrades_per_minute_per_ip),
            ),
            ("limits.max_message_bytes", limits.max_message_bytes as u64),
            ("limits.idle_timeout_secs", limits.idle_timeout_secs),
            ("limits.ping_interval_secs", limits.ping_interval_secs),
            ("limits.ping_timeout_secs", limits.ping_timeout_secs),
            ("limits.connect_timeout_secs", limits.connect_timeout_secs),
            ("limits.tls_handshake_timeout_secs", limits.tls_handshake_timeout_secs),
            ("limits.request_timeout_secs", limits.request_timeout_secs),
        ] {
            if value == 0 {
                return Err(invalid(key, "must be greater than 0"));
            }
        }
        if !(1..=128).contains(&limits.ipv6_client_prefix) {
            return Err(invalid(
                "limits.ipv6_client_prefix",
                "must be between 1 and 128 (64 is usual)",
            ));
        }
        for proxy in &self.trusted_proxies {
            // Wider than this trusts (nearly) the whole Internet to name the client.
            let too_wide = match proxy {
                IpNet::V4(net) => net.prefix_len() < 8,
                IpNet::V6(net) => net.prefix_len() < 7,
            };
            if too_wide {
                return Err(invalid(
                    "trusted_proxies",
                    format!(
                        "`{proxy}` would let any client choose its own address with X-Forwarded-For and escape the per-IP limits; list only your proxies' addresses (e.g. 127.0.0.1/32)"
                    ),
                ));
            }
        }
        if !(512..=16 << 20).contains(&limits.buffer_bytes) {
            return Err(invalid("limits.buffer_bytes", "must be between 512 and 16777216"));
        }
        let mut names = std::collections::HashSet::new();
        for (index, upstream) in self.upstreams.iter().enumerate() {
            let key = format!("upstream[{index}]");
            if upstream.name.is_empty()
                || !upstream
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            {
                return Err(invalid(&format!("{key}.name"), "use letters, digits, '-', '_' or '.'"));
            }
            if !names.insert(&upstream.name) {
                return Err(invalid(
                    &format!("{key}.name"),
                    format!("`{}` is defined twice", upstream.name),
                ));
            }
            crate::policy::split_host_port(&upstream.address)
                .map_err(|error| invalid(&format!("{key}.address"), error.to_string()))?;
            for pin in &upstream.pinned_sha256 {
                if client_tls::certificate::parse_fingerprint(pin).is_none() {
                    return Err(invalid(
                        &format!("{key}.pinned_sha256"),
                        format!("`{pin}` is not a SHA-256 fingerprint (64 hex digits, colons allowed)"),
                    ));
                }
            }
            if upstream.allow_certificate_exceptions && !upstream.tls.is_end_to_end() {
                return Err(invalid(
                    &format!("{key}.tls"),
                    "allow_certificate_exceptions applies to end-to-end modes only",
                ));
            }
            if !upstream.pinned_sha256.is_empty() && upstream.tls == TlsMode::None {
                return Err(invalid(&format!("{key}.tls"), "pinned_sha256 needs a TLS mode"));
            }
            if !upstream.pinned_checks_name_and_dates && upstream.tls.is_end_to_end() {
                return Err(invalid(
                    &format!("{key}.pinned_checks_name_and_dates"),
                    "applies to implicit and starttls only: the page accepts a pinned certificate as it is",
                ));
            }
            if let Some(path) = &upstream.ca_file {
                if !path.is_file() {
                    return Err(invalid(
                        &format!("{key}.ca_file"),
                        format!("file {} does not exist", path.display()),
                    ));
                }
            }
        }
        for (index, pattern) in self.patterns.iter().enumerate() {
            crate::policy::HostPattern::parse(&pattern.pattern)
                .map_err(|error| invalid(&format!("upstream_pattern[{index}].pattern"), error.to_string()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
listen = "127.0.0.1:8080"
allowed_origins = ["http://127.0.0.1:8080"]   # default: same origin as the request's Host

[[upstream]]
name = "local"
address = "127.0.0.1:143"
tls = "starttls"          # "implicit" | "starttls" | "none"
# ca_file = "/path/ca.pem" # extra trust anchor for a private CA
"#;

    #[test]
    fn the_minimal_file_from_the_readme_works_as_is() {
        let config = Config::from_toml(MINIMAL, Path::new("bridge.toml")).unwrap();
        config.validate().unwrap();
        assert_eq!(config.upstreams[0].tls, TlsMode::Starttls);
        assert_eq!(config.limits, Limits::default());
    }

    #[test]
    fn the_annotated_example_parses() {
        let config =
            Config::from_toml(include_str!("../bridge.example.toml"), Path::new("bridge.example.toml")).unwrap();
        assert_eq!(config.limits, Limits::default());
        assert_eq!(config.upstreams[0].name, "local");
    }

    #[test]
    fn end_to_end_upstreams_take_pins_and_exceptions() {
        let text = format!(
            "{MINIMAL}\n[[upstream]]\nname = \"e2e\"\naddress = \"imap.example.org:993\"\ntls = \"end-to-end\"\npinned_sha256 = [\"{}\"]\nallow_certificate_exceptions = true\n",
            ["AB"; 32].join(":")
        );
        let mut config = Config::from_toml(&text, Path::new("b.toml")).unwrap();
        config.validate().unwrap();
        assert_eq!(config.upstreams[1].tls, TlsMode::EndToEnd);
        config.upstreams[1].pinned_sha256[0] = "AB:CD".into();
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .contains("upstream[1].pinned_sha256")
        );
        config.upstreams[1].pinned_sha256.clear();
        config.upstreams[1].tls = TlsMode::Implicit;
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .contains("end-to-end modes only")
        );
        config.upstreams[1].allow_certificate_exceptions = false;
        config.upstreams[1].pinned_sha256 = vec![["AB"; 32].join(":")];
        config.validate().expect("the bridge's own TLS takes pins too");
        config.upstreams[1].tls = TlsMode::None;
        assert!(config.validate().unwrap_err().to_string().contains("needs a TLS mode"));
        assert_eq!("end-to-end-starttls".parse::<TlsMode>(), Ok(TlsMode::EndToEndStarttls));
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_name() {
        let error = Config::from_toml("listen = \"127.0.0.1:1\"\nlisten_port = 3\n", Path::new("b.toml")).unwrap_err();
        assert!(error.to_string().contains("listen_port"), "{error}");
    }

    #[test]
    fn bad_values_name_the_key() {
        let error = Config::from_toml("listen = \"localhost\"\n", Path::new("b.toml")).unwrap_err();
        assert!(error.to_string().contains("listen"), "{error}");
        let mut config = Config::from_toml(MINIMAL, Path::new("b.toml")).unwrap();
        config.upstreams[0].address = "127.0.0.1".into();
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .contains("upstream[0].address")
        );
        let mut config = Config::from_toml(MINIMAL, Path::new("b.toml")).unwrap();
        config.tls_cert = Some(PathBuf::from("/nonexistent/cert.pem"));
        config.tls_key = Some(PathBuf::from("/nonexistent/key.pem"));
        assert!(config.validate().unwrap_err().to_string().contains("does not exist"));
    }

    #[test]
    fn a_trusted_proxy_as_wide_as_the_internet_is_refused() {
        for wide in ["0.0.0.0/0", "::/0", "0.0.0.0/4"] {
            let mut config = Config::from_toml(MINIMAL, Path::new("b.toml")).unwrap();
            config.trusted_proxies = vec![wide.parse().unwrap()];
            let error = config.validate().unwrap_err().to_string();
            assert!(
                error.contains("trusted_proxies") && error.contains("X-Forwarded-For"),
                "{error}"
            );
        }
        let mut config = Config::from_toml(MINIMAL, Path::new("b.toml")).unwrap();
        config.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap(), "fc00::/7".parse().unwrap()];
        config.validate().unwrap();
    }

    /// A configuration with every optional setting given, so every key serializes.
    fn full_config() -> Config {
        let mut config = Config::from_toml(MINIMAL, Path::new("b.toml")).unwrap();
        config.tls_cert = Some(PathBuf::from("/etc/cert.pem"));
        config.tls_key = Some(PathBuf::from("/etc/key.pem"));
        config.content_security_policy = Some("default-src 'self'".into());
        config.public_origins = vec!["https://mail.example.org".into()];
        config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        config.deny_networks = vec!["2001:db8:64::/96".parse().unwrap()];
        config.upstreams = vec![UpstreamConfig {
            name: "full".into(),
            label: Some("Full".into()),
            address: "imap.example.org:993".into(),
            tls: TlsMode::Implicit,
            ca_file: Some(PathBuf::from("/etc/ca.pem")),
            server_name: Some("mail.example.org".into()),
            pinned_sha256: vec![["AB"; 32].join(":"), ["CD"; 32].join(":")],
            pinned_checks_name_and_dates: false,
            allow_certificate_exceptions: true,
        }];
        config.patterns = vec![PatternConfig {
            pattern: "*.example.org:*".into(),
            tls: TlsMode::Starttls,
            ports: vec![143, 587],
            allow_networks: vec!["10.0.0.0/8".parse().unwrap(), "fd00::/8".parse().unwrap()],
        }];
        config
    }

    /// The TOML table of a value, as the config file would hold it.
    fn table<T: Serialize>(value: &T) -> toml::Table {
        toml::Table::try_from(value).unwrap()
    }

    #[test]
    fn every_file_key_has_a_flag_and_an_environment_variable() {
        let command = <Cli as clap::CommandFactory>::command();
        let mut keys: Vec<String> = Vec::new();
        for (key, value) in table(&full_config()) {
            match value {
                toml::Value::Table(limits) => keys.extend(limits.keys().cloned()),
                _ => keys.push(key),
            }
        }
        for key in keys {
            // Arrays of tables take one flag per entry: --upstream, --upstream-pattern.
            let (flag, env) = match key.as_str() {
                "upstream" => ("upstream".to_owned(), "BRIDGE_UPSTREAMS".to_owned()),
                "upstream_pattern" => ("upstream-pattern".to_owned(), "BRIDGE_UPSTREAM_PATTERNS".to_owned()),
                _ => (key.replace('_', "-"), format!("BRIDGE_{}", key.to_ascii_uppercase())),
            };
            let argument = command
                .get_arguments()
                .find(|argument| argument.get_long() == Some(flag.as_str()))
                .unwrap_or_else(|| panic!("`{key}` has no --{flag} flag"));
            assert_eq!(
                argument.get_env().and_then(|name| name.to_str()),
                Some(env.as_str()),
                "--{flag}'s environment variable"
            );
        }
    }

    /// Writes a table as the flag form `HEAD,key=value,...` (lists as repeated keys).
    fn as_flag(head: &str, table: &toml::Table, skip: &[&str]) -> String {
        let mut parts = vec![head.to_owned()];
        for (key, value) in table.iter().filter(|(key, _)| !skip.contains(&key.as_str())) {
            let values = match value {
                toml::Value::Array(items) => items.clone(),
                other => vec![other.clone()],
            };
            for value in values {
                let text = match value {
                    toml::Value::String(text) => text,
                    other => other.to_string(),
                };
                parts.push(format!("{key}={text}"));
            }
        }
        parts.join(",")
    }

    #[test]
    fn every_upstream_and_pattern_key_can_be_given_as_a_flag() {
        let config = full_config();
        let upstream = &config.upstreams[0];
        let text = as_flag(
            &format!("{}={}", upstream.name, upstream.address),
            &table(upstream),
            &["name", "address"],
        );
        assert_eq!(parse_upstream(&text).as_ref(), Ok(upstream), "{text}");
        let pattern = &config.patterns[0];
        let text = as_flag(&pattern.pattern, &table(pattern), &["pattern"]);
        assert_eq!(parse_pattern(&text).as_ref(), Ok(pattern), "{text}");
    }

    #[test]
    fn flags_override_the_file() {
        let cli = Cli::parse_from([
            "webmail-bridge",
            "--listen",
            "127.0.0.1:9999",
            "--upstream",
            "gmail=imap.gmail.com:993,label=Gmail",
            "--idle-timeout-secs",
            "5",
        ]);
        let mut config = Config::from_toml(MINIMAL, Path::new("b.toml")).unwrap();
        config.apply(&cli);
        config.validate().unwrap();
        assert_eq!(config.listen.port(), 9999);
        assert_eq!(config.upstreams.len(), 1);
        assert_eq!(config.upstreams[0].label.as_deref(), Some("Gmail"));
        assert_eq!(config.upstreams[0].tls, TlsMode::Implicit);
        assert_eq!(config.limits.idle_timeout_secs, 5);
    }
}
