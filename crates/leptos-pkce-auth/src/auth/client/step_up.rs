//! RFC 9470: an API that wants a more recent or a stronger sign-in gets one, once.

use super::*;
use crate::auth::bearer::StepUp;

/// sessionStorage: when this tab last left to step up (seconds since the epoch).
const STEP_UP_AT: &str = "leptos-pkce.step-up";
/// A step-up this recent that the API still refuses is not made again: the provider could not
/// give what the API asks, and another round trip would loop.
const AGAIN_AFTER_SECONDS: u64 = 120;

impl AuthClient {
    /// Leaves to sign in again as `step_up` asks (RFC 9470 §4: its `acr_values` and `max_age` in
    /// the authorization request), for `api`, coming back to this page; `Ok` (nothing done) when
    /// this tab did so moments ago and the API still refuses.
    pub(crate) async fn step_up(&self, api: &Api, step_up: &StepUp) -> Result<(), AuthError> {
        let now = now();
        // Read by the browser: a Rust number parser here would be one more copy shipped.
        let last = storage::get(Area::Session, STEP_UP_AT).map(|at| js_sys::Number::parse_int(&at, 10));
        let age = last.map(|at| now as f64 - at);
        if age.is_some_and(|age| (0.0..AGAIN_AFTER_SECONDS as f64).contains(&age)) {
            storage::remove(Area::Session, STEP_UP_AT);
            return Ok(());
        }
        storage::set(Area::Session, STEP_UP_AT, &now.to_string())?;
        let mut options = SignInOptions::default();
        if let Some(acr_values) = &step_up.acr_values {
            options = options.acr_values(acr_values.clone());
        }
        if let Some(max_age) = step_up.max_age {
            options = options.max_age(max_age);
        }
        // The main API's tokens are the session's: a sign-in for the whole session gives them.
        let main = self.config.main_api().is_some_and(|main| main.name == api.name);
        self.sign_in_again((!main).then_some(api), &options).await.map(drop)
    }

    /// An API answered: a step-up made before is behind us.
    pub(crate) fn stepped_up(&self) {
        storage::remove(Area::Session, STEP_UP_AT);
    }
}
