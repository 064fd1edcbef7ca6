//! What the API tests share: a provider serving discovery and a JWKS, tokens signed by test keys,
//! DPoP proofs, and requests sent as the app sends them.
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use std::time::{SystemTime, UNIX_EPOCH};

use api::Settings;
use api::dpop::token_hash;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, JwkSet, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use tower::ServiceExt;

pub const AUDIENCE: &str = "https://api.test";
pub const JWKS: &str = include_str!("../fixtures/jwks.json");
pub const RS256_PEM: &[u8] = include_bytes!("../fixtures/test-rs256.pem");
pub const ES256_PEM: &[u8] = include_bytes!("../fixtures/test-es256.pem");
pub const OTHER_PEM: &[u8] = include_bytes!("../fixtures/other-rs256.pem");

/// A provider that serves only discovery and the JWKS, counting fetches of each.
pub struct Provider {
    pub issuer: String,
    pub discovery_hits: Arc<AtomicUsize>,
    pub jwks_hits: Arc<AtomicUsize>,
    /// What `/jwks` serves; a test may rotate it.
    pub jwks: Arc<Mutex<String>>,
    /// While set, discovery answers 503.
    pub discovery_fails: Arc<AtomicBool>,
    /// While set, `/jwks` never answers.
    pub jwks_hangs: Arc<AtomicBool>,
}

pub async fn provider() -> Provider {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}/", listener.local_addr().unwrap());
    let provider = Provider {
        issuer: issuer.clone(),
        discovery_hits: Arc::default(),
        jwks_hits: Arc::default(),
        jwks: Arc::new(Mutex::new(JWKS.to_owned())),
        discovery_fails: Arc::default(),
        jwks_hangs: Arc::default(),
    };
    let (hits, fails) = (provider.discovery_hits.clone(), provider.discovery_fails.clone());
    let doc = json!({"issuer": issuer, "jwks_uri": format!("{issuer}jwks")});
    let discovery = move || async move {
        hits.fetch_add(1, Ordering::SeqCst);
        let status = if fails.load(Ordering::SeqCst) { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
        (status, axum::Json(doc))
    };
    let (hits, served, hangs) = (provider.jwks_hits.clone(), provider.jwks.clone(), provider.jwks_hangs.clone());
    let jwks = move || async move {
        hits.fetch_add(1, Ordering::SeqCst);
        if hangs.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        let body = served.lock().unwrap().clone();
        ([(header::CONTENT_TYPE, "application/json")], body)
    };
    let app = axum::Router::new().route("/.well-known/openid-configuration", get(discovery)).route("/jwks", get(jwks));
    tokio::spawn(async move { axum::serve(listener, app).await });
    provider
}

pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

pub fn claims(issuer: &str) -> Value {
    json!({"iss": issuer, "aud": AUDIENCE, "sub": "ada", "exp": now() + 60, "iat": now(),
           "scope": "read:messages", "client_id": "app"})
}

/// The header of an access token (RFC 9068 §2.1: `typ` `at+jwt`) signed by `kid`.
pub fn access_token_header(alg: Algorithm, kid: &str) -> Header {
    Header { typ: Some("at+jwt".into()), kid: Some(kid.into()), ..Header::new(alg) }
}

/// `claims` under `header`, signed with `pem` (EC for ES256, else RSA).
pub fn sign_with(header: &Header, pem: &[u8], claims: &Value) -> String {
    let key = match header.alg {
        Algorithm::ES256 => EncodingKey::from_ec_pem(pem).unwrap(),
        _ => EncodingKey::from_rsa_pem(pem).unwrap(),
    };
    encode(header, claims, &key).unwrap()
}

pub fn sign(alg: Algorithm, kid: &str, pem: &[u8], claims: &Value) -> String {
    sign_with(&access_token_header(alg, kid), pem, claims)
}

pub fn rs256(claims: &Value) -> String {
    sign(Algorithm::RS256, "test-rs256", RS256_PEM, claims)
}

/// A test key's public JWK, from the fixture JWKS.
pub fn public_jwk(kid: &str) -> Jwk {
    let set: JwkSet = serde_json::from_str(JWKS).unwrap();
    let mut jwk = set.find(kid).unwrap().clone();
    jwk.common.key_id = None;
    jwk
}

