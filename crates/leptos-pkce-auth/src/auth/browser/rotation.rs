//! The newest token set of each session, as a time, in IndexedDB: a tab about to spend a refresh
//! token learns, in order, whether another tab has already rotated it (RFC 9700 §4.14.2).

use wasm_bindgen::JsValue;
use web_sys::IdbTransactionMode;

use super::idb::in_store;
use crate::auth::error::AuthError;

const KEY: &str = "rotation";

/// Records that `session`'s newest token set is the one updated at `updated_at`.
pub async fn record(session: &str, updated_at: u64) -> Result<(), AuthError> {
    let value = JsValue::from(format!("{updated_at} {session}"));
    in_store(IdbTransactionMode::Readwrite, |store| store.put_with_key(&value, &KEY.into())).await.map(drop)
}

/// When `session`'s newest token set was updated, if a tab recorded it.
pub async fn newest(session: &str) -> Option<u64> {
    let value = in_store(IdbTransactionMode::Readonly, |store| store.get(&KEY.into())).await.ok()?.as_string()?;
    let (updated_at, of) = value.split_once(' ')?;
    if of == session { updated_at.parse().ok() } else { None }
}
