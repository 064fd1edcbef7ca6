//! The signed-in token set, its expiry, and "should I refresh now?".

mod adopt;
mod refresh;

pub use adopt::{check_adoptable, same_person};
pub use refresh::{RefreshGrant, finish_refresh, refuses_audience};

use super::config::{Api, Config};
use super::error::AuthError;
use super::id_token::{Claims, Expectations, check_claims, decode_claims, display_name, validate_id_token};
use super::json::{Json, Parse};
use super::record::{self, Record};
use super::token::{Target, TokenResponse, parse_token_response};

/// One access token, and what it takes to use and renew it.
#[derive(Clone, Debug, PartialEq)]
pub struct Access {
    pub token: String,
    /// RFC 9449 §5 / RFC 6750: `DPoP` when bound to the app's key, else `Bearer`.
    pub token_type: String,
    /// Seconds since the epoch, computed from `expires_in` at receipt; `None` when not given.
    pub expires_at: Option<u64>,
    /// `expires_in` as received: how long the token lives.
    pub lifetime: Option<u64>,
    pub scope: Option<String>,
    /// Another API's own refresh token, when the provider would only give its tokens through a
    /// sign-in of their own (no multi-resource refresh); `None` for the sign-in's own token.
    pub refresh_token: Option<String>,
}

impl Access {
    /// Whether to renew it now: within `leeway` seconds of expiry, but never before half its
    /// lifetime has passed (a 62 s token with a 60 s leeway renews after 31 s, not every 2 s).
    pub fn should_refresh(&self, now: u64, leeway: u64) -> bool {
        let margin = self.lifetime.map_or(leeway, |lifetime| leeway.min(lifetime / 2));
        self.expires_at.is_some_and(|at| now.saturating_add(margin) >= at)
    }

    /// Whether it is past its expiry (no margin).
    pub fn expired(&self, now: u64) -> bool {
        self.should_refresh(now, 0)
    }

    fn from_response(response: &TokenResponse, now: u64) -> Access {
        Access {
            token: response.access_token.clone(),
            token_type: response.token_type.clone(),
            expires_at: response.expires_in.map(|s| now.saturating_add(s)),
            lifetime: response.expires_in,
            scope: response.scope.clone(),
            refresh_token: None,
        }
    }

    fn encode_into(&self, pairs: &mut Vec<(&'static str, String)>) {
        pairs.push(("access_token", self.token.clone()));
        pairs.push(("token_type", self.token_type.clone()));
        let optional = [
            ("expires_at", self.expires_at.map(|at| at.to_string())),
            ("lifetime", self.lifetime.map(|l| l.to_string())),
            ("scope", self.scope.clone()),
            ("own_refresh_token", self.refresh_token.clone()),
        ];
        pairs.extend(optional.into_iter().filter_map(|(key, value)| Some((key, value?))));
    }

    fn decode(record: &Record) -> Option<Access> {
        let optional_number = |key| match record.get(key) {
            None => Some(None),
            Some(_) => record.number(key).map(Some),
        };
        Some(Access {
            token: record.string("access_token").filter(|t| !t.is_empty())?,
            token_type: record.string("token_type")?,
            expires_at: optional_number("expires_at")?,
            lifetime: optional_number("lifetime")?,
            scope: record.string("scope"),
            refresh_token: record.string("own_refresh_token"),
        })
    }
}

/// The tokens of a signed-in person, plus the ID token's claims.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenSet {
    /// The sign-in's own access token (for `audience`, the main API).
    pub access: Access,
    /// Access tokens for the other APIs, by audience (from the refresh token).
    pub others: Vec<(String, Access)>,
    pub refresh_token: Option<String>,
    pub id_token: String,
    pub claims: Claims,
    /// When this set was adopted (ms since the epoch, stamped by the client): between tabs, the
    /// newest set wins.
    pub updated_at: u64,
    /// The provider's clock minus this device's, in seconds, from the latest ID token's `iat`
    /// on arrival: DPoP proofs are dated by the provider's clock (RFC 9449 §11.1).
    pub clock_offset: i64,
    /// The audience the sign-in's own access token was granted for (`None`: no audience asked).
    pub granted_for: Option<String>,
    /// This sign-in's identity (its `nonce`, random and public once used): a set of a session
    /// that was signed out of is never adopted again.
    pub session: String,
}

impl TokenSet {
    /// The access token for `audience`; `None` asks for the sign-in's own.
    pub fn access_for(&self, audience: Option<&str>) -> Option<&Access> {
        match audience {
            None => Some(&self.access),
            Some(audience) => self.others.iter().find(|(a, _)| a == audience).map(|(_, access)| access),
        }
    }

    /// `audience`'s access token when it is no longer `stale` (`None`: there was none): what
    /// replaces it once another caller renewed it.
    pub fn renewed(&self, audience: Option<&str>, stale: Option<&str>) -> Option<&Access> {
        self.access_for(audience).filter(|access| Some(access.token.as_str()) != stale)
    }

    /// The name to greet the person with.
    pub fn user_name(&self) -> String {
        display_name(&self.claims)
    }

