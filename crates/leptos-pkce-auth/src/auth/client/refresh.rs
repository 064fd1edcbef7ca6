//! Access tokens kept fresh: one refresh at a time in every tab, the rotation handed over in order.

use super::*;

/// The Web Lock every refresh takes, in every tab.
const REFRESH_LOCK: &str = "leptos-pkce.refresh";
/// The Web Lock a tab takes to ask the tab holding the refresh token for a renewal.
const ASK_LOCK: &str = "leptos-pkce.ask-renewal";
/// How many times a refresh asks the other tabs for the newer set another tab rotated to.
const HANDOVER_ASKS: u32 = 10;
/// After a refresh fails for a passing reason, how long before trying again, in seconds.
const REFRESH_BACKOFF: u64 = 5;

impl AuthClient {
    /// The freshest token set: in `local` mode the newer of storage and what the tab channel
    /// delivered (Chrome propagates localStorage writes to other tabs asynchronously, so storage
    /// alone can lag behind a refresh that another tab just finished).
    pub(super) fn reread(&self) -> Option<TokenSet> {
        if self.config.token_storage == TokenStorage::Local {
            let mine = self.shared.tokens.borrow().clone();
            let stored = storage::get(Area::Local, storage::TOKENS)
                .and_then(|text| parse_token_set(&text, json::parse).ok())
                .filter(|stored| check_adoptable(stored, &self.config, mine.as_ref()).is_ok());
            let newest = match (stored, mine) {
                (Some(stored), Some(mine)) => Some(if stored.updated_at >= mine.updated_at { stored } else { mine }),
                (stored, mine) => stored.or(mine),
            };
            self.shared.tokens.replace(newest);
        }
        self.tokens()
    }

    /// An access token for `api` not within the margin of expiry, refreshing it (or getting a
    /// first one, for another API) when needed.
    pub(crate) async fn access_token(&self, api: &Api) -> Result<Access, AuthError> {
        let current = self.reread().ok_or(AuthError::NotSignedIn)?;
        let existing = current.access_for(api.token_key());
        if let Some(access) = existing
            && !access.should_refresh(now(), self.config.leeway_seconds)
        {
            return Ok(access.clone());
        }
        match self.refresh(Some(api), existing.map(|a| a.token.as_str())).await {
            Err(AuthError::AudienceRefused(_)) => self.sign_in_again(Some(api), &SignInOptions::default()).await,
            // A passing failure: the token may still be good until it actually expires.
            Err(AuthError::Network(_) | AuthError::TokenResponse(_))
                if let Some(access) = existing.filter(|a| !a.expired(now())) =>
            {
                Ok(access.clone())
            }
            other => other,
        }
    }

    /// Back online or back in view: an expired (or nearly expired) sign-in token is renewed, once
    /// however many events arrive (each refresh re-reads the set under the lock).
    pub(crate) async fn wake(&self) {
        let Some(current) = self.reread() else {
            return;
        };
        if current.access.should_refresh(now(), self.config.leeway_seconds)
            && self.refresh(None, Some(&current.access.token)).await == Err(AuthError::SessionExpired)
        {
            self.shared.notify();
        }
    }

    /// Calls [`AuthClient::wake`] when the page comes back online or into view.
    pub(crate) fn refresh_on_wake(self: &Rc<Self>) {
        let client = Rc::clone(self);
        wake::on_wake(move || {
            let client = Rc::clone(&client);
            wasm_bindgen_futures::spawn_local(async move { client.wake().await });
        });
    }

    /// Replaces `stale` (`None`: there is none yet) with a fresh access token for `api` (`None`:
    /// the sign-in's own), unless a caller in this or another tab already did. Signing in needs
    /// none of it: the shipped build fetches its code at the first refresh (a failed fetch is a
    /// passing network error).
    pub(crate) async fn refresh(&self, api: Option<&Api>, stale: Option<&str>) -> Result<Access, AuthError> {
        #[cfg(split)]
        return split_refresh(self, api, stale).await.map_err(|_| not_fetched("the refresh"))?.await;
        #[cfg(not(split))]
        self.renew(api, stale).await
    }

