//! At page load: the callback, other tabs, storage or the provider; and the way to the provider.

use super::*;

/// The Web Lock a tab holds for the rest of its life once it exchanges the code of this state.
const CODE_LOCK: &str = "leptos-pkce.code.";

impl AuthClient {
    /// Works out the signed-in state at page load: a callback, other tabs, storage or the provider.
    pub(crate) async fn start(&self) -> Outcome {
        let here = format!("{}{}", location::origin(), location::pathname());
        let params = (here == self.config.redirect_uri).then(|| parse_callback(&location::search()));
        let finished = match params {
            Some(Ok(params)) if !is_authorization_response(&params) => {
                let error = missing_response(&location::fragment());
                storage::drop_transactions();
                location::replace_url(&location::pathname());
                Ok(Outcome::Failed(error))
            }
            Some(params) => self.finish_callback(params).await,
            None => Err(None),
        };
        let outcome = match finished {
            Ok(outcome) => outcome,
            Err(go_to) => self.restore(go_to).await,
        };
        // After the callback, so that a slow login reads as `login_expired`, not as unknown.
        storage::sweep_transactions(now());
        outcome
    }

    /// The callback's outcome; `Err(go_to)` when another tab has this callback.
    pub(super) async fn finish_callback(
        &self,
        params: Result<CallbackParams, AuthError>,
    ) -> Result<Outcome, Option<String>> {
        // Take the transaction first (single use), then clean the address bar of `code` and `state`.
        let state = params.as_ref().ok().and_then(|p| p.state.clone()).unwrap_or_default();
        // RFC 6749 §10.5: a code is exchanged once. A tab that loads a callback another tab is
        // finishing or has finished (a duplicated tab) leaves the code to it, and starts as a
        // reload does (that tab's session comes over the tab channel).
        let mine = match claim(&format!("{CODE_LOCK}{state}")) {
            Some(free) => free.await.is_ok_and(|free| free.is_truthy()),
            None => true,
        };
        let transaction = storage::take_transaction(&state);
        storage::drop_transactions();
        location::replace_url(&location::pathname());
        let silent = transaction.as_ref().is_some_and(|t| t.silent);
        let go_to = transaction.as_ref().map(|t| t.return_to.clone());
        if transaction.is_some() && !mine {
            return Err(go_to);
        }
        let for_api = transaction.as_ref().and_then(|t| t.audience.clone());
        let joining = for_api.is_some();
        let exchanged = match (self.exchange(params, transaction).await, for_api) {
            // A sign-in for one API alone: its tokens join the session it was made from.
            (Ok(tokens), Some(audience)) => match self.session_to_join().await {
                Some(session) if same_person(&session.claims, &tokens.claims) => {
                    Ok(session.with_api_sign_in(&audience, tokens))
                }
                // OIDC Core §5.7: another `iss` + `sub` than the session's may not join it.
                Some(_) => Err(AuthError::IdTokenClaim {
                    claim: "sub",
                    reason: "another person signed in for this API than the one signed in here".into(),
                }),
                None => Err(AuthError::SessionExpired),
            },
            // The tokens are bound to the new key: it is kept before anyone uses them.
            (Ok(tokens), None) => self.keep_dpop_key().await.map(|()| tokens),
            (Err(error), _) => Err(error),
        };
        Ok(match exchanged {
            Ok(tokens) => {
                self.adopt(tokens);
                Outcome::SignedIn { go_to }
            }
            Err(error) if silent && needs_interaction(&error) => {
                storage::remove(Area::Local, storage::SIGNED_IN_MARKER);
                Outcome::SignedOut { go_to }
            }
            // A session another tab handed over meanwhile outlives a failed sign-in here (not a
            // refused sign-in for one API, which is about that session).
            Err(_) if !joining && self.tokens().is_some() => Outcome::SignedIn { go_to },
            Err(error) => {
                if silent {
                    storage::remove(Area::Local, storage::SIGNED_IN_MARKER);
                }
                Outcome::Failed(error)
            }
        })
    }