/// An access token bound to the ES256 test key.
pub fn bound_token(provider: &Provider) -> String {
    let mut c = claims(&provider.issuer);
    c["cnf"] = json!({"jkt": public_jwk("test-es256").thumbprint(ThumbprintHash::SHA256).unwrap()});
    rs256(&c)
}

/// `value` with the members of `changes` set.
pub fn changed(mut value: Value, changes: &Value) -> Value {
    for (key, change) in changes.as_object().into_iter().flatten() {
        value[key] = change.clone();
    }
    value
}

/// A proof signed by a test key for `method` `url` and `token`, with these claims changed and
/// these members added to its header's `jwk`.
pub fn proof_with(kid: &str, method: &str, url: &str, token: &str, changes: Value, jwk_changes: Value) -> String {
    static JTI: AtomicU64 = AtomicU64::new(0);
    let (alg, key) = match kid {
        "test-es256" => (Algorithm::ES256, EncodingKey::from_ec_pem(ES256_PEM).unwrap()),
        _ => (Algorithm::RS256, EncodingKey::from_rsa_pem(RS256_PEM).unwrap()),
    };
    let jwk = changed(serde_json::to_value(public_jwk(kid)).unwrap(), &jwk_changes);
    let header = json!({"typ": "dpop+jwt", "alg": alg, "jwk": jwk});
    let claims = json!({"htm": method, "htu": url, "iat": now(), "ath": token_hash(token),
                        "jti": format!("proof-{}", JTI.fetch_add(1, Ordering::SeqCst))});
    let part = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
    let input = format!("{}.{}", part(&header), part(&changed(claims, &changes)));
    let signature = jsonwebtoken::crypto::sign(input.as_bytes(), &key, alg).unwrap();
    format!("{input}.{signature}")
}

/// A proof signed by a test key for `method` `url` and `token`, with these claims changed.
pub fn proof(kid: &str, method: &str, url: &str, token: &str, changes: Value) -> String {
    proof_with(kid, method, url, token, changes, json!({}))
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

/// The settings of an API of `audience` trusting `issuer`.
pub fn settings(issuer: &str, audience: &str, jwks_min_refetch: Duration) -> Settings {
    Settings {
        issuer: issuer.to_owned(),
        audience: audience.into(),
        public_url: "http://api.test".into(),
        dpop_nonce: false,
        app_origins: vec!["http://127.0.0.1:8080".into()],
        leeway: 5,
        jwks_min_refetch,
        introspection: None,
    }
}

pub async fn setup_with(jwks_min_refetch: Duration) -> (Provider, axum::Router) {
    let provider = provider().await;
    let router = api::routes::router(settings(&provider.issuer, AUDIENCE, jwks_min_refetch));
    (provider, router)
}

pub async fn setup() -> (Provider, axum::Router) {
    setup_with(Duration::from_secs(30)).await
}

/// RFC 9110 §11.3 (with §5.6.2–4): `challenge` is an auth-scheme and auth-params, each value a
/// token or a quoted-string.
pub fn well_formed_challenge(challenge: &str) -> bool {
    let is_tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    let token = |s: &str| -> usize { s.find(|c: char| !is_tchar(c)).unwrap_or(s.len()) };
    let scheme = token(challenge);
    let mut rest = &challenge[scheme..];
    if scheme == 0 {
        return false;
    }
    let mut first = true;
    while !rest.is_empty() {
        rest = match rest.strip_prefix(if first { " " } else { ", " }) {
            Some(rest) => rest,
            None => return false,
        };
        first = false;
        let name = token(rest);
        rest = match rest[name..].strip_prefix('=') {
            Some(rest) if name > 0 => rest,
            _ => return false,
        };
        if let Some(quoted) = rest.strip_prefix('"') {
            let (mut escaped, mut end) = (false, None);
            for (at, c) in quoted.char_indices() {
                if c != '\t' && !(' '..='~').contains(&c) {
                    return false;
                }
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => {
                        end = Some(at);
                        break;
                    }
                    _ => {}
                }
            }
            let Some(end) = end else { return false };
            rest = &quoted[end + 1..];
        } else {
            let value = token(rest);
            if value == 0 {
                return false;
            }
            rest = &rest[value..];
        }
    }
    true
}
