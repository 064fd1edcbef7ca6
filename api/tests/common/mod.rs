//! What the API tests share: a provider serving discovery and a JWKS, tokens signed by test keys,
//! and requests sent as the app sends them.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use std::time::{SystemTime, UNIX_EPOCH};

use api::Settings;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use tower::ServiceExt;

pub const AUDIENCE: &str = "https://api.test";
pub const JWKS: &str = include_str!("../fixtures/jwks.json");
pub const RS256_PEM: &[u8] = include_bytes!("../fixtures/test-rs256.pem");
pub const ES256_PEM: &[u8] = include_bytes!("../fixtures/test-es256.pem");
pub const OTHER_PEM: &[u8] = include_bytes!("../fixtures/other-rs256.pem");

/// A provider that serves only discovery and the JWKS, counting JWKS fetches.
pub struct Provider {
    pub issuer: String,
    pub jwks_hits: Arc<AtomicUsize>,
    /// What `/jwks` serves; a test may rotate it.
    pub jwks: Arc<Mutex<String>>,
}

pub async fn provider() -> Provider {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}/", listener.local_addr().unwrap());
    let jwks_hits = Arc::new(AtomicUsize::new(0));
    let hits = jwks_hits.clone();
    let jwks = Arc::new(Mutex::new(JWKS.to_owned()));
    let served = jwks.clone();
    let doc = json!({"issuer": issuer, "jwks_uri": format!("{issuer}jwks")});
    let app = axum::Router::new()
        .route("/.well-known/openid-configuration", get(move || async move { axum::Json(doc) }))
        .route(
            "/jwks",
            get(move || async move {
                hits.fetch_add(1, Ordering::SeqCst);
                let body = served.lock().unwrap().clone();
                ([(header::CONTENT_TYPE, "application/json")], body)
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Provider { issuer, jwks_hits, jwks }
}

pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

pub fn claims(issuer: &str) -> Value {
    json!({"iss": issuer, "aud": AUDIENCE, "sub": "ada", "exp": now() + 60, "iat": now(),
           "scope": "read:messages", "client_id": "app"})
}

pub fn sign(alg: Algorithm, kid: &str, pem: &[u8], claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.into());
    let key = match alg {
        Algorithm::ES256 => EncodingKey::from_ec_pem(pem).unwrap(),
        _ => EncodingKey::from_rsa_pem(pem).unwrap(),
    };
    encode(&header, claims, &key).unwrap()
}

pub fn rs256(claims: &Value) -> String {
    sign(Algorithm::RS256, "test-rs256", RS256_PEM, claims)
}

pub struct Answer {
    pub status: StatusCode,
    pub challenge: String,
    pub body: Value,
}

/// Sends a request as the app would (from its origin), with an optional token and JSON body.
pub async fn send(
    app: &axum::Router,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    body: Option<&str>,
) -> Answer {
    let mut request = Request::builder().method(method).uri(path).header(header::ORIGIN, "http://127.0.0.1:8080");
    if let Some(value) = authorization {
        request = request.header(header::AUTHORIZATION, value);
    }
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_owned()));
    let response = app.clone().oneshot(request.body(body).unwrap()).await.unwrap();
    let status = response.status();
    let challenge =
        response.headers().get(header::WWW_AUTHENTICATE).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    Answer { status, challenge, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
}

/// GETs `path`.
pub async fn call(app: &axum::Router, path: &str, authorization: Option<&str>) -> Answer {
    send(app, "GET", path, authorization, None).await
}

/// The status `/api/private` answers for this token.
pub async fn private_status(app: &axum::Router, token: &str) -> StatusCode {
    call(app, "/api/private", Some(&format!("Bearer {token}"))).await.status
}

/// The settings of an API of `audience` trusting `provider`.
pub fn settings(provider: &Provider, audience: &str, jwks_min_refetch: Duration) -> Settings {
    Settings {
        issuer: provider.issuer.clone(),
        audience: audience.into(),
        public_url: "http://api.test".into(),
        dpop_nonce: false,
        app_origins: vec!["http://127.0.0.1:8080".into()],
        leeway: 5,
        jwks_min_refetch,
    }
}

pub async fn setup_with(jwks_min_refetch: Duration) -> (Provider, axum::Router) {
    let provider = provider().await;
    let router = api::routes::router(settings(&provider, AUDIENCE, jwks_min_refetch));
    (provider, router)
}

pub async fn setup() -> (Provider, axum::Router) {
    setup_with(Duration::from_secs(30)).await
}
