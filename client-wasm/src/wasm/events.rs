//! The client's events as DOM-style listeners: `addEventListener(kind, handler)`
//! on `ImapClient`, dispatched from the client's own event stream.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Function;
use wasm_bindgen::prelude::*;

use super::errors::{invalid, to_js};
use crate::client::{Client, ClientEvent};

/// The event kinds a page can listen for.
pub(super) const EVENT_TYPES: [&str; 8] = [
    "exists",
    "expunge",
    "flags",
    "mailboxes",
    "state",
    "alert",
    "uidvalidity",
    "badresponse",
];

/// The kind of an event, as a listener names it.
fn event_type(event: &ClientEvent) -> &'static str {
    match event {
        ClientEvent::Exists { .. } => "exists",
        ClientEvent::Expunge { .. } => "expunge",
        ClientEvent::Flags { .. } => "flags",
        ClientEvent::Mailboxes => "mailboxes",
        ClientEvent::State { .. } => "state",
        ClientEvent::Alert { .. } => "alert",
        ClientEvent::UidValidity { .. } => "uidvalidity",
        ClientEvent::BadResponse { .. } => "badresponse",
    }
}

/// The listeners a page registered, by kind.
#[derive(Clone, Default)]
pub(super) struct Listeners(Rc<RefCell<Vec<(String, Function)>>>);

impl Listeners {
    /// Listeners for `client`'s events: each event goes to the handlers of its kind.
    pub(super) fn attach(client: &Client) -> Self {
        let listeners = Self::default();
        let dispatch = listeners.clone();
        client.on_event(move |event| dispatch.dispatch(event));
        listeners
    }

    /// Adds a handler for `kind`; an unknown kind is an `INVALID_ARGUMENT` error.
    pub(super) fn add(&self, kind: String, handler: Function) -> Result<(), JsValue> {
        if !EVENT_TYPES.contains(&kind.as_str()) {
            return Err(invalid(format!(
                "unknown event type `{kind}` (one of {})",
                EVENT_TYPES.join(", ")
            )));
        }
        self.0.borrow_mut().push((kind, handler));
        Ok(())
    }

    /// Removes a handler added for `kind`.
    pub(super) fn remove(&self, kind: &str, handler: &Function) {
        self.0.borrow_mut().retain(|(name, f)| !(name == kind && f == handler));
    }

    fn dispatch(&self, event: &ClientEvent) {
        let kind = event_type(event);
        let Ok(detail) = to_js(event) else { return };
        let handlers: Vec<Function> = self
            .0
            .borrow()
            .iter()
            .filter(|(name, _)| name == kind)
            .map(|(_, f)| f.clone())
            .collect();
        for handler in handlers {
            // A throwing listener must not break the client or other listeners.
            let _ = handler.call1(&JsValue::NULL, &detail);
        }
    }
}
