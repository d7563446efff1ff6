//! Helpers shared by the cross-component tests.
#![allow(dead_code)] // each test binary uses a different subset of these helpers

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use client_wasm::client::native::{Security, TcpConnector, TokioRuntime, tls_config};
use client_wasm::client::{Client, ClientEvent, ClientOptions, SortOrder};
use webmail_testkit::Dovecot;

/// Runs a future on a current-thread runtime inside a `LocalSet` (the client is `!Send`).
pub(crate) fn local<F: Future>(future: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    tokio::task::LocalSet::new().block_on(&runtime, future)
}

/// Options for tests: quick reconnects, IDLE on.
pub(crate) fn options() -> ClientOptions {
    ClientOptions {
        max_backoff_ms: 500,
        reconnect_attempts: 20,
        ..ClientOptions::default()
    }
}

/// A plain connection that upgrades with STARTTLS, trusting the harness CA.
pub(crate) fn starttls_connector(dovecot: &Dovecot) -> TcpConnector {
    let tls = tls_config(Some(&dovecot.ca_pem())).expect("tls config");
    TcpConnector::new(dovecot.imap_addr(), Security::Plain(Some((tls, "localhost".into()))))
}

/// The order the server received the messages in (no round trip: known since SELECT).
pub(crate) fn by_uid() -> SortOrder {
    SortOrder {
        sort: Some("uid".into()),
        reverse: false,
    }
}

/// Connects with STARTTLS and logs in as the first user.
pub(crate) async fn login(dovecot: &Dovecot, options: ClientOptions) -> Client {
    let client = Client::connect(
        Rc::new(starttls_connector(dovecot)),
        Rc::new(TokioRuntime::default()),
        options,
    )
    .await
    .expect("connect");
    let user = dovecot.user(0);
    client.login(&user.username, &user.password).await.expect("login");
    client
}

/// The client's events, recorded as they arrive.
pub(crate) struct Recorded {
    events: Rc<RefCell<Vec<ClientEvent>>>,
    arrived: Rc<tokio::sync::Notify>,
}

impl Recorded {
    /// A copy of the events so far.
    pub(crate) fn snapshot(&self) -> Vec<ClientEvent> {
        self.events.borrow().clone()
    }

    /// Waits until `check` holds on the events (re-checked on every new event), up to `limit`.
    pub(crate) async fn wait_for(&self, limit: Duration, check: impl Fn(&[ClientEvent]) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.arrived.notified();
            if check(&self.events.borrow()) {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return check(&self.events.borrow());
            }
        }
    }
}

/// Starts recording the client's events.
pub(crate) fn record(client: &Client) -> Recorded {
    let events = Rc::new(RefCell::new(Vec::new()));
    let arrived = Rc::new(tokio::sync::Notify::new());
    let (sink, signal) = (events.clone(), arrived.clone());
    client.on_event(move |event| {
        sink.borrow_mut().push(event.clone());
        signal.notify_waiters();
    });
    Recorded { events, arrived }
}
