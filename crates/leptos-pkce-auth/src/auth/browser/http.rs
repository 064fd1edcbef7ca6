//! `fetch` (through gloo-net): the provider's endpoints (GET JSON, POST form; status and text
//! back) and any request to an API (headers and bytes back), each with a timeout.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    AbortController, AbortSignal, Headers, Request, RequestCredentials, RequestInit, RequestMode, RequestRedirect,
};

use super::js_message;
use crate::auth::error::AuthError;
use crate::auth::json::Json;

/// How long a request may take before it is abandoned, unless its caller says otherwise, in ms.
pub const TIMEOUT_MS: u32 = 15_000;

/// Why a request got no answer.
///
/// ```
/// # use leptos_pkce_auth::FetchError;
/// assert_eq!(FetchError::Timeout(10_000).to_string(), "no answer within 10 s");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchError {
    /// The server could not be reached (or CORS refused the answer).
    Network(String),
    /// No answer within this many milliseconds.
    Timeout(u32),
    /// The caller's abort signal fired.
    Aborted,
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::Network(m) => write!(f, "{m}"),
            FetchError::Timeout(ms) => write!(f, "no answer within {} s", ms / 1000),
            FetchError::Aborted => write!(f, "the request was cancelled"),
        }
    }
}

impl From<FetchError> for AuthError {
    fn from(error: FetchError) -> AuthError {
        AuthError::Network(error.to_string())
    }
}

/// One request: method, URL, headers, body, and how long it may take.
pub struct Outgoing<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub headers: Vec<(&'a str, String)>,
    pub body: Option<JsValue>,
    pub timeout_ms: u32,
    pub signal: Option<&'a AbortSignal>,
    pub credentials: RequestCredentials,
    /// `Error` for requests that carry credentials (a code, a verifier, a refresh token, an
    /// access token): a redirect would re-send them elsewhere (RFC 9700 §4.11).
    pub redirect: RequestRedirect,
}

impl<'a> Outgoing<'a> {
    /// A request with no headers or body. The provider's and the APIs' cookies are never needed
    /// (RFC 6749 §3.2 and RFC 6750 put everything in the request itself).
    pub fn new(method: &'a str, url: &'a str) -> Outgoing<'a> {
        Outgoing {
            method,
            url,
            headers: Vec::new(),
            body: None,
            timeout_ms: TIMEOUT_MS,
            signal: None,
            credentials: RequestCredentials::Omit,
            redirect: RequestRedirect::Follow,
        }
    }
}

/// A finished exchange with the provider.
pub struct HttpResponse {
    pub status: u16,
    pub body: String,
    /// RFC 9449 §8: a nonce to put in the next proof.
    pub dpop_nonce: Option<String>,
}

/// A finished exchange with an API: everything it said.
///
/// ```no_run
/// # use leptos_pkce_auth::ApiResponse;
/// # let answer: ApiResponse = todo!();
/// if answer.status == 200 && answer.header("Content-Type") == Some("application/json") {
///     let messages = answer.json();
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiResponse {
    /// The HTTP status (any but 401, 403 and 5xx, which are [`ApiError`](crate::ApiError)s).
    pub status: u16,
    /// The URL that answered (after any redirect).
    pub url: String,
    /// The headers CORS lets the page see, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body's bytes.
    pub body: Vec<u8>,
}

impl ApiResponse {
    /// The value of header `name` (any case).
    ///
    /// ```
    /// # use leptos_pkce_auth::ApiResponse;
    /// let answer = ApiResponse { status: 200, url: "/".into(), headers: vec![("etag".into(), "\"7\"".into())], body: vec![] };
    /// assert_eq!(answer.header("ETag"), Some("\"7\""));
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as text (invalid UTF-8 replaced).
    ///
    /// ```
    /// # use leptos_pkce_auth::ApiResponse;
    /// let answer = ApiResponse { status: 200, url: "/".into(), headers: vec![], body: b"ok".to_vec() };
    /// assert_eq!(answer.text(), "ok");
    /// ```
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON (`JSON.parse`), if it is.
    ///
    /// ```no_run
    /// # use leptos_pkce_auth::ApiResponse;
    /// # let answer: ApiResponse = todo!();
    /// let count = answer.json().and_then(|list| list.items().map(<[_]>::len));
    /// ```
    pub fn json(&self) -> Option<Json> {
        std::str::from_utf8(&self.body).ok().and_then(super::json::parse)
    }
}

/// What went wrong, from gloo-net's error (its `Display` would ship serde_json's and std::io's
/// error texts for variants that never occur here).
fn reason(error: &gloo_net::Error) -> String {
    match error {
        gloo_net::Error::JsError(e) => format!("{}: {}", e.name, e.message),
        gloo_net::Error::GlooError(message) => message.clone(),
        gloo_net::Error::SerdeError(_) => "unreadable JSON".into(),
    }
}

fn network(e: JsValue) -> FetchError {
    FetchError::Network(js_message(&e))
}

