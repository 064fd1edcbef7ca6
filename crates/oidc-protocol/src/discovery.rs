//! Provider metadata: OpenID Connect Discovery, with Auth0's paths as the fallback.

use super::config::Config;
use super::error::AuthError;
use super::json::{Json, Parse};
use super::record::{self, Record};
use super::url::{is_secure_url, with_query};

/// How the provider ends its session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Logout {
    /// OIDC RP-Initiated Logout 1.0 §2 `end_session_endpoint`.
    EndSession(String),
    /// Auth0's `/v2/logout?client_id&returnTo`.
    Auth0(String),
}

/// The endpoints the client uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints {
    pub authorization: String,
    pub token: String,
    pub logout: Logout,
    pub revocation: Option<String>,
    pub jwks_uri: Option<String>,
    /// RFC 9207 §3: the provider always sends `iss` on its authorization responses.
    pub iss_parameter_supported: bool,
    /// RFC 9449 §5.1: the provider takes DPoP proofs signed with ES256, this client's algorithm.
    pub dpop_es256: bool,
}

/// OIDC Discovery §4: the metadata lives at the issuer (without its trailing slash) + this path.
pub fn discovery_url(issuer: &str) -> String {
    format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'))
}

/// Auth0's fixed paths, used when the discovery document cannot be fetched.
pub fn auth0_endpoints(issuer: &str) -> Endpoints {
    let issuer = format!("{}/", issuer.trim_end_matches('/'));
    Endpoints {
        authorization: format!("{issuer}authorize"),
        token: format!("{issuer}oauth/token"),
        logout: Logout::Auth0(format!("{issuer}v2/logout")),
        revocation: Some(format!("{issuer}oauth/revoke")),
        jwks_uri: Some(format!("{issuer}.well-known/jwks.json")),
        iss_parameter_supported: false,
        dpop_es256: false,
    }
}

fn checked(name: &str, url: String) -> Result<String, AuthError> {
    if is_secure_url(&url) { Ok(url) } else { Err(AuthError::Discovery(format!("`{name}` is not an https URL"))) }
}

fn checked_opt(name: &str, url: Option<String>) -> Result<Option<String>, AuthError> {
    url.map(|u| checked(name, u)).transpose()
}

/// Parses a discovery document; its `issuer` must equal the configured one (OIDC Discovery §4.3).
pub fn parse_discovery(issuer: &str, body: &str, parse: Parse) -> Result<Endpoints, AuthError> {
    let unusable = || AuthError::Discovery("not an OIDC Discovery §3 document".into());
    let meta = parse(body).ok_or_else(unusable)?;
    let member = |name: &str| meta.opt_string(name).map_err(|_| unusable());
    let required = |name: &str| member(name)?.ok_or_else(unusable);
    let found = required("issuer")?;
    if found != issuer {
        return Err(AuthError::Discovery(format!("issuer \"{found}\" differs from the configured \"{issuer}\"")));
    }
    // RFC 8414 §2: when the methods are listed, S256 must be among them.
    if let Some(methods) = meta.get("code_challenge_methods_supported").filter(|m| **m != Json::Null) {
        let methods = methods.items().ok_or_else(unusable)?;
        if !methods.iter().any(|m| m.as_str() == Some("S256")) {
            return Err(AuthError::Discovery("the provider does not support PKCE S256".into()));
        }
    }
    let logout = match checked_opt("end_session_endpoint", member("end_session_endpoint")?)? {
        Some(url) => Logout::EndSession(url),
        None => auth0_endpoints(issuer).logout,
    };
    Ok(Endpoints {
        authorization: checked("authorization_endpoint", required("authorization_endpoint")?)?,
        token: checked("token_endpoint", required("token_endpoint")?)?,
        logout,
        revocation: checked_opt("revocation_endpoint", member("revocation_endpoint")?)?,
        jwks_uri: checked_opt("jwks_uri", member("jwks_uri")?)?,
        iss_parameter_supported: meta.get("authorization_response_iss_parameter_supported") == Some(&Json::Bool(true)),
        dpop_es256: meta
            .get("dpop_signing_alg_values_supported")
            .and_then(Json::items)
            .is_some_and(|algs| algs.iter().any(|alg| alg.as_str() == Some("ES256"))),
    })
}

