//! Calling the demo API end to end: access tokens living a few seconds, refreshes counted at the
//! provider, answers counted at the API.

use e2e::browser::wait_for;
use e2e::services::APP;
use e2e::{Browser, Fixture, Outcome, ensure};
use serde_json::{Value, json};

/// Access tokens live this long, so a test crosses several expiries in seconds.
const ACCESS_TOKEN_TTL: u32 = 4;
/// The app's leeway: refresh one second before expiry.
const LEEWAY: u64 = 1;

async fn stat(f: &Fixture, key: &str) -> Result<u64, String> {
    f.provider_stats().await?[key].as_u64().ok_or_else(|| format!("no {key} in the provider's stats"))
}

async fn refreshes(f: &Fixture) -> Result<u64, String> {
    stat(f, "refresh_token").await
}

async fn grant_errors(f: &Fixture) -> Result<u64, String> {
    stat(f, "errors").await
}

/// Signs in with `changes` to config.json (plus the short leeway) and opens `/api`.
async fn open_api_page(f: &Fixture, b: &Browser, changes: Value) -> Outcome {
    let mut config = json!({"leeway_seconds": LEEWAY, "token_storage": "memory", "scope": "openid profile email offline_access read:messages"});
    for (key, value) in changes.as_object().into_iter().flatten() {
        config[key] = value.clone();
    }
    f.override_config_keys(config)?;
    b.sign_in("ada").await?;
    b.click_link("/api").await?;
    b.wait_present("token-expiry").await.map(drop)
}

/// The index of each endpoint's button on `/api`.
fn button(label: &str) -> usize {
    match label {
        "public" => 0,
        "private" => 1,
        _ => 2,
    }
}

fn click_script(label: &str) -> String {
    format!("document.querySelectorAll('[data-testid=call-api]')[{}].click();", button(label))
}

/// Calls an endpoint from the page and returns the outcome it shows.
async fn call(b: &Browser, label: &str) -> Result<String, String> {
    b.script(&format!("{} return true;", click_script(label))).await?;
    wait_for(&format!("the {label} call's outcome"), || async {
        let text = b.text("api-result").await?.unwrap_or_default();
        let done = text.starts_with(&format!("{label}: ")) && !text.ends_with("calling…");
        if done { Ok(Some(text)) } else { Err(format!("saw {text:?}")) }
    })
    .await
}

async fn call_ok(b: &Browser, label: &str) -> Outcome {
    let text = call(b, label).await?;
    ensure(text.contains("Hello"), format!("the {label} call failed: {text}"))
}

async fn wait_api_answers(f: &Fixture, status: u16, at_least: u64) -> Outcome {
    wait_for(&format!("{at_least} API answers with {status}"), || async {
        let n = f.api_answers(status);
        if n >= at_least { Ok(Some(())) } else { Err(format!("{n} so far")) }
    })
    .await
}

async fn api_calls_keep_working_across_expiries(f: &Fixture, b: &Browser) -> Outcome {
    open_api_page(f, b, json!({})).await?;
    call_ok(b, "private").await?;
    let (before, unauthorized) = (refreshes(f).await?, f.api_answers(401));
    for _ in 0..3 {
        b.wait_token_expired().await?;
        call_ok(b, "private").await?;
    }
    call_ok(b, "scoped").await?;
    let public = call(b, "public").await?;
    ensure(public.contains("public endpoint"), format!("public: {public}"))?;
    let made = refreshes(f).await? - before;
    ensure(made == 3, format!("expected one refresh per expiry (3), saw {made}"))?;
    ensure(f.api_answers(401) == unauthorized, "the API never saw an expired token")
}

async fn a_burst_of_20_calls_on_an_expired_token_makes_one_refresh(f: &Fixture, b: &Browser) -> Outcome {
    open_api_page(f, b, json!({})).await?;
    call_ok(b, "private").await?;
    b.wait_token_expired().await?;
    let (before, ok, unauthorized) = (refreshes(f).await?, f.api_answers(200), f.api_answers(401));
    b.script(&format!("for (let i = 0; i < 20; i++) {{ {} }} return true;", click_script("private"))).await?;
    wait_api_answers(f, 200, ok + 20).await?;
    let made = refreshes(f).await? - before;
    ensure(made == 1, format!("20 concurrent calls made {made} refreshes"))?;
    ensure(f.api_answers(401) == unauthorized, "no call went out with the expired token")
}

