//! The core scenarios every provider implementation must pass (sign-in, reload, a second tab,
//! sign-out, a provider session that ended, a session whose refresh token died), generic over the
//! suite's [`Harness`]: the local provider's suites and `second_provider` run the same code.

use serde_json::json;

use crate::api_page::{call, call_ok, code_exchanges, grant_errors};
use crate::browser::wait_for;
use crate::services::{APP, get_json};
use crate::{Browser, Harness, Outcome, ensure};

/// The start of a pending login's key in sessionStorage.
pub const TX_PREFIX: &str = "leptos-pkce.tx.";
/// What `memory` mode may keep in localStorage: no token, only these.
const ALLOWED_LOCAL_KEYS: [&str; 3] = ["leptos-pkce.discovery", "leptos-pkce.jwks", "leptos-pkce.signed-in"];

/// Both storage areas as one JSON text, less the flow's journal (it names the token response's
/// fields, their values redacted) and the cached discovery's `grant_types_supported` (it names
/// the grant `refresh_token`, not a token).
const OUTSIDE_JOURNAL: &str = "const s = {...sessionStorage}; delete s['leptos-pkce.flow']; \
    const l = {...localStorage}; const cached = new URLSearchParams(l['leptos-pkce.discovery'] || ''); \
    if (cached.has('body')) { const d = JSON.parse(cached.get('body')); delete d.grant_types_supported; \
        cached.set('body', JSON.stringify(d)); l['leptos-pkce.discovery'] = cached.toString(); } \
    return JSON.stringify([l, s]);";

/// Sign up opens the provider's sign-up screen (Auth0's `screen_hint=signup`; the local provider
/// shows its one form and records the hint) and comes back signed in.
pub async fn sign_up_opens_the_providers_sign_up_screen<H: Harness>(f: &H, b: &Browser) -> Outcome {
    b.goto("/").await?;
    b.wait_text("auth-status", "signed-out").await?;
    b.click("sign-up").await?;
    b.sign_in_at_provider("grace").await?;
    b.wait_text("user-name", "Grace").await?;
    let asked = get_json(&f.provider_stats_url()).await?["last_screen_hint"].clone();
    ensure(asked == "signup", format!("the authorization request asked for the screen {asked}"))
}

/// No token anywhere in storage: localStorage holds only the allowed keys, no JWT (`eyJ`) is
/// anywhere, and no token set is outside the journal (opaque tokens look like nothing: their
/// field names are looked for).
pub async fn no_token_stored(b: &Browser) -> Outcome {
    let local = b.storage_keys("localStorage").await?;
    ensure(local.iter().all(|k| ALLOWED_LOCAL_KEYS.contains(&k.as_str())), format!("localStorage has {local:?}"))?;
    ensure(!b.all_storage().await?.contains("eyJ"), "a token is in storage")?;
    let outside_journal = b.script(OUTSIDE_JOURNAL).await?;
    let text = outside_journal.as_str().unwrap_or("access_token");
    ensure(!text.contains("access_token") && !text.contains("refresh_token"), "a token set is in storage")
}

/// No pending login transaction left in sessionStorage.
pub async fn no_login_pending(b: &Browser) -> Outcome {
    let session = b.storage_keys("sessionStorage").await?;
    ensure(!session.iter().any(|k| k.starts_with(TX_PREFIX)), format!("a login transaction was left: {session:?}"))
}

/// Neither a token nor a pending login in storage.
pub async fn nothing_stored(b: &Browser) -> Outcome {
    no_token_stored(b).await?;
    no_login_pending(b).await
}

/// Signing in shows the person back at home, with one code exchange and nothing stored.
pub async fn sign_in_shows_the_user_and_leaves_no_trace<H: Harness>(f: &H, b: &Browser) -> Outcome {
    let before = code_exchanges(f).await?;
    b.sign_in("ada").await?;
    b.wait_text("user-name", "Ada").await?;
    let url = b.url().await?;
    ensure(url == format!("{APP}/"), format!("the address bar still shows the callback: {url}"))?;
    nothing_stored(b).await?;
    ensure(code_exchanges(f).await? == before + 1, "expected exactly one code exchange")
}

