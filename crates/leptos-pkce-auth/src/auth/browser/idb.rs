//! IndexedDB, one small key-value store for this origin: it keeps what storage cannot (a
//! `CryptoKey`, by structured clone) and what every tab must read in order (a committed write is
//! seen by every transaction that starts after it, in any tab).

use js_sys::Promise;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbObjectStore, IdbRequest, IdbTransactionMode};

use super::js_message;
use crate::auth::error::AuthError;

const DATABASE: &str = "leptos-pkce";
const STORE: &str = "keys";

fn fail(e: JsValue) -> AuthError {
    AuthError::Storage(format!("IndexedDB: {}", js_message(&e)))
}

/// Resolves when `request` succeeds, with its result.
async fn settle(request: &IdbRequest) -> Result<JsValue, AuthError> {
    let promise = Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    JsFuture::from(promise)
        .await
        .map_err(|_| fail(request.error().ok().flatten().map_or(JsValue::NULL, Into::into)))?;
    request.result().map_err(fail)
}

/// The key store, created on first use.
async fn database() -> Result<IdbDatabase, AuthError> {
    let factory = web_sys::window().and_then(|w| w.indexed_db().ok().flatten());
    let factory = factory.ok_or_else(|| AuthError::Storage("IndexedDB is not available".into()))?;
    let open = factory.open_with_u32(DATABASE, 1).map_err(fail)?;
    let upgrade = Closure::once_into_js(move |event: web_sys::Event| {
        let db = event.target().and_then(|t| t.dyn_into::<IdbRequest>().ok()).and_then(|r| r.result().ok());
        if let Some(db) = db.and_then(|db| db.dyn_into::<IdbDatabase>().ok()) {
            let _ = db.create_object_store(STORE);
        }
    });
    open.set_onupgradeneeded(Some(upgrade.unchecked_ref()));
    settle(&open).await?.dyn_into().map_err(fail)
}

/// Runs one request on the store and waits for its transaction to commit.
pub async fn in_store(
    mode: IdbTransactionMode,
    act: impl FnOnce(&IdbObjectStore) -> Result<IdbRequest, JsValue>,
) -> Result<JsValue, AuthError> {
    let db = database().await?;
    let transaction = db.transaction_with_str_and_mode(STORE, mode).map_err(fail)?;
    let request = act(&transaction.object_store(STORE).map_err(fail)?).map_err(fail)?;
    let result = settle(&request).await;
    db.close();
    result
}
