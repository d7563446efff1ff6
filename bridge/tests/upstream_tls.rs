//! The bridge's own TLS to an upstream with a self-signed certificate, the
//! usual home set-up: refused with the fingerprint to pin, then accepted by pin
//! with the name and dates still checked unless the operator says otherwise.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use support::Bridge;
use tokio::io::AsyncWriteExt;
use webmail_testkit::pki::{ServerCert, Validity};

/// An implicit-TLS IMAP server presenting `cert` that greets, then reads until the bridge hangs up.
async fn tls_upstream(cert: &ServerCert) -> SocketAddr {
    let chain = vec![CertificateDer::from_pem_slice(cert.cert_pem.as_bytes()).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(cert.key_pem.as_bytes()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    support::upstream(move |tcp| {
        let acceptor = acceptor.clone();
        async move {
            if let Ok(mut tls) = acceptor.accept(tcp).await {
                let _ = tls.write_all(b"* OK home server ready\r\n").await;
                let _ = tls.flush().await;
                // Hold the session open until the bridge hangs up.
                let _ = tokio::io::copy(&mut tls, &mut tokio::io::sink()).await;
            }
        }
    })
    .await
}

fn upstream_config(addr: SocketAddr, server_name: &str, extra: &str) -> String {
    format!(
        "[[upstream]]\nname = \"home\"\naddress = \"{addr}\"\ntls = \"implicit\"\nserver_name = \"{server_name}\"\n{extra}\n"
    )
}

fn fingerprint(cert: &ServerCert) -> String {
    client_tls::certificate::fingerprint(&CertificateDer::from_pem_slice(cert.cert_pem.as_bytes()).unwrap())
}

/// Opens a session to `home` and returns the greeting, or the close code and reason.
async fn sign_in(config: &str) -> Result<Vec<u8>, (u16, String)> {
    let bridge = Bridge::start(config).await;
    let mut socket = bridge.connect("upstream=home").await.unwrap();
    match support::read_until_or_close(&mut socket, b"ready\r\n").await {
        Ok(()) => Ok(b"* OK home server ready\r\n".to_vec()),
        Err(close) => Err(close.expect("a close frame")),
    }
}

#[tokio::test]
async fn a_self_signed_server_is_refused_with_advice_then_accepted_by_its_pin() {
    let home = ServerCert::self_signed(&["mail.home.arpa"], Validity::CURRENT).unwrap();
    let addr = tls_upstream(&home).await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("home.pem");
    std::fs::write(&ca_file, &home.cert_pem).unwrap();

    // What an operator tries first: the certificate as ca_file. rustls refuses a CA
    // certificate as the server's own; the page is told it can be pinned.
    let with_ca_file = upstream_config(
        addr,
        "mail.home.arpa",
        &format!("ca_file = {:?}", ca_file.display().to_string()),
    );
    let (code, reason) = sign_in(&with_ca_file).await.unwrap_err();
    assert_eq!(code, 4006, "{reason}");
    assert!(reason.contains("self-signed") && reason.contains("pin"), "{reason}");

    let pin = format!("pinned_sha256 = [\"{}\"]", fingerprint(&home));
    assert!(sign_in(&upstream_config(addr, "mail.home.arpa", &pin)).await.is_ok());
    // Still the right server name...
    let (code, reason) = sign_in(&upstream_config(addr, "other.home.arpa", &pin))
        .await
        .unwrap_err();
    assert_eq!(
        (code, reason.as_str()),
        (4006, "TLS failure: certificate does not match the server name")
    );
    // ...and only exactly this certificate.
    let other = ServerCert::self_signed(&["mail.home.arpa"], Validity::CURRENT).unwrap();
    let wrong_pin = format!("pinned_sha256 = [\"{}\"]", fingerprint(&other));
    let (code, _) = sign_in(&upstream_config(addr, "mail.home.arpa", &wrong_pin))
        .await
        .unwrap_err();
    assert_eq!(code, 4006);
}

#[tokio::test]
async fn a_pinned_expired_certificate_needs_the_operators_word() {
    let old = ServerCert::self_signed(&["mail.home.arpa"], Validity::EXPIRED).unwrap();
    let addr = tls_upstream(&old).await;
    let pin = format!("pinned_sha256 = [\"{}\"]", fingerprint(&old));
    let (code, reason) = sign_in(&upstream_config(addr, "mail.home.arpa", &pin))
        .await
        .unwrap_err();
    assert_eq!((code, reason.as_str()), (4006, "TLS failure: certificate expired"));
    let lenient = format!("{pin}\npinned_checks_name_and_dates = false");
    let greeting = sign_in(&upstream_config(addr, "anything.example", &lenient))
        .await
        .unwrap();
    assert_eq!(greeting, b"* OK home server ready\r\n");
}

#[test]
fn the_log_line_carries_the_fingerprint_to_pin() {
    let reason = webmail_bridge::CloseReason::CertificateNotTrusted {
        why: "a self-signed CA certificate used as the server's own",
        fingerprint: "AB:CD".into(),
    };
    assert!(reason.to_string().contains("pinned_sha256 = [\"AB:CD\"]"), "{reason}");
    assert!(
        !reason.reason().contains("AB:CD"),
        "the page is told what to ask for, not the hash"
    );
}
