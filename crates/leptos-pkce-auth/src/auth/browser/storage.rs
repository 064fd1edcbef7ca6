//! Web Storage: login transactions (sessionStorage), and the discovery cache, the "was signed in"
//! marker and `local`-mode tokens (localStorage). Contents are re-validated on every read.

use web_sys::Storage;

use super::js_message;
use crate::auth::authorize::Transaction;
use crate::auth::error::AuthError;
use crate::auth::record::Record;

const TRANSACTION_PREFIX: &str = "leptos-pkce.tx.";
/// Non-secret: says a session may exist at the provider, so a silent sign-in is worth trying.
pub const SIGNED_IN_MARKER: &str = "leptos-pkce.signed-in";
/// The token set in `local` mode.
pub const TOKENS: &str = "leptos-pkce.tokens";
/// The cached discovery document.
pub const DISCOVERY: &str = "leptos-pkce.discovery";
/// The cached JWKS (public keys).
pub const JWKS: &str = "leptos-pkce.jwks";

/// Which Web Storage area.
#[derive(Clone, Copy)]
pub enum Area {
    Session,
    Local,
}

fn area(which: Area) -> Result<Storage, AuthError> {
    let window = web_sys::window().ok_or_else(|| AuthError::Storage("no window".into()))?;
    let storage = match which {
        Area::Session => window.session_storage(),
        Area::Local => window.local_storage(),
    };
    storage
        .map_err(|e| AuthError::Storage(js_message(&e)))?
        .ok_or_else(|| AuthError::Storage("web storage is disabled".into()))
}

/// Reads a key; a disabled storage reads as empty.
pub fn get(which: Area, key: &str) -> Option<String> {
    area(which).ok()?.get_item(key).ok().flatten()
}

/// Writes a key.
pub fn set(which: Area, key: &str, value: &str) -> Result<(), AuthError> {
    area(which)?.set_item(key, value).map_err(|e| AuthError::Storage(js_message(&e)))
}

/// Removes a key; nothing to do when storage is disabled.
pub fn remove(which: Area, key: &str) {
    if let Ok(storage) = area(which) {
        let _ = storage.remove_item(key);
    }
}

/// Removes the `local`-mode token set if it belongs to `session` (signed out of).
pub fn remove_tokens_of(session: &str) {
    let stored = get(Area::Local, TOKENS).map(|text| Record::decode(&text).get("session") == Some(session));
    if stored == Some(true) {
        remove(Area::Local, TOKENS);
    }
}

/// Saves a login transaction under its `state`.
pub fn save_transaction(transaction: &Transaction) -> Result<(), AuthError> {
    set(Area::Session, &format!("{TRANSACTION_PREFIX}{}", transaction.state), &transaction.encode())
}

/// Takes (reads and deletes at once: single use) the transaction for `state`.
pub fn take_transaction(state: &str) -> Option<Transaction> {
    let key = format!("{TRANSACTION_PREFIX}{state}");
    let text = get(Area::Session, &key)?;
    remove(Area::Session, &key);
    Transaction::decode(&text)
}

/// Deletes transactions that are stale or unreadable.
pub fn sweep_transactions(now: u64) {
    let Ok(storage) = area(Area::Session) else {
        return;
    };
    let len = storage.length().unwrap_or(0);
    let keys: Vec<String> = (0..len).filter_map(|i| storage.key(i).ok().flatten()).collect();
    for key in keys.iter().filter(|k| k.starts_with(TRANSACTION_PREFIX)) {
        let stale = storage
            .get_item(key)
            .ok()
            .flatten()
            .and_then(|text| Transaction::decode(&text))
            .is_none_or(|t| t.is_stale(now));
        if stale {
            let _ = storage.remove_item(key);
        }
    }
}

/// Deletes every pending transaction of this tab (a callback, good or bad, ends this tab's login).
pub fn drop_transactions() {
    sweep_transactions(u64::MAX);
}
