//! The compose module's JavaScript API: `SmtpClient` (connect, login,
//! authenticate, send, close) and `buildMessage`. The page loads it on the
//! first "New message"; reading mail never pays for it.

mod errors;
mod input;
mod transport;

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use page_socket::clock;
use page_socket::race::{First, first};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use webmail_wire::sasl::{Mechanism, Secret};

use crate::message::{self, Draft, Stamp, Version};
use crate::smtp::{Config, Envelope, Event, Extensions, SendReport, Session};
use errors::{Failure, rejected_list};
use input::Fields;
use transport::Transport;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** Where the bridge is and which upstream's submission server to send through. */
export interface SmtpConnectOptions {
  /** The bridge's WebSocket endpoint, e.g. "wss://mail.example.org/ws". */
  url: string;
  /** A configured upstream whose `canSend` is true in /api/upstreams. */
  upstream?: string;
  /** A server the user typed, where an upstream_pattern allows sending. */
  host?: string;
  port?: number;
  /** TLS in the page ("end-to-end" submission): `{ createSession: () => new TlsSession(name, trust), starttls }`. */
  endToEnd?: { createSession: () => unknown; starttls?: boolean };
}

/** A name and an address; a bare string is an address alone. */
export type MailboxInput = string | { name?: string; address: string };

/** A file, or an image the HTML shows with `cid:contentId`. */
export interface DraftAttachment {
  filename: string;
  contentType?: string;
  data: Uint8Array;
  contentId?: string;
}

/** What the user wrote. Bcc goes into the envelope and the kept copy, never into what is sent. */
export interface Draft {
  from: MailboxInput;
  to?: MailboxInput[];
  cc?: MailboxInput[];
  bcc?: MailboxInput[];
  replyTo?: MailboxInput[];
  subject?: string;
  /** Plain text; sent as format=flowed. */
  text?: string;
  html?: string;
  attachments?: DraftAttachment[];
  inReplyTo?: string;
  references?: string[];
  headers?: Record<string, string>;
  /** Reuse a Message-ID (a retry of the same message); made up when absent. */
  messageId?: string;
  /** Milliseconds since 1970 for the Date header; now when absent. */
  date?: number;
}

/** A message that is already built, with its envelope. */
export interface RawMessage {
  raw: Uint8Array;
  from: string;
  to: string[];
}

/** A recipient the server refused, in its words. */
export interface RejectedRecipient {
  address: string;
  code: number;
  enhancedCode: string | null;
  message: string;
}

/** What `send` resolves with once the server accepted the message. */
export interface SendResult {
  messageId: string | null;
  accepted: string[];
  rejected: RejectedRecipient[];
  /** Bytes on the wire. */
  size: number;
}

/** What the submission server offers. */
export interface SmtpCapabilities {
  /** The largest message it takes, in bytes, or null when it does not say. */
  maxSize: number | null;
  pipelining: boolean;
  chunking: boolean;
  smtpUtf8: boolean;
  eightBitMime: boolean;
  /** SASL mechanisms it offers that this client speaks. */
  auth: string[];
}

/** Codes of the `code` property of the errors this module throws. */
export type SmtpErrorCode = "AUTH_FAILED" | "CONNECTION_LOST" | "BRIDGE_REFUSED" | "TLS_FAILED" | "TIMEOUT"
  | "SERVER_ERROR" | "PROTOCOL_ERROR" | "INVALID_ARGUMENT" | "MESSAGE_TOO_LARGE" | "RECIPIENT_REJECTED"
  | "SENDER_REJECTED" | "BUSY";

/** What the errors this module throws carry besides their message. */
export interface SmtpError extends Error {
  code: SmtpErrorCode;
  /** The server's reply code and RFC 3463 code, when the failure is its answer. */
  smtpCode?: number;
  enhancedCode?: string | null;
  /** `RECIPIENT_REJECTED`: every recipient, each with the server's words. */
  rejected?: RejectedRecipient[];
  /** `MESSAGE_TOO_LARGE`: the server's limit in bytes, when it announced one. */
  limit?: number;
}
"#;

#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

/// How EHLO names the page: it has no name of its own (RFC 5321 4.1.3).
const CLIENT_NAME: &str = "[127.0.0.1]";

/// The session and its connection.
struct Live {
    session: Session,
    transport: Transport,
    /// What the socket reported when it failed, which names the cause.
    transport_failure: Option<Failure>,
}

