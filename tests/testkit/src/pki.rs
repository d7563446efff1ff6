//! Certificates for TLS tests: a private CA and server certificates it signs.

use std::net::IpAddr;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};

pub use rcgen::Error as PkiError;

/// A certificate authority that exists only for one test run.
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A server certificate chain and its private key, in PEM.
#[derive(Debug, Clone)]
pub struct ServerCert {
    /// The leaf certificate followed by nothing else (the CA is the trust anchor).
    pub cert_pem: String,
    /// The PKCS#8 private key.
    pub key_pem: String,
}

/// How long a server certificate is valid, as calendar dates.
#[derive(Debug, Clone, Copy)]
pub struct Validity {
    /// First valid day `(year, month, day)`.
    pub not_before: (i32, u8, u8),
    /// Last valid day `(year, month, day)`.
    pub not_after: (i32, u8, u8),
}

impl Validity {
    /// A window that contains today for any test run this century.
    pub const CURRENT: Validity = Validity {
        not_before: (2000, 1, 1),
        not_after: (2099, 12, 31),
    };
    /// A window that ended long ago, for expired-certificate tests.
    pub const EXPIRED: Validity = Validity {
        not_before: (2019, 1, 1),
        not_after: (2020, 1, 1),
    };
}

impl TestCa {
    /// Generates a fresh CA with the given common name.
    pub fn generate(common_name: &str) -> Result<Self, PkiError> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, common_name);
        params
            .distinguished_name
            .push(DnType::OrganizationName, "webmail-bridge tests");
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate()?)?;
        Ok(Self { issuer })
    }

    /// The CA certificate in PEM, to hand to clients as their trust anchor.
    pub fn cert_pem(&self) -> String {
        self.issuer.pem()
    }

    /// Issues a server certificate for `names` (DNS names or IP addresses).
    pub fn issue_server(&self, names: &[&str], validity: Validity) -> Result<ServerCert, PkiError> {
        let mut params = server_params(names, validity)?;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(ServerCert {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

impl ServerCert {
    /// A self-signed server certificate as `openssl req -x509` makes it: a CA
    /// certificate (CA:TRUE) that is also the server's own, the usual home set-up.
    pub fn self_signed(names: &[&str], validity: Validity) -> Result<ServerCert, PkiError> {
        let mut params = server_params(names, validity)?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate()?;
        let cert = params.self_signed(&key)?;
        Ok(ServerCert {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

/// Names, validity and server-auth usage common to every server certificate.
fn server_params(names: &[&str], validity: Validity) -> Result<CertificateParams, PkiError> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params
        .distinguished_name
        .push(DnType::CommonName, names.first().copied().unwrap_or("localhost"));
    for name in names {
        let san = match name.parse::<IpAddr>() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName((*name).try_into()?),
        };
        params.subject_alt_names.push(san);
    }
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let (y, m, d) = validity.not_before;
    params.not_before = rcgen::date_time_ymd(y, m, d);
    let (y, m, d) = validity.not_after;
    params.not_after = rcgen::date_time_ymd(y, m, d);
    Ok(params)
}

/// The first flight of a TLS client to `server_name` (a ClientHello naming it),
/// as rustls sends it: what the bridge's end-to-end gate must let through.
pub fn client_hello(server_name: &str) -> Vec<u8> {
    let config = rustls::ClientConfig::builder_with_provider(rustls::crypto::ring::default_provider().into())
        .with_safe_default_protocol_versions()
        .expect("rustls offers its default versions")
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(server_name.to_owned()).expect("a server name");
    let mut connection = rustls::ClientConnection::new(config.into(), name).expect("a client connection");
    let mut hello = Vec::new();
    connection.write_tls(&mut hello).expect("the ClientHello");
    hello
}

/// The names a loopback test server answers to.
pub const LOOPBACK_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_a_pem_chain() {
        let ca = TestCa::generate("unit CA").unwrap();
        let server = ca.issue_server(&LOOPBACK_NAMES, Validity::CURRENT).unwrap();
        assert!(ca.cert_pem().starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(server.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(server.key_pem.contains("PRIVATE KEY"));
    }
}