/// How long a cached provider document (discovery, JWKS) is used before it is fetched again.
pub const CACHE_MAX_AGE: u64 = 3600;

/// A provider document kept in storage, so start-up and the callback skip the fetch while fresh.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedDocument {
    /// Where it came from (the issuer, or the JWKS URI).
    pub source: String,
    pub fetched_at: u64,
    pub body: String,
}

impl CachedDocument {
    /// The copy as stored.
    pub fn encode(&self) -> String {
        let fetched_at = self.fetched_at.to_string();
        record::encode([("source", self.source.as_str()), ("fetched_at", &fetched_at), ("body", &self.body)])
    }

    /// A stored copy; `None` when it is not one.
    pub fn decode(text: &str) -> Option<CachedDocument> {
        let record = Record::decode(text);
        Some(CachedDocument {
            source: record.string("source")?,
            fetched_at: record.number("fetched_at")?,
            body: record.string("body")?,
        })
    }

    /// The body, if this copy is of `source` and fresh at `now`; parse (and so check) it again.
    pub fn fresh_body(&self, source: &str, now: u64) -> Option<&str> {
        let fresh = self.source == source && self.fetched_at <= now && now - self.fetched_at <= CACHE_MAX_AGE;
        fresh.then_some(self.body.as_str())
    }
}

