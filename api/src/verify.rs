//! Access token verification (RFC 9068 §4, RFC 8725) and the scopes it grants.

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;

use crate::Settings;
use crate::keys::KeySource;

/// RFC 8725 §3.1: only these asymmetric algorithms; never `none`, never HS* (key confusion).
const ALLOWED: [Algorithm; 2] = [Algorithm::RS256, Algorithm::ES256];

/// The claims the API uses.
#[derive(Clone, Debug, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    /// RFC 9068 §2.2.3: space-separated scopes.
    #[serde(default)]
    pub scope: String,
    /// Auth0 RBAC puts an API's permissions here.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// RFC 9449 §6.1: the key a DPoP-bound token is bound to.
    pub cnf: Option<Confirmation>,
}

/// RFC 7800 `cnf`, with RFC 9449's `jkt` (the RFC 7638 thumbprint of the client's DPoP key).
#[derive(Clone, Debug, Deserialize)]
pub struct Confirmation {
    pub jkt: Option<String>,
}

impl AccessClaims {
    /// The thumbprint the token is bound to, if it is DPoP-bound.
    pub fn jkt(&self) -> Option<&str> {
        self.cnf.as_ref()?.jkt.as_deref()
    }
}

impl AccessClaims {
    /// Every scope and permission the token grants.
    pub fn scopes(&self) -> Vec<&str> {
        let mut scopes: Vec<&str> = self.scope.split(' ').filter(|s| !s.is_empty()).collect();
        for permission in &self.permissions {
            if !scopes.contains(&permission.as_str()) {
                scopes.push(permission);
            }
        }
        scopes
    }
}

/// Why a request is refused (RFC 6750 §3.1).
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No bearer token at all: 401 without an error code.
    Missing,
    /// A token that is not valid here: 401 `invalid_token`.
    InvalidToken(String),
    /// A valid token without the scope the endpoint needs: 403 `insufficient_scope`.
    InsufficientScope(&'static str),
    /// RFC 9449 §7.1: a missing or bad DPoP proof: 401 `invalid_dpop_proof`.
    InvalidProof(String),
    /// RFC 9449 §9: the proof lacks this API's nonce, which comes with the answer: 401 `use_dpop_nonce`.
    UseNonce(String),
}

/// Verifies signature, algorithm, `iss`, `aud`, `exp` and `nbf`, and returns the claims.
pub async fn verify(token: &str, keys: &KeySource, settings: &Settings) -> Result<AccessClaims, Refusal> {
    let invalid = |why: String| Refusal::InvalidToken(why);
    let header = decode_header(token).map_err(|e| invalid(format!("malformed token: {e}")))?;
    if !ALLOWED.contains(&header.alg) {
        return Err(invalid(format!("algorithm {:?} is not accepted", header.alg)));
    }
    let kid = header.kid.ok_or_else(|| invalid("the token has no key id".into()))?;
    let jwk = keys.key(&kid).await.map_err(invalid)?;
    let key = DecodingKey::from_jwk(&jwk).map_err(|e| invalid(format!("unusable key: {e}")))?;
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[&settings.issuer]);
    validation.set_audience(&[&settings.audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.validate_nbf = true;
    validation.leeway = settings.leeway;
    decode::<AccessClaims>(token, &key, &validation).map(|data| data.claims).map_err(|e| invalid(format!("{e}")))
}

/// Fails with `insufficient_scope` unless the claims grant `scope`.
pub fn require_scope(claims: &AccessClaims, scope: &'static str) -> Result<(), Refusal> {
    if claims.scopes().contains(&scope) { Ok(()) } else { Err(Refusal::InsufficientScope(scope)) }
}
