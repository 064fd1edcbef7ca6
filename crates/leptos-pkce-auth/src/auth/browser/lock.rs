//! Web Locks (`navigator.locks`): one refresh at a time across every tab of this origin, and
//! within a tab across concurrent callers.

use std::future::Future;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    /// `navigator.locks.request(name, callback)` (web-sys keeps it behind an unstable cfg).
    #[wasm_bindgen(js_namespace = ["navigator", "locks"], js_name = request, catch)]
    fn request_lock(name: &str, callback: &Function) -> Result<Promise, JsValue>;
}

/// A promise and the function that resolves it.
fn deferred() -> (Promise, Option<Function>) {
    let mut resolver = None;
    let promise = Promise::new(&mut |resolve, _reject| resolver = Some(resolve));
    (promise, resolver)
}

/// Runs `work` while holding the lock `name`; where Web Locks are missing, runs it unguarded.
pub async fn with_lock<T>(name: &str, work: impl Future<Output = T>) -> T {
    let (granted, grant) = deferred();
    let (released, release) = deferred();
    let callback = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
        if let Some(grant) = grant {
            let _ = grant.call0(&JsValue::NULL);
        }
        released.into()
    });
    let held = request_lock(name, callback.unchecked_ref());
    if held.is_ok() {
        let _ = JsFuture::from(granted).await;
    }
    let result = work.await;
    if let Some(release) = release {
        let _ = release.call0(&JsValue::NULL);
    }
    if let Ok(held) = held {
        let _ = JsFuture::from(held).await;
    }
    result
}

/// Resolves after `ms` milliseconds.
pub async fn sleep(ms: i32) {
    let (elapsed, resolve) = deferred();
    if let (Some(window), Some(resolve)) = (web_sys::window(), resolve) {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        let _ = JsFuture::from(elapsed).await;
    }
}
