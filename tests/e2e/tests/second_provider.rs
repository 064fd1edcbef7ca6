//! The app against a second, independent OpenID Provider: django-oauth-toolkit (`dev/idp-dot`),
//! with its own quirks left as they are: an issuer without a trailing slash
//! (`http://127.0.0.1:5500/o`), its own endpoint paths, opaque access tokens (the API introspects
//! them), rotating refresh tokens with reuse detection, an ID token on every refresh, and a logout
//! page that always asks.

use e2e::api_page::{call, call_ok};
use e2e::dot::{CLIENT_ID, DotFixture};
use e2e::services::APP;
use e2e::{Browser, Outcome, ensure};
use serde_json::json;

/// Access tokens live this long, so renewal shows within seconds.
const ACCESS_TOKEN_TTL: u32 = 5;
/// What `memory` mode may keep in localStorage: no token, only these.
const ALLOWED_LOCAL_KEYS: [&str; 3] = ["leptos-pkce.discovery", "leptos-pkce.jwks", "leptos-pkce.signed-in"];

async fn code_exchanges(f: &DotFixture) -> Result<u64, String> {
    f.stat("authorization_code").await
}

async fn refreshes(f: &DotFixture) -> Result<u64, String> {
    f.stat("refresh_token").await
}

/// No token anywhere in storage (DOT's access and refresh tokens are opaque: no `eyJ` to look
/// for, so no token set may be there at all), no pending login left behind.
async fn nothing_stored(b: &Browser) -> Outcome {
    let local = b.storage_keys("localStorage").await?;
    ensure(local.iter().all(|k| ALLOWED_LOCAL_KEYS.contains(&k.as_str())), format!("localStorage has {local:?}"))?;
    let session = b.storage_keys("sessionStorage").await?;
    ensure(!session.iter().any(|k| k.starts_with("leptos-pkce.tx.")), format!("a login was left: {session:?}"))?;
    ensure(!b.all_storage().await?.contains("eyJ"), "an ID token is in storage")?;
    // The flow's journal names the token response's fields (their values redacted); nothing else may.
    let outside_journal = b
        .script(
            "const s = {...sessionStorage}; delete s['leptos-pkce.flow']; return JSON.stringify([localStorage, s]);",
        )
        .await?;
    let text = outside_journal.as_str().unwrap_or("access_token");
    ensure(!text.contains("access_token") && !text.contains("refresh_token"), "a token set is in storage")
}

async fn sign_in_shows_the_user_and_leaves_no_token_in_storage(f: &DotFixture, b: &Browser) -> Outcome {
    let before = code_exchanges(f).await?;
    b.sign_in("ada").await?;
    b.wait_text("user-name", "Ada").await?;
    let url = b.url().await?;
    ensure(url == format!("{APP}/"), format!("the address bar still shows the callback: {url}"))?;
    nothing_stored(b).await?;
    ensure(code_exchanges(f).await? == before + 1, "expected exactly one code exchange")
}

async fn the_profile_shows_the_id_token_claims(f: &DotFixture, b: &Browser) -> Outcome {
    b.sign_in("grace").await?;
    b.click_link("/profile").await?;
    b.wait_css_text("[data-claim=name]", "Grace").await?;
    for (claim, value) in [
        ("email", "grace@example.test"),
        ("nickname", "grace"),
        ("preferred_username", "grace"),
        ("iss", f.issuer.as_str()),
        ("aud", CLIENT_ID),
    ] {
        let shown = b.css_text(&format!("[data-claim={claim}]")).await?;
        ensure(shown.as_deref() == Some(value), format!("{claim} reads {shown:?}, not {value:?}"))?;
    }
    // DOT's `sub` is the user's database id, not the login.
    let sub = b.css_text("[data-claim=sub]").await?.unwrap_or_default();
    ensure(!sub.is_empty() && sub.chars().all(|c| c.is_ascii_digit()), format!("sub reads {sub:?}"))
}

async fn an_api_call_succeeds_with_dots_opaque_access_token(f: &DotFixture, b: &Browser) -> Outcome {
    f.with_config(json!({"token_storage": "local"}), async {
        b.sign_in("ada").await?;
        let token = b.stored(&["access_token"]).await?.remove(0);
        ensure(!token.is_empty() && !token.contains('.'), format!("not an opaque token: {} chars", token.len()))?;
        b.click_link("/api").await?;
        let introspections = f.stat("introspections").await?;
        call_ok(b, "private").await?;
        ensure(f.stat("introspections").await? > introspections, "the API did not ask DOT about the token")
    })
    .await
}

async fn a_reload_stays_signed_in(f: &DotFixture, b: &Browser) -> Outcome {
    b.sign_in("ada").await?;
    let before = code_exchanges(f).await?;
    b.reload().await?;
    b.wait_text("auth-status", "signed-in").await?;
    b.wait_text("user-name", "Ada").await?;
    ensure(code_exchanges(f).await? == before + 1, "the reload should sign in silently with one exchange")?;
    nothing_stored(b).await
}

