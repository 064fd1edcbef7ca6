//! `use_api_call()`: authorized API calls from a page, the latest one's outcome as signals.

use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::auth_provider::{Auth, use_auth};
use crate::api::{ApiError, ApiRequest};
use crate::auth::browser::http::ApiResponse;
use crate::auth::error::AuthError;

/// What a call ended in: the API's answer, or why there is none.
///
/// ```
/// # use leptos_pkce_auth::{ApiError, CallOutcome};
/// let outcome: CallOutcome = Err(ApiError::Unauthorized);
/// assert_eq!(outcome.err().and_then(|e| e.status()), Some(401));
/// ```
pub type CallOutcome = Result<ApiResponse, ApiError>;

/// The requests of one call, given [`Auth`] to send them with (see [`ApiCall::run`]).
///
/// ```no_run
/// # use leptos_pkce_auth::{ApiRequest, Steps};
/// let steps: Steps = Box::new(|auth| auth.fetch(&ApiRequest::get("/api/private")));
/// ```
pub type Steps = Box<dyn FnOnce(Auth) -> Pin<Box<dyn Future<Output = CallOutcome>>>>;

/// Calls to the configured APIs from one place on a page, from [`use_api_call`].
///
/// ```no_run
/// # use leptos::prelude::*;
/// # use leptos_pkce_auth::{ApiRequest, use_api_call};
/// let call = use_api_call();
/// view! {
///     <button disabled=move || call.pending.get() on:click=move |_| call.send(ApiRequest::get("/api/private"))>
///         "Call"
///     </button>
///     <p>{move || call.outcome.get().map(|outcome| match outcome {
///         Ok(answer) => format!("{} {}", answer.status, answer.text()),
///         Err(error) => error.to_string(),
///     })}</p>
/// };
/// ```
#[derive(Clone, Copy)]
pub struct ApiCall {
    /// The latest call's outcome; `None` before the first one ends.
    pub outcome: RwSignal<Option<CallOutcome>>,
    /// Whether the latest call is still running.
    pub pending: RwSignal<bool>,
    latest: StoredValue<u32>,
    auth: Auth,
}

impl ApiCall {
    /// Sends `request` (see [`Auth::fetch`]).
    ///
    /// ```no_run
    /// # use leptos_pkce_auth::{ApiRequest, use_api_call};
    /// use_api_call().send(ApiRequest::get("/api/messages"));
    /// ```
    pub fn send(&self, request: ApiRequest) {
        self.run(Box::new(move |auth| auth.fetch(&request)));
    }

    /// Runs `steps` (one or more requests); only the latest call's outcome is kept, and an
    /// expired session shows as the sign-in error.
    ///
    /// ```no_run
    /// # use leptos_pkce_auth::{ApiRequest, use_api_call};
    /// // Read the list, then delete its first entry.
    /// use_api_call().run(Box::new(|auth| Box::pin(async move {
    ///     let list = auth.fetch(&ApiRequest::get("/api/messages")).await?;
    ///     let first = list.json().and_then(|j| j.items()?.first()?.get("id")?.as_u64()).unwrap_or(0);
    ///     auth.fetch(&ApiRequest::delete(format!("/api/messages/{first}"))).await
    /// })));
    /// ```
    pub fn run(&self, steps: Steps) {
        let this = *self;
        let id = this.latest.get_value().wrapping_add(1);
        this.latest.set_value(id);
        this.pending.set(true);
        spawn_local(async move {
            let outcome = steps(this.auth).await;
            if this.latest.get_value() != id {
                return;
            }
            if let Err(ApiError::Auth(error @ AuthError::SessionExpired)) = &outcome {
                this.auth.fail(error.clone());
            }
            this.outcome.set(Some(outcome));
            this.pending.set(false);
        });
    }
}

/// A handle for API calls whose outcome the page shows; only call it below
/// [`AuthProvider`](crate::AuthProvider).
///
/// ```no_run
/// # use leptos_pkce_auth::use_api_call;
/// let call = use_api_call();
/// ```
pub fn use_api_call() -> ApiCall {
    ApiCall {
        outcome: RwSignal::new(None),
        pending: RwSignal::new(false),
        latest: StoredValue::new(0),
        auth: use_auth(),
    }
}
