//! The sans-IO SMTP submission engine (RFC 5321, RFC 6409), in the shape of
//! the IMAP engine: [`Session`] does no I/O and reads no clock. The caller loops:
//!
//! 1. [`Session::handle_input`] with bytes read from the transport;
//! 2. [`Session::poll_transmit`] until `None`, writing what it returns;
//! 3. [`Session::poll_event`] until `None`;
//! 4. [`Session::poll_timeout`] to know when to call [`Session::handle_timeout`].
//!
//! The session greets and says EHLO by itself ([`Event::Ready`]); then one
//! operation at a time: [`Session::authenticate`], [`Session::send`] (as many
//! as wanted), [`Session::quit`]. TLS is the transport's business: implicit,
//! or the plaintext exchange in `webmail_wire::starttls` before the session
//! starts, after which the server greets again as far as the session knows.
//!
//! A send pipelines (RFC 2920) `MAIL`, every `RCPT` and `DATA` in one flight
//! where the server allows it, and uses `BDAT` (RFC 3030) where offered; a
//! small message under `BDAT` goes in that same flight, so it costs one round
//! trip. Every recipient's reply is kept.

mod envelope;
mod error;
mod reply;

use std::collections::VecDeque;

use webmail_wire::sasl::Mechanism;

pub use envelope::Envelope;
pub use error::{Rejected, SendError, SessionError};
pub use reply::{Extensions, Reply};

use envelope::{dot_stuffed, normalize};
use reply::{ReadError, ReplyReader};

/// Milliseconds on any monotonic clock the caller chooses.
pub type Millis = u64;

/// A message at most this large goes in the same flight as its envelope
/// under `BDAT`; a larger one waits until a recipient is accepted.
const INLINE_BDAT: usize = 64 * 1024;

/// Settings for one session.
#[derive(Debug, Clone)]
pub struct Config {
    /// How EHLO names the client: a domain, or an address literal such as `[127.0.0.1]`.
    pub client_name: String,
    /// How long the server may take to answer a command (RFC 5321 4.5.3.2: 5 minutes).
    pub reply_timeout: Millis,
    /// How long it may take to accept the message after its last byte (10 minutes).
    pub final_timeout: Millis,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            client_name: "[127.0.0.1]".into(),
            reply_timeout: 5 * 60 * 1000,
            final_timeout: 10 * 60 * 1000,
        }
    }
}

/// What the session reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Greeted and EHLO answered: operations may start.
    Ready(Extensions),
    /// [`Session::authenticate`] succeeded.
    Authenticated,
    /// [`Session::authenticate`] was refused (wrong password, mechanism not offered...).
    AuthFailed(Reply),
    /// [`Session::send`] ended with the server accepting the message.
    Sent(SendReport),
    /// [`Session::send`] ended without the message being accepted.
    NotSent(SendError),
    /// [`Session::quit`] was answered; the connection may close.
    Closed,
    /// The session failed and cannot go on.
    Failed(SessionError),
}

/// A message the server accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReport {
    /// Recipients the server took.
    pub accepted: Vec<String>,
    /// Recipients it refused, each with its reply.
    pub rejected: Vec<Rejected>,
    /// The message's size on the wire (CRLF-normalised, before dot-stuffing).
    pub size: u64,
    /// The server's final reply (often with its queue id).
    pub reply: Reply,
}

/// A reply the session is waiting for, in the order the commands went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Awaiting {
    Greeting,
    Hello,
    Auth,
    Mail,
    Rcpt(usize),
    Data,
    Content,
    Reset,
    Quit,
}

/// The send in progress.
#[derive(Debug)]
struct Transaction {
    recipients: Vec<String>,
    /// CRLF-normalised.
    message: Vec<u8>,
    bdat: bool,
    /// `BDAT` went out with the envelope.
    content_sent: bool,
    mail_refused: Option<Reply>,
    accepted: Vec<String>,
    rejected: Vec<Rejected>,
    /// The outcome, reported once the server is back to a clean state.
    outcome: Option<Result<Reply, SendError>>,
}

impl Transaction {
    /// The send's event: its outcome, or `unfinished` when it has none yet.
    fn into_event(self, unfinished: SessionError) -> Event {
        match self.outcome {
            Some(Ok(reply)) => Event::Sent(SendReport {
                accepted: self.accepted,
                rejected: self.rejected,
                size: self.message.len() as u64,
                reply,
            }),
            Some(Err(error)) => Event::NotSent(error),
            None => Event::NotSent(SendError::Session(unfinished)),
        }
    }
}

