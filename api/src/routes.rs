//! The messages API (`/api/public`, `/api/private`, `/api/private-scoped`, `/api/messages`,
//! `/api/recent`, the `/api/live` WebSocket) and the reports API (`/api/reports`), with RFC 6750
//! errors and CORS.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde_json::json;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::introspection::Introspector;
use crate::issuer::Issuer;
use crate::keys::KeySource;
use crate::messages::{Deletion, MAX_BODY, Message, Messages, NewMessage};
use crate::verify::{AccessClaims, Refusal, require_scope, verify};
use crate::{Settings, dpop, jws, live, step_up};

/// The scope `/api/private-scoped` and `GET /api/messages` need.
pub const MESSAGES_SCOPE: &str = "read:messages";
/// The scope that adds and deletes messages.
pub const WRITE_SCOPE: &str = "write:messages";
/// The scope of the reports API.
pub const REPORTS_SCOPE: &str = "read:reports";
const REALM: &str = "leptos-pkce-api";

pub(crate) struct Api {
    pub(crate) settings: Settings,
    issuer: Issuer,
    keys: KeySource,
    /// With the API's credentials at the issuer, for tokens that are no JWT.
    introspector: Option<Introspector>,
    messages: Messages,
    replay: dpop::ReplayCache,
    nonces: dpop::Nonces,
    /// RFC 9470 §3: the most seconds since the sign-in `/api/recent` takes.
    pub(crate) step_up_max_age: u64,
}

/// RFC 9449 §4.1: the header that carries a DPoP proof.
const DPOP: HeaderName = HeaderName::from_static("dpop");
/// RFC 9449 §9: the header that hands out the API's nonce.
const DPOP_NONCE: HeaderName = HeaderName::from_static("dpop-nonce");

/// A request refused for something other than its token.
enum ApiError {
    Auth(Refusal),
    /// 400 (or 413, 415 from the body extractor): the body is not what the endpoint takes.
    Body(StatusCode, String),
    NotFound,
    /// 403: the message is someone else's.
    NotYours,
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> ApiError {
        ApiError::Auth(refusal)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, error, description) = match self {
            ApiError::Auth(refusal) => return refusal.into_response(),
            ApiError::Body(status, why) => (status, "invalid_request", why),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found", "no such message".into()),
            ApiError::NotYours => (StatusCode::FORBIDDEN, "forbidden", "only its author may delete a message".into()),
        };
        (status, Json(json!({"error": error, "error_description": description}))).into_response()
    }
}

/// RFC 9449 §7.1: the DPoP challenge's scheme and the algorithms the API takes for proofs.
const DPOP_SCHEME: &str = "DPoP algs=\"ES256 RS256\"";

/// A challenge naming `error` with its description, and the same as a JSON body. The
/// description is one of this crate's fixed texts (no quote, no backslash, nothing from the
/// request), so the challenge is always a well-formed header (RFC 9110 §11.2).
fn failed(scheme: &str, error: &str, why: &'static str) -> (String, serde_json::Value) {
    let challenge = format!("{scheme}, error=\"{error}\", error_description=\"{why}\"");
    (challenge, json!({"error": error, "error_description": why}))
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        // RFC 6750 §3 and RFC 9449 §7.1: the challenge names the error; a nonce comes with it.
        let (status, error) = self.status_and_code();
        let bearer = format!("Bearer realm=\"{REALM}\"");
        let ((challenge, body), nonce) = match self {
            Refusal::Unavailable(why) => {
                return (status, Json(json!({"error": error, "error_description": why}))).into_response();
            }
            Refusal::Missing => {
                ((bearer, json!({"error": error, "error_description": "a bearer token is required"})), None)
            }
            Refusal::InvalidRequest(why) | Refusal::InvalidToken(why) => (failed(&bearer, error, why), None),
            Refusal::InsufficientScope(scope) => (
                (
                    format!("{bearer}, error=\"{error}\", scope=\"{scope}\""),
                    json!({"error": error, "error_description": format!("needs scope {scope}")}),
                ),
                None,
            ),
            Refusal::InvalidProof(why) => (failed(DPOP_SCHEME, error, why), None),
            // RFC 9470 §3: the challenge says how recent a sign-in must be.
            Refusal::InsufficientUserAuthentication { dpop, max_age } => {
                let (challenge, body) = failed(if dpop { DPOP_SCHEME } else { &bearer }, error, step_up::MORE_RECENT);
                ((format!("{challenge}, max_age=\"{max_age}\""), body), None)
            }
            Refusal::UseNonce(nonce) => {
                let why = "the DPoP proof must carry the nonce given in DPoP-Nonce";
                (failed(DPOP_SCHEME, error, why), Some(nonce))
            }
        };
        let mut response = (status, Json(body)).into_response();
        let headers = [(WWW_AUTHENTICATE, Some(challenge)), (DPOP_NONCE, nonce)];
        for (name, value) in headers {
            if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

/// RFC 6750 §2.1 `Authorization: Bearer <token>` or RFC 9449 §7.1 `DPoP <token>` (schemes are
/// case-insensitive): whether it is DPoP, and the token.
fn credentials(headers: &HeaderMap) -> Result<(bool, &str), Refusal> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let value = values.next().ok_or(Refusal::Missing)?;
    // RFC 6750 §2, §3.1 and RFC 9110 §5.3: Authorization is a singleton field; two are one
    // malformed request, not a choice of credentials.
    if values.next().is_some() {
        return Err(Refusal::InvalidRequest("one Authorization header at most"));
    }
    let not_a_token = || Refusal::InvalidToken("the Authorization header is not a bearer or DPoP token");
    match value.to_str().map_err(|_| not_a_token())?.split_once(' ') {
        Some((scheme, token)) if !token.trim().is_empty() && scheme.eq_ignore_ascii_case("bearer") => {
            Ok((false, token.trim()))
        }
        Some((scheme, token)) if !token.trim().is_empty() && scheme.eq_ignore_ascii_case("dpop") => {
            Ok((true, token.trim()))
        }
        _ => Err(not_a_token()),
    }
}

/// RFC 6750 §2.1 and RFC 9449 §7.1: the credentials a request presents, however they came.
pub(crate) struct Presented<'a> {
    /// Whether the token comes under the DPoP scheme (else as a bearer token).
    pub dpop: bool,
    pub token: &'a str,
    /// RFC 9449 §4.1: the DPoP proof, when exactly one came.
    pub proof: Option<&'a str>,
}

