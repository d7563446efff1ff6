//! The command line and environment: one flag and one `BRIDGE_*` variable per
//! file key, laid over the file's values.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use ipnet::IpNet;

use super::upstream::default_ports;
use super::{Config, PatternConfig, TlsMode, UpstreamConfig};

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
        submission: None,
        submission_tls: None,
        submission_files_sent: false,
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
            "submission" => upstream.submission = Some(value.to_owned()),
            "submission_tls" => upstream.submission_tls = Some(value.parse()?),
            "submission_files_sent" => upstream.submission_files_sent = parse_bool(key, value)?,
            other => {
                return Err(format!(
                    "unknown upstream option `{other}` (tls, ca_file, label, server_name, pinned_sha256, pinned_checks_name_and_dates, allow_certificate_exceptions, submission, submission_tls, submission_files_sent)"
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
        submission_tls: None,
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
            "submission_tls" => config.submission_tls = Some(value.parse()?),
            other => {
                return Err(format!(
                    "unknown pattern option `{other}` (tls, ports, allow_networks, submission_tls)"
                ));
            }
        }
    }
    if config.ports.is_empty() {
        config.ports = default_ports();
    }
    Ok(config)
}

impl Config {
    /// Lays the flags and environment variables over the file's values.
    pub(super) fn apply(&mut self, cli: &Cli) {
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
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde::Serialize;

    use super::super::tests::MINIMAL;
    use super::*;

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
            submission: Some("smtp.example.org:587".into()),
            submission_tls: Some(TlsMode::Starttls),
            submission_files_sent: true,
        }];
        config.patterns = vec![PatternConfig {
            pattern: "*.example.org:*".into(),
            tls: TlsMode::Starttls,
            ports: vec![143, 587],
            allow_networks: vec!["10.0.0.0/8".parse().unwrap(), "fd00::/8".parse().unwrap()],
            submission_tls: Some(TlsMode::Implicit),
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
