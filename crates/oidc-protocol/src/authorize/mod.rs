//! The authorization request (RFC 6749 §4.1.1 with RFC 7636 §4.3) and its login transaction.

mod options;

pub use options::SignInOptions;

use super::config::{Api, Config};
use super::discovery::Endpoints;
use super::pkce::random_string;
use super::record::{self, Record};
use super::url::with_query;

/// Random bytes one login needs: 32 each for the verifier, `state` and `nonce`.
pub const ENTROPY_BYTES: usize = 96;
/// How long a login may take before its transaction is refused and swept, in seconds.
pub const TRANSACTION_MAX_AGE: u64 = 600;

/// What the app remembers between the redirect to the provider and the callback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    pub state: String,
    pub verifier: String,
    pub nonce: String,
    pub return_to: String,
    pub created_at: u64,
    /// A `prompt=none` attempt: `login_required` then means signed out, not an error.
    pub silent: bool,
    /// A sign-in for another API alone (its audience): its tokens join the current set.
    pub audience: Option<String>,
    /// The `max_age` asked for (OIDC Core §3.1.2.1): the ID token's `auth_time` is checked against it.
    pub max_age: Option<u64>,
}

impl Transaction {
    /// The transaction as kept in sessionStorage.
    pub fn encode(&self) -> String {
        let created_at = self.created_at.to_string();
        let max_age = self.max_age.map(|max_age| max_age.to_string());
        record::encode(
            [
                ("state", self.state.as_str()),
                ("verifier", &self.verifier),
                ("nonce", &self.nonce),
                ("return_to", &self.return_to),
                ("created_at", &created_at),
                ("silent", if self.silent { "1" } else { "0" }),
            ]
            .into_iter()
            .chain(self.audience.as_deref().map(|audience| ("audience", audience)))
            .chain(max_age.as_deref().map(|max_age| ("max_age", max_age))),
        )
    }

    /// A stored transaction; `None` when the text is not one.
    pub fn decode(text: &str) -> Option<Transaction> {
        let record = Record::decode(text);
        Some(Transaction {
            state: record.string("state")?,
            verifier: record.string("verifier")?,
            nonce: record.string("nonce")?,
            return_to: record.string("return_to")?,
            created_at: record.number("created_at")?,
            silent: record.number("silent")? == 1,
            audience: record.string("audience"),
            max_age: record.number("max_age"),
        })
    }

    /// Whether the login is older than [`TRANSACTION_MAX_AGE`].
    pub fn is_stale(&self, now: u64) -> bool {
        now.saturating_sub(self.created_at) > TRANSACTION_MAX_AGE
    }
}

/// A transaction to save, and the address to send the browser to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginRequest {
    pub transaction: Transaction,
    pub url: String,
}

/// Keeps same-origin relative paths; anything else (absolute, `//host`, `/\host`) becomes `/`.
pub fn safe_return_to(path: &str) -> String {
    let safe = path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path.chars().any(|c| c.is_control() || c == '\\');
    if safe { path.to_owned() } else { "/".to_owned() }
}

/// Where to come back to after signing in from `path`: never the callback itself (whose one-time
/// parameters are gone), and only a same-origin path.
pub fn return_path(config: &Config, origin: &str, path: &str) -> String {
    let path_only = path.split(['?', '#']).next().unwrap_or_default();
    if format!("{origin}{path_only}") == config.redirect_uri { "/".to_owned() } else { safe_return_to(path) }
}

/// RFC 7636 §4.1: the code verifier a login's `entropy` makes (its first 32 bytes).
pub fn login_verifier(entropy: &[u8; ENTROPY_BYTES]) -> String {
    random_string(&entropy[..32])
}

