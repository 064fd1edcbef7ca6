//! Sign in with the OAuth 2.0 Authorization Code flow with PKCE (RFC 6749, RFC 7636, OpenID
//! Connect) from a Leptos app, and call your APIs with the access token — renewed with rotating
//! refresh tokens, shared by every tab, optionally sender-constrained with DPoP (RFC 9449).
//!
//! The protocol itself is the sans-IO `oidc-protocol` crate; this crate does the browser's I/O
//! (fetch, Web Storage, Web Locks, BroadcastChannel, WebCrypto) and gives Leptos components:
//! [`AuthProvider`], [`use_auth`], [`Protected`] and [`use_api_call`].
//!
//! The client is configured in code ([`AuthConfig`], then [`AuthClient::new`]) or at run time by
//! a `config.json` next to the app's `index.html` ([`AuthClient::from_config_json`]; the same
//! keys: `domain`, `client_id`, `audience`, `scope`, `api_base_url`, …; see the repository's
//! README), validated alike.
//!
//! ```no_run
//! use leptos::prelude::*;
//! use leptos::task::spawn_local;
//! use leptos_pkce_auth::{ApiRequest, AuthClient, AuthConfig, AuthProvider, AuthState, use_api_call, use_auth};
//!
//! #[component]
//! fn App() -> impl IntoView {
//!     let client = RwSignal::new_local(None);
//!     let config = AuthConfig::new("tenant.eu.auth0.com", "my-client-id")
//!         .audience("https://api.example.com")
//!         .api_base_url("https://api.example.com");
//!     spawn_local(async move { client.set(Some(AuthClient::new(config).await)) });
//!     move || match client.get() {
//!         None => view! { <p>"Loading…"</p> }.into_any(),
//!         Some(Err(error)) => view! { <p>{error.to_string()}</p> }.into_any(),
//!         Some(Ok(client)) => view! { <AuthProvider client><Page/></AuthProvider> }.into_any(),
//!     }
//! }
//!
//! #[component]
//! fn Page() -> impl IntoView {
//!     let auth = use_auth();
//!     let call = use_api_call();
//!     move || match auth.state.get() {
//!         AuthState::SignedIn(user) => view! {
//!             <p>"Hello, " {user.name}</p>
//!             <button on:click=move |_| call.send(ApiRequest::get("/api/private"))>"Call the API"</button>
//!             <pre>{move || call.outcome.get().map(|outcome| match outcome {
//!                 Ok(answer) => answer.text(),
//!                 Err(error) => error.to_string(),
//!             })}</pre>
//!         }
//!         .into_any(),
//!         AuthState::Loading => view! { <p>"…"</p> }.into_any(),
//!         _ => view! { <button on:click=move |_| auth.sign_in()>"Sign in"</button> }.into_any(),
//!     }
//! }
//!
//! leptos::mount::mount_to_body(App);
//! ```
#![deny(missing_docs)]

mod api;
mod auth;
mod components;

#[cfg(all(test, target_arch = "wasm32"))]
mod browser_tests;

pub use api::{ApiError, ApiRequest, Body};
pub use auth::browser::http::{ApiResponse, FetchError};
pub use auth::client::{AuthClient, AuthEvent, SignedOutBecause};
pub use components::api_call::{ApiCall, CallOutcome, Steps, use_api_call};
pub use components::auth_provider::{Auth, AuthProvider, use_auth};
pub use components::auth_state::{Access, AuthState, User};
pub use components::protected::Protected;
pub use oidc_protocol::authorize::SignInOptions;
pub use oidc_protocol::bearer::StepUp;
pub use oidc_protocol::config::TokenStorage;
pub use oidc_protocol::error::{AuthError, ProviderError};
pub use oidc_protocol::flow::Step as FlowStep;
pub use oidc_protocol::id_token::Claims;
pub use oidc_protocol::json::Json;
pub use oidc_protocol::settings::AuthConfig;

/// This tab's journal of the flow, oldest first: the verifier's length and its challenge, the
/// authorize request, the callback's checks, the token response, the ID and access tokens' claims,
/// each API call and each refresh. Tokens and codes appear redacted; the verifier only once spent.
///
/// ```no_run
/// for step in leptos_pkce_auth::flow_steps() {
///     leptos::logging::log!("{} at {}: {:?}", step.name, step.at, step.details);
/// }
/// ```
pub fn flow_steps() -> Vec<FlowStep> {
    auth::browser::journal::steps()
}

/// JSON values (claims, API answers) and the browser's `JSON` for them.
pub mod json {
    pub use crate::auth::browser::json::{stringify, to_js};
    pub use oidc_protocol::json::Json;
}
