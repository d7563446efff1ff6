//! When the transport fails with a reason (the bridge closing a session because
//! TLS to the server failed, or refusing it), the caller gets that error, not a
//! generic "connection lost": the sign-in page tells a TLS failure from an
//! unreachable server by it. The failing transport stands in for the bridge's
//! close frame, which a real server cannot be asked to send.

mod support;

use client_wasm::client::ErrorKind;
use std::rc::Rc;

use client_wasm::client::native::TokioRuntime;
use client_wasm::client::{Client, ClientError, Connector, LocalFuture, Transport};
use support::{local, options};

/// A transport whose first read fails with the given error, as the WebSocket
/// transport does when the bridge closes with code 4006.
struct Failing(ClientError);

impl Transport for Failing {
    fn send(&mut self, _bytes: Vec<u8>) -> LocalFuture<'_, Result<(), ClientError>> {
        Box::pin(async { Ok(()) })
    }

    fn recv(&mut self) -> LocalFuture<'_, Result<Option<Vec<u8>>, ClientError>> {
        let error = self.0.clone();
        Box::pin(async move { Err(error) })
    }

    fn close(&mut self) {}
}

struct FailingConnector(ClientError);

impl Connector for FailingConnector {
    fn connect(&self) -> LocalFuture<'_, Result<Box<dyn Transport>, ClientError>> {
        let error = self.0.clone();
        Box::pin(async move { Ok(Box::new(Failing(error)) as Box<dyn Transport>) })
    }
}

fn connect_error(cause: ClientError) -> ClientError {
    local(async move {
        let result = Client::connect(
            Rc::new(FailingConnector(cause)),
            Rc::new(TokioRuntime::default()),
            options(),
        )
        .await;
        match result {
            Ok(_) => panic!("connecting through a failing transport succeeded"),
            Err(error) => error,
        }
    })
}

#[test]
fn a_tls_failure_before_the_greeting_is_reported_as_one() {
    let error = connect_error(ClientError::new(
        ErrorKind::TlsFailed,
        "certificate not trusted (unknown issuer)",
    ));
    assert_eq!(error.code(), "TLS_FAILED");
    assert!(error.message().contains("unknown issuer"), "{}", error.message());
}

#[test]
fn a_bridge_refusal_before_the_greeting_is_reported_as_one() {
    let error = connect_error(ClientError::new(ErrorKind::BridgeRefused, "unknown upstream `nowhere`"));
    assert_eq!(error.code(), "BRIDGE_REFUSED");
}
