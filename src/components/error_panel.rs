//! The sign-in error: a plain sentence first, then the stable code and the details, as text, with
//! a way to try again.

use leptos::prelude::*;
use leptos_pkce_auth::{AuthState, use_auth};

use crate::components::nav::{Sign, on_press};

/// What an error code means for the person in front of the screen.
fn plain_sentence(code: &str) -> &'static str {
    match code {
        "state_missing" | "state_mismatch" | "code_missing" | "callback_invalid" | "iss_mismatch" => {
            "The answer from the sign-in page could not be trusted, so you were not signed in."
        }
        "login_expired" => "The sign-in took too long, so it was not completed.",
        "provider_error" => "The sign-in service turned the sign-in down.",
        "network" | "discovery" => "The sign-in service could not be reached.",
        "token_response" | "id_token_malformed" | "id_token_signature" | "id_token_claim" => {
            "The sign-in service's answer could not be verified, so you were not signed in."
        }
        "session_expired" | "not_signed_in" => "Your session has ended. Please sign in again.",
        "storage" => "This browser does not let the app keep the sign-in in progress.",
        "audience_refused" => "No access could be had for that API.",
        _ => "Something went wrong while signing in.",
    }
}

/// Shown whenever sign-in failed; provider text is rendered as text, never as markup. "Try again"
/// comes back to this page (or home, from the callback).
#[component]
pub fn ErrorPanel() -> impl IntoView {
    let auth = use_auth();
    move || match &*auth.state.read() {
        AuthState::Error(error) => Some(view! {
            <section class="error" role="alert">
                <h2>"Sign-in failed"</h2>
                <p class="lead" data-testid="auth-error-summary">{plain_sentence(error.code())}</p>
                <p data-testid="auth-error">{error.to_string()}</p>
                <button data-testid="try-again" on:click=on_press(auth, Sign::In)>"Try again"</button>
            </section>
        }),
        _ => None,
    }
}
