//! `/api/messages` (GET, POST, DELETE) and the reports API, with real tokens signed by test keys.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use serde_json::{Value, json};
use tower::ServiceExt;

const REPORTS: &str = "https://reports.test";

/// A bearer token for `sub` with these scopes, for the API of `audience`.
fn token(provider: &Provider, sub: &str, scope: &str, audience: &str) -> String {
    let mut c = claims(&provider.issuer);
    c["sub"] = json!(sub);
    c["scope"] = json!(scope);
    c["aud"] = json!(audience);
    format!("Bearer {}", rs256(&c))
}

fn writer(provider: &Provider, sub: &str) -> String {
    token(provider, sub, "read:messages write:messages", AUDIENCE)
}

#[tokio::test]
async fn messages_are_posted_listed_and_deleted_by_their_author() {
    let (provider, app) = setup().await;
    let ada = writer(&provider, "ada");
    let posted = send(&app, "POST", "/api/messages", Some(&ada), Some(r#"{"text":"  hello  "}"#)).await;
    assert_eq!(posted.status, StatusCode::CREATED);
    assert_eq!((posted.body["text"].clone(), posted.body["author"].clone()), (json!("hello"), json!("ada")));
    let id = posted.body["id"].as_u64().unwrap();
    let listed = call(&app, "/api/messages", Some(&ada)).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body.as_array().map(Vec::len), Some(1));
    let grace = writer(&provider, "grace");
    let theirs = send(&app, "DELETE", &format!("/api/messages/{id}"), Some(&grace), None).await;
    assert_eq!((theirs.status, theirs.body["error"].clone()), (StatusCode::FORBIDDEN, json!("forbidden")));
    let deleted = send(&app, "DELETE", &format!("/api/messages/{id}"), Some(&ada), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let again = send(&app, "DELETE", &format!("/api/messages/{id}"), Some(&ada), None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(send(&app, "DELETE", "/api/messages/abc", Some(&ada), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(call(&app, "/api/messages", Some(&ada)).await.body, json!([]));
}

#[tokio::test]
async fn each_method_needs_its_scope_and_a_token_comes_before_the_body() {
    let (provider, app) = setup().await;
    let reader = token(&provider, "ada", "read:messages", AUDIENCE);
    let refused = send(&app, "POST", "/api/messages", Some(&reader), Some(r#"{"text":"hi"}"#)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.challenge.contains("scope=\"write:messages\""), "{}", refused.challenge);
    assert_eq!(send(&app, "DELETE", "/api/messages/1", Some(&reader), None).await.status, StatusCode::FORBIDDEN);
    let nobody = token(&provider, "ada", "", AUDIENCE);
    assert_eq!(call(&app, "/api/messages", Some(&nobody)).await.status, StatusCode::FORBIDDEN);
    let anonymous = send(&app, "POST", "/api/messages", None, Some("not json")).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "no token: 401 whatever the body");
}

#[tokio::test]
async fn bodies_are_validated_and_size_limited() {
    let (provider, app) = setup().await;
    let ada = writer(&provider, "ada");
    let post = |body: String| {
        let (app, ada) = (app.clone(), ada.clone());
        async move { send(&app, "POST", "/api/messages", Some(&ada), Some(&body)).await }
    };
    let cases = [
        ("{not json".to_owned(), StatusCode::BAD_REQUEST),
        (r#"{"text":7}"#.to_owned(), StatusCode::UNPROCESSABLE_ENTITY),
        (r#"{"text":"hi","admin":true}"#.to_owned(), StatusCode::UNPROCESSABLE_ENTITY),
        (r#"{"text":"   "}"#.to_owned(), StatusCode::BAD_REQUEST),
        (json!({"text": "x".repeat(281)}).to_string(), StatusCode::BAD_REQUEST),
        (json!({"text": "x".repeat(5000)}).to_string(), StatusCode::PAYLOAD_TOO_LARGE),
    ];
    for (body, status) in cases {
        let answer = post(body.clone()).await;
        assert_eq!(answer.status, status, "{}", &body[..body.len().min(40)]);
        assert_eq!(answer.body["error"], "invalid_request", "a JSON error body");
    }
    let plain = Request::post("/api/messages")
        .header(header::AUTHORIZATION, &ada)
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(r#"{"text":"hi"}"#))
        .unwrap();
    assert_eq!(app.clone().oneshot(plain).await.unwrap().status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(call(&app, "/api/messages", Some(&ada)).await.body, json!([]), "nothing was stored");
}

#[tokio::test]
async fn cors_lets_the_app_post_json_and_delete() {
    let (_provider, app) = setup().await;
    for (method, headers) in [("POST", "authorization,content-type"), ("DELETE", "authorization")] {
        let preflight = Request::builder()
            .method("OPTIONS")
            .uri("/api/messages")
            .header(header::ORIGIN, "http://127.0.0.1:8080")
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, method)
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, headers)
            .body(Body::empty())
            .unwrap();
        let response = app.clone().oneshot(preflight).await.unwrap();
        let allowed = |name| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert!(allowed(header::ACCESS_CONTROL_ALLOW_METHODS).contains(method), "{method}");
        assert!(allowed(header::ACCESS_CONTROL_ALLOW_HEADERS).contains("content-type"), "{method}");
    }
}

#[tokio::test]
async fn the_reports_api_has_its_own_audience_and_scope() {
    let provider = provider().await;
    let app = api::routes::reports_router(settings(&provider.issuer, REPORTS, Duration::from_secs(30)));
    let good = call(&app, "/api/reports", Some(&token(&provider, "ada", "read:reports", REPORTS))).await;
    assert_eq!(good.status, StatusCode::OK);
    assert_eq!(good.body["sub"], "ada");
    let messages_token = call(&app, "/api/reports", Some(&token(&provider, "ada", "read:reports", AUDIENCE))).await;
    assert_eq!(messages_token.status, StatusCode::UNAUTHORIZED, "a token for the messages API");
    let unscoped = call(&app, "/api/reports", Some(&token(&provider, "ada", "read:messages", REPORTS))).await;
    assert_eq!(unscoped.status, StatusCode::FORBIDDEN);
    assert_eq!(call(&app, "/api/messages", None).await.body, Value::Null, "no messages here");
}
