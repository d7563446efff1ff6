//! The sans-IO IMAP client engine.
//!
//! [`Connection`] does no I/O and reads no clock. The caller loops:
//!
//! 1. [`Connection::handle_input`] with bytes read from the transport;
//! 2. [`Connection::poll_transmit`] until `None`, writing what it returns;
//! 3. [`Connection::poll_event`] until `None`, acting on completions and changes;
//! 4. [`Connection::poll_timeout`] to know when to call [`Connection::handle_timeout`].
//!
//! Commands go in with [`Connection::submit`], which returns the [`CommandId`]
//! that the matching [`Event::Completed`] carries. Commands are pipelined where
//! their responses cannot be confused and serialized where they can (see
//! [`Command::is_barrier`] and [`Command::conflicts_with`]). Time is milliseconds
//! on any monotonic clock the caller chooses. After a fatal [`ConnectionError`]
//! every call reports the same error.

mod capabilities;
mod command;
mod compress;
mod event;
pub use webmail_wire::sasl;

use std::collections::VecDeque;

pub use capabilities::Capabilities;
pub use command::{Command, Facts, FetchItem, Qresync, SortKey, StoreMode, ThreadAlgorithm};
pub use event::{CommandError, CommandId, CommandResult, ConnectionError, Event};

use crate::codec::encode::{EncodeOptions, Piece};
use crate::codec::framer::{DEFAULT_MAX_RESPONSE, Frame, Framer};
use crate::codec::types::{Code, Data, Response, Status, StatusKind};
use crate::codec::{FetchDetail, parse_response, parse_response_with};
use crate::mailbox::SelectedMailbox;
use compress::Deflate;

/// Milliseconds on the caller's monotonic clock.
pub type Millis = u64;

/// The IMAP session state (RFC 3501 section 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Waiting for the server's greeting.
    Greeting,
    /// Connected, not logged in.
    NotAuthenticated,
    /// Logged in, no mailbox selected.
    Authenticated,
    /// A mailbox is selected.
    Selected,
    /// LOGOUT completed or the server said BYE.
    Logout,
}

/// Limits and timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Largest response held (and most bytes one compressed read may inflate
    /// to); more fails the session with [`ConnectionError::TooLarge`].
    pub max_response_bytes: usize,
    /// Most untagged answers one command may collect (a LIST of a million
    /// mailboxes); more fails the session with [`ConnectionError::TooLarge`].
    pub max_answers_per_command: usize,
    /// A response that makes no progress this long is a stalled stream (a literal that never completes).
    pub stall_timeout: Millis,
    /// A command with no byte from the server for this long means the server is gone.
    pub command_timeout: Millis,
    /// IDLE is re-issued after this long (RFC 2177: servers may drop it after 30 minutes).
    pub idle_refresh: Millis,
    /// IDLE starts once the connection has been quiet this long, so a burst of
    /// commands (a page opening a folder) does not pay an IDLE/DONE round trip
    /// between each of them.
    pub idle_delay: Millis,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_response_bytes: DEFAULT_MAX_RESPONSE,
            // Several times the largest folder a single FETCH covers in the UI.
            max_answers_per_command: 250_000,
            stall_timeout: 60_000,
            command_timeout: 120_000,
            idle_refresh: 28 * 60_000,
            idle_delay: 300,
        }
    }
}

#[derive(Debug)]
struct Queued {
    id: CommandId,
    command: Command,
    /// Sent by the engine itself (CAPABILITY after login, IDLE): no completion event.
    internal: bool,
}

#[derive(Debug)]
struct InFlight {
    id: CommandId,
    command: Command,
    internal: bool,
    tag: String,
    data: Vec<Data>,
    untagged: Vec<Status>,
    /// Pieces still to send, each after a continuation request.
    pending: VecDeque<Piece>,
    /// SASL messages sent so far.
    sasl_step: usize,
}

/// Where an IDLE stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Idle {
    Off,
    /// IDLE sent, waiting for `+`.
    Starting,
    /// The server is pushing changes since this time.
    Active(Millis),
    /// DONE sent, waiting for the tagged OK.
    Ending,
}

