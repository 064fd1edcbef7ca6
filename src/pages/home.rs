//! `/`: what the app is, and who is signed in.

use leptos::prelude::*;

use leptos_pkce_auth::{AuthState, use_auth};

/// The landing page.
#[component]
pub fn Home() -> impl IntoView {
    let auth = use_auth();
    let greeting = move || match &*auth.state.read() {
        AuthState::SignedIn(user) => format!("Welcome back, {}.", user.name),
        AuthState::Loading => "Checking your session…".to_owned(),
        _ => "Sign in to see your profile and call the demo API.".to_owned(),
    };
    view! {
        <h1>"leptos-pkce"</h1>
        <p>"OAuth 2.0 Authorization Code flow with PKCE, in Rust and WebAssembly."</p>
        <p class="greeting">{greeting}</p>
    }
}