/// Where a client's session is between calls.
enum Slot {
    /// Ready for the next call.
    Idle(Box<Live>),
    /// A call has it.
    Busy,
    /// Closed, or `close()` came while a call had it: that call closes it when it ends.
    Closed,
}

/// An SMTP submission session through the bridge.
#[wasm_bindgen]
pub struct SmtpClient {
    live: Rc<RefCell<Slot>>,
    extensions: Extensions,
}

/// One call on the client. Every method runs through [`perform`], so the
/// module carries one async state machine for them all, not one each (the
/// compose module's size goal, decision 0006).
enum Call {
    Connect {
        url: String,
        end_to_end: Option<(Function, bool)>,
    },
    Session(SessionCall),
    Close,
}

/// A call that needs the open session to itself.
enum SessionCall {
    Authenticate(Mechanism),
    Send {
        envelope: Envelope,
        bytes: Vec<u8>,
        message_id: Option<String>,
        progress: Option<Function>,
    },
}

#[wasm_bindgen]
impl SmtpClient {
    /// Opens the upstream's submission server through the bridge and waits for
    /// its greeting and EHLO.
    #[wasm_bindgen(unchecked_return_type = "Promise<SmtpClient>")]
    pub fn connect(#[wasm_bindgen(unchecked_param_type = "SmtpConnectOptions")] options: JsValue) -> Promise {
        let call = connect_options(&options).map(|(url, end_to_end)| Call::Connect { url, end_to_end });
        future_to_promise(perform(Rc::new(RefCell::new(Slot::Closed)), call))
    }

    /// What the server offers (its size limit before a file is picked, say).
    #[wasm_bindgen(getter, unchecked_return_type = "SmtpCapabilities")]
    pub fn capabilities(&self) -> JsValue {
        let object = Object::new();
        let set = |key: &str, value: JsValue| {
            let _ = Reflect::set(&object, &JsValue::from_str(key), &value);
        };
        let extensions = &self.extensions;
        set(
            "maxSize",
            extensions
                .size_limit()
                .map_or(JsValue::NULL, |size| (size as f64).into()),
        );
        set("pipelining", extensions.pipelining.into());
        set("chunking", extensions.chunking.into());
        set("smtpUtf8", extensions.smtp_utf8.into());
        set("eightBitMime", extensions.eight_bit_mime.into());
        set(
            "auth",
            extensions
                .auth
                .iter()
                .map(|name| JsValue::from_str(name))
                .collect::<Array>()
                .into(),
        );
        object.into()
    }

    /// Signs in with a password (PLAIN, or LOGIN where only that is offered).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn login(&self, user: String, password: String) -> Promise {
        let password = Secret::new(password);
        let mechanism = if self.extensions.auth == ["LOGIN"] {
            Mechanism::Login { user, password }
        } else {
            Mechanism::Plain { user, password }
        };
        future_to_promise(perform(
            self.live.clone(),
            Ok(Call::Session(SessionCall::Authenticate(mechanism))),
        ))
    }

    /// Signs in with an OAuth 2 token: `{ mechanism: "XOAUTH2" | "OAUTHBEARER", user, token }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn authenticate(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "{ mechanism: \"XOAUTH2\" | \"OAUTHBEARER\"; user: string; token: string }"
        )]
        options: JsValue,
    ) -> Promise {
        let call = (|| {
            let fields = Fields::new(&options, "authenticate options", &["mechanism", "user", "token"])?;
            let user = fields.required_text("user")?;
            let token = Secret::new(fields.required_text("token")?);
            match fields.required_text("mechanism")?.as_str() {
                "XOAUTH2" => Ok(Mechanism::XOAuth2 { user, token }),
                "OAUTHBEARER" => Ok(Mechanism::OAuthBearer { user, token }),
                other => Err(format!("unknown mechanism `{other}` (XOAUTH2 or OAUTHBEARER)")),
            }
        })();
        let call = call.map(|mechanism| Call::Session(SessionCall::Authenticate(mechanism)));
        future_to_promise(perform(self.live.clone(), call))
    }

    /// Sends a draft (built here, Bcc left out) or a raw message with its
    /// envelope. `onProgress(sent, total)` follows a large upload.
    #[wasm_bindgen(unchecked_return_type = "Promise<SendResult>")]
    pub fn send(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Draft | RawMessage")] message: JsValue,
        #[wasm_bindgen(unchecked_param_type = "{ onProgress?: (sent: number, total: number) => void } | undefined")]
        options: JsValue,
    ) -> Promise {
        let call = outgoing(&message).and_then(|(envelope, bytes, message_id)| {
            Ok(Call::Session(SessionCall::Send {
                envelope,
                bytes,
                message_id,
                progress: progress_callback(&options)?,
            }))
        });
        future_to_promise(perform(self.live.clone(), call))
    }

    /// Says QUIT and closes the connection; during another call, closes it
    /// when that call ends.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn close(&self) -> Promise {
        future_to_promise(perform(self.live.clone(), Ok(Call::Close)))
    }
}

