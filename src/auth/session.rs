//! The signed-in token set, its expiry, and "should I refresh now?".

use super::config::Config;
use super::error::AuthError;
use super::id_token::{Claims, Expectations, decode_claims, display_name, validate_id_token};
use super::json::Parse;
use super::record::{self, Record};
use super::token::{TokenResponse, parse_token_response};

/// The tokens of a signed-in person, plus the ID token's claims.
#[derive(Clone, Debug, PartialEq)]
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

    /// The set as kept in storage (`local` mode) or sent to another tab; the claims are not
    /// written, they are read again from the ID token.
    pub fn encode(&self) -> String {
        let expires_at = self.expires_at.map(|at| at.to_string());
        let optional = [
            ("refresh_token", self.refresh_token.as_deref()),
            ("expires_at", expires_at.as_deref()),
            ("scope", self.scope.as_deref()),
        ];
        let present = optional.into_iter().filter_map(|(key, value)| Some((key, value?)));
        record::encode(
            [("access_token", self.access_token.as_str()), ("id_token", &self.id_token)].into_iter().chain(present),
        )
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
    parse: Parse,
) -> Result<TokenSet, AuthError> {
    let mut response = parse_token_response(status, body, parse)?;
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
            let claims = validate_id_token(id_token, &expect, parse)?;
            // OIDC Core §12.2: a refreshed ID token keeps the same `iss`, `sub` and `aud`.
            for claim in ["iss", "sub", "aud"] {
                if claims.get(claim) != previous.claims.get(claim) {
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
pub fn parse_token_set(text: &str, parse: Parse) -> Result<TokenSet, AuthError> {
    let unreadable = || AuthError::Storage("unreadable token set".into());
    let record = Record::decode(text);
    let id_token = record.string("id_token").ok_or_else(unreadable)?;
    let expires_at = match record.get("expires_at") {
        None => None,
        Some(_) => Some(record.number("expires_at").ok_or_else(unreadable)?),
    };
    Ok(TokenSet {
        access_token: record.string("access_token").filter(|t| !t.is_empty()).ok_or_else(unreadable)?,
        refresh_token: record.string("refresh_token"),
        claims: decode_claims(&id_token, parse).map_err(|_| unreadable())?,
        id_token,
        expires_at,
        scope: record.string("scope"),
    })
}

/// Turns the token endpoint's answer to a code exchange into a checked token set.
pub fn finish_login(
    config: &Config,
    nonce: &str,
    status: u16,
    body: &str,
    now: u64,
    parse: Parse,
) -> Result<TokenSet, AuthError> {
    let response = parse_token_response(status, body, parse)?;
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
    let claims = validate_id_token(id_token, &expect, parse)?;
    Ok(TokenSet::from_response(response, claims, now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::config::parse_config;
    use crate::auth::id_token::tests::{ISSUER, NOW, good_claims, jwt};
    use crate::auth::json::Json;
    use crate::auth::json::native::parse;
    use serde_json::json;

    fn config() -> Config {
        parse_config(r#"{"domain":"https://id.test/","client_id":"client"}"#, "https://app.test", parse).unwrap()
    }

    fn body(id_token: &str) -> String {
        json!({"access_token": "at", "token_type": "Bearer", "expires_in": 120, "refresh_token": "rt",
               "id_token": id_token})
        .to_string()
    }

    #[test]
    fn a_good_exchange() {
        let id_token = jwt(json!({"alg": "RS256"}), &good_claims());
        let set = finish_login(&config(), "n1", 200, &body(&id_token), NOW, parse).unwrap();
        assert_eq!(set.expires_at, Some(NOW + 120));
        assert_eq!(set.user_name(), "Ada");
        assert_eq!(set.claims.get("iss").and_then(Json::as_str), Some(ISSUER));
        assert_eq!(parse_token_set(&set.encode(), parse).unwrap(), set);
        let without = TokenSet { refresh_token: None, expires_at: None, scope: None, ..set };
        assert_eq!(parse_token_set(&without.encode(), parse).unwrap(), without);
    }

    #[test]
    fn the_id_token_is_required_and_checked() {
        let no_id = json!({"access_token": "at", "token_type": "Bearer"}).to_string();
        assert_eq!(finish_login(&config(), "n1", 200, &no_id, NOW, parse).unwrap_err().code(), "token_response");
        let id_token = jwt(json!({"alg": "RS256"}), &good_claims());
        assert_eq!(
            finish_login(&config(), "other", 200, &body(&id_token), NOW, parse).unwrap_err().code(),
            "id_token_claim"
        );
    }

    #[test]
    fn refresh_is_due_within_the_leeway() {
        let id_token = jwt(json!({"alg": "RS256"}), &good_claims());
        let set = finish_login(&config(), "n1", 200, &body(&id_token), NOW, parse).unwrap();
        assert!(!set.should_refresh(NOW, 60));
        assert!(!set.should_refresh(NOW + 59, 60));
        assert!(set.should_refresh(NOW + 60, 60));
        assert!(!TokenSet { expires_at: None, ..set }.should_refresh(u64::MAX, 60));
    }

    fn refreshed(answer: serde_json::Value) -> Result<TokenSet, AuthError> {
        let id_token = jwt(json!({"alg": "RS256"}), &good_claims());
        let previous = finish_login(&config(), "n1", 200, &body(&id_token), NOW, parse).unwrap();
        finish_refresh(&config(), &previous, 200, &answer.to_string(), NOW + 100, parse)
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
        let previous = finish_login(&config(), "n1", 200, &body(&id_token), NOW, parse).unwrap();
        let err = finish_refresh(&config(), &previous, 400, r#"{"error":"invalid_grant"}"#, NOW, parse).unwrap_err();
        assert_eq!(err, AuthError::Provider { error: "invalid_grant".into(), description: None });
    }

    #[test]
    fn tampered_token_sets_are_refused() {
        for bad in ["", "null", "{}", r#"{"access_token":1}"#, "<b>"] {
            assert_eq!(parse_token_set(bad, parse).unwrap_err().code(), "storage");
        }
    }
}
