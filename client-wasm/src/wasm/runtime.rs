//! The browser's clock, timers and task spawning for the client.

use crate::client::{LocalFuture, Runtime};

/// Timers via `setTimeout`, time via `performance.now()` (`page_socket::clock`),
/// tasks via the microtask queue. Works in windows and in workers.
#[derive(Debug, Default)]
pub(crate) struct BrowserRuntime;

impl Runtime for BrowserRuntime {
    fn now(&self) -> u64 {
        page_socket::clock::now()
    }

    fn sleep(&self, millis: u64) -> LocalFuture<'static, ()> {
        Box::pin(page_socket::clock::sleep(millis))
    }

    fn spawn(&self, task: LocalFuture<'static, ()>) {
        wasm_bindgen_futures::spawn_local(task);
    }
}
