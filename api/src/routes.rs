//! `GET /api/public`, `/api/private`, `/api/private-scoped`, with RFC 6750 errors and CORS.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::Settings;
use crate::keys::KeySource;
use crate::verify::{AccessClaims, Refusal, require_scope, verify};

/// The scope `/api/private-scoped` needs.
pub const MESSAGES_SCOPE: &str = "read:messages";
const REALM: &str = "leptos-pkce-api";

struct Api {
    settings: Settings,
    keys: KeySource,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        // RFC 6750 §3: the challenge names the error; its description is for developers.
        let (status, challenge, body) = match self {
            Refusal::Missing => (
                StatusCode::UNAUTHORIZED,
                format!("Bearer realm=\"{REALM}\""),
                json!({"error": "unauthorized", "error_description": "a bearer token is required"}),
            ),
            Refusal::InvalidToken(why) => (
                StatusCode::UNAUTHORIZED,
                format!(
                    "Bearer realm=\"{REALM}\", error=\"invalid_token\", error_description=\"{}\"",
                    why.replace('"', "'")
                ),
                json!({"error": "invalid_token", "error_description": why}),
            ),
            Refusal::InsufficientScope(scope) => (
                StatusCode::FORBIDDEN,
                format!("Bearer realm=\"{REALM}\", error=\"insufficient_scope\", scope=\"{scope}\""),
                json!({"error": "insufficient_scope", "error_description": format!("needs scope {scope}")}),
            ),
        };
        let mut response = (status, Json(body)).into_response();
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response.headers_mut().insert(WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// RFC 6750 §2.1: `Authorization: Bearer <token>` (the scheme is case-insensitive).
fn bearer(headers: &HeaderMap) -> Result<&str, Refusal> {
    let value = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or(Refusal::Missing)?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => Ok(token.trim()),
        _ => Err(Refusal::InvalidToken("the Authorization header is not a bearer token".into())),
    }
}

async fn authorized(api: &Api, headers: &HeaderMap) -> Result<AccessClaims, Refusal> {
    verify(bearer(headers)?, &api.keys, &api.settings).await
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

async fn private(State(api): State<Arc<Api>>, headers: HeaderMap) -> Result<Json<serde_json::Value>, Refusal> {
    let claims = authorized(&api, &headers).await?;
    Ok(answer("private", &claims))
}

async fn private_scoped(State(api): State<Arc<Api>>, headers: HeaderMap) -> Result<Json<serde_json::Value>, Refusal> {
    let claims = authorized(&api, &headers).await?;
    require_scope(&claims, MESSAGES_SCOPE)?;
    Ok(answer("private-scoped", &claims))
}

fn cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    // `Authorization` must be listed (a `*` does not cover it), and the app reads `WWW-Authenticate`.
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET])
        .allow_headers([AUTHORIZATION])
        .expose_headers([WWW_AUTHENTICATE])
}

/// The API's routes.
pub fn router(settings: Settings) -> Router {
    let layer = cors(&settings.app_origins);
    let api = Arc::new(Api { keys: KeySource::new(&settings.issuer, settings.jwks_min_refetch), settings });
    Router::new()
        .route("/api/public", get(public))
        .route("/api/private", get(private))
        .route("/api/private-scoped", get(private_scoped))
        .with_state(api)
        .layer(layer)
}
