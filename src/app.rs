//! The routes, behind the configuration and auth start-up.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use leptos_pkce_auth::{AuthClient, AuthProvider};

use crate::components::config_error::ConfigError;
use crate::components::error_panel::ErrorPanel;
use crate::components::nav::Nav;
use crate::pages::{
    api_demo::ApiDemo, callback::Callback, flow::Flow, home::Home, not_found::NotFound, profile::Profile,
};
use crate::router::{provide_router, use_router};

/// `/flow`, fetched only when opened, like `/api`.
#[cfg_attr(split, lazy)]
async fn flow_page() -> AnyView {
    Flow().into_any()
}

/// `/api`, fetched only when opened (in the shipped build its code is a WebAssembly module of
/// its own, split off by `cargo xtask build`).
#[cfg_attr(split, lazy)]
async fn api_page() -> AnyView {
    ApiDemo().into_any()
}

/// A page whose code may still have to be fetched: "Loading the page…" until it is there (the
/// stylesheet hides the line once the page follows it: no signal, no effect).
fn lazy_page(page: impl Future<Output = AnyView> + Send + 'static) -> AnyView {
    view! { <p class="busy loading">"Loading the page…"</p> {Suspend::new(page)} }.into_any()
}

/// The page for the current path.
fn page() -> impl IntoView {
    let router = use_router();
    move || match router.path().as_str() {
        "/" => Home().into_any(),
        "/callback" => Callback().into_any(),
        "/profile" => Profile().into_any(),
        "/api" => lazy_page(api_page()),
        "/flow" => lazy_page(flow_page()),
        _ => NotFound().into_any(),
    }
}

/// Loads the configuration, then renders the app (or the configuration error).
#[component]
pub fn App() -> impl IntoView {
    // A plain signal set by a task: an async resource would ship Leptos's async-derived machinery.
    let boot = RwSignal::new_local(None);
    spawn_local(async move { boot.set(Some(AuthClient::boot().await)) });
    move || match boot.get() {
        None => view! { <p class="busy" data-testid="auth-status">"loading"</p> }.into_any(),
        Some(Err(error)) => view! { <ConfigError error/> }.into_any(),
        Some(Ok(client)) => {
            let router = provide_router();
            let navigate: Rc<dyn Fn(String)> = Rc::new(move |path: String| router.navigate(&path, true));
            view! {
                <AuthProvider client navigate>
                    <Nav/>
                    <main>
                        <ErrorPanel/>
                        {page()}
                    </main>
                </AuthProvider>
            }
            .into_any()
        }
    }
}