    /// The set as kept in storage (`local` mode) or sent to another tab; the claims are not
    /// written, they are read again from the ID token. Each other API's token is a nested record.
    pub fn encode(&self) -> String {
        let mut pairs = vec![
            ("id_token", self.id_token.clone()),
            ("updated_at", self.updated_at.to_string()),
            ("clock_offset", self.clock_offset.to_string()),
            ("session", self.session.clone()),
        ];
        pairs.extend(self.refresh_token.clone().map(|rt| ("refresh_token", rt)));
        pairs.extend(self.granted_for.clone().map(|audience| ("granted_for", audience)));
        self.access.encode_into(&mut pairs);
        for (audience, access) in &self.others {
            let mut nested = vec![("audience", audience.clone())];
            access.encode_into(&mut nested);
            pairs.push(("api", record::encode(nested.iter().map(|(k, v)| (*k, v.as_str())))));
        }
        record::encode(pairs.iter().map(|(k, v)| (*k, v.as_str())))
    }

    /// `audience`'s own refresh token (from a sign-in for that API alone), if it has one.
    pub(super) fn own_refresh_token(&self, audience: Option<&str>) -> Option<&str> {
        self.access_for(audience)?.refresh_token.as_deref()
    }

    /// What time it is by the provider's clock.
    pub fn provider_now(&self, now: u64) -> u64 {
        now.saturating_add_signed(self.clock_offset)
    }

    pub(super) fn from_response(
        response: TokenResponse,
        claims: Claims,
        now: u64,
        config: &Config,
        session: &str,
    ) -> TokenSet {
        TokenSet {
            granted_for: config.audience.clone(),
            session: session.to_owned(),
            access: Access::from_response(&response, now),
            others: Vec::new(),
            refresh_token: response.refresh_token,
            id_token: response.id_token.unwrap_or_default(),
            clock_offset: clock_offset(&claims, now),
            claims,
            updated_at: 0,
        }
    }
}

/// The provider's clock minus this device's, from a just-issued ID token's `iat` (checked finite).
pub(super) fn clock_offset(claims: &Claims, now: u64) -> i64 {
    claims.get("iat").and_then(Json::as_f64).map_or(0, |iat| (iat - now as f64) as i64)
}

/// What this configuration's ID tokens must match; `nonce` for a sign-in, `None` on refresh.
pub(super) fn expectations<'a>(config: &'a Config, nonce: Option<&'a str>, now: u64) -> Expectations<'a> {
    Expectations {
        issuer: &config.issuer,
        client_id: &config.client_id,
        nonce,
        organization: config.organization.as_deref(),
        max_age: None,
        leeway: config.leeway_seconds,
        now,
    }
}

/// The token type a response must have: `DPoP` when the request carried a proof (RFC 9449 §5).
pub(super) fn expected_type(config: &Config) -> &'static str {
    if config.dpop { "DPoP" } else { "Bearer" }
}

/// Reads a token set kept by another tab or in storage; malformed contents are an error.
pub fn parse_token_set(text: &str, parse: Parse) -> Result<TokenSet, AuthError> {
    let unreadable = || AuthError::Storage("unreadable token set".into());
    let record = Record::decode(text);
    let id_token = record.string("id_token").ok_or_else(unreadable)?;
    let others = record.all("api").map(|nested| {
        let nested = Record::decode(nested);
        Some((nested.string("audience")?, Access::decode(&nested)?))
    });
    Ok(TokenSet {
        access: Access::decode(&record).ok_or_else(unreadable)?,
        others: others.collect::<Option<_>>().ok_or_else(unreadable)?,
        refresh_token: record.string("refresh_token"),
        claims: decode_claims(&id_token, parse).map_err(|_| unreadable())?,
        id_token,
        updated_at: record.number("updated_at").ok_or_else(unreadable)?,
        clock_offset: record.get("clock_offset").and_then(|v| v.parse().ok()).ok_or_else(unreadable)?,
        granted_for: record.string("granted_for"),
        session: record.string("session").ok_or_else(unreadable)?,
    })
}

