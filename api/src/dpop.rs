//! DPoP proofs (RFC 9449): the checks a resource server makes of the `DPoP` header that comes
//! with a sender-constrained access token.

use std::hash::{BuildHasher, RandomState};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::ThumbprintHash;
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation, decode};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::expiring::{Expiring, Inserted, key_of};
use crate::{jws, uri};

/// RFC 9449 §4.2: the algorithms accepted for proofs (asymmetric only).
pub const ALGS: [Algorithm; 2] = [Algorithm::ES256, Algorithm::RS256];
/// How old a proof may be, in seconds (RFC 9449 §11.1: a short window, with the replay cache).
const MAX_AGE: u64 = 60;
/// How far in the future a proof's `iat` may be (clock skew), in seconds.
const MAX_SKEW: u64 = 5;
/// How many proofs the replay cache remembers at most (each entry a fixed size), so that memory
/// stays bounded; when it is full of live proofs, new ones wait.
const REPLAY_CAPACITY: usize = 50_000;
/// How long one API nonce is current, in seconds (the previous one is accepted too).
const NONCE_WINDOW: u64 = 300;
/// RFC 9449 §4.2 (the `jwk` "MUST NOT contain a private key"), RFC 7518 §6.2.2, §6.3.2, §6.4.1:
/// the members that hold a private or secret key.
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// The request a proof must match.
pub struct Request<'a> {
    pub method: &'a str,
    /// The request's URL as the client addressed it (this API's public origin and the path).
    pub url: &'a str,
    pub access_token: &'a str,
    /// RFC 9449 §6.1: the thumbprint of the key the access token is bound to (its `cnf.jkt`).
    pub jkt: &'a str,
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
    Invalid(&'static str),
    /// RFC 9449 §9: the proof must carry this API's current nonce.
    UseNonce,
    /// The replay cache is full of live proofs: this one cannot be remembered, so it is not taken.
    Busy,
}

impl From<&'static str> for ProofError {
    fn from(why: &'static str) -> ProofError {
        ProofError::Invalid(why)
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

/// RFC 9449 §11.1: the `jti`s (their hashes) of the proofs taken, each kept as long as its proof
/// would be accepted.
pub struct ReplayCache(Expiring<()>);

impl Default for ReplayCache {
    fn default() -> ReplayCache {
        ReplayCache(Expiring::new(REPLAY_CAPACITY))
    }
}

/// RFC 9449 §9: the `ath` of an access token, base64url(SHA-256(token)).
pub fn token_hash(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(access_token.as_bytes()))
}

/// RFC 9449 §4.2: the proof's header, whose `jwk` holds a public key only.
fn public_key_header(proof: &str) -> Result<Header, ProofError> {
    let header = jws::header(proof).ok_or("the proof is malformed")?;
    let jwk = header.get("jwk").and_then(Value::as_object).ok_or("the proof has no jwk")?;
    if PRIVATE_MEMBERS.iter().any(|member| jwk.contains_key(*member)) {
        return Err("the proof's jwk holds a private key".into());
    }
    serde_json::from_value(Value::Object(header)).map_err(|_| "the proof's header is malformed".into())
}

