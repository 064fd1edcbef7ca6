//! Sign-in end to end: real Chromium, the real local provider, the release build.

use e2e::services::APP;
use e2e::{Browser, Fixture, Outcome, ensure};

const TX_PREFIX: &str = "leptos-pkce.tx.";
/// What `memory` mode may keep in localStorage: no token, only these.
const ALLOWED_LOCAL_KEYS: [&str; 3] = ["leptos-pkce.discovery", "leptos-pkce.jwks", "leptos-pkce.signed-in"];

async fn code_exchanges(f: &Fixture) -> Result<u64, String> {
    Ok(f.provider_stats().await?["authorization_code"].as_u64().unwrap_or(u64::MAX))
}

/// No token anywhere in storage, no pending transaction left behind.
async fn nothing_stored(b: &Browser) -> Outcome {
    let local = b.storage_keys("localStorage").await?;
    ensure(local.iter().all(|k| ALLOWED_LOCAL_KEYS.contains(&k.as_str())), format!("localStorage has {local:?}"))?;
    let all = b.all_storage().await?;
    ensure(!all.contains("eyJ") && !all.contains("access_token"), "a token is in storage")
}

async fn no_transactions(b: &Browser) -> Outcome {
    let session = b.storage_keys("sessionStorage").await?;
    ensure(!session.iter().any(|k| k.starts_with(TX_PREFIX)), format!("a login transaction was left: {session:?}"))
}

async fn sign_in_shows_the_user_and_leaves_no_trace(f: &Fixture, b: &Browser) -> Outcome {
    let before = code_exchanges(f).await?;
    b.sign_in("ada").await?;
    b.wait_text("user-name", "Ada").await?;
    let url = b.url().await?;
    ensure(url == format!("{APP}/"), format!("the address bar still shows the callback: {url}"))?;
    no_transactions(b).await?;
    nothing_stored(b).await?;
    ensure(code_exchanges(f).await? == before + 1, "expected exactly one code exchange")
}