/// RFC 9449 §4.3 item 1: the `Authorization` header's credentials and the one `DPoP` header.
fn presented(headers: &HeaderMap) -> Result<Presented<'_>, Refusal> {
    let (dpop, token) = credentials(headers)?;
    let mut proofs = headers.get_all(DPOP).iter();
    let proof = match (proofs.next().and_then(|p| p.to_str().ok()), proofs.next()) {
        (Some(proof), None) => Some(proof),
        _ => None,
    };
    Ok(Presented { dpop, token, proof })
}

/// The token's claims, once it is valid here and, when DPoP-bound, proven by its key.
pub(crate) async fn authorized(api: &Api, request: &Parts) -> Result<AccessClaims, Refusal> {
    authorized_as(api, &presented(&request.headers)?, request.method.as_str(), request.uri.path()).await
}

/// RFC 6750 §2 and RFC 9449 §7.1: `presented` checked as on a `method` request to `path`.
pub(crate) async fn authorized_as(
    api: &Api,
    presented: &Presented<'_>,
    method: &str,
    path: &str,
) -> Result<AccessClaims, Refusal> {
    let (dpop, token) = (presented.dpop, presented.token);
    let at = now();
    let claims = match &api.introspector {
        // RFC 7662 §2: a token that is no JWT is the issuer's to judge.
        Some(introspector) if jws::header(token).is_none() => {
            introspector.claims(token, &api.issuer, &api.settings, at).await?
        }
        _ => verify(token, &api.issuer, &api.keys, &api.settings).await?,
    };
    match (dpop, claims.jkt()) {
        (false, None) => Ok(claims),
        // RFC 9449 §7.2: a DPoP-bound token is not accepted as a bearer token.
        (false, Some(_)) => Err(Refusal::InvalidToken("a DPoP-bound token needs the DPoP scheme and a proof")),
        (true, None) => Err(Refusal::InvalidToken("the token is not DPoP-bound")),
        (true, Some(jkt)) => {
            let proof = presented.proof.ok_or(Refusal::InvalidProof("exactly one DPoP proof is required"))?;
            // RFC 9449 §4.3 item 9: the URL the client addressed, this API's public origin and the path.
            let url = format!("{}{path}", api.settings.public_url);
            let checked = dpop::Request { method, url: &url, access_token: token, jkt, now: at };
            let nonces = api.settings.dpop_nonce.then_some(&api.nonces);
            dpop::check(proof, &checked, &api.replay, nonces).map_err(|e| match e {
                dpop::ProofError::Invalid(why) => Refusal::InvalidProof(why),
                dpop::ProofError::UseNonce => Refusal::UseNonce(api.nonces.current(at)),
                dpop::ProofError::Busy => Refusal::Unavailable("too many recent DPoP proofs to remember another"),
            })?;
            Ok(claims)
        }
    }
}

fn answer(endpoint: &str, claims: &AccessClaims) -> Json<serde_json::Value> {
    Json(json!({
        "endpoint": endpoint,
        "message": format!("Hello {}, this is the {endpoint} endpoint.", claims.sub),
        "sub": claims.sub,
        "scopes": claims.scopes(),
    }))
}

