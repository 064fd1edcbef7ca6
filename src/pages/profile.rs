//! `/profile` (protected): the ID token's claims.

use leptos::prelude::*;

use crate::auth::browser::json;
use crate::auth::json::Json;
use crate::components::auth_provider::{AuthState, use_auth};
use crate::components::protected::Protected;
use crate::components::token_expiry::TokenExpiry;

/// A claim as shown: a string as it is, anything else as its JSON text.
fn claim_text(value: &Json) -> String {
    value.as_str().map_or_else(|| json::stringify(value), str::to_owned)
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
                        <dd data-claim=name.clone()>{claim_text(value)}</dd>
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
