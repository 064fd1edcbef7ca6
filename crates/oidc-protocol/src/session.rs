//! The signed-in token set, its expiry, and "should I refresh now?".

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
    fn own_refresh_token(&self, audience: Option<&str>) -> Option<&str> {
        self.access_for(audience)?.refresh_token.as_deref()
    }

    /// What a refresh for `api` (`None`: the sign-in's own token) spends and asks for: the API's
    /// own refresh token, without a resource; else the session's, naming another API's resource
    /// and scopes (RFC 8707 §2.2). `None` without a refresh token.
    pub fn refresh_grant<'a>(&'a self, api: Option<&'a Api>) -> Option<RefreshGrant<'a>> {
        let audience = api.and_then(Api::token_key);
        if let Some(own) = self.own_refresh_token(audience) {
            return Some(RefreshGrant { refresh_token: own, target: Target::default(), own: true });
        }
        let target = Target { resource: audience, scope: audience.and(api.and_then(|api| api.scope.as_deref())) };
        Some(RefreshGrant { refresh_token: self.refresh_token.as_deref()?, target, own: false })
    }

    /// Keeps `access` as `audience`'s token (replacing any other).
    fn set_api_token(&mut self, audience: &str, access: Access) {
        self.others.retain(|(a, _)| a != audience);
        self.others.push((audience.to_owned(), access));
    }

    /// Adds the tokens of a sign-in made for another API alone (its access token and its own
    /// refresh token) to this set; the sign-in's own tokens stay as they are.
    pub fn with_api_sign_in(mut self, audience: &str, sign_in: TokenSet) -> TokenSet {
        let access = Access { refresh_token: sign_in.refresh_token, ..sign_in.access };
        self.set_api_token(audience, access);
        self
    }

    /// What another tab is given. Browser-based apps BCP §8: a bearer refresh token that any
    /// script of the origin could read off the tab channel works anywhere, so in `memory` mode
    /// without DPoP it stays in the tab that received it.
    pub fn for_other_tabs(&self, config: &Config) -> TokenSet {
        let mut set = self.clone();
        if !config.shares_refresh_tokens() {
            set.refresh_token = None;
            set.others.iter_mut().for_each(|(_, access)| access.refresh_token = None);
        }
        set
    }

    /// Another tab's newer set of the same session, with the refresh tokens this tab holds where
    /// it carries none (see [`TokenSet::for_other_tabs`]).
    pub fn keeping_refresh_tokens_of(mut self, mine: &TokenSet) -> TokenSet {
        if self.session == mine.session {
            self.refresh_token = self.refresh_token.or_else(|| mine.refresh_token.clone());
            for (audience, access) in &mut self.others {
                access.refresh_token =
                    access.refresh_token.take().or_else(|| mine.own_refresh_token(Some(audience)).map(str::to_owned));
            }
        }
        self
    }

    /// What time it is by the provider's clock.
    pub fn provider_now(&self, now: u64) -> u64 {
        now.saturating_add_signed(self.clock_offset)
    }

    fn from_response(response: TokenResponse, claims: Claims, now: u64, config: &Config, session: &str) -> TokenSet {
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

/// The refresh token a refresh spends and what it asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefreshGrant<'a> {
    pub refresh_token: &'a str,
    pub target: Target<'a>,
    /// Whether it is an API's own refresh token rather than the session's.
    pub own: bool,
}

/// The provider's clock minus this device's, from a just-issued ID token's `iat` (checked finite).
fn clock_offset(claims: &Claims, now: u64) -> i64 {
    claims.get("iat").and_then(Json::as_f64).map_or(0, |iat| (iat - now as f64) as i64)
}

/// What this configuration's ID tokens must match; `nonce` for a sign-in, `None` on refresh.
fn expectations<'a>(config: &'a Config, nonce: Option<&'a str>, now: u64) -> Expectations<'a> {
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
fn expected_type(config: &Config) -> &'static str {
    if config.dpop { "DPoP" } else { "Bearer" }
}

/// RFC 6749 §5.1: a `scope` in the answer that lacks what was asked for means the provider gave
/// a token for something else (Auth0 answers a refused audience with its default audience's).
fn grants(response: &TokenResponse, requested: Option<&str>) -> bool {
    match (response.scope.as_deref(), requested) {
        (Some(granted), Some(requested)) => requested.split(' ').all(|s| granted.split(' ').any(|g| g == s)),
        _ => true,
    }
}