/// Runs one call: a bad argument (`Err`) rejects at once with `INVALID_ARGUMENT`.
async fn perform(live: Rc<RefCell<Slot>>, call: Result<Call, String>) -> Result<JsValue, JsValue> {
    match call.map_err(invalid)? {
        Call::Connect { url, end_to_end } => {
            let transport = Transport::open(&url, end_to_end).await.map_err(Failure::into_js)?;
            let config = Config {
                client_name: CLIENT_NAME.into(),
                ..Config::default()
            };
            let mut session = Live {
                session: Session::new(config, clock::now()),
                transport,
                transport_failure: None,
            };
            match next_event(&mut session, None).await {
                Event::Ready(extensions) => {
                    *live.borrow_mut() = Slot::Idle(Box::new(session));
                    Ok(SmtpClient { live, extensions }.into())
                }
                other => Err(unexpected(&session, other).into_js()),
            }
        }
        Call::Close => {
            let taken = std::mem::replace(&mut *live.borrow_mut(), Slot::Closed);
            if let Slot::Idle(mut session) = taken {
                if session.session.quit().is_ok() {
                    let _ = next_event(&mut session, None).await;
                }
                session.transport.close();
            }
            Ok(JsValue::UNDEFINED)
        }
        Call::Session(call) => {
            let mut session = take(&live)?;
            let outcome = run(&mut session, call).await;
            put_back(&live, session);
            outcome.map_err(Failure::into_js)
        }
    }
}

/// Authenticates or sends on the session, until the server's answer.
async fn run(session: &mut Live, call: SessionCall) -> Result<JsValue, Failure> {
    match call {
        SessionCall::Authenticate(mechanism) => {
            session
                .session
                .authenticate(mechanism)
                .map_err(|error| Failure::send(&error, None))?;
            match next_event(session, None).await {
                Event::Authenticated => Ok(JsValue::UNDEFINED),
                Event::AuthFailed(reply) => Err(Failure::refused("AUTH_FAILED", reply.to_string(), &reply)),
                other => Err(unexpected(session, other)),
            }
        }
        SessionCall::Send {
            envelope,
            bytes,
            message_id,
            progress,
        } => {
            session
                .session
                .send(&envelope, &bytes)
                .map_err(|error| Failure::send(&error, None))?;
            match next_event(session, progress.as_ref().map(|callback| (callback, bytes.len()))).await {
                Event::Sent(report) => Ok(sent_result(&report, message_id)),
                other => Err(unexpected(session, other)),
            }
        }
    }
}

/// Builds a draft into the bytes of a message: what is sent (no Bcc), or with
/// `{ keep: true }` the copy for Sent or Drafts (with Bcc).
#[wasm_bindgen(js_name = buildMessage)]
pub fn build_message(
    #[wasm_bindgen(unchecked_param_type = "Draft")] draft: JsValue,
    #[wasm_bindgen(unchecked_param_type = "{ keep?: boolean } | undefined")] options: JsValue,
) -> Result<Uint8Array, JsValue> {
    let keep = if options.is_undefined() || options.is_null() {
        false
    } else {
        Fields::new(&options, "buildMessage options", &["keep"])
            .map_err(invalid)?
            .get("keep")
            .is_some_and(|value| value.is_truthy())
    };
    let version = if keep { Version::Kept } else { Version::Transmitted };
    let (draft, stamp) = draft_and_stamp(&draft).map_err(invalid)?;
    let built = message::build(&draft, &stamp, version).map_err(|error| invalid(error.to_string()))?;
    Ok(Uint8Array::from(built.bytes.as_slice()))
}

