//! The API against tokens signed by test keys, with a discovery document and JWKS this test serves.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use tower::ServiceExt;

async fn assert_invalid(app: &axum::Router, token: &str, why: &str) {
    let answer = call(app, "/api/private", Some(&format!("Bearer {token}"))).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{why}");
    assert!(answer.challenge.contains("error=\"invalid_token\""), "{why}: {}", answer.challenge);
    assert_eq!(answer.body["error"], "invalid_token", "{why}");
}

#[tokio::test]
async fn a_good_token_opens_every_endpoint() {
    let (provider, app) = setup().await;
    let token = rs256(&claims(&provider.issuer));
    for path in ["/api/private", "/api/private-scoped"] {
        let answer = call(&app, path, Some(&format!("bearer {token}"))).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert_eq!(answer.body["sub"], "ada");
        assert_eq!(answer.body["scopes"], json!(["read:messages"]));
    }
    let es = sign(Algorithm::ES256, "test-es256", ES256_PEM, &claims(&provider.issuer));
    assert_eq!(private_status(&app, &es).await, StatusCode::OK);
    assert_eq!(provider.jwks_hits.load(Ordering::SeqCst), 1, "keys are cached");
}

#[tokio::test]
async fn the_public_endpoint_needs_nothing() {
    let (_provider, app) = setup().await;
    let answer = call(&app, "/api/public", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["endpoint"], "public");
}

#[tokio::test]
async fn a_missing_token_gets_a_bare_challenge() {
    let (_provider, app) = setup().await;
    let answer = call(&app, "/api/private", None).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.challenge, "Bearer realm=\"leptos-pkce-api\"");
    let answer = call(&app, "/api/private", Some("Basic YTpi")).await;
    assert!(answer.challenge.contains("invalid_token"));
}

#[tokio::test]
async fn each_bad_claim_is_refused() {
    let (provider, app) = setup().await;
    let good = claims(&provider.issuer);
    let with = |key: &str, value: Value| {
        let mut c = good.clone();
        c[key] = value;
        rs256(&c)
    };
    let without = |key: &str| {
        let mut c = good.clone();
        c.as_object_mut().unwrap().remove(key);
        rs256(&c)
    };
    assert_invalid(&app, &with("iss", json!("http://evil.test/")), "wrong iss").await;
    assert_invalid(&app, &with("aud", json!("https://other.test")), "wrong aud").await;
    assert_invalid(&app, &with("exp", json!(now() - 60)), "expired").await;
    assert_invalid(&app, &with("nbf", json!(now() + 60)), "not yet valid").await;
    assert_invalid(&app, &without("exp"), "no exp").await;
    assert_invalid(&app, &without("sub"), "no sub").await;
    let leeway = with("exp", json!(now() - 2));
    assert_eq!(private_status(&app, &leeway).await, StatusCode::OK);
}

#[tokio::test]
async fn forged_and_unsigned_tokens_are_refused() {
    let (provider, app) = setup().await;
    let good = claims(&provider.issuer);
    // Signed by a key that is not the issuer's, under the issuer's key id.
    assert_invalid(&app, &sign(Algorithm::RS256, "test-rs256", OTHER_PEM, &good), "bad signature").await;
    // RFC 8725 §2.1: alg none.
    let payload = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &good, &EncodingKey::from_secret(b"k")).unwrap();
    let body = payload.split('.').nth(1).unwrap();
    assert_invalid(&app, &format!("eyJhbGciOiJub25lIiwia2lkIjoidGVzdC1yczI1NiJ9.{body}."), "alg none").await;
    // RFC 8725 §2.1: HS256 with the public key as the secret (algorithm confusion).
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("test-rs256".into());
    let confused = encode(&header, &good, &EncodingKey::from_secret(JWKS.as_bytes())).unwrap();
    assert_invalid(&app, &confused, "HS256").await;
    assert_invalid(&app, "not.a.jwt", "garbage").await;
    assert_invalid(&app, &rs256(&good)[..40], "truncated").await;
}

#[tokio::test]
async fn an_unknown_key_id_refetches_once_then_waits() {
    let (provider, app) = setup().await;
    let good = rs256(&claims(&provider.issuer));
    assert_eq!(private_status(&app, &good).await, StatusCode::OK);
    let rotated = sign(Algorithm::RS256, "rotated", OTHER_PEM, &claims(&provider.issuer));
    assert_invalid(&app, &rotated, "unknown kid").await;
    assert_eq!(provider.jwks_hits.load(Ordering::SeqCst), 1, "fetched within MIN_REFETCH: no second fetch");
    for _ in 0..5 {
        assert_invalid(&app, &rotated, "unknown kid again").await;
    }
    assert_eq!(provider.jwks_hits.load(Ordering::SeqCst), 1, "a flood of unknown kids is no fetch flood");
}

#[tokio::test]
async fn a_rotated_key_is_found_by_one_refetch() {
    let (provider, app) = setup_with(Duration::ZERO).await;
    let only_rs256: Value = serde_json::from_str(JWKS).unwrap();
    let only_rs256 = json!({"keys": [only_rs256["keys"][0]]});
    *provider.jwks.lock().unwrap() = only_rs256.to_string();
    let good = rs256(&claims(&provider.issuer));
    assert_eq!(private_status(&app, &good).await, StatusCode::OK);
    *provider.jwks.lock().unwrap() = JWKS.to_owned();
    let es = sign(Algorithm::ES256, "test-es256", ES256_PEM, &claims(&provider.issuer));
    assert_eq!(private_status(&app, &es).await, StatusCode::OK);
    assert_eq!(provider.jwks_hits.load(Ordering::SeqCst), 2, "one fetch, then one re-fetch for the new kid");
}

#[tokio::test]
async fn a_missing_scope_is_forbidden_not_unauthorized() {
    let (provider, app) = setup().await;
    let mut c = claims(&provider.issuer);
    c["scope"] = json!("openid");
    let answer = call(&app, "/api/private-scoped", Some(&format!("Bearer {}", rs256(&c)))).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        answer.challenge,
        "Bearer realm=\"leptos-pkce-api\", error=\"insufficient_scope\", scope=\"read:messages\""
    );
    c["permissions"] = json!(["read:messages"]);
    let answer = call(&app, "/api/private-scoped", Some(&format!("Bearer {}", rs256(&c)))).await;
    assert_eq!(answer.status, StatusCode::OK, "Auth0 RBAC permissions count as scopes");
}

#[tokio::test]
async fn cors_lets_the_app_send_authorization_and_read_the_challenge() {
    let (_provider, app) = setup().await;
    let preflight = Request::builder()
        .method("OPTIONS")
        .uri("/api/private")
        .header(header::ORIGIN, "http://127.0.0.1:8080")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "authorization")
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(preflight).await.unwrap();
    let allowed = response.headers().get(header::ACCESS_CONTROL_ALLOW_HEADERS).unwrap().to_str().unwrap();
    assert!(allowed.contains("authorization"));
    let refused = call(&app, "/api/private", None).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let other = Request::get("/api/public").header(header::ORIGIN, "http://evil.test").body(Body::empty()).unwrap();
    let response = app.clone().oneshot(other).await.unwrap();
    assert!(response.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
}
