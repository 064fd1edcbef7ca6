//! `/callback`: the provider sends the browser back here; `AuthProvider` does the exchange.

use leptos::prelude::*;

use leptos_pkce_auth::{AuthState, use_auth};

/// Shows progress while the code is exchanged (errors show in the error panel).
#[component]
pub fn Callback() -> impl IntoView {
    let auth = use_auth();
    move || {
        auth.state.with(|s| matches!(s, AuthState::Loading)).then(|| view! { <p class="busy">"Signing you in…"</p> })
    }
}
