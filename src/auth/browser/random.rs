//! The browser's CSPRNG (`crypto.getRandomValues`).

use crate::auth::error::AuthError;

/// Fills `bytes` from the CSPRNG; never falls back to a weaker source.
pub fn fill(bytes: &mut [u8]) -> Result<(), AuthError> {
    let crypto = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .ok_or_else(|| AuthError::Storage("this browser has no crypto.getRandomValues".into()))?;
    crypto.get_random_values_with_u8_array(bytes).map(|_| ()).map_err(|e| AuthError::Storage(super::js_message(&e)))
}