    /// [`AuthClient::refresh`], one at a time whatever the API: a Web Lock, and the token set
    /// re-read inside it.
    pub(super) async fn renew(&self, api: Option<&Api>, stale: Option<&str>) -> Result<Access, AuthError> {
        if !self.config.shares_refresh_tokens() && self.reread().is_some_and(|set| set.refresh_grant(api).is_none()) {
            return with_lock(ASK_LOCK, self.renew_in_holder(api, stale)).await;
        }
        with_lock(REFRESH_LOCK, async {
            let current = self.newest_set().await?;
            let sign_outs = self.shared.sign_outs.get();
            let audience = api.and_then(Api::token_key);
            if let Some(access) = current.renewed(audience, stale) {
                return Ok(access.clone());
            }
            let wait = self.shared.retry_refresh_at.get().saturating_sub(now());
            if wait > 0 {
                return Err(AuthError::Network(format!("refresh failed; retrying in {wait}s")));
            }
            let grant = current.refresh_grant(api).ok_or(AuthError::SessionExpired)?;
            let own = grant.own;
            let body = refresh_body(&self.config.client_id, grant.refresh_token, grant.target);
            let mut result = match self.token_request(&body, false).await {
                Ok(response) => {
                    finish_refresh(&self.config, &current, api, response.status, &response.body, now(), json::parse)
                }
                Err(error) => Err(error),
            };
            if let Ok(next) = &result
                && next.id_token != current.id_token
                && let Err(error) = self.check_signature(&next.id_token, self.signing_keys(false).await).await
            {
                result = Err(error);
            }
            // Signed out (here or in another tab) while the request was out: sign-out wins, and
            // what the provider gave meanwhile is revoked rather than adopted.
            if self.shared.sign_outs.get() != sign_outs {
                if let Ok(next) = &result {
                    self.revoke_all(next).await;
                }
                return Err(AuthError::NotSignedIn);
            }
            let outcome = result.as_ref().map(|next| next.refresh_token != current.refresh_token);
            journal::record("refresh", refresh_details(api.map(|api| api.name.as_str()), outcome));
            match result {
                Ok(next) => {
                    // No token for the API asked: the provider answered for another audience.
                    let access = next.access_for(audience).cloned();
                    let session = next.session.clone();
                    let updated_at = self.adopt(next);
                    // Before the lock goes to the next tab, which then waits for this set.
                    let _ = rotation::record(&session, updated_at).await;
                    self.shared.notify();
                    access.ok_or_else(|| AuthError::AudienceRefused("another audience's token came back".into()))
                }
                Err(error) if audience.is_some() && !own && refuses_audience(&error) => {
                    Err(AuthError::AudienceRefused(error.message()))
                }
                // An API's own refresh token refused: that API's tokens are gone, not the session.
                Err(AuthError::Provider { error, .. }) if error == "invalid_grant" && own => {
                    let mut next = current.clone();
                    next.others.retain(|(a, _)| Some(a.as_str()) != audience);
                    self.adopt(next);
                    Err(AuthError::AudienceRefused("its own refresh token was refused".into()))
                }
                // RFC 6749 §5.2: the refresh token is expired, revoked or already spent.
                Err(AuthError::Provider { error, .. }) if error == "invalid_grant" => {
                    self.forget(SignedOutBecause::SessionExpired).await;
                    Err(AuthError::SessionExpired)
                }
                Err(error) => {
                    self.shared.retry_refresh_at.set(now() + REFRESH_BACKOFF);
                    self.shared.emit(&AuthEvent::RefreshFailed(error.clone()));
                    Err(error)
                }
            }
        })
        .await
    }

