//! The async client: mailbox operations over the engine, for native code and the browser.
//!
//! One driver task owns the transport and feeds the [`Connection`]; API calls
//! submit commands and await their completion, so calls made concurrently are
//! pipelined by the engine. The driver also turns mailbox changes into
//! [`ClientEvent`]s, keeps the session in IDLE when it is quiet (or polls with
//! NOOP without IDLE), and reconnects with backoff when the transport drops:
//! it logs in again, re-selects, resynchronizes and reports what changed.
//!
//! The client is single-threaded (`Rc`, not `Arc`): in the browser there is one
//! thread, and natively it runs on a tokio `LocalSet`.

mod decode;
mod error;
pub mod meter;
#[cfg(all(feature = "native", not(target_arch = "wasm32")))]
pub mod native;
mod ops;
#[cfg(feature = "bench")]
pub mod replay;
mod resync;
pub mod runtime;
pub mod types;

use std::cell::RefCell;
use std::rc::Rc;

use futures_channel::{mpsc, oneshot};
use futures_util::future::{Either, select};
use futures_util::{FutureExt, StreamExt};

pub use error::{Cause, ClientError, ErrorKind};
pub use ops::{ProgressFn, SearchQuery, SetFlagsMode, SortOrder, SummaryOptions, SummaryRecord, decode_summaries};
pub use runtime::{Connector, LocalFuture, Runtime, Transport};

use crate::codec::types::Data;
use crate::engine::sasl::Mechanism;
use crate::engine::{
    Command, CommandError, CommandId, CommandResult, Config, Connection, ConnectionError, Event, SessionState,
};
use crate::mailbox::MailboxChange;

/// How the client behaves.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Engine limits and timeouts.
    pub engine: Config,
    /// Reconnect (and resynchronize) when the connection drops.
    pub reconnect: bool,
    /// Reconnect attempts before giving up; also how many reconnects in a row
    /// may each last less than `stable_after_ms` (a server that hangs up on
    /// every new session) before the client gives up.
    pub reconnect_attempts: u32,
    /// A session that lasted this long (milliseconds) counts as stable: the
    /// next drop starts the reconnect count and backoff afresh.
    pub stable_after_ms: u64,
    /// Longest wait between reconnect attempts, in milliseconds.
    pub max_backoff_ms: u64,
    /// Sit in IDLE while the selected mailbox is otherwise quiet.
    pub idle: bool,
    /// Without IDLE, poll with NOOP this often (milliseconds).
    pub poll_interval_ms: u64,
    /// Use COMPRESS=DEFLATE when the server offers it.
    pub compress: bool,
    /// Issue STARTTLS when offered and the transport can upgrade (native, direct connections).
    pub starttls: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            engine: Config::default(),
            reconnect: true,
            reconnect_attempts: 8,
            stable_after_ms: 60_000,
            max_backoff_ms: 30_000,
            idle: true,
            poll_interval_ms: 30_000,
            compress: false,
            starttls: true,
        }
    }
}

/// The connection as the page sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ClientState {
    /// Opening the connection.
    Connecting,
    /// Connected and usable.
    Ready,
    /// The connection dropped; reconnecting.
    Reconnecting,
    /// Closed for good (logout, or reconnecting failed).
    Closed,
}

/// Something that happened on the server or to the connection.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", rename_all = "lowercase", rename_all_fields = "camelCase")]
pub enum ClientEvent {
    /// New messages in the selected mailbox.
    Exists {
        /// The mailbox.
        mailbox: String,
        /// Messages now.
        count: u32,
        /// The new messages' UIDs.
        uids: Vec<u32>,
    },
    /// Messages were removed from the selected mailbox.
    Expunge {
        /// The mailbox.
        mailbox: String,
        /// Their UIDs, where known.
        uids: Vec<u32>,
    },
    /// A message's flags changed (by another client, or after a resync).
    Flags {
        /// The mailbox.
        mailbox: String,
        /// The message.
        uid: u32,
        /// All its flags now.
        flags: Vec<String>,
    },
    /// The mailbox list changed (created, renamed, deleted, subscriptions).
    Mailboxes,
    /// The connection state changed.
    State {
        /// The new state.
        state: ClientState,
    },
    /// A server alert the user must see.
    Alert {
        /// The text.
        message: String,
    },
    /// A server response could not be parsed and was skipped; the session goes on.
    BadResponse {
        /// Its length in bytes.
        bytes: usize,
        /// Why it was skipped.
        reason: String,
    },
    /// The selected mailbox's UIDVALIDITY changed: cached UIDs are void.
    UidValidity {
        /// The mailbox.
        mailbox: String,
        /// The new UIDVALIDITY.
        uid_validity: u32,
    },
}

