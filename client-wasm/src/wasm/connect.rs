//! What `ImapClient.connect(options)` reads: where the bridge is, which server,
//! end-to-end TLS, and the client's behaviour; the result is a connector (one
//! WebSocket per connection and reconnection) and the client's options.

use std::rc::Rc;

use js_sys::Function;
use wasm_bindgen::prelude::*;

use super::errors::{invalid, rejected};
use super::input::Options;
use super::{page_tls, transport};
use crate::client::{ClientOptions, Connector};

/// The connector and the client options `options` describe, or an
/// `INVALID_ARGUMENT` rejection saying what is wrong.
pub(super) fn from_options(options: JsValue) -> Result<(Rc<dyn Connector>, ClientOptions), JsValue> {
    let options = Options::new(
        options,
        "connect options",
        &[
            "url",
            "upstream",
            "host",
            "port",
            "reconnect",
            "idle",
            "compress",
            "endToEnd",
        ],
    )
    .map_err(rejected)?;
    let url = options
        .string("url")
        .map_err(rejected)?
        .ok_or_else(|| invalid("connect options need `url` (the bridge's /ws endpoint)".into()))?;
    let target = match (
        options.string("upstream").map_err(rejected)?,
        options.string("host").map_err(rejected)?,
        options.number("port").map_err(rejected)?,
    ) {
        (Some(upstream), None, None) => format!("upstream={}", encode_query(&upstream)),
        (None, Some(host), Some(port)) => format!("host={}&port={port}", encode_query(&host)),
        _ => return Err(invalid("give either `upstream`, or `host` and `port`".into())),
    };
    let separator = if url.contains('?') { '&' } else { '?' };
    let socket = transport::WebSocketConnector {
        url: format!("{url}{separator}{target}"),
    };
    let connector: Rc<dyn Connector> = match options.value("endToEnd") {
        None => Rc::new(socket),
        Some(end_to_end) => {
            let end_to_end = Options::new(end_to_end, "endToEnd", &["createSession", "starttls"]).map_err(rejected)?;
            let create_session = end_to_end
                .value("createSession")
                .and_then(|value| value.dyn_into::<Function>().ok())
                .ok_or_else(|| invalid("endToEnd needs `createSession`, a function returning a TlsSession".into()))?;
            Rc::new(page_tls::PageTlsConnector {
                socket,
                create_session,
                starttls: end_to_end.boolean("starttls").map_err(rejected)?.unwrap_or(false),
            })
        }
    };
    let client_options = ClientOptions {
        reconnect: options.boolean("reconnect").map_err(rejected)?.unwrap_or(true),
        idle: options.boolean("idle").map_err(rejected)?.unwrap_or(true),
        compress: options.boolean("compress").map_err(rejected)?.unwrap_or(false),
        starttls: false,
        ..ClientOptions::default()
    };
    Ok((connector, client_options))
}

/// A query parameter value, percent-encoded.
fn encode_query(value: &str) -> String {
    js_sys::encode_uri_component(value).as_string().unwrap_or_default()
}
