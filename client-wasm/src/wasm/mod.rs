//! The JavaScript boundary: the only module that knows about `wasm-bindgen`.

use wasm_bindgen::prelude::*;

/// The version of this package, for the page to show and to check against the bridge.
#[wasm_bindgen(js_name = version)]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
