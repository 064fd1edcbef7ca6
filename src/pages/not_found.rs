//! Any other path.

use leptos::prelude::*;

use crate::router::Link;

/// The 404 page.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <h1>"Not found"</h1>
        <p>"There is no page here. " <Link href="/" label="Go home"/></p>
    }
}
