//! Any other path.

use leptos::prelude::*;
use leptos_router::components::A;

/// The 404 page.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <h1>"Not found"</h1>
        <p>"There is no page here. " <A href="/">"Go home"</A></p>
    }
}
