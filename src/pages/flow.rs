//! `/flow`, "How it works": the steps of the sign-in (the seed document's, in order) as they
//! happened in this tab, then each API call and refresh, with when. Nothing still usable is shown.

use leptos::prelude::*;
use leptos_pkce_auth::{FlowStep, flow_steps};

use crate::dates::local_time;

/// Each step's heading and what it is for, by its `data-step` name.
const STEPS: [(&str, &str, &str); 9] = [
    ("verifier", "A code verifier", "A random secret made in this tab (RFC 7636 §4.1)."),
    (
        "challenge",
        "Its challenge",
        "BASE64URL(SHA-256(verifier)), sent with the sign-in request: only the holder of the verifier can \
         redeem the code (RFC 7636 §4.2).",
    ),
    (
        "authorize",
        "To the provider",
        "The browser goes to the authorize endpoint with these parameters (RFC 6749 §4.1.1).",
    ),
    (
        "callback",
        "Back with a code",
        "The provider sends the browser back with a one-time code; the state and the issuer are checked \
         (RFC 6749 §4.1.2, RFC 9207).",
    ),
    (
        "token",
        "The code for tokens",
        "The code and the verifier, now spent, are swapped for tokens at the token endpoint (RFC 6749 §4.1.3).",
    ),
    ("id-token", "Who signed in", "The ID token's signature and claims, checked (OpenID Connect Core §3.1.3.7)."),
    ("access-token", "What the API will read", "The access token's claims; the API checks them, not the app."),
    ("api-call", "An API call", "A request with the access token for that API (RFC 6750 §2.1, RFC 9449 with DPoP)."),
    ("refresh", "A refresh", "A new access token from the refresh token, which rotates (RFC 6749 §6)."),
];

/// The heading and explanation of step `name`.
fn about(name: &str) -> (&'static str, &'static str) {
    STEPS.iter().find(|(step, ..)| *step == name).map_or(("A step", ""), |(_, title, text)| (*title, *text))
}

fn step_view(step: FlowStep) -> impl IntoView {
    let (title, text) = about(&step.name);
    let time = local_time(step.at as f64);
    let details = step
        .details
        .into_iter()
        .map(|(name, value)| view! { <dt>{name.clone()}</dt><dd data-detail=name>{value}</dd> })
        .collect_view();
    view! {
        <section class="flow-step" data-testid="flow-step" data-step=step.name>
            <h2>{title} " " <time>{time}</time></h2>
            <p>{text}</p>
            <dl>{details}</dl>
        </section>
    }
}

/// The journal of this tab, newest steps last.
#[component]
pub fn Flow() -> impl IntoView {
    let steps = flow_steps();
    let body = if steps.is_empty() {
        view! { <p>"Nothing yet: sign in, and the steps it takes show here."</p> }.into_any()
    } else {
        steps.into_iter().map(step_view).collect_view().into_any()
    };
    view! {
        <h1>"How it works"</h1>
        <p>
            "The Authorization Code flow with PKCE, step by step, as it happened in this tab. Tokens and the code "
            "are redacted; the verifier shows once it is spent."
        </p>
        {body}
    }
}
