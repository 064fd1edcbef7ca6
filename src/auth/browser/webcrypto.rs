//! Signature checks with the browser's WebCrypto (`crypto.subtle`), no crypto code shipped.

use js_sys::{JSON, Object, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::CryptoKey;

use super::{js_message, json};
use crate::auth::error::AuthError;
use crate::auth::json::Json;
use crate::auth::jws::{Jwk, SigningAlg};

fn object(json: &str) -> Result<Object, AuthError> {
    JSON::parse(json)
        .map_err(|e| AuthError::IdTokenSignature(js_message(&e)))?
        .dyn_into::<Object>()
        .map_err(|_| AuthError::IdTokenSignature("not an object".into()))
}

/// WebCrypto's names for each algorithm: (import parameters, verify parameters).
fn parameters(alg: SigningAlg) -> (&'static str, &'static str) {
    match alg {
        SigningAlg::Rs256 => (r#"{"name":"RSASSA-PKCS1-v1_5","hash":"SHA-256"}"#, r#"{"name":"RSASSA-PKCS1-v1_5"}"#),
        SigningAlg::Es256 => (r#"{"name":"ECDSA","namedCurve":"P-256"}"#, r#"{"name":"ECDSA","hash":"SHA-256"}"#),
    }
}

/// Whether `signature` over `data` verifies with `key` (RFC 7518 §3.3 RS256, §3.4 ES256).
pub async fn verify(alg: SigningAlg, key: &Jwk, data: &[u8], signature: &[u8]) -> Result<bool, AuthError> {
    let fail = |e: wasm_bindgen::JsValue| AuthError::IdTokenSignature(js_message(&e));
    let subtle = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .map(|c| c.subtle())
        .ok_or_else(|| AuthError::IdTokenSignature("WebCrypto is not available".into()))?;
    let (import, check) = parameters(alg);
    let members = key.key_material().into_iter().map(|(name, value)| (name.to_owned(), Json::String(value.to_owned())));
    let material: Object = json::to_js(&Json::Object(members.collect())).unchecked_into();
    let usages = js_sys::Array::of1(&"verify".into());
    let imported = subtle.import_key_with_object("jwk", &material, &object(import)?, false, &usages).map_err(fail)?;
    let key: CryptoKey = JsFuture::from(imported).await.map_err(fail)?.unchecked_into();
    // Copies keep the views valid across the await.
    let (signature, data) = (Uint8Array::from(signature).to_vec(), Uint8Array::from(data).to_vec());
    let verified =
        subtle.verify_with_object_and_u8_array_and_u8_array(&object(check)?, &key, &signature, &data).map_err(fail)?;
    Ok(JsFuture::from(verified).await.map_err(fail)?.as_bool() == Some(true))
}