type Listener = Rc<dyn Fn(&ClientEvent)>;
type Reply = oneshot::Sender<Result<CommandResult, CommandError>>;

/// What a reconnect must restore.
#[derive(Debug, Clone, Default)]
struct SessionMemory {
    mechanism: Option<Mechanism>,
    /// The selected mailbox and whether it was opened read-only.
    selected: Option<(String, bool)>,
    /// The UID list, UIDVALIDITY and HIGHESTMODSEQ last seen in the selected mailbox.
    uids: Vec<u32>,
    uid_validity: Option<u32>,
    highest_modseq: Option<u64>,
    /// Set once the user logged out: no reconnect.
    logged_out: bool,
    /// Reconnects in a row whose sessions did not become stable, and when the last one was made.
    unstable_reconnects: u32,
    last_reconnect_at: Option<u64>,
}

struct Inner {
    connection: Connection,
    options: ClientOptions,
    runtime: Rc<dyn Runtime>,
    /// Waiting API calls by command id (a handful at a time: a list is smaller than a map).
    replies: Vec<(CommandId, Reply)>,
    /// Read-only commands that may run again after a reconnect, by id.
    retryable: Vec<(CommandId, Command)>,
    /// Commands lost in a disconnect, waiting for the session to be restored.
    to_retry: Vec<(Command, Reply)>,
    listeners: Vec<Listener>,
    wake: mpsc::UnboundedSender<()>,
    state: ClientState,
    ready_waiters: Vec<oneshot::Sender<Result<(), ClientError>>>,
    memory: SessionMemory,
    /// A resync is running: events from its commands are not news to re-report.
    restoring: bool,
    last_activity: u64,
    /// Whether the current transport can upgrade to TLS (direct native connections).
    transport_can_start_tls: bool,
    /// Why the transport failed, when it said (a TLS failure, a bridge refusal):
    /// reported instead of a generic "connection lost" if the session cannot go on.
    transport_error: Option<ClientError>,
    /// Bytes the transport has taken since the client started (upload progress).
    bytes_sent: u64,
}

/// A connected IMAP client. Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct Client {
    inner: Rc<RefCell<Inner>>,
    /// The handle a reconnect uses to restore the session: it does not wait for
    /// the session to be ready, since making it ready is its job.
    restorer: bool,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("state", &self.inner.borrow().state)
            .finish()
    }
}

impl Client {
    /// Opens a connection and waits for the server's greeting.
    pub async fn connect(
        connector: Rc<dyn Connector>,
        runtime: Rc<dyn Runtime>,
        options: ClientOptions,
    ) -> Result<Client, ClientError> {
        let transport = connector.connect().await?;
        let (wake, wake_rx) = mpsc::unbounded();
        let now = runtime.now();
        let inner = Inner {
            connection: Connection::new(options.engine, now),
            options,
            runtime: runtime.clone(),
            replies: Vec::new(),
            retryable: Vec::new(),
            to_retry: Vec::new(),
            listeners: Vec::new(),
            wake,
            state: ClientState::Connecting,
            ready_waiters: Vec::new(),
            memory: SessionMemory::default(),
            restoring: false,
            last_activity: now,
            transport_can_start_tls: transport.can_start_tls(),
            transport_error: None,
            bytes_sent: 0,
        };
        let client = Client {
            inner: Rc::new(RefCell::new(inner)),
            restorer: false,
        };
        let (greeted_tx, greeted) = oneshot::channel();
        client.inner.borrow_mut().ready_waiters.push(greeted_tx);
        runtime.spawn(Box::pin(drive(client.clone(), transport, wake_rx, connector)));
        match greeted.await {
            Ok(Ok(())) => Ok(client),
            Ok(Err(error)) => Err(error),
            Err(_) => Err(ClientError::connection_lost(
                "the connection closed before the greeting",
            )),
        }
    }

