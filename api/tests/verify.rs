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
    assert!(well_formed_challenge(&answer.challenge), "{why}: {}", answer.challenge);
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
    let header = access_token_header(Algorithm::HS256, "test-rs256");
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

#[tokio::test]
async fn only_an_at_jwt_typ_is_an_access_token() {
    // RFC 9068 §4: `typ` must be `at+jwt` or `application/at+jwt` (an ID token is no access token).
    let (provider, app) = setup().await;
    let good = claims(&provider.issuer);
    let typed = |typ: Option<&str>| {
        let header = Header { typ: typ.map(str::to_owned), ..access_token_header(Algorithm::RS256, "test-rs256") };
        sign_with(&header, RS256_PEM, &good)
    };
    for typ in [Some("JWT"), None, Some("dpop+jwt"), Some("at+jwt2"), Some("")] {
        assert_invalid(&app, &typed(typ), &format!("typ {typ:?}")).await;
    }
    for typ in ["at+jwt", "application/at+jwt", "AT+JWT"] {
        assert_eq!(private_status(&app, &typed(Some(typ))).await, StatusCode::OK, "{typ}");
    }
}

#[tokio::test]
async fn two_authorization_headers_are_a_bad_request() {
    // RFC 6750 §2 and §3.1, RFC 9110 §5.3: one Authorization header; two are not a choice.
    let (provider, app) = setup().await;
    let good = format!("Bearer {}", rs256(&claims(&provider.issuer)));
    for second in [good.as_str(), "Bearer other"] {
        let request = Request::get("/api/private")
            .header(header::AUTHORIZATION, &good)
            .header(header::AUTHORIZATION, second)
            .body(Body::empty())
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let challenge = response.headers().get(header::WWW_AUTHENTICATE).unwrap().to_str().unwrap().to_owned();
        assert!(challenge.contains("error=\"invalid_request\"") && well_formed_challenge(&challenge), "{challenge}");
        let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["error"], "invalid_request");
    }
}

#[tokio::test]
async fn a_hostile_key_id_still_gets_a_well_formed_challenge_that_echoes_nothing() {
    // RFC 6750 §3: every 401 carries a challenge; a kid with a newline, a NUL or a trailing
    // backslash once dropped it or broke its quoting.
    let (provider, app) = setup().await;
    for kid in ["evil\nkid", "evil\0kid", "evil\\", "evil\"kid", "evil\r\n\tX-Injected: 1"] {
        let token = sign(Algorithm::RS256, kid, RS256_PEM, &claims(&provider.issuer));
        let answer = call(&app, "/api/private", Some(&format!("Bearer {token}"))).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{kid:?}");
        assert!(well_formed_challenge(&answer.challenge), "{kid:?}: {:?}", answer.challenge);
        assert!(answer.challenge.contains("error=\"invalid_token\""), "{kid:?}: {}", answer.challenge);
        assert!(!answer.challenge.contains("evil"), "{kid:?}: {}", answer.challenge);
    }
}

#[tokio::test]
async fn a_failed_discovery_is_not_retried_on_every_request() {
    // Finding: a failed discovery was fetched again for each request (a fetch flood).
    let (provider, app) = setup().await;
    provider.discovery_fails.store(true, Ordering::SeqCst);
    let good = rs256(&claims(&provider.issuer));
    for _ in 0..5 {
        let answer = call(&app, "/api/private", Some(&format!("Bearer {good}"))).await;
        assert_eq!(
            answer.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "the keys are out of reach, the token is not at fault"
        );
    }
    assert_eq!(provider.discovery_hits.load(Ordering::SeqCst), 1, "no refetch within jwks_min_refetch");
    assert_eq!(provider.jwks_hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_known_key_id_never_waits_for_a_fetch_of_an_unknown_one() {
    // Finding: the key lock was held across the JWKS fetch.
    let (provider, app) = setup_with(Duration::ZERO).await;
    let good = rs256(&claims(&provider.issuer));
    assert_eq!(private_status(&app, &good).await, StatusCode::OK);
    provider.jwks_hangs.store(true, Ordering::SeqCst);
    let unknown = sign(Algorithm::RS256, "rotated", OTHER_PEM, &claims(&provider.issuer));
    let hanging = tokio::spawn({
        let app = app.clone();
        async move { private_status(&app, &unknown).await }
    });
    while provider.jwks_hits.load(Ordering::SeqCst) < 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let known = tokio::time::timeout(Duration::from_secs(2), private_status(&app, &good)).await;
    assert_eq!(known.ok(), Some(StatusCode::OK), "answered while the other fetch hangs");
    assert!(!hanging.is_finished());
    hanging.abort();
}
