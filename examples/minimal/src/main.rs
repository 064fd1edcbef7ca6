//! The smallest app on `leptos-pkce-auth`: one page that signs in, greets the person by name and
//! calls the API with their access token. It uses nothing but the library's public API.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_pkce_auth::{ApiRequest, Auth, AuthClient, AuthConfig, AuthProvider, AuthState, use_api_call, use_auth};
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, WebSocket};

/// The demo API's WebSocket: the credentials go in the first message (a browser's WebSocket takes
/// no `Authorization` header).
const LIVE: &str = "/api/live";

/// Opens the API's WebSocket with a fresh access token (and its DPoP proof, when DPoP is on), the
/// way any client of the app's own would; what it hears goes to `heard`.
async fn open_live(auth: Auth, heard: RwSignal<String>) -> Result<(), String> {
    let base_url = auth.api_base_url("api").ok_or("no API")?;
    let token = auth.access_token().await.map_err(|error| error.to_string())?;
    let url = format!("{base_url}{LIVE}");
    let proof = auth.dpop_proof("GET", &url, &token).await.map_err(|error| error.to_string())?;
    let first = js_sys::Object::new();
    js_sys::Reflect::set(&first, &"access_token".into(), &token.into()).map_err(|_| "token")?;
    if let Some(proof) = proof {
        js_sys::Reflect::set(&first, &"dpop".into(), &proof.into()).map_err(|_| "proof")?;
    }
    let first = js_sys::JSON::stringify(&first).map_err(|_| "JSON")?;
    let socket = WebSocket::new(&url.replacen("http", "ws", 1)).map_err(|_| "the WebSocket URL")?;
    let sender = socket.clone();
    let on_open = Closure::once_into_js(move || drop(sender.send_with_str(&String::from(&first))));
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        heard.set(event.data().as_string().unwrap_or_default());
    });
    let on_close = Closure::<dyn Fn(web_sys::CloseEvent)>::new(move |event: web_sys::CloseEvent| {
        heard.set(format!("closed {} {}", event.code(), event.reason()));
    });
    socket.set_onopen(Some(on_open.unchecked_ref()));
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    // The socket's handlers live as long as the page.
    on_message.forget();
    on_close.forget();
    Ok(())
}

/// A note of the page's own: its text lives in the component, which a renewal leaves alone.
#[component]
fn Note() -> impl IntoView {
    let text = RwSignal::new(String::new());
    view! {
        <label>"Note " <input data-testid="note" bind:value=text/></label>
        <span data-testid="note-length">{move || text.with(|text| text.chars().count())}</span>
    }
}

/// Signed out: a button. Signed in: the name, a note (kept across renewals: the view is not
/// rebuilt when the token is), the token's expiry, a call to the API, the API's WebSocket. Below:
/// the session's events.
#[component]
fn Page() -> impl IntoView {
    let auth = use_auth();
    let call = use_api_call();
    let heard = RwSignal::new(String::new());
    let answer = move || {
        call.outcome.get().map(|outcome| match outcome {
            Ok(response) => format!("{} {}", response.status, response.text()),
            Err(error) => error.to_string(),
        })
    };
    let expiry = move || auth.access().and_then(|access| access.expires_at).map(|at| at.to_string());
    let live = move |_| {
        spawn_local(async move {
            if let Err(error) = open_live(auth, heard).await {
                heard.set(error);
            }
        })
    };
    // What happened to the session, oldest first (it outlives the views below).
    let events = RwSignal::new(Vec::new());
    auth.on_event(move |event| events.update(|events| events.push(format!("{event:?}"))));
    let view = move || match auth.state.get() {
        AuthState::Loading => view! { <p data-testid="auth-status">"loading"</p> }.into_any(),
        AuthState::SignedIn(user) => view! {
            <p data-testid="auth-status">"signed-in"</p>
            <p>"Hello, " <span data-testid="user-name">{user.name}</span></p>
            <Note/>
            <p>"Access token expires at " <span data-testid="token-expiry" data-expires-at=expiry>{expiry}</span></p>
            <button data-testid="call-api" on:click=move |_| call.send(ApiRequest::get("/api/private"))>
                "Call the API"
            </button>
            <pre data-testid="api-result">{answer}</pre>
            <button data-testid="open-live" on:click=live>"Open the live feed"</button>
            <pre data-testid="live-result">{move || heard.get()}</pre>
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
    };
    view! { {view} <p data-testid="events">{move || events.get().join(" ")}</p> }
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
