//! Access token verification (RFC 9068 §4, RFC 8725) and the scopes it grants.

use axum::http::StatusCode;
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;

use crate::Settings;
use crate::issuer::Issuer;
use crate::keys::{KeyError, KeySource};

/// RFC 8725 §3.1: only these asymmetric algorithms; never `none`, never HS* (key confusion).
const ALLOWED: [Algorithm; 2] = [Algorithm::RS256, Algorithm::ES256];
/// RFC 9068 §4: the `typ` of a JWT access token (RFC 7515 §4.1.9: compared ignoring case).
const ACCESS_TOKEN_TYPES: [&str; 2] = ["at+jwt", "application/at+jwt"];
/// Why a token is refused, in fixed words: nothing of the token is echoed (RFC 6750 §3).
pub const EXPIRED: &str = "the token has expired";
pub const NOT_YET_VALID: &str = "the token is not valid yet";
pub const OTHER_ISSUER: &str = "the token is from another issuer";
pub const OTHER_AUDIENCE: &str = "the token is for another audience";

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
    /// RFC 7519 §4.1.4: the time from which the token is refused (an introspected one may have none).
    #[serde(default)]
    pub exp: Option<u64>,
    /// RFC 9068 §2.2.1: when the person authenticated, for step-up checks (RFC 9470).
    #[serde(default)]
    pub auth_time: Option<u64>,
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

/// Why a request is refused (RFC 6750 §3.1), each reason in fixed words.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No bearer token at all: 401 without an error code.
    Missing,
    /// A malformed request (RFC 6750 §3.1, such as two `Authorization` headers): 400 `invalid_request`.
    InvalidRequest(&'static str),
    /// A token that is not valid here: 401 `invalid_token`.
    InvalidToken(&'static str),
    /// A valid token without the scope the endpoint needs: 403 `insufficient_scope`.
    InsufficientScope(&'static str),
    /// RFC 9449 §7.1: a missing or bad DPoP proof: 401 `invalid_dpop_proof`.
    InvalidProof(&'static str),
    /// RFC 9449 §9: the proof lacks this API's nonce, which comes with the answer: 401 `use_dpop_nonce`.
    UseNonce(String),
    /// What checking the token needs (the issuer's keys or its introspection) is out of reach: 503.
    Unavailable(&'static str),
    /// RFC 9470 §3: a valid token whose sign-in is unknown or over `max_age` seconds old: 401
    /// `insufficient_user_authentication`, under the scheme (DPoP or Bearer) the token came with.
    InsufficientUserAuthentication { dpop: bool, max_age: u64 },
}

impl Refusal {
    /// The HTTP status and the error code (RFC 6750 §3.1, RFC 9449 §7.1 and §9, RFC 9470 §3) of this refusal.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Refusal::Missing => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Refusal::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            Refusal::InvalidToken(_) => (StatusCode::UNAUTHORIZED, "invalid_token"),
            Refusal::InsufficientScope(_) => (StatusCode::FORBIDDEN, "insufficient_scope"),
            Refusal::InvalidProof(_) => (StatusCode::UNAUTHORIZED, "invalid_dpop_proof"),
            Refusal::UseNonce(_) => (StatusCode::UNAUTHORIZED, "use_dpop_nonce"),
            Refusal::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"),
            Refusal::InsufficientUserAuthentication { .. } => {
                (StatusCode::UNAUTHORIZED, "insufficient_user_authentication")
            }
        }
    }
}

/// What jsonwebtoken found wrong with a token, in fixed words.
fn refused_because(error: &Error) -> &'static str {
    match error.kind() {
        ErrorKind::InvalidSignature => "the token's signature does not verify",
        ErrorKind::ExpiredSignature => EXPIRED,
        ErrorKind::ImmatureSignature => NOT_YET_VALID,
        ErrorKind::InvalidIssuer => OTHER_ISSUER,
        ErrorKind::InvalidAudience => OTHER_AUDIENCE,
        ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim",
        _ => "the token is malformed",
    }
}

/// Verifies `typ`, algorithm, signature, `iss`, `aud`, `exp` and `nbf`, and returns the claims.
pub async fn verify(
    token: &str,
    issuer: &Issuer,
    keys: &KeySource,
    settings: &Settings,
) -> Result<AccessClaims, Refusal> {
    let header = decode_header(token).map_err(|e| Refusal::InvalidToken(refused_because(&e)))?;
    // RFC 9068 §4: "at+jwt" keeps other JWTs of the issuer (ID tokens, say) from passing as access tokens.
    if !header.typ.is_some_and(|typ| ACCESS_TOKEN_TYPES.iter().any(|t| typ.eq_ignore_ascii_case(t))) {
        return Err(Refusal::InvalidToken("the token's typ is not at+jwt"));
    }
    if !ALLOWED.contains(&header.alg) {
        return Err(Refusal::InvalidToken("the token's algorithm is not accepted"));
    }
    let kid = header.kid.ok_or(Refusal::InvalidToken("the token has no key id"))?;
    let jwk = keys.key(issuer, &kid).await.map_err(|e| match e {
        KeyError::Unknown => Refusal::InvalidToken("the token's key id is none of the issuer's keys"),
        KeyError::Unavailable => Refusal::Unavailable("the issuer's keys cannot be fetched now"),
    })?;
    let key = DecodingKey::from_jwk(&jwk).map_err(|_| Refusal::InvalidToken("the issuer's key is unusable"))?;
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[&issuer.id]);
    validation.set_audience(&[&settings.audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.validate_nbf = true;
    validation.leeway = settings.leeway;
    decode::<AccessClaims>(token, &key, &validation)
        .map(|data| data.claims)
        .map_err(|e| Refusal::InvalidToken(refused_because(&e)))
}

/// Fails with `insufficient_scope` unless the claims grant `scope`.
pub fn require_scope(claims: &AccessClaims, scope: &'static str) -> Result<(), Refusal> {
    if claims.scopes().contains(&scope) { Ok(()) } else { Err(Refusal::InsufficientScope(scope)) }
}
