//! The browser's clock, timers and task spawning for the client.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::client::{LocalFuture, Runtime};

/// Timers via `setTimeout`, time via `performance.now()`, tasks via the microtask queue.
/// Works in windows and in workers.
#[derive(Debug, Default)]
pub(crate) struct BrowserRuntime;

fn global_function(name: &str) -> Option<Function> {
    Reflect::get(&js_sys::global(), &JsValue::from_str(name))
        .ok()?
        .dyn_into()
        .ok()
}

impl Runtime for BrowserRuntime {
    fn now(&self) -> u64 {
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

    fn sleep(&self, millis: u64) -> LocalFuture<'static, ()> {
        let promise = Promise::new(&mut |resolve, _reject| {
            if let Some(set_timeout) = global_function("setTimeout") {
                let delay = JsValue::from_f64(millis.min(i32::MAX as u64) as f64);
                let _ = set_timeout.call2(&JsValue::NULL, &resolve, &delay);
            }
        });
        Box::pin(async move {
            let _ = JsFuture::from(promise).await;
        })
    }

    fn spawn(&self, task: LocalFuture<'static, ()>) {
        wasm_bindgen_futures::spawn_local(task);
    }
}
