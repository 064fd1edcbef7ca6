//! The app's DPoP key (RFC 9449 §2): a P-256 pair made by WebCrypto with a non-extractable
//! private half, kept as a `CryptoKey` in IndexedDB (structured clone: never as bytes) so that it
//! lives through reloads and in new tabs exactly as long as the tokens bound to it.

#[cfg(split)]
use std::{future::Future, pin::Pin};

use std::cell::RefCell;

use js_sys::{Array, Reflect, Uint8Array};
#[cfg(split)]
use leptos::wasm_split::SplitLoaderError;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, IdbTransactionMode, SubtleCrypto};

use super::idb::in_store;
#[cfg(split)]
use super::not_fetched;
use super::webcrypto::{ES256, P256, algorithm};
use super::{js_message, json, random, webcrypto};
use crate::auth::dpop::{Proof, PublicKey, compact, nonce_of};
use crate::auth::error::AuthError;
use crate::auth::json::Json;
use crate::auth::pkce::random_string;
use crate::auth::url::origin_prefix;

const KEY_NAME: &str = "dpop";

/// The key pair: the private half usable only for signing, and the public JWK.
#[derive(Clone)]
pub struct DpopKey {
    pair: JsValue,
    private: CryptoKey,
    pub public: PublicKey,
}

fn fail(e: JsValue) -> AuthError {
    AuthError::Storage(format!("the DPoP key: {}", js_message(&e)))
}

fn subtle() -> Result<SubtleCrypto, AuthError> {
    webcrypto::subtle().ok_or_else(|| AuthError::Storage("WebCrypto is not available".into()))
}

fn read_pair(pair: JsValue, public: Json) -> Option<DpopKey> {
    let private = Reflect::get(&pair, &"privateKey".into()).ok()?.dyn_into().ok()?;
    Some(DpopKey { pair, private, public: PublicKey::from_jwk(&public)? })
}

async fn public_jwk(pair: &JsValue) -> Result<Json, AuthError> {
    let public: CryptoKey = Reflect::get(pair, &"publicKey".into()).map_err(fail)?.dyn_into().map_err(fail)?;
    let exported = JsFuture::from(subtle()?.export_key("jwk", &public).map_err(fail)?).await.map_err(fail)?;
    json::from_value(&exported).ok_or_else(|| AuthError::Storage("the DPoP key: unreadable public key".into()))
}

/// The stored key, if there is one (a stored value that is not a key pair reads as none).
pub async fn load() -> Result<Option<DpopKey>, AuthError> {
    let pair = in_store(IdbTransactionMode::Readonly, |store| store.get(&KEY_NAME.into())).await?;
    if pair.is_undefined() || pair.is_null() {
        return Ok(None);
    }
    let public = public_jwk(&pair).await.ok();
    Ok(public.and_then(|public| read_pair(pair, public)))
}

/// Makes a new key pair, the private half not extractable; [`DpopKey::save`] keeps it once
/// tokens are bound to it.
pub async fn create() -> Result<DpopKey, AuthError> {
    let usages = Array::of1(&"sign".into());
    let promise = subtle()?.generate_key_with_object(&algorithm(&P256), false, &usages).map_err(fail)?;
    let pair = JsFuture::from(promise).await.map_err(fail)?;
    let public = public_jwk(&pair).await?;
    read_pair(pair, public).ok_or_else(|| AuthError::Storage("the DPoP key: not a key pair".into()))
}

/// Deletes the stored key (sign-out: the tokens bound to it are gone).
pub async fn delete() -> Result<(), AuthError> {
    in_store(IdbTransactionMode::Readwrite, |store| store.delete(&KEY_NAME.into())).await.map(drop)
}

impl DpopKey {
    /// Stores the key, replacing any other (a new sign-in's tokens are bound to it).
    pub async fn save(&self) -> Result<(), AuthError> {
        in_store(IdbTransactionMode::Readwrite, |store| store.put_with_key(&self.pair, &KEY_NAME.into()))
            .await
            .map(drop)
    }

    /// An ES256 signature of `input` (RFC 7518 §3.4: `r || s`, as WebCrypto makes it).
    pub async fn sign(&self, input: &str) -> Result<Vec<u8>, AuthError> {
        let promise = subtle()?
            .sign_with_object_and_u8_array(&algorithm(&ES256), &self.private, input.as_bytes())
            .map_err(fail)?;
        Ok(Uint8Array::new(&JsFuture::from(promise).await.map_err(fail)?).to_vec())
    }
}

