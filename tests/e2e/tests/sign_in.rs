//! Sign-in end to end: real Chromium, the real local provider, the release build.

use e2e::api_page::{code_exchanges, refused_at_the_provider};
use e2e::scenarios::{
    TX_PREFIX, a_reload_after_the_provider_session_ended_signs_out_without_a_loop, a_reload_stays_signed_in,
    a_second_tab_gets_the_session_from_the_first, no_login_pending, no_token_stored, nothing_stored,
    sign_in_shows_the_user_and_leaves_no_trace, sign_out_ends_every_tab_and_the_provider_session,
    sign_up_opens_the_providers_sign_up_screen, the_same_callback_in_two_tabs_is_exchanged_once,
};
use e2e::services::{APP, IDP};
use e2e::{Browser, Fixture, Outcome, ensure};
use serde_json::json;

async fn the_profile_shows_the_id_token_claims(_f: &Fixture, b: &Browser) -> Outcome {
    b.sign_in("grace").await?;
    b.click_link("/profile").await?;
    b.wait_css_text("[data-claim=sub]", "grace").await?;
    b.wait_css_text("[data-claim=email]", "grace@example.test").await?;
    b.wait_css_text("[data-claim=name]", "Grace").await?;
    // Roles and granted scopes as chips, the picture from the ID token, a countdown that runs.
    b.wait_css_text(r#"[data-claim="https://leptos-pkce.test/roles"] .chip"#, "reader").await?;
    let scopes = b
        .script("return [...document.querySelectorAll('[data-testid=granted-scopes] .chip')].map(c => c.textContent);")
        .await?;
    ensure(
        scopes.as_array().is_some_and(|s| s.iter().any(|c| c == "read:messages")),
        format!("granted scopes: {scopes}"),
    )?;
    let probe = "const img = document.querySelector('img.avatar'); \
                 return img && img.complete && img.naturalWidth > 0 ? [img.currentSrc, img.alt] : null;";
    let picture = e2e::browser::wait_for("the picture to load", || async {
        let picture = b.script(probe).await?;
        if picture.is_null() { Err("not loaded".to_owned()) } else { Ok(Some(picture)) }
    })
    .await?;
    let shown = picture[0].as_str().is_some_and(|src| src.starts_with(&format!("{IDP}/avatars/grace")));
    ensure(shown && picture[1] == "", format!("the picture: {picture}"))?;
    let first = b.text("token-countdown").await?.unwrap_or_default();
    ensure(first.starts_with("in ") && first.ends_with(" s"), format!("the countdown reads {first:?}"))?;
    e2e::browser::wait_for("the countdown to move", || async {
        let now = b.text("token-countdown").await?.unwrap_or_default();
        if now != first && now.starts_with("in ") { Ok(Some(())) } else { Err(format!("still {now:?}")) }
    })
    .await?;
    // Times read as dates, not epoch seconds.
    let year = b.script("return String(new Date().getFullYear());").await?;
    for claim in ["exp", "iat"] {
        let shown = b.css_text(&format!("[data-claim={claim}]")).await?.unwrap_or_default();
        let epoch = shown.chars().all(|c| c.is_ascii_digit());
        let readable = !epoch && shown.contains(year.as_str().unwrap_or("?")) && shown.contains(':');
        ensure(readable, format!("{claim} reads {shown:?}"))?;
    }
    Ok(())
}

/// How far the page reaches past the viewport's right edge, and the narrowest claim value, in px.
/// Sideways overflow, the narrowest claim value, the widest line of `main`, and whether each
/// claim value sits beside its name (as on a desktop) rather than under it (as on a phone).
const FIT_PROBE: &str = "const over = document.documentElement.scrollWidth - window.innerWidth; \
    const dds = [...document.querySelectorAll('dd')]; \
    const widths = dds.map(d => d.getBoundingClientRect().width); \
    const main = document.querySelector('main'); const pad = getComputedStyle(main); \
    const beside = dds.every(d => d.getBoundingClientRect().left > d.previousElementSibling.getBoundingClientRect().right); \
    return [over, widths.length ? Math.min(...widths) : 9999, main.getBoundingClientRect().width - parseFloat(pad.paddingLeft) - parseFloat(pad.paddingRight), \
            dds.length > 0 && beside];";

/// Every control with an accessible name: its `aria-label`, its label's text or its own text.
const UNNAMED_PROBE: &str = "return [...document.querySelectorAll('button, a, input, select, textarea, img')] \
    .filter(e => e.tagName === 'IMG' ? !e.hasAttribute('alt') : \
        !((e.getAttribute('aria-label') || '').trim() || [...(e.labels || [])].some(l => l.textContent.trim()) \
          || e.textContent.trim())) \
    .map(e => e.outerHTML.slice(0, 80));";

/// At 390 px (a phone) and 1280 px (a desktop): no page scrolls sideways, no claim value is
/// squeezed, every control has a name; on the desktop the text column stays readable (≤ 48rem)
/// and claims sit beside their names, on the phone under them.
async fn every_page_fits_a_phone_and_a_desktop_and_names_its_controls(f: &Fixture, b: &Browser) -> Outcome {
    b.sign_in("ada").await?;
    for (width, mobile) in [(390, true), (1280, false)] {
        let screen = serde_json::json!({"width": width, "height": 844, "deviceScaleFactor": if mobile { 3 } else { 1 }, "mobile": mobile});
        b.cdp(f.driver_url(), "Emulation.setDeviceMetricsOverride", screen).await?;
        // Each page with what shows it is there (the last three are fetched on demand).
        for (path, ready) in
            [("/", ".greeting"), ("/profile", "[data-claim=sub]"), ("/api", "[data-testid=call-api]"), ("/flow", "h1")]
        {
            b.goto(path).await?;
            b.wait_text("auth-status", "signed-in").await?;
            b.wait_css_present(ready).await?;
            let fit = b.script(FIT_PROBE).await?;
            let number = |i: usize| fit[i].as_f64().unwrap_or(f64::NAN);
            let (over, narrowest, column) = (number(0), number(1), number(2));
            ensure(over <= 0.0, format!("{path} scrolls sideways by {over} px at {width} px"))?;
            ensure(narrowest >= 200.0, format!("{path}: a claim value is squeezed to {narrowest} px at {width} px"))?;
            let unnamed = b.script(UNNAMED_PROBE).await?;
            ensure(
                unnamed.as_array().is_some_and(Vec::is_empty),
                format!("{path}: controls without a name: {unnamed}"),
            )?;
            if path == "/profile" {
                ensure(fit[3] == !mobile, format!("claims beside their names at {width} px: {}", fit[3]))?;
            }
            if !mobile {
                ensure(column <= 768.0, format!("{path}: lines {column} px wide at {width} px"))?;
            }
        }
    }
    Ok(())
}

/// Finding: at 390 px, a name without spaces (a long e-mail-like login) pushed the header and
/// `/profile` sideways. In a plain 390 px window, both wrap it.
async fn a_long_name_without_spaces_wraps_on_a_phone(_f: &Fixture, b: &Browser) -> Outcome {
    let login = format!("{}@example.test", "averyveryverylongloginwithoutanyspaces".repeat(2));
    ensure(login.len() >= 60, "a 60-character login")?;
    b.resize(390, 844).await?;
    b.sign_in(&login).await?;
    let width = b.script("return window.innerWidth;").await?.as_f64().unwrap_or_default();
    ensure(width <= 400.0, format!("the window is {width} px wide, not a phone's"))?;
    for (path, ready) in [("/", "[data-testid=user-name]"), ("/profile", "[data-claim=sub]")] {
        b.goto(path).await?;
        b.wait_text("auth-status", "signed-in").await?;
        b.wait_css_present(ready).await?;
        let over = b.script("return document.documentElement.scrollWidth - window.innerWidth;").await?;
        ensure(over.as_f64().is_some_and(|o| o <= 0.0), format!("{path} scrolls sideways by {over} px"))?;
    }
    Ok(())
}

/// The relative luminance of a computed `rgb(…)` colour (WCAG 2.x), from 0 (black) to 1.
fn luminance(rgb: &str) -> Option<f64> {
    let channels: Vec<f64> = rgb
        .trim_start_matches("rgb(")
        .trim_end_matches(')')
        .split(',')
        .map(|c| c.trim().parse().ok())
        .collect::<Option<_>>()?;
    let linear = |c: f64| {
        let c = c / 255.0;
        if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    };
    Some(0.2126 * linear(*channels.first()?) + 0.7152 * linear(*channels.get(1)?) + 0.0722 * linear(*channels.get(2)?))
}

async fn the_pages_follow_a_dark_colour_scheme_with_readable_text(f: &Fixture, b: &Browser) -> Outcome {
    let dark = serde_json::json!({"features": [{"name": "prefers-color-scheme", "value": "dark"}]});
    b.cdp(f.driver_url(), "Emulation.setEmulatedMedia", dark).await?;
    b.sign_in("ada").await?;
    b.click_link("/api").await?;
    b.wait_present("api-result").await?;
    let colours = b
        .script(
            "const page = getComputedStyle(document.documentElement); \
         const box = getComputedStyle(document.querySelector('[data-testid=api-result]')); \
         return [page.backgroundColor, page.color, box.backgroundColor, box.color];",
        )
        .await?;
    let lum = |i: usize| colours[i].as_str().and_then(luminance).ok_or(format!("colours: {colours}"));
    let (page, text, result, result_text) = (lum(0)?, lum(1)?, lum(2)?, lum(3)?);
    ensure(page < 0.05 && result < 0.05, format!("dark backgrounds: {colours}"))?;
    // WCAG 2.x contrast ratio of at least 7:1 (AAA) for the text on both.
    let contrast = |fg: f64, bg: f64| (fg + 0.05) / (bg + 0.05);
    ensure(contrast(text, page) >= 7.0 && contrast(result_text, result) >= 7.0, format!("contrast: {colours}"))
}

async fn sign_out_revokes_the_refresh_token_before_leaving(f: &Fixture, b: &Browser) -> Outcome {
    f.with_config(serde_json::json!({"token_storage": "local"}), async {
        b.sign_in("ada").await?;
        let refresh_token = b.stored_refresh_token().await?;
        b.click("sign-out").await?;
        // At the provider's "sign out?" page its session is still alive: only revocation (RFC 7009)
        // can have killed the refresh token by now.
        b.wait_url(&format!("{IDP}/")).await?;
        refused_at_the_provider(f, &refresh_token, "the old refresh token still works").await?;
        b.confirm_provider_logout().await?;
        b.wait_text("auth-status", "signed-out").await?;
        let left = b.script("return localStorage.getItem('leptos-pkce.tokens');").await?;
        ensure(left.is_null(), "tokens outlived sign-out")
    })
    .await
}

async fn a_protected_route_sends_to_sign_in_and_back(_f: &Fixture, b: &Browser) -> Outcome {
    b.goto("/profile?tab=claims").await?;
    b.sign_in_at_provider("linus").await?;
    b.wait_url(&format!("{APP}/profile?tab=claims")).await?;
    b.wait_css_text("[data-claim=sub]", "linus").await
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
    // A plain sentence leads; the code is beside it, not in it.
    let summary = b.text("auth-error-summary").await?.unwrap_or_default();
    let plain = summary.ends_with('.') && summary.chars().next().is_some_and(char::is_uppercase);
    ensure(plain && !summary.contains('_') && summary.len() > 20, format!("the error's sentence is {summary:?}"))?;
    b.wait_text("auth-status", "signed-out").await?;
    ensure(code_exchanges(f).await? == before, "a refused callback reached the token endpoint")?;
    no_token_stored(b).await?;
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

/// Seeds a pending login transaction as the app writes one (made `age` seconds ago).
async fn seed_login(b: &Browser, state: &str, age: u64, verifier: &str, nonce: &str) -> Outcome {
    let js = format!(
        "sessionStorage.setItem('{TX_PREFIX}{state}', new URLSearchParams({{state: '{state}', verifier: '{verifier}',
           nonce: '{nonce}', return_to: '/', created_at: Math.floor(Date.now() / 1000) - {age}, silent: '0'}}).toString());
         return true;"
    );
    b.script(&js).await.map(drop)
}

