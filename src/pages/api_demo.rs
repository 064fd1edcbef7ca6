//! `/api`: calls to the demo protected API.

use leptos::prelude::*;

/// The API demo page.
#[component]
pub fn ApiDemo() -> impl IntoView {
    view! {
        <h1>"Demo API"</h1>
        <p>"Calls to the protected API arrive with the API issue."</p>
    }
}
