//! The signed-in token set, its expiry, and "should I refresh now?".

use serde::{Deserialize, Serialize};

use super::config::Config;
use super::error::AuthError;
use super::id_token::{Claims, Expectations, display_name, validate_id_token};
use super::token::{TokenResponse, parse_token_response};

/// The tokens of a signed-in person, plus the ID token's claims.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
        self.expires_at
            .is_some_and(|at| now.saturating_add(leeway) >= at)
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

/// Reads a token set kept by another tab or in storage; malformed contents are an error.
pub fn parse_token_set(json: &str) -> Result<TokenSet, AuthError> {
    serde_json::from_str(json).map_err(|e| AuthError::Storage(format!("unreadable token set: {e}")))
}

/// Turns the token endpoint's answer to a code exchange into a checked token set.
pub fn finish_login(
    config: &Config,
    nonce: &str,
    status: u16,
    body: &str,
    now: u64,
) -> Result<TokenSet, AuthError> {
    let response = parse_token_response(status, body)?;
    // OIDC Core §3.1.3.3: a successful response to an `openid` request includes an ID token.
    let id_token = response
        .id_token
        .as_deref()
        .ok_or_else(|| AuthError::TokenResponse("`id_token` is missing".into()))?;
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
        parse_config(
            r#"{"domain":"https://id.test/","client_id":"client"}"#,
            "https://app.test",
        )
        .unwrap()
    }

    fn body(id_token: &str) -> String {
        json!({"access_token": "at", "token_type": "Bearer", "expires_in": 120, "refresh_token": "rt",
               "id_token": id_token}).to_string()
    }

    #[test]
    fn a_good_exchange() {
        let id_token = jwt(json!({"alg": "RS256"}), &good_claims());
        let set = finish_login(&config(), "n1", 200, &body(&id_token), NOW).unwrap();
        assert_eq!(set.expires_at, Some(NOW + 120));
        assert_eq!(set.user_name(), "Ada");
        assert_eq!(set.claims["iss"], json!(ISSUER));
        assert_eq!(
            parse_token_set(&serde_json::to_string(&set).unwrap()).unwrap(),
            set
        );
    }

    #[test]
    fn the_id_token_is_required_and_checked() {
        let no_id = json!({"access_token": "at", "token_type": "Bearer"}).to_string();
        assert_eq!(
            finish_login(&config(), "n1", 200, &no_id, NOW)
                .unwrap_err()
                .code(),
            "token_response"
        );
        let id_token = jwt(json!({"alg": "RS256"}), &good_claims());
        assert_eq!(
            finish_login(&config(), "other", 200, &body(&id_token), NOW)
                .unwrap_err()
                .code(),
            "id_token_claim"
        );
    }

    #[test]
    fn refresh_is_due_within_the_leeway() {
        let id_token = jwt(json!({"alg": "RS256"}), &good_claims());
        let set = finish_login(&config(), "n1", 200, &body(&id_token), NOW).unwrap();
        assert!(!set.should_refresh(NOW, 60));
        assert!(!set.should_refresh(NOW + 59, 60));
        assert!(set.should_refresh(NOW + 60, 60));
        assert!(
            !TokenSet {
                expires_at: None,
                ..set
            }
            .should_refresh(u64::MAX, 60)
        );
    }

    #[test]
    fn tampered_token_sets_are_refused() {
        for bad in ["", "null", "{}", r#"{"access_token":1}"#, "<b>"] {
            assert_eq!(parse_token_set(bad).unwrap_err().code(), "storage");
        }
    }
}