/// Seeds a pending login transaction whose verifier and nonce no test cares about.
async fn seed_transaction(b: &Browser, state: &str, age: u64) -> Outcome {
    seed_login(b, state, age, &"v".repeat(43), "n").await
}

/// One hostile callback: what follows `/callback` (query or fragment), and the error code it must end in.
struct HostileCallback {
    name: &'static str,
    after: String,
    code: &'static str,
    /// Whether the token endpoint is (rightly) reached before the failure.
    reaches_provider: bool,
}

fn hostile_callbacks() -> Vec<HostileCallback> {
    let iss = "iss=http%3A%2F%2F127.0.0.1%3A4000%2F";
    let case =
        |name, query: String, code| HostileCallback { name, after: format!("?{query}"), code, reaches_provider: false };
    let bare = |name, after: &str| HostileCallback {
        name,
        after: after.into(),
        code: "callback_invalid",
        reaches_provider: false,
    };
    vec![
        bare("nothing at all", ""),
        bare("an unrelated query", "?utm_source=mail"),
        bare("the answer in the fragment", "#code=abc&state=S&iss=http%3A%2F%2F127.0.0.1%3A4000%2F"),
        case("state missing", format!("code=abc&{iss}"), "state_missing"),
        case("state unknown", format!("code=abc&state=forged&{iss}"), "state_mismatch"),
        case("code missing", format!("state=S&{iss}"), "code_missing"),
        case("code empty", format!("code=&state=S&{iss}"), "code_missing"),
        case("iss of another issuer", "code=abc&state=S&iss=http%3A%2F%2Fevil.test%2F".into(), "iss_mismatch"),
        case("iss without trailing slash", "code=abc&state=S&iss=http%3A%2F%2F127.0.0.1%3A4000".into(), "iss_mismatch"),
        case("iss missing though advertised", "code=abc&state=S".into(), "iss_mismatch"),
        case("code twice", format!("code=a&code=b&state=S&{iss}"), "callback_invalid"),
        case("state twice", format!("code=a&state=S&state=S&{iss}"), "callback_invalid"),
        case("oversized code", format!("code={}&state=S&{iss}", "a".repeat(5000)), "callback_invalid"),
        case("error beside a code", format!("code=abc&error=access_denied&state=S&{iss}"), "provider_error"),
        case(
            "login_required outside a silent sign-in",
            format!("error=login_required&state=S&{iss}"),
            "provider_error",
        ),
        HostileCallback {
            name: "a code the provider never issued",
            after: format!("?code=forged-code&state=S&{iss}"),
            code: "provider_error",
            reaches_provider: true,
        },
    ]
}

