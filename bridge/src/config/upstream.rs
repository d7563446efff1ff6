//! The servers a configuration allows: named upstreams and the patterns a user
//! may type a server name against, with how each is reached.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

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

/// The submission port that is never one: port 25 is for relay between servers
/// (RFC 6409 section 3.1); a bridge that dialled it would help send spam.
pub(crate) const RELAY_PORT: u16 = 25;

/// An IMAP server the operator allows, reached by name: `/ws?upstream=NAME`,
/// with its submission server for sending: `/ws?upstream=NAME&service=submission`.
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
    /// The submission server (`host:port`) that sends mail for this upstream's
    /// users; never port 25. Its certificate must carry the submission host's
    /// name (not `server_name`, which is the IMAP server's) and is checked with
    /// the same `ca_file` and `pinned_sha256` (list both certificates when they differ).
    #[serde(default)]
    pub submission: Option<String>,
    /// How TLS is done with the submission server [default: implicit on port
    /// 465, starttls on any other].
    #[serde(default)]
    pub submission_tls: Option<TlsMode>,
    /// Whether the submission server files a copy of each message it sends in
    /// the user's Sent folder itself (Gmail, Microsoft 365, iCloud do): the page
    /// then does not file a second one. Unset, the page looks for the copy by its
    /// Message-ID before filing its own.
    #[serde(default)]
    pub submission_files_sent: bool,
}

impl UpstreamConfig {
    /// How TLS is done with the submission server, if there is one.
    pub fn submission_tls_mode(&self) -> Option<TlsMode> {
        let address = self.submission.as_deref()?;
        Some(self.submission_tls.unwrap_or_else(|| default_submission_tls(address)))
    }
}

/// Implicit TLS on 465 (RFC 8314), STARTTLS elsewhere (587).
fn default_submission_tls(address: &str) -> TlsMode {
    match address.rsplit_once(':').map(|(_, port)| port) {
        Some("465") => TlsMode::Implicit,
        _ => TlsMode::Starttls,
    }
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
    /// How TLS is done when a matching server is used for sending
    /// (`service=submission`); unset, matching servers only serve IMAP.
    #[serde(default)]
    pub submission_tls: Option<TlsMode>,
}

fn default_true() -> bool {
    true
}

pub(super) fn default_ports() -> Vec<u16> {
    vec![143, 993, 465, 587]
}
