//! Which servers the bridge may connect to: host syntax, patterns and address classes.
//!
//! A bridge that relays to whatever a page names is an open proxy into the
//! operator's network. Named upstreams are trusted as configured; a host the
//! user typed must match an operator's pattern, be spelled as a plain DNS name
//! or canonical IP address, and resolve only to public unicast addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// A host as the bridge accepts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Host {
    /// A literal address in canonical form.
    Ip(IpAddr),
    /// A lower-case DNS name without trailing dot.
    Name(String),
}

/// Why a server address or pattern cannot be used. The text the page or the
/// configuration gave is quoted printable (it reaches close reasons and logs).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// No port, or not in `HOST:PORT` (or `[IPv6]:PORT`) form.
    #[error("expected HOST:PORT (IPv6 as [ADDRESS]:PORT) with a non-zero port")]
    NotHostPort,
    /// The port is not a number from 1 to 65535.
    #[error("`{0}` is not a port number")]
    Port(String),
    /// A host with a colon that is not an IPv6 address.
    #[error("`{0}` is not a valid IPv6 address")]
    Ipv6(String),
    /// An IPv4 address written other than as four decimal numbers (`127.1`, `0x7f.0.0.1`).
    #[error("`{0}` is an unusual IP address spelling; write it as four decimal numbers")]
    OddIpv4(String),
    /// Not a DNS name (bad characters, empty or overlong labels).
    #[error("`{0}` is not a valid host name (use the xn-- form for international names)")]
    HostName(String),
    /// A pattern without `:PORT` or with a port that is neither a number nor `*`.
    #[error("`{0}` is not a pattern (expected HOST:PORT, e.g. *.example.org:993, port may be *)")]
    Pattern(String),
    /// A wildcard other than a whole leftmost `*.` label before a domain name.
    #[error("wildcards are only allowed as `*.` before a domain name")]
    Wildcard,
}

/// Peer or configuration text for an [`AddressError`].
fn quoted(text: &str) -> String {
    webmail_wire::printable(text.as_bytes(), 80)
}

/// Splits `host:port` (IPv6 literals in brackets) and checks the port.
pub(crate) fn split_host_port(address: &str) -> Result<(String, u16), AddressError> {
    let (host, port) = if let Some(rest) = address.strip_prefix('[') {
        rest.split_once("]:").ok_or(AddressError::NotHostPort)?
    } else {
        address.rsplit_once(':').ok_or(AddressError::NotHostPort)?
    };
    let port: u16 = port.parse().map_err(|_| AddressError::Port(quoted(port)))?;
    if port == 0 || host.is_empty() {
        return Err(AddressError::NotHostPort);
    }
    Ok((host.to_owned(), port))
}

/// Parses a host the way the bridge will dial it, refusing ambiguous spellings.
///
/// Browsers and resolvers read `127.1`, `0x7f.0.0.1`, `017700000001` and
/// `2130706433` as 127.0.0.1; an allow-list that sees them as names is bypassed.
/// So any host whose last label is numeric must be a canonical dotted quad.
pub(crate) fn parse_host(host: &str) -> Result<Host, AddressError> {
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    if host.contains(':') {
        return host
            .parse::<Ipv6Addr>()
            .map(|ip| Host::Ip(IpAddr::V6(ip)))
            .map_err(|_| AddressError::Ipv6(quoted(&host)));
    }
    let last_label = host.rsplit('.').next().unwrap_or_default();
    let numeric_label = !last_label.is_empty()
        && (last_label.bytes().all(|b| b.is_ascii_digit())
            || last_label
                .strip_prefix("0x")
                .is_some_and(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit())));
    if numeric_label {
        return canonical_ipv4(&host)
            .map(|ip| Host::Ip(IpAddr::V4(ip)))
            .ok_or_else(|| AddressError::OddIpv4(quoted(&host)));
    }
    if host.is_empty() || host.len() > 253 {
        return Err(AddressError::HostName(quoted(&host)));
    }
    for label in host.split('.') {
        let valid = (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !valid {
            return Err(AddressError::HostName(quoted(&host)));
        }
    }
    Ok(Host::Name(host))
}

fn canonical_ipv4(text: &str) -> Option<Ipv4Addr> {
    let ip: Ipv4Addr = text.parse().ok()?;
    // Rust's parser already refuses octal, hex and short forms; this keeps it that way.
    (ip.to_string() == text).then_some(ip)
}

