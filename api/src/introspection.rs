//! Opaque access tokens, introspected at the issuer (RFC 7662) with this API's client
//! credentials; an active token's claims are remembered for a short while.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::{ACCEPT, AUTHORIZATION};
use serde::Deserialize;

use crate::expiring::{Expiring, key_of};
use crate::issuer::Issuer;
use crate::verify::{AccessClaims, Confirmation, EXPIRED, NOT_YET_VALID, OTHER_AUDIENCE, OTHER_ISSUER, Refusal};
use crate::{Introspection, Settings};

/// The longest an active token's claims are remembered, in seconds (a revocation shows after this).
const REMEMBER_FOR: u64 = 30;
/// How many tokens' claims are remembered at most.
const CAPACITY: usize = 10_000;

/// RFC 7662 §2.2: what the API reads of an introspection response.
#[derive(Deserialize)]
struct Answer {
    active: bool,
    scope: Option<String>,
    exp: Option<u64>,
    nbf: Option<u64>,
    iss: Option<String>,
    aud: Option<Audiences>,
    sub: Option<String>,
    username: Option<String>,
    /// RFC 9449 §6.2: a DPoP-bound token's key.
    cnf: Option<Confirmation>,
    /// RFC 9068 §2.2.1 (an extension of the RFC 7662 §2.2 answer): when the person authenticated.
    auth_time: Option<u64>,
}

/// RFC 7662 §2.2 (as RFC 7519 §4.1.3): one audience or several.
#[derive(Deserialize)]
#[serde(untagged)]
enum Audiences {
    One(String),
    Many(Vec<String>),
}

impl Audiences {
    fn contains(&self, audience: &str) -> bool {
        match self {
            Audiences::One(one) => one == audience,
            Audiences::Many(many) => many.iter().any(|a| a == audience),
        }
    }
}

/// Asks the issuer about opaque tokens, and remembers the active ones.
pub struct Introspector {
    /// The `Authorization` header of each request.
    authorization: String,
    active: Expiring<AccessClaims>,
}

impl Introspector {
    /// RFC 7662 §2.1 with RFC 6749 §2.3.1: HTTP Basic, each credential form-urlencoded first.
    pub fn new(credentials: &Introspection) -> Introspector {
        let encoded = |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
        let basic =
            STANDARD.encode(format!("{}:{}", encoded(&credentials.client_id), encoded(&credentials.client_secret)));
        Introspector { authorization: format!("Basic {basic}"), active: Expiring::new(CAPACITY) }
    }

    /// RFC 7662 §2.1: POSTs the token to the issuer's `introspection_endpoint`.
    async fn ask(&self, token: &str, issuer: &Issuer) -> Result<Answer, String> {
        let discovery = issuer.discovery().await?;
        let endpoint =
            discovery.introspection_endpoint.as_deref().ok_or("the issuer names no introspection_endpoint")?;
        let request = issuer
            .http
            .post(endpoint)
            .header(AUTHORIZATION, &self.authorization)
            .header(ACCEPT, "application/json")
            .form(&[("token", token), ("token_type_hint", "access_token")]);
        issuer.read_json(request).await
    }

    /// The claims of `token` if the issuer says it is active and meant for this API; 503 when
    /// the issuer cannot say.
    pub async fn claims(
        &self,
        token: &str,
        issuer: &Issuer,
        settings: &Settings,
        now: u64,
    ) -> Result<AccessClaims, Refusal> {
        let key = key_of(token);
        if let Some(claims) = self.active.get(&key, now) {
            return Ok(claims);
        }
        let answer = self.ask(token, issuer).await.map_err(|why| {
            eprintln!("api: introspection: {why}");
            Refusal::Unavailable("the token cannot be introspected now")
        })?;
        let (claims, last_second) = accepted(answer, settings, now)?;
        // A full memory only means asking again next time.
        let _ = self.active.insert_new(key, claims.clone(), last_second, now);
        Ok(claims)
    }
}

/// RFC 7662 §2.2, §4: the claims of an active, current token for this API's audience from its
/// issuer, and the last second they may be remembered (`exp`, and [`REMEMBER_FOR`] at most).
fn accepted(answer: Answer, settings: &Settings, now: u64) -> Result<(AccessClaims, u64), Refusal> {
    if !answer.active {
        return Err(Refusal::InvalidToken("the token is not active"));
    }
    if answer.exp.is_some_and(|exp| exp.saturating_add(settings.leeway) < now) {
        return Err(Refusal::InvalidToken(EXPIRED));
    }
    if answer.nbf.is_some_and(|nbf| nbf > now.saturating_add(settings.leeway)) {
        return Err(Refusal::InvalidToken(NOT_YET_VALID));
    }
    if answer.iss.as_ref().is_some_and(|iss| *iss != settings.issuer) {
        return Err(Refusal::InvalidToken(OTHER_ISSUER));
    }
    if answer.aud.as_ref().is_some_and(|aud| !aud.contains(&settings.audience)) {
        return Err(Refusal::InvalidToken(OTHER_AUDIENCE));
    }
    // The subject is the author of messages: `sub`, or else the `username` some issuers give.
    let sub = answer.sub.or(answer.username).filter(|sub| !sub.is_empty());
    let sub = sub.ok_or(Refusal::InvalidToken("the token names no subject"))?;
    let remember_until = now.saturating_add(REMEMBER_FOR);
    let last_second = answer.exp.map_or(remember_until, |exp| exp.min(remember_until));
    let scope = answer.scope.unwrap_or_default();
    let (cnf, exp, auth_time) = (answer.cnf, answer.exp, answer.auth_time);
    let claims = AccessClaims { sub, scope, permissions: Vec::new(), cnf, exp, auth_time };
    Ok((claims, last_second))
}
