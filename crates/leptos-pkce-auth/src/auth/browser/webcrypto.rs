//! Signature checks with the browser's WebCrypto (`crypto.subtle`), no crypto code shipped.

use js_sys::{Object, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};

use super::{js_message, json};
use crate::auth::error::AuthError;
use crate::auth::json::Json;
use crate::auth::jws::{Jwk, SigningAlg};

/// A WebCrypto algorithm object (`{name, hash, namedCurve, …}`) from its members.
pub(super) fn algorithm(members: &[(&str, &str)]) -> Object {
    let members = members.iter().map(|(k, v)| (k.to_string(), Json::String(v.to_string())));
    json::to_js(&Json::Object(members.collect())).unchecked_into()
}

/// The browser's `crypto.subtle`, when there is one (secure contexts only).
pub(super) fn subtle() -> Option<SubtleCrypto> {
    web_sys::window().and_then(|w| w.crypto().ok()).map(|c| c.subtle())
}

/// P-256 ECDSA keys (RFC 7518 §3.4), for `generateKey` and `importKey`.
pub(super) const P256: [(&str, &str); 2] = [("name", "ECDSA"), ("namedCurve", "P-256")];
/// ES256 signatures (RFC 7518 §3.4), for `sign` and `verify`.
pub(super) const ES256: [(&str, &str); 2] = [("name", "ECDSA"), ("hash", "SHA-256")];

/// WebCrypto's names for each algorithm: (import parameters, verify parameters).
fn parameters(alg: SigningAlg) -> (Object, Object) {
    match alg {
        SigningAlg::Rs256 => {
            let name = ("name", "RSASSA-PKCS1-v1_5");
            (algorithm(&[name, ("hash", "SHA-256")]), algorithm(&[name]))
        }
        SigningAlg::Es256 => (algorithm(&P256), algorithm(&ES256)),
    }
}

/// Whether `signature` over `data` verifies with `key` (RFC 7518 §3.3 RS256, §3.4 ES256).
pub async fn verify(alg: SigningAlg, key: &Jwk, data: &[u8], signature: &[u8]) -> Result<bool, AuthError> {
    let fail = |e: wasm_bindgen::JsValue| AuthError::IdTokenSignature(js_message(&e));
    let subtle = subtle().ok_or_else(|| AuthError::IdTokenSignature("WebCrypto is not available".into()))?;
    let (import, check) = parameters(alg);
    let members = key.key_material().into_iter().map(|(name, value)| (name.to_owned(), Json::String(value.to_owned())));
    let material: Object = json::to_js(&Json::Object(members.collect())).unchecked_into();
    let usages = js_sys::Array::of1(&"verify".into());
    let imported = subtle.import_key_with_object("jwk", &material, &import, false, &usages).map_err(fail)?;
    let key: CryptoKey = JsFuture::from(imported).await.map_err(fail)?.unchecked_into();
    // Copies keep the views valid across the await.
    let (signature, data) = (Uint8Array::from(signature).to_vec(), Uint8Array::from(data).to_vec());
    let verified =
        subtle.verify_with_object_and_u8_array_and_u8_array(&check, &key, &signature, &data).map_err(fail)?;
    Ok(JsFuture::from(verified).await.map_err(fail)?.as_bool() == Some(true))
}

/// SHA-256 of `data` by WebCrypto (no hash code shipped): RFC 7636 §4.2's S256 challenge.
pub async fn sha256(data: &[u8]) -> Result<Vec<u8>, AuthError> {
    let fail = |e: wasm_bindgen::JsValue| AuthError::Storage(js_message(&e));
    let subtle = subtle().ok_or_else(|| AuthError::Storage("WebCrypto is not available".into()))?;
    let digest = JsFuture::from(subtle.digest_with_str_and_u8_array("SHA-256", data).map_err(fail)?);
    Ok(Uint8Array::new(&digest.await.map_err(fail)?).to_vec())
}