/// One IMAP connection's protocol state. See the module docs for the call loop.
#[derive(Debug)]
pub struct Connection {
    config: Config,
    state: SessionState,
    capabilities: Capabilities,
    enabled: Vec<String>,
    options: EncodeOptions,
    framer: Framer,
    deflate: Option<Deflate>,
    queue: VecDeque<Queued>,
    in_flight: Vec<InFlight>,
    /// The in-flight command whose next piece waits for `+`, by tag.
    continuation_owner: Option<String>,
    output: Vec<u8>,
    events: VecDeque<Event>,
    selected: Option<SelectedMailbox>,
    want_idle: bool,
    idle: Idle,
    /// STARTTLS accepted: nothing is sent until the transport is upgraded.
    awaiting_tls: bool,
    next_id: u64,
    next_tag: u64,
    last_input: Millis,
    last_output: Millis,
    now: Millis,
    bye: Option<String>,
    error: Option<ConnectionError>,
}

impl Connection {
    /// A connection whose transport just opened at time `now`.
    pub fn new(config: Config, now: Millis) -> Self {
        Self {
            config,
            state: SessionState::Greeting,
            capabilities: Capabilities::default(),
            enabled: Vec::new(),
            options: EncodeOptions::default(),
            framer: Framer::new(config.max_response_bytes),
            deflate: None,
            queue: VecDeque::new(),
            in_flight: Vec::new(),
            continuation_owner: None,
            output: Vec::new(),
            events: VecDeque::new(),
            selected: None,
            want_idle: false,
            idle: Idle::Off,
            awaiting_tls: false,
            next_id: 1,
            next_tag: 1,
            last_input: now,
            last_output: now,
            now,
            bye: None,
            error: None,
        }
    }

    /// The session state.
    pub fn state(&self) -> SessionState {
        self.state
    }

    /// The server's capabilities (empty until known).
    pub fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// Extensions turned on with ENABLE.
    pub fn is_enabled(&self, extension: &str) -> bool {
        self.enabled.iter().any(|name| name.eq_ignore_ascii_case(extension))
    }

    /// The selected mailbox's state.
    pub fn selected(&self) -> Option<&SelectedMailbox> {
        self.selected.as_ref()
    }

    /// The selected mailbox, for installing a UID list the caller fetched.
    pub fn selected_mut(&mut self) -> Option<&mut SelectedMailbox> {
        self.selected.as_mut()
    }

    /// The fatal error, if the connection has failed.
    pub fn error(&self) -> Option<&ConnectionError> {
        self.error.as_ref()
    }

    /// True while commands are queued or running.
    pub fn is_busy(&self) -> bool {
        !self.queue.is_empty() || self.in_flight.iter().any(|flight| !flight.internal)
    }

    /// Queues a command; its completion arrives as [`Event::Completed`] with the returned id.
    pub fn submit(&mut self, command: Command) -> CommandId {
        let id = self.allocate_id();
        if let Some(error) = &self.error {
            self.events.push_back(Event::Completed {
                id,
                result: Err(CommandError::ConnectionLost(error.clone())),
            });
            return id;
        }
        self.queue.push_back(Queued {
            id,
            command,
            internal: false,
        });
        self.pump();
        id
    }

    /// Asks the engine to sit in IDLE whenever nothing else runs (if the server has IDLE).
    pub fn set_idle(&mut self, enabled: bool) {
        self.want_idle = enabled;
        if !enabled && matches!(self.idle, Idle::Active(_)) {
            self.end_idle();
        }
        self.pump();
    }

    /// Whether IDLE is active now.
    pub fn is_idling(&self) -> bool {
        matches!(self.idle, Idle::Active(_))
    }

    /// Bytes received from the transport at time `now`.
    pub fn handle_input(&mut self, bytes: &[u8], now: Millis) {
        self.now = now;
        if self.error.is_some() || bytes.is_empty() {
            return;
        }
        self.last_input = now;
        match &mut self.deflate {
            Some(_) => {
                if !self.inflate_into_framer(bytes) {
                    return;
                }
            }
            None => self.framer.push(bytes),
        }
        self.process_frames();
        self.pump();
    }

