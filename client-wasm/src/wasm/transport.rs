//! The WebSocket to the bridge (`page_socket`, shared with the compose
//! module) as the client's transport.

use page_socket::{BridgeSocket, SocketError};
use webmail_wire::close::CloseKind;

use crate::client::{ClientError, Connector, ErrorKind, LocalFuture, Transport};

/// Opens `url?upstream=NAME` WebSockets.
pub(crate) struct WebSocketConnector {
    pub(crate) url: String,
}

/// A socket's end as the API's error.
pub(crate) fn socket_error(error: SocketError) -> ClientError {
    let kind = match error.kind {
        CloseKind::Tls => ErrorKind::TlsFailed,
        CloseKind::Timeout => ErrorKind::Timeout,
        CloseKind::Refused => ErrorKind::BridgeRefused,
        CloseKind::Ended | CloseKind::Lost => ErrorKind::ConnectionLost,
    };
    ClientError::new(kind, error.message)
}

impl Connector for WebSocketConnector {
    fn connect(&self) -> LocalFuture<'_, Result<Box<dyn Transport>, ClientError>> {
        Box::pin(async move {
            let socket = BridgeSocket::open(&self.url).await.map_err(socket_error)?;
            let transport: Box<dyn Transport> = Box::new(SocketTransport(socket));
            Ok(transport)
        })
    }
}

/// The socket behind the `Transport` trait.
struct SocketTransport(BridgeSocket);

impl Transport for SocketTransport {
    fn send(&mut self, bytes: Vec<u8>) -> LocalFuture<'_, Result<(), ClientError>> {
        Box::pin(async move { self.0.send(&bytes, |_| {}).await.map_err(socket_error) })
    }

    fn recv(&mut self) -> LocalFuture<'_, Result<Option<Vec<u8>>, ClientError>> {
        Box::pin(async move { self.0.recv().await.map_err(socket_error) })
    }

    fn close(&mut self) {
        self.0.close();
    }
}
