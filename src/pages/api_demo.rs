//! `/api`: calls to the demo protected API, with their outcome as text.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError};
use crate::auth::error::AuthError;
use crate::components::auth_provider::use_auth;
use crate::components::token_expiry::TokenExpiry;

/// The endpoints: button label, path, and whether a token is sent.
const ENDPOINTS: [(&str, &str, bool); 3] =
    [("public", "/api/public", false), ("private", "/api/private", true), ("scoped", "/api/private-scoped", true)];

/// The API demo page.
#[component]
pub fn ApiDemo() -> impl IntoView {
    let auth = use_auth();
    let result = RwSignal::new(String::from("No call yet."));
    let call = move |label: &'static str, path: &'static str, authorized: bool| {
        result.set(format!("{label}: calling…"));
        let client = auth.client();
        spawn_local(async move {
            let outcome = api::get(&client, path, authorized).await;
            result.set(match outcome {
                Ok(body) => format!("{label}: {body}"),
                Err(ApiError::Auth(error @ AuthError::SessionExpired)) => {
                    auth.fail(error.clone());
                    format!("{label}: {error}")
                }
                Err(error) => format!("{label}: {error}"),
            });
        });
    };
    let buttons = ENDPOINTS
        .iter()
        .map(|&(label, path, authorized)| {
            view! {
                <button data-testid="call-api" on:click=move |_| call(label, path, authorized)>
                    {format!("Call {label}")}
                </button>
            }
        })
        .collect_view();
    view! {
        <h1>"Demo API"</h1>
        <p>"The private endpoints need a signed-in person; the scoped one also needs read:messages."</p>
        <TokenExpiry/>
        <div class="calls">{buttons}</div>
        <pre class="api-result" data-testid="api-result">{result}</pre>
    }
}
