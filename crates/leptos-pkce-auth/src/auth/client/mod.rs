//! The browser client: runs the sans-IO steps with the browser layer's I/O. No Leptos here (but
//! its code-splitting attribute, in the shipped build).

mod events;
mod refresh;
mod sign_out;
mod start;
mod step_up;
mod tabs;

use std::cell::RefCell;
use std::future::Future;
#[cfg(split)]
use std::pin::Pin;
use std::rc::{Rc, Weak};

use futures::future::join;
#[cfg(split)]
use leptos::wasm_split::SplitLoaderError;
use wasm_bindgen_futures::JsFuture;

use super::authorize::Transaction;
use super::authorize::{ENTROPY_BYTES, SignInOptions, begin_login, login_verifier, return_path};
use super::browser::channel::{TabChannel, TabMessage, decode};
use super::browser::dpop_key::{self, Dpop, Op};
use super::browser::http::HttpResponse;
use super::browser::journal;
use super::browser::lock::{claim, with_lock};
#[cfg(split)]
use super::browser::not_fetched;
use super::browser::storage::{self, Area};
use super::browser::{http, json, location, now, random, rotation};
use super::browser::{wake, webcrypto};
use super::callback::{
    CallbackParams, check_callback, is_authorization_response, missing_response, needs_interaction, parse_callback,
};
use super::config::{Api, Config, TokenStorage, parse_config};
use super::discovery::{CachedDocument, Endpoints, auth0_endpoints, discovery_url, logout_url, parse_discovery};
use super::dpop::provider_wants_nonce;
use super::error::AuthError;
use super::flow::{
    access_token_details, callback_details, id_token_details, refresh_details, sign_in_details, token_details,
};
use super::jws::{Jwk, parse_jwks, select_key, signed_parts};
use super::pkce::random_string;
use super::session::{
    Access, TokenSet, check_adoptable, finish_login, finish_refresh, parse_token_set, refuses_audience, same_person,
};
use super::settings::AuthConfig;
use super::token::{authorization_code_body, refresh_body, revocation_body};

/// How long a new tab waits for a live tab to hand it tokens, in milliseconds.
const TAB_ANSWER_MS: i32 = 300;

/// How start-up ended, and where the router should go next.
#[derive(Debug)]
pub enum Outcome {
    SignedIn {
        go_to: Option<String>,
    },
    SignedOut {
        go_to: Option<String>,
    },
    /// The page is leaving for the provider (silent sign-in).
    Redirecting,
    Failed(AuthError),
}

pub use events::{AuthEvent, SignedOutBecause};

type Listener = Rc<dyn Fn(Option<TokenSet>)>;

/// Shared between the client and its tab-channel handler.
#[derive(Default)]
struct Shared {
    tokens: RefCell<Option<TokenSet>>,
    listener: RefCell<Option<Listener>>,
    /// Resolves the pending "does a tab have tokens?" wait.
    waiter: RefCell<Option<js_sys::Function>>,
    /// No refresh before this time (seconds since the epoch) after a passing failure.
    retry_refresh_at: std::cell::Cell<u64>,
    /// The DPoP key in use and the servers' nonces.
    dpop: Dpop,
    /// The sessions signed out of while this page lived: their token sets are never adopted again.
    ended: RefCell<Vec<String>>,
    /// Counts the sign-outs seen here: a refresh that began before one adopts nothing.
    sign_outs: std::cell::Cell<u32>,
    /// Told of each [`AuthEvent`].
    listeners: events::Listeners,
}

impl Shared {
    /// Forgets the tokens of `session`, signed out of here or in another tab.
    fn end(&self, session: String) {
        self.dpop.drop_key();
        self.tokens.replace(None);
        self.ended.borrow_mut().push(session);
        self.sign_outs.set(self.sign_outs.get().wrapping_add(1));
    }

    fn notify(&self) {
        let listener = self.listener.borrow().clone();
        if let Some(listener) = listener {
            listener(self.tokens.borrow().clone());
        }
    }
}

/// One signed-in (or not) browser client for the configured provider; give it to
/// [`AuthProvider`](crate::AuthProvider).
///
/// ```no_run
/// # use leptos_pkce_auth::AuthClient;
/// # async fn start() {
/// match AuthClient::from_config_json().await {
///     Ok(client) => { /* <AuthProvider client>…</AuthProvider> */ }
///     Err(error) => leptos::logging::error!("configuration error: {error}"),
/// }
/// # }
/// ```
pub struct AuthClient {
    pub(crate) config: Config,
    endpoints: Endpoints,
    shared: Rc<Shared>,
    channel: Option<TabChannel>,
}

/// Loads `config.json` from the app's origin.
async fn load_config() -> Result<Config, AuthError> {
    let response = http::get_own("/config.json")
        .await
        .map_err(|e| AuthError::Config(format!("config.json could not be loaded: {}", e.message())))?;
    if response.status != 200 {
        return Err(AuthError::Config(format!("config.json could not be loaded (HTTP {})", response.status)));
    }
    parse_config(&response.body, &location::origin(), json::parse)
}

