//! A refresh: what it spends and asks for, and what its answer must keep (RFC 6749 §6, OIDC Core §12.2).

use super::*;

impl TokenSet {
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
}

/// The refresh token a refresh spends and what it asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefreshGrant<'a> {
    pub refresh_token: &'a str,
    pub target: Target<'a>,
    /// Whether it is an API's own refresh token rather than the session's.
    pub own: bool,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id_token::tests::{NOW, good_claims, jwt};
    use crate::json::native::parse;
    use crate::session::tests::{body, config, signed_in};
    use serde_json::json;

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
}
