//! When the access token expires, as a local time and a live countdown (with the epoch seconds for
//! tools).

use std::time::Duration;

use leptos::prelude::*;
use leptos_pkce_auth::{AuthState, use_auth};

fn now() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

/// `in 4 min 05 s`, `in 42 s`, `expired`: whole numbers only (no float formatting shipped).
fn remaining(seconds: u64) -> String {
    match seconds {
        0 => "expired".into(),
        1..60 => format!("in {seconds} s"),
        _ => format!("in {} min {:02} s", seconds / 60, seconds % 60),
    }
}

/// "Access token expires at HH:MM:SS (in 4 min 05 s)" while signed in with an expiring token.
#[component]
pub fn TokenExpiry() -> impl IntoView {
    let auth = use_auth();
    let clock = RwSignal::new(now());
    let ticking = set_interval_with_handle(move || clock.set(now()), Duration::from_secs(1)).ok();
    on_cleanup(move || {
        if let Some(handle) = ticking {
            handle.clear();
        }
    });
    move || match auth.state.get() {
        AuthState::SignedIn(user) => user.expires_at.map(|at| {
            let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64 * 1000.0));
            let time = String::from(date.to_locale_time_string("en-GB"));
            view! {
                <p class="expiry">
                    "Access token expires at "
                    <span data-testid="token-expiry" data-expires-at=at.to_string()>{time}</span>
                    " ("
                    <span data-testid="token-countdown">{move || remaining(at.saturating_sub(clock.get()))}</span>
                    ")"
                </p>
            }
        }),
        _ => None,
    }
}