async fn hostile_callbacks_end_in_a_clear_error_and_keep_nothing(f: &Fixture, b: &Browser) -> Outcome {
    b.goto("/").await?;
    b.wait_text("auth-status", "signed-out").await?;
    for case in hostile_callbacks() {
        let result: Outcome = async {
            // A fresh page load each time (from `/callback`, a fragment alone would not load the page).
            b.goto("/").await?;
            seed_transaction(b, "S", 0).await?;
            let (exchanges, refused) = (code_exchanges(f).await?, f.provider_stats().await?["errors"].as_u64());
            b.goto(&format!("/callback{}", case.after)).await?;
            let error = b.wait_present("auth-error").await?;
            ensure(error.starts_with(&format!("{}:", case.code)), format!("auth-error says {error:?}"))?;
            b.wait_text("auth-status", "signed-out").await?;
            b.wait_present("try-again").await?;
            no_token_stored(b).await?;
            ensure(code_exchanges(f).await? == exchanges, "no tokens may be issued")?;
            let reached = f.provider_stats().await?["errors"].as_u64() != refused;
            ensure(reached == case.reaches_provider, format!("token endpoint reached: {reached}"))?;
            ensure(!b.url().await?.contains("code="), "the address bar still shows the callback")?;
            let fragment = case.after.starts_with('#');
            ensure(!fragment || error.contains("fragment"), format!("the fragment is not named: {error}"))
        }
        .await;
        result.map_err(|e| format!("{}: {e}", case.name))?;
        // Whatever the outcome, a callback ends every pending login of this tab.
        no_login_pending(b).await.map_err(|e| format!("{}: {e}", case.name))?;
    }
    b.click("try-again").await?;
    b.sign_in_at_provider("ada").await?;
    b.wait_text("auth-status", "signed-in").await
}

