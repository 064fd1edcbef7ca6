//! RFC 9470 step-up: `GET /api/recent` answers only a token whose sign-in (`auth_time`) is recent.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::request::Parts;
use serde_json::json;

use crate::routes::{Api, authorized, now};
use crate::verify::{AccessClaims, Refusal};

/// The most seconds since the sign-in `/api/recent` takes by default (`API_STEP_UP_MAX_AGE`).
pub const DEFAULT_MAX_AGE: u64 = 300;
/// RFC 9470 §3: the `error_description` of the challenge.
pub(crate) const MORE_RECENT: &str = "a more recent sign-in is required";

/// RFC 9470 §3: the token's `auth_time` if it is at most `max_age` seconds before `now`.
pub fn require_recent(claims: &AccessClaims, max_age: u64, now: u64) -> Result<u64, Refusal> {
    match claims.auth_time {
        Some(auth_time) if now.saturating_sub(auth_time) <= max_age => Ok(auth_time),
        _ => Err(Refusal::InsufficientUserAuthentication { dpop: claims.jkt().is_some(), max_age }),
    }
}

/// RFC 9470 §3: any valid token, if its sign-in is recent enough.
pub(crate) async fn recent(State(api): State<Arc<Api>>, request: Parts) -> Result<Json<serde_json::Value>, Refusal> {
    let claims = authorized(&api, &request).await?;
    let auth_time = require_recent(&claims, api.step_up_max_age, now())?;
    Ok(Json(json!({"message": "Hello from a recent sign-in", "auth_time": auth_time})))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_700_000_000;

    fn signed_in(auth_time: Option<u64>, jkt: Option<&str>) -> AccessClaims {
        let cnf = jkt.map(|jkt| serde_json::json!({"jkt": jkt}));
        serde_json::from_value(json!({"sub": "ada", "auth_time": auth_time, "cnf": cnf})).unwrap()
    }

    #[test]
    fn max_age_seconds_are_still_recent_and_one_more_is_not() {
        assert_eq!(require_recent(&signed_in(Some(NOW - 300), None), 300, NOW), Ok(NOW - 300));
        let stale = Refusal::InsufficientUserAuthentication { dpop: false, max_age: 300 };
        assert_eq!(require_recent(&signed_in(Some(NOW - 301), None), 300, NOW), Err(stale));
        assert_eq!(require_recent(&signed_in(Some(NOW + 2), None), 300, NOW), Ok(NOW + 2), "clock skew");
    }

    #[test]
    fn an_unknown_sign_in_is_not_recent_and_the_refusal_keeps_the_scheme() {
        let unknown = Refusal::InsufficientUserAuthentication { dpop: false, max_age: 5 };
        assert_eq!(require_recent(&signed_in(None, None), 5, NOW), Err(unknown));
        let bound = Refusal::InsufficientUserAuthentication { dpop: true, max_age: 5 };
        assert_eq!(require_recent(&signed_in(Some(NOW - 6), Some("jkt")), 5, NOW), Err(bound));
    }
}
