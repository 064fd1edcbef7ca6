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

    /// `navigator.locks.request(name, options, callback)`.
    #[wasm_bindgen(js_namespace = ["navigator", "locks"], js_name = request, catch)]
    fn request_lock_with(name: &str, options: &JsValue, callback: &Function) -> Result<Promise, JsValue>;
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

/// Takes the lock `name` for as long as this page lives, if no tab holds it: resolves to whether
/// it was free (`None` where Web Locks are missing).
pub fn claim(name: &str) -> Option<JsFuture> {
    let (answer, tell) = deferred();
    let callback = Closure::once_into_js(move |lock: JsValue| -> JsValue {
        if let Some(tell) = tell {
            let _ = tell.call1(&JsValue::NULL, &(!lock.is_null()).into());
        }
        // Held until the page goes: a promise nothing settles.
        deferred().0.into()
    });
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE);
    let _ = request_lock_with(name, &options, callback.unchecked_ref()).ok()?;
    Some(answer.into())
}