/// Takes the session out for one call; a second call meanwhile gets `BUSY`,
/// a closed client `CONNECTION_LOST`.
fn take(live: &Rc<RefCell<Slot>>) -> Result<Box<Live>, JsValue> {
    let mut slot = live.borrow_mut();
    match std::mem::replace(&mut *slot, Slot::Busy) {
        Slot::Idle(session) => Ok(session),
        Slot::Busy => Err(Failure::new("BUSY", "another call on this client is still running").into_js()),
        Slot::Closed => {
            *slot = Slot::Closed;
            Err(Failure::new("CONNECTION_LOST", "the client was closed").into_js())
        }
    }
}

/// Returns the session after a call; if `close()` came meanwhile, closes it.
fn put_back(live: &Rc<RefCell<Slot>>, mut session: Box<Live>) {
    let mut slot = live.borrow_mut();
    if let Slot::Busy = *slot {
        *slot = Slot::Idle(session);
    } else {
        session.transport.close();
    }
}

/// Drives the session until its next event, writing, reading and watching
/// its timeout. `progress` hears an upload of `total` bytes.
async fn next_event(live: &mut Live, progress: Option<(&Function, usize)>) -> Event {
    loop {
        while let Some(bytes) = live.session.poll_transmit() {
            // The message's own upload is the one write at least its size.
            let report = |sent: usize| {
                if let Some((callback, total)) = progress.filter(|(_, total)| bytes.len() >= *total) {
                    report_progress(callback, sent.min(total), total);
                }
            };
            if let Err(failure) = live.transport.send(&bytes, report).await {
                live.session.handle_closed(&failure.message);
                live.transport_failure = Some(failure);
            }
        }
        if let Some(event) = live.session.poll_event() {
            if let (Some((callback, total)), Event::Sent(_)) = (progress, &event) {
                report_progress(callback, total, total);
            }
            return event;
        }
        let Some(deadline) = live.session.poll_timeout() else {
            return Event::Failed(crate::smtp::SessionError::Closed("the session is over".into()));
        };
        let wait = deadline.saturating_sub(clock::now());
        let received = {
            match first(live.transport.recv(), clock::sleep(wait)).await {
                First::Left(received) => Some(received),
                First::Right(()) => None,
            }
        };
        let now = clock::now();
        match received {
            None => live.session.handle_timeout(now),
            Some(Ok(Some(bytes))) => live.session.handle_input(&bytes, now),
            Some(Ok(None)) => live.session.handle_closed("the server closed the connection"),
            Some(Err(failure)) => {
                live.session.handle_closed(&failure.message);
                live.transport_failure = Some(failure);
            }
        }
    }
}

fn report_progress(callback: &Function, sent: usize, total: usize) {
    let _ = callback.call2(&JsValue::NULL, &(sent as f64).into(), &(total as f64).into());
}

/// An event that is not the one the call waited for, as its failure.
fn unexpected(live: &Live, event: Event) -> Failure {
    let transport = live.transport_failure.as_ref();
    match event {
        Event::NotSent(error) => Failure::send(&error, transport),
        Event::Failed(error) => Failure::session(&error, transport),
        Event::AuthFailed(reply) => Failure::refused("AUTH_FAILED", reply.to_string(), &reply),
        // Ready, Sent, Authenticated or Closed where another was awaited: the engine
        // reports those only when asked, so this is a bug, said as one.
        _ => Failure::new("PROTOCOL_ERROR", "the session reported something no call asked for"),
    }
}

fn invalid(message: String) -> JsValue {
    Failure::new("INVALID_ARGUMENT", message).into_js()
}

