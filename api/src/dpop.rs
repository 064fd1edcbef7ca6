//! DPoP proofs (RFC 9449): the checks a resource server makes of the `DPoP` header that comes
//! with a sender-constrained access token.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Mutex, PoisonError};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::ThumbprintHash;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// RFC 9449 §4.2: the algorithms accepted for proofs (asymmetric only).
pub const ALGS: [Algorithm; 2] = [Algorithm::ES256, Algorithm::RS256];
/// How old a proof may be, in seconds (RFC 9449 §11.1: a short window, with the replay cache).
const MAX_AGE: u64 = 60;
/// How far in the future a proof's `iat` may be (clock skew), in seconds.
const MAX_SKEW: u64 = 5;
/// How many proof ids the replay cache holds before it drops expired ones.
const CACHE_SWEEP_AT: usize = 10_000;
/// How long one API nonce is current, in seconds (the previous one is accepted too).
const NONCE_WINDOW: u64 = 300;

/// The request a proof must match.
pub struct Request<'a> {
    pub method: &'a str,
    /// The request's URL as the client sent it, without query or fragment.
    pub url: &'a str,
    pub access_token: &'a str,
    pub now: u64,
}

#[derive(Deserialize)]
struct ProofClaims {
    htm: String,
    htu: String,
    iat: u64,
    jti: String,
    ath: Option<String>,
    nonce: Option<String>,
}

/// Why a proof is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum ProofError {
    Invalid(String),
    /// RFC 9449 §9: the proof must carry this API's current nonce.
    UseNonce,
}

impl From<&str> for ProofError {
    fn from(why: &str) -> ProofError {
        ProofError::Invalid(why.to_owned())
    }
}

/// Nonces this API issues (RFC 9449 §9): a keyed hash of the current time window, under a key
/// drawn at start; the current and the previous window's values are accepted.
#[derive(Default)]
pub struct Nonces(RandomState);

impl Nonces {
    fn of_window(&self, window: u64) -> String {
        URL_SAFE_NO_PAD.encode(self.0.hash_one(window).to_be_bytes())
    }

    /// The nonce to hand out now.
    pub fn current(&self, now: u64) -> String {
        self.of_window(now / NONCE_WINDOW)
    }

    fn accepts(&self, nonce: &str, now: u64) -> bool {
        let window = now / NONCE_WINDOW;
        nonce == self.of_window(window) || nonce == self.of_window(window.saturating_sub(1))
    }
}

/// Proof ids seen recently (RFC 9449 §11.1), with when each may be forgotten.
#[derive(Default)]
pub struct ReplayCache(Mutex<HashMap<String, u64>>);

impl ReplayCache {
    /// Records `jti`; false when it was seen within its window.
    fn first_use(&self, jti: &str, now: u64) -> bool {
        let mut seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.len() >= CACHE_SWEEP_AT {
            seen.retain(|_, forget_at| *forget_at > now);
        }
        match seen.get(jti) {
            Some(forget_at) if *forget_at > now => false,
            _ => {
                seen.insert(jti.to_owned(), now + MAX_AGE + MAX_SKEW);
                true
            }
        }
    }
}

/// RFC 9449 §9: the `ath` of an access token, base64url(SHA-256(token)).
pub fn token_hash(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(access_token.as_bytes()))
}

/// RFC 9449 §4.3 items 1–12: checks `proof` against the request and returns the RFC 7638
/// thumbprint of its key (to compare with the token's `cnf.jkt`, §6.1).
/// With `nonces`, the proof must also carry one of them (§9).
pub fn check(
    proof: &str,
    request: &Request,
    replay: &ReplayCache,
    nonces: Option<&Nonces>,
) -> Result<String, ProofError> {
    let invalid = |why: String| ProofError::Invalid(why);
    let header = decode_header(proof).map_err(|e| invalid(format!("malformed proof: {e}")))?;
    // §4.3 items 4–6: `typ`, an accepted asymmetric `alg`, and a public `jwk` in the header.
    if header.typ.as_deref() != Some("dpop+jwt") {
        return Err("the proof's typ is not dpop+jwt".into());
    }
    if !ALGS.contains(&header.alg) {
        return Err("the proof's algorithm is not accepted".into());
    }
    let jwk = header.jwk.ok_or("the proof has no jwk")?;
    let key = DecodingKey::from_jwk(&jwk).map_err(|e| invalid(format!("the proof's key is unusable: {e}")))?;
    // §4.3 item 7: the signature verifies with that key.
    let mut validation = Validation::new(header.alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    let claims =
        decode::<ProofClaims>(proof, &key, &validation).map_err(|e| invalid(format!("invalid proof: {e}")))?.claims;
    // §4.3 items 8–9: the method and the URL (without query and fragment) of this request.
    if claims.htm != request.method {
        return Err("the proof is for another method".into());
    }
    if claims.htu.split(['?', '#']).next() != Some(request.url) {
        return Err("the proof is for another URL".into());
    }
    // §4.3 item 11: recent, and not from the future.
    if claims.iat + MAX_AGE < request.now || claims.iat > request.now + MAX_SKEW {
        return Err("the proof is too old or from the future".into());
    }
    // §4.3 item 12 / §7.1: bound to this access token.
    if claims.ath.as_deref() != Some(token_hash(request.access_token).as_str()) {
        return Err("the proof's ath is not this token's hash".into());
    }
    // §9: the API's own nonce, when it asks for one.
    if let Some(nonces) = nonces
        && !claims.nonce.is_some_and(|nonce| nonces.accepts(&nonce, request.now))
    {
        return Err(ProofError::UseNonce);
    }
    // §11.1: each proof is used once.
    if !replay.first_use(&claims.jti, request.now) {
        return Err("the proof was used before".into());
    }
    jwk.thumbprint(ThumbprintHash::SHA256).map_err(|e| invalid(format!("the proof's key has no thumbprint: {e}")))
}
