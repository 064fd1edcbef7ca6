//! DPoP-bound access tokens (RFC 9449 §7): each check of the proof, with real signatures.

mod common;

use std::time::Duration;

use api::Settings;
use api::dpop::token_hash;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use jsonwebtoken::jwk::ThumbprintHash;
use serde_json::{Value, json};
use tower::ServiceExt;

const URL: &str = "http://api.test/api/private";

/// An answer: its status, `WWW-Authenticate`, JSON `error` and `DPoP-Nonce`.
struct Reply {
    status: StatusCode,
    challenge: String,
    error: Value,
    nonce: Option<String>,
}

/// GETs `/api/private` with this Authorization and DPoP header.
async fn get(app: &axum::Router, authorization: &str, dpop: Option<&str>) -> Reply {
    let mut request = Request::get("/api/private").header(header::AUTHORIZATION, authorization);
    if let Some(proof) = dpop {
        request = request.header("DPoP", proof);
    }
    let response = app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let text = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    let (challenge, nonce) = (text("www-authenticate").unwrap_or_default(), text("dpop-nonce"));
    let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    let error = serde_json::from_slice::<Value>(&body).map(|b| b["error"].clone()).unwrap_or(Value::Null);
    Reply { status, challenge, error, nonce }
}

#[tokio::test]
async fn a_bound_token_with_its_proof_is_accepted_once() {
    let (provider, app) = setup().await;
    let token = bound_token(&provider);
    let good = proof("test-es256", "GET", URL, &token, json!({}));
    assert_eq!(get(&app, &format!("DPoP {token}"), Some(&good)).await.status, StatusCode::OK);
    let replayed = get(&app, &format!("DPoP {token}"), Some(&good)).await;
    assert_eq!((replayed.status, replayed.error), (StatusCode::UNAUTHORIZED, json!("invalid_dpop_proof")));
    let challenge = replayed.challenge;
    assert!(challenge.starts_with("DPoP algs=\"ES256 RS256\", error=\"invalid_dpop_proof\""), "{challenge}");
}

#[tokio::test]
async fn a_bound_token_is_refused_as_a_bearer_token_and_an_unbound_one_as_dpop() {
    let (provider, app) = setup().await;
    let token = bound_token(&provider);
    let as_bearer = get(&app, &format!("Bearer {token}"), None).await;
    assert_eq!(as_bearer.status, StatusCode::UNAUTHORIZED);
    assert!(as_bearer.challenge.contains("invalid_token"), "{}", as_bearer.challenge);
    let unbound = rs256(&claims(&provider.issuer));
    let with_proof = proof("test-es256", "GET", URL, &unbound, json!({}));
    let unbound = get(&app, &format!("DPoP {unbound}"), Some(&with_proof)).await;
    assert_eq!((unbound.status, unbound.error), (StatusCode::UNAUTHORIZED, json!("invalid_token")));
}

#[tokio::test]
async fn each_bad_proof_is_refused() {
    let (provider, app) = setup().await;
    let token = bound_token(&provider);
    let cases = [
        ("another key", proof("test-rs256", "GET", URL, &token, json!({}))),
        ("another method", proof("test-es256", "POST", URL, &token, json!({}))),
        ("another URL", proof("test-es256", "GET", "http://api.test/api/public", &token, json!({}))),
        ("another host", proof("test-es256", "GET", "http://evil.test/api/private", &token, json!({}))),
        ("stale", proof("test-es256", "GET", URL, &token, json!({"iat": now() - 120}))),
        ("from the future", proof("test-es256", "GET", URL, &token, json!({"iat": now() + 60}))),
        ("another token", proof("test-es256", "GET", URL, &token, json!({"ath": token_hash("other")}))),
        ("no ath", proof("test-es256", "GET", URL, &token, json!({"ath": null}))),
        ("not a JWT", "not.a.proof".to_owned()),
    ];
    for (why, bad) in cases {
        let reply = get(&app, &format!("DPoP {token}"), Some(&bad)).await;
        assert_eq!((reply.status, reply.error), (StatusCode::UNAUTHORIZED, json!("invalid_dpop_proof")), "{why}");
    }
    let reply = get(&app, &format!("DPoP {token}"), None).await;
    assert_eq!((reply.status, reply.error), (StatusCode::UNAUTHORIZED, json!("invalid_dpop_proof")), "no proof");
    let good = proof("test-es256", "GET", URL, &token, json!({}));
    let reply = get(&app, &format!("DPoP {token}"), Some(&good)).await;
    assert_eq!(reply.status, StatusCode::OK, "the cases above consumed nothing");
    assert_eq!(reply.nonce, None, "this API asks for no nonce");
}