/// The address that ends the provider session and comes back to the app.
pub fn logout_url(endpoints: &Endpoints, config: &Config, id_token_hint: Option<&str>) -> String {
    match &endpoints.logout {
        Logout::EndSession(url) => {
            let mut pairs = vec![
                ("client_id", config.client_id.as_str()),
                ("post_logout_redirect_uri", config.post_logout_redirect_uri.as_str()),
            ];
            if let Some(hint) = id_token_hint {
                pairs.push(("id_token_hint", hint));
            }
            with_query(url, &pairs)
        }
        Logout::Auth0(url) => {
            with_query(url, &[("client_id", &config.client_id), ("returnTo", &config.post_logout_redirect_uri)])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_config;
    use crate::json::native::parse;

    const ISSUER: &str = "https://tenant.eu.auth0.com/";

    fn document(issuer: &str, extra: &str) -> String {
        format!(
            r#"{{"issuer":"{issuer}","authorization_endpoint":"{issuer}authorize",
                "token_endpoint":"{issuer}oauth/token"{extra}}}"#
        )
    }

    #[test]
    fn discovery_url_follows_the_spec() {
        assert_eq!(discovery_url(ISSUER), "https://tenant.eu.auth0.com/.well-known/openid-configuration");
        // OIDC Discovery §4.1: appended to the issuer's path, whether or not it ends in a slash.
        assert_eq!(discovery_url("https://id.test/o"), "https://id.test/o/.well-known/openid-configuration");
        assert_eq!(discovery_url("http://127.0.0.1:5500"), "http://127.0.0.1:5500/.well-known/openid-configuration");
    }

    #[test]
    fn an_issuer_without_a_trailing_slash_is_matched_exactly() {
        let issuer = "https://id.test/o";
        let endpoints = parse_discovery(issuer, &document(issuer, ""), parse).unwrap();
        assert_eq!(endpoints.authorization, "https://id.test/oauthorize", "the document's own URLs, as written");
        assert!(parse_discovery(issuer, &document("https://id.test/o/", ""), parse).is_err());
        assert_eq!(auth0_endpoints(issuer).token, "https://id.test/o/oauth/token");
    }

    #[test]
    fn endpoints_come_from_the_document() {
        let extra = r#","end_session_endpoint":"https://tenant.eu.auth0.com/oidc/logout",
            "authorization_response_iss_parameter_supported":true,"code_challenge_methods_supported":["S256"]"#;
        let endpoints = parse_discovery(ISSUER, &document(ISSUER, extra), parse).unwrap();
        assert_eq!(endpoints.token, "https://tenant.eu.auth0.com/oauth/token");
        assert_eq!(endpoints.logout, Logout::EndSession("https://tenant.eu.auth0.com/oidc/logout".into()));
        assert!(endpoints.iss_parameter_supported);
        assert!(!endpoints.dpop_es256, "no DPoP advertised");
    }

    #[test]
    fn dpop_is_advertised_by_its_signing_algorithms() {
        for (algs, es256) in
            [(r#"["ES256","RS256"]"#, true), (r#"["EdDSA"]"#, false), ("[]", false), ("\"ES256\"", false)]
        {
            let extra = format!(r#","dpop_signing_alg_values_supported":{algs}"#);
            let endpoints = parse_discovery(ISSUER, &document(ISSUER, &extra), parse).unwrap();
            assert_eq!(endpoints.dpop_es256, es256, "{algs}");
        }
        assert!(!auth0_endpoints(ISSUER).dpop_es256, "without discovery, no DPoP unless stated");
    }

    #[test]
    fn without_end_session_auth0_logout_is_used() {
        let endpoints = parse_discovery(ISSUER, &document(ISSUER, ""), parse).unwrap();
        assert_eq!(endpoints.logout, auth0_endpoints(ISSUER).logout);
        assert!(!endpoints.iss_parameter_supported);
    }

    #[test]
    fn a_different_issuer_is_refused() {
        let err = parse_discovery(ISSUER, &document("https://tenant.eu.auth0.com", ""), parse).unwrap_err();
        assert_eq!(err.code(), "discovery");
    }

    #[test]
    fn bad_documents_are_refused() {
        let plain = document(ISSUER, r#","code_challenge_methods_supported":["plain"]"#);
        let http = document(ISSUER, r#","end_session_endpoint":"http://evil.test/logout""#);
        for body in ["<html>", "{}", "null", plain.as_str(), http.as_str()] {
            assert_eq!(parse_discovery(ISSUER, body, parse).unwrap_err().code(), "discovery", "{body}");
        }
    }

    #[test]
    fn cached_documents_expire_and_are_revalidated() {
        let cached = CachedDocument { source: ISSUER.into(), fetched_at: 1000, body: document(ISSUER, "") };
        assert!(cached.fresh_body(ISSUER, 1000 + CACHE_MAX_AGE).is_some());
        assert!(cached.fresh_body(ISSUER, 1001 + CACHE_MAX_AGE).is_none());
        assert!(cached.fresh_body(ISSUER, 999).is_none(), "from the future");
        assert!(cached.fresh_body("https://other.test/", 1000).is_none());
        assert_eq!(CachedDocument::decode(&cached.encode()), Some(cached.clone()));
        assert_eq!(CachedDocument::decode("{\"source\":1}"), None);
        let tampered = CachedDocument { body: document("https://evil.test/", ""), ..cached };
        let body = tampered.fresh_body(ISSUER, 1000).unwrap();
        assert!(parse_discovery(ISSUER, body, parse).is_err(), "a tampered copy fails the issuer check again");
    }

    #[test]
    fn logout_urls() {
        let config =
            parse_config(r#"{"domain":"tenant.eu.auth0.com","client_id":"abc"}"#, "https://app.test", parse).unwrap();
        let auth0 = logout_url(&auth0_endpoints(ISSUER), &config, Some("idt"));
        assert_eq!(auth0, "https://tenant.eu.auth0.com/v2/logout?client_id=abc&returnTo=https%3A%2F%2Fapp.test%2F");
        let oidc = Endpoints { logout: Logout::EndSession(format!("{ISSUER}end")), ..auth0_endpoints(ISSUER) };
        assert_eq!(
            logout_url(&oidc, &config, Some("a.b.c")),
            "https://tenant.eu.auth0.com/end?client_id=abc&post_logout_redirect_uri=https%3A%2F%2Fapp.test%2F&id_token_hint=a.b.c"
        );
    }
}
