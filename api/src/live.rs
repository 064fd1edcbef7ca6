//! `GET /api/live`: a WebSocket (RFC 6455) whose first message carries what a browser cannot put in a header.

use std::error::Error as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::http::header::ORIGIN;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tokio::time::{Instant, sleep_until, timeout};

use crate::routes::{Api, Presented, authorized_as};
use crate::verify::{EXPIRED, Refusal};

/// The largest message taken, in bytes: room for an access token and its DPoP proof.
pub const MAX_MESSAGE: usize = 8 * 1024;
/// How long the first message may take to come.
pub const FIRST_MESSAGE_WITHIN: Duration = Duration::from_secs(10);
/// How long the client's close frame may take to come once the server sent its own.
const CLOSING_WITHIN: Duration = Duration::from_secs(2);

/// RFC 6455 §10.2: an Origin other than the app's is refused, as CORS would; a client without one is no browser.
fn origin_allowed(origins: &[String], headers: &HeaderMap) -> bool {
    let mut values = headers.get_all(ORIGIN).iter();
    match (values.next(), values.next()) {
        (None, _) => true,
        (Some(origin), None) => origins.iter().any(|allowed| allowed.as_bytes() == origin.as_bytes()),
        _ => false,
    }
}

/// RFC 6455 §4.2.2: 403 for a foreign Origin, else the upgrade (a request that is none: its rejection).
pub(crate) async fn live(
    State(api): State<Arc<Api>>,
    uri: Uri,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if !origin_allowed(&api.settings.app_origins, &headers) {
        let body = json!({"error": "forbidden", "error_description": "this origin may not open the socket"});
        return (StatusCode::FORBIDDEN, Json(body)).into_response();
    }
    match upgrade {
        Ok(upgrade) => {
            let path = uri.path().to_owned();
            let upgrade = upgrade.max_message_size(MAX_MESSAGE).max_frame_size(MAX_MESSAGE);
            upgrade.on_upgrade(move |socket| session(api, path, socket))
        }
        Err(rejection) => rejection.into_response(),
    }
}

/// The first message: the access token and, for a DPoP-bound one, its proof (RFC 9449 §4.1).
#[derive(Deserialize)]
struct Credentials {
    access_token: String,
    dpop: Option<String>,
}

/// RFC 6750 §3.1 `invalid_request`: the first message is no JSON text with an access token.
const NO_CREDENTIALS: Refusal = Refusal::InvalidRequest("the first message must be JSON with an access_token");

impl Credentials {
    /// The credentials in the first message, or [`NO_CREDENTIALS`].
    fn parse(text: &str) -> Result<Credentials, Refusal> {
        let credentials = serde_json::from_str::<Credentials>(text).ok().filter(|c| !c.access_token.is_empty());
        credentials.ok_or(NO_CREDENTIALS)
    }

    /// RFC 9449 §7.1 `DPoP <token>` with that proof when one came, else RFC 6750 §2.1 `Bearer <token>`.
    fn presented(&self) -> Presented<'_> {
        Presented { dpop: self.dpop.is_some(), token: &self.access_token, proof: self.dpop.as_deref() }
    }
}

/// A close frame with a fixed reason, never the client's input (RFC 6455 §5.5.1, §7.4).
fn close_frame(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame { code, reason: Utf8Bytes::from_static(reason) }))
}

/// RFC 6455 §7.4.2: a private close code, 4000 plus the HTTP status, with an RFC 6750 §3.1 error code.
fn private(status: StatusCode, error: &'static str) -> Message {
    close_frame(4000 + status.as_u16(), error)
}

/// The close frame of a refusal, as [`private`] codes it.
fn refused(refusal: &Refusal) -> Message {
    let (status, error) = refusal.status_and_code();
    private(status, error)
}

/// RFC 6455 §7.4.1 code 1009: the message is over [`MAX_MESSAGE`].
fn too_big() -> Message {
    close_frame(close_code::SIZE, "message too big")
}