/// Turns the token endpoint's answer to a code exchange into a checked token set.
pub fn finish_login(
    config: &Config,
    (nonce, max_age): (&str, Option<u64>),
    status: u16,
    body: &str,
    now: u64,
    parse: Parse,
) -> Result<TokenSet, AuthError> {
    let response = parse_token_response(status, body, expected_type(config), parse)?;
    // OIDC Core §3.1.3.3: a successful response to an `openid` request includes an ID token.
    let id_token =
        response.id_token.as_deref().ok_or_else(|| AuthError::TokenResponse("`id_token` is missing".into()))?;
    let expect = Expectations { max_age, ..expectations(config, Some(nonce), now) };
    let claims = validate_id_token(id_token, &expect, parse)?;
    Ok(TokenSet::from_response(response, claims, now, config, nonce))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_config;
    use crate::id_token::tests::{ISSUER, NOW, good_claims, jwt};
    use crate::json::native::parse;
    use serde_json::json;

    pub(super) fn config() -> Config {
        parse_config(r#"{"domain":"https://id.test/","client_id":"client"}"#, "https://app.test", parse).unwrap()
    }

    /// A token set from a good sign-in at `NOW`.
    pub(super) fn signed_in() -> TokenSet {
        let id_token = jwt(json!({"alg": "RS256"}), &good_claims());
        finish_login(&config(), ("n1", None), 200, &body(&id_token), NOW, parse).unwrap()
    }

    pub(super) fn body(id_token: &str) -> String {
        json!({"access_token": "at", "token_type": "Bearer", "expires_in": 120, "refresh_token": "rt",
               "id_token": id_token})
        .to_string()
    }

    #[test]
    fn a_good_exchange() {
        let set = signed_in();
        assert_eq!(set.access.expires_at, Some(NOW + 120));
        assert_eq!(set.user_name(), "Ada");
        assert_eq!(set.claims.get("iss").and_then(Json::as_str), Some(ISSUER));
        assert_eq!(parse_token_set(&set.encode(), parse).unwrap(), set);
        let access = Access { expires_at: None, lifetime: None, scope: None, ..set.access.clone() };
        let reports = Access {
            token: "a&b=c".into(),
            scope: Some("read:reports".into()),
            refresh_token: Some("own".into()),
            ..set.access.clone()
        };
        let others = vec![("https://r.test/?x=1&y".to_owned(), reports)];
        let without = TokenSet { refresh_token: None, access, others, updated_at: 7, clock_offset: -300, ..set };
        assert_eq!(parse_token_set(&without.encode(), parse).unwrap(), without);
    }

    #[test]
    fn the_id_token_is_required_and_checked() {
        let no_id = json!({"access_token": "at", "token_type": "Bearer"}).to_string();
        assert_eq!(
            finish_login(&config(), ("n1", None), 200, &no_id, NOW, parse).unwrap_err().code(),
            "token_response"
        );
        let id_token = jwt(json!({"alg": "RS256"}), &good_claims());
        assert_eq!(
            finish_login(&config(), ("other", None), 200, &body(&id_token), NOW, parse).unwrap_err().code(),
            "id_token_claim"
        );
    }

    #[test]
    fn refresh_is_due_within_the_leeway() {
        let set = signed_in();
        let access = set.access;
        assert!(!access.should_refresh(NOW, 60));
        assert!(!access.should_refresh(NOW + 59, 60));
        assert!(access.should_refresh(NOW + 60, 60));
        assert!(!Access { expires_at: None, ..access.clone() }.should_refresh(u64::MAX, 60));
        // A 62 s token with a 60 s leeway renews after half its life, not 2 s after receipt.
        let short = Access { expires_at: Some(NOW + 62), lifetime: Some(62), ..access.clone() };
        assert!(!short.should_refresh(NOW + 30, 60));
        assert!(short.should_refresh(NOW + 31, 60));
        let tiny = Access { expires_at: Some(NOW + 4), lifetime: Some(4), ..access };
        assert!(!tiny.should_refresh(NOW + 2, 1) && tiny.should_refresh(NOW + 3, 1));
        assert!(!tiny.expired(NOW + 3) && tiny.expired(NOW + 4));
    }

    #[test]
    fn the_provider_clock_is_read_from_a_fresh_id_token() {
        let mut claims = good_claims();
        claims["iat"] = json!(NOW + 300);
        let id_token = jwt(json!({"alg": "RS256"}), &claims);
        let config = Config { leeway_seconds: 600, ..config() };
        let set = finish_login(&config, ("n1", None), 200, &body(&id_token), NOW, parse).unwrap();
        assert_eq!((set.clock_offset, set.provider_now(NOW + 10)), (300, NOW + 310), "a device 5 min behind");
        let kept =
            finish_refresh(&config, &set, None, 200, r#"{"access_token":"a","token_type":"Bearer"}"#, NOW, parse);
        assert_eq!(kept.unwrap().clock_offset, 300, "no new ID token: the offset stays");
    }

    #[test]
    fn the_token_type_must_match_the_proof() {
        let id_token = jwt(json!({"alg": "RS256"}), &good_claims());
        let dpop = Config { dpop: true, ..config() };
        let err = finish_login(&dpop, ("n1", None), 200, &body(&id_token), NOW, parse).unwrap_err();
        assert!(err.message().contains("token_type"), "a bearer token after a proof: {err}");
        let bound = body(&id_token).replace("Bearer", "DPoP");
        assert_eq!(finish_login(&dpop, ("n1", None), 200, &bound, NOW, parse).unwrap().access.token_type, "DPoP");
        assert!(finish_login(&config(), ("n1", None), 200, &bound, NOW, parse).is_err(), "DPoP without a proof");
    }

    #[test]
    fn tampered_token_sets_are_refused() {
        for bad in ["", "null", "{}", r#"{"access_token":1}"#, "<b>"] {
            assert_eq!(parse_token_set(bad, parse).unwrap_err().code(), "storage");
        }
    }
}
