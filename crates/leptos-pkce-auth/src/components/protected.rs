//! `<Protected>`: its children for signed-in people; everyone else goes to sign in and comes back.

use leptos::prelude::*;

use super::auth_provider::use_auth;
use super::auth_state::AuthState;

/// Renders `children` only when signed in; a signed-out visitor is sent to sign in and comes
/// back to this page.
///
/// ```no_run
/// # use leptos::prelude::*;
/// # use leptos_pkce_auth::Protected;
/// view! { <Protected><p>"Only for signed-in people"</p></Protected> };
/// ```
#[component]
pub fn Protected(
    /// What signed-in people see.
    children: ChildrenFn,
) -> impl IntoView {
    let auth = use_auth();
    Effect::new(move |_| {
        if auth.state.with(|s| matches!(s, AuthState::SignedOut)) {
            auth.sign_in();
        }
    });
    move || match auth.state.get() {
        AuthState::SignedIn(_) => children().into_any(),
        AuthState::Error(_) => ().into_any(),
        _ => view! { <p class="busy">"Taking you to sign in…"</p> }.into_any(),
    }
}
