//! The signed-in token set, its expiry, and "should I refresh now?".

use miniserde::{Deserialize, Serialize};

use super::config::Config;
use super::error::AuthError;
use super::id_token::{Claims, Expectations, display_name, validate_id_token};
use super::json;
use super::token::{TokenResponse, parse_token_response};

/// The tokens of a signed-in person, plus the ID token's claims.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub id_token: String,
    /// Seconds since the epoch, computed from `expires_in` at receipt; `None` when not given.
    pub expires_at: Option<u64>,
    pub scope: Option<String>,
    pub claims: Claims,
}

impl TokenSet {
    /// Whether the access token is within `leeway` seconds of expiry.
    pub fn should_refresh(&self, now: u64, leeway: u64) -> bool {
        self.expires_at.is_some_and(|at| now.saturating_add(leeway) >= at)
    }

    /// The name to greet the person with.
    pub fn user_name(&self) -> String {
        display_name(&self.claims)
    }

    fn from_response(response: TokenResponse, claims: Claims, now: u64) -> TokenSet {
        TokenSet {
            expires_at: response.expires_in.map(|s| now.saturating_add(s)),
            access_token: response.access_token,
            refresh_token: response.refresh_token,
            id_token: response.id_token.unwrap_or_default(),
            scope: response.scope,
            claims,
        }
    }
}

/// Turns the answer to a refresh into the next token set (RFC 6749 §6, OIDC Core §12.2).
pub fn finish_refresh(
    config: &Config,
    previous: &TokenSet,
    status: u16,
    body: &str,
    now: u64,
) -> Result<TokenSet, AuthError> {
    let mut response = parse_token_response(status, body)?;
    // RFC 6749 §6: without a new refresh token, the old one stays valid.
    if response.refresh_token.is_none() {
        response.refresh_token.clone_from(&previous.refresh_token);
    }
    let claims = match response.id_token.as_deref() {
        Some(id_token) => {
            let expect = Expectations {
                issuer: &config.issuer,
                client_id: &config.client_id,
                nonce: None,
                organization: config.organization.as_deref(),
                leeway: config.leeway_seconds,
                now,
            };
            let claims = validate_id_token(id_token, &expect)?;
            // OIDC Core §12.2: a refreshed ID token keeps the same `iss`, `sub` and `aud`.
            for claim in ["iss", "sub", "aud"] {
                if !json::same(claims.get(claim), previous.claims.get(claim)) {
                    return Err(AuthError::IdTokenClaim { claim, reason: "changed on refresh".into() });
                }
            }
            claims
        }
        None => {
            response.id_token = Some(previous.id_token.clone());
            previous.claims.clone()
        }
    };
    Ok(TokenSet::from_response(response, claims, now))
}

/// Reads a token set kept by another tab or in storage; malformed contents are an error.
pub fn parse_token_set(text: &str) -> Result<TokenSet, AuthError> {
    json::from_str(text).map_err(|_| AuthError::Storage("unreadable token set".into()))
}

