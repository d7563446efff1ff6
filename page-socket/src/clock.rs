//! The browser's clock and timers, in windows and in workers alike.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

fn global_function(name: &str) -> Option<Function> {
    Reflect::get(&js_sys::global(), &JsValue::from_str(name))
        .ok()?
        .dyn_into()
        .ok()
}

/// Milliseconds from `performance.now()` (monotonic), or `Date.now()` without it.
pub fn now() -> u64 {
    let performance = Reflect::get(&js_sys::global(), &JsValue::from_str("performance")).ok();
    let now = performance
        .and_then(|performance| {
            let now: Function = Reflect::get(&performance, &JsValue::from_str("now"))
                .ok()?
                .dyn_into()
                .ok()?;
            now.call0(&performance).ok()?.as_f64()
        })
        .unwrap_or_else(js_sys::Date::now);
    now as u64
}

/// Resolves after `millis` (a `setTimeout`).
pub async fn sleep(millis: u64) {
    let promise = Promise::new(&mut |resolve, _reject| {
        if let Some(set_timeout) = global_function("setTimeout") {
            let delay = JsValue::from_f64(millis.min(i32::MAX as u64) as f64);
            let _ = set_timeout.call2(&JsValue::NULL, &resolve, &delay);
        }
    });
    let _ = JsFuture::from(promise).await;
}
