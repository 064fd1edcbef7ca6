//! Opaque access tokens introspected at the issuer (RFC 7662), against an introspection server
//! this test serves (shaped like django-oauth-toolkit's: an issuer without a trailing slash).

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use api::{Introspection, Settings};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use serde_json::{Value, json};

/// The API's credentials, with characters RFC 6749 §2.3.1 has form-urlencoded before Basic.
const CLIENT_ID: &str = "api client";
const CLIENT_SECRET: &str = "s3cr:t/é";

/// What the issuer's introspection endpoint answers (`answers[token]`, else `{"active": false}`)
/// and what it was sent (each request's `Authorization` and form).
#[derive(Clone, Default)]
struct Served {
    answers: Arc<Mutex<HashMap<String, Value>>>,
    /// While set, introspection answers 500.
    failing: Arc<AtomicBool>,
    hits: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<(String, String)>>>,
}

impl Served {
    fn answer(&self, token: &str, answer: Value) {
        self.answers.lock().unwrap().insert(token.into(), answer);
    }
}

async fn introspect(State(served): State<Served>, headers: HeaderMap, body: String) -> (StatusCode, axum::Json<Value>) {
    served.hits.fetch_add(1, Ordering::SeqCst);
    let authorization = headers.get(header::AUTHORIZATION).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    served.seen.lock().unwrap().push((authorization, body.clone()));
    if served.failing.load(Ordering::SeqCst) {
        return (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(json!({"error": "server_error"})));
    }
    let token = form_urlencoded::parse(body.as_bytes()).find(|(k, _)| k == "token").map(|(_, v)| v.into_owned());
    let answer = token.and_then(|t| served.answers.lock().unwrap().get(&t).cloned());
    (StatusCode::OK, axum::Json(answer.unwrap_or(json!({"active": false}))))
}

/// An issuer at `http://…/o` serving discovery, the JWKS and introspection; its discovery names
/// `endpoint`, or else its own introspection endpoint. Returns the issuer and what it serves.
async fn issuer_naming(endpoint: Option<String>) -> (String, Served) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}/o", listener.local_addr().unwrap());
    let served = Served::default();
    let endpoint = endpoint.unwrap_or_else(|| format!("{issuer}/introspect/"));
    let doc = json!({"issuer": issuer, "jwks_uri": format!("{issuer}/jwks"), "introspection_endpoint": endpoint});
    let app = axum::Router::new()
        .route("/o/.well-known/openid-configuration", get(move || async move { axum::Json(doc) }))
        .route("/o/jwks", get(|| async { ([(header::CONTENT_TYPE, "application/json")], JWKS) }))
        .route("/o/introspect/", post(introspect))
        .with_state(served.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (issuer, served)
}

async fn issuer() -> (String, Served) {
    issuer_naming(None).await
}

/// The API trusting `issuer`, introspecting with the test's credentials when `introspection`.
fn api_for(issuer: &str, introspection: bool) -> axum::Router {
    let introspection =
        introspection.then(|| Introspection { client_id: CLIENT_ID.into(), client_secret: CLIENT_SECRET.into() });
    api::routes::router(Settings { introspection, ..settings(issuer, AUDIENCE, Duration::from_secs(30)) })
}

/// DOT's answer for an active token: no `sub`, no `aud`, the user as `username`.
fn active(username: &str) -> Value {
    json!({"active": true, "scope": "openid read:messages write:messages", "exp": now() + 60,
           "client_id": "leptos-pkce-dev", "username": username})
}