async fn a_second_tab_gets_the_session_from_the_first(f: &DotFixture, b: &Browser) -> Outcome {
    b.sign_in("ada").await?;
    let before = code_exchanges(f).await?;
    b.open_tab().await?;
    b.goto("/profile").await?;
    b.wait_css_text("[data-claim=name]", "Ada").await?;
    ensure(code_exchanges(f).await? == before, "the second tab should not need the provider")
}

/// After the access token expires a call refreshes once (DOT rotates the refresh token) and works;
/// the spent refresh token, replayed from outside, is refused, and DOT's reuse detection revokes
/// its whole family, the app's current one too.
async fn renewal_rotates_once_and_a_reused_refresh_token_is_refused(f: &DotFixture, b: &Browser) -> Outcome {
    f.with_config(json!({"token_storage": "local", "leeway_seconds": 1}), async {
        b.sign_in("ada").await?;
        b.click_link("/api").await?;
        b.wait_present("token-expiry").await?;
        call_ok(b, "private").await?;
        let spent = b.stored_refresh_token().await?;
        let before = refreshes(f).await?;
        b.wait_token_expired().await?;
        call_ok(b, "private").await?;
        ensure(refreshes(f).await? == before + 1, "expected one refresh after the expiry")?;
        let current = b.stored_refresh_token().await?;
        ensure(current != spent, "DOT should have rotated the refresh token")?;
        b.wait_text("user-name", "Ada").await?;
        let replay = |token: &str| format!("grant_type=refresh_token&client_id={CLIENT_ID}&refresh_token={token}");
        let (status, body) = f.post_to_provider("/token/", &replay(&spent)).await?;
        ensure(status == 400 && body.contains("invalid_grant"), format!("the spent refresh token: {status} {body}"))?;
        let (status, body) = f.post_to_provider("/token/", &replay(&current)).await?;
        ensure(status == 400 && body.contains("invalid_grant"), format!("after reuse, the family: {status} {body}"))
    })
    .await
}

/// Reuse detection revoked the app's own refresh token too: the next refresh is refused
/// (`invalid_grant`), which ends the session cleanly ("sign in again"), and signing in works again.
async fn a_family_revoked_by_reuse_ends_the_session_at_the_next_refresh(f: &DotFixture, b: &Browser) -> Outcome {
    f.with_config(json!({"token_storage": "local", "leeway_seconds": 1}), async {
        b.sign_in("ada").await?;
        b.click_link("/api").await?;
        b.wait_present("token-expiry").await?;
        let spent = b.stored_refresh_token().await?;
        b.wait_token_expired().await?;
        call_ok(b, "private").await?;
        let form = format!("grant_type=refresh_token&client_id={CLIENT_ID}&refresh_token={spent}");
        let (status, body) = f.post_to_provider("/token/", &form).await?;
        ensure(status == 400 && body.contains("invalid_grant"), format!("the spent refresh token: {status} {body}"))?;
        let refused = f.stat("errors").await?;
        b.wait_token_expired().await?;
        let outcome = call(b, "private").await?;
        ensure(f.stat("errors").await? == refused + 1, "the app's refresh should have been refused once")?;
        ensure(outcome.contains("session_expired"), format!("after DOT revoked the family: {outcome}"))?;
        b.wait_text("auth-status", "signed-out").await?;
        let left = b.script("return localStorage.getItem('leptos-pkce.tokens');").await?;
        ensure(left.is_null(), "the dead tokens were kept")?;
        b.click("try-again").await?;
        b.sign_in_if_asked("ada").await?;
        b.wait_url(&format!("{APP}/api")).await?;
        call_ok(b, "private").await
    })
    .await
}

async fn sign_out_ends_every_tab_and_the_provider_session(_f: &DotFixture, b: &Browser) -> Outcome {
    b.sign_in("ada").await?;
    let first = b.open_tab().await?;
    b.goto("/").await?;
    b.wait_text("auth-status", "signed-in").await?;
    let second = b.tab().await?;
    b.switch_to(first).await?;
    b.click("sign-out").await?;
    // DOT always asks (OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT), with the ID token as the hint.
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
    // DOT's session is over: signing in asks for the login again.
    b.click("sign-in").await?;
    b.sign_in_at_provider("ada").await?;
    b.wait_text("auth-status", "signed-in").await
}

async fn a_reload_after_the_provider_session_ended_signs_out_without_a_loop(f: &DotFixture, b: &Browser) -> Outcome {
    b.sign_in("ada").await?;
    // Cookies are per host, not per port: this ends DOT's session too.
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

e2e::suite!(
    fixture: DotFixture = DotFixture::start(ACCESS_TOKEN_TTL),
    sign_in_shows_the_user_and_leaves_no_token_in_storage,
    the_profile_shows_the_id_token_claims,
    an_api_call_succeeds_with_dots_opaque_access_token,
    a_reload_stays_signed_in,
    a_second_tab_gets_the_session_from_the_first,
    renewal_rotates_once_and_a_reused_refresh_token_is_refused,
    a_family_revoked_by_reuse_ends_the_session_at_the_next_refresh,
    sign_out_ends_every_tab_and_the_provider_session,
    a_reload_after_the_provider_session_ended_signs_out_without_a_loop,
);
