//! rustls configurations: the client side towards upstreams and the listener's server side.

use std::io;
use std::path::Path;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};

use crate::close::CloseReason;

/// A TLS setup problem found at start-up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsSetupError {
    /// A PEM file could not be read or held nothing usable.
    #[error("{path}: {message}")]
    Pem {
        /// The file.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// rustls refused the certificate/key pair.
    #[error("listener certificate and key do not work together: {0}")]
    Rustls(#[from] rustls::Error),
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let pem_error = |message: String| TlsSetupError::Pem {
        path: path.display().to_string(),
        message,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|error| pem_error(format!("cannot read certificates: {error}")))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| pem_error(format!("invalid PEM: {error}")))?;
    if certs.is_empty() {
        return Err(pem_error("no certificate in the file".into()));
    }
    Ok(certs)
}

/// How the bridge checks one upstream's certificate.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct UpstreamTrust<'a> {
    /// An extra trust anchor (PEM) besides the Mozilla roots.
    pub extra_ca: Option<&'a Path>,
    /// Certificates accepted by SHA-256 fingerprint (`AB:CD:...`), e.g. a self-signed one.
    pub pinned_sha256: &'a [String],
    /// Whether a pinned certificate must still name the server and be within its dates.
    pub pinned_checks_name_and_dates: bool,
}

/// A client configuration for an upstream: the Mozilla roots plus the extra CA,
/// and the pinned certificates.
pub(crate) fn client_config(trust: UpstreamTrust<'_>) -> Result<Arc<ClientConfig>, TlsSetupError> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = trust.extra_ca {
        for cert in read_certs(path)? {
            roots.add(cert).map_err(|error| TlsSetupError::Pem {
                path: path.display().to_string(),
                message: format!("not a usable CA certificate: {error}"),
            })?;
        }
    }
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .map_err(|error| rustls::Error::General(error.to_string()))?;
    let verifier = UpstreamVerifier {
        webpki,
        // The configuration was validated: every pin parses.
        pinned: trust
            .pinned_sha256
            .iter()
            .filter_map(|pin| client_tls::certificate::parse_fingerprint(pin))
            .collect(),
        pinned_checks_name_and_dates: trust.pinned_checks_name_and_dates,
    };
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The WebPKI checks, or a pinned certificate accepted as exactly that one.
#[derive(Debug)]
struct UpstreamVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    pinned: Vec<[u8; 32]>,
    pinned_checks_name_and_dates: bool,
}

impl ServerCertVerifier for UpstreamVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let hash = ring::digest::digest(&ring::digest::SHA256, end_entity);
        if self.pinned.iter().any(|pin| pin.as_slice() == hash.as_ref()) {
            // Exactly this certificate is trusted, CA flag or not; the handshake
            // signatures still prove the server holds its key.
            if self.pinned_checks_name_and_dates {
                check_name_and_dates(end_entity, server_name, now)?;
            }
            return Ok(ServerCertVerified::assertion());
        }
        self.webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|error| with_pinning_advice(error, end_entity))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// The name and date checks WebPKI would make, for a pinned certificate.
fn check_name_and_dates(
    end_entity: &CertificateDer<'_>,
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> Result<(), rustls::Error> {
    let certificate = webpki::EndEntityCert::try_from(end_entity).map_err(|_| CertificateError::BadEncoding)?;
    certificate
        .verify_is_valid_for_subject_name(server_name)
        .map_err(|_| CertificateError::NotValidForName)?;
    let (not_before, not_after) = client_tls::certificate::validity(end_entity).ok_or(CertificateError::BadEncoding)?;
    let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    if now < not_before {
        return Err(CertificateError::NotValidYet.into());
    }
    if now > not_after {
        return Err(CertificateError::Expired.into());
    }
    Ok(())
}

/// A certificate no configured root vouches for, with the fingerprint that
/// would trust exactly it: what the operator needs to act.
#[derive(Debug, thiserror::Error)]
#[error("{why}")]
struct Untrusted {
    why: &'static str,
    fingerprint: String,
}

/// Wraps the failures that pinning fixes (unknown issuer, a self-signed CA
/// certificate used as the server's own) so the advice can carry the fingerprint.
fn with_pinning_advice(error: rustls::Error, end_entity: &CertificateDer<'_>) -> rustls::Error {
    let why = match &error {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => "unknown issuer",
        rustls::Error::InvalidCertificate(CertificateError::Other(other))
            if matches!(other.0.downcast_ref(), Some(webpki::Error::CaUsedAsEndEntity)) =>
        {
            "a self-signed CA certificate used as the server's own"
        }
        _ => return error,
    };
    let untrusted = Untrusted {
        why,
        fingerprint: client_tls::certificate::fingerprint(end_entity),
    };
    CertificateError::Other(rustls::OtherError(Arc::new(untrusted))).into()
}

/// The listener's server configuration from PEM files (HTTP/1.1 only: WebSocket needs it).
pub(crate) fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsSetupError> {
    let chain = read_certs(cert)?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|error| TlsSetupError::Pem {
        path: key.display().to_string(),
        message: format!("no usable private key: {error}"),
    })?;
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Describes a failed handshake as a close reason, e.g. "certificate expired".
pub(crate) fn handshake_failure(error: &io::Error) -> CloseReason {
    let Some(tls) = error.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) else {
        return CloseReason::TlsFailure(error.to_string());
    };
    let text = match tls {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::Other(other) if other.0.downcast_ref::<Untrusted>().is_some() => {
                let untrusted = other.0.downcast_ref::<Untrusted>().expect("checked above");
                return CloseReason::CertificateNotTrusted {
                    why: untrusted.why,
                    fingerprint: untrusted.fingerprint.clone(),
                };
            }
            CertificateError::UnknownIssuer => "certificate not trusted (unknown issuer)".into(),
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => "certificate expired".into(),
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "certificate not yet valid".into()
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                "certificate does not match the server name".into()
            }
            CertificateError::BadSignature => "certificate has a bad signature".into(),
            CertificateError::Revoked => "certificate revoked".into(),
            other => format!("invalid certificate: {other:?}"),
        },
        rustls::Error::AlertReceived(alert) => format!("server sent alert {alert:?}"),
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            "the server does not speak TLS on this port".into()
        }
        other => other.to_string(),
    };
    CloseReason::TlsFailure(text)
}
