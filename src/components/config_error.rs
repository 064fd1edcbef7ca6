//! The page shown when `config.json` is missing or invalid.

use leptos::prelude::*;

use leptos_pkce_auth::AuthError;

/// A clear page instead of a blank screen.
#[component]
pub fn ConfigError(error: AuthError) -> impl IntoView {
    view! {
        <main class="config-error">
            <h1>"This app is not configured"</h1>
            <p data-testid="config-error">{error.message()}</p>
            <p>"Check config.json next to index.html (see the README)."</p>
        </main>
    }
}
