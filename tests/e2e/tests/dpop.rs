//! DPoP (RFC 9449) end to end: tokens bound to a key the page cannot read, useless when copied
//! out, a key that follows the tokens and dies with them, and nonces from both servers.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use e2e::api_page::*;
use e2e::services::Seen;
use e2e::{Browser, Fixture, Outcome, ensure};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

/// The stored key, as the page's script sees it: `none`, or whether its private half is
/// extractable and its curve. (Checks the database exists first: opening creates one.)
const KEY_PROBE: &str = r#"
    if (!(await indexedDB.databases()).some(d => d.name === 'leptos-pkce')) return 'none';
    return await new Promise(resolve => {
        const open = indexedDB.open('leptos-pkce');
        open.onerror = () => resolve('error');
        open.onsuccess = () => {
            const db = open.result;
            if (!db.objectStoreNames.contains('keys')) { db.close(); return resolve('none'); }
            const get = db.transaction('keys').objectStore('keys').get('dpop');
            get.onerror = () => resolve('error');
            get.onsuccess = () => {
                db.close();
                const pair = get.result;
                resolve(pair ? `extractable=${pair.privateKey.extractable} ${pair.privateKey.algorithm.namedCurve}` : 'none');
            };
        };
    });"#;

async fn stored_key(b: &Browser) -> Result<String, String> {
    Ok(b.script(KEY_PROBE).await?.as_str().unwrap_or_default().to_owned())
}

/// The access token and its type from the token set in localStorage (`local` mode).
async fn stored_access_token(b: &Browser) -> Result<(String, String), String> {
    let mut fields = b.stored(&["access_token", "token_type"]).await?.into_iter();
    Ok((fields.next().unwrap_or_default(), fields.next().unwrap_or_default()))
}

fn jwt_claims(token: &str) -> Result<Value, String> {
    let payload = token.split('.').nth(1).ok_or("not a JWT")?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| e.to_string())
}

/// A well-formed proof for this request, signed by a key that is not the app's (the API tests'
/// ES256 key).
fn foreign_proof(seen: &Seen, token: &str) -> Result<String, String> {
    let set: JwkSet =
        serde_json::from_str(include_str!("../../../api/tests/fixtures/jwks.json")).map_err(|e| e.to_string())?;
    let mut jwk = set.find("test-es256").ok_or("no test-es256 key")?.clone();
    jwk.common.key_id = None;
    let mut header = Header::new(Algorithm::ES256);
    header.typ = Some("dpop+jwt".into());
    header.jwk = Some(jwk);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_err(|e| e.to_string())?;
    let claims = json!({"htm": seen.method, "htu": seen.url, "iat": now.as_secs(), "jti": format!("foreign-{}", now.as_nanos()),
                        "ath": api::dpop::token_hash(token)});
    let key = EncodingKey::from_ec_pem(include_bytes!("../../../api/tests/fixtures/test-es256.pem"))
        .map_err(|e| e.to_string())?;
    jsonwebtoken::encode(&header, &claims, &key).map_err(|e| e.to_string())
}

/// Replays a request to the API with these credentials: status and `WWW-Authenticate`.
async fn replay(seen: &Seen, authorization: &str, dpop: Option<&str>) -> Result<(u16, String), String> {
    let mut request = reqwest::Client::new().get(&seen.url).header("Authorization", authorization);
    if let Some(proof) = dpop {
        request = request.header("DPoP", proof);
    }
    let response = request.send().await.map_err(|e| e.to_string())?;
    let challenge = response.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or_default();
    Ok((response.status().as_u16(), challenge.to_owned()))
}

async fn dpop_binds_the_tokens_and_a_copied_token_is_refused(f: &Fixture, b: &Browser) -> Outcome {
    open_api_page(f, b, json!({"dpop": true, "token_storage": "local"})).await?;
    call_ok(b, "private").await?;
    let (token, token_type) = stored_access_token(b).await?;
    ensure(token_type == "DPoP", format!("token_type {token_type}"))?;
    let jkt = jwt_claims(&token)?["cnf"]["jkt"].clone();
    ensure(jkt.as_str().is_some_and(|j| j.len() == 43), format!("the access token is not bound: cnf.jkt {jkt}"))?;
    ensure(stored_key(b).await? == "extractable=false P-256", "the key is a non-extractable P-256 key")?;
    // DPoP's code is a module of its own, fetched because the configuration turns DPoP on (the
    // sign-in suite checks that it is not fetched otherwise).
    let modules = b.split_modules_fetched().await?;
    let dpop = modules.iter().filter(|n| n.contains("/split_dpop-")).count();
    ensure(dpop == 1, format!("DPoP's module fetched {dpop} times: {modules:?}"))?;
    let seen = f.last_authorized_request().ok_or("the API saw no authorized request")?;
    ensure(seen.authorization == format!("DPoP {token}"), "the app sends its token with the DPoP scheme")?;
    let proof = seen.dpop.clone().ok_or("the app sent no proof")?;
    // Copied out of the app (as a logging proxy would see it), the token is useless.
    let (status, challenge) = replay(&seen, &seen.authorization, Some(&proof)).await?;
    ensure(
        status == 401 && challenge.contains("invalid_dpop_proof"),
        format!("a replayed proof: {status} {challenge}"),
    )?;
    let (status, challenge) = replay(&seen, &format!("Bearer {token}"), None).await?;
    ensure(status == 401 && challenge.contains("invalid_token"), format!("as a bearer token: {status} {challenge}"))?;
    let foreign = foreign_proof(&seen, &token)?;
    let (status, challenge) = replay(&seen, &seen.authorization, Some(&foreign)).await?;
    ensure(status == 401 && challenge.contains("DPoP"), format!("with another key's proof: {status} {challenge}"))?;
    // Refreshes are proven with the same key, through a reload too.
    let before = refreshes(f).await?;
    b.wait_token_expired().await?;
    call_ok(b, "private").await?;
    b.reload().await?;
    b.wait_text("auth-status", "signed-in").await?;
    b.wait_token_expired().await?;
    let reports = call(b, "reports").await?;
    ensure(reports.starts_with("200 reports: "), format!("reports after a reload: {reports}"))?;
    call_ok(b, "private").await?;
    ensure(refreshes(f).await? >= before + 2, "the bound refresh token was used with its key")?;
    let (_, after) = stored_access_token(b).await?;
    ensure(after == "DPoP", "refreshed tokens are bound too")?;
    // Sign-out deletes the key with the tokens.
    b.click("sign-out").await?;
    b.confirm_provider_logout().await?;
    b.wait_text("auth-status", "signed-out").await?;
    ensure(stored_key(b).await? == "none", "the key outlived sign-out")
}

