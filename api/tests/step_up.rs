//! RFC 9470 step-up at `GET /api/recent`: a recent sign-in (`auth_time`) gets the answer, any
//! other valid token the `insufficient_user_authentication` challenge with `max_age`.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use serde_json::{Value, json};
use tower::ServiceExt;

const URL: &str = "http://api.test/api/recent";
const WHY: &str = "a more recent sign-in is required";

/// A bearer token of a sign-in `age` seconds ago (none: no `auth_time`).
fn signed_in(provider: &Provider, age: Option<u64>) -> String {
    let mut claims = claims(&provider.issuer);
    if let Some(age) = age {
        claims["auth_time"] = json!(now() - age);
    }
    format!("Bearer {}", rs256(&claims))
}

/// RFC 9110 §11.3: a challenge's scheme and its auth-params, values unquoted (§5.6.4).
fn parse_challenge(challenge: &str) -> (String, Vec<(String, String)>) {
    assert!(well_formed_challenge(challenge), "{challenge}");
    let (scheme, mut rest) = challenge.split_once(' ').unwrap_or((challenge, ""));
    let mut params = Vec::new();
    while let Some((name, after)) = rest.split_once('=') {
        let quoted = after.strip_prefix('"').expect("quoted values only");
        let (mut value, mut escaped, mut end) = (String::new(), false, quoted.len());
        for (at, c) in quoted.char_indices() {
            match (escaped, c) {
                (false, '\\') => escaped = true,
                (false, '"') => {
                    end = at;
                    break;
                }
                _ => {
                    value.push(c);
                    escaped = false;
                }
            }
        }
        params.push((name.to_owned(), value));
        rest = quoted[end + 1..].strip_prefix(", ").unwrap_or_default();
    }
    (scheme.to_owned(), params)
}

/// The params the challenge must have after the scheme's own (`realm` or `algs`).
fn step_up_params(max_age: &str) -> Vec<(String, String)> {
    [("error", "insufficient_user_authentication"), ("error_description", WHY), ("max_age", max_age)]
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .to_vec()
}

fn bearer_challenge(max_age: &str) -> (String, Vec<(String, String)>) {
    let mut params = vec![("realm".to_owned(), "leptos-pkce-api".to_owned())];
    params.extend(step_up_params(max_age));
    ("Bearer".to_owned(), params)
}

#[tokio::test]
async fn a_recent_sign_in_gets_the_answer() {
    let (provider, app) = setup().await;
    let token = signed_in(&provider, Some(10));
    let answer = call(&app, "/api/recent", Some(&token)).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(answer.body["message"], "Hello from a recent sign-in");
    let auth_time = answer.body["auth_time"].as_u64().unwrap();
    assert!((now() - 11..=now() - 9).contains(&auth_time), "the token's auth_time: {auth_time}");
    assert_eq!(call(&app, "/api/recent", None).await.status, StatusCode::UNAUTHORIZED, "a token is required");
}

#[tokio::test]
async fn an_older_sign_in_meets_the_step_up_challenge() {
    let (provider, app) = setup().await;
    let request = Request::get("/api/recent")
        .header(header::ORIGIN, "http://127.0.0.1:8080")
        .header(header::AUTHORIZATION, signed_in(&provider, Some(301)))
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let text = |name| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    // The browser app reads the challenge of a cross-origin answer.
    assert!(text(header::ACCESS_CONTROL_EXPOSE_HEADERS).contains("www-authenticate"));
    assert_eq!(parse_challenge(&text(header::WWW_AUTHENTICATE)), bearer_challenge("300"));
    let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body, json!({"error": "insufficient_user_authentication", "error_description": WHY}));
}

#[tokio::test]
async fn a_token_without_auth_time_meets_the_challenge() {
    let (provider, app) = setup().await;
    let answer = call(&app, "/api/recent", Some(&signed_in(&provider, None))).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(parse_challenge(&answer.challenge), bearer_challenge("300"));
    assert_eq!(answer.body["error"], "insufficient_user_authentication");
    let other = call(&app, "/api/private", Some(&signed_in(&provider, None))).await;
    assert_eq!(other.status, StatusCode::OK, "other routes take it");
}

#[tokio::test]
async fn a_dpop_token_meets_the_challenge_under_the_dpop_scheme() {
    let (provider, app) = setup().await;
    let bound = |age: u64| {
        let mut c = changed(claims(&provider.issuer), &json!({"auth_time": now() - age}));
        c["cnf"] =
            json!({"jkt": public_jwk("test-es256").thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256).unwrap()});
        rs256(&c)
    };
    let send = |token: String| {
        let proof = proof("test-es256", "GET", URL, &token, json!({}));
        let request = Request::get("/api/recent")
            .header(header::AUTHORIZATION, format!("DPoP {token}"))
            .header("DPoP", proof)
            .body(Body::empty())
            .unwrap();
        app.clone().oneshot(request)
    };
    assert_eq!(send(bound(10)).await.unwrap().status(), StatusCode::OK, "a recent one with its proof");
    let refused = send(bound(301)).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let challenge = refused.headers()[header::WWW_AUTHENTICATE].to_str().unwrap();
    let mut params = vec![("algs".to_owned(), "ES256 RS256".to_owned())];
    params.extend(step_up_params("300"));
    assert_eq!(parse_challenge(challenge), ("DPoP".to_owned(), params));
}

#[tokio::test]
async fn the_max_age_is_the_configured_one() {
    let provider = provider().await;
    let settings = settings(&provider.issuer, AUDIENCE, Duration::from_secs(30));
    let app = api::routes::router_step_up(settings, 5);
    assert_eq!(call(&app, "/api/recent", Some(&signed_in(&provider, Some(2)))).await.status, StatusCode::OK);
    let stale = call(&app, "/api/recent", Some(&signed_in(&provider, Some(6)))).await;
    assert_eq!(parse_challenge(&stale.challenge), bearer_challenge("5"));
}