/// A fresh cached copy of the document from `source`, kept under `key` (to be parsed again).
fn cached(key: &str, source: &str) -> Option<String> {
    let text = storage::get(Area::Local, key)?;
    let cached = CachedDocument::decode(&text)?;
    cached.fresh_body(source, now()).map(str::to_owned)
}

/// Keeps a provider document for [`cached`]; a full or disabled storage only costs a fetch later.
fn cache(key: &str, source: &str, body: String) {
    let document = CachedDocument { source: source.to_owned(), fetched_at: now(), body };
    let _ = storage::set(Area::Local, key, &document.encode());
}

/// The provider's endpoints: a fresh cached copy, else discovery, else Auth0's fixed paths.
async fn load_endpoints(issuer: &str) -> Result<Endpoints, AuthError> {
    if let Some(endpoints) =
        cached(storage::DISCOVERY, issuer).and_then(|body| parse_discovery(issuer, &body, json::parse).ok())
    {
        return Ok(endpoints);
    }
    match http::get(&discovery_url(issuer)).await {
        Ok(response) if response.status == 200 => {
            let endpoints = parse_discovery(issuer, &response.body, json::parse)?;
            cache(storage::DISCOVERY, issuer, response.body);
            Ok(endpoints)
        }
        _ => Ok(auth0_endpoints(issuer)),
    }
}

impl AuthClient {
    /// The client configured in code: validated as `config.json` is (an invalid setting is an
    /// [`AuthError::Config`]), then as [`AuthClient::from_config_json`].
    ///
    /// ```no_run
    /// # use leptos_pkce_auth::{AuthClient, AuthConfig};
    /// # async fn start() -> Result<(), leptos_pkce_auth::AuthError> {
    /// let config = AuthConfig::new("tenant.eu.auth0.com", "my-client-id")
    ///     .audience("https://api.example.com")
    ///     .api_base_url("https://api.example.com");
    /// let client = AuthClient::new(config).await?;
    /// # Ok(()) }
    /// ```
    pub fn new(config: AuthConfig) -> impl Future<Output = Result<Rc<AuthClient>, AuthError>> {
        AuthClient::with(std::future::ready(config.validate(&location::origin())))
    }

    /// Loads `/config.json` (the configuration at run time, next to `index.html`) and the
    /// provider's endpoints (OpenID Connect discovery), and opens the tab channel. A missing or
    /// invalid configuration is an [`AuthError::Config`].
    ///
    /// ```no_run
    /// # use leptos_pkce_auth::AuthClient;
    /// # async fn start() -> Result<(), leptos_pkce_auth::AuthError> {
    /// let client = AuthClient::from_config_json().await?;
    /// # Ok(()) }
    /// ```
    pub fn from_config_json() -> impl Future<Output = Result<Rc<AuthClient>, AuthError>> {
        AuthClient::with(load_config())
    }

    /// The configuration `config` gives, the provider's endpoints for it, then the client, its
    /// tab channel open.
    async fn with(config: impl Future<Output = Result<Config, AuthError>>) -> Result<Rc<AuthClient>, AuthError> {
        let mut config = config.await?;
        let endpoints = load_endpoints(&config.issuer).await?;
        config.settle_dpop(endpoints.dpop_es256);
        // DPoP's module (a split-off part of the shipped build) is fetched while start-up goes on.
        #[cfg(split)]
        if config.dpop {
            wasm_bindgen_futures::spawn_local(dpop_key::preload());
        }
        Ok(Rc::new_cyclic(|client: &Weak<AuthClient>| {
            let client = client.clone();
            let channel = TabChannel::open(move |text| {
                if let Some(client) = client.upgrade() {
                    wasm_bindgen_futures::spawn_local(async move { client.hear(text).await });
                }
            });
            AuthClient { config, endpoints, shared: Rc::default(), channel }
        }))
    }

    /// Calls `listener` whenever another tab signs in, refreshes or signs out.
    pub(crate) fn on_change(&self, listener: impl Fn(Option<TokenSet>) + 'static) {
        self.shared.listener.replace(Some(Rc::new(listener)));
    }

    /// The current token set, if signed in.
    pub(crate) fn tokens(&self) -> Option<TokenSet> {
        self.shared.tokens.borrow().clone()
    }

    fn post(&self, message: &TabMessage) {
        if let Some(channel) = &self.channel {
            channel.post(message);
        }
    }

