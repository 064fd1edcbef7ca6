//! `/profile` (protected): the ID token's claims.

use crate::auth::json;
use crate::components::auth_provider::{AuthState, use_auth};
use crate::components::protected::Protected;
use crate::components::token_expiry::TokenExpiry;
use leptos::prelude::*;

fn claims_list() -> impl IntoView {
    let auth = use_auth();
    move || match auth.state.get() {
        AuthState::SignedIn(user) => {
            let rows = user
                .claims
                .iter()
                .map(|(name, value)| {
                    view! {
                        <dt>{name.clone()}</dt>
                        <dd data-claim=name.clone()>{json::text(value)}</dd>
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