#[tokio::test]
async fn an_active_opaque_token_is_taken_and_remembered_a_while() {
    let (issuer, served) = issuer().await;
    let app = api_for(&issuer, true);
    served.answer("opaque-ada", active("ada"));
    let answer = call(&app, "/api/private-scoped", Some("Bearer opaque-ada")).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["sub"], "ada", "the subject from `username` when there is no `sub`");
    assert_eq!(answer.body["scopes"], json!(["openid", "read:messages", "write:messages"]));
    let posted = send(&app, "POST", "/api/messages", Some("Bearer opaque-ada"), Some(r#"{"text":"hi"}"#)).await;
    assert_eq!((posted.status, posted.body["author"].clone()), (StatusCode::CREATED, json!("ada")));
    assert_eq!(served.hits.load(Ordering::SeqCst), 1, "the active answer is remembered");
    let (authorization, form) = served.seen.lock().unwrap()[0].clone();
    // RFC 6749 §2.3.1: each credential form-urlencoded, then Basic.
    let basic = STANDARD.encode("api+client:s3cr%3At%2F%C3%A9");
    assert_eq!(authorization, format!("Basic {basic}"));
    let form: Vec<(String, String)> = form_urlencoded::parse(form.as_bytes()).into_owned().collect();
    assert_eq!(form, [("token".into(), "opaque-ada".into()), ("token_type_hint".into(), "access_token".into())]);
    served.answer("opaque-grace", json!({"active": true, "sub": "grace", "username": "gracie"}));
    assert_eq!(call(&app, "/api/private", Some("Bearer opaque-grace")).await.body["sub"], "grace", "`sub` first");
}

#[tokio::test]
async fn inactive_expired_and_foreign_tokens_are_refused() {
    let (issuer, served) = issuer().await;
    let app = api_for(&issuer, true);
    let with = |changes: Value| {
        let mut answer = active("ada");
        for (key, value) in changes.as_object().unwrap() {
            answer[key] = value.clone();
        }
        answer
    };
    let cases = [
        ("inactive", json!({"active": false})),
        ("expired", with(json!({"exp": now() - 60}))),
        ("not yet valid", with(json!({"nbf": now() + 60}))),
        ("another audience", with(json!({"aud": "https://other.test"}))),
        ("none of its audiences", with(json!({"aud": ["https://other.test", "https://third.test"]}))),
        ("another issuer", with(json!({"iss": "http://evil.test/o"}))),
        ("no subject", json!({"active": true, "scope": "read:messages"})),
    ];
    for (why, answer) in cases {
        served.answer(why, answer);
        let answer = call(&app, "/api/private", Some(&format!("Bearer {why}"))).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{why}");
        assert_eq!(answer.body["error"], "invalid_token", "{why}");
        assert!(well_formed_challenge(&answer.challenge) && answer.challenge.contains("invalid_token"), "{why}");
    }
    assert_eq!(call(&app, "/api/private", Some("Bearer unknown")).await.status, StatusCode::UNAUTHORIZED);
    let mine = with(json!({"aud": ["https://other.test", AUDIENCE], "iss": issuer, "exp": now() - 2}));
    served.answer("mine", mine);
    assert_eq!(
        private_status(&app, "mine").await,
        StatusCode::OK,
        "one of its audiences, its issuer, within the leeway"
    );
}

#[tokio::test]
async fn an_issuer_that_cannot_answer_is_a_503_and_nothing_is_remembered() {
    let (issuer, served) = issuer().await;
    let app = api_for(&issuer, true);
    served.answer("opaque-ada", active("ada"));
    served.failing.store(true, Ordering::SeqCst);
    for _ in 0..2 {
        let answer = call(&app, "/api/private", Some("Bearer opaque-ada")).await;
        assert_eq!(
            (answer.status, answer.body["error"].clone()),
            (StatusCode::SERVICE_UNAVAILABLE, json!("temporarily_unavailable"))
        );
    }
    assert_eq!(served.hits.load(Ordering::SeqCst), 2, "a failure is not remembered");
    served.failing.store(false, Ordering::SeqCst);
    assert_eq!(private_status(&app, "opaque-ada").await, StatusCode::OK);

    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let (unreachable, _) = issuer_naming(Some(format!("http://127.0.0.1:{closed_port}/introspect/"))).await;
    assert_eq!(private_status(&api_for(&unreachable, true), "opaque-ada").await, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn without_credentials_an_opaque_token_is_refused_and_a_jwt_is_never_introspected() {
    let (issuer, served) = issuer().await;
    served.answer("opaque-ada", active("ada"));
    let plain = api_for(&issuer, false);
    let answer = call(&plain, "/api/private", Some("Bearer opaque-ada")).await;
    assert_eq!((answer.status, answer.body["error"].clone()), (StatusCode::UNAUTHORIZED, json!("invalid_token")));
    let jwt = rs256(&claims(&issuer));
    assert_eq!(private_status(&api_for(&issuer, true), &jwt).await, StatusCode::OK, "a JWT is verified with the JWKS");
    assert_eq!(served.hits.load(Ordering::SeqCst), 0);
}