/// Finding: token requests followed redirects (a `307` re-sends the code and verifier to wherever
/// it points). Here the token endpoint answers one: the sign-in ends in a clear network error,
/// and nothing reaches the redirect's target.
async fn a_redirected_token_request_is_not_followed(f: &Fixture, b: &Browser) -> Outcome {
    let reached = e2e::api_page::stat(f, "redirected").await?;
    b.goto("/").await?;
    b.wait_text("auth-status", "signed-out").await?;
    b.click("sign-in").await?;
    f.provider_redirects_next_token_request().await?;
    b.sign_in_at_provider("ada").await?;
    let error = b.wait_present("auth-error").await?;
    ensure(error.starts_with("network:"), format!("auth-error says {error:?}"))?;
    b.wait_text("auth-status", "signed-out").await?;
    ensure(e2e::api_page::stat(f, "redirected").await? == reached, "the code and verifier followed the redirect")?;
    nothing_stored(b).await
}

async fn a_provider_down_at_the_callback_is_a_clear_network_error(f: &Fixture, b: &Browser) -> Outcome {
    // Nothing listens on this port: discovery falls back to Auth0's paths, the exchange fails.
    f.with_config(serde_json::json!({"domain": "http://127.0.0.1:4999"}), async {
        b.goto("/").await?;
        b.wait_text("auth-status", "signed-out").await?;
        seed_transaction(b, "S", 0).await?;
        b.goto("/callback?code=abc&state=S").await?;
        let error = b.wait_present("auth-error").await?;
        ensure(error.starts_with("network:"), format!("auth-error says {error:?}"))?;
        b.wait_text("auth-status", "signed-out").await?;
        b.wait_present("try-again").await?;
        nothing_stored(b).await
    })
    .await
}

