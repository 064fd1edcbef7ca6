//! The minimal example app (`examples/minimal`, nothing but the library's public API) end to end:
//! real Chromium, the real local provider and API.

use e2e::api_page::{ACCESS_TOKEN_TTL, refreshes};
use e2e::browser::wait_for;
use e2e::scenarios::sign_up_opens_the_providers_sign_up_screen;
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
    wait_for("the API's answer", || async {
        let text = b.text("api-result").await?.unwrap_or_default();
        if text.starts_with("200 ") && text.contains("ada") { Ok(Some(())) } else { Err(format!("shows {text:?}")) }
    })
    .await?;
    ensure(f.api_answers(200) == before + 1, format!("expected one answer from the API ({result:?})"))?;
    b.click("sign-out").await?;
    b.confirm_provider_logout().await?;
    b.wait_text("auth-status", "signed-out").await
}

/// Finding: each renewal set a new signed-in state, and every view matching on it was built again:
/// a child component's `bind:value` text (and its count) started over.
async fn what_is_typed_survives_two_renewals(f: &Fixture, b: &Browser) -> Outcome {
    b.sign_in("ada").await?;
    let note = "document.querySelector('[data-testid=note]')";
    b.script(&format!("{note}.value = 'half a thought'; {note}.dispatchEvent(new Event('input')); return true;"))
        .await?;
    b.wait_text("note-length", "14").await?;
    let (refreshed, answered) = (refreshes(f).await?, f.api_answers(200));
    for renewal in 1..=2 {
        b.wait_token_expired().await?;
        b.click("call-api").await?;
        wait_for("the renewal and the API's answer", || async {
            let seen = (refreshes(f).await? - refreshed, f.api_answers(200) - answered);
            if seen == (renewal, renewal) { Ok(Some(())) } else { Err(format!("(refreshes, answers): {seen:?}")) }
        })
        .await?;
    }
    let kept = b.script(&format!("return {note}.value;")).await?;
    ensure(kept == "half a thought", format!("after two renewals the note holds {kept}"))?;
    b.wait_text("note-length", "14").await
}

/// A client of the app's own (the API's WebSocket, which takes no header) gets a valid token from
/// `access_token()`, renewed first when it has expired, and a DPoP proof for it.
async fn the_example_opens_the_api_websocket_with_a_fresh_token(f: &Fixture, b: &Browser) -> Outcome {
    b.sign_in("ada").await?;
    b.wait_token_expired().await?;
    let refreshed = refreshes(f).await?;
    b.click("open-live").await?;
    let heard = wait_for("the WebSocket's greeting", || async {
        let text = b.text("live-result").await?.unwrap_or_default();
        if text.contains("hello") { Ok(Some(text)) } else { Err(format!("shows {text:?}")) }
    })
    .await?;
    ensure(heard.contains("ada"), format!("the API greeted someone else: {heard}"))?;
    ensure(refreshes(f).await? == refreshed + 1, "the expired token was renewed first")
}

/// The session's events reach the app: a sign-in here, the session handed to a second tab, and
/// there the sign-out made in the first.
async fn the_example_hears_a_sign_in_and_a_sign_out_in_another_tab(_f: &Fixture, b: &Browser) -> Outcome {
    b.sign_in("ada").await?;
    b.wait_text("events", "SignedIn").await?;
    let first = b.open_tab().await?;
    b.goto("/").await?;
    b.wait_text("auth-status", "signed-in").await?;
    b.wait_text("events", "SignedIn").await?;
    let second = b.tab().await?;
    b.switch_to(first).await?;
    b.click("sign-out").await?;
    b.confirm_provider_logout().await?;
    b.switch_to(second).await?;
    b.wait_text("events", "SignedIn SignedOut(OtherTab)").await
}

e2e::suite!(
    site: "examples/minimal/dist",
    access_token_ttl: ACCESS_TOKEN_TTL,
    the_example_signs_in_greets_and_calls_the_api,
    sign_up_opens_the_providers_sign_up_screen,
    what_is_typed_survives_two_renewals,
    the_example_opens_the_api_websocket_with_a_fresh_token,
    the_example_hears_a_sign_in_and_a_sign_out_in_another_tab,
);
