//! `AuthProvider` puts the client in context; `use_auth()` gives its state as a signal.

use std::pin::Pin;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError, ApiRequest};
use crate::auth::authorize::SignInOptions;
use crate::auth::browser::http::ApiResponse;
use crate::auth::browser::location;
use crate::auth::client::{AuthClient, AuthEvent, Outcome};
use crate::auth::error::AuthError;
use crate::auth::session::{TokenSet, same_person};

use super::auth_state::{Access, AuthState, User};

/// The sign-in state and actions, from [`use_auth`].
///
/// ```no_run
/// # use leptos::prelude::*;
/// # use leptos_pkce_auth::use_auth;
/// let auth = use_auth();
/// view! {
///     <button on:click=move |_| auth.sign_in()>"Sign in"</button>
///     <button on:click=move |_| auth.sign_out()>"Sign out"</button>
/// };
/// ```
#[derive(Clone, Copy)]
pub struct Auth {
    /// Where sign-in stands (tracked). It changes when the person does, not at each renewal.
    pub state: ReadSignal<AuthState>,
    set_state: WriteSignal<AuthState>,
    /// Notified at each new token set.
    renewed: Trigger,
    client: StoredValue<Rc<AuthClient>, LocalStorage>,
}

impl Auth {
    /// The signed-in person (tracked), as in [`AuthState::SignedIn`].
    ///
    /// ```no_run
    /// # use leptos::prelude::*;
    /// # use leptos_pkce_auth::use_auth;
    /// let auth = use_auth();
    /// let name = move || auth.user().map(|user| user.name);
    /// ```
    pub fn user(&self) -> Option<User> {
        self.state.with(|state| if let AuthState::SignedIn(user) = state { Some(user.clone()) } else { None })
    }

    /// The main access token's expiry and scopes while signed in (tracked: new at each renewal).
    pub fn access(&self) -> Option<Access> {
        self.renewed.track();
        let tokens = self.client.get_value().tokens()?;
        Some(Access { expires_at: tokens.access.expires_at, scope: tokens.access.scope.unwrap_or_default() })
    }

    /// Shows `tokens`: a new state only when the person changed (OIDC Core §5.7: `iss` + `sub`), so
    /// that the views that show them are not rebuilt at a renewal; [`Auth::access`] at each change.
    fn show(&self, tokens: Option<TokenSet>) {
        self.renewed.notify();
        let same = untrack(|| {
            self.state.with(|state| match (state, &tokens) {
                (AuthState::SignedIn(now), Some(next)) => same_person(&now.claims, &next.claims),
                _ => false,
            })
        });
        if !same {
            let user = tokens.as_ref().map(|tokens| User { name: tokens.user_name(), claims: tokens.claims.clone() });
            let signed_in = user.is_some();
            self.set_state.set(user.map_or(AuthState::SignedOut, AuthState::SignedIn));
            if signed_in {
                self.client.get_value().emit(&AuthEvent::SignedIn);
            }
        }
    }

    /// Calls `listener` at every [`AuthEvent`] from now on: signed in, signed out (and why),
    /// a renewal that failed for now.
    ///
    /// ```no_run
    /// # use leptos_pkce_auth::{AuthEvent, SignedOutBecause, use_auth};
    /// use_auth().on_event(|event| {
    ///     if let AuthEvent::SignedOut(SignedOutBecause::SessionExpired) = event {
    ///         leptos::logging::log!("your session has ended");
    ///     }
    /// });
    /// ```
    pub fn on_event(&self, listener: impl Fn(&AuthEvent) + 'static) {
        self.client.get_value().on_event(listener);
    }

    /// Goes to the provider to sign in, coming back to this page.
    ///
    /// ```no_run
    /// # use leptos_pkce_auth::use_auth;
    /// use_auth().sign_in();
    /// ```
    pub fn sign_in(&self) {
        self.sign_in_with(SignInOptions::default());
    }

    /// Goes to the provider's sign-up screen (Auth0's `screen_hint=signup`), coming back to this
    /// page.
    ///
    /// ```no_run
    /// # use leptos_pkce_auth::use_auth;
    /// use_auth().sign_up();
    /// ```
    pub fn sign_up(&self) {
        self.sign_in_with(SignInOptions::default().screen_hint("signup"));
    }

