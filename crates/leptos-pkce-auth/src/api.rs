//! Authorized fetch for any request to a configured API: a fresh access token for that API, sent
//! only to its origin; one refresh and one retry on `invalid_token`; typed errors for the rest.

use wasm_bindgen::JsValue;
use web_sys::{AbortSignal, RequestRedirect};

use crate::auth::bearer::{StepUp, Verdict, verdict};
use crate::auth::browser::http::{self, ApiResponse, FetchError, Outgoing};
use crate::auth::browser::journal;
use crate::auth::browser::json;
use crate::auth::client::AuthClient;
use crate::auth::config::Api;
use crate::auth::error::AuthError;
use crate::auth::flow::api_call_details;
use crate::auth::json::Json;
use crate::auth::record;
use crate::auth::session::Access;

/// What a request carries; its `Content-Type` follows from it.
///
/// ```
/// # use leptos_pkce_auth::{Body, Json};
/// let form = Body::Form(vec![("text".into(), "hello".into())]);
/// let json = Body::Json(r#"{"text":"hello"}"#.into());
/// ```
#[derive(Clone, Debug)]
pub enum Body {
    /// Sent as `text/plain;charset=UTF-8`.
    Text(String),
    /// JSON text, sent as `application/json`.
    Json(String),
    /// Sent as `application/x-www-form-urlencoded`.
    Form(Vec<(String, String)>),
    /// Sent as `application/octet-stream`.
    Bytes(Vec<u8>),
}

impl Body {
    /// A JSON body from a value.
    ///
    /// ```no_run
    /// # use leptos_pkce_auth::{Body, Json};
    /// let body = Body::json(&Json::Object(vec![("text".into(), Json::String("hello".into()))]));
    /// ```
    pub fn json(value: &Json) -> Body {
        Body::Json(json::stringify(value))
    }

