//! What [`use_auth`](crate::use_auth) tells: where sign-in stands, the person, the access token.

use crate::auth::error::AuthError;
use crate::auth::id_token::Claims;

/// The signed-in person, from the ID token of their sign-in. A renewal for the same person (`iss` +
/// `sub`) leaves it, and every view that reads it, as it was (its claims are the sign-in's, not a
/// refreshed ID token's); what changes at each renewal is [`Auth::access`](crate::Auth::access).
///
/// ```no_run
/// # use leptos::prelude::*;
/// # use leptos_pkce_auth::use_auth;
/// # let auth = use_auth();
/// if let Some(user) = auth.user() {
///     let email = user.claims.get("email").and_then(|email| email.as_str());
///     leptos::logging::log!("{} ({email:?})", user.name);
/// }
/// ```
#[derive(Clone, Debug)]
pub struct User {
    /// What to call them: `name`, else `nickname`, `preferred_username`, `email`, `sub`.
    pub name: String,
    /// Every claim of the ID token, in order.
    pub claims: Claims,
}

/// The main access token's lifetime and grant, from [`Auth::access`](crate::Auth::access): new at each renewal.
///
/// ```no_run
/// # use leptos::prelude::*;
/// # use leptos_pkce_auth::use_auth;
/// let auth = use_auth();
/// let expiry = move || auth.access().and_then(|access| access.expires_at);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Access {
    /// When the access token expires (seconds since the epoch), if the provider said.
    pub expires_at: Option<u64>,
    /// What the access token allows (RFC 6749 §3.3): the scopes it was granted, space-separated.
    pub scope: String,
}

impl Access {
    /// The scopes granted, e.g. `read:messages`.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.split_whitespace()
    }
}

/// Where sign-in stands.
///
/// ```no_run
/// # use leptos::prelude::*;
/// # use leptos_pkce_auth::{AuthState, use_auth};
/// let auth = use_auth();
/// let greeting = move || match auth.state.get() {
///     AuthState::Loading => "…".to_owned(),
///     AuthState::SignedOut => "Welcome".to_owned(),
///     AuthState::SignedIn(user) => format!("Hello, {}", user.name),
///     AuthState::Error(error) => error.to_string(),
/// };
/// ```
#[derive(Clone, Debug)]
pub enum AuthState {
    /// Starting up, finishing a sign-in, or on the way to the provider.
    Loading,
    /// Nobody is signed in.
    SignedOut,
    /// Someone is signed in.
    SignedIn(User),
    /// Signing in failed, or the session ended on an error (its code and message are in it).
    Error(AuthError),
}

impl AuthState {
    /// A short word for tools and tests: `loading`, `signed-out` or `signed-in`.
    ///
    /// ```
    /// # use leptos_pkce_auth::AuthState;
    /// assert_eq!(AuthState::SignedOut.status(), "signed-out");
    /// ```
    pub fn status(&self) -> &'static str {
        match self {
            AuthState::Loading => "loading",
            AuthState::SignedIn(_) => "signed-in",
            AuthState::SignedOut | AuthState::Error(_) => "signed-out",
        }
    }
}