/// Why an address may not be dialled, or `None` for a public unicast address.
pub(crate) fn forbidden_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(ip) => forbidden_v4(ip),
        IpAddr::V6(ip) => forbidden_v6(ip),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b) {
        _ if ip == Ipv4Addr::new(169, 254, 169, 254) => "a cloud metadata address",
        (0, _) => "an unspecified address",
        (127, _) => "a loopback address",
        (10, _) | (172, 16..=31) | (192, 168) => "a private address",
        (100, 64..=127) => "a carrier-grade NAT address",
        (169, 254) => "a link-local address",
        (192, 0) if c == 0 || c == 2 => "a reserved address",
        (198, 18..=19) => "a benchmarking address",
        (198, 51) if c == 100 => "a documentation address",
        (203, 0) if c == 113 => "a documentation address",
        (224..=239, _) => "a multicast address",
        (240..=255, _) => "a reserved address",
        _ => return None,
    })
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let segments = ip.segments();
    if ip.is_unspecified() {
        return Some("an unspecified address");
    }
    if ip.is_loopback() {
        return Some("a loopback address");
    }
    // Addresses that carry an IPv4 address inside are judged by that address:
    // a translator or tunnel on the way delivers them to it.
    let embedded = embedded_ipv4(ip);
    if !embedded.is_empty() {
        return embedded.into_iter().find_map(forbidden_v4);
    }
    if segments[..6] == [0; 6] {
        return Some("an IPv4-compatible address");
    }
    Some(match segments[0] {
        0xfc00..=0xfdff if segments[..4] == [0xfd00, 0x0ec2, 0, 0] => "a cloud metadata address",
        0xfc00..=0xfdff => "a private (unique local) address",
        0xfe80..=0xfebf => "a link-local address",
        0xff00..=0xffff => "a multicast address",
        0x2001 if segments[1] == 0x0db8 => "a documentation address",
        0x0100 if segments[1..4] == [0, 0, 0] => "a discard-only address",
        _ => return None,
    })
}

/// The IPv4 addresses an IPv6 address carries for a translator or tunnel to
/// deliver to; empty when it is not one of those forms.
///
/// - IPv4-mapped `::ffff:a.b.c.d` and SIIT's IPv4-translated `::ffff:0:a.b.c.d` (RFC 2765);
/// - NAT64's well-known prefix `64:ff9b::/96` (RFC 6052);
/// - NAT64's local-use `64:ff9b:1::/48` (RFC 8215), where the operator picks the
///   prefix length, so the address is read at every position RFC 6052 allows;
/// - 6to4 `2002:AABB:CCDD::/48` (RFC 3056);
/// - Teredo `2001:0:SSSS:SSSS::/32` (RFC 4380): the server, and the client's
///   address stored inverted in the last 32 bits.
pub(crate) fn embedded_ipv4(ip: Ipv6Addr) -> Vec<Ipv4Addr> {
    let s = ip.segments();
    let octets = ip.octets();
    let v4 = |high: u16, low: u16| Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
    let last = v4(s[6], s[7]);
    match s {
        [0, 0, 0, 0, 0, 0xffff, ..] | [0, 0, 0, 0, 0xffff, 0, ..] | [0x64, 0xff9b, 0, 0, 0, 0, ..] => vec![last],
        [0x64, 0xff9b, 0x1, ..] => {
            // RFC 6052 section 2.2: bits 64..72 are always zero, so a /48 or /56
            // prefix splits the IPv4 address around them.
            let at = |indexes: [usize; 4]| Ipv4Addr::from(indexes.map(|index| octets[index]));
            vec![at([6, 7, 9, 10]), at([7, 9, 10, 11]), at([9, 10, 11, 12]), last]
        }
        [0x2002, high, low, ..] => vec![v4(high, low)],
        [0x2001, 0, high, low, ..] => vec![v4(high, low), Ipv4Addr::from(!u32::from(last))],
        _ => Vec::new(),
    }
}

/// A server family the user may type: `*.example.org:993`, `imap.example.org:*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostPattern {
    /// Exact name, or the suffix after `*.`.
    host: String,
    wildcard: bool,
    /// `None` for `*`.
    port: Option<u16>,
}

impl HostPattern {
    /// Parses a pattern; wildcards only as a whole leftmost label.
    pub(crate) fn parse(pattern: &str) -> Result<Self, AddressError> {
        let not_a_pattern = || AddressError::Pattern(quoted(pattern));
        let (host, port) = pattern.rsplit_once(':').ok_or_else(not_a_pattern)?;
        let port = match port {
            "*" => None,
            digits => Some(digits.parse::<u16>().map_err(|_| not_a_pattern())?),
        };
        let (wildcard, host) = match host.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, host),
        };
        match parse_host(host)? {
            Host::Name(name) if !name.contains('*') => Ok(Self {
                host: name,
                wildcard,
                port,
            }),
            Host::Ip(_) if !wildcard => Ok(Self {
                host: host.to_ascii_lowercase(),
                wildcard,
                port,
            }),
            _ => Err(AddressError::Wildcard),
        }
    }

    /// True when `port` falls under this pattern (its own, or one of
    /// `allowed_ports` when the pattern's port is `*`).
    pub(crate) fn allows_port(&self, port: u16, allowed_ports: &[u16]) -> bool {
        match self.port {
            Some(fixed) => fixed == port,
            None => allowed_ports.contains(&port),
        }
    }

    /// True when `host` (already canonical) and `port` fall under this pattern.
    pub(crate) fn matches(&self, host: &Host, port: u16, allowed_ports: &[u16]) -> bool {
        let port_ok = self.allows_port(port, allowed_ports);
        let host_ok = match host {
            Host::Name(name) if self.wildcard => name
                .strip_suffix(self.host.as_str())
                .is_some_and(|prefix| prefix.ends_with('.') && prefix.len() > 1),
            Host::Name(name) => *name == self.host,
            Host::Ip(ip) => !self.wildcard && ip.to_string() == self.host,
        };
        port_ok && host_ok
    }
}