/// One SMTP submission session.
#[derive(Debug)]
pub struct Session {
    config: Config,
    reader: ReplyReader,
    extensions: Option<Extensions>,
    /// Commands waiting for a reply before they may go out (no PIPELINING).
    queued: VecDeque<(Vec<u8>, Awaiting)>,
    awaiting: VecDeque<Awaiting>,
    output: Vec<u8>,
    events: VecDeque<Event>,
    auth: Option<(Mechanism, usize)>,
    transaction: Option<Transaction>,
    error: Option<SessionError>,
    last_activity: Millis,
}

impl Session {
    /// A session on a connection that has just opened (or finished STARTTLS).
    pub fn new(config: Config, now: Millis) -> Self {
        Self {
            config,
            reader: ReplyReader::default(),
            extensions: None,
            queued: VecDeque::new(),
            awaiting: VecDeque::from([Awaiting::Greeting]),
            output: Vec::new(),
            events: VecDeque::new(),
            auth: None,
            transaction: None,
            error: None,
            last_activity: now,
        }
    }

    /// What the server offers, once [`Event::Ready`] came.
    pub fn extensions(&self) -> Option<&Extensions> {
        self.extensions.as_ref()
    }

    /// The failure that ended the session, if one did.
    pub fn error(&self) -> Option<&SessionError> {
        self.error.as_ref()
    }

    /// Whether an operation may start now.
    pub fn is_idle(&self) -> bool {
        self.error.is_none() && self.extensions.is_some() && self.awaiting.is_empty() && self.queued.is_empty()
    }

    /// Starts SASL authentication; the result comes as [`Event::Authenticated`]
    /// or [`Event::AuthFailed`].
    pub fn authenticate(&mut self, mechanism: Mechanism) -> Result<(), SendError> {
        self.check_idle()?;
        let command = if mechanism.has_initial_response() {
            let response = mechanism.respond(0);
            let response = if response.is_empty() { "=".into() } else { response };
            format!("AUTH {} {response}\r\n", mechanism.name())
        } else {
            format!("AUTH {}\r\n", mechanism.name())
        };
        let step = usize::from(mechanism.has_initial_response());
        self.auth = Some((mechanism, step));
        self.write(command.into_bytes(), Awaiting::Auth);
        Ok(())
    }

    /// Sends `message` (the bytes of an RFC 5322 message; line endings are
    /// normalised to CRLF) to the envelope's recipients. The result comes as
    /// [`Event::Sent`] or [`Event::NotSent`]; checks that need no server
    /// (addresses, size, extensions) fail here, before anything is sent.
    pub fn send(&mut self, envelope: &Envelope, message: &[u8]) -> Result<(), SendError> {
        self.check_idle()?;
        let extensions = self.extensions.clone().unwrap_or_default();
        let utf8 = envelope.check()?;
        let (message, eight_bit) = normalize(message)?;
        if let Some(limit) = extensions.size_limit() {
            if message.len() as u64 > limit {
                return Err(SendError::TooLarge {
                    size: message.len() as u64,
                    limit,
                });
            }
        }
        if utf8 && !extensions.smtp_utf8 {
            return Err(SendError::NeedsSmtpUtf8);
        }
        if eight_bit && !extensions.eight_bit_mime {
            return Err(SendError::Needs8BitMime);
        }
        let mut mail = format!("MAIL FROM:<{}>", envelope.from);
        if extensions.max_size.is_some() {
            mail.push_str(&format!(" SIZE={}", message.len()));
        }
        if eight_bit {
            mail.push_str(" BODY=8BITMIME");
        }
        if utf8 {
            mail.push_str(" SMTPUTF8");
        }
        mail.push_str("\r\n");
        self.write(mail.into_bytes(), Awaiting::Mail);
        for (index, recipient) in envelope.to.iter().enumerate() {
            self.write(format!("RCPT TO:<{recipient}>\r\n").into_bytes(), Awaiting::Rcpt(index));
        }
        let bdat = extensions.chunking;
        let inline = bdat && message.len() <= INLINE_BDAT;
        if inline {
            self.write(bdat_last(&message), Awaiting::Content);
        } else if !bdat {
            self.write(b"DATA\r\n".to_vec(), Awaiting::Data);
        }
        self.transaction = Some(Transaction {
            recipients: envelope.to.clone(),
            message,
            bdat,
            content_sent: inline,
            mail_refused: None,
            accepted: Vec::new(),
            rejected: Vec::new(),
            outcome: None,
        });
        Ok(())
    }

