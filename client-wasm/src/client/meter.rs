//! A connector that counts what passes: bytes each way and the flights of
//! commands between the server's answers (round trips), for tests and
//! benchmarks that hold the client to a number of round trips.

use std::cell::RefCell;
use std::rc::Rc;

use super::error::ClientError;
use super::runtime::{Connector, LocalFuture, Transport};

/// What a [`MeteredConnector`]'s connections carried.
#[derive(Debug, Default)]
pub struct Meter {
    /// In order: `Some(text)` for bytes sent, `None` for bytes received.
    pub log: Vec<Option<String>>,
    /// Bytes sent.
    pub sent: u64,
    /// Bytes received.
    pub received: u64,
}

impl Meter {
    /// Flights of commands after log entry `from`: runs of sends between receives.
    pub fn flights_since(&self, from: usize) -> Vec<String> {
        let mut flights: Vec<String> = Vec::new();
        let mut open = false;
        for entry in &self.log[from..] {
            match entry {
                Some(sent) if open => {
                    if let Some(flight) = flights.last_mut() {
                        flight.push_str(sent);
                    }
                }
                Some(sent) => {
                    flights.push(sent.clone());
                    open = true;
                }
                None => open = false,
            }
        }
        flights
    }
}

/// Wraps a connector; every connection it opens reports to one [`Meter`].
pub struct MeteredConnector {
    inner: Box<dyn Connector>,
    meter: Rc<RefCell<Meter>>,
}

impl MeteredConnector {
    /// The wrapped connector and the meter its connections report to.
    pub fn new(inner: impl Connector + 'static) -> (Self, Rc<RefCell<Meter>>) {
        let meter = Rc::new(RefCell::new(Meter::default()));
        let connector = Self {
            inner: Box::new(inner),
            meter: meter.clone(),
        };
        (connector, meter)
    }
}

impl Connector for MeteredConnector {
    fn connect(&self) -> LocalFuture<'_, Result<Box<dyn Transport>, ClientError>> {
        Box::pin(async move {
            let inner = self.inner.connect().await?;
            Ok(Box::new(Metered {
                inner,
                meter: self.meter.clone(),
            }) as Box<dyn Transport>)
        })
    }
}

struct Metered {
    inner: Box<dyn Transport>,
    meter: Rc<RefCell<Meter>>,
}

impl Transport for Metered {
    fn send(&mut self, bytes: Vec<u8>) -> LocalFuture<'_, Result<(), ClientError>> {
        {
            let mut meter = self.meter.borrow_mut();
            meter.sent += bytes.len() as u64;
            meter.log.push(Some(String::from_utf8_lossy(&bytes).into_owned()));
        }
        self.inner.send(bytes)
    }

    fn recv(&mut self) -> LocalFuture<'_, Result<Option<Vec<u8>>, ClientError>> {
        Box::pin(async move {
            let received = self.inner.recv().await;
            if let Ok(Some(bytes)) = &received {
                let mut meter = self.meter.borrow_mut();
                meter.received += bytes.len() as u64;
                meter.log.push(None);
            }
            received
        })
    }

    fn start_tls(&mut self) -> LocalFuture<'_, Result<(), ClientError>> {
        self.inner.start_tls()
    }

    fn can_start_tls(&self) -> bool {
        self.inner.can_start_tls()
    }

    fn close(&mut self) {
        self.inner.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flights_are_sends_between_receives() {
        let meter = Meter {
            log: vec![
                Some("a1 SELECT\r\n".into()),
                None,
                Some("a2 X\r\n".into()),
                Some("a3 Y\r\n".into()),
                None,
                None,
            ],
            sent: 0,
            received: 0,
        };
        assert_eq!(meter.flights_since(0), ["a1 SELECT\r\n", "a2 X\r\na3 Y\r\n"]);
        assert_eq!(meter.flights_since(2), ["a2 X\r\na3 Y\r\n"]);
    }
}