/// An address a typed server may not be dialled at. Its `Display` names the
/// address, for the bridge's log only: the page is told just that the server is
/// not allowed, never where a name points inside the operator's network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Forbidden {
    /// The name resolved to nothing.
    #[error("the name resolved to no address")]
    NoAddress,
    /// A private, loopback, reserved... address, not in the pattern's `allow_networks`.
    #[error("{ip} is {class}")]
    Class {
        /// The address.
        ip: IpAddr,
        /// Which class, e.g. "a loopback address".
        class: &'static str,
    },
    /// An address in the operator's `deny_networks`.
    #[error("{ip} is in deny_networks ({network})")]
    Denied {
        /// The address.
        ip: IpAddr,
        /// The network it falls in.
        network: IpNet,
    },
}

/// Checks resolved addresses: all must be allowed, or the whole target is refused,
/// so a name that mixes a public and a private answer cannot be used for rebinding.
/// `deny` wins over `allow`; an address that embeds an IPv4 address is also
/// checked against `deny` by that address.
pub(crate) fn check_resolved(addresses: &[IpAddr], allow: &[IpNet], deny: &[IpNet]) -> Result<(), Forbidden> {
    if addresses.is_empty() {
        return Err(Forbidden::NoAddress);
    }
    for &ip in addresses {
        let inside = match ip {
            IpAddr::V6(v6) => embedded_ipv4(v6).into_iter().map(IpAddr::V4).collect(),
            IpAddr::V4(_) => Vec::new(),
        };
        for candidate in std::iter::once(ip).chain(inside) {
            if let Some(network) = deny.iter().find(|net| net.contains(&candidate)) {
                return Err(Forbidden::Denied { ip, network: *network });
            }
        }
        if let Some(class) = forbidden_reason(ip) {
            if !allow.iter().any(|net| net.contains(&ip)) {
                return Err(Forbidden::Class { ip, class });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_ip_spellings_are_refused() {
        for spelling in [
            "127.1",
            "0x7f.0.0.1",
            "0x7f000001",
            "2130706433",
            "017700000001",
            "0177.0.0.1",
            "127.0.0.01",
            "1.2.3",
            "host.123",
            "::ffff:127.0.0.1%eth0",
        ] {
            assert!(parse_host(spelling).is_err(), "{spelling} accepted");
        }
        assert_eq!(parse_host("127.0.0.1"), Ok(Host::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST))));
        assert_eq!(
            parse_host("IMAP.Example.ORG."),
            Ok(Host::Name("imap.example.org".into()))
        );
        assert!(parse_host("bad_host-.example").is_err());
        assert!(parse_host("bücher.example").is_err());
        assert_eq!(parse_host("127.1"), Err(AddressError::OddIpv4("127.1".into())));
        assert_eq!(
            HostPattern::parse("imap.*.org:993"),
            Err(AddressError::HostName("imap.*.org".into()))
        );
        assert_eq!(HostPattern::parse("*.127.0.0.1:993"), Err(AddressError::Wildcard));
    }

    #[test]
    fn a_typed_host_cannot_put_control_characters_into_reasons_or_logs() {
        let error = parse_host("evil\r\nINFO forged log line").unwrap_err();
        assert!(matches!(error, AddressError::HostName(_)));
        assert!(!error.to_string().contains(['\r', '\n']), "{error}");
    }

    #[test]
    fn every_private_family_is_refused() {
        for ip in [
            "0.0.0.0",
            "0.1.2.3",
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.100.100.200",
            "169.254.169.254",
            "169.254.1.1",
            "192.0.0.192",
            "198.18.0.1",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b:1::a00:1",
            "64:ff9b:1:a00:0:100::",
            "64:ff9b:1:a:0:1::",
            "64:ff9b:1:0:a:0:100::",
            "::ffff:0:a00:1",
            "::ffff:0:7f00:1",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::1",
            "2001:0:a00:1::1",
            "2001:0:4136:e378:8000:63bf:80ff:fffe",
            "fc00::1",
            "fd00:ec2::254",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "100::1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(forbidden_reason(ip).is_some(), "{ip} allowed");
        }
        for ip in [
            "93.184.216.34",
            "1.1.1.1",
            "172.32.0.1",
            "2606:4700::1111",
            "64:ff9b::5db8:d822",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(forbidden_reason(ip), None, "{ip} refused");
        }
        assert_eq!(
            forbidden_reason("169.254.169.254".parse().unwrap()),
            Some("a cloud metadata address")
        );
    }

    #[test]
    fn patterns_match_whole_labels_and_ports() {
        let pattern = HostPattern::parse("*.example.org:993").unwrap();
        let ports = [143, 993];
        assert!(pattern.matches(&Host::Name("imap.example.org".into()), 993, &ports));
        assert!(!pattern.matches(&Host::Name("imap.example.org".into()), 143, &ports));
        assert!(!pattern.matches(&Host::Name("example.org".into()), 993, &ports));
        assert!(!pattern.matches(&Host::Name("evilexample.org".into()), 993, &ports));
        let any_port = HostPattern::parse("mail.example.net:*").unwrap();
        assert!(any_port.matches(&Host::Name("mail.example.net".into()), 143, &ports));
        assert!(!any_port.matches(&Host::Name("mail.example.net".into()), 22, &ports));
        assert!(HostPattern::parse("imap.*.org:993").is_err());
        assert!(HostPattern::parse("*.127.0.0.1:993").is_err());
    }

    #[test]
    fn mixed_answers_are_refused_unless_allowed() {
        let public: IpAddr = "93.184.216.34".parse().unwrap();
        let private: IpAddr = "10.0.0.5".parse().unwrap();
        let ten: IpNet = "10.0.0.0/8".parse().unwrap();
        assert!(check_resolved(&[public], &[], &[]).is_ok());
        assert_eq!(
            check_resolved(&[public, private], &[], &[]),
            Err(Forbidden::Class {
                ip: private,
                class: "a private address"
            })
        );
        assert!(check_resolved(&[public, private], &[ten], &[]).is_ok());
        assert_eq!(check_resolved(&[], &[], &[]), Err(Forbidden::NoAddress));
    }

    #[test]
    fn deny_networks_win_over_allow_networks_and_see_inside_translated_addresses() {
        // An operator's own NAT64 prefix, and a public range they keep for themselves.
        let translator: IpNet = "2001:db8:64::/96".parse().unwrap();
        let office: IpNet = "93.184.216.0/24".parse().unwrap();
        let via_translator: IpAddr = "2001:db8:64::5db8:d822".parse().unwrap();
        assert!(matches!(
            check_resolved(&[via_translator], &[translator], &[translator]),
            Err(Forbidden::Denied { .. })
        ));
        let office_host: IpAddr = "93.184.216.34".parse().unwrap();
        assert!(check_resolved(&[office_host], &[], &[office]).is_err());
        // The same office address reached through the well-known NAT64 prefix.
        let through_nat64: IpAddr = "64:ff9b::5db8:d822".parse().unwrap();
        assert!(check_resolved(&[through_nat64], &[], &[]).is_ok());
        assert!(check_resolved(&[through_nat64], &[], &[office]).is_err());
    }

    #[test]
    fn the_ipv4_inside_each_translated_form_is_found() {
        let inside = |text: &str| embedded_ipv4(text.parse().unwrap());
        let ten = Ipv4Addr::new(10, 0, 0, 1);
        assert_eq!(inside("::ffff:10.0.0.1"), [ten]);
        assert_eq!(inside("::ffff:0:10.0.0.1"), [ten]);
        assert_eq!(inside("64:ff9b::10.0.0.1"), [ten]);
        assert!(
            inside("64:ff9b:1::a00:1").contains(&ten),
            "/96 under the local-use prefix"
        );
        assert!(inside("64:ff9b:1:a00:0:100::").contains(&ten), "/48");
        assert!(inside("64:ff9b:1:a:0:1::").contains(&ten), "/56");
        assert!(inside("64:ff9b:1:0:a:0:100::").contains(&ten), "/64");
        assert_eq!(inside("2002:a00:1::1"), [ten]);
        // Teredo: the server, then the client stored inverted (0xf5ffff fe = 10.0.0.1 inverted).
        assert_eq!(inside("2001:0:a00:1::f5ff:fffe"), [ten, ten]);
        assert!(inside("2606:4700::1111").is_empty());
    }

    #[test]
    fn host_port_splitting() {
        assert_eq!(split_host_port("[::1]:993"), Ok(("::1".into(), 993)));
        assert_eq!(
            split_host_port("imap.example.org:143"),
            Ok(("imap.example.org".into(), 143))
        );
        assert!(split_host_port("imap.example.org").is_err());
        assert!(split_host_port("imap.example.org:0").is_err());
    }
}