    /// Ends the session politely; [`Event::Closed`] follows the server's answer.
    pub fn quit(&mut self) -> Result<(), SendError> {
        self.check_idle()?;
        self.write(b"QUIT\r\n".to_vec(), Awaiting::Quit);
        Ok(())
    }

    /// Takes bytes from the server.
    pub fn handle_input(&mut self, bytes: &[u8], now: Millis) {
        if self.error.is_some() {
            return;
        }
        self.last_activity = now;
        let mut rest = bytes;
        while !rest.is_empty() && self.error.is_none() {
            match self.reader.next(&mut rest) {
                Ok(Some((reply, raw))) => self.handle_reply(reply, &raw),
                Ok(None) => break,
                Err(ReadError::Malformed(start)) => self.fail(SessionError::NotSmtp(start)),
                Err(ReadError::TooLong) => self.fail(SessionError::NotSmtp("a reply longer than 4 KiB".into())),
            }
        }
    }

    /// The transport closed.
    pub fn handle_closed(&mut self, reason: &str) {
        if self.awaiting == [Awaiting::Quit] || self.awaiting.is_empty() && self.error.is_none() {
            self.awaiting.clear();
            self.error = Some(SessionError::Closed(reason.to_owned()));
            return;
        }
        self.fail(SessionError::Closed(reason.to_owned()));
    }

    /// Fails the session if the server has been silent for too long.
    pub fn handle_timeout(&mut self, now: Millis) {
        if self.poll_timeout().is_some_and(|deadline| now >= deadline) {
            self.fail(SessionError::Timeout);
        }
    }

    /// When to call [`Session::handle_timeout`], while a reply is awaited.
    pub fn poll_timeout(&self) -> Option<Millis> {
        if self.error.is_some() {
            return None;
        }
        let timeout = match self.awaiting.front()? {
            Awaiting::Content => self.config.final_timeout,
            _ => self.config.reply_timeout,
        };
        Some(self.last_activity.saturating_add(timeout))
    }

    /// Bytes to write to the server.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        (!self.output.is_empty()).then(|| std::mem::take(&mut self.output))
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn check_idle(&self) -> Result<(), SendError> {
        match &self.error {
            Some(error) => Err(SendError::Session(error.clone())),
            None if self.is_idle() => Ok(()),
            None => Err(SendError::Busy),
        }
    }

    /// Sends `command` now if replies may be waited for in groups (or nothing
    /// is awaited), else after the replies before it.
    fn write(&mut self, command: Vec<u8>, awaiting: Awaiting) {
        let pipelining = self.extensions.as_ref().is_some_and(|extensions| extensions.pipelining);
        if self.queued.is_empty() && (pipelining || self.awaiting.is_empty()) {
            self.output.extend_from_slice(&command);
            self.awaiting.push_back(awaiting);
        } else {
            self.queued.push_back((command, awaiting));
        }
    }

    fn handle_reply(&mut self, reply: Reply, raw: &[u8]) {
        // 421: the server is closing the session, whatever was asked (RFC 5321 3.8).
        if reply.code == 421 {
            self.fail(SessionError::Closed(reply.to_string()));
            return;
        }
        let Some(awaiting) = self.awaiting.pop_front() else {
            return;
        };
        match awaiting {
            Awaiting::Greeting if reply.code == 220 => {
                self.output
                    .extend_from_slice(format!("EHLO {}\r\n", self.config.client_name).as_bytes());
                self.awaiting.push_back(Awaiting::Hello);
            }
            Awaiting::Greeting => self.fail(SessionError::Refused(reply)),
            Awaiting::Hello if !reply.is_positive() => self.fail(SessionError::Refused(reply)),
            Awaiting::Hello => match Extensions::parse(raw) {
                Some(extensions) => {
                    self.extensions = Some(extensions.clone());
                    self.events.push_back(Event::Ready(extensions));
                }
                None => self.fail(SessionError::NotSmtp(webmail_wire::printable(raw, 80))),
            },
            Awaiting::Auth => self.auth_reply(reply),
            Awaiting::Mail | Awaiting::Rcpt(_) | Awaiting::Data | Awaiting::Content => {
                self.transaction_reply(awaiting, reply);
            }
            Awaiting::Reset => self.finish_transaction(),
            Awaiting::Quit => self.events.push_back(Event::Closed),
        }
        if self.error.is_some() {
            return;
        }
        if self.awaiting.is_empty() {
            if let Some((command, awaiting)) = self.queued.pop_front() {
                self.output.extend_from_slice(&command);
                self.awaiting.push_back(awaiting);
            }
        }
    }