async fn the_profile_shows_the_id_token_claims(_f: &Fixture, b: &Browser) -> Outcome {
    b.sign_in("grace").await?;
    b.click_link("/profile").await?;
    b.wait_css_text("[data-claim=sub]", "grace").await?;
    b.wait_css_text("[data-claim=email]", "grace@example.test").await?;
    b.wait_css_text("[data-claim=name]", "Grace").await?;
    b.wait_css_text(r#"[data-claim="https://leptos-pkce.test/roles"]"#, r#"["reader"]"#).await
}

async fn a_reload_stays_signed_in(f: &Fixture, b: &Browser) -> Outcome {
    b.sign_in("ada").await?;
    let before = code_exchanges(f).await?;
    b.reload().await?;
    b.wait_text("auth-status", "signed-in").await?;
    b.wait_text("user-name", "Ada").await?;
    ensure(code_exchanges(f).await? == before + 1, "the reload should sign in silently with one exchange")?;
    nothing_stored(b).await
}

async fn a_second_tab_gets_the_session_from_the_first(f: &Fixture, b: &Browser) -> Outcome {
    b.sign_in("ada").await?;
    let before = code_exchanges(f).await?;
    b.open_tab().await?;
    b.goto("/profile").await?;
    b.wait_css_text("[data-claim=sub]", "ada").await?;
    ensure(code_exchanges(f).await? == before, "the second tab should not need the provider")
}

async fn sign_out_ends_every_tab_and_the_provider_session(_f: &Fixture, b: &Browser) -> Outcome {
    b.sign_in("ada").await?;
    let first = b.open_tab().await?;
    b.goto("/").await?;
    b.wait_text("auth-status", "signed-in").await?;
    let second = b.tab().await?;
    b.switch_to(first).await?;
    b.click("sign-out").await?;
    b.confirm_provider_logout().await?;
    b.wait_url(APP).await?;
    b.wait_text("auth-status", "signed-out").await?;
    nothing_stored(b).await?;
    let marker = b.script("return localStorage.getItem('leptos-pkce.signed-in');").await?;
    ensure(marker.is_null(), "the signed-in marker outlived sign-out")?;
    b.switch_to(second).await?;
    b.wait_text("auth-status", "signed-out").await?;
    b.reload().await?;
    b.wait_text("auth-status", "signed-out").await?;
    // The provider session is over: signing in asks for the login again.
    b.click("sign-in").await?;
    b.sign_in_at_provider("ada").await?;
    b.wait_text("auth-status", "signed-in").await
}

async fn a_protected_route_sends_to_sign_in_and_back(_f: &Fixture, b: &Browser) -> Outcome {
    b.goto("/profile?tab=claims").await?;
    b.sign_in_at_provider("linus").await?;
    b.wait_url(&format!("{APP}/profile?tab=claims")).await?;
    b.wait_css_text("[data-claim=sub]", "linus").await
}

async fn a_reload_after_the_provider_session_ended_signs_out_without_a_loop(f: &Fixture, b: &Browser) -> Outcome {
    b.sign_in("ada").await?;
    // Cookies are per host, not per port: this ends the provider's session too.
    b.delete_cookies().await?;
    let before = code_exchanges(f).await?;
    b.reload().await?;
    b.wait_text("auth-status", "signed-out").await?;
    b.wait_url(&format!("{APP}/")).await?;
    ensure(b.text("auth-error").await?.is_none(), "login_required is not an error")?;
    let marker = b.script("return localStorage.getItem('leptos-pkce.signed-in');").await?;
    ensure(marker.is_null(), "the marker should be cleared so the next load makes no redirect")?;
    b.reload().await?;
    b.wait_text("auth-status", "signed-out").await?;
    ensure(b.url().await?.starts_with(APP), "a second silent attempt was made")?;
    ensure(code_exchanges(f).await? == before, "no code should have been exchanged")
}

async fn a_first_visit_makes_no_redirect(_f: &Fixture, b: &Browser) -> Outcome {
    b.goto("/").await?;
    b.wait_text("auth-status", "signed-out").await?;
    let url = b.url().await?;
    ensure(url == format!("{APP}/"), format!("a first-time visitor was sent to {url}"))
}

/// The error shows as text with its code, nothing is kept, and "try again" signs in (through the
/// login form unless the provider still has a session).
async fn refused_then_try_again(f: &Fixture, b: &Browser, code: &str, before: u64, has_session: bool) -> Outcome {
    let error = b.wait_present("auth-error").await?;
    ensure(error.starts_with(&format!("{code}:")), format!("auth-error says {error:?}"))?;
    b.wait_text("auth-status", "signed-out").await?;
    ensure(code_exchanges(f).await? == before, "a refused callback reached the token endpoint")?;
    nothing_stored(b).await?;
    b.click("try-again").await?;
    if !has_session {
        b.sign_in_at_provider("ada").await?;
    }
    b.wait_text("auth-status", "signed-in").await
}

async fn a_forged_state_is_refused(f: &Fixture, b: &Browser) -> Outcome {
    let before = code_exchanges(f).await?;
    b.goto("/callback?code=stolen&state=forged").await?;
    refused_then_try_again(f, b, "state_mismatch", before, false).await
}

async fn signing_in_from_the_callback_page_comes_back_home(_f: &Fixture, b: &Browser) -> Outcome {
    b.goto("/callback?code=stolen&state=forged").await?;
    b.wait_present("auth-error").await?;
    b.click("sign-in").await?;
    b.sign_in_at_provider("ada").await?;
    b.wait_text("auth-status", "signed-in").await?;
    let url = b.url().await?;
    ensure(url == format!("{APP}/"), format!("came back to {url}"))
}

async fn a_replayed_callback_is_refused(f: &Fixture, b: &Browser) -> Outcome {
    b.sign_in("ada").await?;
    let callback = b.script("return performance.getEntriesByType('navigation')[0].name;").await?;
    let callback = callback.as_str().unwrap_or_default().to_owned();
    ensure(callback.contains("code=") && callback.contains("state="), format!("not a callback URL: {callback}"))?;
    let before = code_exchanges(f).await?;
    b.goto(&callback).await?;
    refused_then_try_again(f, b, "state_mismatch", before, true).await
}

async fn a_provider_error_with_markup_is_shown_as_text(f: &Fixture, b: &Browser) -> Outcome {
    b.goto("/").await?;
    b.click("sign-in").await?;
    b.wait_url("http://127.0.0.1:4000/").await?;
    b.goto("/").await?;
    let state =
        b.script(&format!("return Object.keys(sessionStorage).find(k => k.startsWith('{TX_PREFIX}'));")).await?;
    let state = state.as_str().and_then(|k| k.strip_prefix(TX_PREFIX)).ok_or("no pending transaction")?.to_owned();
    let markup = r#"<script>window.__injected=1</script><img src=x onerror="window.__injected=2">"#;
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("error", "access_denied")
        .append_pair("error_description", markup)
        .append_pair("state", &state)
        .append_pair("iss", "http://127.0.0.1:4000/")
        .finish();
    let before = code_exchanges(f).await?;
    b.goto(&format!("/callback?{query}")).await?;
    let error = b.wait_present("auth-error").await?;
    ensure(error.contains(markup), format!("the description should show as text: {error:?}"))?;
    let injected =
        b.script("return [window.__injected, document.querySelectorAll('main script, main img').length];").await?;
    ensure(injected == serde_json::json!([null, 0]), format!("markup became live: {injected}"))?;
    refused_then_try_again(f, b, "provider_error", before, false).await
}

async fn the_security_policy_blocks_an_injected_inline_script(_f: &Fixture, b: &Browser) -> Outcome {
    let response = reqwest::get(format!("{APP}/profile")).await.map_err(e2e::fail("GET /profile"))?;
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let policy = header("content-security-policy");
    for directive in ["script-src 'self' 'wasm-unsafe-eval' 'sha256-", "object-src 'none'", "frame-ancestors 'none'"] {
        ensure(policy.contains(directive), format!("the policy lacks {directive}: {policy}"))?;
    }
    ensure(header("referrer-policy") == "no-referrer", "Referrer-Policy")?;
    // The app itself runs under the policy (every other scenario too).
    b.goto("/").await?;
    b.wait_text("auth-status", "signed-out").await?;
    b.script(
        "window.__violations = [];
         document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.effectiveDirective));
         const s = document.createElement('script');
         s.textContent = 'window.__injected = 1';
         document.body.appendChild(s);
         return true;",
    )
    .await?;
    let violated = e2e::browser::wait_for("a CSP violation report", || async {
        let v = b.script("return window.__violations;").await?;
        if v.as_array().is_some_and(|a| !a.is_empty()) { Ok(Some(v)) } else { Err(format!("saw {v}")) }
    })
    .await?;
    ensure(violated.to_string().contains("script-src"), format!("violations: {violated}"))?;
    let injected = b.script("return window.__injected === undefined;").await?;
    ensure(injected == serde_json::json!(true), "the injected inline script ran")
}

