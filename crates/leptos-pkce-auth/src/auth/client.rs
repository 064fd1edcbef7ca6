//! The browser client: runs the sans-IO steps with the browser layer's I/O. No Leptos here (but
//! its code-splitting attribute, in the shipped build).

use std::cell::RefCell;
use std::rc::{Rc, Weak};
#[cfg(split)]
use std::{future::Future, pin::Pin};

use futures::future::join;
#[cfg(split)]
use leptos::wasm_split::SplitLoaderError;
use wasm_bindgen_futures::JsFuture;

use super::authorize::Transaction;
use super::authorize::{ENTROPY_BYTES, begin_login, login_verifier, return_path};
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
use super::token::{authorization_code_body, refresh_body, revocation_body};

/// How long a new tab waits for a live tab to hand it tokens, in milliseconds.
const TAB_ANSWER_MS: i32 = 300;
/// The Web Lock a tab holds for the rest of its life once it exchanges the code of this state.
const CODE_LOCK: &str = "leptos-pkce.code.";
/// The Web Lock every refresh takes, in every tab.
const REFRESH_LOCK: &str = "leptos-pkce.refresh";
/// The Web Lock a tab takes to ask the tab holding the refresh token for a renewal.
const ASK_LOCK: &str = "leptos-pkce.ask-renewal";
/// How many times a refresh asks the other tabs for the newer set another tab rotated to.
const HANDOVER_ASKS: u32 = 10;
/// After a refresh fails for a passing reason, how long before trying again, in seconds.
const REFRESH_BACKOFF: u64 = 5;

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
/// match AuthClient::boot().await {
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
    /// Loads `/config.json` and the provider's endpoints (OpenID Connect discovery), and opens the
    /// tab channel. A missing or invalid configuration is an [`AuthError::Config`].
    ///
    /// ```no_run
    /// # use leptos_pkce_auth::AuthClient;
    /// # async fn start() -> Result<(), leptos_pkce_auth::AuthError> {
    /// let client = AuthClient::boot().await?;
    /// # Ok(()) }
    /// ```
    pub async fn boot() -> Result<Rc<AuthClient>, AuthError> {
        let mut config = load_config().await?;
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

    /// Another tab's message. The shipped build fetches the code that handles them at the first
    /// one (a tab alone never needs it); one that cannot be fetched is a message lost.
    async fn hear(&self, text: String) {
        #[cfg(split)]
        if let Ok(heard) = split_hear(self, text).await {
            heard.await;
        }
        #[cfg(not(split))]
        self.on_message(text).await;
    }

    /// Another tab's message, answered; one that does not read as a message is ignored.
    async fn on_message(&self, text: String) {
        let shared = &self.shared;
        let Some(message) = decode(&text) else {
            return;
        };
        match message {
            TabMessage::Request => self.post_tokens(),
            // A tab that refreshed before it heard of the sign-out: that session stays ended, and
            // what it was given is revoked.
            TabMessage::Tokens { tokens } if shared.ended.borrow().contains(&tokens.session) => {
                self.post(&TabMessage::SignedOut { session: tokens.session.clone() });
                self.revoke_all(&tokens).await;
            }
            TabMessage::Tokens { tokens } => self.receive(*tokens).await,
            TabMessage::SignedOut { session } => {
                let mine = shared.tokens.take().filter(|mine| mine.session == session);
                storage::remove_tokens_of(&session);
                shared.end(session);
                shared.notify();
                // RFC 7009 §2.1: the refresh tokens only this tab held (see `for_other_tabs`).
                if let Some(tokens) = mine.filter(|_| !self.config.shares_refresh_tokens()) {
                    self.revoke_all(&tokens).await;
                }
            }
            // The tab that signed in holds the session's refresh token (see `renew_in_holder`): it
            // answers at once with its set (enough when its token is no longer `stale`), and a new
            // set reaches the tabs as every refresh's does.
            TabMessage::Renew { api, stale } => {
                if shared.tokens.borrow().as_ref().is_some_and(|tokens| tokens.refresh_token.is_some()) {
                    self.post_tokens();
                    let api = api.and_then(|name| self.config.apis.iter().find(|api| api.name == name));
                    let _ = self.refresh(api, stale.as_deref()).await;
                }
            }
        }
    }

    /// Sends this tab's token set, as another tab may have it ([`TokenSet::for_other_tabs`]).
    fn post_tokens(&self) {
        if let Some(tokens) = self.shared.tokens.borrow().as_ref() {
            self.post(&TabMessage::Tokens { tokens: Box::new(tokens.for_other_tabs(&self.config)) });
        }
    }

    /// Another tab's token set: adopted if newer than this tab's and admissible; then the pending
    /// "does a tab have tokens?" wait ends.
    async fn receive(&self, tokens: TokenSet) {
        let admissible = self.admissible(&tokens, self.tokens().as_ref()).await;
        let shared = &self.shared;
        let newer = shared.tokens.borrow().as_ref().is_none_or(|mine| tokens.updated_at >= mine.updated_at);
        if admissible && newer {
            shared.dpop.drop_key();
            let tokens = match shared.tokens.borrow().as_ref() {
                Some(mine) => tokens.keeping_refresh_tokens_of(mine),
                None => tokens,
            };
            shared.tokens.replace(Some(tokens));
            shared.notify();
        }
        if let Some(resolve) = shared.waiter.take() {
            let _ = resolve.call1(&wasm_bindgen::JsValue::NULL, &wasm_bindgen::JsValue::TRUE);
        }
    }

    /// Whether a token set from storage or another tab may be adopted: it passes
    /// [`check_adoptable`], and its ID token verifies with the provider's key (RFC 7515 §5.2: the
    /// claims checked are the provider's, not a script's).
    async fn admissible(&self, tokens: &TokenSet, current: Option<&TokenSet>) -> bool {
        check_adoptable(tokens, &self.config, current).is_ok()
            && self.check_signature(&tokens.id_token, self.signing_keys(false).await).await.is_ok()
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

    /// Works out the signed-in state at page load: a callback, other tabs, storage or the provider.
    pub(crate) async fn start(&self) -> Outcome {
        let here = format!("{}{}", location::origin(), location::pathname());
        let params = (here == self.config.redirect_uri).then(|| parse_callback(&location::search()));
        let finished = match params {
            Some(Ok(params)) if !is_authorization_response(&params) => {
                let error = missing_response(&location::fragment());
                storage::drop_transactions();
                location::replace_url(&location::pathname());
                Ok(Outcome::Failed(error))
            }
            Some(params) => self.finish_callback(params).await,
            None => Err(None),
        };
        let outcome = match finished {
            Ok(outcome) => outcome,
            Err(go_to) => self.restore(go_to).await,
        };
        // After the callback, so that a slow login reads as `login_expired`, not as unknown.
        storage::sweep_transactions(now());
        outcome
    }

    /// The callback's outcome; `Err(go_to)` when another tab has this callback.
    async fn finish_callback(&self, params: Result<CallbackParams, AuthError>) -> Result<Outcome, Option<String>> {
        // Take the transaction first (single use), then clean the address bar of `code` and `state`.
        let state = params.as_ref().ok().and_then(|p| p.state.clone()).unwrap_or_default();
        // RFC 6749 §10.5: a code is exchanged once. A tab that loads a callback another tab is
        // finishing or has finished (a duplicated tab) leaves the code to it, and starts as a
        // reload does (that tab's session comes over the tab channel).
        let mine = match claim(&format!("{CODE_LOCK}{state}")) {
            Some(free) => free.await.is_ok_and(|free| free.is_truthy()),
            None => true,
        };
        let transaction = storage::take_transaction(&state);
        storage::drop_transactions();
        location::replace_url(&location::pathname());
        let silent = transaction.as_ref().is_some_and(|t| t.silent);
        let go_to = transaction.as_ref().map(|t| t.return_to.clone());
        if transaction.is_some() && !mine {
            return Err(go_to);
        }
        let for_api = transaction.as_ref().and_then(|t| t.audience.clone());
        let joining = for_api.is_some();
        let exchanged = match (self.exchange(params, transaction).await, for_api) {
            // A sign-in for one API alone: its tokens join the session it was made from.
            (Ok(tokens), Some(audience)) => match self.session_to_join().await {
                Some(session) if same_person(&session.claims, &tokens.claims) => {
                    Ok(session.with_api_sign_in(&audience, tokens))
                }
                // OIDC Core §5.7: another `iss` + `sub` than the session's may not join it.
                Some(_) => Err(AuthError::IdTokenClaim {
                    claim: "sub",
                    reason: "another person signed in for this API than the one signed in here".into(),
                }),
                None => Err(AuthError::SessionExpired),
            },
            // The tokens are bound to the new key: it is kept before anyone uses them.
            (Ok(tokens), None) => self.keep_dpop_key().await.map(|()| tokens),
            (Err(error), _) => Err(error),
        };
        Ok(match exchanged {
            Ok(tokens) => {
                self.adopt(tokens);
                Outcome::SignedIn { go_to }
            }
            Err(error) if silent && needs_interaction(&error) => {
                storage::remove(Area::Local, storage::SIGNED_IN_MARKER);
                Outcome::SignedOut { go_to }
            }
            // A session another tab handed over meanwhile outlives a failed sign-in here (not a
            // refused sign-in for one API, which is about that session).
            Err(_) if !joining && self.tokens().is_some() => Outcome::SignedIn { go_to },
            Err(error) => {
                if silent {
                    storage::remove(Area::Local, storage::SIGNED_IN_MARKER);
                }
                Outcome::Failed(error)
            }
        })
    }

    async fn exchange(
        &self,
        params: Result<CallbackParams, AuthError>,
        transaction: Option<Transaction>,
    ) -> Result<TokenSet, AuthError> {
        let params = params?;
        let issuer = &self.config.issuer;
        let checked =
            check_callback(&params, transaction.as_ref(), issuer, self.endpoints.iss_parameter_supported, now());
        journal::record("callback", callback_details(&checked, params.iss.as_deref()));
        let code = checked?;
        let transaction = transaction.ok_or(AuthError::StateMismatch)?;
        let body =
            authorization_code_body(&self.config.client_id, &code, &transaction.verifier, &self.config.redirect_uri);
        // The keys are fetched (when not cached) during the token request: no extra round trip.
        // A new key for a new session; a sign-in for one API keeps the session's.
        let fresh_key = transaction.audience.is_none();
        let (response, keys) = join(self.token_request(&body, fresh_key), self.signing_keys(false)).await;
        let response = response?;
        journal::record(
            "token",
            token_details(response.status, &response.body, &transaction.verifier, json::parse, json::stringify),
        );
        let tokens =
            finish_login(&self.config, &transaction.nonce, response.status, &response.body, now(), json::parse)?;
        self.check_signature(&tokens.id_token, keys).await?;
        journal::record("id-token", id_token_details(&tokens.claims, json::stringify));
        journal::record("access-token", access_token_details(&tokens.access.token, json::parse, json::stringify));
        Ok(tokens)
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

    /// Where the tokens are at page load (storage, another tab, the provider), `go_to` next.
    async fn restore(&self, go_to: Option<String>) -> Outcome {
        if self.config.token_storage == TokenStorage::Local {
            match storage::get(Area::Local, storage::TOKENS).map(|text| parse_token_set(&text, json::parse)) {
                // An expired access token is still worth keeping while a refresh token can renew it.
                Some(Ok(tokens))
                    if (tokens.refresh_token.is_some() || !tokens.access.expired(now()))
                        && self.admissible(&tokens, None).await =>
                {
                    self.shared.tokens.replace(Some(tokens));
                    return Outcome::SignedIn { go_to };
                }
                Some(_) => storage::remove(Area::Local, storage::TOKENS),
                None => {}
            }
        }
        if storage::get(Area::Local, storage::SIGNED_IN_MARKER).is_none() {
            return Outcome::SignedOut { go_to };
        }
        if self.ask_tabs(Some(&TabMessage::Request), TAB_ANSWER_MS).await {
            return Outcome::SignedIn { go_to };
        }
        // RFC 10017 §8 / OIDC Core §3.1.2.1: one top-level `prompt=none` attempt, never a loop.
        let here = go_to.unwrap_or_else(location::path_query_fragment);
        match self.redirect_to_provider(&here, true, None).await {
            Ok(()) => Outcome::Redirecting,
            Err(error) => Outcome::Failed(error),
        }
    }

    /// Posts `message` (a request for tokens or a renewal; `None`: nothing) to the live tabs and
    /// waits up to `ms` for a token set: whether one came.
    async fn ask_tabs(&self, message: Option<&TabMessage>, ms: i32) -> bool {
        let Some(window) = web_sys::window() else {
            return false;
        };
        let shared = self.shared.clone();
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
            shared.waiter.replace(Some(resolve));
        });
        if let Some(message) = message {
            self.post(message);
        }
        let answered = JsFuture::from(promise).await.is_ok_and(|v| v.is_truthy());
        self.shared.waiter.take();
        answered
    }

    async fn redirect_to_provider(&self, return_to: &str, silent: bool, api: Option<&Api>) -> Result<(), AuthError> {
        let mut entropy = [0u8; ENTROPY_BYTES];
        random::fill(&mut entropy)?;
        let challenge = random_string(&webcrypto::sha256(login_verifier(&entropy).as_bytes()).await?);
        let return_to = return_path(&self.config, &location::origin(), return_to);
        let request = begin_login(&self.config, &self.endpoints, &entropy, &challenge, &return_to, now(), silent, api);
        storage::save_transaction(&request.transaction)?;
        if api.is_none() && !silent {
            journal::restart();
        }
        journal::record("sign-in", sign_in_details(&request.url, request.transaction.verifier.len()));
        location::assign(&request.url);
        Ok(())
    }

    /// Forgets the tokens here and in every tab, the "was signed in" marker, and the DPoP key
    /// the tokens were bound to.
    async fn forget(&self) -> Option<TokenSet> {
        let tokens = self.shared.tokens.borrow().clone();
        storage::remove(Area::Local, storage::TOKENS);
        storage::remove(Area::Local, storage::SIGNED_IN_MARKER);
        let session = tokens.as_ref().map(|t| t.session.clone()).unwrap_or_default();
        self.shared.end(session.clone());
        self.post(&TabMessage::SignedOut { session });
        if self.config.dpop {
            let _ = dpop_key::dpop(&self.shared.dpop, Op::Delete).await;
        }
        tokens
    }

    /// RFC 7009 §2.1: revokes every refresh token of `tokens` (the session's and each API's own),
    /// best effort: local state is already cleared whatever the answers.
    async fn revoke_all(&self, tokens: &TokenSet) {
        let Some(endpoint) = &self.endpoints.revocation else {
            return;
        };
        let own = tokens.others.iter().filter_map(|(_, access)| access.refresh_token.as_deref());
        for refresh in tokens.refresh_token.as_deref().into_iter().chain(own) {
            let _ = http::post_form(endpoint, &revocation_body(&self.config.client_id, refresh), None).await;
        }
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
                self.forget().await;
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

    /// The freshest token set: in `local` mode the newer of storage and what the tab channel
    /// delivered (Chrome propagates localStorage writes to other tabs asynchronously, so storage
    /// alone can lag behind a refresh that another tab just finished).
    fn reread(&self) -> Option<TokenSet> {
        if self.config.token_storage == TokenStorage::Local {
            let mine = self.shared.tokens.borrow().clone();
            let stored = storage::get(Area::Local, storage::TOKENS)
                .and_then(|text| parse_token_set(&text, json::parse).ok())
                .filter(|stored| check_adoptable(stored, &self.config, mine.as_ref()).is_ok());
            let newest = match (stored, mine) {
                (Some(stored), Some(mine)) => Some(if stored.updated_at >= mine.updated_at { stored } else { mine }),
                (stored, mine) => stored.or(mine),
            };
            self.shared.tokens.replace(newest);
        }
        self.tokens()
    }

    /// An access token for `api` not within the margin of expiry, refreshing it (or getting a
    /// first one, for another API) when needed.
    pub(crate) async fn access_token(&self, api: &Api) -> Result<Access, AuthError> {
        let current = self.reread().ok_or(AuthError::NotSignedIn)?;
        let existing = current.access_for(api.token_key());
        if let Some(access) = existing
            && !access.should_refresh(now(), self.config.leeway_seconds)
        {
            return Ok(access.clone());
        }
        match self.refresh(Some(api), existing.map(|a| a.token.as_str())).await {
            Err(AuthError::AudienceRefused(_)) => self.sign_in_for_api(api).await,
            // A passing failure: the token may still be good until it actually expires.
            Err(AuthError::Network(_) | AuthError::TokenResponse(_))
                if let Some(access) = existing.filter(|a| !a.expired(now())) =>
            {
                Ok(access.clone())
            }
            other => other,
        }
    }

    /// Back online or back in view: an expired (or nearly expired) sign-in token is renewed, once
    /// however many events arrive (each refresh re-reads the set under the lock).
    pub(crate) async fn wake(&self) {
        let Some(current) = self.reread() else {
            return;
        };
        if current.access.should_refresh(now(), self.config.leeway_seconds)
            && self.refresh(None, Some(&current.access.token)).await == Err(AuthError::SessionExpired)
        {
            self.shared.notify();
        }
    }

    /// Calls [`AuthClient::wake`] when the page comes back online or into view.
    pub(crate) fn refresh_on_wake(self: &Rc<Self>) {
        let client = Rc::clone(self);
        wake::on_wake(move || {
            let client = Rc::clone(&client);
            wasm_bindgen_futures::spawn_local(async move { client.wake().await });
        });
    }

    /// Replaces `stale` (`None`: there is none yet) with a fresh access token for `api` (`None`:
    /// the sign-in's own), unless a caller in this or another tab already did. Signing in needs
    /// none of it: the shipped build fetches its code at the first refresh (a failed fetch is a
    /// passing network error).
    pub(crate) async fn refresh(&self, api: Option<&Api>, stale: Option<&str>) -> Result<Access, AuthError> {
        #[cfg(split)]
        return split_refresh(self, api, stale).await.map_err(|_| not_fetched("the refresh"))?.await;
        #[cfg(not(split))]
        self.renew(api, stale).await
    }

    /// [`AuthClient::refresh`], one at a time whatever the API: a Web Lock, and the token set
    /// re-read inside it.
    async fn renew(&self, api: Option<&Api>, stale: Option<&str>) -> Result<Access, AuthError> {
        if !self.config.shares_refresh_tokens() && self.reread().is_some_and(|set| set.refresh_grant(api).is_none()) {
            return with_lock(ASK_LOCK, self.renew_in_holder(api, stale)).await;
        }
        with_lock(REFRESH_LOCK, async {
            let current = self.newest_set().await?;
            let sign_outs = self.shared.sign_outs.get();
            let audience = api.and_then(Api::token_key);
            if let Some(access) = current.access_for(audience)
                && Some(access.token.as_str()) != stale
            {
                return Ok(access.clone());
            }
            let wait = self.shared.retry_refresh_at.get().saturating_sub(now());
            if wait > 0 {
                return Err(AuthError::Network(format!("refresh failed; retrying in {wait}s")));
            }
            let grant = current.refresh_grant(api).ok_or(AuthError::SessionExpired)?;
            let own = grant.own;
            let body = refresh_body(&self.config.client_id, grant.refresh_token, grant.target);
            let mut result = match self.token_request(&body, false).await {
                Ok(response) => {
                    finish_refresh(&self.config, &current, api, response.status, &response.body, now(), json::parse)
                }
                Err(error) => Err(error),
            };
            if let Ok(next) = &result
                && next.id_token != current.id_token
                && let Err(error) = self.check_signature(&next.id_token, self.signing_keys(false).await).await
            {
                result = Err(error);
            }
            // Signed out (here or in another tab) while the request was out: sign-out wins, and
            // what the provider gave meanwhile is revoked rather than adopted.
            if self.shared.sign_outs.get() != sign_outs {
                if let Ok(next) = &result {
                    self.revoke_all(next).await;
                }
                return Err(AuthError::NotSignedIn);
            }
            let outcome = result.as_ref().map(|next| next.refresh_token != current.refresh_token);
            journal::record("refresh", refresh_details(api.map(|api| api.name.as_str()), outcome));
            match result {
                Ok(next) => {
                    // No token for the API asked: the provider answered for another audience.
                    let access = next.access_for(audience).cloned();
                    let session = next.session.clone();
                    let updated_at = self.adopt(next);
                    // Before the lock goes to the next tab, which then waits for this set.
                    let _ = rotation::record(&session, updated_at).await;
                    self.shared.notify();
                    access.ok_or_else(|| AuthError::AudienceRefused("another audience's token came back".into()))
                }
                Err(error) if audience.is_some() && !own && refuses_audience(&error) => {
                    Err(AuthError::AudienceRefused(error.message()))
                }
                // An API's own refresh token refused: that API's tokens are gone, not the session.
                Err(AuthError::Provider { error, .. }) if error == "invalid_grant" && own => {
                    let mut next = current.clone();
                    next.others.retain(|(a, _)| Some(a.as_str()) != audience);
                    self.adopt(next);
                    Err(AuthError::AudienceRefused("its own refresh token was refused".into()))
                }
                // RFC 6749 §5.2: the refresh token is expired, revoked or already spent.
                Err(AuthError::Provider { error, .. }) if error == "invalid_grant" => {
                    self.forget().await;
                    Err(AuthError::SessionExpired)
                }
                Err(error) => {
                    self.shared.retry_refresh_at.set(now() + REFRESH_BACKOFF);
                    Err(error)
                }
            }
        })
        .await
    }

    /// The token set to refresh from: the newest one, which another tab may have rotated to just
    /// before (RFC 9700 §4.14.2: a rotated refresh token is never spent again). A tab whose set is
    /// older than the one recorded asks the other tabs for it, and never spends the old one.
    async fn newest_set(&self) -> Result<TokenSet, AuthError> {
        let mut current = self.reread().ok_or(AuthError::NotSignedIn)?;
        let newest = rotation::newest(&current.session).await.unwrap_or_default();
        let mut asks = 0;
        while current.updated_at < newest {
            if asks == HANDOVER_ASKS {
                return Err(AuthError::Network("another tab's renewal has not reached this tab yet".into()));
            }
            asks += 1;
            self.ask_tabs(Some(&TabMessage::Request), TAB_ANSWER_MS).await;
            current = self.reread().ok_or(AuthError::NotSignedIn)?;
        }
        Ok(current)
    }

    /// `memory` mode without DPoP: the refresh token stays in the tab that received it
    /// ([`TokenSet::for_other_tabs`]), which answers at once and sends the renewed set when it has
    /// it. With no such tab left, a silent sign-in, as at a reload (RFC 10017 §8).
    async fn renew_in_holder(&self, api: Option<&Api>, stale: Option<&str>) -> Result<Access, AuthError> {
        let audience = api.and_then(Api::token_key);
        let ask = TabMessage::Renew { api: api.map(|api| api.name.clone()), stale: stale.map(str::to_owned) };
        if !self.ask_tabs(Some(&ask), TAB_ANSWER_MS).await {
            self.redirect_to_provider(&location::path_query_fragment(), true, None).await?;
            return std::future::pending().await;
        }
        for _ in 0..HANDOVER_ASKS {
            let current = self.tokens().ok_or(AuthError::SessionExpired)?;
            if let Some(access) = current.access_for(audience).filter(|access| Some(access.token.as_str()) != stale) {
                return Ok(access.clone());
            }
            self.ask_tabs(None, TAB_ANSWER_MS).await;
        }
        Err(AuthError::Network("the tab holding the refresh token has not renewed it yet".into()))
    }

    /// Sends the person to the provider to sign in, coming back to `return_to`.
    pub(crate) async fn login(&self, return_to: &str) -> Result<(), AuthError> {
        self.redirect_to_provider(return_to, false, None).await
    }

    /// When the provider will not give `api`'s tokens from the refresh token: one redirect to sign
    /// in for it alone, coming back to this page, its tokens then joining the set. The set must
    /// outlive the redirect (in storage, or in another live tab); with tokens in this tab's memory
    /// only, it would be lost, so that is a clear error instead.
    async fn sign_in_for_api(&self, api: &Api) -> Result<Access, AuthError> {
        if self.config.token_storage == TokenStorage::Memory
            && !self.ask_tabs(Some(&TabMessage::Request), TAB_ANSWER_MS).await
        {
            return Err(AuthError::AudienceRefused(format!(
                "the provider gives none for {} from the refresh token, and a sign-in for it alone would lose \
                 this tab's session (keep another tab open, use token_storage local, or allow multi-resource \
                 refresh tokens)",
                api.name
            )));
        }
        self.redirect_to_provider(&location::path_query_fragment(), false, Some(api)).await?;
        // The page is leaving for the provider.
        std::future::pending().await
    }

    /// The session a sign-in for one API joins: in storage, or handed over by a live tab.
    async fn session_to_join(&self) -> Option<TokenSet> {
        if self.config.token_storage == TokenStorage::Memory {
            self.ask_tabs(Some(&TabMessage::Request), TAB_ANSWER_MS).await;
        }
        self.reread()
    }

    /// Forgets the tokens here and in every tab, revokes the refresh token, ends the provider session.
    pub(crate) async fn logout(&self) {
        let tokens = self.forget().await;
        if let Some(tokens) = &tokens {
            self.revoke_all(tokens).await;
        }
        let hint = tokens.as_ref().map(|t| t.id_token.as_str()).filter(|t| !t.is_empty());
        location::assign(&logout_url(&self.endpoints, &self.config, hint));
    }
}

/// The handling of other tabs' messages in the shipped build: a WebAssembly module of its own.
#[cfg(split)]
#[leptos::wasm_split::wasm_split(tabs, wasm_split_path = ::leptos::wasm_split, fallible)]
fn split_hear(client: &AuthClient, text: String) -> Result<Pin<Box<dyn Future<Output = ()> + '_>>, SplitLoaderError> {
    Ok(Box::pin(client.on_message(text)))
}

/// The refresh in the shipped build: a WebAssembly module of its own.
#[cfg(split)]
#[leptos::wasm_split::wasm_split(refresh, wasm_split_path = ::leptos::wasm_split, fallible)]
fn split_refresh<'a>(
    client: &'a AuthClient,
    api: Option<&'a Api>,
    stale: Option<&'a str>,
) -> Result<Pin<Box<dyn Future<Output = Result<Access, AuthError>> + 'a>>, SplitLoaderError> {
    Ok(Box::pin(client.renew(api, stale)))
}
