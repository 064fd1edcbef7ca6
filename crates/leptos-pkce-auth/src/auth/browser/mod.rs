//! The only place that touches web-sys: storage, fetch, randomness, the tab channel, the address bar.

pub mod channel;
pub mod dpop_key;
pub mod http;
pub mod journal;
pub mod json;
pub mod location;
pub mod lock;
pub mod random;
pub mod storage;
pub mod wake;
pub mod webcrypto;

use wasm_bindgen::JsValue;

/// The text of a JavaScript exception, for error messages.
pub(crate) fn js_message(value: &JsValue) -> String {
    js_sys::Error::from(value.clone()).message().into()
}

/// Seconds since the epoch, from the browser's clock.
pub fn now() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}
