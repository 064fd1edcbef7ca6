//! The minimal example app (`examples/minimal`, nothing but the library's public API) end to end:
//! real Chromium, the real local provider and API.

use e2e::services::APP;
use e2e::{Browser, Fixture, Outcome, ensure};

async fn the_example_signs_in_greets_and_calls_the_api(f: &Fixture, b: &Browser) -> Outcome {
    b.sign_in("ada").await?;
    b.wait_text("user-name", "Ada").await?;
    let url = b.url().await?;
    ensure(url == format!("{APP}/"), format!("the address bar still shows the callback: {url}"))?;
    let before = f.api_answers(200);
    b.click("call-api").await?;
    let result = b.wait_present("api-result").await?;
    e2e::browser::wait_for("the API's answer", || async {
        let text = b.text("api-result").await?.unwrap_or_default();
        if text.starts_with("200 ") && text.contains("ada") { Ok(Some(())) } else { Err(format!("shows {text:?}")) }
    })
    .await?;
    ensure(f.api_answers(200) == before + 1, format!("expected one answer from the API ({result:?})"))?;
    b.click("sign-out").await?;
    b.confirm_provider_logout().await?;
    b.wait_text("auth-status", "signed-out").await
}

/// Sign up opens the provider's sign-up screen (Auth0's `screen_hint=signup`; the local provider
/// shows its one form) and comes back signed in.
async fn the_example_signs_up_at_the_provider(f: &Fixture, b: &Browser) -> Outcome {
    b.goto("/").await?;
    b.wait_text("auth-status", "signed-out").await?;
    b.click("sign-up").await?;
    b.sign_in_at_provider("grace").await?;
    b.wait_text("user-name", "Grace").await?;
    let asked = f.provider_stats().await?["last_screen_hint"].clone();
    ensure(asked == "signup", format!("the authorization request asked for the screen {asked}"))
}

e2e::suite!(
    site: "examples/minimal/dist",
    access_token_ttl: 60,
    the_example_signs_in_greets_and_calls_the_api,
    the_example_signs_up_at_the_provider,
);
