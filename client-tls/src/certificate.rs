//! What a page shows about a server certificate: subject, issuer, validity,
//! names and SHA-256 fingerprint, read from the DER with a small bounds-checked
//! reader (a full X.509 parser would add size for four fields).

use ring::digest::{SHA256, digest};

/// A certificate as a person checks it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CertificateInfo {
    /// The subject, e.g. `CN=imap.example.org, O=Example`.
    pub subject: String,
    /// The issuer, in the same form.
    pub issuer: String,
    /// SHA-256 of the DER, as `AB:CD:...` (what certificate dialogs show).
    pub sha256: String,
    /// Start of validity, `YYYY-MM-DDTHH:MM:SSZ`.
    pub not_before: Option<String>,
    /// End of validity, `YYYY-MM-DDTHH:MM:SSZ`.
    pub not_after: Option<String>,
    /// DNS names and IP addresses from subjectAltName.
    pub names: Vec<String>,
}

/// SHA-256 of a certificate's DER, as colon-separated upper-case hex.
pub fn fingerprint(der: &[u8]) -> String {
    let hash = digest(&SHA256, der);
    hash.as_ref()
        .iter()
        .map(|byte| format!("{byte:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Parses a fingerprint as written by [`fingerprint`] (colons and case optional).
pub fn parse_fingerprint(text: &str) -> Option<[u8; 32]> {
    let hex: String = text.chars().filter(|c| *c != ':' && !c.is_whitespace()).collect();
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (index, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[index * 2..index * 2 + 2], 16).ok()?;
    }
    Some(out)
}

/// Describes a certificate. Fields that cannot be read are left empty: a
/// malformed certificate still gets its fingerprint.
pub fn describe(der: &[u8]) -> CertificateInfo {
    let mut info = CertificateInfo {
        sha256: fingerprint(der),
        ..CertificateInfo::default()
    };
    let _ = read_tbs(der, &mut info);
    info
}

/// The validity period as seconds since 1970 (`not_before`, `not_after`), when
/// both dates can be read.
pub fn validity(der: &[u8]) -> Option<(i64, i64)> {
    let info = describe(der);
    Some((
        unix_seconds(info.not_before.as_deref()?)?,
        unix_seconds(info.not_after.as_deref()?)?,
    ))
}

/// `YYYY-MM-DDTHH:MM:SSZ`, as [`time`] writes it, in seconds since 1970.
fn unix_seconds(iso: &str) -> Option<i64> {
    let number = |at: usize, digits: usize| iso.get(at..at + digits)?.parse::<i64>().ok();
    let (year, month, day) = (number(0, 4)?, number(5, 2)?, number(8, 2)?);
    let (hour, minute, second) = (number(11, 2)?, number(14, 2)?, number(17, 2)?);
    let days = webmail_wire::calendar::days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second)
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID: u8 = 0x06;

/// One DER element: tag, contents, and what follows it.
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let length = rest[..count]
            .iter()
            .fold(0usize, |acc, byte| (acc << 8) | usize::from(*byte));
        (length, &rest[count..])
    };
    if rest.len() < length {
        return None;
    }
    Some((tag, &rest[..length], &rest[length..]))
}

/// The contents of an element with this tag.
fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (found, contents, rest) = element(input)?;
    (found == tag).then_some((contents, rest))
}

fn read_tbs(der: &[u8], info: &mut CertificateInfo) -> Option<()> {
    let (certificate, _) = expect(der, SEQUENCE)?;
    let (tbs, _) = expect(certificate, SEQUENCE)?;
    let mut rest = tbs;
    // [0] version, optional.
    if rest.first() == Some(&0xa0) {
        rest = element(rest)?.2;
    }
    let (_, _serial, after_serial) = element(rest)?;
    let (_, _signature, after_signature) = element(after_serial)?;
    let (issuer, after_issuer) = expect(after_signature, SEQUENCE)?;
    info.issuer = name(issuer);
    let (validity, after_validity) = expect(after_issuer, SEQUENCE)?;
    let (_, not_before, after_start) = element(validity)?;
    let (_, not_after, _) = element(after_start)?;
    info.not_before = time(not_before);
    info.not_after = time(not_after);
    let (subject, after_subject) = expect(after_validity, SEQUENCE)?;
    info.subject = name(subject);
    let (_, _key, mut rest) = element(after_subject)?;
    while let Some((tag, contents, next)) = element(rest) {
        if tag == 0xa3 {
            info.names = alt_names(contents).unwrap_or_default();
        }
        rest = next;
    }
    Some(())
}

