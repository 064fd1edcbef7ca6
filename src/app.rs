//! The router and its routes, behind the configuration and auth start-up.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::auth::client::AuthClient;
use crate::components::auth_provider::AuthProvider;
use crate::components::config_error::ConfigError;
use crate::components::error_panel::ErrorPanel;
use crate::components::nav::Nav;
use crate::pages::{api_demo::ApiDemo, callback::Callback, home::Home, not_found::NotFound, profile::Profile};

/// Loads the configuration, then renders the app (or the configuration error).
#[component]
pub fn App() -> impl IntoView {
    let boot = LocalResource::new(AuthClient::boot);
    move || match boot.get() {
        None => view! { <p class="busy" data-testid="auth-status">"loading"</p> }.into_any(),
        Some(Err(error)) => view! { <ConfigError error/> }.into_any(),
        Some(Ok(client)) => {
            // The router's children must be `Send`; the client stays in a local arena slot.
            let client = StoredValue::new_local(client);
            view! {
            <Router>
                <AuthProvider client>
                    <Nav/>
                    <main>
                        <ErrorPanel/>
                        <Routes fallback=NotFound>
                            <Route path=path!("/") view=Home/>
                            <Route path=path!("/callback") view=Callback/>
                            <Route path=path!("/profile") view=Profile/>
                            <Route path=path!("/api") view=ApiDemo/>
                        </Routes>
                    </main>
                </AuthProvider>
            </Router>
            }
            .into_any()
        }
    }
}