    /// Its `Content-Type`.
    pub(crate) fn content_type(&self) -> &'static str {
        match self {
            Body::Text(_) => "text/plain;charset=UTF-8",
            Body::Json(_) => "application/json",
            Body::Form(_) => "application/x-www-form-urlencoded",
            Body::Bytes(_) => "application/octet-stream",
        }
    }

    /// What `fetch` sends: a string, or the bytes as a `Uint8Array`.
    pub(crate) fn to_js(&self) -> JsValue {
        match self {
            Body::Text(text) | Body::Json(text) => JsValue::from_str(text),
            Body::Form(pairs) => {
                JsValue::from_str(&record::encode(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
            }
            Body::Bytes(bytes) => js_sys::Uint8Array::from(bytes.as_slice()).into(),
        }
    }
}

/// A request to an API: `url` is absolute, or a path of the main API (`api_base_url`).
///
/// ```
/// # use leptos_pkce_auth::{ApiRequest, Body};
/// let request = ApiRequest::post("/api/messages", Body::Text("hello".into()))
///     .header("X-Request-Id", "42")
///     .timeout(10_000);
/// ```
#[derive(Clone, Debug)]
pub struct ApiRequest {
    pub(crate) method: &'static str,
    pub(crate) url: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<Body>,
    pub(crate) timeout_ms: u32,
    pub(crate) signal: Option<AbortSignal>,
    /// Whether to send the access token (only ever to the API that owns the URL).
    pub(crate) authorized: bool,
}

impl ApiRequest {
    /// An authorized request with no body, and the default timeout (15 s).
    ///
    /// ```
    /// # use leptos_pkce_auth::ApiRequest;
    /// let request = ApiRequest::new("PATCH", "https://api.example.com/items/7");
    /// ```
    pub fn new(method: &'static str, url: impl Into<String>) -> ApiRequest {
        ApiRequest {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: None,
            timeout_ms: http::TIMEOUT_MS,
            signal: None,
            authorized: true,
        }
    }

    /// `GET url`.
    ///
    /// ```
    /// # use leptos_pkce_auth::ApiRequest;
    /// let request = ApiRequest::get("/api/private");
    /// ```
    pub fn get(url: impl Into<String>) -> ApiRequest {
        ApiRequest::new("GET", url)
    }

    /// `POST url` with `body`.
    ///
    /// ```
    /// # use leptos_pkce_auth::{ApiRequest, Body};
    /// let request = ApiRequest::post("/api/messages", Body::Json(r#"{"text":"hi"}"#.into()));
    /// ```
    pub fn post(url: impl Into<String>, body: Body) -> ApiRequest {
        ApiRequest { body: Some(body), ..ApiRequest::new("POST", url) }
    }

    /// `DELETE url`.
    ///
    /// ```
    /// # use leptos_pkce_auth::ApiRequest;
    /// let request = ApiRequest::delete("/api/messages/7");
    /// ```
    pub fn delete(url: impl Into<String>) -> ApiRequest {
        ApiRequest::new("DELETE", url)
    }

    /// The same request, abandoned after `ms` milliseconds without an answer.
    ///
    /// ```
    /// # use leptos_pkce_auth::ApiRequest;
    /// let request = ApiRequest::get("/api/slow").timeout(2_000);
    /// ```
    pub fn timeout(self, ms: u32) -> ApiRequest {
        ApiRequest { timeout_ms: ms, ..self }
    }

    /// The same request with header `name: value` (`Authorization`, `DPoP` and `Content-Type` are
    /// set by the client).
    ///
    /// ```
    /// # use leptos_pkce_auth::ApiRequest;
    /// let request = ApiRequest::get("/api/messages").header("Accept", "application/json");
    /// ```
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> ApiRequest {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The same request, cancelled when `signal` fires (an `AbortController`'s).
    ///
    /// ```no_run
    /// # use leptos_pkce_auth::ApiRequest;
    /// let controller = web_sys::AbortController::new().unwrap();
    /// let request = ApiRequest::get("/api/messages").signal(controller.signal());
    /// controller.abort();
    /// ```
    pub fn signal(self, signal: AbortSignal) -> ApiRequest {
        ApiRequest { signal: Some(signal), ..self }
    }

    /// The same request without the access token (a public endpoint).
    ///
    /// ```
    /// # use leptos_pkce_auth::ApiRequest;
    /// let request = ApiRequest::get("/api/public").public();
    /// ```
    pub fn public(self) -> ApiRequest {
        ApiRequest { authorized: false, ..self }
    }
}

/// Why an API call did not give an answer to use; `Display` gives a sentence for people.
///
/// ```
/// # use leptos_pkce_auth::ApiError;
/// let error = ApiError::Server(503, "down".into());
/// assert_eq!(error.status(), Some(503));
/// assert_eq!(error.to_string(), "the API failed with HTTP 503: down");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// Signing in is needed (session expired, never signed in), or a token could not be had.
    Auth(AuthError),
    /// 403: the token is fine but does not allow this (e.g. a missing scope).
    NotPermitted(String),
    /// 401 that a refresh did not cure, or without `invalid_token`.
    Unauthorized,
    /// 5xx: the API failed.
    Server(u16, String),
    /// The API could not be reached, did not answer in time, or the call was cancelled.
    Fetch(FetchError),
    /// No configured API owns this URL, so no token goes there.
    NotAnApi(String),
    /// RFC 9470 §3: the API wants a more recent or a stronger sign-in than the one just made for
    /// it (a first such answer leads to that sign-in, back to the same page).
    StepUp(StepUp),
}

impl ApiError {
    /// The HTTP status behind the error, when there was an answer.
    ///
    /// ```
    /// # use leptos_pkce_auth::ApiError;
    /// assert_eq!(ApiError::Unauthorized.status(), Some(401));
    /// ```
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::NotPermitted(_) => Some(403),
            ApiError::Unauthorized | ApiError::StepUp(_) => Some(401),
            ApiError::Server(status, _) => Some(*status),
            _ => None,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Auth(e) => write!(f, "{e}"),
            ApiError::NotPermitted(body) => write!(f, "not permitted: {body}"),
            ApiError::Unauthorized => write!(f, "the API refused the token (HTTP 401)"),
            ApiError::Server(status, body) => write!(f, "the API failed with HTTP {status}: {body}"),
            ApiError::Fetch(FetchError::Network(m)) => write!(f, "the API could not be reached: {m}"),
            ApiError::Fetch(e) => write!(f, "{e}"),
            ApiError::NotAnApi(url) => write!(f, "no configured API owns \"{url}\"; no token was sent"),
            ApiError::StepUp(_) => write!(f, "the API wants a more recent or stronger sign-in than the one just made"),
        }
    }
}

