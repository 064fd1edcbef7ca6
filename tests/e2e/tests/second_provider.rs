//! The app against a second, independent OpenID Provider: django-oauth-toolkit (`dev/idp-dot`),
//! with its own quirks left as they are: an issuer without a trailing slash
//! (`http://127.0.0.1:5500/o`), its own endpoint paths, opaque access tokens (the API introspects
//! them), rotating refresh tokens with reuse detection, an ID token on every refresh, and a logout
//! page that always asks. The core scenarios are the local provider's own (`e2e::scenarios`).

use std::future::Future;

use e2e::api_page::{call_ok, refreshes, stat};
use e2e::dot::{CLIENT_ID, DotFixture};
use e2e::scenarios::{
    a_dead_refresh_token_ends_the_session_at_the_next_refresh,
    a_reload_after_the_provider_session_ended_signs_out_without_a_loop, a_reload_stays_signed_in,
    a_second_tab_gets_the_session_from_the_first,
    sign_in_shows_the_user_and_leaves_no_trace as sign_in_shows_the_user_and_leaves_no_token_in_storage,
    sign_out_ends_every_tab_and_the_provider_session, the_same_callback_in_two_tabs_is_exchanged_once,
};
use e2e::{Browser, Outcome, ensure};
use serde_json::json;

/// Access tokens live this long, so renewal shows within seconds.
const ACCESS_TOKEN_TTL: u32 = 5;

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
        let introspections = stat(f, "introspections").await?;
        call_ok(b, "private").await?;
        ensure(stat(f, "introspections").await? > introspections, "the API did not ask DOT about the token")
    })
    .await
}

/// Runs `scenario` signed in on `/api`, the tokens in localStorage and a one-second leeway.
async fn on_the_api_page_in_local_mode(
    f: &DotFixture,
    b: &Browser,
    scenario: impl Future<Output = Outcome>,
) -> Outcome {
    f.with_config(json!({"token_storage": "local", "leeway_seconds": 1}), async {
        b.sign_in("ada").await?;
        b.click_link("/api").await?;
        b.wait_present("token-expiry").await?;
        scenario.await
    })
    .await
}

/// Replays `refresh_token` at DOT's token endpoint, as another client would: it must be refused
/// (`invalid_grant`); `what` names it in the failure.
async fn a_replay_is_refused(f: &DotFixture, refresh_token: &str, what: &str) -> Outcome {
    let form = format!("grant_type=refresh_token&client_id={CLIENT_ID}&refresh_token={refresh_token}");
    let (status, body) = f.post_to_provider("/token/", &form).await?;
    ensure(status == 400 && body.contains("invalid_grant"), format!("{what}: {status} {body}"))
}

/// After the access token expires a call refreshes once (DOT rotates the refresh token) and works;
/// the spent refresh token, replayed from outside, is refused, and DOT's reuse detection revokes
/// its whole family, the app's current one too.
async fn renewal_rotates_once_and_a_reused_refresh_token_is_refused(f: &DotFixture, b: &Browser) -> Outcome {
    on_the_api_page_in_local_mode(f, b, async {
        call_ok(b, "private").await?;
        let spent = b.stored_refresh_token().await?;
        let before = refreshes(f).await?;
        b.wait_token_expired().await?;
        call_ok(b, "private").await?;
        ensure(refreshes(f).await? == before + 1, "expected one refresh after the expiry")?;
        let current = b.stored_refresh_token().await?;
        ensure(current != spent, "DOT should have rotated the refresh token")?;
        b.wait_text("user-name", "Ada").await?;
        a_replay_is_refused(f, &spent, "the spent refresh token").await?;
        a_replay_is_refused(f, &current, "after reuse, the family").await
    })
    .await
}

/// Reuse detection revoked the app's own refresh token too: the next refresh is refused
/// (`invalid_grant`), which ends the session cleanly ("sign in again"), and signing in works again.
async fn a_family_revoked_by_reuse_ends_the_session_at_the_next_refresh(f: &DotFixture, b: &Browser) -> Outcome {
    on_the_api_page_in_local_mode(f, b, async {
        let spent = b.stored_refresh_token().await?;
        b.wait_token_expired().await?;
        call_ok(b, "private").await?;
        a_replay_is_refused(f, &spent, "the spent refresh token").await?;
        a_dead_refresh_token_ends_the_session_at_the_next_refresh(f, b).await
    })
    .await
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
    the_same_callback_in_two_tabs_is_exchanged_once,
);
