//! What other tabs say: a request for the tokens, a token set, a sign-out, a renewal to make.

use super::*;

impl AuthClient {
    /// Another tab's message. The shipped build fetches the code that handles them at the first
    /// one (a tab alone never needs it); one that cannot be fetched is a message lost.
    pub(super) async fn hear(&self, text: String) {
        #[cfg(split)]
        if let Ok(heard) = split_hear(self, text).await {
            heard.await;
        }
        #[cfg(not(split))]
        self.on_message(text).await;
    }

    /// Another tab's message, answered; one that does not read as a message is ignored.
    pub(super) async fn on_message(&self, text: String) {
        let shared = &self.shared;
        let Some(message) = decode(&text) else {
            return;
        };
        match message {
            TabMessage::Request => self.post_tokens(),
            // A tab that refreshed before it heard of the sign-out: that session stays ended, and
            // what it was given is revoked.
            TabMessage::Tokens { tokens } if shared.ended.borrow().contains(&tokens.session) => {
                self.post(&TabMessage::SignedOut { session: tokens.session.clone() });
                self.revoke_all(&tokens).await;
            }
            TabMessage::Tokens { tokens } => self.receive(*tokens).await,
            TabMessage::SignedOut { session } => {
                let mine = shared.tokens.take().filter(|mine| mine.session == session);
                storage::remove_tokens_of(&session);
                shared.end(session);
                shared.notify();
                if mine.is_some() {
                    shared.emit(&AuthEvent::SignedOut(SignedOutBecause::OtherTab));
                }
                // RFC 7009 §2.1: the refresh tokens only this tab held (see `for_other_tabs`).
                if let Some(tokens) = mine.filter(|_| !self.config.shares_refresh_tokens()) {
                    self.revoke_all(&tokens).await;
                }
            }
            // The tab that signed in holds the session's refresh token (see `renew_in_holder`): it
            // answers at once with its set (enough when its token is no longer `stale`), and a new
            // set reaches the tabs as every refresh's does.
            TabMessage::Renew { api, stale } => {
                if shared.tokens.borrow().as_ref().is_some_and(|tokens| tokens.refresh_token.is_some()) {
                    self.post_tokens();
                    let api = api.and_then(|name| self.config.api_named(&name));
                    let _ = self.refresh(api, stale.as_deref()).await;
                }
            }
        }
    }

    /// Sends this tab's token set, as another tab may have it ([`TokenSet::for_other_tabs`]).
    pub(super) fn post_tokens(&self) {
        if let Some(tokens) = self.shared.tokens.borrow().as_ref() {
            self.post(&TabMessage::Tokens { tokens: Box::new(tokens.for_other_tabs(&self.config)) });
        }
    }

    /// Another tab's token set: adopted if newer than this tab's and admissible; then the pending
    /// "does a tab have tokens?" wait ends.
    pub(super) async fn receive(&self, tokens: TokenSet) {
        let admissible = self.admissible(&tokens, self.tokens().as_ref()).await;
        let shared = &self.shared;
        let newer = shared.tokens.borrow().as_ref().is_none_or(|mine| tokens.updated_at >= mine.updated_at);
        if admissible && newer {
            shared.dpop.drop_key();
            let tokens = match shared.tokens.borrow().as_ref() {
                Some(mine) => tokens.keeping_refresh_tokens_of(mine),
                None => tokens,
            };
            shared.tokens.replace(Some(tokens));
            shared.notify();
        }
        if let Some(resolve) = shared.waiter.take() {
            let _ = resolve.call1(&wasm_bindgen::JsValue::NULL, &wasm_bindgen::JsValue::TRUE);
        }
    }

    /// Whether a token set from storage or another tab may be adopted: it passes
    /// [`check_adoptable`], and its ID token verifies with the provider's key (RFC 7515 §5.2: the
    /// claims checked are the provider's, not a script's).
    pub(super) async fn admissible(&self, tokens: &TokenSet, current: Option<&TokenSet>) -> bool {
        check_adoptable(tokens, &self.config, current).is_ok()
            && self.check_signature(&tokens.id_token, self.signing_keys(false).await).await.is_ok()
    }
}

/// The handling of other tabs' messages in the shipped build: a WebAssembly module of its own.
#[cfg(split)]
#[leptos::wasm_split::wasm_split(tabs, wasm_split_path = ::leptos::wasm_split, fallible)]
fn split_hear(client: &AuthClient, text: String) -> Result<Pin<Box<dyn Future<Output = ()> + '_>>, SplitLoaderError> {
    Ok(Box::pin(client.on_message(text)))
}