/// An RDNSequence as `CN=..., O=...`, most specific first as dialogs show it.
fn name(mut rdns: &[u8]) -> String {
    let mut parts = Vec::new();
    while let Some((SET, set, next)) = element(rdns) {
        let mut attributes = set;
        while let Some((SEQUENCE, attribute, after)) = element(attributes) {
            if let Some((oid, value)) = expect(attribute, OID) {
                if let Some((_, text, _)) = element(value) {
                    let label = match oid {
                        [0x55, 0x04, 0x03] => "CN",
                        [0x55, 0x04, 0x0a] => "O",
                        [0x55, 0x04, 0x0b] => "OU",
                        [0x55, 0x04, 0x06] => "C",
                        [0x55, 0x04, 0x07] => "L",
                        [0x55, 0x04, 0x08] => "ST",
                        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01] => "E",
                        _ => "",
                    };
                    if !label.is_empty() {
                        parts.push(format!("{label}={}", String::from_utf8_lossy(text)));
                    }
                }
            }
            attributes = after;
        }
        rdns = next;
    }
    parts.reverse();
    parts.join(", ")
}

/// UTCTime or GeneralizedTime as ISO 8601.
fn time(raw: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(raw).ok()?.strip_suffix('Z')?;
    let full = match text.len() {
        12 => {
            let year: u32 = text[..2].parse().ok()?;
            format!("{}{}", if year < 50 { "20" } else { "19" }, text)
        }
        14 => text.to_owned(),
        _ => return None,
    };
    if !full.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    Some(format!(
        "{}-{}-{}T{}:{}:{}Z",
        &full[..4],
        &full[4..6],
        &full[6..8],
        &full[8..10],
        &full[10..12],
        &full[12..14]
    ))
}

/// DNS names and IP addresses of the subjectAltName extension.
fn alt_names(extensions: &[u8]) -> Option<Vec<String>> {
    let (mut list, _) = expect(extensions, SEQUENCE)?;
    while let Some((SEQUENCE, extension, next)) = element(list) {
        let (oid, mut rest) = expect(extension, OID)?;
        if oid == [0x55, 0x1d, 0x11] {
            if rest.first() == Some(&0x01) {
                rest = element(rest)?.2;
            }
            let (value, _) = expect(rest, 0x04)?;
            let (mut names, _) = expect(value, SEQUENCE)?;
            let mut out = Vec::new();
            while let Some((tag, contents, after)) = element(names) {
                match tag {
                    0x82 => out.push(String::from_utf8_lossy(contents).into_owned()),
                    0x87 => {
                        if let Ok(octets) = <[u8; 4]>::try_from(contents) {
                            out.push(std::net::Ipv4Addr::from(octets).to_string());
                        } else if let Ok(octets) = <[u8; 16]>::try_from(contents) {
                            // The usual compressed form: "::1", as people write it.
                            out.push(std::net::Ipv6Addr::from(octets).to_string());
                        }
                    }
                    _ => {}
                }
                names = after;
            }
            return Some(out);
        }
        list = next;
    }
    Some(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated() -> (Vec<u8>, String) {
        let mut params =
            rcgen::CertificateParams::new(vec!["imap.example.org".to_owned(), "127.0.0.1".to_owned()]).expect("params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "imap.example.org");
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "Example Mail");
        params.not_before = rcgen::date_time_ymd(2025, 1, 2);
        params.not_after = rcgen::date_time_ymd(2030, 12, 31);
        let key = rcgen::KeyPair::generate().expect("key");
        let certificate = params.self_signed(&key).expect("certificate");
        (certificate.der().to_vec(), certificate.pem())
    }

    #[test]
    fn reads_subject_issuer_validity_and_names() {
        let (der, _) = generated();
        let info = describe(&der);
        assert_eq!(info.subject, "O=Example Mail, CN=imap.example.org");
        assert_eq!(info.issuer, info.subject, "self-signed");
        assert_eq!(info.not_before.as_deref(), Some("2025-01-02T00:00:00Z"));
        assert_eq!(info.not_after.as_deref(), Some("2030-12-31T00:00:00Z"));
        assert_eq!(info.names, vec!["imap.example.org".to_owned(), "127.0.0.1".to_owned()]);
        assert_eq!(info.sha256.len(), 32 * 3 - 1);
        assert_eq!(
            parse_fingerprint(&info.sha256),
            parse_fingerprint(&info.sha256.to_lowercase().replace(':', ""))
        );
        assert!(parse_fingerprint(&info.sha256).is_some());
    }

    #[test]
    fn validity_is_read_as_unix_seconds() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(unix_seconds("2000-03-01T00:00:00Z"), Some(951_868_800));
        assert_eq!(unix_seconds("2024-02-29T12:34:56Z"), Some(1_709_210_096));
        assert_eq!(unix_seconds("1969-12-31T23:59:59Z"), Some(-1));
        let (der, _) = generated();
        let (not_before, not_after) = validity(&der).expect("validity");
        assert!(not_before < not_after);
        assert_eq!(validity(b"not a certificate"), None);
    }

    #[test]
    fn garbage_still_gets_a_fingerprint_and_never_panics() {
        let (der, _) = generated();
        for cut in 0..der.len() {
            let info = describe(&der[..cut]);
            assert_eq!(info.sha256.len(), 95);
        }
        let mut flipped = der.clone();
        for index in 0..flipped.len() {
            flipped[index] ^= 0xff;
            let _ = describe(&flipped);
            flipped[index] ^= 0xff;
        }
        assert_eq!(parse_fingerprint("not hex"), None);
    }
}
