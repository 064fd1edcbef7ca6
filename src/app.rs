//! The routes, behind the configuration and auth start-up.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos::wasm_split::SplitLoaderError;

use leptos_pkce_auth::{AuthClient, AuthProvider};

use crate::components::config_error::ConfigError;
use crate::components::error_panel::ErrorPanel;
use crate::components::nav::Nav;
use crate::pages::{
    api_demo::ApiDemo, callback::Callback, flow::Flow, home::Home, not_found::NotFound, profile::Profile,
};
use crate::router::{provide_router, use_router};

/// A page whose code, in the shipped build, is a WebAssembly module of its own, fetched when the
/// page is first opened (`cargo xtask build` splits it off); elsewhere an ordinary function. It
/// gives the page's component, for the caller to render where it is.
macro_rules! on_demand {
    ($(#[$doc:meta])* $name:ident => $page:ident) => {
        $(#[$doc])*
        #[cfg(split)]
        #[leptos::wasm_split::wasm_split($name, wasm_split_path = ::leptos::wasm_split, fallible)]
        fn $name() -> Result<fn() -> AnyView, SplitLoaderError> {
            Ok(|| $page().into_any())
        }
        $(#[$doc])*
        #[cfg(not(split))]
        async fn $name() -> Result<fn() -> AnyView, SplitLoaderError> {
            Ok(|| $page().into_any())
        }
    };
}

on_demand!(
    /// `/profile`: signing in does not need it.
    profile_page => Profile
);
on_demand!(
    /// `/api`.
    api_page => ApiDemo
);
on_demand!(
    /// `/flow`.
    flow_page => Flow
);

/// What a page whose code could not be fetched shows (opening it again tries again).
fn not_fetched() -> AnyView {
    view! {
        <p role="alert" data-testid="page-error">
            "This page could not be fetched. Check the connection, then open it again."
        </p>
    }
    .into_any()
}

/// A page whose code may still have to be fetched: "Loading the page…" until it is there (the
/// stylesheet hides the line once the page follows it). A signal set by a task: Leptos's
/// `Suspend` would ship its async machinery on the sign-in path.
fn lazy_page(page: impl Future<Output = Result<fn() -> AnyView, SplitLoaderError>> + 'static) -> AnyView {
    let loaded = RwSignal::new(None);
    spawn_local(async move {
        let page = page.await.unwrap_or(not_fetched as fn() -> AnyView);
        // The person may have left the page meanwhile: then there is nothing to show it in.
        let _ = loaded.try_set(Some(page));
    });
    view! { <p class="busy loading">"Loading the page…"</p> {move || loaded.get().map(|page| page())} }.into_any()
}

/// The page for the current path.
fn page() -> impl IntoView {
    let router = use_router();
    move || match router.path().as_str() {
        "/" => Home().into_any(),
        "/callback" => Callback().into_any(),
        "/profile" => lazy_page(profile_page()),
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
    // The error as its message: the signal's value is cloned at each read.
    spawn_local(async move { boot.set(Some(AuthClient::from_config_json().await.map_err(|error| error.message()))) });
    move || match boot.get() {
        None => view! { <p class="busy" data-testid="auth-status">"loading"</p> }.into_any(),
        Some(Err(message)) => view! { <ConfigError message/> }.into_any(),
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