    /// Registers an event listener.
    pub fn on_event(&self, listener: impl Fn(&ClientEvent) + 'static) {
        self.inner.borrow_mut().listeners.push(Rc::new(listener));
    }

    /// The connection state.
    pub fn state(&self) -> ClientState {
        self.inner.borrow().state
    }

    /// The server's capabilities.
    pub fn capabilities(&self) -> Vec<String> {
        self.inner.borrow().connection.capabilities().list().to_vec()
    }

    /// Whether the server announced a capability.
    pub fn has_capability(&self, name: &str) -> bool {
        self.inner.borrow().connection.capabilities().has(name)
    }

    /// Whether an extension was turned on with ENABLE (QRESYNC, CONDSTORE, UTF8=ACCEPT).
    pub fn is_enabled(&self, extension: &str) -> bool {
        self.inner.borrow().connection.is_enabled(extension)
    }

    fn runtime(&self) -> Rc<dyn Runtime> {
        self.inner.borrow().runtime.clone()
    }

    fn emit(&self, event: ClientEvent) {
        let listeners: Vec<Listener> = self.inner.borrow().listeners.clone();
        for listener in listeners {
            listener(&event);
        }
    }

    fn set_state(&self, state: ClientState) {
        let changed = {
            let mut inner = self.inner.borrow_mut();
            let changed = inner.state != state;
            inner.state = state;
            changed
        };
        if changed {
            self.emit(ClientEvent::State { state });
        }
        if matches!(state, ClientState::Ready | ClientState::Closed) {
            let waiters = std::mem::take(&mut self.inner.borrow_mut().ready_waiters);
            for waiter in waiters {
                let result = if state == ClientState::Ready {
                    Ok(())
                } else {
                    Err(ClientError::connection_lost("the connection is closed"))
                };
                let _ = waiter.send(result);
            }
        }
    }

    /// Waits while a reconnect is in progress.
    async fn ready(&self) -> Result<(), ClientError> {
        let waiter = {
            let mut inner = self.inner.borrow_mut();
            match inner.state {
                ClientState::Ready | ClientState::Connecting => return Ok(()),
                ClientState::Closed => return Err(ClientError::connection_lost("the connection is closed")),
                ClientState::Reconnecting => {
                    let (tx, rx) = oneshot::channel();
                    inner.ready_waiters.push(tx);
                    rx
                }
            }
        };
        waiter
            .await
            .unwrap_or_else(|_| Err(ClientError::connection_lost("the connection is closed")))
    }

    fn restorer(&self) -> Client {
        Client {
            inner: self.inner.clone(),
            restorer: true,
        }
    }

    /// Runs a command once the session is usable; errors keep their IMAP meaning.
    async fn command(&self, command: Command) -> Result<CommandResult, CommandError> {
        if !self.restorer {
            if let Err(error) = self.ready().await {
                return Err(CommandError::ConnectionLost(ConnectionError::Closed(
                    error.message().to_owned(),
                )));
            }
        }
        self.submit(command).await
    }

    /// Submits without waiting for readiness (used while restoring a session).
    async fn submit(&self, command: Command) -> Result<CommandResult, CommandError> {
        let (reply, result) = oneshot::channel();
        {
            let mut inner = self.inner.borrow_mut();
            let retry = command.facts().retryable.then(|| command.clone());
            let id = inner.connection.submit(command);
            inner.replies.push((id, reply));
            if let Some(command) = retry {
                inner.retryable.push((id, command));
            }
            let _ = inner.wake.unbounded_send(());
        }
        result.await.unwrap_or_else(|_| {
            Err(CommandError::ConnectionLost(ConnectionError::Closed(
                "the client was dropped".into(),
            )))
        })
    }

    /// Runs a command and maps failures for the API. A refusal without a
    /// response code on a command about a mailbox is checked with LIST, so that
    /// a missing mailbox is reported as one whatever the server's language.
    async fn run(&self, command: Command, mailbox: Option<&str>) -> Result<CommandResult, ClientError> {
        match self.command(command).await {
            Ok(result) => Ok(result),
            Err(error) => Err(self.explain(error, mailbox).await),
        }
    }

