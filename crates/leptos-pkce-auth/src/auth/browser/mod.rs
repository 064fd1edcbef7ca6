//! The only place that touches web-sys: storage, fetch, randomness, the tab channel, the address bar.

pub mod channel;
pub mod dpop_key;
pub mod http;
pub mod idb;
pub mod journal;
pub mod json;
pub mod location;
pub mod lock;
pub mod random;
pub mod rotation;
pub mod storage;
pub mod wake;
pub mod webcrypto;

use wasm_bindgen::JsValue;

#[cfg(split)]
use crate::auth::error::AuthError;

/// The text of a JavaScript exception, for error messages.
pub(crate) fn js_message(value: &JsValue) -> String {
    js_sys::Error::from(value.clone()).message().into()
}

/// Seconds since the epoch, from the browser's clock.
pub fn now() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

/// A part of the shipped build that could not be fetched when first needed (a passing network
/// error: the next use fetches it again).
#[cfg(split)]
pub(crate) fn not_fetched(what: &str) -> AuthError {
    AuthError::Network(format!("{what}'s code could not be fetched"))
}
