//! The configuration in code: the settings of `config.json` set one by one, then validated
//! exactly as the file is.

use crate::config::{Config, TokenStorage, validate};
use crate::error::AuthError;
use crate::json::Json;

/// The client's settings, built in code: each method sets the `config.json` key of its name.
///
/// ```
/// use oidc_protocol::settings::AuthConfig;
/// let config = AuthConfig::new("tenant.eu.auth0.com", "my-client-id")
///     .audience("https://api.example.com")
///     .api_base_url("https://api.example.com")
///     .api("reports", "https://reports.example.com", "https://reports.example.com", "read:reports")
///     .validate("https://app.example.com")
///     .unwrap();
/// assert_eq!(config.issuer, "https://tenant.eu.auth0.com/");
/// assert_eq!(config.apis.len(), 2);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct AuthConfig {
    members: Vec<(String, Json)>,
    apis: Vec<(String, Json)>,
}

impl AuthConfig {
    /// An Auth0 domain (`tenant.eu.auth0.com`) or the issuer URL exactly as the provider states
    /// it, and the app's client id.
    pub fn new(domain: impl Into<String>, client_id: impl Into<String>) -> AuthConfig {
        AuthConfig { members: Vec::new(), apis: Vec::new() }.text("domain", domain).text("client_id", client_id)
    }

    fn set(mut self, key: &str, value: Json) -> AuthConfig {
        self.members.retain(|(k, _)| k != key);
        self.members.push((key.to_owned(), value));
        self
    }

    fn text(self, key: &str, value: impl Into<String>) -> AuthConfig {
        self.set(key, Json::String(value.into()))
    }

    string_setters! {
        text,
        /// The main API's identifier (Auth0's `audience`, an RFC 8707 resource).
        audience,
        /// The scopes to ask for, space-separated; must include `openid`.
        scope,
        /// Where the main API lives: its URLs get the sign-in's access token.
        api_base_url,
        /// Where the provider sends the person back (default: the origin + `/callback`).
        redirect_uri,
        /// Where the provider sends the person after sign-out (default: the origin + `/`).
        post_logout_redirect_uri,
        /// An Auth0 organization to sign in to.
        organization,
        /// An Auth0 organization invitation.
        invitation,
    }

    /// Another API, by name: its base URL, its audience and the scopes its tokens need.
    pub fn api(
        mut self,
        name: impl Into<String>,
        base_url: impl Into<String>,
        audience: impl Into<String>,
        scope: impl Into<String>,
    ) -> AuthConfig {
        let fields = [("base_url", base_url.into()), ("audience", audience.into()), ("scope", scope.into())];
        let api = Json::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), Json::String(v))).collect());
        let name = name.into();
        self.apis.retain(|(n, _)| *n != name);
        self.apis.push((name, api));
        self
    }

    /// Where tokens are kept between page loads (default: memory).
    pub fn token_storage(self, storage: TokenStorage) -> AuthConfig {
        let name = match storage {
            TokenStorage::Memory => "memory",
            TokenStorage::Local => "local",
        };
        self.text("token_storage", name)
    }

    /// Clock tolerance and refresh margin, in seconds (at most 600; default 60).
    pub fn leeway_seconds(self, seconds: u64) -> AuthConfig {
        self.set("leeway_seconds", Json::Number(seconds as f64))
    }

    /// RFC 9449 DPoP on or off (default: on where the provider advertises it).
    pub fn dpop(self, dpop: bool) -> AuthConfig {
        self.set("dpop", Json::Bool(dpop))
    }

    /// The validated configuration, checked as `config.json` is; `origin` is the page's origin,
    /// for the default URIs.
    pub fn validate(&self, origin: &str) -> Result<Config, AuthError> {
        let mut members = self.members.clone();
        if !self.apis.is_empty() {
            members.push(("apis".to_owned(), Json::Object(self.apis.clone())));
        }
        validate(&Json::Object(members), origin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_config;
    use crate::json::native::parse;

    const ORIGIN: &str = "http://127.0.0.1:8080";

    #[test]
    fn a_config_built_in_code_is_the_file_s() {
        let built = AuthConfig::new("http://127.0.0.1:4000/", "leptos-pkce-dev")
            .audience("https://api.leptos-pkce.test")
            .scope("openid profile email offline_access read:messages write:messages")
            .api_base_url("http://127.0.0.1:4001")
            .api("reports", "http://127.0.0.1:4002", "https://reports.leptos-pkce.test", "read:reports")
            .token_storage(TokenStorage::Memory)
            .dpop(false)
            .leeway_seconds(60);
        let file = parse_config(include_str!("../../../config.json"), ORIGIN, parse).unwrap();
        assert_eq!(built.validate(ORIGIN).unwrap(), file);
    }

    #[test]
    fn it_is_validated_as_the_file_is() {
        let config = || AuthConfig::new("tenant.eu.auth0.com", "c");
        let code = |result: Result<Config, AuthError>| result.unwrap_err().code();
        assert_eq!(
            code(AuthConfig::new("http://id.example.com", "c").validate(ORIGIN)),
            "config_invalid",
            "plain http"
        );
        assert_eq!(code(config().scope("profile").validate(ORIGIN)), "config_invalid", "no openid");
        assert_eq!(code(config().leeway_seconds(601).validate(ORIGIN)), "config_invalid");
        assert_eq!(
            code(config().api("r", "http://r.example.com", "https://r", "s").validate(ORIGIN)),
            "config_invalid"
        );
        assert_eq!(code(AuthConfig::new("tenant.eu.auth0.com", "").validate(ORIGIN)), "config_invalid", "no client id");
        let set = config().redirect_uri("https://app.test/cb").organization("org_1").token_storage(TokenStorage::Local);
        let valid = set.dpop(true).validate(ORIGIN).unwrap();
        assert_eq!(valid.redirect_uri, "https://app.test/cb");
        assert_eq!(
            (valid.organization.as_deref(), valid.token_storage, valid.dpop),
            (Some("org_1"), TokenStorage::Local, true)
        );
        assert!(valid.dpop_stated);
        let later = config().audience("https://a").audience("https://b").validate(ORIGIN).unwrap();
        assert_eq!(later.audience.as_deref(), Some("https://b"), "a later setting wins");
    }
}