    /// Goes to the provider to sign in, coming back to `return_to` (a path of this app; anything
    /// else comes back to `/`).
    ///
    /// ```no_run
    /// # use leptos_pkce_auth::use_auth;
    /// use_auth().sign_in_to("/profile");
    /// ```
    pub fn sign_in_to(&self, return_to: &str) {
        self.sign_in_with(SignInOptions::default().return_to(return_to));
    }

    /// Goes to the provider to sign in as `options` ask (a login hint, a connection, `prompt`,
    /// `max_age`, the provider's own parameters…).
    ///
    /// ```no_run
    /// # use leptos_pkce_auth::{SignInOptions, use_auth};
    /// use_auth().sign_in_with(SignInOptions::default().login_hint("ada@example.com").prompt("login"));
    /// ```
    pub fn sign_in_with(&self, options: SignInOptions) {
        // "Loading" while the browser leaves; a failure to leave is the state.
        self.set_state.set(AuthState::Loading);
        let (client, set_state) = (self.client.get_value(), self.set_state);
        spawn_local(async move {
            if let Err(error) = client.login_with(&options).await {
                set_state.set(AuthState::Error(error));
            }
        });
    }

    /// Signs out here, in the other tabs and at the provider.
    ///
    /// ```no_run
    /// # use leptos_pkce_auth::use_auth;
    /// use_auth().sign_out();
    /// ```
    pub fn sign_out(&self) {
        self.set_state.set(AuthState::Loading);
        let client = self.client.get_value();
        spawn_local(async move { client.logout().await });
    }

    /// Sends `request` to one of the configured APIs with a fresh access token for it (and a DPoP
    /// proof when configured); a `401 invalid_token` gets one refresh and one retry. The token
    /// only ever goes to the API that owns the URL.
    ///
    /// ```no_run
    /// # use leptos::task::spawn_local;
    /// # use leptos_pkce_auth::{ApiRequest, use_auth};
    /// let auth = use_auth();
    /// spawn_local(async move {
    ///     match auth.fetch(&ApiRequest::get("/api/messages")).await {
    ///         Ok(answer) => leptos::logging::log!("{}: {}", answer.status, answer.text()),
    ///         Err(error) => leptos::logging::log!("{error}"),
    ///     }
    /// });
    /// ```
    pub fn fetch(&self, request: &ApiRequest) -> Pin<Box<dyn Future<Output = Result<ApiResponse, ApiError>>>> {
        // Boxed: one copy of the request's state machine, whoever awaits it.
        let (client, request) = (self.client.get_value(), request.clone());
        Box::pin(async move { api::fetch(&client, &request).await })
    }

    /// The base URL of the configured API named `name` (under `apis` in `config.json`; `api` is
    /// the main one).
    ///
    /// ```no_run
    /// # use leptos_pkce_auth::{ApiRequest, use_auth};
    /// let auth = use_auth();
    /// if let Some(base_url) = auth.api_base_url("reports") {
    ///     let request = ApiRequest::get(format!("{base_url}/api/reports"));
    /// }
    /// ```
    pub fn api_base_url(&self, name: &str) -> Option<String> {
        let client = self.client.get_value();
        client.config.apis.iter().find(|api| api.name == name).map(|api| api.base_url.clone())
    }

    /// A valid access token for the main API (`api_base_url`), for a client of the app's own (a
    /// WebSocket, a GraphQL or gRPC-web client, another SDK): as [`Auth::access_token_for`].
    ///
    /// ```no_run
    /// # use leptos::task::spawn_local;
    /// # use leptos_pkce_auth::use_auth;
    /// let auth = use_auth();
    /// spawn_local(async move {
    ///     if let Ok(token) = auth.access_token().await {
    ///         // e.g. new WebSocket(`wss://api.example.com/live?access_token=${token}`)
    ///     }
    /// });
    /// ```
    pub async fn access_token(&self) -> Result<String, AuthError> {
        let client = self.client.get_value();
        let api = client.config.main_api().ok_or_else(|| AuthError::Config("no `api_base_url`".into()))?;
        Ok(client.access_token(api).await?.token)
    }

