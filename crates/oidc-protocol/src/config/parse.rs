//! Reading `config.json` (or a builder's settings, as the same JSON): every key checked, each
//! error naming its field.

use super::*;
use crate::json::{Json, Parse};
use crate::url::{is_secure_url, origin_of};

/// The keys `config.json` may have; any other is reported (most likely a typo).
const KEYS: [&str; 13] = [
    "domain",
    "client_id",
    "audience",
    "scope",
    "api_base_url",
    "redirect_uri",
    "post_logout_redirect_uri",
    "token_storage",
    "organization",
    "invitation",
    "leeway_seconds",
    "apis",
    "dpop",
];

/// The keys of one API under `apis`.
const API_KEYS: [&str; 3] = ["base_url", "audience", "scope"];

fn config_error(message: String) -> AuthError {
    AuthError::Config(format!("config.json: {message}"))
}

/// A string key; absent and `null` read as `None`.
fn string(raw: &Json, key: &str) -> Result<Option<String>, AuthError> {
    raw.opt_string(key).map_err(|_| config_error(format!("`{key}` must be a string")))
}

fn required(raw: &Json, key: &str) -> Result<String, AuthError> {
    string(raw, key)?.ok_or_else(|| config_error(format!("`{key}` is missing")))
}

/// OIDC Discovery §4, RFC 8414 §3: the issuer as the provider states it. A bare host name is an
/// Auth0 domain, whose issuer is `https://domain/`; a URL is kept exactly as written (Google's,
/// Okta's, Keycloak realms' and Azure AD's issuers have no trailing slash).
pub fn normalize_domain(domain: &str) -> Result<String, AuthError> {
    let domain = domain.trim();
    let issuer = if crate::url::split_scheme(domain).is_some() {
        domain.to_owned()
    } else {
        format!("https://{}/", domain.trim_end_matches('/'))
    };
    if origin_of(&issuer).is_none() || issuer.contains(['?', '#']) {
        return Err(AuthError::Config(format!("`domain` is not a host name or issuer URL: \"{domain}\"")));
    }
    if !is_secure_url(&issuer) {
        return Err(AuthError::Config("`domain` must use https (plain http only on loopback)".into()));
    }
    Ok(issuer)
}

fn non_empty(field: &str, value: Option<String>) -> Result<Option<String>, AuthError> {
    match value.map(|v| v.trim().to_owned()) {
        Some(v) if v.is_empty() => Err(AuthError::Config(format!("`{field}` is empty"))),
        other => Ok(other),
    }
}

fn secure_url(field: &str, value: Option<String>) -> Result<Option<String>, AuthError> {
    match non_empty(field, value)? {
        Some(v) if !is_secure_url(&v) => {
            Err(AuthError::Config(format!("`{field}` must be an https URL (plain http only on loopback)")))
        }
        other => Ok(other),
    }
}

/// The APIs under `apis`: name → `{base_url, audience, scope}`, each field required.
fn parse_apis(raw: &Json) -> Result<Vec<Api>, AuthError> {
    let Some(apis) = raw.get("apis").filter(|v| **v != Json::Null) else {
        return Ok(Vec::new());
    };
    let apis = apis.members().ok_or_else(|| config_error("`apis` must be an object of APIs by name".into()))?;
    apis.iter()
        .map(|(name, api)| {
            let field = |key: &str| format!("apis.{name}.{key}");
            let members = api.members().ok_or_else(|| config_error(format!("`apis.{name}` must be an object")))?;
            if let Some((unknown, _)) = members.iter().find(|(key, _)| !API_KEYS.contains(&key.as_str())) {
                return Err(config_error(format!("unknown key `{}`", field(unknown))));
            }
            let required = |key: &str| {
                let value =
                    api.opt_string(key).map_err(|_| config_error(format!("`{}` must be a string", field(key))))?;
                non_empty(&field(key), value)?.ok_or_else(|| config_error(format!("`{}` is missing", field(key))))
            };
            let base_url = required("base_url")?;
            secure_url(&field("base_url"), Some(base_url.clone()))?;
            Ok(Api {
                name: name.clone(),
                base_url,
                audience: Some(required("audience")?),
                scope: Some(required("scope")?),
            })
        })
        .collect()
}

