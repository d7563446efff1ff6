//! One TLS client session over in-memory buffers.

use std::fmt;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use rustls::crypto::CryptoProvider;
use rustls::crypto::KeyProvider;
use rustls::pki_types::pem::PemObject;
use rustls::sign::SigningKey;
use rustls::{CertificateError, ClientConfig, ClientConnection, RootCertStore};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use crate::certificate::{self, CertificateInfo};
use crate::verify::{Presented, Verifier};

/// What to trust beyond the Mozilla roots.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// Extra root certificates (PEM), e.g. a private CA the operator configured.
    pub extra_roots_pem: Option<String>,
    /// Certificates accepted by their SHA-256, e.g. a self-signed server the
    /// person chose to trust.
    pub pinned_sha256: Vec<[u8; 32]>,
}

/// Why TLS failed, in the terms a certificate dialog uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsErrorKind {
    /// No trusted root vouches for the certificate (self-signed, private CA).
    Untrusted,
    /// The certificate expired or is not valid yet.
    Expired,
    /// The certificate does not name this server.
    WrongName,
    /// Some other certificate problem (revoked, bad signature, wrong usage).
    BadCertificate,
    /// The options were unusable (a bad server name or extra root).
    Config,
    /// The TLS conversation itself failed.
    Protocol,
}

impl TlsErrorKind {
    /// A stable code for pages: `CERT_UNTRUSTED`, `CERT_EXPIRED`, `CERT_NAME`,
    /// `CERT_INVALID`, `TLS_CONFIG` or `TLS_PROTOCOL`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Untrusted => "CERT_UNTRUSTED",
            Self::Expired => "CERT_EXPIRED",
            Self::WrongName => "CERT_NAME",
            Self::BadCertificate => "CERT_INVALID",
            Self::Config => "TLS_CONFIG",
            Self::Protocol => "TLS_PROTOCOL",
        }
    }
}

/// A TLS failure with a sentence a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsError {
    /// What kind of failure.
    pub kind: TlsErrorKind,
    /// What happened.
    pub message: String,
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TlsError {}

impl TlsError {
    fn config(message: impl Into<String>) -> Self {
        Self {
            kind: TlsErrorKind::Config,
            message: message.into(),
        }
    }

    fn protocol(message: String) -> Self {
        Self {
            kind: TlsErrorKind::Protocol,
            message,
        }
    }

    /// Says what went wrong without rustls's own Debug and Display text: those
    /// would carry every variant's name into the wasm module.
    fn from_rustls(error: &rustls::Error, server: &str) -> Self {
        use rustls::Error as E;
        let (kind, message) = match error {
            E::InvalidCertificate(problem) => match problem {
                CertificateError::UnknownIssuer | CertificateError::UnhandledCriticalExtension => (
                    TlsErrorKind::Untrusted,
                    format!("the certificate of {server} is not signed by a trusted authority"),
                ),
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => (
                    TlsErrorKind::Expired,
                    format!("the certificate of {server} has expired"),
                ),
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => (
                    TlsErrorKind::Expired,
                    format!("the certificate of {server} is not valid yet"),
                ),
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => (
                    TlsErrorKind::WrongName,
                    format!("the certificate presented is not valid for the name {server}"),
                ),
                CertificateError::Revoked => (
                    TlsErrorKind::BadCertificate,
                    format!("the certificate of {server} is revoked"),
                ),
                CertificateError::BadSignature | CertificateError::BadEncoding => (
                    TlsErrorKind::BadCertificate,
                    format!("the certificate of {server} is malformed or badly signed"),
                ),
                _ => (
                    TlsErrorKind::BadCertificate,
                    format!("the certificate of {server} cannot be used for this server"),
                ),
            },
            E::AlertReceived(alert) => (
                TlsErrorKind::Protocol,
                format!("{server} ended TLS with alert {}", u8::from(*alert)),
            ),
            E::PeerIncompatible(_) => (
                TlsErrorKind::Protocol,
                format!(
                    "{server} offers no TLS version or cipher this client accepts (TLS 1.2 or 1.3 with modern ciphers)"
                ),
            ),
            E::PeerMisbehaved(_)
            | E::InvalidMessage(_)
            | E::InappropriateMessage { .. }
            | E::InappropriateHandshakeMessage { .. } => (
                TlsErrorKind::Protocol,
                format!("{server} broke the TLS protocol (is it a TLS port?)"),
            ),
            _ => (TlsErrorKind::Protocol, format!("TLS with {server} failed")),
        };
        Self { kind, message }
    }
}