    pub(super) async fn exchange(
        &self,
        params: Result<CallbackParams, AuthError>,
        transaction: Option<Transaction>,
    ) -> Result<TokenSet, AuthError> {
        let params = params?;
        let issuer = &self.config.issuer;
        let checked =
            check_callback(&params, transaction.as_ref(), issuer, self.endpoints.iss_parameter_supported, now());
        journal::record("callback", callback_details(&checked, params.iss.as_deref()));
        let code = checked?;
        let transaction = transaction.ok_or(AuthError::StateMismatch)?;
        let body =
            authorization_code_body(&self.config.client_id, &code, &transaction.verifier, &self.config.redirect_uri);
        // The keys are fetched (when not cached) during the token request: no extra round trip.
        // A new key for a new session; a sign-in for one API keeps the session's.
        let fresh_key = transaction.audience.is_none();
        let (response, keys) = join(self.token_request(&body, fresh_key), self.signing_keys(false)).await;
        let response = response?;
        journal::record(
            "token",
            token_details(response.status, &response.body, &transaction.verifier, json::parse, json::stringify),
        );
        let tokens = finish_login(
            &self.config,
            (&transaction.nonce, transaction.max_age),
            response.status,
            &response.body,
            now(),
            json::parse,
        )?;
        self.check_signature(&tokens.id_token, keys).await?;
        journal::record("id-token", id_token_details(&tokens.claims, json::stringify));
        journal::record("access-token", access_token_details(&tokens.access.token, json::parse, json::stringify));
        Ok(tokens)
    }

    /// Where the tokens are at page load (storage, another tab, the provider), `go_to` next.
    pub(super) async fn restore(&self, go_to: Option<String>) -> Outcome {
        if self.config.token_storage == TokenStorage::Local {
            match storage::get(Area::Local, storage::TOKENS).map(|text| parse_token_set(&text, json::parse)) {
                // An expired access token is still worth keeping while a refresh token can renew it.
                Some(Ok(tokens))
                    if (tokens.refresh_token.is_some() || !tokens.access.expired(now()))
                        && self.admissible(&tokens, None).await =>
                {
                    self.shared.tokens.replace(Some(tokens));
                    return Outcome::SignedIn { go_to };
                }
                Some(_) => storage::remove(Area::Local, storage::TOKENS),
                None => {}
            }
        }
        if storage::get(Area::Local, storage::SIGNED_IN_MARKER).is_none() {
            return Outcome::SignedOut { go_to };
        }
        if self.ask_tabs(Some(&TabMessage::Request), TAB_ANSWER_MS).await {
            return Outcome::SignedIn { go_to };
        }
        // RFC 10017 §8 / OIDC Core §3.1.2.1: one top-level `prompt=none` attempt, never a loop.
        let here = go_to.unwrap_or_else(location::path_query_fragment);
        match self.redirect_to_provider(&here, true, None, &SignInOptions::default()).await {
            Ok(()) => Outcome::Redirecting,
            Err(error) => Outcome::Failed(error),
        }
    }

    /// Posts `message` (a request for tokens or a renewal; `None`: nothing) to the live tabs and
    /// waits up to `ms` for a token set: whether one came.
    pub(super) async fn ask_tabs(&self, message: Option<&TabMessage>, ms: i32) -> bool {
        let Some(window) = web_sys::window() else {
            return false;
        };
        let shared = self.shared.clone();
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
            shared.waiter.replace(Some(resolve));
        });
        if let Some(message) = message {
            self.post(message);
        }
        let answered = JsFuture::from(promise).await.is_ok_and(|v| v.is_truthy());
        self.shared.waiter.take();
        answered
    }

    pub(super) async fn redirect_to_provider(
        &self,
        return_to: &str,
        silent: bool,
        api: Option<&Api>,
        options: &SignInOptions,
    ) -> Result<(), AuthError> {
        let mut entropy = [0u8; ENTROPY_BYTES];
        random::fill(&mut entropy)?;
        let challenge = random_string(&webcrypto::sha256(login_verifier(&entropy).as_bytes()).await?);
        let return_to = return_path(&self.config, &location::origin(), return_to);
        let request =
            begin_login(&self.config, &self.endpoints, &entropy, &challenge, &return_to, now(), silent, api, options);
        storage::save_transaction(&request.transaction)?;
        if api.is_none() && !silent {
            journal::restart();
        }
        journal::record("sign-in", sign_in_details(&request.url, request.transaction.verifier.len()));
        location::assign(&request.url);
        Ok(())
    }

    /// Sends the person to the provider to sign in as `options` ask, coming back to their
    /// `return_to` (default: this page).
    pub(crate) async fn login_with(&self, options: &SignInOptions) -> Result<(), AuthError> {
        let here = options.return_to.clone().unwrap_or_else(location::path_query_fragment);
        self.redirect_to_provider(&here, false, None, options).await
    }
}