async fn public() -> Json<serde_json::Value> {
    Json(json!({"endpoint": "public", "message": "Hello from the public endpoint; no token needed."}))
}

async fn private(State(api): State<Arc<Api>>, request: Parts) -> Result<Json<serde_json::Value>, Refusal> {
    let claims = authorized(&api, &request).await?;
    Ok(answer("private", &claims))
}

async fn private_scoped(State(api): State<Arc<Api>>, request: Parts) -> Result<Json<serde_json::Value>, Refusal> {
    let claims = authorized(&api, &request).await?;
    require_scope(&claims, MESSAGES_SCOPE)?;
    Ok(answer("private-scoped", &claims))
}

pub(crate) fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

async fn list_messages(State(api): State<Arc<Api>>, request: Parts) -> Result<Json<Vec<Message>>, ApiError> {
    let claims = authorized(&api, &request).await?;
    require_scope(&claims, MESSAGES_SCOPE)?;
    Ok(Json(api.messages.list()))
}

/// The token is checked before the body is looked at.
async fn post_message(
    State(api): State<Arc<Api>>,
    request: Parts,
    body: Result<Json<NewMessage>, JsonRejection>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let claims = authorized(&api, &request).await?;
    require_scope(&claims, WRITE_SCOPE)?;
    let Json(new) = body.map_err(|e| ApiError::Body(e.status(), e.body_text()))?;
    let message =
        api.messages.add(&new.text, &claims.sub, now()).map_err(|why| ApiError::Body(StatusCode::BAD_REQUEST, why))?;
    Ok((StatusCode::CREATED, Json(message)))
}

async fn delete_message(
    State(api): State<Arc<Api>>,
    request: Parts,
    id: Result<Path<u64>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let claims = authorized(&api, &request).await?;
    require_scope(&claims, WRITE_SCOPE)?;
    let Path(id) = id.map_err(|_| ApiError::NotFound)?;
    match api.messages.delete(id, &claims.sub) {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(Deletion::NotFound) => Err(ApiError::NotFound),
        Err(Deletion::NotYours) => Err(ApiError::NotYours),
    }
}

async fn reports(State(api): State<Arc<Api>>, request: Parts) -> Result<Json<serde_json::Value>, Refusal> {
    let claims = authorized(&api, &request).await?;
    require_scope(&claims, REPORTS_SCOPE)?;
    Ok(Json(json!({
        "endpoint": "reports",
        "sub": claims.sub,
        "reports": [{"name": "sign-ins this week", "value": 42}, {"name": "messages posted", "value": 7}],
    })))
}

fn cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    // `Authorization` must be listed (a `*` does not cover it), and the app reads `WWW-Authenticate`.
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([AUTHORIZATION, CONTENT_TYPE, DPOP])
        .expose_headers([WWW_AUTHENTICATE, DPOP_NONCE])
}

fn api(settings: Settings, step_up_max_age: u64) -> (Arc<Api>, CorsLayer) {
    let layer = cors(&settings.app_origins);
    (
        Arc::new(Api {
            issuer: Issuer::new(&settings.issuer, settings.jwks_min_refetch),
            keys: KeySource::new(settings.jwks_min_refetch),
            introspector: settings.introspection.as_ref().map(Introspector::new),
            settings,
            messages: Messages::default(),
            replay: dpop::ReplayCache::default(),
            nonces: dpop::Nonces::default(),
            step_up_max_age,
        }),
        layer,
    )
}

/// The messages API's routes, `/api/recent` taking sign-ins [`step_up::DEFAULT_MAX_AGE`] seconds old at most.
pub fn router(settings: Settings) -> Router {
    router_step_up(settings, step_up::DEFAULT_MAX_AGE)
}

/// RFC 9470 §3: [`router`], `/api/recent` taking sign-ins at most `step_up_max_age` seconds old.
pub fn router_step_up(settings: Settings, step_up_max_age: u64) -> Router {
    let (api, layer) = api(settings, step_up_max_age);
    Router::new()
        .route("/api/public", get(public))
        .route("/api/private", get(private))
        .route("/api/private-scoped", get(private_scoped))
        .route("/api/messages", get(list_messages).post(post_message))
        .route("/api/messages/{id}", delete(delete_message))
        .route("/api/recent", get(step_up::recent))
        .route("/api/live", get(live::live))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(api)
        .layer(layer)
}

/// The reports API's routes (its own port and audience).
pub fn reports_router(settings: Settings) -> Router {
    let (api, layer) = api(settings, step_up::DEFAULT_MAX_AGE);
    Router::new().route("/api/reports", get(reports)).with_state(api).layer(layer)
}
