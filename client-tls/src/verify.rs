//! Server certificate verification: the usual WebPKI checks against the trusted
//! roots, or acceptance of a certificate the user or operator pinned by its
//! SHA-256. Either way the certificate the server presented is recorded, so a
//! refusal can show the person what was refused.

use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{DigitallySignedStruct, Error, RootCertStore, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

/// The last end-entity certificate a server presented.
pub(crate) type Presented = Arc<Mutex<Option<Vec<u8>>>>;

#[derive(Debug)]
pub(crate) struct Verifier {
    webpki: Arc<WebPkiServerVerifier>,
    pinned: Vec<[u8; 32]>,
    presented: Presented,
}

impl Verifier {
    pub(crate) fn new(
        roots: RootCertStore,
        pinned: Vec<[u8; 32]>,
        provider: Arc<CryptoProvider>,
        presented: Presented,
    ) -> Result<Self, Error> {
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|error| Error::General(error.to_string()))?;
        Ok(Self {
            webpki,
            pinned,
            presented,
        })
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        if let Ok(mut slot) = self.presented.lock() {
            *slot = Some(end_entity.to_vec());
        }
        let hash = ring::digest::digest(&ring::digest::SHA256, end_entity);
        if self.pinned.iter().any(|pin| pin.as_slice() == hash.as_ref()) {
            // The person (or the operator) trusts exactly this certificate; the
            // handshake signatures below still prove the server holds its key.
            return Ok(ServerCertVerified::assertion());
        }
        self.webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}