async fn disabled_storage_is_a_clear_error_not_a_crash(f: &Fixture, _b: &Browser) -> Outcome {
    // Site data blocked: every Web Storage access throws a SecurityError.
    let prefs = serde_json::json!({"profile.default_content_setting_values.cookies": 2});
    let blocked = Browser::open_with_prefs(f.driver_url(), prefs).await?;
    let outcome: Outcome = async {
        blocked.goto("/").await?;
        blocked.wait_text("auth-status", "signed-out").await?;
        let throws = blocked.script("try { sessionStorage.length; return false; } catch (e) { return true; }").await?;
        ensure(throws == serde_json::json!(true), "storage should be blocked in this browser")?;
        blocked.click("sign-in").await?;
        let error = blocked.wait_present("auth-error").await?;
        ensure(error.starts_with("storage:"), format!("auth-error says {error:?}"))?;
        ensure(blocked.url().await?.starts_with(APP), "no redirect without a saved transaction")?;
        blocked.wait_present("try-again").await.map(drop)
    }
    .await;
    blocked.close().await;
    outcome
}

async fn an_id_token_minted_for_another_login_is_refused(f: &Fixture, b: &Browser) -> Outcome {
    // RFC 7636 Appendix B: a verifier and its S256 challenge.
    let (verifier, challenge) =
        ("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    b.goto("/").await?;
    b.wait_text("auth-status", "signed-out").await?;
    // The app expects nonce `expected`; the provider is asked for `another` (an injected response).
    seed_login(b, "S", 0, verifier, "expected").await?;
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", "leptos-pkce-dev")
        .append_pair("redirect_uri", &format!("{APP}/callback"))
        .append_pair("scope", "openid profile")
        .append_pair("state", "S")
        .append_pair("nonce", "another")
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256")
        .finish();
    let before = code_exchanges(f).await?;
    b.goto(&format!("{IDP}/authorize?{query}")).await?;
    b.sign_in_at_provider("ada").await?;
    let error = b.wait_present("auth-error").await?;
    ensure(error.starts_with("id_token_claim: the ID token's `nonce` claim"), format!("auth-error says {error:?}"))?;
    ensure(code_exchanges(f).await? == before + 1, "the code was exchanged (and its tokens thrown away)")?;
    b.wait_text("auth-status", "signed-out").await?;
    nothing_stored(b).await
}

async fn tampered_or_lost_login_state_ends_in_a_clear_error(f: &Fixture, b: &Browser) -> Outcome {
    let iss = "iss=http%3A%2F%2F127.0.0.1%3A4000%2F";
    b.goto("/").await?;
    b.wait_text("auth-status", "signed-out").await?;
    let before = code_exchanges(f).await?;
    // Older than the ten minutes a login may take.
    seed_transaction(b, "old", 601).await?;
    b.goto(&format!("/callback?code=abc&state=old&{iss}")).await?;
    ensure(b.wait_present("auth-error").await?.starts_with("login_expired:"), "a stale transaction")?;
    // Tampered: not a transaction the app wrote.
    b.script(&format!("sessionStorage.setItem('{TX_PREFIX}bad', '{{\"state\":1}}'); return true;")).await?;
    b.goto(&format!("/callback?code=abc&state=bad&{iss}")).await?;
    ensure(b.wait_present("auth-error").await?.starts_with("state_mismatch:"), "a tampered transaction")?;
    // Storage cleared between the redirect and the callback.
    seed_transaction(b, "gone", 0).await?;
    b.script("sessionStorage.clear(); return true;").await?;
    b.goto(&format!("/callback?code=abc&state=gone&{iss}")).await?;
    ensure(b.wait_present("auth-error").await?.starts_with("state_mismatch:"), "cleared storage")?;
    no_token_stored(b).await?;
    ensure(code_exchanges(f).await? == before, "no tokens may be issued")?;
    // Tampered tokens in `local` storage are dropped, not used.
    b.script("localStorage.setItem('leptos-pkce.tokens', '{\"access_token\":7}'); localStorage.setItem('leptos-pkce.signed-in', '1'); return true;").await?;
    f.with_config(serde_json::json!({"token_storage": "local"}), async {
        b.goto("/").await?;
        // Dropped, then one silent attempt: this browser has no provider session, so signed out.
        b.wait_text("auth-status", "signed-out").await?;
        b.wait_url(&format!("{APP}/")).await?;
        ensure(b.text("auth-error").await?.is_none(), "tampered storage is not the person's error")?;
        let stored = b.script("return localStorage.getItem('leptos-pkce.tokens');").await?;
        ensure(stored.is_null(), "the tampered tokens were kept")
    })
    .await
}

/// Finding: a stored token set was trusted as found. One granted for another audience than the
/// configuration asks for (left over after config.json changed, or planted) is not adopted: the
/// browser signs in again (silently, its provider session alive).
async fn a_stored_token_set_for_another_audience_is_not_adopted(f: &Fixture, b: &Browser) -> Outcome {
    f.with_config(json!({"token_storage": "local"}), async {
        b.sign_in("ada").await?;
        let before = code_exchanges(f).await?;
        f.override_config_keys(json!({"token_storage": "local", "audience": "https://reports.leptos-pkce.test"}))?;
        b.reload().await?;
        b.wait_text("auth-status", "signed-in").await?;
        ensure(code_exchanges(f).await? == before + 1, "the stored set of another audience was adopted")
    })
    .await
}

/// Rewrites the ID token's payload in the stored set (the name becomes Mallory), its signature
/// left as it was: what a same-origin script could plant.
const FORGE_THE_STORED_ID_TOKEN: &str = "const p = new URLSearchParams(localStorage.getItem('leptos-pkce.tokens')); \
    const [head, body, signature] = p.get('id_token').split('.'); \
    const claims = JSON.parse(atob(body.replace(/-/g, '+').replace(/_/g, '/'))); claims.name = 'Mallory'; \
    const forged = btoa(JSON.stringify(claims)).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, ''); \
    p.set('id_token', [head, forged, signature].join('.')); \
    localStorage.setItem('leptos-pkce.tokens', p.toString()); return true;";

/// Finding: a stored token set was trusted as found. One whose ID token no longer verifies with
/// the provider's key is refused: the reload signs in again silently, as the same person.
async fn a_stored_token_set_with_a_forged_id_token_is_not_adopted(f: &Fixture, b: &Browser) -> Outcome {
    f.with_config(json!({"token_storage": "local"}), async {
        b.sign_in("ada").await?;
        let before = code_exchanges(f).await?;
        b.script(FORGE_THE_STORED_ID_TOKEN).await?;
        b.reload().await?;
        b.wait_text("auth-status", "signed-in").await?;
        b.wait_text("user-name", "Ada").await?;
        ensure(code_exchanges(f).await? == before + 1, "the forged set was adopted")
    })
    .await
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

/// Signing in and reading one's profile downloads neither `/api`'s code nor `/flow`'s; opening
/// `/api` fetches its own module (and not `/flow`'s).
async fn the_sign_in_path_downloads_no_page_it_does_not_show(_f: &Fixture, b: &Browser) -> Outcome {
    b.sign_in("ada").await?;
    let fetched = b.split_modules_fetched().await?;
    ensure(fetched.is_empty(), format!("the sign-in path fetched {fetched:?}"))?;
    b.click_link("/profile").await?;
    b.wait_css_text("[data-claim=sub]", "ada").await?;
    let fetched = b.split_modules_fetched().await?;
    let profile = fetched.iter().any(|n| n.contains("/split_profile_page-"));
    ensure(
        profile && !fetched.iter().any(|n| n.contains("/split_api_page-")),
        format!("/profile fetched {fetched:?}"),
    )?;
    b.click_link("/api").await?;
    b.wait_present("call-api").await?;
    let loading = b
        .script("const p = document.querySelector('.loading'); return p ? getComputedStyle(p).display : 'gone';")
        .await?;
    ensure(loading == "none", format!("\"Loading the page…\" once the page is there: display {loading}"))?;
    let fetched = b.split_modules_fetched().await?;
    let api = fetched.iter().any(|n| n.contains("/split_api_page-"));
    ensure(api && !fetched.iter().any(|n| n.contains("/split_flow_page-")), format!("/api fetched {fetched:?}"))
}

/// A page's module that cannot be fetched (here: blocked by the browser) is a sentence on the page,
/// the app keeps working, and opening the page again fetches it.
async fn a_page_whose_code_cannot_be_fetched_says_so_and_loads_next_time(f: &Fixture, b: &Browser) -> Outcome {
    b.sign_in("ada").await?;
    let block = |urls: Vec<&str>| b.cdp(f.driver_url(), "Network.setBlockedURLs", json!({ "urls": urls }));
    b.cdp(f.driver_url(), "Network.enable", json!({})).await?;
    block(vec!["*split_profile_page-*"]).await?;
    b.click_link("/profile").await?;
    b.wait_text("page-error", "This page could not be fetched. Check the connection, then open it again.").await?;
    b.wait_text("auth-status", "signed-in").await?;
    block(vec![]).await?;
    b.click_link("/").await?;
    b.click_link("/profile").await?;
    b.wait_css_text("[data-claim=sub]", "ada").await
}

e2e::suite!(
    access_token_ttl: 60,
    sign_in_shows_the_user_and_leaves_no_trace,
    sign_up_opens_the_providers_sign_up_screen,
    the_profile_shows_the_id_token_claims,
    a_reload_stays_signed_in,
    a_second_tab_gets_the_session_from_the_first,
    sign_out_ends_every_tab_and_the_provider_session,
    every_page_fits_a_phone_and_a_desktop_and_names_its_controls,
    a_long_name_without_spaces_wraps_on_a_phone,
    the_pages_follow_a_dark_colour_scheme_with_readable_text,
    sign_out_revokes_the_refresh_token_before_leaving,
    a_protected_route_sends_to_sign_in_and_back,
    a_reload_after_the_provider_session_ended_signs_out_without_a_loop,
    a_first_visit_makes_no_redirect,
    the_sign_in_path_downloads_no_page_it_does_not_show,
    a_page_whose_code_cannot_be_fetched_says_so_and_loads_next_time,
    a_forged_state_is_refused,
    signing_in_from_the_callback_page_comes_back_home,
    a_replayed_callback_is_refused,
    a_provider_error_with_markup_is_shown_as_text,
    the_security_policy_blocks_an_injected_inline_script,
    hostile_callbacks_end_in_a_clear_error_and_keep_nothing,
    tampered_or_lost_login_state_ends_in_a_clear_error,
    an_id_token_minted_for_another_login_is_refused,
    a_provider_down_at_the_callback_is_a_clear_network_error,
    disabled_storage_is_a_clear_error_not_a_crash,
    a_broken_config_shows_a_config_error,
    a_stored_token_set_for_another_audience_is_not_adopted,
    a_stored_token_set_with_a_forged_id_token_is_not_adopted,
    the_same_callback_in_two_tabs_is_exchanged_once,
    a_redirected_token_request_is_not_followed,
);
