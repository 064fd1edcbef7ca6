//! Token sets between tabs and from storage: what goes to another tab, and what may be adopted.

use super::*;

impl TokenSet {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{TokenStorage, parse_config};
    use crate::id_token::tests::{NOW, good_claims, jwt};
    use crate::json::native::parse;
    use crate::session::tests::{body, config, signed_in};
    use serde_json::json;

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
}
