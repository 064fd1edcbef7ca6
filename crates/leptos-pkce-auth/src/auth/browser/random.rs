//! The browser's CSPRNG (`crypto.getRandomValues`), through getrandom.

use crate::auth::error::AuthError;

/// Fills `bytes` from the CSPRNG (RFC 7636 §4.1 asks for a cryptographically random verifier);
/// never falls back to a weaker source.
pub fn fill(bytes: &mut [u8]) -> Result<(), AuthError> {
    getrandom::fill(bytes).map_err(|_| AuthError::Storage("this browser has no crypto.getRandomValues".into()))
}
