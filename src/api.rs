//! Authorized fetch for the app's API calls: a fresh access token, only to the API's origin, one
//! refresh and retry on `invalid_token`, no refresh on 403.

use crate::auth::bearer::{Verdict, may_carry_token, verdict};
use crate::auth::browser::http::{self, HttpResponse};
use crate::auth::client::AuthClient;
use crate::auth::error::AuthError;

/// Why an API call did not succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// Signing in is needed (session expired, or never signed in).
    Auth(AuthError),
    /// 403: the token is fine but does not allow this (e.g. a missing scope).
    NotPermitted(String),
    /// Another HTTP failure (5xx, 401 without `invalid_token`, …).
    Http(u16),
    /// The API could not be reached.
    Network(String),
    /// `api_base_url` is not configured.
    NoApi,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Auth(e) => write!(f, "{e}"),
            ApiError::NotPermitted(body) => write!(f, "not permitted: {body}"),
            ApiError::Http(status) => write!(f, "the API failed with HTTP {status}"),
            ApiError::Network(m) => write!(f, "the API could not be reached: {m}"),
            ApiError::NoApi => write!(f, "no api_base_url is configured"),
        }
    }
}

/// Errors of a request to the API itself.
fn api_request_error(error: AuthError) -> ApiError {
    match error {
        AuthError::Network(m) => ApiError::Network(m),
        other => ApiError::Auth(other),
    }
}

fn judge(response: HttpResponse) -> Result<Option<String>, ApiError> {
    match verdict(response.status, response.www_authenticate.as_deref()) {
        Verdict::Success => Ok(Some(response.body)),
        Verdict::RefreshAndRetry => Ok(None),
        Verdict::NotPermitted => Err(ApiError::NotPermitted(response.body)),
        Verdict::Failed => Err(ApiError::Http(response.status)),
    }
}

/// GETs `path` of the API; with `authorized`, carries a fresh access token.
pub async fn get(client: &AuthClient, path: &str, authorized: bool) -> Result<String, ApiError> {
    let base = client.config.api_base_url.as_deref().ok_or(ApiError::NoApi)?;
    let url = format!("{}{path}", base.trim_end_matches('/'));
    if !authorized || !may_carry_token(&url, base) {
        let response = http::get(&url).await.map_err(api_request_error)?;
        return judge(response)?.ok_or(ApiError::Http(401));
    }
    // Token errors (the provider unreachable included) are sign-in errors, not the API's.
    let token = client.access_token().await.map_err(ApiError::Auth)?;
    let response = http::get_with_bearer(&url, &token).await.map_err(api_request_error)?;
    if let Some(body) = judge(response)? {
        return Ok(body);
    }
    // RFC 6750 §3.1 `invalid_token`: one refresh, one retry.
    let token = client.refresh(&token).await.map_err(ApiError::Auth)?;
    let response = http::get_with_bearer(&url, &token).await.map_err(api_request_error)?;
    judge(response)?.ok_or(ApiError::Http(401))
}
