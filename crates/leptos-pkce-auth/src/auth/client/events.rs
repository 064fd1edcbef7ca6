//! What happens to the session, told to whoever listens ([`Auth::on_event`](crate::Auth::on_event)).

use super::*;

/// Something that happened to the session.
///
/// ```
/// # use leptos_pkce_auth::{AuthEvent, SignedOutBecause};
/// let event = AuthEvent::SignedOut(SignedOutBecause::OtherTab);
/// assert_ne!(event, AuthEvent::SignedIn);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthEvent {
    /// Someone signed in (here, in another tab, or found signed in at start): see
    /// [`Auth::user`](crate::Auth::user).
    SignedIn,
    /// The session ended in this tab, and why.
    SignedOut(SignedOutBecause),
    /// A renewal failed for now (the network, the provider): still signed in, the next call tries
    /// again.
    RefreshFailed(AuthError),
}

/// Why a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignedOutBecause {
    /// The person signed out in this tab.
    SignOut,
    /// The provider refused the refresh token (expired, revoked, spent), or the key it was bound
    /// to is gone: sign in again.
    SessionExpired,
    /// The person signed out in another tab.
    OtherTab,
}

/// What is listening.
pub(super) type Listeners = RefCell<Vec<Rc<dyn Fn(&AuthEvent)>>>;

impl AuthClient {
    /// Calls `listener` at every [`AuthEvent`] from now on.
    pub(crate) fn on_event(&self, listener: impl Fn(&AuthEvent) + 'static) {
        self.shared.listeners.borrow_mut().push(Rc::new(listener));
    }

    /// Tells the listeners of `event`.
    pub(crate) fn emit(&self, event: &AuthEvent) {
        self.shared.emit(event);
    }
}

impl Shared {
    /// Tells every listener of `event`, one at a time (a listener may add another).
    pub(super) fn emit(&self, event: &AuthEvent) {
        for next in 0.. {
            // Not borrowed while it runs.
            let listener = self.listeners.borrow().get(next).cloned();
            let Some(listener) = listener else { break };
            listener(event);
        }
    }
}