/// Builds the authorization URL and its transaction from `entropy` (fresh CSPRNG bytes) and
/// `code_challenge`, the S256 challenge of [`login_verifier`] (RFC 7636 §4.2: computed by the
/// caller, in the browser by WebCrypto, so no hash code ships); `api` asks for that API's tokens
/// alone (when the provider will not give them from the refresh token); `options` adds what this
/// sign-in asks for (its `return_to` is the caller's to resolve into `return_to`).
#[allow(clippy::too_many_arguments)]
pub fn begin_login(
    config: &Config,
    endpoints: &Endpoints,
    entropy: &[u8; ENTROPY_BYTES],
    code_challenge: &str,
    return_to: &str,
    now: u64,
    silent: bool,
    api: Option<&Api>,
    options: &SignInOptions,
) -> LoginRequest {
    let audience = api.and_then(|api| api.audience.as_deref());
    let transaction = Transaction {
        verifier: login_verifier(entropy),
        state: random_string(&entropy[32..64]),
        nonce: random_string(&entropy[64..]),
        return_to: safe_return_to(return_to),
        created_at: now,
        silent,
        audience: audience.map(str::to_owned),
        max_age: options.max_age,
    };
    let scope = match api.and_then(|api| api.scope.as_deref()) {
        Some(scope) => format!("openid offline_access {scope}"),
        None => config.scope.clone(),
    };
    let mut pairs = vec![
        ("response_type", "code"),
        ("code_challenge", code_challenge),
        ("code_challenge_method", "S256"),
        ("client_id", config.client_id.as_str()),
        ("redirect_uri", config.redirect_uri.as_str()),
        ("scope", scope.as_str()),
        ("state", transaction.state.as_str()),
        ("nonce", transaction.nonce.as_str()),
    ];
    let optional = [
        ("audience", audience.or(config.audience.as_deref())),
        ("organization", config.organization.as_deref()),
        ("invitation", config.invitation.as_deref()),
    ];
    pairs.extend(optional.iter().filter_map(|(k, v)| Some((*k, (*v)?))));
    // The sign-in's own parameters replace the configuration's (never the client's own: see
    // `SignInOptions::param`).
    for (name, value) in &options.params {
        pairs.retain(|(k, _)| k != name);
        pairs.push((name, value));
    }
    // RFC 8707 §2.1: with several APIs, each is a `resource`, so that one refresh token serves all.
    if api.is_none() {
        pairs.extend(config.resources().into_iter().map(|resource| ("resource", resource)));
    }
    // A silent attempt (never with options of its own) is `prompt=none`.
    if silent {
        pairs.push(("prompt", "none"));
    }
    let url = with_query(&endpoints.authorization, &pairs);
    LoginRequest { transaction, url }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_config;
    use crate::discovery::auth0_endpoints;
    use crate::json::native::parse;
    use crate::pkce::challenge;

    fn query_of(url: &str) -> Vec<(String, String)> {
        let query = url.split_once('?').unwrap().1;
        form_urlencoded::parse(query.as_bytes()).into_owned().collect()
    }

    fn login(config_json: &str, return_to: &str, silent: bool) -> LoginRequest {
        let config = parse_config(config_json, "https://app.test", parse).unwrap();
        let mut entropy = [0u8; ENTROPY_BYTES];
        entropy.iter_mut().enumerate().for_each(|(i, b)| *b = i as u8);
        let code_challenge = challenge(&login_verifier(&entropy));
        begin_login(
            &config,
            &auth0_endpoints(&config.issuer),
            &entropy,
            &code_challenge,
            return_to,
            1000,
            silent,
            None,
            &SignInOptions::default(),
        )
    }

    const CONFIG: &str = r#"{"domain":"t.auth0.com","client_id":"c&d","audience":"https://api.test",
        "scope":"openid read:messages"}"#;

    #[test]
    fn url_carries_every_seed_parameter() {
        let req = login(CONFIG, "/profile", false);
        assert!(req.url.starts_with("https://t.auth0.com/authorize?response_type=code&"));
        let query = query_of(&req.url);
        let get = |k: &str| query.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert_eq!(get("code_challenge"), Some(challenge(&req.transaction.verifier).as_str()));
        assert_eq!(get("code_challenge_method"), Some("S256"));
        assert_eq!(get("client_id"), Some("c&d"));
        assert_eq!(get("redirect_uri"), Some("https://app.test/callback"));
        assert_eq!(get("scope"), Some("openid read:messages"));
        assert_eq!(get("audience"), Some("https://api.test"));
        assert_eq!(get("state"), Some(req.transaction.state.as_str()));
        assert_eq!(get("nonce"), Some(req.transaction.nonce.as_str()));
        assert_eq!(get("prompt"), None);
        assert_eq!(get("organization"), None);
        assert!(req.url.contains("client_id=c%26d&"), "values are percent-encoded");
        assert!(req.url.contains("scope=openid%20read%3Amessages&"));
        assert_eq!(get("resource"), None, "one API: its audience is enough");
    }

    #[test]
    fn several_apis_are_each_a_resource() {
        let json = r#"{"domain":"t.auth0.com","client_id":"c","audience":"https://api.test","api_base_url":"https://api.test",
            "apis":{"r":{"base_url":"https://r.test","audience":"https://r.test/","scope":"read:r"}}}"#;
        let query = query_of(&login(json, "/", false).url);
        let resources: Vec<&str> = query.iter().filter(|(k, _)| k == "resource").map(|(_, v)| v.as_str()).collect();
        assert_eq!(resources, ["https://api.test", "https://r.test/"]);
        assert!(query.contains(&("scope".into(), "openid profile email read:r".into())));
        // A sign-in for the reports API alone: its audience and scopes, no other resource.
        let config = parse_config(json, "https://app.test", parse).unwrap();
        let mut entropy = [0u8; ENTROPY_BYTES];
        entropy[0] = 1;
        let endpoints = auth0_endpoints(&config.issuer);
        let api = Some(&config.apis[1]);
        let request =
            begin_login(&config, &endpoints, &entropy, "c", "/api", 1000, false, api, &SignInOptions::default());
        let query = query_of(&request.url);
        let get = |k: &str| query.iter().filter(|(key, _)| key == k).map(|(_, v)| v.as_str()).collect::<Vec<_>>();
        assert_eq!((get("audience"), get("resource")), (vec!["https://r.test/"], vec![]));
        assert_eq!(get("scope"), ["openid offline_access read:r"]);
        assert_eq!(request.transaction.audience.as_deref(), Some("https://r.test/"));
        assert_eq!(Transaction::decode(&request.transaction.encode()), Some(request.transaction));
    }

    #[test]
    fn every_sign_in_option_is_sent_as_the_provider_expects() {
        let config = parse_config(CONFIG, "https://app.test", parse).unwrap();
        let options = SignInOptions::default()
            .return_to("/ignored-here")
            .screen_hint("signup")
            .login_hint("ada@example.com")
            .connection("google-oauth2")
            .prompt("login consent")
            .max_age(300)
            .ui_locales("fr-CA fr")
            .acr_values("urn:okta:loa:2fa:any")
            .organization("org_2")
            .invitation("inv 1")
            .param("theme", "dark")
            .param("state", "forged");
        let request = begin_login(
            &config,
            &auth0_endpoints(&config.issuer),
            &[7; ENTROPY_BYTES],
            "c",
            "/p",
            1000,
            false,
            None,
            &options,
        );
        let query = query_of(&request.url);
        let all = |k: &str| query.iter().filter(|(key, _)| key == k).map(|(_, v)| v.as_str()).collect::<Vec<_>>();
        for (key, value) in [
            ("screen_hint", "signup"),
            ("login_hint", "ada@example.com"),
            ("connection", "google-oauth2"),
            ("prompt", "login consent"),
            ("max_age", "300"),
            ("ui_locales", "fr-CA fr"),
            ("acr_values", "urn:okta:loa:2fa:any"),
            ("organization", "org_2"),
            ("invitation", "inv 1"),
            ("theme", "dark"),
        ] {
            assert_eq!(all(key), [value], "{key}");
        }
        assert_eq!(all("state"), [request.transaction.state.as_str()], "an extra cannot replace the client's own");
        assert_eq!(request.transaction.max_age, Some(300), "kept to check auth_time at the callback");
        assert_eq!(Transaction::decode(&request.transaction.encode()), Some(request.transaction));
    }

    #[test]
    fn verifier_state_and_nonce_are_distinct() {
        let t = login(CONFIG, "/", false).transaction;
        assert_eq!(t.verifier.len(), 43);
        assert!(t.verifier != t.state && t.state != t.nonce && t.verifier != t.nonce);
        assert_eq!(t.created_at, 1000);
    }

    #[test]
    fn organization_invitation_and_silent() {
        let json = r#"{"domain":"t.auth0.com","client_id":"c","organization":"org_1","invitation":"i 1"}"#;
        let req = login(json, "/", true);
        let query = query_of(&req.url);
        assert!(query.contains(&("organization".into(), "org_1".into())));
        assert!(query.contains(&("invitation".into(), "i 1".into())));
        assert!(query.contains(&("prompt".into(), "none".into())));
        assert!(!query.iter().any(|(k, _)| k == "audience"));
        assert!(req.transaction.silent);
    }

    #[test]
    fn return_to_must_be_a_same_origin_path() {
        assert_eq!(safe_return_to("/profile?tab=1#x"), "/profile?tab=1#x");
        for bad in ["https://evil.test/", "//evil.test", "/\\evil.test", "javascript:alert(1)", "", "/a\nb", "profile"]
        {
            assert_eq!(safe_return_to(bad), "/", "{bad:?}");
        }
        assert_eq!(login(CONFIG, "//evil.test", false).transaction.return_to, "/");
    }

    #[test]
    fn the_callback_is_never_a_return_path() {
        let config = parse_config(CONFIG, "https://app.test", parse).unwrap();
        assert_eq!(return_path(&config, "https://app.test", "/callback?code=x"), "/");
        assert_eq!(return_path(&config, "https://app.test", "/callback"), "/");
        assert_eq!(return_path(&config, "https://app.test", "/profile?a=1"), "/profile?a=1");
        assert_eq!(return_path(&config, "https://app.test", "//evil.test"), "/");
    }

    #[test]
    fn transactions_go_stale() {
        let t = login(CONFIG, "/", false).transaction;
        assert!(!t.is_stale(1000 + TRANSACTION_MAX_AGE));
        assert!(t.is_stale(1001 + TRANSACTION_MAX_AGE));
    }

    #[test]
    fn transactions_survive_storage_and_garbage_does_not_pass_for_one() {
        let silent = login(CONFIG, "/api?x=1&y=2#z", true).transaction;
        assert_eq!(Transaction::decode(&silent.encode()), Some(silent.clone()));
        let text = silent.encode();
        assert_eq!(Transaction::decode(&text.replace("created_at=", "created_at=x")), None);
        for garbage in ["", "<not json>", "state=s", "{\"state\":\"s\"}"] {
            assert_eq!(Transaction::decode(garbage), None, "{garbage}");
        }
    }
}
