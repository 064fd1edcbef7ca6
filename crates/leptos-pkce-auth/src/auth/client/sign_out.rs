//! Signing out: here, in every tab, at the provider; every refresh token revoked.

use super::*;

impl AuthClient {
    /// Forgets the tokens here and in every tab, the "was signed in" marker, and the DPoP key
    /// the tokens were bound to; the listeners hear `why`.
    pub(super) async fn forget(&self, why: SignedOutBecause) -> Option<TokenSet> {
        let tokens = self.shared.tokens.borrow().clone();
        storage::remove(Area::Local, storage::TOKENS);
        storage::remove(Area::Local, storage::SIGNED_IN_MARKER);
        let session = tokens.as_ref().map(|t| t.session.clone()).unwrap_or_default();
        self.shared.end(session.clone());
        self.post(&TabMessage::SignedOut { session });
        if self.config.dpop {
            let _ = dpop_key::dpop(&self.shared.dpop, Op::Delete).await;
        }
        if tokens.is_some() {
            self.shared.emit(&AuthEvent::SignedOut(why));
        }
        tokens
    }

    /// RFC 7009 §2.1: revokes every refresh token of `tokens` (the session's and each API's own),
    /// best effort: local state is already cleared whatever the answers.
    pub(super) async fn revoke_all(&self, tokens: &TokenSet) {
        let Some(endpoint) = &self.endpoints.revocation else {
            return;
        };
        let own = tokens.others.iter().filter_map(|(_, access)| access.refresh_token.as_deref());
        for refresh in tokens.refresh_token.as_deref().into_iter().chain(own) {
            let _ = http::post_form(endpoint, &revocation_body(&self.config.client_id, refresh), None).await;
        }
    }

    /// Forgets the tokens here and in every tab, revokes the refresh tokens, ends the provider
    /// session. The shipped build fetches the code of the last two (a module of its own) once
    /// signed out here: when it cannot be fetched, the sign-out stays local.
    pub(crate) async fn logout(&self) {
        let tokens = self.forget(SignedOutBecause::SignOut).await;
        #[cfg(split)]
        match split_leave(self, tokens).await {
            Ok(leaving) => leaving.await,
            Err(_) => self.shared.notify(),
        }
        #[cfg(not(split))]
        self.leave(tokens).await;
    }

    /// Revokes the refresh tokens of `tokens` and goes to the provider's end-session endpoint.
    async fn leave(&self, tokens: Option<TokenSet>) {
        if let Some(tokens) = &tokens {
            self.revoke_all(tokens).await;
        }
        let hint = tokens.as_ref().map(|t| t.id_token.as_str()).filter(|t| !t.is_empty());
        location::assign(&logout_url(&self.endpoints, &self.config, hint));
    }
}

/// The way out in the shipped build: a WebAssembly module of its own.
#[cfg(split)]
#[leptos::wasm_split::wasm_split(sign_out, wasm_split_path = ::leptos::wasm_split, fallible)]
fn split_leave(
    client: &AuthClient,
    tokens: Option<TokenSet>,
) -> Result<Pin<Box<dyn Future<Output = ()> + '_>>, SplitLoaderError> {
    Ok(Box::pin(client.leave(tokens)))
}
