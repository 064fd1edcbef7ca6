//! When the access token expires, as a local time (with the epoch seconds for tools).

use leptos::prelude::*;

use leptos_pkce_auth::{AuthState, use_auth};

/// "Access token expires at HH:MM:SS" while signed in with an expiring token.
#[component]
pub fn TokenExpiry() -> impl IntoView {
    let auth = use_auth();
    move || match auth.state.get() {
        AuthState::SignedIn(user) => user.expires_at.map(|at| {
            let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64 * 1000.0));
            let time = String::from(date.to_locale_time_string("en-GB"));
            view! {
                <p class="expiry">
                    "Access token expires at "
                    <span data-testid="token-expiry" data-expires-at=at.to_string()>{time}</span>
                </p>
            }
        }),
        _ => None,
    }
}