    /// Maps a failed command for the API (see [`Client::run`]).
    async fn explain(&self, error: CommandError, mailbox: Option<&str>) -> ClientError {
        let error = ClientError::from_command(error, mailbox);
        let Some(name) = error.may_be_missing_mailbox(mailbox) else {
            return error;
        };
        let list = Command::List {
            reference: String::new(),
            pattern: name.to_owned(),
            extended: false,
            status: Vec::new(),
        };
        match self.command(list).await {
            Ok(listed) if !listed.data.iter().any(|data| matches!(data, Data::List(_))) => {
                error.into_missing_mailbox(name)
            }
            _ => error,
        }
    }

    fn with_connection<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> T {
        f(&mut self.inner.borrow_mut().connection)
    }

    /// Handles the engine's events; returns true when STARTTLS was accepted and
    /// the transport must upgrade before anything else happens.
    fn dispatch(&self) -> bool {
        let mut starttls = false;
        loop {
            let event = self.inner.borrow_mut().connection.poll_event();
            let Some(event) = event else { return starttls };
            match event {
                Event::StartTls => starttls = true,
                Event::Completed { id, result } => self.complete(id, result),
                Event::Mailbox(change) => self.mailbox_change(change),
                Event::Alert(message) => self.emit(ClientEvent::Alert { message }),
                Event::BadResponse { bytes, reason } => self.emit(ClientEvent::BadResponse { bytes, reason }),
                Event::State(SessionState::NotAuthenticated | SessionState::Authenticated)
                    if self.state() == ClientState::Connecting =>
                {
                    self.set_state(ClientState::Ready);
                }
                _ => {}
            }
        }
    }

    fn complete(&self, id: CommandId, result: Result<CommandResult, CommandError>) {
        let mut inner = self.inner.borrow_mut();
        let command = take(&mut inner.retryable, id);
        let Some(reply) = take(&mut inner.replies, id) else {
            return;
        };
        let lost = matches!(result, Err(CommandError::ConnectionLost(_)));
        match command {
            Some(command) if lost && inner.options.reconnect && !inner.memory.logged_out => {
                inner.to_retry.push((command, reply));
            }
            _ => {
                let _ = reply.send(result);
            }
        }
    }

    fn mailbox_change(&self, change: MailboxChange) {
        let mailbox = {
            let inner = self.inner.borrow();
            if inner.restoring {
                // A resync reports its own differences once it is done.
                return;
            }
            inner
                .connection
                .selected()
                .map(|selected| selected.name.clone())
                .unwrap_or_default()
        };
        match change {
            MailboxChange::Exists { count, previous } if count > previous => {
                let client = self.clone();
                self.runtime().spawn(Box::pin(async move {
                    let uids = client.learn_new_uids(previous + 1).await;
                    client.emit(ClientEvent::Exists { mailbox, count, uids });
                }));
            }
            MailboxChange::Expunged { uid, .. } => {
                self.remember_uids();
                self.emit(ClientEvent::Expunge {
                    mailbox,
                    uids: uid.into_iter().collect(),
                });
            }
            MailboxChange::Vanished { uids, .. } => {
                self.remember_uids();
                self.emit(ClientEvent::Expunge { mailbox, uids });
            }
            MailboxChange::Flags {
                uid: Some(uid), flags, ..
            } => self.emit(ClientEvent::Flags { mailbox, uid, flags }),
            MailboxChange::UidValidityChanged { new, .. } => self.emit(ClientEvent::UidValidity {
                mailbox,
                uid_validity: new,
            }),
            _ => {}
        }
    }

    /// Copies the selected mailbox's UID list and counters into the reconnect memory.
    fn remember_uids(&self) {
        let mut inner = self.inner.borrow_mut();
        let Some(selected) = inner.connection.selected() else {
            return;
        };
        let uids: Vec<u32> = selected.uids().collect();
        let (validity, modseq) = (selected.uid_validity, selected.highest_modseq);
        inner.memory.uids = uids;
        inner.memory.uid_validity = validity;
        inner.memory.highest_modseq = modseq;
    }