    /// The transport closed (or failed) with `reason`.
    pub fn handle_closed(&mut self, reason: &str) {
        let error = match self.bye.take() {
            Some(text) if self.state != SessionState::Logout => ConnectionError::Bye(text),
            _ => ConnectionError::Closed(reason.to_owned()),
        };
        if self.state == SessionState::Logout && self.error.is_none() {
            // A clean logout: anything still running is lost, but that is not a failure.
            let logged_out = ConnectionError::Closed("logged out".into());
            self.abort_all(&logged_out);
            self.error = Some(logged_out);
            return;
        }
        self.fail(error);
    }

    /// The transport was closed by something on the way that refused what was
    /// sent (the bridge's message or byte limits): the commands in flight fail
    /// with [`ConnectionError::Refused`] instead of being lost for a retry.
    pub fn handle_refused(&mut self, reason: &str) {
        self.fail(ConnectionError::Refused(reason.to_owned()));
    }

    /// The transport was upgraded to TLS after [`Event::StartTls`].
    pub fn tls_established(&mut self) {
        if !self.awaiting_tls {
            return;
        }
        self.awaiting_tls = false;
        // RFC 3501: capabilities from before the upgrade must be forgotten.
        self.capabilities = Capabilities::default();
        self.queue_internal(Command::Capability);
        self.pump();
    }

    /// Called at or after [`Connection::poll_timeout`].
    pub fn handle_timeout(&mut self, now: Millis) {
        self.now = now;
        if self.error.is_some() {
            return;
        }
        if self.framer.in_progress() && now.saturating_sub(self.last_input) >= self.config.stall_timeout {
            self.fail(ConnectionError::Stalled);
            return;
        }
        if self.awaits_answer()
            && now.saturating_sub(self.last_input.max(self.last_output)) >= self.config.command_timeout
        {
            self.fail(ConnectionError::Timeout);
            return;
        }
        if let Idle::Active(since) = self.idle {
            if now.saturating_sub(since) >= self.config.idle_refresh {
                self.end_idle();
            }
        }
        self.pump();
    }

