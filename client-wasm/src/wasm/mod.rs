//! The JavaScript boundary: the only module that knows about `wasm-bindgen`.
//!
//! ```js
//! import init, { ImapClient } from "./pkg/client_wasm.js";
//! await init();
//! const client = await ImapClient.connect({ url: "ws://127.0.0.1:8080/ws", upstream: "local" });
//! await client.login("alice", "secret");
//! const boxes = await client.listMailboxes();
//! ```
//!
//! Every method returns a Promise. Failures reject with a real `Error` whose
//! `code` is one of the [`ClientError`](crate::client::ClientError) codes. A Rust panic is reported on the
//! console and as an `imapclient:panic` event on the global object.

#[cfg(feature = "bench")]
pub mod bench;
mod connect;
mod errors;
mod events;
mod input;
mod page_tls;
mod runtime;
mod transport;
mod types;

use std::rc::Rc;

use js_sys::{Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::client::Client;
use crate::engine::sasl::{Mechanism, Secret};
use crate::mime;
use errors::{invalid, js_error, promise, rejected, report_panic, to_js};
use events::Listeners;
use input::Options;

/// The version of this package.
#[wasm_bindgen(js_name = version)]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Runs once when the module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(report_panic));
    mime::install_decoder(browser_decode);
}

/// The rows responses from `fetchSummaryRecords` describe, as `fetchSummaries`
/// returns them: `responses` holds any number of them one after the other. One
/// that is not a FETCH response with a UID gives no row.
#[wasm_bindgen(js_name = decodeSummaries, unchecked_return_type = "MessageSummary[]")]
pub fn decode_summaries(responses: &[u8]) -> Result<JsValue, JsValue> {
    to_js(&crate::client::decode_summaries(responses))
}

/// Charsets through the page's `TextDecoder` (the WHATWG Encoding Standard).
fn browser_decode(label: &str, bytes: &[u8]) -> Option<String> {
    let decoder = web_sys::TextDecoder::new_with_label(label).ok()?;
    decoder.decode_with_u8_array(bytes).ok()
}

/// An IMAP connection through the webmail bridge. See the package's `.d.ts` for every method.
#[wasm_bindgen]
pub struct ImapClient {
    client: Client,
    listeners: Listeners,
}

#[wasm_bindgen]
impl ImapClient {
    /// Opens a WebSocket to the bridge and waits for the server's greeting.
    #[wasm_bindgen(unchecked_return_type = "Promise<ImapClient>")]
    pub fn connect(#[wasm_bindgen(unchecked_param_type = "ConnectOptions")] options: JsValue) -> Promise {
        future_to_promise(async move {
            let (connector, client_options) = connect::from_options(options)?;
            let client = Client::connect(connector, Rc::new(runtime::BrowserRuntime), client_options)
                .await
                .map_err(|error| js_error(&error))?;
            let listeners = Listeners::attach(&client);
            Ok(ImapClient { client, listeners }.into())
        })
    }

