//! The header: links, the sign-in state, and the sign-in / sign-out buttons.

use leptos::prelude::*;

use crate::router::Link;
use leptos_pkce_auth::{AuthState, use_auth};

/// The top bar shown on every page.
#[component]
pub fn Nav() -> impl IntoView {
    let auth = use_auth();
    let status = move || auth.state.with(AuthState::status);
    let user_name = move || match &*auth.state.read() {
        AuthState::SignedIn(user) => {
            Some(view! { <span class="user" data-testid="user-name">{user.name.clone()}</span> })
        }
        _ => None,
    };
    let button = move || match &*auth.state.read() {
        AuthState::SignedIn(_) => view! {
            <button data-testid="sign-out" on:click=move |_| auth.sign_out()>"Sign out"</button>
        }
        .into_any(),
        AuthState::Loading => view! { <button disabled aria-busy="true">"Please wait…"</button> }.into_any(),
        _ => view! {
            <button data-testid="sign-in" on:click=move |_| auth.sign_in()>
                "Sign in"
            </button>
        }
        .into_any(),
    };
    view! {
        <header>
            <nav aria-label="Pages">
                <Link href="/" label="Home"/>
                <Link href="/profile" label="Profile"/>
                <Link href="/api" label="API"/>
                <Link href="/flow" label="How it works"/>
            </nav>
            <div class="session">
                <span class="status" data-testid="auth-status">{status}</span>
                {user_name}
                {button}
            </div>
        </header>
    }
}
