//! The `/api/live` WebSocket (RFC 6455) on a real loopback server: credentials in the first message.

mod common;

use std::time::{Duration, Instant};

use api::Settings;
use api::live::{FIRST_MESSAGE_WITHIN, MAX_MESSAGE};
use axum::http::{HeaderValue, StatusCode, header};
use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The most any step may take: a bound on waiting, never a pause.
const WAIT: Duration = Duration::from_secs(20);
const APP: &str = "http://127.0.0.1:8080";

/// A messages API served on 127.0.0.1 (port 0), as `change` makes its settings.
struct Live {
    provider: Provider,
    /// `ws://127.0.0.1:<port>/api/live`.
    ws: String,
    /// `http://127.0.0.1:<port>/api/live`: the `htu` of its proofs (RFC 9449 §4.2).
    htu: String,
}

async fn serve_with(change: impl FnOnce(Settings) -> Settings) -> Live {
    let provider = provider().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let settings = Settings { public_url: origin.clone(), ..settings(&provider.issuer, AUDIENCE, WAIT) };
    let app = api::routes::router(change(settings));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let ws = format!("ws://{}/api/live", origin.trim_start_matches("http://"));
    Live { provider, ws, htu: format!("{origin}/api/live") }
}

async fn serve() -> Live {
    serve_with(|settings| settings).await
}

/// Opens the socket with this Origin (none: as a client that is no browser).
async fn open_from(url: &str, origin: Option<&str>) -> Result<Socket, Error> {
    let mut request = url.into_client_request().unwrap();
    if let Some(origin) = origin {
        request.headers_mut().insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
    }
    let opened = tokio::time::timeout(WAIT, connect_async(request)).await.expect("the handshake answers in time");
    opened.map(|(socket, _)| socket)
}

/// Opens the socket from the app's origin.
async fn open(live: &Live) -> Socket {
    open_from(&live.ws, Some(APP)).await.expect("upgraded")
}

/// The next message from the server.
async fn next(socket: &mut Socket) -> Message {
    tokio::time::timeout(WAIT, socket.next()).await.expect("a message in time").expect("open").expect("readable")
}

/// Sends `text`, and returns the answer.
async fn say(socket: &mut Socket, text: &str) -> Message {
    socket.send(Message::text(text)).await.unwrap();
    next(socket).await
}

/// The first message for `token` and, when given, its DPoP proof.
fn credentials(token: &str, dpop: Option<&str>) -> String {
    match dpop {
        Some(proof) => json!({"access_token": token, "dpop": proof}).to_string(),
        None => json!({"access_token": token}).to_string(),
    }
}

/// A text message as JSON.
fn json_of(message: &Message) -> Value {
    match message {
        Message::Text(text) => serde_json::from_str(text).unwrap(),
        other => panic!("a text message, not {other:?}"),
    }
}

/// A close frame's code and reason.
fn closed(message: &Message) -> (u16, String) {
    match message {
        Message::Close(Some(frame)) => (frame.code.into(), frame.reason.to_string()),
        other => panic!("a close frame, not {other:?}"),
    }
}

/// The close frame the server answers this first message with.
async fn refusal_of(live: &Live, first: &str) -> (u16, String) {
    closed(&say(&mut open(live).await, first).await)
}

#[tokio::test]
async fn a_bearer_token_is_greeted_with_its_subject_then_each_text_is_echoed_escaped() {
    let live = serve().await;
    let claims = claims(&live.provider.issuer);
    let mut socket = open(&live).await;
    let hello = json_of(&say(&mut socket, &credentials(&rs256(&claims), None)).await);
    assert_eq!(hello, json!({"hello": "ada", "expires_at": claims["exp"]}));
    for text in ["hi", "<b>\"quoted\" \\ back</b>", "{\"echo\": 1}", ""] {
        assert_eq!(json_of(&say(&mut socket, text).await), json!({ "echo": text }), "{text}");
    }
}

#[tokio::test]
async fn expired_foreign_and_garbage_tokens_are_closed_with_4401_invalid_token() {
    let live = serve().await;
    let issuer = &live.provider.issuer;
    let mut other_audience = claims(issuer);
    other_audience["aud"] = json!("https://other.test");
    let cases = [
        ("expired", rs256(&changed(claims(issuer), &json!({"exp": now() - 120})))),
        ("another audience", rs256(&other_audience)),
        ("another issuer's key", sign(jsonwebtoken::Algorithm::RS256, "test-rs256", OTHER_PEM, &claims(issuer))),
        ("garbage", "not-a-token".to_owned()),
    ];
    for (why, token) in cases {
        assert_eq!(refusal_of(&live, &credentials(&token, None)).await, (4401, "invalid_token".into()), "{why}");
    }
}

