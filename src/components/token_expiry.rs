//! When the access token expires, as a local time and a live countdown (with the epoch seconds for
//! tools).

use std::time::Duration;

use leptos::prelude::*;
use leptos_pkce_auth::use_auth;

use crate::dates::{local_time, now_seconds};

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
    let clock = RwSignal::new(now_seconds());
    let ticking = set_interval_with_handle(move || clock.set(now_seconds()), Duration::from_secs(1)).ok();
    on_cleanup(move || {
        if let Some(handle) = ticking {
            handle.clear();
        }
    });
    move || {
        auth.access().and_then(|access| access.expires_at).map(|at| {
            let time = local_time(at as f64 * 1000.0);
            view! {
                <p class="expiry">
                    "Access token expires at "
                    <span data-testid="token-expiry" data-expires-at=at.to_string()>{time}</span>
                    " ("
                    <span data-testid="token-countdown">{move || remaining(at.saturating_sub(clock.get()))}</span>
                    ")"
                </p>
            }
        })
    }
}