/// Whether a provider's error to a refresh for another API means "not from this refresh token"
/// (RFC 8707 §2.2 `invalid_target`, or a refused scope or client).
pub fn refuses_audience(error: &AuthError) -> bool {
    matches!(error, AuthError::Provider { error, .. }
        if matches!(error.as_str(), "invalid_target" | "invalid_scope" | "access_denied" | "unauthorized_client"))
}

/// Turns the answer to a refresh for `api` (`None` or the main API: the sign-in's own token) into
/// the next token set (RFC 6749 §6, OIDC Core §12.2); the other access tokens are kept. A token
/// the provider gave for another audience than asked is kept as the sign-in's own (it is one), and
/// `api` then has no token in the set: the caller tells the refusal by that.
pub fn finish_refresh(
    config: &Config,
    previous: &TokenSet,
    api: Option<&Api>,
    status: u16,
    body: &str,
    now: u64,
    parse: Parse,
) -> Result<TokenSet, AuthError> {
    let response = parse_token_response(status, body, expected_type(config), parse)?;
    let wanted = api.and_then(Api::token_key);
    let granted = grants(&response, api.and_then(|api| api.scope.as_deref()));
    let own = wanted.and_then(|a| previous.own_refresh_token(Some(a)));
    let claims = match response.id_token.as_deref() {
        // An API's own refresh token belongs to that API's sign-in: its ID token continues that
        // sign-in (another nonce and auth_time), so it must only be the same person, and the
        // session's own ID token stays.
        Some(id_token) if own.is_some() => {
            let claims = validate_id_token(id_token, &expectations(config, None, now), parse)?;
            if !same_person(&previous.claims, &claims) {
                return Err(AuthError::IdTokenClaim { claim: "sub", reason: "changed on refresh".into() });
            }
            None
        }
        Some(id_token) => {
            let claims = validate_id_token(id_token, &expectations(config, None, now), parse)?;
            check_continuity(&previous.claims, &claims)?;
            Some(claims)
        }
        None => None,
    };
    let mut next = previous.clone();
    let mut access = Access::from_response(&response, now);
    // RFC 6749 §6: a new refresh token replaces the one spent; without one, the old stays valid.
    match (own, response.refresh_token) {
        (Some(own), rotated) => access.refresh_token = Some(rotated.unwrap_or_else(|| own.to_owned())),
        (None, Some(rotated)) => next.refresh_token = Some(rotated),
        (None, None) => {}
    }
    match wanted {
        None => next.access = access,
        Some(audience) if granted => next.set_api_token(audience, access),
        // Granted for something else: kept for no API (it would be sent where it does not belong).
        Some(refused) => next.others.retain(|(a, _)| a != refused),
    }
    if let (Some(id_token), Some(claims)) = (response.id_token, claims) {
        next.id_token = id_token;
        next.clock_offset = clock_offset(&claims, now);
        next.claims = claims;
    }
    Ok(next)
}

/// OIDC Core §12.2: a refreshed ID token keeps the original `iss`, `sub`, `aud` and `azp` (absent
/// stays absent), and its `auth_time` and `nonce`, when present, are the original ones.
fn check_continuity(original: &Claims, refreshed: &Claims) -> Result<(), AuthError> {
    let same = |claim| refreshed.get(claim) == original.get(claim);
    let kept_if_present = |claim| refreshed.get(claim).is_none() || same(claim);
    let changed = ["iss", "sub", "aud", "azp"].into_iter().find(|claim| !same(claim));
    match changed.or_else(|| ["auth_time", "nonce"].into_iter().find(|claim| !kept_if_present(claim))) {
        Some(claim) => Err(AuthError::IdTokenClaim { claim, reason: "changed on refresh".into() }),
        None => Ok(()),
    }
}

/// Whether `a` and `b` are the same person at the same provider (OIDC Core §5.7: `iss` + `sub`).
pub fn same_person(a: &Claims, b: &Claims) -> bool {
    ["iss", "sub"].iter().all(|claim| a.get(claim).is_some_and(|value| Some(value) == b.get(claim)))
}