#[tokio::test]
async fn a_first_message_that_is_no_credentials_is_closed_with_4400_invalid_request() {
    let live = serve().await;
    for first in ["not json", "{\"token\": \"x\"}", "{\"access_token\": 7}", "{\"access_token\": \"\"}", "[]"] {
        assert_eq!(refusal_of(&live, first).await, (4400, "invalid_request".into()), "{first}");
    }
    let mut socket = open(&live).await;
    socket.send(Message::binary(credentials(&rs256(&claims(&live.provider.issuer)), None))).await.unwrap();
    assert_eq!(closed(&next(&mut socket).await), (4400, "invalid_request".into()), "binary");
}

#[tokio::test]
async fn a_foreign_origin_is_refused_with_403_before_the_upgrade() {
    let live = serve().await;
    for origin in ["http://evil.test", "null", "http://127.0.0.1:8081", "HTTP://127.0.0.1:8080"] {
        match open_from(&live.ws, Some(origin)).await {
            Err(Error::Http(response)) => assert_eq!(response.status(), StatusCode::FORBIDDEN, "{origin}"),
            other => panic!("{origin}: refused with 403, not {:?}", other.map(|_| "upgraded")),
        }
    }
    assert!(open_from(&live.ws, None).await.is_ok(), "a client without Origin is no browser: upgraded");
    assert!(open_from(&live.ws, Some(APP)).await.is_ok(), "the app's origin: upgraded");
}

#[tokio::test]
async fn a_dpop_bound_token_is_greeted_with_a_proof_for_get_and_the_http_url_only() {
    let live = serve().await;
    let token = bound_token(&live.provider);
    let good = proof("test-es256", "GET", &live.htu, &token, json!({}));
    let hello = json_of(&say(&mut open(&live).await, &credentials(&token, Some(&good))).await);
    assert_eq!(hello["hello"], json!("ada"));
    assert_eq!(refusal_of(&live, &credentials(&token, None)).await, (4401, "invalid_token".into()), "no proof");
    let replayed = refusal_of(&live, &credentials(&token, Some(&good))).await;
    assert_eq!(replayed, (4401, "invalid_dpop_proof".into()), "the same proof again");
    let private = live.htu.replace("/api/live", "/api/private");
    for (why, url, method) in
        [("ws URL", live.ws.as_str(), "GET"), ("other path", &private, "GET"), ("POST", &live.htu, "POST")]
    {
        let bad = proof("test-es256", method, url, &token, json!({}));
        assert_eq!(
            refusal_of(&live, &credentials(&token, Some(&bad))).await,
            (4401, "invalid_dpop_proof".into()),
            "{why}"
        );
    }
}

#[tokio::test]
async fn no_first_message_within_ten_seconds_is_closed_with_4408() {
    let live = serve().await;
    let mut socket = open(&live).await;
    let opened = Instant::now();
    assert_eq!(closed(&next(&mut socket).await), (4408, "invalid_request".into()));
    assert!(opened.elapsed() >= FIRST_MESSAGE_WITHIN - Duration::from_millis(500), "{:?}", opened.elapsed());
}

#[tokio::test]
async fn a_message_over_the_limit_is_closed_with_1009() {
    let live = serve().await;
    let mut socket = open(&live).await;
    assert!(
        json_of(&say(&mut socket, &credentials(&rs256(&claims(&live.provider.issuer)), None)).await)["hello"]
            .is_string()
    );
    assert_eq!(
        json_of(&say(&mut socket, &"a".repeat(MAX_MESSAGE - 100)).await)["echo"].as_str().map(str::len),
        Some(MAX_MESSAGE - 100)
    );
    assert_eq!(closed(&say(&mut socket, &"a".repeat(MAX_MESSAGE + 1)).await).0, 1009);
    assert_eq!(refusal_of(&live, &"a".repeat(MAX_MESSAGE + 1)).await.0, 1009, "as the first message too");
}

#[tokio::test]
async fn the_socket_is_closed_with_4401_once_the_token_expires() {
    let live = serve_with(|settings| Settings { leeway: 0, ..settings }).await;
    let exp = now() + 2;
    let token = rs256(&changed(claims(&live.provider.issuer), &json!({ "exp": exp })));
    let mut socket = open(&live).await;
    assert_eq!(json_of(&say(&mut socket, &credentials(&token, None)).await)["expires_at"], json!(exp));
    assert_eq!(closed(&next(&mut socket).await), (4401, "invalid_token".into()));
    assert!(now() >= exp, "not before exp");
}