    /// The token set to refresh from: the newest one, which another tab may have rotated to just
    /// before (RFC 9700 §4.14.2: a rotated refresh token is never spent again). A tab whose set is
    /// older than the one recorded asks the other tabs for it, and never spends the old one.
    pub(super) async fn newest_set(&self) -> Result<TokenSet, AuthError> {
        let mut current = self.reread().ok_or(AuthError::NotSignedIn)?;
        let newest = rotation::newest(&current.session).await.unwrap_or_default();
        let mut asks = 0;
        while current.updated_at < newest {
            if asks == HANDOVER_ASKS {
                return Err(AuthError::Network("another tab's renewal has not reached this tab yet".into()));
            }
            asks += 1;
            self.ask_tabs(Some(&TabMessage::Request), TAB_ANSWER_MS).await;
            current = self.reread().ok_or(AuthError::NotSignedIn)?;
        }
        Ok(current)
    }

    /// `memory` mode without DPoP: the refresh token stays in the tab that received it
    /// ([`TokenSet::for_other_tabs`]), which answers at once and sends the renewed set when it has
    /// it. With no such tab left, a silent sign-in, as at a reload (RFC 10017 §8).
    pub(super) async fn renew_in_holder(&self, api: Option<&Api>, stale: Option<&str>) -> Result<Access, AuthError> {
        let audience = api.and_then(Api::token_key);
        let ask = TabMessage::Renew { api: api.map(|api| api.name.clone()), stale: stale.map(str::to_owned) };
        if !self.ask_tabs(Some(&ask), TAB_ANSWER_MS).await {
            self.redirect_to_provider(&location::path_query_fragment(), true, None, &SignInOptions::default()).await?;
            return std::future::pending().await;
        }
        for _ in 0..HANDOVER_ASKS {
            let current = self.tokens().ok_or(AuthError::SessionExpired)?;
            if let Some(access) = current.renewed(audience, stale) {
                return Ok(access.clone());
            }
            self.ask_tabs(None, TAB_ANSWER_MS).await;
        }
        Err(AuthError::Network("the tab holding the refresh token has not renewed it yet".into()))
    }

    /// Leaves to sign in as `options` ask, coming back to this page: for the whole session
    /// (`None`), or for `api` alone, its tokens then joining the set (when the provider will not
    /// give them from the refresh token, or for a step-up). That set must outlive the redirect (in
    /// storage, or in another live tab); with tokens in this tab's memory only, it would be lost,
    /// so that is a clear error instead.
    pub(super) async fn sign_in_again(&self, api: Option<&Api>, options: &SignInOptions) -> Result<Access, AuthError> {
        if let Some(api) = api
            && self.config.token_storage == TokenStorage::Memory
            && !self.ask_tabs(Some(&TabMessage::Request), TAB_ANSWER_MS).await
        {
            return Err(AuthError::AudienceRefused(format!(
                "the provider gives none for {} from the refresh token, and a sign-in for it alone would lose \
                 this tab's session (keep another tab open, use token_storage local, or allow multi-resource \
                 refresh tokens)",
                api.name
            )));
        }
        self.redirect_to_provider(&location::path_query_fragment(), false, api, options).await?;
        // The page is leaving for the provider.
        std::future::pending().await
    }

    /// The session a sign-in for one API joins: in storage, or handed over by a live tab.
    pub(super) async fn session_to_join(&self) -> Option<TokenSet> {
        if self.config.token_storage == TokenStorage::Memory {
            self.ask_tabs(Some(&TabMessage::Request), TAB_ANSWER_MS).await;
        }
        self.reread()
    }
}

/// The refresh in the shipped build: a WebAssembly module of its own.
#[cfg(split)]
#[leptos::wasm_split::wasm_split(refresh, wasm_split_path = ::leptos::wasm_split, fallible)]
fn split_refresh<'a>(
    client: &'a AuthClient,
    api: Option<&'a Api>,
    stale: Option<&'a str>,
) -> Result<Pin<Box<dyn Future<Output = Result<Access, AuthError>> + 'a>>, SplitLoaderError> {
    Ok(Box::pin(client.renew(api, stale)))
}
