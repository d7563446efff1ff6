//! Failures as JavaScript sees them: an `Error` with a `code`, the server's
//! words as `message`, and, when recipients were refused, who and why.

use js_sys::{Array, Error, Object, Reflect};
use wasm_bindgen::JsValue;

use crate::smtp::{Rejected, Reply, SendError, SessionError};

/// An API failure before it becomes a JavaScript `Error`.
#[derive(Debug)]
pub(super) struct Failure {
    pub(super) code: &'static str,
    pub(super) message: String,
    /// The server's reply, when the failure is one.
    pub(super) reply: Option<Reply>,
    /// Recipients the server refused (`RECIPIENT_REJECTED`).
    pub(super) rejected: Vec<Rejected>,
    /// The server's size limit in bytes (`MESSAGE_TOO_LARGE`, when it announced one).
    pub(super) limit: Option<u64>,
}

impl Failure {
    pub(super) fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            reply: None,
            rejected: Vec::new(),
            limit: None,
        }
    }

    /// A failed session; `transport` is what the socket reported, which names
    /// the cause better than "closed" (a bridge refusal, a TLS failure).
    pub(super) fn session(error: &SessionError, transport: Option<&Failure>) -> Self {
        match (error, transport) {
            (SessionError::Closed(_), Some(failure)) => Self::new(failure.code, failure.message.clone()),
            (SessionError::Closed(reason), None) => Self::new("CONNECTION_LOST", reason.clone()),
            (SessionError::Timeout, _) => Self::new("TIMEOUT", error.to_string()),
            (SessionError::NotSmtp(_), _) => Self::new("PROTOCOL_ERROR", error.to_string()),
            (SessionError::Refused(reply), _) => Self::refused("SERVER_ERROR", error.to_string(), reply),
        }
    }

    /// A send that did not happen.
    pub(super) fn send(error: &SendError, transport: Option<&Failure>) -> Self {
        match error {
            SendError::InvalidAddress(_) | SendError::InvalidMessage(_) => {
                Self::new("INVALID_ARGUMENT", error.to_string())
            }
            SendError::TooLarge { limit, .. } => Self {
                limit: Some(*limit),
                ..Self::new("MESSAGE_TOO_LARGE", error.to_string())
            },
            SendError::NoRecipients(rejected) if rejected.is_empty() => {
                Self::new("INVALID_ARGUMENT", "give at least one recipient")
            }
            SendError::NoRecipients(rejected) => Self {
                rejected: rejected.clone(),
                ..Self::new("RECIPIENT_REJECTED", error.to_string())
            },
            SendError::SenderRefused(reply) => Self::refused("SENDER_REJECTED", error.to_string(), reply),
            SendError::Refused(reply) if too_large(reply) => {
                Self::refused("MESSAGE_TOO_LARGE", error.to_string(), reply)
            }
            SendError::Refused(reply) => Self::refused("SERVER_ERROR", error.to_string(), reply),
            SendError::Session(session) => Self::session(session, transport),
            SendError::Busy => Self::new("BUSY", "another call on this client is still running"),
            _ => Self::new("SERVER_ERROR", error.to_string()),
        }
    }

    pub(super) fn refused(code: &'static str, message: String, reply: &Reply) -> Self {
        Self {
            reply: Some(reply.clone()),
            ..Self::new(code, message)
        }
    }

    /// The JavaScript `Error`.
    pub(super) fn into_js(self) -> JsValue {
        let error = Error::new(&self.message);
        let set = |key: &str, value: JsValue| {
            let _ = Reflect::set(&error, &JsValue::from_str(key), &value);
        };
        set("code", self.code.into());
        if let Some(reply) = &self.reply {
            set("smtpCode", reply.code.into());
            set(
                "enhancedCode",
                reply.enhanced.as_deref().map_or(JsValue::NULL, JsValue::from_str),
            );
        }
        if !self.rejected.is_empty() {
            set("rejected", rejected_list(&self.rejected).into());
        }
        if let Some(limit) = self.limit {
            // Exact up to 2^53 bytes, far beyond any server's limit.
            set("limit", JsValue::from_f64(limit as f64));
        }
        error.into()
    }
}

/// Whether a refusal after the content is the server's size limit: 552 with
/// RFC 3463's "message too big" (5.3.4) or "over an administrative limit"
/// (5.2.3), or a bare 552, which RFC 5321 gives for exceeded storage.
fn too_large(reply: &Reply) -> bool {
    reply.code == 552 && matches!(reply.enhanced.as_deref(), None | Some("5.3.4" | "5.2.3"))
}

/// `[{ address, code, enhancedCode, message }]`.
pub(super) fn rejected_list(rejected: &[Rejected]) -> Array {
    rejected
        .iter()
        .map(|refusal| {
            let object = Object::new();
            let set = |key: &str, value: JsValue| {
                let _ = Reflect::set(&object, &JsValue::from_str(key), &value);
            };
            set("address", refusal.address.as_str().into());
            set("code", refusal.reply.code.into());
            set(
                "enhancedCode",
                refusal
                    .reply
                    .enhanced
                    .as_deref()
                    .map_or(JsValue::NULL, JsValue::from_str),
            );
            set("message", refusal.reply.text.as_str().into());
            JsValue::from(object)
        })
        .collect()
}
