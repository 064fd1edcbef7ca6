//! `/profile` (protected): the ID token's claims.

use leptos::prelude::*;

use leptos_pkce_auth::json::{self, Json};
use leptos_pkce_auth::{AuthState, Protected, use_auth};

use crate::components::token_expiry::TokenExpiry;

/// The claims that are times (RFC 7519 §2 NumericDate, OIDC Core §2 and §5.1).
const TIME_CLAIMS: [&str; 5] = ["exp", "iat", "nbf", "auth_time", "updated_at"];

/// A claim as shown: a time as a local date and time, a string as it is, anything else as its
/// JSON text.
fn claim_text(name: &str, value: &Json) -> String {
    match value.as_f64().filter(|_| TIME_CLAIMS.contains(&name)) {
        Some(seconds) => {
            let date = js_sys::Date::new(&(seconds * 1000.0).into());
            let style = [("dateStyle", "medium"), ("timeStyle", "medium")];
            let options = Json::Object(style.map(|(k, v)| (k.to_owned(), Json::String(v.to_owned()))).to_vec());
            date.to_locale_string("en-GB", &json::to_js(&options)).into()
        }
        None => value.as_str().map_or_else(|| json::stringify(value), str::to_owned),
    }
}

fn claims_list() -> impl IntoView {
    let auth = use_auth();
    move || match auth.state.get() {
        AuthState::SignedIn(user) => {
            let rows = user
                .claims
                .members()
                .unwrap_or_default()
                .iter()
                .map(|(name, value)| {
                    view! {
                        <dt>{name.clone()}</dt>
                        <dd data-claim=name.clone()>{claim_text(name, value)}</dd>
                    }
                })
                .collect_view();
            Some(view! {
                <h1>{user.name}</h1>
                <TokenExpiry/>
                <dl data-testid="profile-claims">{rows}</dl>
            })
        }
        _ => None,
    }
}

/// The signed-in person's claims, from the ID token.
#[component]
pub fn Profile() -> impl IntoView {
    view! { <Protected>{claims_list()}</Protected> }
}