/// ring's provider without private-key loading: a client without client
/// certificates never signs, and leaving RSA and ECDSA signing out of the wasm
/// module keeps it smaller. ChaCha20-Poly1305 is offered first: in wasm there is
/// no AES hardware, and ring's portable AES-GCM is the slower of the two there
/// (servers that honour the client's order pick it; the others still may choose AES).
fn client_provider() -> CryptoProvider {
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites.sort_by_key(|suite| {
        !matches!(
            suite.suite(),
            rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256
                | rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
                | rustls::CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
        )
    });
    CryptoProvider {
        key_provider: &NoPrivateKeys,
        ..provider
    }
}

#[derive(Debug)]
struct NoPrivateKeys;

impl KeyProvider for NoPrivateKeys {
    fn load_private_key(&self, _key: PrivateKeyDer<'static>) -> Result<Arc<dyn SigningKey>, rustls::Error> {
        Err(rustls::Error::General(
            "this client does not use client certificates".into(),
        ))
    }
}

/// A TLS client session: feed it the server's bytes with [`Session::receive`],
/// send what [`Session::take_outgoing`] returns, write plaintext with [`Session::send`].
pub struct Session {
    connection: ClientConnection,
    server: String,
    presented: Presented,
    /// A failure is final: every later call reports it again.
    failed: Option<TlsError>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Starts a session to `server_name` (a DNS name or an IP address); the
    /// ClientHello is ready in [`Session::take_outgoing`] at once.
    pub fn new(server_name: &str, trust: &Trust) -> Result<Self, TlsError> {
        let name = ServerName::try_from(server_name.to_owned())
            .map_err(|_| TlsError::config(format!("`{server_name}` is not a server name")))?;
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        if let Some(pem) = &trust.extra_roots_pem {
            let mut added = 0;
            for certificate in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                let certificate =
                    certificate.map_err(|_| TlsError::config("the extra root is not a PEM certificate"))?;
                roots
                    .add(certificate)
                    .map_err(|_| TlsError::config("the extra root is not a usable CA certificate"))?;
                added += 1;
            }
            if added == 0 {
                return Err(TlsError::config("the extra root has no certificate in it"));
            }
        }
        let provider = Arc::new(client_provider());
        let presented: Presented = Arc::new(Mutex::new(None));
        let verifier = Verifier::new(roots, trust.pinned_sha256.clone(), provider.clone(), presented.clone())
            .map_err(|_| TlsError::config("no usable trust anchor"))?;
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|_| TlsError::config("the TLS provider offers no usable protocol version"))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        let mut connection = ClientConnection::new(Arc::new(config), name)
            .map_err(|_| TlsError::config(format!("cannot start TLS to {server_name}")))?;
        // The caller drains the ciphertext after each send; a large APPEND must not
        // fail on rustls's default 64 KiB plaintext buffer before it is drained.
        connection.set_buffer_limit(None);
        Ok(Self {
            connection,
            server: server_name.to_owned(),
            presented,
            failed: None,
        })
    }

    /// Takes bytes from the server; returns the plaintext they carried (empty
    /// during the handshake). Plaintext is drained after every record batch, so
    /// input of any size works.
    pub fn receive(&mut self, mut ciphertext: &[u8]) -> Result<Vec<u8>, TlsError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let mut plaintext = Vec::new();
        while !ciphertext.is_empty() {
            let read = self.connection.read_tls(&mut ciphertext).map_err(|_| {
                self.fail(TlsError::protocol(format!(
                    "{} sent more TLS data than can be held",
                    self.server
                )))
            })?;
            let state = match self.connection.process_new_packets() {
                Ok(state) => state,
                Err(error) => {
                    let error = TlsError::from_rustls(&error, &self.server);
                    return Err(self.fail(error));
                }
            };
            let waiting = state.plaintext_bytes_to_read();
            if waiting > 0 {
                let start = plaintext.len();
                plaintext.resize(start + waiting, 0);
                self.connection
                    .reader()
                    .read_exact(&mut plaintext[start..])
                    .map_err(|_| {
                        self.fail(TlsError::protocol(format!(
                            "the plaintext from {} was cut short",
                            self.server
                        )))
                    })?;
            }
            if read == 0 {
                break;
            }
        }
        Ok(plaintext)
    }

    /// Bytes to send to the server: handshake messages, alerts, encrypted data.
    pub fn take_outgoing(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while self.connection.wants_write() {
            if self.connection.write_tls(&mut out).is_err() {
                break;
            }
        }
        out
    }

    /// Encrypts plaintext for the server (held until the handshake is done);
    /// collect it with [`Session::take_outgoing`].
    pub fn send(&mut self, plaintext: &[u8]) -> Result<(), TlsError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        self.connection
            .writer()
            .write_all(plaintext)
            .map_err(|_| TlsError::protocol(format!("the TLS session with {} cannot take more data", self.server)))
    }

    /// The failure that ended this session, if one did.
    pub fn failure(&self) -> Option<&TlsError> {
        self.failed.as_ref()
    }

    /// True once the handshake completed (the server is verified).
    pub fn handshake_done(&self) -> bool {
        !self.connection.is_handshaking()
    }

    /// The certificate the server presented, verified or not (None before it was sent).
    pub fn peer_certificate(&self) -> Option<CertificateInfo> {
        self.presented
            .lock()
            .ok()
            .and_then(|slot| slot.as_deref().map(certificate::describe))
    }

    /// `TLS 1.3` or `TLS 1.2`, once negotiated.
    pub fn protocol(&self) -> Option<&'static str> {
        match self.connection.protocol_version()? {
            rustls::ProtocolVersion::TLSv1_3 => Some("TLS 1.3"),
            rustls::ProtocolVersion::TLSv1_2 => Some("TLS 1.2"),
            _ => None,
        }
    }

    /// The negotiated cipher suite, e.g. `TLS_AES_128_GCM_SHA256` (IANA names).
    pub fn cipher_suite(&self) -> Option<&'static str> {
        // Only the suites ring's provider offers, so no table of every suite ships.
        Some(match u16::from(self.connection.negotiated_cipher_suite()?.suite()) {
            0x1301 => "TLS_AES_128_GCM_SHA256",
            0x1302 => "TLS_AES_256_GCM_SHA384",
            0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
            0xc02b => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            0xc02c => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            0xcca9 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            0xc02f => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            0xc030 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            0xcca8 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            _ => "other",
        })
    }

    fn fail(&mut self, error: TlsError) -> TlsError {
        self.failed = Some(error.clone());
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::{ServerConfig, ServerConnection};

    struct Pki {
        ca_pem: String,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        leaf_der: Vec<u8>,
    }

    fn pki(names: &[&str], expired: bool) -> Pki {
        let ca_key = rcgen::KeyPair::generate().expect("ca key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, "Test CA");
        let ca = ca_params.self_signed(&ca_key).expect("ca");
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params = rcgen::CertificateParams::new(names.iter().map(|name| (*name).to_owned()).collect::<Vec<_>>())
            .expect("params");
        params.distinguished_name.push(rcgen::DnType::CommonName, names[0]);
        if expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let leaf = params.signed_by(&key, &issuer).expect("leaf");
        Pki {
            ca_pem: ca.pem(),
            chain: vec![leaf.der().clone()],
            key: PrivateKeyDer::try_from(key.serialize_der()).expect("key der"),
            leaf_der: leaf.der().to_vec(),
        }
    }

    fn server(pki: &Pki) -> ServerConnection {
        server_with_versions(pki, rustls::DEFAULT_VERSIONS)
    }

    fn server_with_versions(pki: &Pki, versions: &[&'static rustls::SupportedProtocolVersion]) -> ServerConnection {
        let config = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(versions)
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(pki.chain.clone(), pki.key.clone_key())
            .expect("server config");
        ServerConnection::new(Arc::new(config)).expect("server")
    }

    /// Runs the handshake between the session and an in-memory rustls server.
    fn handshake(client: &mut Session, server: &mut ServerConnection) -> Result<(), TlsError> {
        for _ in 0..10 {
            let hello = client.take_outgoing();
            if !hello.is_empty() {
                server.read_tls(&mut hello.as_slice()).expect("server reads");
                if server.process_new_packets().is_err() {
                    // The server saw the client's alert; the client's error says why.
                }
            }
            let mut reply = Vec::new();
            while server.wants_write() {
                server.write_tls(&mut reply).expect("server writes");
            }
            if !reply.is_empty() {
                client.receive(&reply)?;
            }
            if client.handshake_done() && !server.is_handshaking() {
                return Ok(());
            }
        }
        panic!("the handshake did not finish");
    }

    fn trusting(pki: &Pki) -> Trust {
        Trust {
            extra_roots_pem: Some(pki.ca_pem.clone()),
            pinned_sha256: Vec::new(),
        }
    }

    #[test]
    fn a_trusted_server_talks_and_large_input_arrives_whole() {
        let pki = pki(&["imap.example.org"], false);
        let mut client = Session::new("imap.example.org", &trusting(&pki)).expect("session");
        let mut server = server(&pki);
        handshake(&mut client, &mut server).expect("handshake");
        assert_eq!(client.protocol(), Some("TLS 1.3"));
        assert!(client.cipher_suite().is_some_and(|suite| suite.starts_with("TLS_")));
        assert_eq!(client.peer_certificate().expect("certificate").issuer, "CN=Test CA");

        client.send(b"a1 LOGIN alice secret\r\n").expect("send");
        let out = client.take_outgoing();
        assert!(!out.windows(6).any(|window| window == b"secret"), "plaintext leaked");
        server.read_tls(&mut out.as_slice()).expect("read");
        server.process_new_packets().expect("process");
        let mut line = vec![0u8; 23];
        server.reader().read_exact(&mut line).expect("plaintext");
        assert_eq!(line, b"a1 LOGIN alice secret\r\n");

        // 1 MB from the server, fed back in one piece: more than rustls buffers at once.
        let big: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        server.set_buffer_limit(None);
        server.writer().write_all(&big).expect("server write");
        let mut wire = Vec::new();
        while server.wants_write() {
            server.write_tls(&mut wire).expect("write_tls");
        }
        assert_eq!(client.receive(&wire).expect("receive"), big);

        // And 1 MB to the server in one send, as a large APPEND would.
        client.send(&big).expect("send a megabyte");
        let wire = client.take_outgoing();
        let mut received = Vec::new();
        let mut rest = wire.as_slice();
        while !rest.is_empty() || received.len() < big.len() {
            if !rest.is_empty() {
                server.read_tls(&mut rest).expect("read_tls");
            }
            let state = server.process_new_packets().expect("process");
            let mut chunk = vec![0u8; state.plaintext_bytes_to_read()];
            server.reader().read_exact(&mut chunk).expect("plaintext");
            received.extend(chunk);
        }
        assert_eq!(received, big);
    }

    #[test]
    fn untrusted_expired_and_misnamed_certificates_are_refused_with_the_certificate_kept() {
        let pki_ok = pki(&["imap.example.org"], false);
        let mut untrusted = Session::new("imap.example.org", &Trust::default()).expect("session");
        let error = handshake(&mut untrusted, &mut server(&pki_ok)).unwrap_err();
        assert_eq!(error.kind, TlsErrorKind::Untrusted, "{error}");
        assert_eq!(
            untrusted.peer_certificate().expect("kept").sha256,
            certificate::fingerprint(&pki_ok.leaf_der)
        );
        assert_eq!(untrusted.receive(b"more").unwrap_err(), error, "failures are final");

        let mut misnamed = Session::new("mail.other.example", &trusting(&pki_ok)).expect("session");
        let error = handshake(&mut misnamed, &mut server(&pki_ok)).unwrap_err();
        assert_eq!(error.kind, TlsErrorKind::WrongName, "{error}");

        let pki_old = pki(&["imap.example.org"], true);
        let mut expired = Session::new("imap.example.org", &trusting(&pki_old)).expect("session");
        let error = handshake(&mut expired, &mut server(&pki_old)).unwrap_err();
        assert_eq!(error.kind, TlsErrorKind::Expired, "{error}");
        assert_eq!(error.kind.code(), "CERT_EXPIRED");
    }

    #[test]
    fn a_server_that_only_speaks_tls_1_2_is_reached_with_chacha_first() {
        let pki = pki(&["imap.example.org"], false);
        let mut client = Session::new("imap.example.org", &trusting(&pki)).expect("session");
        let mut server = server_with_versions(&pki, &[&rustls::version::TLS12]);
        handshake(&mut client, &mut server).expect("handshake");
        assert_eq!(client.protocol(), Some("TLS 1.2"));
        // rustls servers honour the client's order unless told otherwise.
        assert_eq!(
            client.cipher_suite(),
            Some("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256")
        );
    }

    #[test]
    fn a_pinned_certificate_is_accepted_without_a_trusted_root() {
        let pki = pki(&["imap.example.org"], false);
        let pin = certificate::parse_fingerprint(&certificate::fingerprint(&pki.leaf_der)).expect("pin");
        let trust = Trust {
            extra_roots_pem: None,
            pinned_sha256: vec![pin],
        };
        let mut client = Session::new("imap.example.org", &trust).expect("session");
        handshake(&mut client, &mut server(&pki)).expect("pinned handshake");
    }

    #[test]
    fn bad_options_are_explained() {
        assert_eq!(
            Session::new("not a name!", &Trust::default()).unwrap_err().kind,
            TlsErrorKind::Config
        );
        let trust = Trust {
            extra_roots_pem: Some("nothing here".into()),
            pinned_sha256: Vec::new(),
        };
        assert!(
            Session::new("imap.example.org", &trust)
                .unwrap_err()
                .message
                .contains("extra root")
        );
    }
}
