//! `AuthProvider` puts the client in context; `use_auth()` gives its state as a signal.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::auth::client::{AuthClient, Outcome};
use crate::auth::error::AuthError;
use crate::auth::id_token::Claims;
use crate::auth::session::TokenSet;
use crate::router::use_router;

/// The signed-in person as the UI shows them.
#[derive(Clone, Debug)]
pub struct User {
    pub name: String,
    pub claims: Claims,
    /// When the access token expires (seconds since the epoch), if the provider said.
    pub expires_at: Option<u64>,
}

impl User {
    fn from_tokens(tokens: &TokenSet) -> User {
        User { name: tokens.user_name(), claims: tokens.claims.clone(), expires_at: tokens.access.expires_at }
    }
}

/// Where sign-in stands.
#[derive(Clone, Debug)]
pub enum AuthState {
    Loading,
    SignedOut,
    SignedIn(User),
    Error(AuthError),
}

impl AuthState {
    /// The `auth-status` text: `loading`, `signed-out` or `signed-in`.
    pub fn status(&self) -> &'static str {
        match self {
            AuthState::Loading => "loading",
            AuthState::SignedIn(_) => "signed-in",
            AuthState::SignedOut | AuthState::Error(_) => "signed-out",
        }
    }
}

/// The client and its state, in context.
#[derive(Clone, Copy)]
pub struct Auth {
    pub state: RwSignal<AuthState>,
    client: StoredValue<Rc<AuthClient>, LocalStorage>,
}

impl Auth {
    /// Goes to the provider to sign in, coming back to `return_to`.
    pub fn sign_in(&self, return_to: &str) {
        self.state.set(AuthState::Loading);
        if let Err(error) = self.client.get_value().login(return_to) {
            self.state.set(AuthState::Error(error));
        }
    }

    /// The client, for API calls.
    pub fn client(&self) -> Rc<AuthClient> {
        self.client.get_value()
    }

    /// Shows an error that ended the session (e.g. a refused refresh token).
    pub fn fail(&self, error: AuthError) {
        self.state.set(AuthState::Error(error));
    }

    /// Signs out here, in the other tabs and at the provider.
    pub fn sign_out(&self) {
        self.state.set(AuthState::Loading);
        let client = self.client.get_value();
        spawn_local(async move { client.logout().await });
    }
}

/// The auth context; only call it below `AuthProvider`.
pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

fn state_of(tokens: Option<TokenSet>) -> AuthState {
    tokens.as_ref().map_or(AuthState::SignedOut, |t| AuthState::SignedIn(User::from_tokens(t)))
}

/// Starts the client (callback, other tabs, silent sign-in) and provides `use_auth()` to `children`.
#[component]
pub fn AuthProvider(client: StoredValue<Rc<AuthClient>, LocalStorage>, children: Children) -> impl IntoView {
    let state = RwSignal::new(AuthState::Loading);
    provide_context(Auth { state, client });
    let client = client.get_value();
    client.on_change(move |tokens| state.set(state_of(tokens)));
    let router = use_router();
    spawn_local(async move {
        let go_to = match client.start().await {
            Outcome::SignedIn { go_to } | Outcome::SignedOut { go_to } => {
                state.set(state_of(client.tokens()));
                go_to
            }
            Outcome::Redirecting => None,
            Outcome::Failed(error) => {
                state.set(AuthState::Error(error));
                None
            }
        };
        if let Some(path) = go_to {
            router.navigate(&path, true);
        }
        client.refresh_on_wake();
    });
    children()
}
