//! The one place where Rust errors become JavaScript: a real `Error` with a
//! `code` for every failure, and a panic reported to the page (the module is
//! unusable after one, so the page must know to reload).

use crate::client::ErrorKind;
use js_sys::{Function, Promise, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::client::ClientError;

/// A Rust error as a JavaScript `Error` with `code` (and the server's text as `message`).
pub(super) fn js_error(error: &ClientError) -> JsValue {
    let js = js_sys::Error::new(error.message());
    let _ = Reflect::set(&js, &JsValue::from_str("code"), &JsValue::from_str(error.code()));
    js.into()
}

/// An `INVALID_ARGUMENT` error for a bad argument, as a rejection value.
pub(super) fn invalid(message: String) -> JsValue {
    js_error(&ClientError::invalid_argument(message))
}

/// A Rust value as a JavaScript value (missing fields as `null`, maps as objects).
pub(super) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    let serializer = serde_wasm_bindgen::Serializer::new()
        .serialize_missing_as_null(true)
        .serialize_maps_as_objects(true);
    value
        .serialize(&serializer)
        .map_err(|error| js_error(&ClientError::new(ErrorKind::Protocol, error.to_string())))
}

/// Maps an input error to a rejected value.
pub(super) fn rejected(error: ClientError) -> JsValue {
    js_error(&error)
}

/// Runs an async operation as a Promise, mapping errors to JS `Error`s.
pub(super) fn promise<T: Serialize + 'static>(
    future: impl std::future::Future<Output = Result<T, ClientError>> + 'static,
) -> Promise {
    future_to_promise(async move {
        match future.await {
            Ok(value) => to_js(&value),
            Err(error) => Err(js_error(&error)),
        }
    })
}

/// Reports a panic instead of letting the page fail silently: the module is unusable
/// afterwards, so the page must know to reload.
pub(super) fn report_panic(info: &std::panic::PanicHookInfo<'_>) {
    let message = format!("client-wasm panicked: {info}");
    web_sys::console::error_1(&JsValue::from_str(&message));
    let global = js_sys::global();
    if let Ok(dispatch) = Reflect::get(&global, &JsValue::from_str("dispatchEvent")) {
        if let (Ok(dispatch), Ok(event)) = (
            dispatch.dyn_into::<Function>(),
            web_sys::CustomEvent::new_with_event_init_dict("imapclient:panic", &{
                let init = web_sys::CustomEventInit::new();
                init.set_detail(&JsValue::from_str(&message));
                init
            }),
        ) {
            let _ = dispatch.call1(&global, &event);
        }
    }
}
