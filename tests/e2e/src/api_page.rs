//! The `/api` page as the API suites drive it: sign in with a config, click a named call, read
//! its outcome; the provider's counters.

use serde_json::{Value, json};

use crate::browser::wait_for;
use crate::services::{APP, get_json};
use crate::{Browser, Fixture, Harness, Outcome, ensure};

/// Access tokens live this long, so a test crosses several expiries in seconds.
pub const ACCESS_TOKEN_TTL: u32 = 4;
/// The app's leeway: refresh one second before expiry.
pub const LEEWAY: u64 = 1;

/// One of the provider's counters (`/__dev/stats`).
pub async fn stat<H: Harness>(f: &H, key: &str) -> Result<u64, String> {
    get_json(&f.provider_stats_url()).await?[key].as_u64().ok_or_else(|| format!("no {key} in the provider's stats"))
}

/// Authorization codes the provider exchanged for tokens.
pub async fn code_exchanges<H: Harness>(f: &H) -> Result<u64, String> {
    stat(f, "authorization_code").await
}

/// Refresh-token grants the provider answered.
pub async fn refreshes<H: Harness>(f: &H) -> Result<u64, String> {
    stat(f, "refresh_token").await
}

/// Token requests the provider refused.
pub async fn grant_errors<H: Harness>(f: &H) -> Result<u64, String> {
    stat(f, "errors").await
}

/// Signs in with `changes` to config.json (plus the short leeway) and opens `/api`.
pub async fn open_api_page(f: &Fixture, b: &Browser, changes: Value) -> Outcome {
    let scope = "openid profile email offline_access read:messages write:messages";
    let mut config = json!({"leeway_seconds": LEEWAY, "token_storage": "memory", "scope": scope});
    for (key, value) in changes.as_object().into_iter().flatten() {
        config[key] = value.clone();
    }
    f.override_config_keys(config)?;
    b.sign_in("ada").await?;
    b.click_link("/api").await?;
    b.wait_present("token-expiry").await.map(drop)
}

/// Clicks the `/api` button named `label` (its text, per the automation contract).
pub fn click_script(label: &str) -> String {
    format!(
        "[...document.querySelectorAll('[data-testid=call-api]')].find(b => b.textContent.trim() === '{label}').click();"
    )
}

/// Calls an endpoint from the page and returns the outcome it shows: `[status ]label: …`.
pub async fn call(b: &Browser, label: &str) -> Result<String, String> {
    // The page's own module may still be loading (after a reload on `/api`).
    b.wait_present("call-api").await?;
    b.script(&format!("{} return true;", click_script(label))).await?;
    outcome_of(b, label).await
}

/// Waits for the outcome of the `label` call already started: `[status ]label: …`.
pub async fn outcome_of(b: &Browser, label: &str) -> Result<String, String> {
    wait_for(&format!("the {label} call's outcome"), || async {
        let text = b.text("api-result").await?.unwrap_or_default();
        let rest = text.split_once(' ').filter(|(status, _)| status.parse::<u16>().is_ok()).map_or(&*text, |(_, r)| r);
        let done = rest.starts_with(&format!("{label}: ")) && !text.ends_with("calling…");
        if done { Ok(Some(text)) } else { Err(format!("saw {text:?}")) }
    })
    .await
}

/// Calls an endpoint and expects a `200` greeting.
pub async fn call_ok(b: &Browser, label: &str) -> Outcome {
    let text = call(b, label).await?;
    ensure(text.starts_with("200 ") && text.contains("Hello"), format!("the {label} call failed: {text}"))
}

/// Waits until the API has answered `status` at least `at_least` times in all.
pub async fn wait_api_answers(f: &Fixture, status: u16, at_least: u64) -> Outcome {
    wait_for(&format!("{at_least} API answers with {status}"), || async {
        let n = f.api_answers(status);
        if n >= at_least { Ok(Some(())) } else { Err(format!("{n} so far")) }
    })
    .await
}

/// Joins the tab channel as any script of the origin could, keeps what it hears in
/// `window.__heard` and asks the tabs for their tokens.
pub const CHANNEL_SPY: &str = "window.__heard = []; window.__spy = new BroadcastChannel('leptos-pkce'); \
    window.__spy.onmessage = (event) => window.__heard.push(String(event.data)); \
    window.__spy.postMessage('kind=request'); return true;";

/// The token sets the [`CHANNEL_SPY`] of this tab heard, once it heard at least `sets`.
pub async fn heard_token_sets(b: &Browser, sets: usize) -> Result<Vec<String>, String> {
    wait_for(&format!("{sets} token sets on the tab channel"), || async {
        let heard = b.script("return window.__heard.filter((m) => m.startsWith('kind=tokens'));").await?;
        let heard: Vec<String> =
            heard.as_array().into_iter().flatten().filter_map(|m| m.as_str().map(str::to_owned)).collect();
        if heard.len() >= sets { Ok(Some(heard)) } else { Err(format!("{} so far", heard.len())) }
    })
    .await
}

/// Clicks the `/api` button `label`, whose call takes one sign-in at the provider (its session
/// signs in at once), and waits to be back on `/api`, signed in.
pub async fn call_signing_in_once(f: &Fixture, b: &Browser, label: &str) -> Outcome {
    let codes = stat(f, "authorization_code").await?;
    b.script(&format!("{} return true;", click_script(label))).await?;
    wait_for("one sign-in at the provider", || async {
        let made = stat(f, "authorization_code").await? - codes;
        if made == 1 { Ok(Some(())) } else { Err(format!("{made} code exchanges")) }
    })
    .await?;
    b.wait_url(&format!("{APP}/api")).await?;
    b.wait_text("auth-status", "signed-in").await
}

/// Spends `refresh_token` at the provider as another client would: it must be refused
/// (`invalid_grant`); `what` names it otherwise.
pub async fn refused_at_the_provider(f: &Fixture, refresh_token: &str, what: &str) -> Outcome {
    let form = format!("grant_type=refresh_token&refresh_token={refresh_token}&client_id=leptos-pkce-dev");
    let (status, body) = f.post_to_provider("/oauth/token", &form).await?;
    ensure(status == 400 && body.contains("invalid_grant"), format!("{what}: {status} {body}"))
}