/// `scope` plus every other API's scopes, each once: what the sign-in asks for, so that the
/// refresh token covers them all.
fn all_scopes(scope: &str, apis: &[Api]) -> String {
    let mut all: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
    for extra in apis.iter().filter_map(|api| api.scope.as_deref()).flat_map(|s| s.split(' ')) {
        if !extra.is_empty() && !all.contains(&extra) {
            all.push(extra);
        }
    }
    all.join(" ")
}

/// Parses and validates `config.json`; `origin` is the page's origin, for the default URIs.
pub fn parse_config(text: &str, origin: &str, parse: Parse) -> Result<Config, AuthError> {
    let raw =
        parse(text).filter(|doc| doc.members().is_some()).ok_or_else(|| config_error("not a JSON object".into()))?;
    validate(&raw, origin)
}

/// Validates settings given as `config.json`'s object (from the file, or built in code).
pub(crate) fn validate(raw: &Json, origin: &str) -> Result<Config, AuthError> {
    if let Some((unknown, _)) = raw.members().into_iter().flatten().find(|(key, _)| !KEYS.contains(&key.as_str())) {
        return Err(config_error(format!("unknown key `{unknown}`")));
    }
    let issuer = normalize_domain(&required(raw, "domain")?)?;
    let client_id = non_empty("client_id", Some(required(raw, "client_id")?))?.unwrap_or_default();
    let scope = non_empty("scope", string(raw, "scope")?)?.unwrap_or_else(|| DEFAULT_SCOPE.to_owned());
    if !scope.split(' ').any(|s| s == "openid") {
        return Err(AuthError::Config("`scope` must include `openid`".into()));
    }
    let token_storage = match string(raw, "token_storage")?.as_deref() {
        None | Some("memory") => TokenStorage::Memory,
        Some("local") => TokenStorage::Local,
        Some(other) => {
            return Err(AuthError::Config(format!("`token_storage` must be memory or local, not \"{other}\"")));
        }
    };
    let leeway_seconds = match raw.get("leeway_seconds") {
        None | Some(Json::Null) => DEFAULT_LEEWAY_SECONDS,
        Some(value) => {
            value.as_u64().ok_or_else(|| config_error("`leeway_seconds` must be a whole number of seconds".into()))?
        }
    };
    if leeway_seconds > MAX_LEEWAY_SECONDS {
        return Err(AuthError::Config(format!("`leeway_seconds` must be at most {MAX_LEEWAY_SECONDS}")));
    }
    let audience = non_empty("audience", string(raw, "audience")?)?;
    let api_base_url = secure_url("api_base_url", string(raw, "api_base_url")?)?;
    let main =
        api_base_url.map(|base_url| Api { name: "api".into(), base_url, audience: audience.clone(), scope: None });
    let apis: Vec<Api> = main.into_iter().chain(parse_apis(raw)?).collect();
    Ok(Config {
        issuer,
        client_id,
        audience,
        scope: all_scopes(&scope, &apis),
        redirect_uri: secure_url("redirect_uri", string(raw, "redirect_uri")?)?
            .unwrap_or_else(|| format!("{origin}/callback")),
        post_logout_redirect_uri: secure_url("post_logout_redirect_uri", string(raw, "post_logout_redirect_uri")?)?
            .unwrap_or_else(|| format!("{origin}/")),
        token_storage,
        organization: non_empty("organization", string(raw, "organization")?)?,
        invitation: non_empty("invitation", string(raw, "invitation")?)?,
        leeway_seconds,
        apis,
        dpop: matches!(raw.get("dpop"), Some(Json::Bool(true))),
        dpop_stated: match raw.get("dpop") {
            None | Some(Json::Null) => false,
            Some(Json::Bool(_)) => true,
            Some(_) => return Err(config_error("`dpop` must be true or false".into())),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::native::parse;

    const ORIGIN: &str = "http://127.0.0.1:8080";

    fn config(json: &str) -> Result<Config, AuthError> {
        parse_config(json, ORIGIN, parse)
    }

    #[test]
    fn the_shipped_dev_config_is_valid() {
        let config = config(include_str!("../../../../config.json")).unwrap();
        assert_eq!(config.issuer, "http://127.0.0.1:4000/");
        assert_eq!(config.redirect_uri, "http://127.0.0.1:8080/callback");
        assert_eq!(config.post_logout_redirect_uri, "http://127.0.0.1:8080/");
        assert_eq!(config.token_storage, TokenStorage::Memory);
        assert_eq!(config.leeway_seconds, DEFAULT_LEEWAY_SECONDS);
        let apis: Vec<&str> = config.apis.iter().map(|api| api.name.as_str()).collect();
        assert_eq!(apis, ["api", "reports"]);
        assert!(config.scope.contains("write:messages") && config.scope.contains("read:reports"));
    }

    #[test]
    fn bare_domains_become_https_issuers() {
        assert_eq!(normalize_domain("tenant.eu.auth0.com").unwrap(), "https://tenant.eu.auth0.com/");
        assert_eq!(normalize_domain("tenant.eu.auth0.com/").unwrap(), "https://tenant.eu.auth0.com/");
        assert_eq!(normalize_domain("http://localhost:4000/").unwrap(), "http://localhost:4000/");
    }

    #[test]
    fn issuer_urls_are_kept_exactly_as_written() {
        // Finding: every issuer got a trailing slash, so a provider stating "http://127.0.0.1:5500"
        // (Google, Okta, Keycloak, Azure AD, Cognito, Zitadel) failed discovery's issuer check.
        assert_eq!(normalize_domain("http://127.0.0.1:5500").unwrap(), "http://127.0.0.1:5500");
        assert_eq!(normalize_domain("https://id.test/realms/demo").unwrap(), "https://id.test/realms/demo");
        assert_eq!(normalize_domain(" https://accounts.google.com ").unwrap(), "https://accounts.google.com");
    }

    #[test]
    fn insecure_or_odd_domains_are_refused() {
        for bad in ["http://tenant.auth0.com", "", "https://", "https://a.test/?x", "ftp://a.test"] {
            assert_eq!(normalize_domain(bad).unwrap_err().code(), "config_invalid", "{bad}");
        }
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases = [
            (r#"{"client_id":"c"}"#, "domain"),
            (r#"{"domain":"a.test","client_id":""}"#, "client_id"),
            (r#"{"domain":"a.test","client_id":"c","scope":"profile"}"#, "openid"),
            (r#"{"domain":"a.test","client_id":"c","token_storage":"cookie"}"#, "token_storage"),
            (r#"{"domain":"a.test","client_id":"c","leeway_seconds":9999}"#, "leeway_seconds"),
            (r#"{"domain":"a.test","client_id":"c","api_base_url":"http://a.test"}"#, "api_base_url"),
            (r#"{"domain":"a.test","client_id":"c","redirect_uri":"x"}"#, "redirect_uri"),
            (r#"{"domain":"a.test","client_id":"c","colour":"red"}"#, "colour"),
            (r#"{"domain":"a.test","client_id":"c","audience":" "}"#, "audience"),
            (r#"{"domain":"a.test","client_id":"c","dpop":"yes"}"#, "dpop"),
            ("<html>", "config.json"),
        ];
        for (json, field) in cases {
            let err = config(json).unwrap_err();
            assert!(err.message().contains(field), "{json}: {err}");
        }
    }

    const TWO_APIS: &str = r#"{"domain":"a.test","client_id":"c","scope":"openid read:a",
        "audience":"https://a.test/","api_base_url":"https://api.a.test",
        "apis":{"reports":{"base_url":"https://api.a.test/reports","audience":"https://r.test/","scope":"read:r read:a"},
                "other":{"base_url":"https://o.test:8443","audience":"https://o.test/","scope":"o"}}}"#;

    #[test]
    fn several_apis_each_own_their_urls() {
        let config = config(TWO_APIS).unwrap();
        let name = |url: &str| config.api_for(url).map(|api| api.name.as_str());
        assert_eq!(name("https://api.a.test/messages"), Some("api"));
        assert_eq!(name("https://api.a.test/reports/1"), Some("reports"), "the longest base URL wins");
        assert_eq!(name("https://o.test:8443/x"), Some("other"));
        assert_eq!(name("https://o.test/x"), None, "another port is another origin");
        assert_eq!(name("https://evil.test/https://api.a.test/"), None);
        // Finding: a raw string prefix, and a same-origin URL no base URL owns got a token.
        assert_eq!(name("https://api.a.test/reports-archive/1"), Some("api"), "a segment boundary");
        assert_eq!(name("https://api.a.test/reports?x"), Some("reports"));
        assert_eq!(name("https://api.a.test"), Some("api"));
        assert!(config.apis[0].is_main() && !config.apis[1].is_main());
        fn sorted(mut words: Vec<&str>) -> Vec<&str> {
            words.sort_unstable();
            words
        }
        assert!(config.scope.starts_with("openid read:a "));
        let scopes = sorted(config.scope.split(' ').collect());
        assert_eq!(scopes, ["o", "openid", "read:a", "read:r"], "every API's scopes, each once");
        let resources = config.resources();
        assert_eq!(resources[0], "https://a.test/", "the main API first");
        assert_eq!(sorted(resources), ["https://a.test/", "https://o.test/", "https://r.test/"]);
    }

    #[test]
    fn a_url_no_base_url_owns_gets_no_token() {
        let json = r#"{"domain":"a.test","client_id":"c","api_base_url":"https://a.test/api",
            "apis":{"r":{"base_url":"https://a.test/reports","audience":"https://r.test/","scope":"s"}}}"#;
        let config = config(json).unwrap();
        let name = |url: &str| config.api_for(url).map(|api| api.name.as_str());
        assert_eq!(name("https://a.test/other"), None, "same origin, owned by neither");
        assert_eq!(name("https://a.test/apis"), None);
        assert_eq!(name("https://a.test/reports-archive"), None);
        assert_eq!((name("https://a.test/api/x"), name("https://a.test/reports/")), (Some("api"), Some("r")));
    }

    #[test]
    fn bad_apis_are_named() {
        let cases = [
            (r#"{"apis":[]}"#, "`apis`"),
            (r#"{"apis":{"r":1}}"#, "apis.r"),
            (r#"{"apis":{"r":{"base_url":"https://r.test","audience":"x"}}}"#, "apis.r.scope"),
            (r#"{"apis":{"r":{"base_url":"http://r.test","audience":"x","scope":"s"}}}"#, "apis.r.base_url"),
            (r#"{"apis":{"r":{"base_url":"https://r.test","audience":"","scope":"s"}}}"#, "apis.r.audience"),
            (r#"{"apis":{"r":{"base_url":"https://r.test","audience":"x","scope":"s","colour":1}}}"#, "apis.r.colour"),
        ];
        for (apis, field) in cases {
            let json = format!(r#"{{"domain":"a.test","client_id":"c",{}"#, &apis[1..]);
            let err = config(&json).unwrap_err();
            assert!(err.message().contains(field), "{json}: {err}");
        }
    }

    #[test]
    fn dpop_follows_the_provider_unless_stated() {
        let cases = [("", true, true), ("", false, false), (r#","dpop":null"#, true, true)];
        let stated = [(r#","dpop":false"#, true, false), (r#","dpop":true"#, false, true)];
        for (stated, advertised, on) in cases.into_iter().chain(stated) {
            let mut config = config(&format!(r#"{{"domain":"a.test","client_id":"c"{stated}}}"#)).unwrap();
            config.settle_dpop(advertised);
            assert_eq!(config.dpop, on, "{stated} with DPoP advertised: {advertised}");
        }
    }

    #[test]
    fn optional_fields_are_kept() {
        let config = config(
            r#"{"domain":"a.test","client_id":"c","organization":"org_1","invitation":"inv",
                "token_storage":"local","redirect_uri":"https://app.test/cb","leeway_seconds":5}"#,
        )
        .unwrap();
        assert_eq!(config.organization.as_deref(), Some("org_1"));
        assert_eq!(config.invitation.as_deref(), Some("inv"));
        assert_eq!(config.token_storage, TokenStorage::Local);
        assert_eq!(config.redirect_uri, "https://app.test/cb");
        assert_eq!(config.scope, DEFAULT_SCOPE);
        assert_eq!(config.leeway_seconds, 5);
    }
}