/// Whether a token set found in storage or sent by another tab may be adopted: what a token
/// response must pass (OIDC Core §3.1.3.7 items 2–5: the issuer and this client; the audience
/// this configuration asks for), and, when this tab has a session, the same person.
pub fn check_adoptable(set: &TokenSet, config: &Config, current: Option<&TokenSet>) -> Result<(), AuthError> {
    let refused = |why: &str| Err(AuthError::Storage(format!("a token set {why} was refused")));
    // Its ID token may have expired since: its times pass whatever they are (a leeway of ages).
    let expect = Expectations { leeway: u64::MAX / 4, ..expectations(config, None, 0) };
    if check_claims(&set.claims, &expect).is_err() {
        return refused("for another provider or client");
    }
    if set.granted_for != config.audience {
        return refused("for another audience");
    }
    match current {
        Some(current) if !same_person(&current.claims, &set.claims) => refused("of another person"),
        _ => Ok(()),
    }
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
    use crate::config::{TokenStorage, parse_config};
    use crate::id_token::tests::{ISSUER, NOW, good_claims, jwt};
    use crate::json::native::parse;
    use serde_json::json;

    fn config() -> Config {
        parse_config(r#"{"domain":"https://id.test/","client_id":"client"}"#, "https://app.test", parse).unwrap()
    }

    /// A token set from a good sign-in at `NOW`.
    fn signed_in() -> TokenSet {
        let id_token = jwt(json!({"alg": "RS256"}), &good_claims());
        finish_login(&config(), ("n1", None), 200, &body(&id_token), NOW, parse).unwrap()
    }

    fn body(id_token: &str) -> String {
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

    fn refreshed(answer: serde_json::Value) -> Result<TokenSet, AuthError> {
        let previous = signed_in();
        finish_refresh(&config(), &previous, None, 200, &answer.to_string(), NOW + 100, parse)
    }

    #[test]
    fn a_refresh_rotates_and_keeps_what_it_does_not_replace() {
        let set = refreshed(json!({"access_token": "at2", "token_type": "Bearer", "expires_in": 60,
                                   "refresh_token": "rt2"}))
        .unwrap();
        assert_eq!((set.access.token.as_str(), set.refresh_token.as_deref()), ("at2", Some("rt2")));
        assert_eq!(set.access.expires_at, Some(NOW + 160));
        assert_eq!(set.user_name(), "Ada", "claims kept without a new ID token");
        let kept = refreshed(json!({"access_token": "at2", "token_type": "Bearer"})).unwrap();
        assert_eq!(kept.refresh_token.as_deref(), Some("rt"), "RFC 6749 §6: no new one, keep the old");
    }

    fn reports_api() -> Api {
        Api {
            name: "reports".into(),
            base_url: "https://reports.test".into(),
            audience: Some("https://reports.test".into()),
            scope: Some("read:reports".into()),
        }
    }

    #[test]
    fn a_token_for_another_audience_than_asked_is_a_refusal_that_keeps_the_rotation() {
        let first = signed_in();
        // Auth0 without a multi-resource policy: the default audience's token, and a rotation.
        let answer = json!({"access_token": "main2", "token_type": "Bearer", "expires_in": 60, "refresh_token": "rt2",
                            "scope": "openid read:messages"});
        let set =
            finish_refresh(&config(), &first, Some(&reports_api()), 200, &answer.to_string(), NOW, parse).unwrap();
        assert_eq!(set.access_for(Some("https://reports.test")), None, "no token for the API that was refused");
        // Finding: it was kept as the main API's token, then sent there; it belongs to no API asked.
        assert_eq!(set.access, first.access, "the sign-in's own token is not replaced by it");
        assert_eq!(set.refresh_token.as_deref(), Some("rt2"), "the rotation is kept");
        assert!(refuses_audience(&AuthError::Provider { error: "invalid_target".into(), description: None }));
        assert!(!refuses_audience(&AuthError::Provider { error: "invalid_grant".into(), description: None }));
    }

    #[test]
    fn a_token_for_another_api_joins_the_set_and_rotates_the_refresh_token() {
        let first = signed_in();
        let answer = json!({"access_token": "r1", "token_type": "Bearer", "expires_in": 30, "refresh_token": "rt2",
                            "scope": "read:reports"});
        let api = reports_api();
        let reports = api.audience.as_deref();
        let target = Target { resource: reports, scope: Some("read:reports") };
        let grant = RefreshGrant { refresh_token: "rt", target, own: false };
        assert_eq!(first.refresh_grant(Some(&api)), Some(grant), "the session's, naming the resource (RFC 8707)");
        let set = finish_refresh(&config(), &first, Some(&api), 200, &answer.to_string(), NOW + 5, parse).unwrap();
        assert_eq!(set.access, first.access, "the sign-in's token is kept");
        let r = set.access_for(reports).unwrap();
        assert_eq!((r.token.as_str(), r.expires_at, r.scope.as_deref()), ("r1", Some(NOW + 35), Some("read:reports")));
        assert_eq!(set.refresh_token.as_deref(), Some("rt2"));
        assert_eq!(set.id_token, first.id_token);
        let answer = json!({"access_token": "r2", "token_type": "Bearer", "refresh_token": "rt3"});
        let again = finish_refresh(&config(), &set, Some(&api), 200, &answer.to_string(), NOW + 40, parse).unwrap();
        assert_eq!((again.others.len(), again.access_for(reports).unwrap().token.as_str()), (1, "r2"));
        assert_eq!(again.access_for(Some("https://other.test")), None);
    }

    #[test]
    fn a_sign_in_for_another_api_keeps_its_own_refresh_token() {
        let main = signed_in();
        let answer = body(&main.id_token).replace("\"at\"", "\"r1\"").replace("\"rt\"", "\"rt-r\"");
        let reports = finish_login(&config(), ("n1", None), 200, &answer, NOW, parse).unwrap();
        let api = reports_api();
        let aud = api.audience.as_deref();
        let set = main.clone().with_api_sign_in("https://reports.test", reports);
        assert_eq!((set.access.clone(), set.refresh_token.as_deref()), (main.access.clone(), Some("rt")));
        assert_eq!(set.access_for(aud).and_then(|a| a.refresh_token.as_deref()), Some("rt-r"));
        let own = RefreshGrant { refresh_token: "rt-r", target: Target::default(), own: true };
        assert_eq!(set.refresh_grant(Some(&api)), Some(own), "its own, naming no resource");
        let session = RefreshGrant { refresh_token: "rt", target: Target::default(), own: false };
        assert_eq!(set.refresh_grant(None), Some(session));
        // Its refresh rotates its own refresh token, not the sign-in's.
        let answer = json!({"access_token": "r2", "token_type": "Bearer", "refresh_token": "rt-r2"}).to_string();
        let next = finish_refresh(&config(), &set, Some(&api), 200, &answer, NOW + 9, parse).unwrap();
        let own = next.access_for(aud).unwrap();
        assert_eq!((own.token.as_str(), own.refresh_token.as_deref()), ("r2", Some("rt-r2")));
        assert_eq!(next.refresh_token.as_deref(), Some("rt"));
        assert_eq!(parse_token_set(&next.encode(), parse).unwrap(), next);
        // Its ID token continues the API's sign-in (another nonce): the same person is enough, and
        // the session's ID token stays.
        let mut claims = good_claims();
        claims["nonce"] = json!("n-reports");
        let answer =
            json!({"access_token": "r3", "token_type": "Bearer", "id_token": jwt(json!({"alg": "RS256"}), &claims)});
        let again = finish_refresh(&config(), &next, Some(&api), 200, &answer.to_string(), NOW + 20, parse).unwrap();
        assert_eq!((again.access_for(aud).unwrap().token.as_str(), &again.id_token), ("r3", &next.id_token));
        claims["sub"] = json!("mallory");
        let answer =
            json!({"access_token": "r4", "token_type": "Bearer", "id_token": jwt(json!({"alg": "RS256"}), &claims)});
        assert!(finish_refresh(&config(), &next, Some(&api), 200, &answer.to_string(), NOW + 20, parse).is_err());
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
    fn a_refreshed_id_token_keeps_azp_auth_time_and_nonce() {
        let mut original = good_claims();
        original["auth_time"] = json!(NOW - 5);
        let first =
            finish_login(&config(), ("n1", None), 200, &body(&jwt(json!({"alg": "RS256"}), &original)), NOW, parse)
                .unwrap();
        let refresh_with = |change: &dyn Fn(&mut serde_json::Value)| {
            let mut claims = original.clone();
            change(&mut claims);
            let answer =
                json!({"access_token": "a", "token_type": "Bearer", "id_token": jwt(json!({"alg": "RS256"}), &claims)});
            finish_refresh(&config(), &first, None, 200, &answer.to_string(), NOW + 10, parse)
        };
        let claim = |result: Result<TokenSet, AuthError>| match result {
            Err(AuthError::IdTokenClaim { claim, .. }) => claim,
            other => panic!("expected a claim error, got {other:?}"),
        };
        assert!(refresh_with(&|_| {}).is_ok());
        assert!(refresh_with(&|c| drop(c.as_object_mut().unwrap().remove("nonce"))).is_ok(), "no nonce is fine");
        assert!(refresh_with(&|c| drop(c.as_object_mut().unwrap().remove("auth_time"))).is_ok());
        assert_eq!(claim(refresh_with(&|c| c["azp"] = json!("client"))), "azp", "absent stays absent");
        assert_eq!(claim(refresh_with(&|c| c["auth_time"] = json!(NOW + 9))), "auth_time", "the original's");
        assert_eq!(claim(refresh_with(&|c| c["nonce"] = json!("n2"))), "nonce");
    }

    #[test]
    fn a_refresh_error_is_the_providers() {
        let err = refreshed(json!({"error": "invalid_grant"})).unwrap_err();
        assert_eq!(err.code(), "token_response", "a 200 without access_token is unusable");
        let previous = signed_in();
        let err =
            finish_refresh(&config(), &previous, None, 400, r#"{"error":"invalid_grant"}"#, NOW, parse).unwrap_err();
        assert_eq!(err, AuthError::Provider { error: "invalid_grant".into(), description: None });
    }

    #[test]
    fn only_sets_for_this_provider_client_audience_and_person_are_adopted() {
        // Finding: a stored set was trusted as found, whoever it was issued by or for.
        let set = signed_in();
        assert_eq!(set.session, "n1", "the sign-in's nonce names the session");
        assert!(check_adoptable(&set, &config(), None).is_ok());
        assert!(check_adoptable(&set, &config(), Some(&set)).is_ok());
        let elsewhere =
            parse_config(r#"{"domain":"https://other.test/","client_id":"client"}"#, "https://app.test", parse);
        assert!(check_adoptable(&set, &elsewhere.unwrap(), None).is_err(), "another issuer");
        let other_client = Config { client_id: "other".into(), ..config() };
        assert!(check_adoptable(&set, &other_client, None).is_err(), "another client");
        let other_api = Config { audience: Some("https://api.test/".into()), ..config() };
        assert!(check_adoptable(&set, &other_api, None).is_err(), "granted for another audience");
        let mut claims = good_claims();
        claims["sub"] = json!("mallory");
        let mallory =
            finish_login(&config(), ("n1", None), 200, &body(&jwt(json!({"alg": "RS256"}), &claims)), NOW, parse);
        let mallory = mallory.unwrap();
        assert!(!same_person(&set.claims, &mallory.claims) && same_person(&set.claims, &set.claims));
        assert!(check_adoptable(&mallory, &config(), Some(&set)).is_err(), "another person than this tab's");
        assert!(check_adoptable(&mallory, &config(), None).is_ok(), "a sign-in elsewhere, no session here");
        let stale = TokenSet { claims: good_claims_at(NOW - 90_000), ..set };
        assert!(check_adoptable(&stale, &config(), None).is_ok(), "an ID token expired since is no reason");
    }

    #[test]
    fn without_dpop_a_memory_set_goes_to_other_tabs_without_its_refresh_tokens() {
        // Finding: the tab channel gave the refresh token to any script of the origin.
        let reports = Access { refresh_token: Some("own".into()), ..signed_in().access };
        let set = TokenSet { others: vec![("https://r.test/".into(), reports)], ..signed_in() };
        let shared = set.for_other_tabs(&config());
        assert_eq!(shared.refresh_token, None);
        assert_eq!(shared.own_refresh_token(Some("https://r.test/")), None);
        assert_eq!(shared.access, set.access, "the access tokens go");
        for sharing in [Config { dpop: true, ..config() }, Config { token_storage: TokenStorage::Local, ..config() }] {
            assert_eq!(set.for_other_tabs(&sharing), set, "bound to the key, or in storage anyway");
        }
        // The tab that holds them keeps them when the others' news comes back without them.
        let newer = TokenSet { updated_at: 9, ..shared.clone() };
        let kept = newer.clone().keeping_refresh_tokens_of(&set);
        assert_eq!(kept.refresh_token.as_deref(), Some("rt"));
        assert_eq!(kept.own_refresh_token(Some("https://r.test/")), Some("own"));
        assert_eq!(kept.updated_at, 9);
        let other_session = TokenSet { session: "n2".into(), ..newer };
        assert_eq!(other_session.clone().keeping_refresh_tokens_of(&set), other_session, "not another session's");
    }

    fn good_claims_at(iat: u64) -> Claims {
        let mut claims = good_claims();
        claims["iat"] = json!(iat);
        claims["exp"] = json!(iat + 300);
        parse(&claims.to_string()).unwrap()
    }

    #[test]
    fn tampered_token_sets_are_refused() {
        for bad in ["", "null", "{}", r#"{"access_token":1}"#, "<b>"] {
            assert_eq!(parse_token_set(bad, parse).unwrap_err().code(), "storage");
        }
    }
}