async fn a_broken_config_shows_a_config_error(f: &Fixture, b: &Browser) -> Outcome {
    let cases = [
        ("{ not json", "config.json"),
        (r#"{"domain":"http://id.example.com","client_id":"x"}"#, "https"),
        (r#"{"client_id":"x"}"#, "domain"),
    ];
    let mut result = Ok(());
    for (body, mention) in cases {
        f.override_config(body);
        result = async {
            b.goto("/").await?;
            let text = b.wait_present("config-error").await?;
            ensure(text.contains(mention), format!("config-error for {body:?} says {text:?}"))
        }
        .await;
        if result.is_err() {
            break;
        }
    }
    f.restore_config();
    result
}

e2e::suite!(
    access_token_ttl: 60,
    sign_in_shows_the_user_and_leaves_no_trace,
    the_profile_shows_the_id_token_claims,
    a_reload_stays_signed_in,
    a_second_tab_gets_the_session_from_the_first,
    sign_out_ends_every_tab_and_the_provider_session,
    a_protected_route_sends_to_sign_in_and_back,
    a_reload_after_the_provider_session_ended_signs_out_without_a_loop,
    a_first_visit_makes_no_redirect,
    a_forged_state_is_refused,
    signing_in_from_the_callback_page_comes_back_home,
    a_replayed_callback_is_refused,
    a_provider_error_with_markup_is_shown_as_text,
    the_security_policy_blocks_an_injected_inline_script,
    a_broken_config_shows_a_config_error,
);