#[tokio::test]
async fn an_api_that_wants_a_nonce_hands_one_out_and_takes_the_retry() {
    let provider = provider().await;
    let settings = Settings { dpop_nonce: true, ..settings(&provider.issuer, AUDIENCE, Duration::from_secs(30)) };
    let app = api::routes::router(settings);
    let token = bound_token(&provider);
    let first = get(&app, &format!("DPoP {token}"), Some(&proof("test-es256", "GET", URL, &token, json!({})))).await;
    assert_eq!((first.status, first.error), (StatusCode::UNAUTHORIZED, json!("use_dpop_nonce")));
    assert!(first.challenge.contains("error=\"use_dpop_nonce\""), "{}", first.challenge);
    let nonce = first.nonce.expect("a DPoP-Nonce header");
    let made_up = proof("test-es256", "GET", URL, &token, json!({"nonce": "made-up"}));
    assert_eq!(get(&app, &format!("DPoP {token}"), Some(&made_up)).await.error, json!("use_dpop_nonce"));
    let retry = proof("test-es256", "GET", URL, &token, json!({ "nonce": nonce }));
    assert_eq!(get(&app, &format!("DPoP {token}"), Some(&retry)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_proof_from_another_key_uses_up_no_jti() {
    // Finding: the jti was recorded before the proof's key was compared with the token's.
    let (provider, app) = setup().await;
    let token = bound_token(&provider);
    let foreign = proof("test-rs256", "GET", URL, &token, json!({"jti": "shared"}));
    let reply = get(&app, &format!("DPoP {token}"), Some(&foreign)).await;
    assert_eq!((reply.status, reply.error), (StatusCode::UNAUTHORIZED, json!("invalid_dpop_proof")));
    let own = proof("test-es256", "GET", URL, &token, json!({"jti": "shared"}));
    assert_eq!(get(&app, &format!("DPoP {token}"), Some(&own)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_proof_from_the_far_future_is_refused_not_a_panic() {
    // Finding: `iat + 60` overflowed (a panic in a debug build).
    let (provider, app) = setup().await;
    let token = bound_token(&provider);
    for iat in [u64::MAX, u64::MAX - 30] {
        let far = proof("test-es256", "GET", URL, &token, json!({ "iat": iat }));
        let reply = get(&app, &format!("DPoP {token}"), Some(&far)).await;
        assert_eq!((reply.status, reply.error), (StatusCode::UNAUTHORIZED, json!("invalid_dpop_proof")), "{iat}");
    }
}

#[tokio::test]
async fn a_proof_whose_jwk_holds_a_private_key_is_refused() {
    // RFC 9449 §4.2: the jwk must not contain a private key.
    let (provider, app) = setup().await;
    let token = bound_token(&provider);
    let es_private = proof_with("test-es256", "GET", URL, &token, json!({}), json!({"d": "c2VjcmV0"}));
    let reply = get(&app, &format!("DPoP {token}"), Some(&es_private)).await;
    assert_eq!((reply.status, reply.error), (StatusCode::UNAUTHORIZED, json!("invalid_dpop_proof")), "EC d");
    let mut rs = claims(&provider.issuer);
    rs["cnf"] = json!({"jkt": public_jwk("test-rs256").thumbprint(ThumbprintHash::SHA256).unwrap()});
    let rs_token = rs256(&rs);
    for member in ["d", "p", "q", "dp", "dq", "qi"] {
        let mut jwk_changes = json!({});
        jwk_changes[member] = json!("c2VjcmV0");
        let private = proof_with("test-rs256", "GET", URL, &rs_token, json!({}), jwk_changes);
        let reply = get(&app, &format!("DPoP {rs_token}"), Some(&private)).await;
        assert_eq!((reply.status, reply.error), (StatusCode::UNAUTHORIZED, json!("invalid_dpop_proof")), "{member}");
    }
    let public = proof("test-rs256", "GET", URL, &rs_token, json!({}));
    assert_eq!(get(&app, &format!("DPoP {rs_token}"), Some(&public)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn htu_is_compared_once_normalised_and_htm_exactly() {
    // RFC 9449 §4.3 items 8–9 with RFC 3986 §6.2.2–3, on both sides (the API's public URL too).
    let provider = provider().await;
    let settings = Settings {
        public_url: "HTTP://API.test:80".into(),
        ..settings(&provider.issuer, AUDIENCE, Duration::from_secs(30))
    };
    let app = api::routes::router(settings);
    let token = bound_token(&provider);
    let same = [
        URL,
        "HTTP://API.TEST:80/api/private",
        "http://api.test/api/%70rivate",
        "http://api.test/api/x/../private",
        "http://api.test/api/./private?q=1#f",
    ];
    for htu in same {
        let reply =
            get(&app, &format!("DPoP {token}"), Some(&proof("test-es256", "GET", htu, &token, json!({})))).await;
        assert_eq!(reply.status, StatusCode::OK, "{htu}");
    }
    let other = [
        "http://api.test/api/private/",
        "https://api.test/api/private",
        "http://api.test:8080/api/private",
        "http://api.test/API/private",
        "http://api.test/api/private%2F",
        "/api/private",
    ];
    for htu in other {
        let reply =
            get(&app, &format!("DPoP {token}"), Some(&proof("test-es256", "GET", htu, &token, json!({})))).await;
        assert_eq!((reply.status, reply.error), (StatusCode::UNAUTHORIZED, json!("invalid_dpop_proof")), "{htu}");
    }
    let lower = proof("test-es256", "get", URL, &token, json!({}));
    assert_eq!(get(&app, &format!("DPoP {token}"), Some(&lower)).await.status, StatusCode::UNAUTHORIZED, "htm get");
}