/// Sends `out`; aborted after its timeout or when its caller's signal fires. Boxed: one copy of
/// its state machine for its two callers.
fn send(out: Outgoing<'_>) -> Pin<Box<dyn Future<Output = Result<gloo_net::http::Response, FetchError>> + '_>> {
    Box::pin(send_now(out))
}

async fn send_now(out: Outgoing<'_>) -> Result<gloo_net::http::Response, FetchError> {
    let window = web_sys::window().ok_or_else(|| FetchError::Network("no window".into()))?;
    let controller = AbortController::new().map_err(network)?;
    let init = RequestInit::new();
    init.set_method(out.method);
    init.set_signal(Some(&controller.signal()));
    init.set_mode(RequestMode::Cors);
    init.set_credentials(out.credentials);
    init.set_redirect(out.redirect);
    if !out.headers.is_empty() {
        let headers = Headers::new().map_err(network)?;
        for (name, value) in &out.headers {
            headers.set(name, value).map_err(network)?;
        }
        init.set_headers(&headers);
    }
    if let Some(body) = &out.body {
        init.set_body(body);
    }
    let request = Request::new_with_str_and_init(out.url, &init).map_err(network)?;
    let timed_out = Rc::new(Cell::new(false));
    let on_timeout = {
        let (controller, timed_out) = (controller.clone(), timed_out.clone());
        Closure::once_into_js(move || {
            timed_out.set(true);
            controller.abort();
        })
    };
    let timer = window
        .set_timeout_with_callback_and_timeout_and_arguments_0(
            on_timeout.unchecked_ref(),
            out.timeout_ms.min(i32::MAX as u32) as i32,
        )
        .map_err(network)?;
    let on_abort = out.signal.map(|signal| {
        let controller = controller.clone();
        let listener = Closure::once_into_js(move || controller.abort());
        let _ = signal.add_event_listener_with_callback("abort", listener.unchecked_ref());
        (signal, listener)
    });
    let result = if out.signal.is_some_and(AbortSignal::aborted) {
        Err(FetchError::Aborted)
    } else {
        gloo_net::http::Request::from(request).send().await.map_err(|e| {
            if timed_out.get() {
                FetchError::Timeout(out.timeout_ms)
            } else if out.signal.is_some_and(AbortSignal::aborted) {
                FetchError::Aborted
            } else {
                FetchError::Network(format!("{} could not be reached ({})", out.url, reason(&e)))
            }
        })
    };
    window.clear_timeout_with_handle(timer);
    if let Some((signal, listener)) = on_abort {
        let _ = signal.remove_event_listener_with_callback("abort", listener.unchecked_ref());
    }
    result
}

/// Sends `out` and reads the answer as text. Boxed: one copy of its state machine for the
/// provider's requests.
fn send_for_text(out: Outgoing<'_>) -> Pin<Box<dyn Future<Output = Result<HttpResponse, AuthError>> + '_>> {
    Box::pin(read_text(out))
}

async fn read_text(out: Outgoing<'_>) -> Result<HttpResponse, AuthError> {
    let response = send(out).await?;
    let body = response.text().await.map_err(|e| AuthError::Network(reason(&e)))?;
    let headers = response.headers();
    Ok(HttpResponse { status: response.status(), body, dpop_nonce: headers.get("DPoP-Nonce") })
}

/// Sends `out` and reads the whole answer: status, visible headers and body bytes.
pub async fn exchange(out: Outgoing<'_>) -> Result<ApiResponse, FetchError> {
    let response = send(out).await?;
    let (status, url) = (response.status(), response.url());
    let headers = response.headers().entries().collect();
    let body = response.binary().await.map_err(|e| FetchError::Network(reason(&e)))?;
    Ok(ApiResponse { status, url, headers, body })
}

/// GET `url` from the provider.
pub async fn get(url: &str) -> Result<HttpResponse, AuthError> {
    send_for_text(Outgoing::new("GET", url)).await
}

/// GET a file of the app's own origin, as `<link rel="preload" as="fetch" crossorigin>` in
/// `index.html` asks for it (same credentials mode), so that the preloaded answer is used.
pub async fn get_own(path: &str) -> Result<HttpResponse, AuthError> {
    send_for_text(Outgoing { credentials: RequestCredentials::SameOrigin, ..Outgoing::new("GET", path) }).await
}

/// POST a form-encoded `body` to `url` (RFC 6749 §4.1.3: `application/x-www-form-urlencoded`),
/// with a DPoP proof when one is given (RFC 9449 §5).
pub async fn post_form(url: &str, body: &str, dpop: Option<String>) -> Result<HttpResponse, AuthError> {
    let mut headers = vec![("Content-Type", "application/x-www-form-urlencoded".to_owned())];
    headers.extend(dpop.map(|proof| ("DPoP", proof)));
    let body = Some(JsValue::from_str(body));
    send_for_text(Outgoing { headers, body, redirect: RequestRedirect::Error, ..Outgoing::new("POST", url) }).await
}
