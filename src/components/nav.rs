//! The header: links, the sign-in state, and the sign-in, sign-up and sign-out buttons.

use leptos::ev;
use leptos::prelude::*;

use crate::router::Link;
use leptos_pkce_auth::{Auth, AuthState, use_auth};

/// What a sign-in button does.
#[derive(Clone, Copy)]
pub enum Sign {
    In,
    Up,
    Out,
}

/// The sign-in buttons' one click handler: every closure type given to `on:click` ships its own
/// listener code.
pub fn on_press(auth: Auth, action: Sign) -> impl Fn(ev::MouseEvent) + Copy + 'static {
    move |_| match action {
        Sign::In => auth.sign_in(),
        Sign::Up => auth.sign_up(),
        Sign::Out => auth.sign_out(),
    }
}

/// The top bar shown on every page.
#[component]
pub fn Nav() -> impl IntoView {
    let auth = use_auth();
    let status = move || auth.state.with(AuthState::status);
    // The name and the buttons: one view of the state.
    let person = move || match &*auth.state.read() {
        AuthState::SignedIn(user) => view! {
            <span class="user" data-testid="user-name">{user.name.clone()}</span>
            <button data-testid="sign-out" on:click=on_press(auth, Sign::Out)>"Sign out"</button>
        }
        .into_any(),
        AuthState::Loading => view! { <button disabled aria-busy="true">"Please wait…"</button> }.into_any(),
        _ => view! {
            <button data-testid="sign-in" on:click=on_press(auth, Sign::In)>
                "Sign in"
            </button>
            <button data-testid="sign-up" on:click=on_press(auth, Sign::Up)>
                "Sign up"
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
                {person}
            </div>
        </header>
    }
}
