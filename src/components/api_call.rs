//! `use_api_call()`: authorized API calls from a page, the latest one's outcome as signals.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::auth_provider::{Auth, use_auth};
use crate::api::{self, ApiError, ApiRequest};
use crate::auth::browser::http::ApiResponse;
use crate::auth::client::AuthClient;
use crate::auth::error::AuthError;

/// What a call ended in.
pub type CallOutcome = Result<ApiResponse, ApiError>;

/// The requests of one call, given the client (boxed: one copy of the machinery for every call).
pub type Steps = Box<dyn FnOnce(Rc<AuthClient>) -> Pin<Box<dyn Future<Output = CallOutcome>>>>;

/// Calls to the configured APIs from one place on a page.
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
    /// Sends `request` (see [`api::fetch`]).
    pub fn send(&self, request: ApiRequest) {
        self.run(Box::new(move |client| Box::pin(async move { api::fetch(&client, &request).await })));
    }

    /// Runs `steps` (one or more requests) with the client; only the latest call's outcome is
    /// kept, and an expired session shows as the sign-in error.
    pub fn run(&self, steps: Steps) {
        let this = *self;
        let id = this.latest.get_value().wrapping_add(1);
        this.latest.set_value(id);
        this.pending.set(true);
        spawn_local(async move {
            let outcome = steps(this.auth.client()).await;
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

/// A handle for API calls; only call it below `AuthProvider`.
pub fn use_api_call() -> ApiCall {
    ApiCall {
        outcome: RwSignal::new(None),
        pending: RwSignal::new(false),
        latest: StoredValue::new(0),
        auth: use_auth(),
    }
}