/// Two tabs call the API at the same moment after each expiry; the rotating refresh token is never
/// spent twice.
async fn two_tabs_share_the_refresh(f: &Fixture, b: &Browser, storage: &str) -> Outcome {
    open_api_page(f, b, json!({"token_storage": storage})).await?;
    let first = b.tab().await?;
    b.open_tab().await?;
    b.goto("/api").await?;
    b.wait_text("auth-status", "signed-in").await?;
    let second = b.tab().await?;
    let (before, errors) = (refreshes(f).await?, grant_errors(f).await?);
    for _ in 0..3 {
        b.wait_token_expired().await?;
        let ok = f.api_answers(200);
        let at = b.script("return Date.now() + 300;").await?.as_f64().unwrap_or_default();
        for tab in [&first, &second] {
            b.switch_to(tab.clone()).await?;
            let click = click_script("private");
            b.script(&format!("setTimeout(() => {{ {click} }}, {at} - Date.now()); return true;")).await?;
        }
        if let Err(e) = wait_api_answers(f, 200, ok + 2).await {
            let mut seen = Vec::new();
            for tab in [&first, &second] {
                b.switch_to(tab.clone()).await?;
                seen.push(b.text("api-result").await?.unwrap_or_default());
            }
            let (unauthorized, failed) = (f.api_answers(401), f.api_answers(500));
            let (refreshed, refused) = (refreshes(f).await? - before, grant_errors(f).await? - errors);
            return Err(format!(
                "{e}; tabs show {seen:?}; API 401s {unauthorized}, 500s {failed}; refreshes {refreshed}, refused grants {refused}"
            ));
        }
    }
    for tab in [first, second] {
        b.switch_to(tab).await?;
        b.wait_text("auth-status", "signed-in").await?;
    }
    ensure(grant_errors(f).await? == errors, "a tab was refused a refresh (invalid_grant)")?;
    let made = refreshes(f).await? - before;
    ensure(made == 3, format!("expected one refresh per expiry for both tabs (3), saw {made}"))
}

async fn two_tabs_in_memory_mode_never_spend_a_refresh_token_twice(f: &Fixture, b: &Browser) -> Outcome {
    two_tabs_share_the_refresh(f, b, "memory").await
}

async fn two_tabs_in_local_mode_never_spend_a_refresh_token_twice(f: &Fixture, b: &Browser) -> Outcome {
    two_tabs_share_the_refresh(f, b, "local").await
}

async fn a_revoked_refresh_token_signs_out_cleanly_and_sign_in_works_again(f: &Fixture, b: &Browser) -> Outcome {
    open_api_page(f, b, json!({"token_storage": "local"})).await?;
    call_ok(b, "private").await?;
    let refresh_token = b.stored_refresh_token().await?;
    let form = format!("token={refresh_token}&token_type_hint=refresh_token&client_id=leptos-pkce-dev");
    let (status, _) = f.post_to_provider("/oauth/revoke", &form).await?;
    ensure(status == 200, format!("revocation answered {status}"))?;
    b.wait_token_expired().await?;
    let outcome = call(b, "private").await?;
    ensure(outcome.contains("session_expired"), format!("after revocation: {outcome}"))?;
    let error = b.wait_present("auth-error").await?;
    ensure(error == "session_expired: your session has expired, sign in again", format!("auth-error: {error}"))?;
    b.wait_text("auth-status", "signed-out").await?;
    let left = b.script("return localStorage.getItem('leptos-pkce.tokens');").await?;
    ensure(left.is_null(), "the dead tokens were kept")?;
    b.click("try-again").await?;
    b.sign_in_if_asked("ada").await?;
    b.wait_url(&format!("{APP}/api")).await?;
    call_ok(b, "private").await
}

async fn the_api_down_shows_an_error_and_keeps_you_signed_in(f: &Fixture, b: &Browser) -> Outcome {
    open_api_page(f, b, json!({})).await?;
    call_ok(b, "private").await?;
    f.stop_api().await;
    let outcome = call(b, "private").await;
    f.start_api().await?;
    let outcome = outcome?;
    ensure(outcome.contains("could not be reached"), format!("with the API down: {outcome}"))?;
    b.wait_text("auth-status", "signed-in").await?;
    call_ok(b, "private").await
}