/// Sends `request` to `url`, with `access` in `Authorization` when given: a DPoP-bound token
/// as `DPoP` with a proof (RFC 9449 §7.1), else as `Bearer` (RFC 6750 §2.1).
async fn send(
    client: &AuthClient,
    request: &ApiRequest,
    url: &str,
    access: Option<&Access>,
) -> Result<ApiResponse, ApiError> {
    // RFC 9110 §9.1: methods are case-sensitive, and `fetch` upper-cases only some (not `patch`):
    // the request and its DPoP proof name the same one.
    let method = request.method.to_ascii_uppercase();
    let mut headers: Vec<(&str, String)> = request.headers.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    if let Some(body) = &request.body {
        headers.push(("Content-Type", body.content_type().to_owned()));
    }
    if let Some(access) = access {
        let bound = access.token_type.eq_ignore_ascii_case("DPoP");
        if bound {
            let proof = client.proof(&method, url, Some(&access.token), false).await.map_err(ApiError::Auth)?;
            headers.extend(proof.map(|proof| ("DPoP", proof)));
        }
        headers.push(("Authorization", format!("{} {}", if bound { "DPoP" } else { "Bearer" }, access.token)));
    }
    let out = Outgoing {
        headers,
        body: request.body.as_ref().map(Body::to_js),
        timeout_ms: request.timeout_ms,
        signal: request.signal.as_ref(),
        redirect: if access.is_some() { RequestRedirect::Error } else { RequestRedirect::Follow },
        ..Outgoing::new(&method, url)
    };
    let response = http::exchange(out).await.map_err(ApiError::Fetch)?;
    client.remember_nonce(url, response.header("DPoP-Nonce")).await;
    Ok(response)
}

/// Sends `request` with `access`; an API that asks for a DPoP nonce gets one retry with it
/// (RFC 9449 §9). `None` asks for one refresh and one retry.
async fn send_with(
    client: &AuthClient,
    request: &ApiRequest,
    url: &str,
    access: &Access,
) -> Result<Option<ApiResponse>, ApiError> {
    let mut response = send(client, request, url, Some(access)).await?;
    if verdict(response.status, response.header("WWW-Authenticate")) == Verdict::RetryWithNonce
        && response.header("DPoP-Nonce").is_some()
    {
        response = send(client, request, url, Some(access)).await?;
    }
    judge(response)
}

/// What an answer means: `None` asks for one refresh and one retry.
fn judge(response: ApiResponse) -> Result<Option<ApiResponse>, ApiError> {
    match verdict(response.status, response.header("WWW-Authenticate")) {
        Verdict::Answer => Ok(Some(response)),
        Verdict::RefreshAndRetry => Ok(None),
        Verdict::NotPermitted => Err(ApiError::NotPermitted(response.text())),
        Verdict::StepUp(step_up) => Err(ApiError::StepUp(step_up)),
        Verdict::Unauthorized | Verdict::RetryWithNonce => Err(ApiError::Unauthorized),
        Verdict::ServerError => Err(ApiError::Server(response.status, response.text())),
    }
}

/// Sends `request` and returns the API's answer (any status below 500 but 401 and 403); the call
/// goes in this tab's journal of the flow.
pub(crate) async fn fetch(client: &AuthClient, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
    let result = fetch_unrecorded(client, request).await;
    let outcome = result.as_ref().map(|response| response.status).map_err(ApiError::to_string);
    journal::record("api-call", api_call_details(request.method, &request.url, request.authorized, outcome));
    result
}

async fn fetch_unrecorded(client: &AuthClient, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
    let url = match (request.url.starts_with('/'), client.config.main_api()) {
        (true, Some(main)) => format!("{}{}", main.base_url.trim_end_matches('/'), request.url),
        _ => request.url.clone(),
    };
    if !request.authorized {
        return judge(send(client, request, &url, None).await?)?.ok_or(ApiError::Unauthorized);
    }
    let api = client.config.api_for(&url).ok_or_else(|| ApiError::NotAnApi(url.clone()))?;
    match authorized(client, request, &url, api).await {
        Err(ApiError::StepUp(step_up)) => {
            // Leaves for the provider, unless this tab just did and the API still refuses.
            client.step_up(api, &step_up).await.map_err(ApiError::Auth)?;
            Err(ApiError::StepUp(step_up))
        }
        answer => {
            if answer.is_ok() {
                client.stepped_up();
            }
            answer
        }
    }
}

/// Sends `request` to `api` with its access token; `invalid_token` gets one refresh, one retry
/// (RFC 6750 §3.1).
async fn authorized(client: &AuthClient, request: &ApiRequest, url: &str, api: &Api) -> Result<ApiResponse, ApiError> {
    // Token errors (the provider unreachable included) are sign-in errors, not the API's.
    let access = client.access_token(api).await.map_err(ApiError::Auth)?;
    if let Some(response) = send_with(client, request, url, &access).await? {
        return Ok(response);
    }
    let access = client.refresh(Some(api), Some(&access.token)).await.map_err(ApiError::Auth)?;
    send_with(client, request, url, &access).await?.ok_or(ApiError::Unauthorized)
}
