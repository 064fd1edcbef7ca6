//! The page shown when `config.json` is missing or invalid.

use leptos::prelude::*;

/// A clear page instead of a blank screen, saying what is wrong (`AuthError::message`).
#[component]
pub fn ConfigError(message: String) -> impl IntoView {
    view! {
        <main class="config-error">
            <h1>"This app is not configured"</h1>
            <p data-testid="config-error">{message}</p>
            <p>"Check config.json next to index.html (see the README)."</p>
        </main>
    }
}