    fn auth_reply(&mut self, reply: Reply) {
        match (reply.code, self.auth.as_mut()) {
            (334, Some((mechanism, step))) => {
                let response = mechanism.respond(*step);
                *step += 1;
                self.output.extend_from_slice(response.as_bytes());
                self.output.extend_from_slice(b"\r\n");
                self.awaiting.push_back(Awaiting::Auth);
            }
            (235, _) => {
                self.auth = None;
                self.events.push_back(Event::Authenticated);
            }
            _ => {
                self.auth = None;
                self.events.push_back(Event::AuthFailed(reply));
            }
        }
    }

    fn transaction_reply(&mut self, awaiting: Awaiting, reply: Reply) {
        let Some(transaction) = self.transaction.as_mut() else {
            return;
        };
        match awaiting {
            Awaiting::Mail if !reply.is_positive() => transaction.mail_refused = Some(reply),
            Awaiting::Rcpt(index) if transaction.mail_refused.is_none() => {
                let address = transaction.recipients[index].clone();
                if reply.is_positive() {
                    transaction.accepted.push(address);
                } else {
                    transaction.rejected.push(Rejected { address, reply });
                }
            }
            Awaiting::Data if reply.code == 354 => {
                if transaction.accepted.is_empty() || transaction.mail_refused.is_some() {
                    // RFC 2920 3.1: a server that says go ahead with nobody to
                    // deliver to gets an empty message, which it then refuses.
                    self.output.extend_from_slice(b".\r\n");
                } else {
                    self.output.extend_from_slice(&dot_stuffed(&transaction.message));
                }
                self.awaiting.push_back(Awaiting::Content);
                return;
            }
            Awaiting::Content | Awaiting::Data if transaction.outcome.is_none() => {
                transaction.outcome = Some(if reply.is_positive() {
                    Ok(reply)
                } else {
                    Err(Self::refusal(transaction, reply))
                });
            }
            _ => {}
        }
        if !self.awaiting.is_empty() {
            return;
        }
        let transaction = self.transaction.as_mut().expect("checked above");
        if transaction.outcome.is_none() && transaction.bdat && !transaction.content_sent {
            if transaction.mail_refused.is_none() && !transaction.accepted.is_empty() {
                transaction.content_sent = true;
                let command = bdat_last(&transaction.message);
                self.write(command, Awaiting::Content);
                return;
            }
            transaction.outcome = Some(Err(Self::refusal(
                transaction,
                Reply {
                    code: 554,
                    enhanced: None,
                    text: "no valid recipients".into(),
                },
            )));
        }
        match &transaction.outcome {
            Some(Ok(_)) => self.finish_transaction(),
            // A refused transaction may have left the server mid-way: reset it
            // before reporting, so the next send starts clean.
            _ => self.write(b"RSET\r\n".to_vec(), Awaiting::Reset),
        }
    }

    /// Why a transaction failed, naming the earliest cause.
    fn refusal(transaction: &Transaction, reply: Reply) -> SendError {
        if let Some(mail) = &transaction.mail_refused {
            return SendError::SenderRefused(mail.clone());
        }
        if transaction.accepted.is_empty() {
            return SendError::NoRecipients(transaction.rejected.clone());
        }
        SendError::Refused(reply)
    }

    fn finish_transaction(&mut self) {
        if let Some(transaction) = self.transaction.take() {
            let unfinished = SessionError::Closed("the transaction was reset".into());
            self.events.push_back(transaction.into_event(unfinished));
        }
    }

    fn fail(&mut self, error: SessionError) {
        if self.error.is_some() {
            return;
        }
        self.error = Some(error.clone());
        self.awaiting.clear();
        self.queued.clear();
        self.output.clear();
        if self.auth.take().is_some() {
            self.events.push_back(Event::AuthFailed(Reply {
                code: 421,
                enhanced: None,
                text: error.to_string(),
            }));
        }
        if let Some(transaction) = self.transaction.take() {
            // One the server accepted before the connection went was sent.
            self.events.push_back(transaction.into_event(error.clone()));
        }
        self.events.push_back(Event::Failed(error));
    }
}

/// `BDAT n LAST` and the message, as one write.
fn bdat_last(message: &[u8]) -> Vec<u8> {
    let mut command = format!("BDAT {} LAST\r\n", message.len()).into_bytes();
    command.extend_from_slice(message);
    command
}