    /// Logs in with a user name and password.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn login(&self, user: String, password: String) -> Promise {
        let client = self.client.clone();
        promise(async move { client.login(&user, &password).await })
    }

    /// Logs in with SASL: `{ mechanism: "PLAIN" | "LOGIN" | "XOAUTH2" | "OAUTHBEARER", user, password?, token? }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn authenticate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "AuthenticateOptions")] options: JsValue,
    ) -> Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            let options = Options::new(
                options,
                "authenticate options",
                &["mechanism", "user", "password", "token"],
            )
            .map_err(rejected)?;
            let name = options
                .string("mechanism")
                .map_err(rejected)?
                .unwrap_or_default()
                .to_ascii_uppercase();
            let user = options
                .string("user")
                .map_err(rejected)?
                .ok_or_else(|| invalid("authenticate options need `user`".into()))?;
            let secret = |key: &str| -> Result<Secret, JsValue> {
                options
                    .string(key)
                    .map_err(rejected)?
                    .map(Secret::new)
                    .ok_or_else(|| invalid(format!("{name} needs `{key}`")))
            };
            let mechanism = match name.as_str() {
                "PLAIN" => Mechanism::Plain {
                    password: secret("password")?,
                    user,
                },
                "LOGIN" => Mechanism::Login {
                    password: secret("password")?,
                    user,
                },
                "XOAUTH2" => Mechanism::XOAuth2 {
                    token: secret("token")?,
                    user,
                },
                "OAUTHBEARER" => Mechanism::OAuthBearer {
                    token: secret("token")?,
                    user,
                },
                other => return Err(invalid(format!("unknown mechanism `{other}`"))),
            };
            client.authenticate(mechanism).await.map_err(|error| js_error(&error))?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// The server's capabilities.
    #[wasm_bindgen(getter, unchecked_return_type = "string[]")]
    pub fn capabilities(&self) -> JsValue {
        to_js(&self.client.capabilities()).unwrap_or(JsValue::NULL)
    }

    /// `"connecting" | "ready" | "reconnecting" | "closed"`.
    #[wasm_bindgen(getter, unchecked_return_type = "ConnectionState")]
    pub fn state(&self) -> JsValue {
        to_js(&self.client.state()).unwrap_or(JsValue::NULL)
    }

    /// Every mailbox, special-use folders first.
    #[wasm_bindgen(js_name = listMailboxes, unchecked_return_type = "Promise<Mailbox[]>")]
    pub fn list_mailboxes(&self) -> Promise {
        let client = self.client.clone();
        promise(async move { client.list_mailboxes().await })
    }

    /// Counters of one mailbox.
    #[wasm_bindgen(unchecked_return_type = "Promise<MailboxStatus>")]
    pub fn status(&self, path: String) -> Promise {
        let client = self.client.clone();
        promise(async move { client.status(&path).await })
    }

    /// Reads one metadata entry (RFC 5464) of `mailbox`, `""` for the
    /// account's own, e.g. `/private/vendor/example/settings`; `null` when the
    /// server holds none. Needs METADATA.
    #[wasm_bindgen(js_name = getMetadata, unchecked_return_type = "Promise<string | null>")]
    pub fn get_metadata(&self, mailbox: String, entry: String) -> Promise {
        let client = self.client.clone();
        promise(async move {
            let found = client.get_metadata(&mailbox, std::slice::from_ref(&entry)).await?;
            Ok(found
                .into_iter()
                .find_map(|(_, value)| value)
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
        })
    }

    /// Sets one metadata entry of `mailbox` (`""` for the account's own); `null` removes it.
    #[wasm_bindgen(js_name = setMetadata, unchecked_return_type = "Promise<void>")]
    pub fn set_metadata(&self, mailbox: String, entry: String, value: Option<String>) -> Promise {
        let client = self.client.clone();
        promise(async move {
            client
                .set_metadata(&mailbox, vec![(entry, value.map(String::into_bytes))])
                .await
        })
    }

    /// Selects a mailbox.
    #[wasm_bindgen(unchecked_return_type = "Promise<SelectInfo>")]
    pub fn select(&self, path: String) -> Promise {
        let client = self.client.clone();
        promise(async move { client.select(&path).await })
    }

    /// Selects a mailbox the page keeps a copy of (`{ uidValidity, highestModseq, uids }`)
    /// and says what changed since: `{ info, changes: { reset, vanished, flags } }`.
    /// One round trip with QRESYNC; `reset` when the UIDVALIDITY changed.
    #[wasm_bindgen(js_name = selectSince, unchecked_return_type = "Promise<SelectedSince>")]
    pub fn select_since(
        &self,
        path: String,
        #[wasm_bindgen(unchecked_param_type = "Since")] since: JsValue,
    ) -> Promise {
        let client = self.client.clone();
        promise(async move {
            let since = input::since(since)?;
            let (info, changes) = client.select_since(&path, &since).await?;
            Ok(types::SelectedSince { info, changes })
        })
    }

    /// Selects a mailbox read-only.
    #[wasm_bindgen(unchecked_return_type = "Promise<SelectInfo>")]
    pub fn examine(&self, path: String) -> Promise {
        let client = self.client.clone();
        promise(async move { client.examine(&path).await })
    }

    /// UIDs in display order: `{ sort: "date" | "arrival" | "uid" | "from" | "to" | "subject" | "size", reverse }`;
    /// `uid` (the order the server received them) needs no round trip.
    #[wasm_bindgen(js_name = messageUids, unchecked_return_type = "Promise<number[]>")]
    pub fn message_uids(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SortOptions | undefined")] options: JsValue,
    ) -> Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            let order = input::sort_order(options).map_err(rejected)?;
            to_js(&client.message_uids(&order).await.map_err(|error| js_error(&error))?)
        })
    }

    /// Conversations as UID trees: `{ algorithm: "references" | "orderedsubject" }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<ThreadTree[]>")]
    pub fn threads(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ThreadOptions | undefined")] options: JsValue,
    ) -> Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            let options = Options::new(options, "thread options", &["algorithm"]).map_err(rejected)?;
            let algorithm = options
                .string("algorithm")
                .map_err(rejected)?
                .unwrap_or_else(|| "references".into());
            to_js(&client.threads(&algorithm).await.map_err(|error| js_error(&error))?)
        })
    }

    /// List rows for these UIDs, in the order given (one round trip); `{ preview: true }`
    /// adds a text preview where the server has PREVIEW (it costs the server a body read).
    #[wasm_bindgen(js_name = fetchSummaries, unchecked_return_type = "Promise<MessageSummary[]>")]
    pub fn fetch_summaries(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number[]")] uids: JsValue,
        #[wasm_bindgen(unchecked_param_type = "FetchSummariesOptions | undefined")] options: JsValue,
    ) -> Promise {
        rows(self.client.clone(), uids, options, false)
    }

    /// Rows for a cache, undecoded, as the server sent them, for `decodeSummaries`
    /// when a row is shown; reads at the speed of the wire. Resolves with the
    /// records one after the other, each a UID and a length (4 bytes each,
    /// little-endian) and that many bytes of its FETCH response.
    #[wasm_bindgen(js_name = fetchSummaryRecords, unchecked_return_type = "Promise<Uint8Array>")]
    pub fn fetch_summary_records(&self, #[wasm_bindgen(unchecked_param_type = "number[]")] uids: JsValue) -> Promise {
        rows(self.client.clone(), uids, JsValue::UNDEFINED, true)
    }

    /// A message for reading: decoded headers, text, HTML (unsanitized) and attachments.
    #[wasm_bindgen(js_name = fetchMessage, unchecked_return_type = "Promise<Message>")]
    pub fn fetch_message(&self, uid: u32) -> Promise {
        let client = self.client.clone();
        promise(async move { client.fetch_message(uid).await })
    }

    /// One part's bytes, decoded from its transfer encoding: `{ onProgress(loaded, total) }`.
    #[wasm_bindgen(js_name = fetchPart, unchecked_return_type = "Promise<Uint8Array>")]
    pub fn fetch_part(
        &self,
        uid: u32,
        #[wasm_bindgen(js_name = partId)] part_id: String,
        #[wasm_bindgen(unchecked_param_type = "FetchPartOptions | undefined")] options: JsValue,
    ) -> Promise {
        let client = self.client.clone();
        let report = progress_callback(&options);
        future_to_promise(async move {
            let bytes = client
                .fetch_part(uid, &part_id, report)
                .await
                .map_err(|error| js_error(&error))?;
            Ok(Uint8Array::from(bytes.as_slice()).into())
        })
    }

    /// The whole RFC 5322 message.
    #[wasm_bindgen(js_name = fetchRaw, unchecked_return_type = "Promise<Uint8Array>")]
    pub fn fetch_raw(&self, uid: u32) -> Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            let bytes = client.fetch_raw(uid).await.map_err(|error| js_error(&error))?;
            Ok(Uint8Array::from(bytes.as_slice()).into())
        })
    }

    /// UIDs matching a query (all given criteria must hold).
    #[wasm_bindgen(unchecked_return_type = "Promise<number[]>")]
    pub fn search(&self, #[wasm_bindgen(unchecked_param_type = "SearchQuery")] query: JsValue) -> Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            let query = input::search_query(query).map_err(rejected)?;
            to_js(&client.search(&query).await.map_err(|error| js_error(&error))?)
        })
    }

    /// UIDs matching IMAP search syntax, e.g. `UNSEEN FROM "bob"`.
    #[wasm_bindgen(js_name = searchRaw, unchecked_return_type = "Promise<number[]>")]
    pub fn search_raw(&self, criteria: String) -> Promise {
        let client = self.client.clone();
        promise(async move { client.search_raw(&criteria).await })
    }

    /// Adds, removes or replaces flags: `mode` is `"add" | "remove" | "replace"`.
    #[wasm_bindgen(js_name = setFlags, unchecked_return_type = "Promise<void>")]
    pub fn set_flags(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number[]")] uids: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string[]")] flags: JsValue,
        #[wasm_bindgen(unchecked_param_type = "\"add\" | \"remove\" | \"replace\"")] mode: JsValue,
    ) -> Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            let uids = input::uids(uids).map_err(rejected)?;
            let flags = input::strings(flags, "flags").map_err(rejected)?;
            let mode = input::flags_mode(mode).map_err(rejected)?;
            client
                .set_flags(&uids, &flags, mode)
                .await
                .map_err(|error| js_error(&error))?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Copies messages; resolves to the UID map when the server reports one.
    #[wasm_bindgen(unchecked_return_type = "Promise<UidMap | null>")]
    pub fn copy(&self, #[wasm_bindgen(unchecked_param_type = "number[]")] uids: JsValue, target: String) -> Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            let uids = input::uids(uids).map_err(rejected)?;
            to_js(&client.copy(&uids, &target).await.map_err(|error| js_error(&error))?)
        })
    }

    /// Moves messages (MOVE, or a loss-free COPY + delete without it).
    #[wasm_bindgen(js_name = "move", unchecked_return_type = "Promise<UidMap | null>")]
    pub fn move_messages(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number[]")] uids: JsValue,
        target: String,
    ) -> Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            let uids = input::uids(uids).map_err(rejected)?;
            to_js(
                &client
                    .move_messages(&uids, &target)
                    .await
                    .map_err(|error| js_error(&error))?,
            )
        })
    }

    /// Removes messages marked `\Deleted` (only `uids`, when given).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn expunge(&self, #[wasm_bindgen(unchecked_param_type = "number[] | undefined")] uids: JsValue) -> Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            let uids: Option<Vec<u32>> = if uids.is_undefined() || uids.is_null() {
                None
            } else {
                Some(input::uids(uids).map_err(rejected)?)
            };
            client
                .expunge(uids.as_deref())
                .await
                .map_err(|error| js_error(&error))?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Stores a message; resolves to its UID when the server reports it.
    #[wasm_bindgen(unchecked_return_type = "Promise<number | null>")]
    pub fn append(
        &self,
        mailbox: String,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | string")] message: JsValue,
        #[wasm_bindgen(unchecked_param_type = "AppendOptions | undefined")] options: JsValue,
    ) -> Promise {
        let client = self.client.clone();
        let progress = progress_callback(&options);
        future_to_promise(async move {
            let bytes = match message.as_string() {
                Some(text) => text.into_bytes(),
                None => message
                    .dyn_into::<Uint8Array>()
                    .map(|array| array.to_vec())
                    .map_err(|_| invalid("the message must be a Uint8Array or a string".into()))?,
            };
            let options =
                Options::new(options, "append options", &["flags", "date", "onProgress"]).map_err(rejected)?;
            let flags = options.strings("flags").map_err(rejected)?.unwrap_or_default();
            let date = options.string("date").map_err(rejected)?;
            let uid = client
                .append(&mailbox, bytes, &flags, date.as_deref(), progress)
                .await
                .map_err(|error| js_error(&error))?;
            to_js(&uid)
        })
    }

    /// Creates a mailbox.
    #[wasm_bindgen(js_name = createMailbox, unchecked_return_type = "Promise<void>")]
    pub fn create_mailbox(&self, path: String) -> Promise {
        let client = self.client.clone();
        promise(async move { client.create_mailbox(&path).await })
    }

    /// Renames a mailbox.
    #[wasm_bindgen(js_name = renameMailbox, unchecked_return_type = "Promise<void>")]
    pub fn rename_mailbox(&self, from: String, to: String) -> Promise {
        let client = self.client.clone();
        promise(async move { client.rename_mailbox(&from, &to).await })
    }

    /// Deletes a mailbox.
    #[wasm_bindgen(js_name = deleteMailbox, unchecked_return_type = "Promise<void>")]
    pub fn delete_mailbox(&self, path: String) -> Promise {
        let client = self.client.clone();
        promise(async move { client.delete_mailbox(&path).await })
    }

    /// Subscribes to a mailbox.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn subscribe(&self, path: String) -> Promise {
        let client = self.client.clone();
        promise(async move { client.subscribe(&path).await })
    }

    /// Unsubscribes from a mailbox.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn unsubscribe(&self, path: String) -> Promise {
        let client = self.client.clone();
        promise(async move { client.unsubscribe(&path).await })
    }

    /// Listens for `"exists" | "expunge" | "flags" | "mailboxes" | "state" | "alert" | "uidvalidity" | "badresponse"`.
    #[wasm_bindgen(js_name = addEventListener)]
    pub fn add_event_listener(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ClientEventType")] kind: String,
        #[wasm_bindgen(unchecked_param_type = "(event: ClientEvent) => void")] handler: Function,
    ) -> Result<(), JsValue> {
        self.listeners.add(kind, handler)
    }

    /// Stops listening.
    #[wasm_bindgen(js_name = removeEventListener)]
    pub fn remove_event_listener(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ClientEventType")] kind: String,
        #[wasm_bindgen(unchecked_param_type = "(event: ClientEvent) => void")] handler: Function,
    ) {
        self.listeners.remove(&kind, &handler);
    }

    /// Logs out and closes the connection.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn logout(&self) -> Promise {
        let client = self.client.clone();
        promise(async move { client.logout().await })
    }
}

