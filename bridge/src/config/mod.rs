//! Configuration: a TOML file, with every setting also a CLI flag and an env var.
//!
//! Precedence: command line, then environment, then the file, then defaults.
//! Unknown keys are errors, so a typo never silently falls back to a default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

mod cli;
mod upstream;

pub use cli::Cli;
pub(crate) use upstream::RELAY_PORT;
pub use upstream::{PatternConfig, TlsMode, UpstreamConfig};

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
            if let Some(submission) = &upstream.submission {
                let (_, port) = crate::policy::split_host_port(submission)
                    .map_err(|error| invalid(&format!("{key}.submission"), error.to_string()))?;
                if port == RELAY_PORT {
                    return Err(invalid(&format!("{key}.submission"), NOT_RELAY_PORT));
                }
            } else if upstream.submission_tls.is_some() {
                return Err(invalid(
                    &format!("{key}.submission_tls"),
                    "needs `submission` (the submission server's host:port)",
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
            let parsed = crate::policy::HostPattern::parse(&pattern.pattern)
                .map_err(|error| invalid(&format!("upstream_pattern[{index}].pattern"), error.to_string()))?;
            if pattern.submission_tls.is_some() && parsed.allows_port(RELAY_PORT, &pattern.ports) {
                return Err(invalid(&format!("upstream_pattern[{index}]"), NOT_RELAY_PORT));
            }
        }
        Ok(())
    }
}

/// Why port 25 is refused wherever mail is sent from.
const NOT_RELAY_PORT: &str =
    "port 25 is for relay between mail servers, never for submission: use 587 (starttls) or 465 (implicit)";

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) const MINIMAL: &str = r#"
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
        let config = Config::from_toml(
            include_str!("../../bridge.example.toml"),
            Path::new("bridge.example.toml"),
        )
        .unwrap();
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

    /// Why a configuration file's text fails validation.
    fn refusal(text: &str) -> String {
        Config::from_toml(text, Path::new("b.toml"))
            .unwrap()
            .validate()
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn port_25_is_never_a_submission_port() {
        let upstream = format!("{MINIMAL}submission = \"smtp.example.org:25\"\n");
        let error = refusal(&upstream);
        assert!(
            error.contains("upstream[0].submission") && error.contains("587"),
            "{error}"
        );
        for pattern in [
            "pattern = \"*.example.org:25\"\ntls = \"implicit\"\nsubmission_tls = \"starttls\"",
            "pattern = \"*.example.org:*\"\ntls = \"implicit\"\nports = [993, 25]\nsubmission_tls = \"starttls\"",
        ] {
            let text = format!("{MINIMAL}\n[[upstream_pattern]]\n{pattern}\n");
            let error = refusal(&text);
            assert!(
                error.contains("upstream_pattern[0]") && error.contains("port 25"),
                "{error}"
            );
        }
        // A pattern that only reads may name port 25's host family: nothing is sent through it.
        let reading = format!(
            "{MINIMAL}\n[[upstream_pattern]]\npattern = \"*.example.org:*\"\ntls = \"implicit\"\nports = [993, 25]\n"
        );
        Config::from_toml(&reading, Path::new("b.toml"))
            .unwrap()
            .validate()
            .unwrap();
    }

    #[test]
    fn submission_tls_defaults_by_port_and_needs_a_server() {
        let on = |address: &str| {
            let text = format!("{MINIMAL}submission = \"{address}\"\n");
            let config = Config::from_toml(&text, Path::new("b.toml")).unwrap();
            config.validate().unwrap();
            config.upstreams[0].submission_tls_mode()
        };
        assert_eq!(on("smtp.example.org:465"), Some(TlsMode::Implicit));
        assert_eq!(on("smtp.example.org:587"), Some(TlsMode::Starttls));
        let orphan = format!("{MINIMAL}submission_tls = \"implicit\"\n");
        let error = refusal(&orphan);
        assert!(error.contains("needs `submission`"), "{error}");
    }
}