/// This tab's DPoP state: the key in use (once loaded or made) and the latest nonce of each
/// server, by origin (RFC 9449 §8, §9).
#[derive(Default)]
pub struct Dpop {
    key: RefCell<Option<DpopKey>>,
    nonces: RefCell<Vec<(String, String)>>,
}

impl Dpop {
    /// Drops the key in use (another tab signed in or out): the next proof loads the stored one.
    pub fn drop_key(&self) {
        self.key.take();
    }
}

/// What the client asks of DPoP in the browser.
pub enum Op<'a> {
    /// RFC 9449 §4: a proof for an `htm` request to `url` dated `iat` (with `ath` when it carries
    /// `access_token`), signed with the key in use, else a new key (`fresh`), else the stored one.
    Prove { htm: &'a str, url: &'a str, iat: u64, access_token: Option<&'a str>, fresh: bool },
    /// Keep the nonce a server at `url` sent in `DPoP-Nonce` for its next proof.
    Nonce { url: &'a str, header: &'a str },
    /// Keep the key in use (a sign-in's tokens are bound to it).
    Save,
    /// Delete the stored key (sign-out).
    Delete,
}

/// What [`dpop`] gives: a proof (`None`: no key is stored any more), or the nonce kept.
type Done = Result<Option<String>, AuthError>;

/// Runs `op` on `state`. All of DPoP's browser side hangs from here: the shipped build fetches it
/// (IndexedDB, WebCrypto, the proof's JSON, nonces) only when the configuration turns DPoP on; if
/// it cannot be fetched, that is a network error (the next use tries again).
pub async fn dpop<'a>(state: &'a Dpop, op: Op<'a>) -> Done {
    #[cfg(split)]
    return split_off(state, op).await.map_err(|_| not_fetched("DPoP"))?.await;
    #[cfg(not(split))]
    run(state, op).await
}

/// Fetches DPoP's module ahead of its first use (the shipped build).
#[cfg(split)]
pub async fn preload() {
    let _ = __wasm_split_preload_split_off().await;
}

/// DPoP's entry in the shipped build: a WebAssembly module of its own.
#[cfg(split)]
#[leptos::wasm_split::wasm_split(dpop, wasm_split_path = ::leptos::wasm_split, fallible)]
fn split_off<'a>(state: &'a Dpop, op: Op<'a>) -> Result<Pin<Box<dyn Future<Output = Done> + 'a>>, SplitLoaderError> {
    Ok(Box::pin(run(state, op)))
}

async fn run(state: &Dpop, op: Op<'_>) -> Done {
    match op {
        Op::Prove { htm, url, iat, access_token, fresh } => {
            let current = state.key.borrow().clone().filter(|_| !fresh);
            let key = match current {
                Some(key) => key,
                None if fresh => create().await?,
                None => match load().await? {
                    Some(key) => key,
                    None => return Ok(None),
                },
            };
            let mut jti = [0u8; 16];
            random::fill(&mut jti)?;
            let proof = Proof {
                htm: htm.to_owned(),
                url: url.to_owned(),
                iat,
                jti: random_string(&jti),
                nonce: nonce_for(state, url),
                access_token: access_token.map(str::to_owned),
            };
            let input = proof.signing_input(&key.public, json::stringify);
            let signed = compact(&input, &key.sign(&input).await?);
            state.key.replace(Some(key));
            Ok(Some(signed))
        }
        Op::Nonce { url, header } => Ok(remember_nonce(state, url, header)),
        Op::Save => {
            let key = state.key.borrow().clone();
            match key {
                Some(key) => key.save().await.map(|()| None),
                None => Ok(None),
            }
        }
        Op::Delete => delete().await.map(|()| None),
    }
}

fn nonce_for(state: &Dpop, url: &str) -> Option<String> {
    let origin = origin_prefix(url)?;
    state.nonces.borrow().iter().find(|(o, _)| o == origin).map(|(_, nonce)| nonce.clone())
}

/// Keeps a valid nonce for the next proof to `url`'s origin (RFC 9449 §8, §9); it, if valid.
fn remember_nonce(state: &Dpop, url: &str, header: &str) -> Option<String> {
    let (origin, nonce) = (origin_prefix(url)?, nonce_of(Some(header))?);
    let mut nonces = state.nonces.borrow_mut();
    nonces.retain(|(o, _)| o != origin);
    nonces.push((origin.to_owned(), nonce.clone()));
    Some(nonce)
}