    /// When [`Connection::handle_timeout`] should next be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Millis> {
        if self.error.is_some() {
            return None;
        }
        let mut deadline: Option<Millis> = None;
        let mut consider = |at: Millis| deadline = Some(deadline.map_or(at, |current| current.min(at)));
        if self.framer.in_progress() {
            consider(self.last_input + self.config.stall_timeout);
        }
        if self.awaits_answer() {
            consider(self.last_input.max(self.last_output) + self.config.command_timeout);
        }
        if let Idle::Active(since) = self.idle {
            consider(since + self.config.idle_refresh);
        }
        if self.may_idle() {
            consider(self.last_input.max(self.last_output) + self.config.idle_delay);
        }
        deadline
    }

    /// Bytes to write to the transport, if any.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        if self.output.is_empty() {
            return None;
        }
        let plain = std::mem::take(&mut self.output);
        match &mut self.deflate {
            Some(deflate) => {
                let mut compressed = Vec::with_capacity(plain.len() / 2 + 64);
                deflate.deflate(&plain, &mut compressed);
                Some(compressed)
            }
            None => Some(plain),
        }
    }

    /// Whether [`Connection::poll_transmit`] has bytes.
    pub fn has_output(&self) -> bool {
        !self.output.is_empty()
    }

    /// The next event, if any.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Whether the server owes an answer (IDLE, once accepted, may be silent for minutes).
    fn awaits_answer(&self) -> bool {
        self.state == SessionState::Greeting
            || matches!(self.idle, Idle::Starting | Idle::Ending)
            || self
                .in_flight
                .iter()
                .any(|flight| !matches!(flight.command, Command::Idle))
    }

    fn allocate_id(&mut self) -> CommandId {
        let id = CommandId(self.next_id);
        self.next_id += 1;
        id
    }

    /// Queues a command of the engine's own. CAPABILITY goes first: what runs after
    /// a login or STARTTLS must see the new capabilities (LITERAL+, UTF8=ACCEPT...).
    fn queue_internal(&mut self, command: Command) {
        let id = self.allocate_id();
        let queued = Queued {
            id,
            command,
            internal: true,
        };
        if matches!(queued.command, Command::Capability) {
            self.queue.push_front(queued);
        } else {
            self.queue.push_back(queued);
        }
    }

    /// Inflates compressed input into the framer; false (and the session
    /// failed) when it is corrupt or inflates past the response limit.
    fn inflate_into_framer(&mut self, bytes: &[u8]) -> bool {
        let Some(deflate) = &mut self.deflate else {
            return false;
        };
        let limit = self.config.max_response_bytes;
        let mut plain = Vec::with_capacity(bytes.len() * 4);
        match deflate.inflate(bytes, &mut plain, limit) {
            Ok(()) => {
                self.framer.push(&plain);
                true
            }
            Err(compress::InflateError::TooLarge) => {
                self.fail(ConnectionError::TooLarge(format!(
                    "{} compressed bytes that inflate past {limit} bytes",
                    bytes.len()
                )));
                false
            }
            Err(compress::InflateError::Corrupt(why)) => {
                self.fail(ConnectionError::Compression(why));
                false
            }
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        self.output.extend_from_slice(bytes);
        self.last_output = self.now;
    }

    fn fail(&mut self, error: ConnectionError) {
        if self.error.is_some() {
            return;
        }
        // A BYE or an oversized answer ends the session over what the server had
        // received: those commands are not sent again. What was still queued never
        // reached it, and may run after a reconnect like any lost command.
        let over_in_flight = matches!(
            error,
            ConnectionError::Bye(_) | ConnectionError::TooLarge(_) | ConnectionError::Refused(_)
        );
        self.error = Some(error.clone());
        let flights = std::mem::take(&mut self.in_flight);
        for flight in flights.into_iter().filter(|flight| !flight.internal) {
            let result = if over_in_flight {
                CommandError::Aborted(error.clone())
            } else {
                CommandError::ConnectionLost(error.clone())
            };
            self.events.push_back(Event::Completed {
                id: flight.id,
                result: Err(result),
            });
        }
        self.abort_all(&error);
    }

    fn abort_all(&mut self, error: &ConnectionError) {
        let flights = std::mem::take(&mut self.in_flight);
        let queued = std::mem::take(&mut self.queue);
        for (id, internal) in flights
            .into_iter()
            .map(|flight| (flight.id, flight.internal))
            .chain(queued.into_iter().map(|queued| (queued.id, queued.internal)))
        {
            if !internal {
                self.events.push_back(Event::Completed {
                    id,
                    result: Err(CommandError::ConnectionLost(error.clone())),
                });
            }
        }
        self.continuation_owner = None;
        self.idle = Idle::Off;
        self.output.clear();
    }

    fn set_state(&mut self, state: SessionState) {
        if self.state != state {
            self.state = state;
            self.events.push_back(Event::State(state));
        }
    }

    fn set_capabilities(&mut self, list: Vec<String>) {
        self.capabilities = Capabilities::new(list.clone());
        self.options.literal_plus = self.capabilities.has("LITERAL+");
        self.options.literal_minus = self.capabilities.has("LITERAL-");
        self.options.binary = self.capabilities.has("BINARY");
        self.events.push_back(Event::Capabilities(list));
    }

    fn end_idle(&mut self) {
        if let Idle::Active(_) = self.idle {
            self.write(b"DONE\r\n");
            self.idle = Idle::Ending;
        }
    }

    /// Sends what can be sent now, in submission order.
    fn pump(&mut self) {
        if self.error.is_some() || self.awaiting_tls || self.continuation_owner.is_some() {
            return;
        }
        if self.state == SessionState::Greeting {
            return;
        }
        if !self.queue.is_empty() && matches!(self.idle, Idle::Active(_)) {
            self.end_idle();
            return;
        }
        while let Some(next) = self.queue.front() {
            let blocked = if next.command.is_barrier() {
                !self.in_flight.is_empty()
            } else {
                self.in_flight
                    .iter()
                    .any(|flight| flight.command.is_barrier() || flight.command.conflicts_with(&next.command))
            };
            if blocked {
                return;
            }
            let Some(queued) = self.queue.pop_front() else { return };
            if let Some(missing) = self.missing_capability(&queued.command) {
                self.complete_local(queued, Err(CommandError::Unsupported(missing)));
                continue;
            }
            let tag = format!("W{}", self.next_tag);
            self.next_tag += 1;
            let sasl_ir = self.capabilities.has("SASL-IR");
            let pieces = match queued.command.encode(&tag, self.options, sasl_ir) {
                Ok(pieces) => pieces,
                Err(error) => {
                    self.complete_local(queued, Err(CommandError::Encode(error)));
                    continue;
                }
            };
            self.start(queued, tag, pieces, sasl_ir);
            if self.continuation_owner.is_some() || self.in_flight.last().is_some_and(|f| f.command.is_barrier()) {
                return;
            }
        }
        if self.may_idle() && self.now.saturating_sub(self.last_input.max(self.last_output)) >= self.config.idle_delay {
            self.queue_internal(Command::Idle);
            self.idle = Idle::Starting;
            self.pump();
        }
    }

    /// IDLE is wanted, possible, and nothing else is going on.
    fn may_idle(&self) -> bool {
        self.want_idle
            && self.in_flight.is_empty()
            && self.queue.is_empty()
            && self.idle == Idle::Off
            && matches!(self.state, SessionState::Selected | SessionState::Authenticated)
            && self.capabilities.has("IDLE")
    }

    fn missing_capability(&self, command: &Command) -> Option<&'static str> {
        command
            .facts()
            .needs
            .filter(|capability| !self.capabilities.has(capability))
    }

    fn complete_local(&mut self, queued: Queued, result: Result<CommandResult, CommandError>) {
        if !queued.internal {
            self.events.push_back(Event::Completed { id: queued.id, result });
        }
    }

    fn start(&mut self, queued: Queued, tag: String, pieces: Vec<Piece>, sasl_ir: bool) {
        let mut pending: VecDeque<Piece> = pieces.into();
        let first = pending.pop_front();
        let waits = first.as_ref().is_some_and(|piece| piece.wait)
            || matches!(queued.command, Command::Idle)
            || matches!(&queued.command, Command::Authenticate(_));
        if let Some(first) = first {
            self.write(&first.bytes);
        }
        if let Command::Select {
            mailbox,
            read_only,
            qresync,
            ..
        } = &queued.command
        {
            let known_validity = qresync.as_ref().map(|q| q.uid_validity).or_else(|| {
                self.selected
                    .as_ref()
                    .filter(|s| s.name == *mailbox)
                    .and_then(|s| s.uid_validity)
            });
            self.selected = Some(SelectedMailbox::new(mailbox, *read_only, known_validity));
        }
        let sasl_step = match &queued.command {
            Command::Authenticate(mechanism) if sasl_ir && mechanism.has_initial_response() => 1,
            _ => 0,
        };
        if waits {
            self.continuation_owner = Some(tag.clone());
        }
        self.in_flight.push(InFlight {
            id: queued.id,
            command: queued.command,
            internal: queued.internal,
            tag,
            data: Vec::new(),
            untagged: Vec::new(),
            pending,
            sasl_step,
        });
    }

    fn process_frames(&mut self) {
        while let Some(frame) = self.framer.next_frame() {
            match frame {
                Frame::Oversized { bytes } => self.fail(ConnectionError::TooLarge(format!(
                    "a response of at least {bytes} bytes (the limit is {})",
                    self.config.max_response_bytes
                ))),
                Frame::Response(range) => {
                    let length = range.len();
                    // While a cache fills, FETCH responses are kept whole and read lightly.
                    let filling = self.in_flight.iter().any(|flight| flight.command.keeps_raw());
                    let detail = if filling {
                        FetchDetail::Deferred
                    } else {
                        FetchDetail::Full
                    };
                    let parsed = parse_response_with(&self.framer.buffer()[range.clone()], detail);
                    match parsed {
                        Ok(response) => self.handle_response(response),
                        Err(_) if self.state == SessionState::Greeting => {
                            let line = printable(&self.framer.buffer()[range]);
                            self.fail(ConnectionError::NotImap(line));
                        }
                        Err(error) => self.events.push_back(Event::BadResponse {
                            bytes: length,
                            reason: error.to_string(),
                        }),
                    }
                }
            }
            if self.error.is_some() {
                return;
            }
            if self.awaiting_tls {
                // Anything after the STARTTLS OK arrived in plaintext before the handshake.
                if self.framer.pending() > 0 {
                    self.fail(ConnectionError::StartTlsInjection);
                }
                return;
            }
        }
    }

    fn handle_response(&mut self, response: Response) {
        match response {
            Response::Continue { text, .. } => self.handle_continue(&text),
            Response::Status(status) if status.tag.is_some() => self.handle_tagged(status),
            Response::Status(status) => self.handle_untagged_status(status),
            Response::Data(data) => self.handle_data(data),
        }
    }

    fn handle_continue(&mut self, text: &[u8]) {
        let owner = self.continuation_owner.clone();
        let Some(flight) = owner.and_then(|tag| self.in_flight.iter_mut().find(|flight| flight.tag == tag)) else {
            self.continuation_owner = None;
            self.events.push_back(Event::BadResponse {
                bytes: text.len() + 2,
                reason: "continuation request with no command waiting".into(),
            });
            return;
        };
        let reply = match &flight.command {
            Command::Idle => None,
            Command::Authenticate(mechanism) => {
                let mut line = mechanism.respond(flight.sasl_step).into_bytes();
                flight.sasl_step += 1;
                line.extend_from_slice(b"\r\n");
                // The mechanism waits for more challenges until the tagged result.
                Some((line, true))
            }
            _ => flight.pending.pop_front().map(|piece| (piece.bytes, piece.wait)),
        };
        match reply {
            Some((bytes, still_waiting)) => {
                self.write(&bytes);
                if !still_waiting {
                    self.continuation_owner = None;
                }
            }
            None if matches!(flight.command, Command::Idle) => {
                self.continuation_owner = None;
                self.idle = Idle::Active(self.now);
                self.events.push_back(Event::Idling);
                // Work queued while IDLE was starting ends it at once.
                if !self.queue.is_empty() || !self.want_idle {
                    self.end_idle();
                }
            }
            None => self.continuation_owner = None,
        }
    }

    fn handle_tagged(&mut self, status: Status) {
        let tag = status.tag.clone().unwrap_or_default();
        let Some(index) = self.in_flight.iter().position(|flight| flight.tag == tag) else {
            self.events.push_back(Event::BadResponse {
                bytes: status.text.len(),
                reason: format!("completion for unknown tag {tag}"),
            });
            return;
        };
        let flight = self.in_flight.remove(index);
        if self.continuation_owner.as_deref() == Some(tag.as_str()) {
            self.continuation_owner = None;
        }
        if let Some(code) = &status.code {
            self.apply_code(code, &status.text);
        }
        let ok = status.kind == StatusKind::Ok;
        self.after_completion(&flight.command, ok, &status);
        if !flight.internal {
            let result = match status.kind {
                StatusKind::Ok => Ok(CommandResult {
                    status,
                    data: flight.data,
                    untagged: flight.untagged,
                }),
                StatusKind::No => Err(CommandError::No(status)),
                _ => Err(CommandError::Bad(status)),
            };
            self.events.push_back(Event::Completed { id: flight.id, result });
        }
        // Send what this completion unblocked now, so responses to it that arrive in
        // the same read are matched to it.
        self.pump();
    }

    /// State changes that follow a command's completion.
    fn after_completion(&mut self, command: &Command, ok: bool, status: &Status) {
        match command {
            Command::Login { .. } | Command::Authenticate(_) if ok => {
                self.set_state(SessionState::Authenticated);
                if !matches!(status.code, Some(Code::Capability(_))) {
                    self.queue_internal(Command::Capability);
                }
            }
            Command::Select { .. } => {
                if ok {
                    self.set_state(SessionState::Selected);
                } else {
                    // A failed SELECT leaves no mailbox selected (RFC 3501 6.3.1).
                    self.selected = None;
                    self.set_state(SessionState::Authenticated);
                }
            }
            Command::Close | Command::Unselect if ok => {
                self.selected = None;
                self.set_state(SessionState::Authenticated);
            }
            Command::Logout => self.set_state(SessionState::Logout),
            Command::StartTls if ok => {
                self.awaiting_tls = true;
                self.events.push_back(Event::StartTls);
            }
            Command::Compress if ok => {
                // Bytes after the OK in this read are already compressed.
                let rest = self.framer.take_unframed();
                self.deflate = Some(Deflate::new());
                self.inflate_into_framer(&rest);
            }
            Command::Enable(_) if ok => {
                self.options.utf8 = self.is_enabled("UTF8=ACCEPT") || self.is_enabled("UTF8=ONLY");
            }
            Command::Idle => {
                self.idle = Idle::Off;
            }
            _ => {}
        }
    }

    fn apply_code(&mut self, code: &Code, text: &str) {
        match code {
            Code::Capability(list) => self.set_capabilities(list.clone()),
            Code::Alert => self.events.push_back(Event::Alert(text.to_owned())),
            Code::Closed => {}
            other => {
                if let Some(change) = self.selected.as_mut().and_then(|selected| selected.apply_code(other)) {
                    self.events.push_back(Event::Mailbox(change));
                }
            }
        }
    }

    fn handle_untagged_status(&mut self, status: Status) {
        if self.state == SessionState::Greeting {
            match status.kind {
                StatusKind::Ok => self.set_state(SessionState::NotAuthenticated),
                StatusKind::Preauth => self.set_state(SessionState::Authenticated),
                StatusKind::Bye => {
                    self.fail(ConnectionError::Bye(status.text));
                    return;
                }
                _ => {
                    self.fail(ConnectionError::NotImap(status.text));
                    return;
                }
            }
            match &status.code {
                Some(Code::Capability(list)) => self.set_capabilities(list.clone()),
                _ => self.queue_internal(Command::Capability),
            }
            if let Some(code) = &status.code {
                if !matches!(code, Code::Capability(_)) {
                    self.apply_code(code, &status.text);
                }
            }
            return;
        }
        if status.kind == StatusKind::Bye {
            self.bye = Some(status.text.clone());
            if self.state != SessionState::Logout {
                self.events.push_back(Event::Bye(status.text));
            }
            return;
        }
        if let Some(code) = &status.code {
            self.apply_code(code, &status.text);
        }
        // SELECT's untagged OKs ([UIDVALIDITY] etc.) and MOVE's [COPYUID] belong to the running command.
        if let Some(flight) = self
            .in_flight
            .iter_mut()
            .find(|flight| !matches!(flight.command, Command::Idle))
        {
            flight.untagged.push(status);
        }
    }

    fn handle_data(&mut self, data: Data) {
        if let Data::Capability(list) = &data {
            self.set_capabilities(list.clone());
        }
        if let Data::Enabled(list) = &data {
            self.enabled.extend(list.iter().cloned());
        }
        let owner = self
            .in_flight
            .iter()
            .position(|flight| flight.command.wants(&data, &flight.tag));
        // Read lightly while a cache fills: anything but the fill's own rows
        // (another command's, news of flags) is read whole.
        let data = match data {
            Data::Fetch(fetch)
                if fetch.raw.is_some() && !owner.is_some_and(|index| self.in_flight[index].command.keeps_raw()) =>
            {
                match fetch.raw.as_deref().map(parse_response) {
                    Some(Ok(Response::Data(whole @ Data::Fetch(_)))) => whole,
                    _ => Data::Fetch(fetch),
                }
            }
            other => other,
        };
        // Flags a command fetched on purpose are its result, not news; and what a
        // SELECT reports (its EXISTS, a QRESYNC's VANISHED) is the mailbox's
        // starting state, not changes to announce.
        let selecting = owner.is_some_and(|index| matches!(self.in_flight[index].command, Command::Select { .. }));
        let change = self
            .selected
            .as_mut()
            .and_then(|selected| selected.apply(&data, owner.is_none()));
        if let Some(change) = change.filter(|_| !selecting) {
            self.events.push_back(Event::Mailbox(change));
        }
        let limit = self.config.max_answers_per_command;
        let owner = owner.and_then(|index| self.in_flight.get_mut(index));
        match owner {
            Some(flight) if flight.data.len() >= limit => {
                let name = flight.command.name();
                self.fail(ConnectionError::TooLarge(format!(
                    "more than {limit} answers to one {name}"
                )));
            }
            Some(flight) => flight.data.push(data),
            None => match data {
                Data::Capability(_)
                | Data::Enabled(_)
                | Data::Exists(_)
                | Data::Recent(_)
                | Data::Expunge(_)
                | Data::Fetch(_)
                | Data::Vanished { .. }
                | Data::Flags(_) => {}
                other => self.events.push_back(Event::Unsolicited(other)),
            },
        }
    }
}

/// The start of a server line, for error messages.
fn printable(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(120)
        .map(|&b| if (0x20..0x7f).contains(&b) { char::from(b) } else { ' ' })
        .collect::<String>()
        .trim()
        .to_owned()
}