/// A reload signs in again silently (`prompt=none`), with one code exchange and nothing stored.
pub async fn a_reload_stays_signed_in<H: Harness>(f: &H, b: &Browser) -> Outcome {
    b.sign_in("ada").await?;
    let before = code_exchanges(f).await?;
    b.reload().await?;
    b.wait_text("auth-status", "signed-in").await?;
    b.wait_text("user-name", "Ada").await?;
    ensure(code_exchanges(f).await? == before + 1, "the reload should sign in silently with one exchange")?;
    nothing_stored(b).await
}

/// A second tab shows the person of the first tab's session without asking the provider.
pub async fn a_second_tab_gets_the_session_from_the_first<H: Harness>(f: &H, b: &Browser) -> Outcome {
    b.sign_in("ada").await?;
    let before = code_exchanges(f).await?;
    b.open_tab().await?;
    b.goto("/profile").await?;
    b.wait_css_text("[data-claim=name]", "Ada").await?;
    if f.provider().sub_is_login {
        b.wait_css_text("[data-claim=sub]", "ada").await?;
    }
    ensure(code_exchanges(f).await? == before, "the second tab should not need the provider")
}

/// Signing out in one tab ends the session in every tab and at the provider: nothing stored, no
/// marker left, and signing in again asks for the login.
pub async fn sign_out_ends_every_tab_and_the_provider_session<H: Harness>(_f: &H, b: &Browser) -> Outcome {
    b.sign_in("ada").await?;
    let first = b.open_tab().await?;
    b.goto("/").await?;
    b.wait_text("auth-status", "signed-in").await?;
    let second = b.tab().await?;
    b.switch_to(first).await?;
    b.click("sign-out").await?;
    // The provider asks "sign out?" (DOT always does: OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT).
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

/// A reload once the provider's session is gone signs out quietly, once: no error, no marker,
/// no second silent attempt, no code exchanged.
pub async fn a_reload_after_the_provider_session_ended_signs_out_without_a_loop<H: Harness>(
    f: &H,
    b: &Browser,
) -> Outcome {
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

/// On `/api` in `local` mode with the session's refresh token dead at the provider: the next
/// refresh is refused once, which ends the session cleanly ("sign in again", no token kept), and
/// "try again" signs in and comes back to `/api`.
pub async fn a_dead_refresh_token_ends_the_session_at_the_next_refresh<H: Harness>(f: &H, b: &Browser) -> Outcome {
    let refused = grant_errors(f).await?;
    b.wait_token_expired().await?;
    let outcome = call(b, "private").await?;
    ensure(grant_errors(f).await? == refused + 1, "the app's refresh should have been refused once")?;
    ensure(outcome.contains("session_expired"), format!("after the refresh token died: {outcome}"))?;
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

/// Opens the callback again in a new tab the moment it arrives, before the app runs: a
/// duplicated tab (a tab opened by this one copies its sessionStorage, the pending login with it).
const DUPLICATE_THE_CALLBACK: &str = "if (location.origin + location.pathname === '{APP}/callback' && !window.opener) \
    window.open(location.href);";

/// RFC 6749 §10.5: the same callback loaded in two tabs at once (one code, one pending login in
/// each) is exchanged once: the provider refuses nothing, both tabs end signed in as the same
/// person, and neither shows an error.
pub async fn the_same_callback_in_two_tabs_is_exchanged_once<H: Harness>(f: &H, b: &Browser) -> Outcome {
    b.goto("/").await?;
    b.wait_text("auth-status", "signed-out").await?;
    let source = DUPLICATE_THE_CALLBACK.replace("{APP}", APP);
    b.cdp(f.driver_url(), "Page.addScriptToEvaluateOnNewDocument", json!({ "source": source })).await?;
    let (exchanges, refused) = (code_exchanges(f).await?, grant_errors(f).await?);
    b.click("sign-in").await?;
    b.sign_in_at_provider("ada").await?;
    let tabs = wait_for("the duplicated tab", || async {
        let tabs = b.tabs().await?;
        if tabs.len() == 2 { Ok(Some(tabs)) } else { Err(format!("{} tabs", tabs.len())) }
    })
    .await?;
    for tab in tabs {
        b.switch_to(tab).await?;
        b.wait_text("auth-status", "signed-in").await?;
        b.wait_text("user-name", "Ada").await?;
        let error = b.text("auth-error").await?;
        ensure(error.is_none(), format!("a tab shows {error:?}"))?;
    }
    ensure(grant_errors(f).await? == refused, "the provider refused a token request (the code spent twice)")?;
    ensure(code_exchanges(f).await? == exchanges + 1, "expected exactly one code exchange")
}