    /// Flushes the engine's output to the transport.
    async fn flush(&self, transport: &mut Box<dyn Transport>) -> Result<(), ClientError> {
        loop {
            let bytes = self.inner.borrow_mut().connection.poll_transmit();
            match bytes {
                Some(bytes) => {
                    let length = bytes.len() as u64;
                    self.inner.borrow_mut().last_activity = self.runtime().now();
                    transport.send(bytes).await?;
                    self.inner.borrow_mut().bytes_sent += length;
                }
                None => return Ok(()),
            }
        }
    }

    /// The transport failed with `error`: a refusal by the bridge ends the
    /// commands in flight with it (a retry would be refused again); anything
    /// else is a lost connection, and the error is kept for the final report.
    fn transport_failed(&self, error: ClientError) {
        let reason = error.message().to_owned();
        let refused = error.kind() == ErrorKind::BridgeRefused;
        self.inner.borrow_mut().transport_error = Some(error);
        self.with_connection(|connection| {
            if refused {
                connection.handle_refused(&reason);
            } else {
                connection.handle_closed(&reason);
            }
        });
    }

    /// Polls with NOOP when the server has no IDLE and the client is quiet.
    fn maybe_poll(&self, now: u64) -> Option<u64> {
        let mut inner = self.inner.borrow_mut();
        let wants_poll = inner.options.idle
            && inner.connection.state() == SessionState::Selected
            && !inner.connection.capabilities().has("IDLE");
        if !wants_poll {
            return None;
        }
        let due = inner.last_activity + inner.options.poll_interval_ms;
        if now >= due && !inner.connection.is_busy() {
            let _ = inner.connection.submit(Command::Noop);
            inner.last_activity = now;
            return Some(now + inner.options.poll_interval_ms);
        }
        Some(due)
    }
}

/// Removes and returns the entry for `id`.
fn take<T>(entries: &mut Vec<(CommandId, T)>, id: CommandId) -> Option<T> {
    let index = entries.iter().position(|(entry, _)| *entry == id)?;
    Some(entries.swap_remove(index).1)
}

enum Wakeup {
    Input(Result<Option<Vec<u8>>, ClientError>),
    Wake,
    Timer,
}

/// The driver: owns the transport, feeds the engine, reconnects.
async fn drive(
    client: Client,
    mut transport: Box<dyn Transport>,
    mut wake_rx: mpsc::UnboundedReceiver<()>,
    connector: Rc<dyn Connector>,
) {
    let runtime = client.runtime();
    loop {
        if let Err(error) = client.flush(&mut transport).await {
            client.transport_failed(error);
        }
        if client.dispatch() {
            match transport.start_tls().await {
                Ok(()) => client.with_connection(Connection::tls_established),
                Err(error) => client.with_connection(|connection| connection.handle_closed(error.message())),
            }
            continue;
        }
        let failed = client.inner.borrow().connection.error().cloned();
        if let Some(error) = failed {
            transport.close();
            match reconnect(&client, &connector, &error).await {
                Some(new_transport) => {
                    transport = new_transport;
                    continue;
                }
                None => return,
            }
        }
        let now = runtime.now();
        let engine_deadline = client.inner.borrow().connection.poll_timeout();
        let poll_deadline = client.maybe_poll(now);
        let deadline = [engine_deadline, poll_deadline].into_iter().flatten().min();
        if client.inner.borrow().connection.has_output() {
            continue;
        }
        let wakeup = {
            let timer: LocalFuture<'static, ()> = match deadline {
                Some(at) => runtime.sleep(at.saturating_sub(now)),
                None => Box::pin(futures_util::future::pending::<()>()),
            };
            let recv = transport.recv();
            let wake = wake_rx.next();
            match select(recv, select(wake, timer)).await {
                Either::Left((input, _)) => Wakeup::Input(input),
                Either::Right((Either::Left((Some(()), _)), _)) => Wakeup::Wake,
                Either::Right((Either::Left((None, _)), _)) => return,
                Either::Right((Either::Right(((), _)), _)) => Wakeup::Timer,
            }
        };
        let now = runtime.now();
        match wakeup {
            Wakeup::Input(Ok(Some(bytes))) => {
                client.inner.borrow_mut().last_activity = now;
                client.with_connection(|connection| connection.handle_input(&bytes, now));
            }
            Wakeup::Input(Ok(None)) => {
                client.with_connection(|connection| connection.handle_closed("the server closed the connection"))
            }
            Wakeup::Input(Err(error)) => client.transport_failed(error),
            Wakeup::Wake => while let Some(Some(())) = wake_rx.next().now_or_never() {},
            Wakeup::Timer => client.with_connection(|connection| connection.handle_timeout(now)),
        }
    }
}