/// RFC 9449 §4.3 items 1–12: checks `proof` against the request, and that its key is the one the
/// token is bound to (§7.1); only a proof that passes every check is remembered (§11.1).
/// With `nonces`, the proof must also carry one of them (§9).
pub fn check(proof: &str, request: &Request, replay: &ReplayCache, nonces: Option<&Nonces>) -> Result<(), ProofError> {
    let header = public_key_header(proof)?;
    // §4.3 items 4–6: `typ`, an accepted asymmetric `alg`, and a public `jwk` in the header.
    if header.typ.as_deref() != Some("dpop+jwt") {
        return Err("the proof's typ is not dpop+jwt".into());
    }
    if !ALGS.contains(&header.alg) {
        return Err("the proof's algorithm is not accepted".into());
    }
    let jwk = header.jwk.ok_or("the proof has no jwk")?;
    // §4.3 item 12, §6.1: the key the access token is bound to.
    if jwk.thumbprint(ThumbprintHash::SHA256).ok().as_deref() != Some(request.jkt) {
        return Err("the proof is signed by another key than the token's".into());
    }
    let key = DecodingKey::from_jwk(&jwk).map_err(|_| "the proof's key is unusable")?;
    // §4.3 item 7: the signature verifies with that key.
    let mut validation = Validation::new(header.alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    let claims = decode::<ProofClaims>(proof, &key, &validation).map_err(|_| "the proof is invalid")?.claims;
    // §4.3 item 8: the method, compared exactly (RFC 9110 §9.1: methods are case-sensitive).
    if claims.htm != request.method {
        return Err("the proof is for another method".into());
    }
    // §4.3 item 9: the URL, without query and fragment, compared once normalised (RFC 3986 §6.2.2–3).
    let htu = uri::normalized_without_query(&claims.htu);
    if htu.is_none() || htu != uri::normalized_without_query(request.url) {
        return Err("the proof is for another URL".into());
    }
    // §4.3 item 11: recent, and not from the future.
    let last_second = claims.iat.saturating_add(MAX_AGE);
    if last_second < request.now || claims.iat > request.now.saturating_add(MAX_SKEW) {
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
    // §11.1: each proof is taken once, remembered through the last second it would be accepted.
    match replay.0.insert_new(key_of(&claims.jti), (), last_second, request.now) {
        Inserted::Yes => Ok(()),
        Inserted::AlreadyThere => Err("the proof was used before".into()),
        Inserted::Full => Err(ProofError::Busy),
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::jwk::{Jwk, JwkSet};
    use jsonwebtoken::{EncodingKey, encode};
    use serde_json::json;

    use super::*;

    const JWKS: &str = include_str!("../tests/fixtures/jwks.json");
    const ES256_PEM: &[u8] = include_bytes!("../tests/fixtures/test-es256.pem");
    const RS256_PEM: &[u8] = include_bytes!("../tests/fixtures/test-rs256.pem");
    const URL: &str = "http://api.test/api/private";
    const TOKEN: &str = "token";
    const NOW: u64 = 1_700_000_000;

    fn public_jwk(kid: &str) -> Jwk {
        let set: JwkSet = serde_json::from_str(JWKS).unwrap();
        set.find(kid).unwrap().clone()
    }

    fn jkt() -> String {
        public_jwk("test-es256").thumbprint(ThumbprintHash::SHA256).unwrap()
    }

    /// A proof for GET `URL` and `TOKEN` made at `iat` with this `jti`, signed by `kid`'s key.
    fn proof(kid: &str, iat: u64, jti: &str) -> String {
        let (alg, key) = match kid {
            "test-es256" => (Algorithm::ES256, EncodingKey::from_ec_pem(ES256_PEM).unwrap()),
            _ => (Algorithm::RS256, EncodingKey::from_rsa_pem(RS256_PEM).unwrap()),
        };
        let mut header = Header::new(alg);
        header.typ = Some("dpop+jwt".into());
        header.jwk = Some(public_jwk(kid));
        let claims = json!({"htm": "GET", "htu": URL, "iat": iat, "jti": jti, "ath": token_hash(TOKEN)});
        encode(&header, &claims, &key).unwrap()
    }

    fn checked(proof: &str, replay: &ReplayCache, now: u64) -> Result<(), ProofError> {
        let jkt = jkt();
        let request = Request { method: "GET", url: URL, access_token: TOKEN, jkt: &jkt, now };
        check(proof, &request, replay, None)
    }

    #[test]
    fn a_replay_is_refused_through_the_last_second_its_proof_is_accepted() {
        // Finding: the jti was forgotten `MAX_AGE + MAX_SKEW` after its first use, while a proof
        // from `MAX_SKEW` ahead stays acceptable one second longer.
        let replay = ReplayCache::default();
        let ahead = proof("test-es256", NOW + MAX_SKEW, "ahead");
        assert_eq!(checked(&ahead, &replay, NOW), Ok(()));
        let last_second = NOW + MAX_SKEW + MAX_AGE;
        assert_eq!(checked(&ahead, &replay, last_second), Err(ProofError::Invalid("the proof was used before")));
        assert!(checked(&ahead, &replay, last_second + 1).is_err(), "and then too old");
    }

    #[test]
    fn foreign_keys_and_huge_jtis_leave_the_cache_bounded() {
        let replay = ReplayCache::default();
        let huge = "j".repeat(100_000);
        for n in 0..5 {
            let foreign = proof("test-rs256", NOW, &format!("{huge}{n}"));
            assert!(checked(&foreign, &replay, NOW).is_err());
        }
        assert_eq!(replay.0.len(NOW), 0, "a proof from another key is not remembered");
        assert_eq!(checked(&proof("test-es256", NOW, &huge), &replay, NOW), Ok(()));
        let full = ReplayCache(Expiring::new(2));
        for jti in ["a", "b"] {
            assert_eq!(checked(&proof("test-es256", NOW, jti), &full, NOW), Ok(()));
        }
        assert_eq!(checked(&proof("test-es256", NOW, "c"), &full, NOW), Err(ProofError::Busy));
        assert_eq!(checked(&proof("test-es256", NOW + 61, "c"), &full, NOW + 61), Ok(()), "expired ones swept");
        assert_eq!(full.0.len(NOW + 61), 1);
    }
}