/// The WebSocket URL for `service=submission`, and the end-to-end TLS factory.
fn connect_options(options: &JsValue) -> Result<(String, Option<(Function, bool)>), String> {
    let fields = Fields::new(
        options,
        "connect options",
        &["url", "upstream", "host", "port", "endToEnd"],
    )?;
    let url = fields.required_text("url")?;
    // Whole ports only; formatting an f64 would also pull float printing into the module.
    let port = fields
        .get("port")
        .and_then(|value| value.as_f64())
        .filter(|port| port.fract() == 0.0 && (1.0..=65535.0).contains(port))
        .map(|port| port as u16);
    let target = match (fields.text("upstream")?, fields.text("host")?, port) {
        (Some(upstream), None, None) => format!("upstream={}", js_sys::encode_uri_component(&upstream)),
        (None, Some(host), Some(port)) => format!("host={}&port={port}", js_sys::encode_uri_component(&host)),
        _ => return Err("give either `upstream`, or `host` and `port`".into()),
    };
    let separator = if url.contains('?') { '&' } else { '?' };
    let end_to_end = match fields.get("endToEnd") {
        None => None,
        Some(value) => {
            let tls = Fields::new(&value, "endToEnd", &["createSession", "starttls"])?;
            let create = tls
                .get("createSession")
                .and_then(|value| value.dyn_into::<Function>().ok())
                .ok_or("endToEnd needs `createSession`, a function returning a TlsSession")?;
            Some((create, tls.get("starttls").is_some_and(|value| value.is_truthy())))
        }
    };
    Ok((format!("{url}{separator}{target}&service=submission"), end_to_end))
}

fn progress_callback(options: &JsValue) -> Result<Option<Function>, String> {
    if options.is_undefined() || options.is_null() {
        return Ok(None);
    }
    let fields = Fields::new(options, "send options", &["onProgress"])?;
    fields
        .get("onProgress")
        .map(|value| {
            value
                .dyn_into::<Function>()
                .map_err(|_| "onProgress must be a function".to_owned())
        })
        .transpose()
}

/// The envelope, the bytes and (for a draft) the Message-ID of what `send` was given.
fn outgoing(message: &JsValue) -> Result<(Envelope, Vec<u8>, Option<String>), String> {
    let raw = Reflect::get(message, &JsValue::from_str("raw")).unwrap_or(JsValue::UNDEFINED);
    if !raw.is_undefined() {
        let fields = Fields::new(message, "the message", &["raw", "from", "to"])?;
        let envelope = Envelope {
            from: fields.required_text("from")?,
            to: fields.texts("to")?,
        };
        return Ok((envelope, fields.bytes("raw")?.unwrap_or_default(), None));
    }
    let (draft, stamp) = draft_and_stamp(message)?;
    let built = message::build(&draft, &stamp, Version::Transmitted).map_err(|error| error.to_string())?;
    let mut to: Vec<String> = Vec::new();
    for mailbox in draft.to.iter().chain(&draft.cc).chain(&draft.bcc) {
        if !to.iter().any(|known| known.eq_ignore_ascii_case(&mailbox.address)) {
            to.push(mailbox.address.clone());
        }
    }
    let envelope = Envelope {
        from: draft.from.address,
        to,
    };
    Ok((envelope, built.bytes, Some(built.message_id)))
}

/// The draft, and the clock and randomness the builder needs from the page.
fn draft_and_stamp(value: &JsValue) -> Result<(Draft, Stamp), String> {
    let draft = input::draft(value)?;
    let millis = Reflect::get(value, &JsValue::from_str("date"))
        .ok()
        .and_then(|date| date.as_f64())
        .unwrap_or_else(js_sys::Date::now);
    let offset = -js_sys::Date::new(&JsValue::from_f64(millis)).get_timezone_offset();
    let mut random = [0u8; 16];
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).map_err(|_| "no crypto")?;
    let fill: Function = Reflect::get(&crypto, &JsValue::from_str("getRandomValues"))
        .ok()
        .and_then(|value| value.dyn_into().ok())
        .ok_or("this browser has no crypto.getRandomValues")?;
    let buffer = Uint8Array::new_with_length(16);
    fill.call1(&crypto, &buffer)
        .map_err(|_| "crypto.getRandomValues failed")?;
    buffer.copy_to(&mut random);
    let stamp = Stamp {
        millis: millis as i64,
        utc_offset_minutes: offset as i32,
        random,
    };
    Ok((draft, stamp))
}

fn sent_result(report: &SendReport, message_id: Option<String>) -> JsValue {
    let object = Object::new();
    let set = |key: &str, value: JsValue| {
        let _ = Reflect::set(&object, &JsValue::from_str(key), &value);
    };
    set(
        "messageId",
        message_id.as_deref().map_or(JsValue::NULL, JsValue::from_str),
    );
    set(
        "accepted",
        report
            .accepted
            .iter()
            .map(|address| JsValue::from_str(address))
            .collect::<Array>()
            .into(),
    );
    set("rejected", rejected_list(&report.rejected).into());
    set("size", (report.size as f64).into());
    object.into()
}
