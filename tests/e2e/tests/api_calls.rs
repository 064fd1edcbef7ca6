//! Calling the demo API end to end: access tokens living a few seconds, refreshes counted at the
//! provider, answers counted at the API.

use e2e::api_page::*;
use e2e::browser::wait_for;
use e2e::scenarios::a_dead_refresh_token_ends_the_session_at_the_next_refresh;
use e2e::services::APP;
use e2e::{Browser, Fixture, Outcome, ensure};
use serde_json::{Value, json};

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
    ensure(public.starts_with("200 public: ") && public.contains("public endpoint"), format!("public: {public}"))?;
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
    a_dead_refresh_token_ends_the_session_at_the_next_refresh(f, b).await
}

/// In the tab it is installed in, delays the tab channel's token sets by `__delayTokensMs`
/// milliseconds (none at first), as a busy or just-unfrozen tab hears of another tab's news late.
const DELAY_TOKEN_MESSAGES: &str = "window.__delayTokensMs = 0; const Channel = BroadcastChannel; \
    window.BroadcastChannel = class extends Channel { \
      set onmessage(handler) { super.onmessage = handler && ((event) => { \
        const late = typeof event.data === 'string' && event.data.startsWith('kind=tokens'); \
        if (late && window.__delayTokensMs) setTimeout(() => handler.call(this, event), window.__delayTokensMs); \
        else handler.call(this, event); }); } \
      get onmessage() { return super.onmessage; } };";

/// Finding: the rotation hand-over between tabs rested on a 50 ms sleep. Here the second tab
/// hears of the first tab's rotation 1.5 s late and needs a refresh just after it: it waits for
/// the rotated set instead of spending the old refresh token (the provider would refuse it and
/// revoke the grant). With DPoP, where the tabs share the (key-bound) refresh token.
async fn a_tab_that_hears_of_a_rotation_late_never_spends_the_old_refresh_token(f: &Fixture, b: &Browser) -> Outcome {
    open_api_page(f, b, json!({"token_storage": "memory", "dpop": true})).await?;
    let first = b.tab().await?;
    b.open_tab().await?;
    b.cdp(f.driver_url(), "Page.addScriptToEvaluateOnNewDocument", json!({ "source": DELAY_TOKEN_MESSAGES })).await?;
    b.goto("/api").await?;
    b.wait_text("auth-status", "signed-in").await?;
    b.script("window.__delayTokensMs = 1500; return true;").await?;
    let second = b.tab().await?;
    b.switch_to(first).await?;
    b.wait_token_expired().await?;
    let (before, errors) = (refreshes(f).await?, grant_errors(f).await?);
    call_ok(b, "private").await?;
    b.switch_to(second).await?;
    call_ok(b, "private").await?;
    ensure(grant_errors(f).await? == errors, "the second tab spent the rotated refresh token")?;
    let made = refreshes(f).await? - before;
    ensure(made == 1, format!("expected the first tab's refresh alone, saw {made}"))?;
    b.wait_text("auth-status", "signed-in").await
}

/// Finding: the tab channel gave the refresh token to any script of the origin. In `memory` mode
/// without DPoP a script on the channel hears every token set without one; the tab that holds it
/// renews for the others, and a sign-out in a tab without it still revokes it.
async fn a_script_on_the_tab_channel_never_gets_a_refresh_token(f: &Fixture, b: &Browser) -> Outcome {
    open_api_page(f, b, json!({"token_storage": "memory"})).await?;
    b.script(CHANNEL_SPY).await?;
    heard_token_sets(b, 1).await?;
    let first = b.tab().await?;
    b.open_tab().await?;
    b.goto("/api").await?;
    b.wait_text("auth-status", "signed-in").await?;
    b.wait_token_expired().await?;
    let (before, errors) = (refreshes(f).await?, grant_errors(f).await?);
    call_ok(b, "private").await?;
    ensure(refreshes(f).await? == before + 1, "the first tab renewed once for the second")?;
    ensure(grant_errors(f).await? == errors, "a refresh was refused")?;
    let second = b.tab().await?;
    b.switch_to(first.clone()).await?;
    let heard = heard_token_sets(b, 3).await?;
    ensure(heard.iter().all(|set| set.contains("access_token=")), "the spy heard the token sets")?;
    let leaked = heard.iter().filter(|set| set.contains("refresh_token")).count();
    ensure(leaked == 0, format!("{leaked} of {} token sets on the channel carried a refresh token", heard.len()))?;
    let revoked = stat(f, "grants_revoked").await?;
    b.switch_to(second).await?;
    b.click("sign-out").await?;
    b.wait_url(e2e::services::IDP).await?;
    wait_for("the first tab's refresh token revoked", || async {
        let made = stat(f, "grants_revoked").await? - revoked;
        if made == 1 { Ok(Some(())) } else { Err(format!("{made} grants revoked")) }
    })
    .await?;
    b.switch_to(first).await?;
    b.wait_text("auth-status", "signed-out").await
}