async fn a_provider_outage_during_refresh_keeps_the_refresh_token(f: &Fixture, b: &Browser) -> Outcome {
    open_api_page(f, b, json!({"token_storage": "local"})).await?;
    call_ok(b, "private").await?;
    b.wait_token_expired().await?;
    let refresh_token = b.stored_refresh_token().await?;
    // The provider unreachable (nothing on that port), the tokens as they were.
    f.override_config_keys(
        json!({"token_storage": "local", "leeway_seconds": LEEWAY, "domain": "http://127.0.0.1:4999"}),
    )?;
    let outcome: Outcome = async {
        b.reload().await?;
        b.wait_text("auth-status", "signed-in").await?;
        let before = refreshes(f).await?;
        let outcome = call(b, "private").await?;
        ensure(outcome.starts_with("private: network:"), format!("with the provider down: {outcome}"))?;
        b.wait_text("auth-status", "signed-in").await?;
        ensure(b.stored_refresh_token().await? == refresh_token, "the refresh token must be kept")?;
        ensure(refreshes(f).await? == before, "nothing reached the provider")
    }
    .await;
    f.override_config_keys(json!({"token_storage": "local", "leeway_seconds": LEEWAY}))?;
    outcome?;
    // The provider back: the kept refresh token still works.
    b.reload().await?;
    b.wait_text("auth-status", "signed-in").await?;
    call_ok(b, "private").await
}

async fn an_invalid_token_answer_refreshes_once_and_retries_once(f: &Fixture, b: &Browser) -> Outcome {
    open_api_page(f, b, json!({})).await?;
    call_ok(b, "private").await?;
    // One 401 invalid_token: one refresh, one retry, success.
    let (before, unauthorized) = (refreshes(f).await?, f.api_answers(401));
    f.refuse_next_tokens(1);
    call_ok(b, "private").await?;
    ensure(refreshes(f).await? == before + 1, "one refresh after invalid_token")?;
    ensure(f.api_answers(401) == unauthorized + 1, "exactly one 401 seen")?;
    // A burst of 401s: still one refresh and one retry, then an error; never a loop.
    let (before, unauthorized) = (refreshes(f).await?, f.api_answers(401));
    f.refuse_next_tokens(5);
    let outcome = call(b, "private").await?;
    f.refuse_next_tokens(0);
    ensure(outcome == "private: the API failed with HTTP 401", format!("after two refusals: {outcome}"))?;
    ensure(refreshes(f).await? == before + 1, "no second refresh for the retry's 401")?;
    ensure(f.api_answers(401) == unauthorized + 2, "one call and one retry")?;
    b.wait_text("auth-status", "signed-in").await?;
    call_ok(b, "private").await
}

async fn a_call_without_the_scope_is_not_permitted_and_makes_no_refresh(f: &Fixture, b: &Browser) -> Outcome {
    open_api_page(f, b, json!({"scope": "openid profile email offline_access"})).await?;
    let (before, forbidden) = (refreshes(f).await?, f.api_answers(403));
    let outcome = call(b, "scoped").await?;
    ensure(outcome.starts_with("scoped: not permitted"), format!("without the scope: {outcome}"))?;
    ensure(f.api_answers(403) == forbidden + 1, "the API should have answered 403 once")?;
    ensure(refreshes(f).await? == before, "a 403 must not trigger a refresh")?;
    b.wait_text("auth-status", "signed-in").await?;
    call_ok(b, "private").await
}

e2e::suite!(
    access_token_ttl: ACCESS_TOKEN_TTL,
    api_calls_keep_working_across_expiries,
    a_burst_of_20_calls_on_an_expired_token_makes_one_refresh,
    two_tabs_in_memory_mode_never_spend_a_refresh_token_twice,
    two_tabs_in_local_mode_never_spend_a_refresh_token_twice,
    a_revoked_refresh_token_signs_out_cleanly_and_sign_in_works_again,
    the_api_down_shows_an_error_and_keeps_you_signed_in,
    a_provider_outage_during_refresh_keeps_the_refresh_token,
    an_invalid_token_answer_refreshes_once_and_retries_once,
    a_call_without_the_scope_is_not_permitted_and_makes_no_refresh,
);