/// After a fatal error: reconnect with backoff and restore the session, or close.
async fn reconnect(
    client: &Client,
    connector: &Rc<dyn Connector>,
    error: &crate::engine::ConnectionError,
) -> Option<Box<dyn Transport>> {
    client.dispatch();
    let (allowed, attempts, max_backoff, was_connecting) = {
        let inner = client.inner.borrow();
        (
            inner.options.reconnect && !inner.memory.logged_out && inner.state != ClientState::Closed,
            inner.options.reconnect_attempts,
            inner.options.max_backoff_ms,
            inner.state == ClientState::Connecting,
        )
    };
    if !allowed || was_connecting {
        let cause = client.inner.borrow_mut().transport_error.take();
        fail_everything(client, cause.unwrap_or_else(|| ClientError::from_connection(error)));
        return None;
    }
    let runtime = client.runtime();
    // A session that drops soon after each reconnect (the server hangs up on
    // something the client does every time) must not loop for ever: such
    // reconnects count against the same ceiling, and their backoff keeps growing.
    let unstable = {
        let mut inner = client.inner.borrow_mut();
        let now = runtime.now();
        let stable_after = inner.options.stable_after_ms;
        let memory = &mut inner.memory;
        memory.unstable_reconnects = match memory.last_reconnect_at {
            Some(at) if now.saturating_sub(at) < stable_after => memory.unstable_reconnects + 1,
            _ => 0,
        };
        memory.unstable_reconnects
    };
    if unstable >= attempts {
        fail_everything(
            client,
            ClientError::connection_lost(format!(
                "the server keeps closing the session ({unstable} times in a row soon after reconnecting): {error}"
            )),
        );
        return None;
    }
    client.set_state(ClientState::Reconnecting);
    let mut backoff = 250u64.saturating_mul(1 << unstable.min(16)).min(max_backoff);
    for _ in 0..attempts {
        runtime.sleep(backoff).await;
        backoff = (backoff * 2).min(max_backoff);
        let Ok(transport) = connector.connect().await else {
            continue;
        };
        {
            let mut inner = client.inner.borrow_mut();
            let now = inner.runtime.now();
            inner.connection = Connection::new(inner.options.engine, now);
            inner.last_activity = now;
            inner.transport_can_start_tls = transport.can_start_tls();
            inner.transport_error = None;
            inner.memory.last_reconnect_at = Some(now);
        }
        let restorer = client.clone();
        runtime.spawn(Box::pin(async move { resync::restore(restorer).await }));
        return Some(transport);
    }
    fail_everything(
        client,
        ClientError::connection_lost(format!("reconnecting failed: {error}")),
    );
    None
}

fn fail_everything(client: &Client, error: ClientError) {
    let (replies, retries) = {
        let mut inner = client.inner.borrow_mut();
        inner.retryable.clear();
        (std::mem::take(&mut inner.replies), std::mem::take(&mut inner.to_retry))
    };
    let reason = error.message().to_owned();
    let replies = replies.into_iter().map(|(_, reply)| reply);
    for reply in replies.chain(retries.into_iter().map(|(_, reply)| reply)) {
        let _ = reply.send(Err(CommandError::ConnectionLost(ConnectionError::Closed(
            reason.clone(),
        ))));
    }
    let waiters = std::mem::take(&mut client.inner.borrow_mut().ready_waiters);
    for waiter in waiters {
        let _ = waiter.send(Err(error.clone()));
    }
    client.set_state(ClientState::Closed);
}