/// In `memory` mode without DPoP, once the tab that held the refresh token is gone the others
/// renew as a reload does: one silent sign-in, back to the same page, nothing refused.
async fn a_tab_left_without_the_refresh_token_signs_in_again_silently(f: &Fixture, b: &Browser) -> Outcome {
    open_api_page(f, b, json!({"token_storage": "memory"})).await?;
    b.open_tab().await?;
    b.goto("/api").await?;
    b.wait_text("auth-status", "signed-in").await?;
    let second = b.tab().await?;
    let first = b.tabs().await?.into_iter().find(|tab| *tab != second).ok_or("no first tab")?;
    b.switch_to(first).await?;
    b.close_tab().await?;
    b.switch_to(second).await?;
    b.wait_token_expired().await?;
    let errors = grant_errors(f).await?;
    call_signing_in_once(f, b, "private").await?;
    call_ok(b, "private").await?;
    ensure(grant_errors(f).await? == errors, "a refresh was refused")
}

/// Finding: sign-out during a refresh brought the session back (the refresh adopted its answer,
/// wrote it to storage and handed it to the other tabs). Here tab 2 signs out while tab 1's
/// refresh is at the provider, whose answer (rotated tokens) arrives afterwards.
async fn sign_out_wins_over_a_refresh_in_flight(f: &Fixture, b: &Browser) -> Outcome {
    open_api_page(f, b, json!({"token_storage": "local"})).await?;
    call_ok(b, "private").await?;
    let first = b.tab().await?;
    b.open_tab().await?;
    b.goto("/").await?;
    b.wait_text("auth-status", "signed-in").await?;
    let second = b.tab().await?;
    b.switch_to(first.clone()).await?;
    b.wait_token_expired().await?;
    let before = refreshes(f).await?;
    f.provider_holds_next_token_answer(3000).await?;
    b.script(&format!("{} return true;", click_script("private"))).await?;
    // The refresh is issued at the provider (its answer held back), then tab 2 signs out.
    wait_for("the refresh to be issued", || async {
        let made = refreshes(f).await? - before;
        if made == 1 { Ok(Some(())) } else { Err(format!("{made} refreshes")) }
    })
    .await?;
    b.switch_to(second).await?;
    b.click("sign-out").await?;
    b.wait_url("http://127.0.0.1:4000/").await?;
    b.switch_to(first).await?;
    let outcome = outcome_of(b, "private").await?;
    ensure(!outcome.starts_with("200"), format!("the call after sign-out: {outcome}"))?;
    b.wait_text("auth-status", "signed-out").await?;
    let stored = b.script("return localStorage.getItem('leptos-pkce.tokens');").await?;
    ensure(stored.is_null(), "the refresh's answer brought the session back into storage")?;
    b.reload().await?;
    b.wait_text("auth-status", "signed-out").await
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

/// Calls `label` once; the API answers `status` once, shown as `shown…`, with no refresh (not a
/// token problem), and the person stays signed in.
async fn an_error_answer_makes_no_refresh(f: &Fixture, b: &Browser, label: &str, status: u16, shown: &str) -> Outcome {
    let (before, answers) = (refreshes(f).await?, f.api_answers(status));
    let outcome = call(b, label).await?;
    ensure(outcome.starts_with(shown), format!("{label}: {outcome}"))?;
    ensure(f.api_answers(status) == answers + 1, format!("one answer {status}, no retry"))?;
    ensure(refreshes(f).await? == before, format!("a {status} must not trigger a refresh"))?;
    b.wait_text("auth-status", "signed-in").await?;
    call_ok(b, "private").await
}

async fn a_server_error_is_typed_and_keeps_you_signed_in(f: &Fixture, b: &Browser) -> Outcome {
    open_api_page(f, b, json!({})).await?;
    call_ok(b, "private").await?;
    f.fail_next_requests(1);
    let outcome =
        an_error_answer_makes_no_refresh(f, b, "messages", 500, "500 messages: the API failed with HTTP 500: ").await;
    f.fail_next_requests(0);
    outcome
}

async fn a_call_without_an_answer_times_out_and_the_next_one_works(f: &Fixture, b: &Browser) -> Outcome {
    open_api_page(f, b, json!({})).await?;
    call_ok(b, "private").await?;
    f.stall_next_requests(1);
    b.script(&format!("{} return true;", click_script("private"))).await?;
    // While it waits, the calls show as busy; once it is over, they no longer do.
    let busy = "return document.querySelector('.calls').getAttribute('aria-busy');";
    let busy_while_waiting = wait_for("the calls to show as busy", || async {
        if b.script(busy).await? == "true" { Ok(Some(true)) } else { Err("not busy".to_owned()) }
    })
    .await;
    let outcome = outcome_of(b, "private").await;
    f.release_stalled();
    let outcome = outcome?;
    ensure(busy_while_waiting? && b.script(busy).await?.is_null(), "aria-busy while the call ran, and only then")?;
    ensure(outcome == "private: no answer within 10 s", format!("a hung API: {outcome}"))?;
    b.wait_text("auth-status", "signed-in").await?;
    call_ok(b, "private").await
}

async fn a_provider_outage_during_refresh_keeps_the_refresh_token(f: &Fixture, b: &Browser) -> Outcome {
    open_api_page(f, b, json!({"token_storage": "local"})).await?;
    call_ok(b, "private").await?;
    b.wait_token_expired().await?;
    let refresh_token = b.stored_refresh_token().await?;
    // The provider unreachable from this browser, the tokens as they were (pointing `domain`
    // elsewhere would be another issuer, whose tokens are rightly not adopted).
    let block = |urls: Vec<&str>| b.cdp(f.driver_url(), "Network.setBlockedURLs", json!({ "urls": urls }));
    b.cdp(f.driver_url(), "Network.enable", json!({})).await?;
    block(vec!["*127.0.0.1:4000/oauth/token*"]).await?;
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
    block(vec![]).await?;
    outcome?;
    // The provider back: the kept refresh token still works.
    b.reload().await?;
    b.wait_text("auth-status", "signed-in").await?;
    call_ok(b, "private").await
}

/// The refresh's code (a module the shipped build fetches at the first refresh) blocked by the
/// browser: the call is a passing network error, nothing reaches the provider, the person stays
/// signed in; unblocked, the next call fetches it and refreshes.
async fn a_refresh_whose_code_cannot_be_fetched_is_a_passing_network_error(f: &Fixture, b: &Browser) -> Outcome {
    open_api_page(f, b, json!({})).await?;
    call_ok(b, "private").await?;
    let block = |urls: Vec<&str>| b.cdp(f.driver_url(), "Network.setBlockedURLs", json!({ "urls": urls }));
    b.cdp(f.driver_url(), "Network.enable", json!({})).await?;
    block(vec!["*split_refresh-*"]).await?;
    b.wait_token_expired().await?;
    let before = refreshes(f).await?;
    let outcome = call(b, "private").await?;
    ensure(outcome.starts_with("private: network:"), format!("with the refresh's code blocked: {outcome}"))?;
    b.wait_text("auth-status", "signed-in").await?;
    ensure(refreshes(f).await? == before, "nothing reached the provider")?;
    block(vec![]).await?;
    call_ok(b, "private").await?;
    ensure(refreshes(f).await? == before + 1, "one refresh once its code arrives")
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
    ensure(outcome == "401 private: the API refused the token (HTTP 401)", format!("after two refusals: {outcome}"))?;
    ensure(refreshes(f).await? == before + 1, "no second refresh for the retry's 401")?;
    ensure(f.api_answers(401) == unauthorized + 2, "one call and one retry")?;
    b.wait_text("auth-status", "signed-in").await?;
    call_ok(b, "private").await
}

async fn a_call_without_the_scope_is_not_permitted_and_makes_no_refresh(f: &Fixture, b: &Browser) -> Outcome {
    open_api_page(f, b, json!({"scope": "openid profile email offline_access"})).await?;
    an_error_answer_makes_no_refresh(f, b, "scoped", 403, "403 scoped: not permitted").await
}

/// Types `text` into the message box as a person would (an `input` event per change).
async fn type_message(b: &Browser, text: &str) -> Outcome {
    let text = serde_json::to_string(text).map_err(|e| e.to_string())?;
    let js = format!(
        "const box = document.querySelector('[data-testid=message-text]'); box.value = {text}; \
         box.dispatchEvent(new Event('input', {{bubbles: true}})); return true;"
    );
    b.script(&js).await.map(drop)
}

/// The JSON after `prefix` in an outcome.
/// The JSON body of an outcome whose first line is `line` (status, call, method and URL).
fn body_of(outcome: &str, line: &str) -> Result<Value, String> {
    let (first, body) = outcome.split_once('\n').ok_or_else(|| format!("one line only: {outcome:?}"))?;
    ensure(first == line, format!("expected {line:?}, saw {first:?}"))?;
    ensure(body.starts_with("{\n  \"") || body.starts_with("[\n  {") || body == "[]", format!("not laid out: {body}"))?;
    serde_json::from_str(body).map_err(|e| format!("{body}: {e}"))
}

const MESSAGES: &str = "http://127.0.0.1:4001/api/messages";

async fn messages_are_posted_as_json_listed_and_deleted(f: &Fixture, b: &Browser) -> Outcome {
    open_api_page(f, b, json!({})).await?;
    let text = r#"She said "hi" & left <b>bold</b> \ ünïcode ✓"#;
    type_message(b, text).await?;
    let posted = body_of(&call(b, "post").await?, &format!("201 post: POST {MESSAGES}"))?;
    ensure(posted["text"] == text, format!("the API stored {posted}"))?;
    ensure(posted["author"] == "ada", format!("the author is the token's sub: {posted}"))?;
    let listed = body_of(&call(b, "messages").await?, &format!("200 messages: GET {MESSAGES}"))?;
    let newest = listed.as_array().and_then(|list| list.last()).cloned().unwrap_or_default();
    ensure(newest == posted, format!("the newest listed message is {newest}"))?;
    let deleted = call(b, "delete").await?;
    let id = &posted["id"];
    ensure(deleted == format!("204 delete: DELETE {MESSAGES}/{id}\n(no content)"), format!("delete: {deleted}"))?;
    let listed = body_of(&call(b, "messages").await?, &format!("200 messages: GET {MESSAGES}"))?;
    let gone = listed.as_array().is_some_and(|list| list.iter().all(|m| m["id"] != posted["id"]));
    ensure(gone, format!("still listed after the delete: {listed}"))?;
    // A body the API refuses comes back with its status and the API's own words.
    type_message(b, "").await?;
    let refused = call(b, "post").await?;
    ensure(refused.starts_with("400 post: ") && refused.contains("error"), format!("an empty message: {refused}"))?;
    b.wait_text("auth-status", "signed-in").await
}

async fn refreshes_by_resource(f: &Fixture) -> Result<Value, String> {
    Ok(f.provider_stats().await?["refresh_by_resource"].clone())
}

fn count_of(counts: &Value, resource: &str) -> u64 {
    counts[resource].as_u64().unwrap_or(0)
}

/// The sign-in's own token names no resource (the provider's default audience).
const MAIN_API: &str = "none";
const REPORTS_API: &str = "https://reports.leptos-pkce.test";

/// Two tabs each call both APIs ten times at the same moment after each expiry: at most one
/// refresh per API and round, and the rotating refresh token is never spent twice.
async fn two_apis_in_a_burst_from_two_tabs_refresh_once_per_api(f: &Fixture, b: &Browser) -> Outcome {
    open_api_page(f, b, json!({})).await?;
    let before = refreshes_by_resource(f).await?;
    let reports = call(b, "reports").await?;
    ensure(
        reports.starts_with("200 reports: ") && reports.contains("sign-ins this week"),
        format!("reports: {reports}"),
    )?;
    let first_token = refreshes_by_resource(f).await?;
    ensure(
        count_of(&first_token, REPORTS_API) == count_of(&before, REPORTS_API) + 1,
        format!("the reports token comes from one refresh naming its resource: {first_token}"),
    )?;
    let first = b.tab().await?;
    b.open_tab().await?;
    b.goto("/api").await?;
    b.wait_text("auth-status", "signed-in").await?;
    let second = b.tab().await?;
    let (start, errors) = (refreshes_by_resource(f).await?, grant_errors(f).await?);
    const ROUNDS: u64 = 3;
    for round in 0..ROUNDS {
        b.wait_token_expired().await?;
        let (counts, ok) = (refreshes_by_resource(f).await?, f.api_answers(200));
        let at = b.script("return Date.now() + 300;").await?.as_f64().unwrap_or_default();
        let burst =
            format!("for (let i = 0; i < 10; i++) {{ {} {} }}", click_script("private"), click_script("reports"));
        for tab in [&first, &second] {
            b.switch_to(tab.clone()).await?;
            b.script(&format!("setTimeout(() => {{ {burst} }}, {at} - Date.now()); return true;")).await?;
        }
        wait_api_answers(f, 200, ok + 40).await.map_err(|e| format!("round {round}: {e}"))?;
        let after = refreshes_by_resource(f).await?;
        for api in [MAIN_API, REPORTS_API] {
            let made = count_of(&after, api) - count_of(&counts, api);
            ensure(made <= 1, format!("round {round}: {made} refreshes for {api} in one burst"))?;
        }
        ensure(count_of(&after, MAIN_API) == count_of(&counts, MAIN_API) + 1, "the expired main token was refreshed")?;
    }
    let end = refreshes_by_resource(f).await?;
    let reports_refreshes = count_of(&end, REPORTS_API) - count_of(&start, REPORTS_API);
    ensure(reports_refreshes >= 1, "the reports token was renewed too")?;
    ensure(grant_errors(f).await? == errors, "a refresh token was spent twice (invalid_grant)")?;
    for tab in [first, second] {
        b.switch_to(tab).await?;
        b.wait_text("auth-status", "signed-in").await?;
    }
    Ok(())
}

/// The access token's expiry as the page shows it.
async fn shown_expiry(b: &Browser) -> Result<String, String> {
    let at = b.script("return document.querySelector('[data-testid=token-expiry]')?.dataset.expiresAt ?? '';").await?;
    Ok(at.as_str().unwrap_or_default().to_owned())
}

async fn coming_back_online_or_into_view_refreshes_an_expired_token_once(f: &Fixture, b: &Browser) -> Outcome {
    open_api_page(f, b, json!({})).await?;
    b.wait_token_expired().await?;
    let (before, expiry) = (refreshes(f).await?, shown_expiry(b).await?);
    b.script(
        "for (let i = 0; i < 5; i++) { window.dispatchEvent(new Event('online')); \
         document.dispatchEvent(new Event('visibilitychange')); } return true;",
    )
    .await?;
    wait_for("a renewed token on the page", || async {
        let now = shown_expiry(b).await?;
        if now != expiry { Ok(Some(())) } else { Err(format!("still {now}")) }
    })
    .await?;
    // Every wake-up queued its refresh behind the lock before this request: when it is granted,
    // they have all run.
    b.script("return await navigator.locks.request('leptos-pkce.refresh', () => true);").await?;
    let made = refreshes(f).await? - before;
    ensure(made == 1, format!("ten wake-up events made {made} refreshes"))?;
    call_ok(b, "private").await?;
    ensure(refreshes(f).await? == before + 1, "the renewed token served the next call")
}

/// Shifts the page's clock by `minutes` in every document the browser opens from now on.
async fn shift_device_clock(f: &Fixture, b: &Browser, minutes: i64) -> Outcome {
    let shift = minutes * 60_000;
    let source = format!(
        "(() => {{ const Real = Date; const now = () => Real.now() + ({shift}); \
         class Shifted extends Real {{ constructor(...a) {{ if (a.length) super(...a); else super(now()); }} \
         static now() {{ return now(); }} }} globalThis.Date = Shifted; }})();"
    );
    b.cdp(f.driver_url(), "Page.addScriptToEvaluateOnNewDocument", json!({"source": source})).await.map(drop)
}

async fn a_device_clock_minutes_behind_works_within_the_leeway(f: &Fixture, b: &Browser) -> Outcome {
    shift_device_clock(f, b, -5).await?;
    // DPoP proofs are dated too: by the provider's clock, learned from the ID token.
    open_api_page(f, b, json!({"leeway_seconds": 600, "dpop": true})).await?;
    let skew =
        b.script("return Math.round((Date.now() - performance.timeOrigin - performance.now()) / 60000);").await?;
    ensure(skew.as_i64() == Some(-5), format!("the page's clock is off by {skew} min"))?;
    call_ok(b, "private").await?;
    let reports = call(b, "reports").await?;
    ensure(reports.starts_with("200 reports: "), format!("reports: {reports}"))
}

async fn a_device_clock_beyond_the_leeway_is_a_clear_error(f: &Fixture, b: &Browser) -> Outcome {
    shift_device_clock(f, b, -30).await?;
    f.override_config_keys(json!({"leeway_seconds": 600}))?;
    b.goto("/").await?;
    b.wait_text("auth-status", "signed-out").await?;
    b.click("sign-in").await?;
    b.sign_in_at_provider("ada").await?;
    let error = b.wait_present("auth-error").await?;
    ensure(
        error.starts_with("id_token_claim:") && error.contains("about 30 min behind"),
        format!("a clock 30 min behind: {error}"),
    )?;
    b.wait_text("auth-status", "signed-out").await
}

async fn without_multi_resource_refresh_another_api_takes_one_redirect_back_to_the_page(
    f: &Fixture,
    b: &Browser,
) -> Outcome {
    f.without_multi_resource_refresh(async {
        open_api_page(f, b, json!({"token_storage": "local"})).await?;
        call_ok(b, "private").await?;
        let (codes, errors) = (stat(f, "authorization_code").await?, grant_errors(f).await?);
        // Away to the provider and back to this page: a sign-in for the reports API alone.
        call_signing_in_once(f, b, "reports").await?;
        let reports = call(b, "reports").await?;
        ensure(reports.starts_with("200 reports: "), format!("reports after the redirect: {reports}"))?;
        call_ok(b, "private").await?;
        // Both stay renewable: the reports token with its own refresh token, without a resource.
        let before = refreshes_by_resource(f).await?;
        wait_for("every stored access token to expire", || async {
            let js = "const p = new URLSearchParams(localStorage.getItem('leptos-pkce.tokens') || ''); \
                      const times = [p.get('expires_at'), ...p.getAll('api').map(a => new URLSearchParams(a).get('expires_at'))]; \
                      return Math.max(...times.map(Number)) - Date.now() / 1000;";
            let left = b.script(js).await?.as_f64().unwrap_or(f64::NAN);
            if left <= 0.0 { Ok(Some(())) } else { Err(format!("{left:.1}s to go")) }
        })
        .await?;
        let reports = call(b, "reports").await?;
        ensure(reports.starts_with("200 reports: "), format!("reports after expiry: {reports}"))?;
        call_ok(b, "private").await?;
        let after = refreshes_by_resource(f).await?;
        ensure(count_of(&after, MAIN_API) == count_of(&before, MAIN_API) + 2, "both renewed without a resource")?;
        ensure(stat(f, "authorization_code").await? == codes + 1, "one redirect in all")?;
        // The one refused refresh (naming the resource), and nothing else refused.
        ensure(grant_errors(f).await? == errors + 1, "only the first refresh for reports was refused")?;
        // Sign-out revokes both refresh tokens: the session's and the reports API's own.
        let js = "const p = new URLSearchParams(localStorage.getItem('leptos-pkce.tokens') || ''); \
                  return [p.get('refresh_token'), ...p.getAll('api').map(a => new URLSearchParams(a).get('own_refresh_token'))];";
        let held: Vec<String> = b.script(js).await?.as_array().into_iter().flatten()
            .filter_map(|t| t.as_str().map(str::to_owned)).collect();
        ensure(held.len() == 2, format!("expected the session's and the API's refresh tokens, saw {}", held.len()))?;
        b.click("sign-out").await?;
        b.wait_url(e2e::services::IDP).await?;
        for token in held {
            refused_at_the_provider(f, &token, "a refresh token outlived sign-out").await?;
        }
        Ok(())
    })
    .await
}

/// Finding: a sign-in for one extra API joined the session without checking it was the same
/// person. Here the provider session ends and someone else signs in for the reports API: a clear
/// error, and the reports API never gets their token.
async fn a_sign_in_for_another_api_by_another_person_is_refused(f: &Fixture, b: &Browser) -> Outcome {
    f.without_multi_resource_refresh(async {
        open_api_page(f, b, json!({"token_storage": "local"})).await?;
        call_ok(b, "private").await?;
        // The provider's cookies share the host 127.0.0.1 with the app's.
        b.delete_cookies().await?;
        b.script(&format!("{} return true;", click_script("reports"))).await?;
        b.sign_in_at_provider("grace").await?;
        let error = b.wait_present("auth-error").await?;
        ensure(
            error.starts_with("id_token_claim:") && error.contains("another person"),
            format!("auth-error says {error:?}"),
        )?;
        let stored = b.script("return localStorage.getItem('leptos-pkce.tokens') || '';").await?;
        ensure(!stored.as_str().unwrap_or_default().contains("api="), "grace's reports token joined ada's session")
    })
    .await
}

async fn without_multi_resource_refresh_a_lone_tab_in_memory_mode_gets_a_clear_error(
    f: &Fixture,
    b: &Browser,
) -> Outcome {
    f.without_multi_resource_refresh(async {
        open_api_page(f, b, json!({})).await?;
        let codes = stat(f, "authorization_code").await?;
        let reports = call(b, "reports").await?;
        ensure(reports.starts_with("reports: audience_refused: "), format!("reports: {reports}"))?;
        ensure(stat(f, "authorization_code").await? == codes, "no redirect that would lose the session")?;
        b.wait_text("auth-status", "signed-in").await?;
        call_ok(b, "private").await
    })
    .await
}

/// The token values the app keeps in `local` mode: access, refresh and ID token.
const TOKENS: [&str; 3] = ["access_token", "refresh_token", "id_token"];

/// `/flow` after a sign-in, an API call, an expiry, a refresh and another call: every step in
/// order, the challenge is the spent verifier's S256, and no token (spent or live) is on the page
/// or in the journal.
async fn the_flow_page_shows_each_step_and_no_token(f: &Fixture, b: &Browser) -> Outcome {
    open_api_page(f, b, json!({"token_storage": "local"})).await?;
    call_ok(b, "private").await?;
    let mut tokens = b.stored(&TOKENS).await?;
    b.wait_token_expired().await?;
    call_ok(b, "private").await?;
    tokens.extend(b.stored(&TOKENS).await?);
    ensure(tokens[1] != tokens[4], "the refresh token rotated")?;
    b.click_link("/flow").await?;
    b.wait_present("flow-step").await?;
    let steps =
        b.script("return [...document.querySelectorAll('[data-testid=flow-step]')].map(s => s.dataset.step);").await?;
    let steps: Vec<&str> = steps.as_array().into_iter().flatten().filter_map(|s| s.as_str()).collect();
    let sign_in = ["verifier", "challenge", "authorize", "callback", "token", "id-token", "access-token"];
    let expected: Vec<&str> = sign_in.into_iter().chain(["api-call", "refresh", "api-call"]).collect();
    ensure(steps == expected, format!("steps {steps:?}"))?;
    let detail = |step: &str, name: &str| format!("[data-step={step}] [data-detail={name}]");
    let verifier = b.css_text(&detail("token", "code_verifier")).await?.unwrap_or_default();
    let challenge = b.css_text(&detail("challenge", "code_challenge")).await?.unwrap_or_default();
    let s256 = b
        .script(&format!(
            "return crypto.subtle.digest('SHA-256', new TextEncoder().encode({verifier:?})).then(d => \
             btoa(String.fromCharCode(...new Uint8Array(d))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, ''));"
        ))
        .await?;
    ensure(
        verifier.len() >= 43 && s256.as_str() == Some(challenge.as_str()),
        format!("{challenge} is not S256({verifier})"),
    )?;
    let redacted = b.css_text(&detail("token", "refresh_token")).await?.unwrap_or_default();
    ensure(redacted.starts_with("(redacted"), format!("the refresh token reads {redacted:?}"))?;
    let sub = b.css_text(&detail("access-token", "sub")).await?;
    ensure(sub.as_deref() == Some("ada"), format!("the access token's sub reads {sub:?}"))?;
    let page = b.script("return document.body.innerText;").await?;
    let journal = b.script("return sessionStorage.getItem('leptos-pkce.flow');").await?;
    let (page, journal) = (page.as_str().unwrap_or_default(), journal.as_str().unwrap_or_default());
    ensure(!journal.is_empty(), "the journal is in sessionStorage")?;
    let leaked = tokens.iter().any(|t| page.contains(t.as_str()) || journal.contains(t.as_str()));
    ensure(!leaked && !page.contains("eyJ") && !journal.contains("eyJ"), "a token is on /flow or in its journal")
}

/// RFC 9470: `/api/recent` wants a sign-in at most 5 s old (the suite's API, `router_step_up`).
/// An older one meets `insufficient_user_authentication` with `max_age`, and the client signs in
/// once with it: the provider asks for the password again though its session lives (it honours
/// `max_age`), and the page it comes back to gets its answer.
async fn an_api_asking_for_a_recent_sign_in_gets_one_back_on_the_same_page(f: &Fixture, b: &Browser) -> Outcome {
    open_api_page(f, b, json!({})).await?;
    six_seconds_pass(b).await?;
    let codes = stat(f, "authorization_code").await?;
    b.script(&format!("{} return true;", click_script("recent"))).await?;
    b.sign_in_at_provider("ada").await?;
    b.wait_url(&format!("{APP}/api")).await?;
    b.wait_text("auth-status", "signed-in").await?;
    ensure(stat(f, "authorization_code").await? == codes + 1, "one sign-in for the step-up")?;
    let recent = call(b, "recent").await?;
    ensure(
        recent.starts_with("200 recent: ") && recent.contains("recent sign-in"),
        format!("after the step-up: {recent}"),
    )?;
    // A refusal right after a step-up (as when the provider cannot give what the API asks; here
    // the tab's note of a step-up made this second) is an error, not another round trip.
    six_seconds_pass(b).await?;
    b.script("sessionStorage.setItem('leptos-pkce.step-up', String(Math.floor(Date.now() / 1000))); return true;")
        .await?;
    let refused = call(b, "recent").await?;
    ensure(refused.starts_with("401 recent: the API wants a more recent"), format!("refused again: {refused}"))?;
    ensure(stat(f, "authorization_code").await? == codes + 1, "no second step-up in a row")
}

/// Waits until the page's clock has moved on six seconds.
async fn six_seconds_pass(b: &Browser) -> Outcome {
    let start = b.script("return Date.now();").await?.as_f64().unwrap_or_default();
    wait_for("six seconds to pass", || async {
        let passed = b.script("return Date.now();").await?.as_f64().unwrap_or_default() - start;
        if passed >= 6000.0 { Ok(Some(())) } else { Err(format!("{passed} ms")) }
    })
    .await
}

e2e::suite!(
    access_token_ttl: ACCESS_TOKEN_TTL,
    api_calls_keep_working_across_expiries,
    the_flow_page_shows_each_step_and_no_token,
    a_refresh_whose_code_cannot_be_fetched_is_a_passing_network_error,
    a_burst_of_20_calls_on_an_expired_token_makes_one_refresh,
    two_tabs_in_memory_mode_never_spend_a_refresh_token_twice,
    two_tabs_in_local_mode_never_spend_a_refresh_token_twice,
    a_revoked_refresh_token_signs_out_cleanly_and_sign_in_works_again,
    the_api_down_shows_an_error_and_keeps_you_signed_in,
    sign_out_wins_over_a_refresh_in_flight,
    a_tab_that_hears_of_a_rotation_late_never_spends_the_old_refresh_token,
    a_script_on_the_tab_channel_never_gets_a_refresh_token,
    a_tab_left_without_the_refresh_token_signs_in_again_silently,
    a_sign_in_for_another_api_by_another_person_is_refused,
    a_provider_outage_during_refresh_keeps_the_refresh_token,
    a_server_error_is_typed_and_keeps_you_signed_in,
    a_call_without_an_answer_times_out_and_the_next_one_works,
    an_invalid_token_answer_refreshes_once_and_retries_once,
    a_call_without_the_scope_is_not_permitted_and_makes_no_refresh,
    messages_are_posted_as_json_listed_and_deleted,
    two_apis_in_a_burst_from_two_tabs_refresh_once_per_api,
    coming_back_online_or_into_view_refreshes_an_expired_token_once,
    a_device_clock_minutes_behind_works_within_the_leeway,
    a_device_clock_beyond_the_leeway_is_a_clear_error,
    without_multi_resource_refresh_another_api_takes_one_redirect_back_to_the_page,
    without_multi_resource_refresh_a_lone_tab_in_memory_mode_gets_a_clear_error,
    an_api_asking_for_a_recent_sign_in_gets_one_back_on_the_same_page,
);