/// Turns the token endpoint's answer to a code exchange into a checked token set.
pub fn finish_login(config: &Config, nonce: &str, status: u16, body: &str, now: u64) -> Result<TokenSet, AuthError> {
    let response = parse_token_response(status, body)?;
    // OIDC Core §3.1.3.3: a successful response to an `openid` request includes an ID token.
    let id_token =
        response.id_token.as_deref().ok_or_else(|| AuthError::TokenResponse("`id_token` is missing".into()))?;
    let expect = Expectations {
        issuer: &config.issuer,
        client_id: &config.client_id,
        nonce: Some(nonce),
        organization: config.organization.as_deref(),
        leeway: config.leeway_seconds,
        now,
    };
    let claims = validate_id_token(id_token, &expect)?;
    Ok(TokenSet::from_response(response, claims, now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::config::parse_config;
    use crate::auth::id_token::tests::{ISSUER, NOW, good_claims, jwt};
    use serde_json::json;

    fn config() -> Config {
        parse_config(r#"{"domain":"https://id.test/","client_id":"client"}"#, "https://app.test").unwrap()
    }

    fn body(id_token: &str) -> String {
        json!({"access_token": "at", "token_type": "Bearer", "expires_in": 120, "refresh_token": "rt",
               "id_token": id_token})
        .to_string()
    }

    #[test]
    fn a_good_exchange() {
        let id_token = jwt(json!({"alg": "RS256"}), &good_claims());
        let set = finish_login(&config(), "n1", 200, &body(&id_token), NOW).unwrap();
        assert_eq!(set.expires_at, Some(NOW + 120));
        assert_eq!(set.user_name(), "Ada");
        assert_eq!(json::as_str(&set.claims["iss"]), Some(ISSUER));
        let stored = json::to_string(&set);
        assert_eq!(json::to_string(&parse_token_set(&stored).unwrap()), stored);
    }

    #[test]
    fn the_id_token_is_required_and_checked() {
        let no_id = json!({"access_token": "at", "token_type": "Bearer"}).to_string();
        assert_eq!(finish_login(&config(), "n1", 200, &no_id, NOW).unwrap_err().code(), "token_response");
        let id_token = jwt(json!({"alg": "RS256"}), &good_claims());
        assert_eq!(finish_login(&config(), "other", 200, &body(&id_token), NOW).unwrap_err().code(), "id_token_claim");
    }

    #[test]
    fn refresh_is_due_within_the_leeway() {
        let id_token = jwt(json!({"alg": "RS256"}), &good_claims());
        let set = finish_login(&config(), "n1", 200, &body(&id_token), NOW).unwrap();
        assert!(!set.should_refresh(NOW, 60));
        assert!(!set.should_refresh(NOW + 59, 60));
        assert!(set.should_refresh(NOW + 60, 60));
        assert!(!TokenSet { expires_at: None, ..set }.should_refresh(u64::MAX, 60));
    }

    fn refreshed(answer: serde_json::Value) -> Result<TokenSet, AuthError> {
        let id_token = jwt(json!({"alg": "RS256"}), &good_claims());
        let previous = finish_login(&config(), "n1", 200, &body(&id_token), NOW).unwrap();
        finish_refresh(&config(), &previous, 200, &answer.to_string(), NOW + 100)
    }

    #[test]
    fn a_refresh_rotates_and_keeps_what_it_does_not_replace() {
        let set = refreshed(json!({"access_token": "at2", "token_type": "Bearer", "expires_in": 60,
                                   "refresh_token": "rt2"}))
        .unwrap();
        assert_eq!((set.access_token.as_str(), set.refresh_token.as_deref()), ("at2", Some("rt2")));
        assert_eq!(set.expires_at, Some(NOW + 160));
        assert_eq!(set.user_name(), "Ada", "claims kept without a new ID token");
        let kept = refreshed(json!({"access_token": "at2", "token_type": "Bearer"})).unwrap();
        assert_eq!(kept.refresh_token.as_deref(), Some("rt"), "RFC 6749 §6: no new one, keep the old");
    }

    #[test]
    fn a_refreshed_id_token_must_keep_iss_sub_and_aud() {
        let mut claims = good_claims();
        claims.as_object_mut().unwrap().remove("nonce");
        let same = jwt(json!({"alg": "RS256"}), &claims);
        let ok = refreshed(json!({"access_token": "a", "token_type": "Bearer", "id_token": same}));
        assert!(ok.is_ok());
        claims["sub"] = json!("mallory");
        let other = jwt(json!({"alg": "RS256"}), &claims);
        let err = refreshed(json!({"access_token": "a", "token_type": "Bearer", "id_token": other})).unwrap_err();
        assert_eq!(err, AuthError::IdTokenClaim { claim: "sub", reason: "changed on refresh".into() });
    }

    #[test]
    fn a_refresh_error_is_the_providers() {
        let err = refreshed(json!({"error": "invalid_grant"})).unwrap_err();
        assert_eq!(err.code(), "token_response", "a 200 without access_token is unusable");
        let id_token = jwt(json!({"alg": "RS256"}), &good_claims());
        let previous = finish_login(&config(), "n1", 200, &body(&id_token), NOW).unwrap();
        let err = finish_refresh(&config(), &previous, 400, r#"{"error":"invalid_grant"}"#, NOW).unwrap_err();
        assert_eq!(err, AuthError::Provider { error: "invalid_grant".into(), description: None });
    }

    #[test]
    fn tampered_token_sets_are_refused() {
        for bad in ["", "null", "{}", r#"{"access_token":1}"#, "<b>"] {
            assert_eq!(parse_token_set(bad).unwrap_err().code(), "storage");
        }
    }
}