/// The `onProgress(loaded, total)` function of an options object, as a progress callback.
fn progress_callback(options: &JsValue) -> Option<crate::client::ProgressFn> {
    let callback = Reflect::get(options, &JsValue::from_str("onProgress"))
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    Some(Box::new(move |loaded: u64, total: u64| {
        let _ = callback.call2(
            &JsValue::NULL,
            &JsValue::from_f64(loaded as f64),
            &JsValue::from_f64(total as f64),
        );
    }))
}

/// `fetchSummaries`, or with `undecoded` `fetchSummaryRecords`: one future for
/// both, as each future costs the package its own state machine.
fn rows(client: Client, uids: JsValue, options: JsValue, undecoded: bool) -> Promise {
    future_to_promise(async move {
        let uids = input::uids(uids).map_err(rejected)?;
        if !undecoded {
            let options = input::summary_options(options).map_err(rejected)?;
            return to_js(
                &client
                    .fetch_summaries_with(&uids, options)
                    .await
                    .map_err(|error| js_error(&error))?,
            );
        }
        let records = client
            .fetch_summary_records(&uids)
            .await
            .map_err(|error| js_error(&error))?;
        let mut packed = Vec::with_capacity(records.iter().map(|record| 8 + record.response.len()).sum());
        for record in &records {
            // usize is 32 bits on wasm32: the length fits, whatever the response limit.
            let length = record.response.len() as u32;
            packed.extend_from_slice(&record.uid.to_le_bytes());
            packed.extend_from_slice(&length.to_le_bytes());
            packed.extend_from_slice(&record.response);
        }
        Ok(Uint8Array::from(packed.as_slice()).into())
    })
}
