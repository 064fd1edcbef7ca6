//! Web Locks (`navigator.locks`): one refresh at a time across every tab of this origin, and
//! within a tab across concurrent callers.

use std::cell::RefCell;
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

thread_local! {
    /// Where Web Locks are missing (not a secure context): the end of this tab's queue, a promise
    /// that resolves when the caller before is done.
    static QUEUE: RefCell<Option<Promise>> = const { RefCell::new(None) };
}

/// Runs `work` while holding the lock `name`, across tabs; where Web Locks are missing, one
/// caller at a time in this tab at least.
pub async fn with_lock<T>(name: &str, work: impl Future<Output = T>) -> T {
    let (granted, grant) = deferred();
    let (released, release) = deferred();
    let done = released.clone();
    let callback = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
        if let Some(grant) = grant {
            let _ = grant.call0(&JsValue::NULL);
        }
        released.into()
    });
    let held = request_lock(name, callback.unchecked_ref());
    let queued = held.is_err().then(|| QUEUE.with(|queue| queue.replace(Some(done))));
    let turn = match queued {
        None => Some(granted),
        Some(before) => before,
    };
    if let Some(turn) = turn {
        let _ = JsFuture::from(turn).await;
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
