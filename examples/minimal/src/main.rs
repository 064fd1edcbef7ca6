//! The smallest app on `leptos-pkce-auth`: one page that signs in, greets the person by name and
//! calls the API with their access token. It uses nothing but the library's public API.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_pkce_auth::{ApiRequest, AuthClient, AuthConfig, AuthProvider, AuthState, use_api_call, use_auth};

/// Signed out: a button. Signed in: the name, a call to the API and its answer.
#[component]
fn Page() -> impl IntoView {
    let auth = use_auth();
    let call = use_api_call();
    let answer = move || {
        call.outcome.get().map(|outcome| match outcome {
            Ok(response) => format!("{} {}", response.status, response.text()),
            Err(error) => error.to_string(),
        })
    };
    move || match auth.state.get() {
        AuthState::Loading => view! { <p data-testid="auth-status">"loading"</p> }.into_any(),
        AuthState::SignedIn(user) => view! {
            <p data-testid="auth-status">"signed-in"</p>
            <p>"Hello, " <span data-testid="user-name">{user.name}</span></p>
            <button data-testid="call-api" on:click=move |_| call.send(ApiRequest::get("/api/private"))>
                "Call the API"
            </button>
            <pre data-testid="api-result">{answer}</pre>
            <button data-testid="sign-out" on:click=move |_| auth.sign_out()>"Sign out"</button>
        }
        .into_any(),
        state => view! {
            <p data-testid="auth-status">"signed-out"</p>
            {match state {
                AuthState::Error(error) => Some(view! { <p data-testid="auth-error">{error.to_string()}</p> }),
                _ => None,
            }}
            <button data-testid="sign-in" on:click=move |_| auth.sign_in()>"Sign in"</button>
            <button data-testid="sign-up" on:click=move |_| auth.sign_up()>"Sign up"</button>
        }
        .into_any(),
    }
}

/// The client configured in code (the local provider and API of `cargo xtask dev`), then the
/// page under [`AuthProvider`] (or the configuration error).
#[component]
fn App() -> impl IntoView {
    let client = RwSignal::new_local(None);
    let config = AuthConfig::new("http://127.0.0.1:4000/", "leptos-pkce-dev")
        .audience("https://api.leptos-pkce.test")
        .scope("openid profile email offline_access read:messages")
        .api_base_url("http://127.0.0.1:4001");
    spawn_local(async move { client.set(Some(AuthClient::new(config).await)) });
    move || match client.get() {
        None => view! { <p data-testid="auth-status">"loading"</p> }.into_any(),
        Some(Ok(client)) => view! { <AuthProvider client><Page/></AuthProvider> }.into_any(),
        Some(Err(error)) => view! { <p data-testid="config-error">{error.to_string()}</p> }.into_any(),
    }
}

fn main() {
    leptos::mount::mount_to_body(App);
}
