//! `/profile` (protected): the person's picture and name, what their access token allows, and the
//! ID token's claims — times as local dates, lists (roles) as chips.

use leptos::prelude::*;
use leptos_pkce_auth::json::{self, Json};
use leptos_pkce_auth::{Access, AuthState, Protected, User, use_auth};

use crate::components::token_expiry::TokenExpiry;
use crate::dates::local_date_time;

/// The claims that are times (RFC 7519 §2 NumericDate, OIDC Core §2 and §5.1).
const TIME_CLAIMS: [&str; 5] = ["exp", "iat", "nbf", "auth_time", "updated_at"];

/// Words as chips (roles, scopes).
fn chips(words: &[&str]) -> AnyView {
    let chips = words.iter().map(|word| view! { <li class="chip">{(*word).to_owned()}</li> }).collect_view();
    view! { <ul class="chips">{chips}</ul> }.into_any()
}

/// A claim as shown: a time as a local date and time, a list of words as chips, a string as it
/// is, anything else as its JSON text.
fn claim_view(name: &str, value: &Json) -> AnyView {
    if let Some(seconds) = value.as_f64().filter(|_| TIME_CLAIMS.contains(&name)) {
        return local_date_time(seconds * 1000.0).into_any();
    }
    let words: Option<Vec<&str>> = value.items().and_then(|items| items.iter().map(Json::as_str).collect());
    match (words, value.as_str()) {
        (Some(words), _) => chips(&words),
        (None, Some(text)) => text.to_owned().into_any(),
        (None, None) => json::stringify(value).into_any(),
    }
}

/// The ID token's `picture`, when it is a web address (OIDC Core §5.1).
fn picture(user: &User) -> Option<impl IntoView + use<>> {
    let url = user.claims.get("picture")?.as_str()?;
    let web = url.starts_with("https://") || url.starts_with("http://");
    web.then(|| view! { <img class="avatar" src=url.to_owned() alt="" width="64" height="64" referrerpolicy="no-referrer"/> })
}

fn profile_view() -> impl IntoView {
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
                        <dd data-claim=name.clone()>{claim_view(name, value)}</dd>
                    }
                })
                .collect_view();
            let scopes = move || {
                let access = auth.access();
                chips(&access.iter().flat_map(Access::scopes).collect::<Vec<_>>())
            };
            Some(view! {
                <div class="person">{picture(&user)}<h1>{user.name.clone()}</h1></div>
                <TokenExpiry/>
                <h2>"What your access token allows"</h2>
                <div data-testid="granted-scopes">{scopes}</div>
                <h2>"Your ID token's claims"</h2>
                <dl data-testid="profile-claims">{rows}</dl>
            })
        }
        _ => None,
    }
}

/// The signed-in person's profile, from the ID token.
#[component]
pub fn Profile() -> impl IntoView {
    view! { <Protected>{profile_view()}</Protected> }
}