    /// A valid access token for the configured API named `name` (`api` is the main one): renewed
    /// first when within the leeway of expiry, with the same lock and rules as [`Auth::fetch`]
    /// (one refresh across every tab, a sign-in for it alone when the provider asks for one).
    /// With DPoP on, each request with it needs a proof too: [`Auth::dpop_proof`].
    ///
    /// ```no_run
    /// # use leptos::task::spawn_local;
    /// # use leptos_pkce_auth::use_auth;
    /// let auth = use_auth();
    /// spawn_local(async move {
    ///     let token = auth.access_token_for("reports").await;
    /// });
    /// ```
    pub async fn access_token_for(&self, name: &str) -> Result<String, AuthError> {
        let client = self.client.get_value();
        let api = client.config.api_named(name).ok_or_else(|| AuthError::Config(format!("no API named `{name}`")))?;
        Ok(client.access_token(api).await?.token)
    }

    /// RFC 9449 §4: a DPoP proof for a `method` request to `url` carrying `access_token`, when
    /// DPoP is on (`None` when it is off: send the token as `Bearer`). Send it as the `DPoP`
    /// header, the token as `Authorization: DPoP …`.
    ///
    /// ```no_run
    /// # use leptos::task::spawn_local;
    /// # use leptos_pkce_auth::use_auth;
    /// let auth = use_auth();
    /// spawn_local(async move {
    ///     let url = "https://api.example.com/graphql";
    ///     if let Ok(token) = auth.access_token().await {
    ///         let proof = auth.dpop_proof("POST", url, &token).await;
    ///     }
    /// });
    /// ```
    pub async fn dpop_proof(&self, method: &str, url: &str, access_token: &str) -> Result<Option<String>, AuthError> {
        let client = self.client.get_value();
        client.proof(&method.to_ascii_uppercase(), url, Some(access_token), false).await
    }

    /// Shows an error that ended the session (e.g. a refused refresh token).
    pub(crate) fn fail(&self, error: AuthError) {
        self.set_state.set(AuthState::Error(error));
    }
}

/// The sign-in state and actions; only call it below [`AuthProvider`].
///
/// ```no_run
/// # use leptos::prelude::*;
/// # use leptos_pkce_auth::use_auth;
/// let auth = use_auth();
/// let status = move || auth.state.with(|state| state.status());
/// ```
pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

/// Starts the client — finishes a sign-in on the callback route, takes the session from another
/// tab, renews tokens — and provides [`use_auth`] to `children`. After a sign-in it goes back to
/// where the person was: through `navigate` (your router's), else by rewriting the address bar.
///
/// ```no_run
/// # use leptos::prelude::*;
/// # use leptos::task::spawn_local;
/// # use leptos_pkce_auth::{AuthClient, AuthProvider};
/// # #[component] fn Pages() -> impl IntoView {}
/// // Below a mounted component (Leptos's tasks need its executor):
/// let client = RwSignal::new_local(None);
/// spawn_local(async move { client.set(AuthClient::from_config_json().await.ok()) });
/// let app = move || client.get().map(|client| view! { <AuthProvider client><Pages/></AuthProvider> });
///
/// // With a router: the way back after a sign-in goes through it.
/// # let my_router_navigate = |_: &str| ();
/// # let client: std::rc::Rc<AuthClient> = todo!();
/// let navigate: std::rc::Rc<dyn Fn(String)> = std::rc::Rc::new(move |path: String| my_router_navigate(&path));
/// view! { <AuthProvider client navigate><Pages/></AuthProvider> };
/// ```
#[component]
pub fn AuthProvider(
    /// The client, from [`AuthClient::new`] or [`AuthClient::from_config_json`].
    client: Rc<AuthClient>,
    /// Goes to a path of the app after a sign-in (replacing the callback URL in the history).
    #[prop(optional)]
    navigate: Option<Rc<dyn Fn(String)>>,
    /// The app (or the part of it) that uses [`use_auth`].
    children: Children,
) -> impl IntoView {
    let (state, set_state) = signal(AuthState::Loading);
    let auth = Auth { state, set_state, renewed: Trigger::new(), client: StoredValue::new_local(client.clone()) };
    provide_context(auth);
    client.on_change(move |tokens| auth.show(tokens));
    spawn_local(async move {
        let go_to = match client.start().await {
            Outcome::SignedIn { go_to } | Outcome::SignedOut { go_to } => {
                auth.show(client.tokens());
                go_to
            }
            Outcome::Redirecting => None,
            Outcome::Failed(error) => {
                auth.fail(error);
                None
            }
        };
        if let Some(path) = go_to {
            match navigate {
                Some(navigate) => navigate(path),
                None => location::replace_url(&path),
            }
        }
        client.refresh_on_wake();
    });
    children()
}
