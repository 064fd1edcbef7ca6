//! The sign-in error, as plain text, with a way to try again.

use leptos::prelude::*;

use leptos_pkce_auth::{AuthState, use_auth};

/// Shown whenever sign-in failed; provider text is rendered as text, never as markup. "Try again"
/// comes back to this page (or home, from the callback).
#[component]
pub fn ErrorPanel() -> impl IntoView {
    let auth = use_auth();
    move || match auth.state.get() {
        AuthState::Error(error) => Some(view! {
            <section class="error" role="alert">
                <h2>"Sign-in failed"</h2>
                <p data-testid="auth-error">{error.to_string()}</p>
                <button data-testid="try-again" on:click=move |_| auth.sign_in()>"Try again"</button>
            </section>
        }),
        _ => None,
    }
}