/// With DPoP the tabs share the refresh token, bound to the browser's key: the one a script of
/// the origin reads off the tab channel is refused anywhere else (finding: the channel gave any
/// script a refresh token usable outside this browser).
async fn dpop_in_memory_mode_follows_the_tokens_into_a_new_tab(f: &Fixture, b: &Browser) -> Outcome {
    open_api_page(f, b, json!({"dpop": true})).await?;
    call_ok(b, "private").await?;
    b.script(CHANNEL_SPY).await?;
    heard_token_sets(b, 1).await?;
    let read = b.script(
        "return new URLSearchParams(window.__heard.find((m) => m.startsWith('kind=tokens'))).get('refresh_token');",
    );
    let refresh_token = read.await?.as_str().map(str::to_owned).ok_or("no refresh token on the channel with DPoP")?;
    refused_at_the_provider(f, &refresh_token, "the bound refresh token without its key").await?;
    b.open_tab().await?;
    b.goto("/api").await?;
    b.wait_text("auth-status", "signed-in").await?;
    call_ok(b, "private").await?;
    let reports = call(b, "reports").await?;
    ensure(reports.starts_with("200 reports: "), format!("reports in the new tab: {reports}"))?;
    let seen = f.last_authorized_request().ok_or("no request seen")?;
    ensure(seen.authorization.starts_with("DPoP ") && seen.dpop.is_some(), "the second API gets DPoP too")?;
    b.wait_token_expired().await?;
    call_ok(b, "private").await
}

/// Unless `config.json` says, DPoP follows the provider: the local one advertises ES256 proofs
/// (the second provider, which advertises none, runs its whole suite on bearer tokens).
async fn without_a_stated_choice_dpop_follows_the_provider(f: &Fixture, b: &Browser) -> Outcome {
    open_api_page(f, b, json!({"dpop": null})).await?;
    call_ok(b, "private").await?;
    let seen = f.last_authorized_request().ok_or("no request seen")?;
    ensure(
        seen.authorization.starts_with("DPoP ") && seen.dpop.is_some(),
        format!("the API got {}", seen.authorization),
    )
}

async fn dpop_nonces_from_the_provider_and_the_api_take_one_retry_each(f: &Fixture, b: &Browser) -> Outcome {
    f.provider_demands_dpop_nonces(true).await?;
    f.stop_api().await;
    let outcome: Outcome = async {
        f.start_api_with(true).await?;
        let demands = stat(f, "dpop_nonce_demands").await?;
        open_api_page(f, b, json!({"dpop": true})).await?;
        let made = stat(f, "dpop_nonce_demands").await? - demands;
        ensure(made == 1, format!("the code exchange met {made} nonce demands, expected one then a retry"))?;
        let (unauthorized, ok) = (f.api_answers(401), f.api_answers(200));
        call_ok(b, "private").await?;
        ensure(f.api_answers(401) == unauthorized + 1, "the API asked for its nonce once")?;
        let succeeded = f.api_answers(200) - ok;
        ensure(succeeded == 1, format!("the retry with the nonce succeeded ({succeeded} answers 200)"))?;
        call_ok(b, "private").await?;
        ensure(f.api_answers(401) == unauthorized + 1, "the next call used the nonce it had")?;
        // A refresh with the provider's nonce: no new demand while it is fresh.
        let demands = stat(f, "dpop_nonce_demands").await?;
        b.wait_token_expired().await?;
        call_ok(b, "private").await?;
        let made = stat(f, "dpop_nonce_demands").await? - demands;
        ensure(made <= 1, format!("a refresh met {made} nonce demands"))
    }
    .await;
    f.provider_demands_dpop_nonces(false).await?;
    f.stop_api().await;
    f.start_api().await?;
    outcome
}

e2e::suite!(
    access_token_ttl: ACCESS_TOKEN_TTL,
    dpop_binds_the_tokens_and_a_copied_token_is_refused,
    dpop_in_memory_mode_follows_the_tokens_into_a_new_tab,
    without_a_stated_choice_dpop_follows_the_provider,
    dpop_nonces_from_the_provider_and_the_api_take_one_retry_each,
);