/// RFC 6455 §7.1.1: sends `close` and reads until the client's close ends the connection, briefly.
async fn close(mut socket: WebSocket, close: Message) {
    if socket.send(close).await.is_ok() {
        let _ = timeout(CLOSING_WITHIN, async { while let Some(Ok(_)) = socket.recv().await {} }).await;
    }
}

/// What the client sent next.
enum Next {
    Text(Utf8Bytes),
    Binary,
    TooBig,
    /// It closed, or the connection failed.
    Gone,
}

/// Whether reading failed on a message over the size limit (RFC 6455 §10.4).
fn over_limit(error: &axum::Error) -> bool {
    let inner = error.source().and_then(|e| e.downcast_ref::<tungstenite::Error>());
    matches!(inner, Some(tungstenite::Error::Capacity(_)))
}

/// The next data message; the socket answers pings itself (RFC 6455 §5.5.2).
async fn next(socket: &mut WebSocket) -> Next {
    loop {
        return match socket.recv().await {
            Some(Ok(Message::Text(text))) => Next::Text(text),
            Some(Ok(Message::Binary(_))) => Next::Binary,
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Err(error)) if over_limit(&error) => Next::TooBig,
            Some(Ok(Message::Close(_)) | Err(_)) | None => Next::Gone,
        };
    }
}

/// Sends `value` as a text message; false once the client is gone.
async fn send(socket: &mut WebSocket, value: serde_json::Value) -> bool {
    socket.send(Message::Text(value.to_string().into())).await.is_ok()
}

/// RFC 7519 §4.1.4: the instant the token is no longer accepted (`exp` plus the leeway), if any.
fn expiry(exp: u64, leeway: u64) -> Option<Instant> {
    let at = UNIX_EPOCH.checked_add(Duration::from_secs(exp.saturating_add(leeway)))?;
    Instant::now().checked_add(at.duration_since(SystemTime::now()).unwrap_or_default())
}

/// The first text message's credentials checked as on `GET path` (RFC 6750 §2, RFC 9449 §7.1), then the echo.
async fn session(api: Arc<Api>, path: String, mut socket: WebSocket) {
    let first = match timeout(FIRST_MESSAGE_WITHIN, next(&mut socket)).await {
        Ok(Next::Text(text)) => Credentials::parse(&text),
        Ok(Next::Binary) => Err(NO_CREDENTIALS),
        Ok(Next::TooBig) => return close(socket, too_big()).await,
        Ok(Next::Gone) => return,
        Err(_) => return close(socket, private(StatusCode::REQUEST_TIMEOUT, "invalid_request")).await,
    };
    let claims = match first {
        Ok(credentials) => authorized_as(&api, &credentials.presented(), Method::GET.as_str(), &path).await,
        Err(refusal) => Err(refusal),
    };
    let claims = match claims {
        Ok(claims) => claims,
        Err(refusal) => return close(socket, refused(&refusal)).await,
    };
    if !send(&mut socket, json!({"hello": claims.sub, "expires_at": claims.exp})).await {
        return;
    }
    let expires = claims.exp.and_then(|exp| expiry(exp, api.settings.leeway));
    echo(socket, expires).await;
}

/// Echoes each text message until the client leaves or, RFC 6750 §3.1 `invalid_token`, the token expires.
async fn echo(mut socket: WebSocket, expires: Option<Instant>) {
    loop {
        let expired = async {
            match expires {
                Some(at) => sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        let next = tokio::select! {
            next = next(&mut socket) => Some(next),
            () = expired => None,
        };
        match next {
            Some(Next::Text(text)) if send(&mut socket, json!({"echo": text.as_str()})).await => {}
            Some(Next::Text(_) | Next::Gone) => return,
            Some(Next::Binary) => {
                return close(socket, close_frame(close_code::UNSUPPORTED, "text messages only")).await;
            }
            Some(Next::TooBig) => return close(socket, too_big()).await,
            None => return close(socket, refused(&Refusal::InvalidToken(EXPIRED))).await,
        }
    }
}