    /// The provider's signing keys: a fresh cached copy unless `refetch`, else the JWKS itself.
    async fn signing_keys(&self, refetch: bool) -> Result<Vec<Jwk>, AuthError> {
        let no_jwks = || AuthError::IdTokenSignature("the provider publishes no JWKS".into());
        let uri = self.endpoints.jwks_uri.as_deref().ok_or_else(no_jwks)?;
        if !refetch && let Some(keys) = cached(storage::JWKS, uri).and_then(|body| parse_jwks(&body, json::parse).ok())
        {
            return Ok(keys);
        }
        let response = http::get(uri).await?;
        if response.status != 200 {
            return Err(AuthError::IdTokenSignature(format!("the JWKS answered HTTP {}", response.status)));
        }
        let keys = parse_jwks(&response.body, json::parse)?;
        cache(storage::JWKS, uri, response.body);
        Ok(keys)
    }

    /// OIDC Core §3.1.3.7 item 6, RFC 7515 §5.2: the ID token is signed by one of the provider's
    /// keys; an unknown `kid` (a rotated key) gets one more look at the JWKS.
    async fn check_signature(&self, id_token: &str, keys: Result<Vec<Jwk>, AuthError>) -> Result<(), AuthError> {
        let parts = signed_parts(id_token, json::parse)?;
        let kid = parts.kid.as_deref();
        let mut key = keys.ok().and_then(|keys| select_key(&keys, kid, parts.alg).cloned());
        if key.is_none() {
            key = select_key(&self.signing_keys(true).await?, kid, parts.alg).cloned();
        }
        let key = key.ok_or_else(|| AuthError::IdTokenSignature("no key of the provider matches it".into()))?;
        if webcrypto::verify(parts.alg, &key, parts.signing_input.as_bytes(), &parts.signature).await? {
            Ok(())
        } else {
            Err(AuthError::IdTokenSignature("it does not verify with the provider's key".into()))
        }
    }

    /// Keeps a fresh token set, marks the browser as signed in and tells the other tabs; when it
    /// was updated.
    fn adopt(&self, mut tokens: TokenSet) -> u64 {
        let updated_at = js_sys::Date::now() as u64;
        tokens.updated_at = updated_at;
        let _ = storage::set(Area::Local, storage::SIGNED_IN_MARKER, "1");
        if self.config.token_storage == TokenStorage::Local {
            let _ = storage::set(Area::Local, storage::TOKENS, &tokens.encode());
        }
        self.shared.tokens.replace(Some(tokens));
        self.post_tokens();
        updated_at
    }

    /// Stores the key a sign-in's tokens were just bound to.
    async fn keep_dpop_key(&self) -> Result<(), AuthError> {
        if !self.config.dpop {
            return Ok(());
        }
        dpop_key::dpop(&self.shared.dpop, Op::Save).await.map(drop)
    }

    /// RFC 9449 §4: a proof for a `htm` request to `url` (with `ath` when it carries
    /// `access_token`), when DPoP is on; `fresh_key` for a sign-in.
    pub(crate) async fn proof(
        &self,
        htm: &str,
        url: &str,
        access_token: Option<&str>,
        fresh_key: bool,
    ) -> Result<Option<String>, AuthError> {
        if !self.config.dpop {
            return Ok(None);
        }
        // Dated by the provider's clock once known: a device minutes off still makes fresh proofs.
        let iat = self.shared.tokens.borrow().as_ref().map_or(now(), |tokens| tokens.provider_now(now()));
        let op = Op::Prove { htm, url, iat, access_token, fresh: fresh_key };
        match dpop_key::dpop(&self.shared.dpop, op).await? {
            Some(proof) => Ok(Some(proof)),
            // The stored key is gone (site data cleared): the tokens bound to it are useless.
            None => {
                self.forget(SignedOutBecause::SessionExpired).await;
                Err(AuthError::SessionExpired)
            }
        }
    }

    /// Keeps the nonce a server sent in `DPoP-Nonce` for the next proof to its origin (RFC 9449
    /// §8, §9), when DPoP is on; whether there was one.
    pub(crate) async fn remember_nonce(&self, url: &str, header: Option<&str>) -> bool {
        let (true, Some(header)) = (self.config.dpop, header) else {
            return false;
        };
        matches!(dpop_key::dpop(&self.shared.dpop, Op::Nonce { url, header }).await, Ok(Some(_)))
    }

    /// POSTs a token request, with a DPoP proof when on; a provider that asks for a nonce gets
    /// one retry with it (RFC 9449 §8).
    async fn token_request(&self, body: &str, fresh_key: bool) -> Result<HttpResponse, AuthError> {
        let url = &self.endpoints.token;
        let mut response = http::post_form(url, body, self.proof("POST", url, None, fresh_key).await?).await?;
        if self.remember_nonce(url, response.dpop_nonce.as_deref()).await
            && provider_wants_nonce(response.status, &response.body, json::parse)
        {
            response = http::post_form(url, body, self.proof("POST", url, None, false).await?).await?;
            self.remember_nonce(url, response.dpop_nonce.as_deref()).await;
        }
        Ok(response)
    }
}
