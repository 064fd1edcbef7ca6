//! `fetch` (through gloo-net) for the provider's endpoints: GET JSON, POST form; status and body text back.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AbortController, Request, RequestCredentials, RequestInit, RequestMode};

use super::js_message;
use crate::auth::error::AuthError;

/// How long a provider request may take before it is abandoned, in milliseconds.
const TIMEOUT_MS: i32 = 15_000;

/// A finished HTTP exchange.
pub struct HttpResponse {
    pub status: u16,
    pub body: String,
    /// RFC 6750 §3: the API's bearer challenge, when it sent one (and CORS exposes it).
    pub www_authenticate: Option<String>,
}

fn network(e: JsValue) -> AuthError {
    AuthError::Network(js_message(&e))
}

async fn send(url: &str, init: RequestInit, credentials: RequestCredentials) -> Result<HttpResponse, AuthError> {
    let window = web_sys::window().ok_or_else(|| AuthError::Network("no window".into()))?;
    let controller = AbortController::new().map_err(network)?;
    init.set_signal(Some(&controller.signal()));
    init.set_mode(RequestMode::Cors);
    init.set_credentials(credentials);
    let request = Request::new_with_str_and_init(url, &init).map_err(network)?;
    let abort = wasm_bindgen::closure::Closure::once_into_js(move || controller.abort());
    let timer = window
        .set_timeout_with_callback_and_timeout_and_arguments_0(abort.unchecked_ref(), TIMEOUT_MS)
        .map_err(network)?;
    let result = async {
        let response = gloo_net::http::Request::from(request)
            .send()
            .await
            .map_err(|e| AuthError::Network(format!("{} could not be reached ({})", url, e)))?;
        let text = response.text().await.map_err(|e| AuthError::Network(e.to_string()))?;
        Ok(HttpResponse {
            status: response.status(),
            body: text,
            www_authenticate: response.headers().get("WWW-Authenticate"),
        })
    }
    .await;
    window.clear_timeout_with_handle(timer);
    result
}

/// GET `url`. The provider's and the API's cookies are never needed (RFC 6749 §3.2 and RFC 6750
/// put everything in the request itself).
pub async fn get(url: &str) -> Result<HttpResponse, AuthError> {
    let init = RequestInit::new();
    init.set_method("GET");
    send(url, init, RequestCredentials::Omit).await
}

/// GET a file of the app's own origin, as `<link rel="preload" as="fetch" crossorigin>` in
/// `index.html` asks for it (same credentials mode), so that the preloaded answer is used.
pub async fn get_own(path: &str) -> Result<HttpResponse, AuthError> {
    let init = RequestInit::new();
    init.set_method("GET");
    send(path, init, RequestCredentials::SameOrigin).await
}

/// GET `url` with `Authorization: Bearer <token>` (RFC 6750 §2.1).
pub async fn get_with_bearer(url: &str, token: &str) -> Result<HttpResponse, AuthError> {
    let init = RequestInit::new();
    init.set_method("GET");
    let headers = web_sys::Headers::new().map_err(network)?;
    headers.set("Authorization", &format!("Bearer {token}")).map_err(network)?;
    init.set_headers(&headers);
    send(url, init, RequestCredentials::Omit).await
}

/// POST a form-encoded `body` to `url` (RFC 6749 §4.1.3: `application/x-www-form-urlencoded`).
pub async fn post_form(url: &str, body: &str) -> Result<HttpResponse, AuthError> {
    let init = RequestInit::new();
    init.set_method("POST");
    let headers = web_sys::Headers::new().map_err(network)?;
    headers.set("Content-Type", "application/x-www-form-urlencoded").map_err(network)?;
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(body));
    send(url, init, RequestCredentials::Omit).await
}
