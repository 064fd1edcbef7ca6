//! `/api`: calls to the demo APIs (read, write, delete, a second API), with their outcome as text.

use leptos::prelude::*;

use leptos_pkce_auth::{ApiError, ApiRequest, ApiResponse, Body, CallOutcome, Json, use_api_call, use_auth};
use wasm_bindgen::JsValue;

use crate::components::token_expiry::TokenExpiry;

/// How long a call may wait for its answer: a demo API silent for that long is down.
const CALL_TIMEOUT_MS: u32 = 10_000;

/// The calls, by button label (DESIGN.md's automation contract).
const CALLS: [&str; 8] = ["public", "private", "scoped", "recent", "messages", "post", "delete", "reports"];

/// The id of the newest message in a `GET /api/messages` answer (oldest first); 0 when none.
fn newest_id(list: &ApiResponse) -> u64 {
    let list = list.json();
    let newest = list.as_ref().and_then(Json::items).and_then(<[Json]>::last);
    newest.and_then(|message| message.get("id")).and_then(Json::as_u64).unwrap_or(0)
}

/// JSON text laid out for reading (two-space indents), or `None` when it is not JSON.
fn pretty(text: &str) -> Option<String> {
    let value = js_sys::JSON::parse(text).ok()?;
    js_sys::JSON::stringify_with_replacer_and_space(&value, &JsValue::NULL, &JsValue::from(2)).ok()?.as_string()
}

/// The method each call uses.
fn method_of(label: &str) -> &'static str {
    match label {
        "post" => "POST",
        "delete" => "DELETE",
        _ => "GET",
    }
}

/// `api-result`: the HTTP status when there is one, the call, the method and URL, then the body
/// (JSON laid out for reading) or the error.
fn describe(label: &str, outcome: &CallOutcome) -> String {
    match outcome {
        Ok(response) => {
            let text = response.text();
            let body = match pretty(&text) {
                Some(pretty) => pretty,
                None if text.is_empty() => "(no content)".into(),
                None => text,
            };
            format!("{} {label}: {} {}\n{body}", response.status, method_of(label), response.url)
        }
        Err(error) => match error.status() {
            Some(status) => format!("{status} {label}: {error}"),
            None => format!("{label}: {error}"),
        },
    }
}

/// The API demo page.
#[component]
pub fn ApiDemo() -> impl IntoView {
    let call = use_api_call();
    let auth = use_auth();
    let label = RwSignal::new("");
    let input = NodeRef::<leptos::html::Input>::new();
    let send = move |request: ApiRequest| call.send(request.timeout(CALL_TIMEOUT_MS));
    let start = move |name: &'static str| {
        label.set(name);
        match name {
            "public" => send(ApiRequest::get("/api/public").public()),
            "private" => send(ApiRequest::get("/api/private")),
            "scoped" => send(ApiRequest::get("/api/private-scoped")),
            "recent" => send(ApiRequest::get("/api/recent")),
            "messages" => send(ApiRequest::get("/api/messages")),
            "post" => {
                let text = input.get_untracked().map(|input| input.value()).unwrap_or_default();
                let body = Json::Object(vec![("text".into(), Json::String(text))]);
                send(ApiRequest::post("/api/messages", Body::json(&body)));
            }
            "delete" => call.run(Box::new(|auth| {
                Box::pin(async move {
                    let list = ApiRequest::get("/api/messages").timeout(CALL_TIMEOUT_MS);
                    let newest = newest_id(&auth.fetch(&list).await?);
                    let delete = ApiRequest::delete(format!("/api/messages/{newest}")).timeout(CALL_TIMEOUT_MS);
                    auth.fetch(&delete).await
                })
            })),
            _ => match auth.api_base_url("reports") {
                Some(base_url) => send(ApiRequest::get(format!("{base_url}/api/reports"))),
                None => call.run(Box::new(|_| Box::pin(async { Err(ApiError::NotAnApi("reports".into())) }))),
            },
        }
    };
    let buttons = CALLS
        .iter()
        .map(|&name| view! { <button data-testid="call-api" on:click=move |_| start(name)>{name}</button> })
        .collect_view();
    let result = move || match (call.pending.get(), call.outcome.get()) {
        (true, _) => format!("{}: calling…", label.get()),
        (false, Some(outcome)) => describe(label.get_untracked(), &outcome),
        (false, None) => "No call yet.".into(),
    };
    view! {
        <h1>"Demo APIs"</h1>
        <p>
            "private needs a signed-in person; scoped and messages need read:messages, post and delete "
            "write:messages; recent a recent sign-in (an older one signs in again, RFC 9470); reports is a "
            "second API with its own audience and read:reports."
        </p>
        <TokenExpiry/>
        // Busy while a call runs; never disabled: a call may be started again at any time.
        <div class="calls" aria-busy=move || call.pending.get().then_some("true")>{buttons}</div>
        <label>
            "Message "
            <input data-testid="message-text" maxlength="280" value="Hello from leptos-pkce" node_ref=input/>
        </label>
        <pre class="api-result" data-testid="api-result" aria-live="polite" aria-label="The latest call's answer">{result}</pre>
    }
}
