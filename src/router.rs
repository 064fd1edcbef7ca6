//! The app's few routes without a routing crate: the path as a signal, links that stay in the
//! page, and back/forward through `popstate`.

use leptos::ev;
use leptos::prelude::*;

/// The current path in context; links and `navigate` change it.
#[derive(Clone, Copy)]
pub struct Router {
    path: RwSignal<String>,
}

/// The address bar's path, e.g. `/api`.
fn pathname() -> String {
    window().location().pathname().unwrap_or_default()
}

/// The path part of `target` (`/api?x#y` → `/api`).
fn path_of(target: &str) -> &str {
    target.split(['?', '#']).next().unwrap_or("/")
}

impl Router {
    /// The current path (tracked).
    pub fn path(&self) -> String {
        self.path.get()
    }

    /// Goes to `target` (a same-origin path, with query and fragment), adding a history entry
    /// unless `replace`.
    pub fn navigate(&self, target: &str, replace: bool) {
        if let Ok(history) = window().history() {
            let url = Some(target);
            let _ = if replace {
                history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", url)
            } else {
                history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", url)
            };
        }
        self.path.set(path_of(target).to_owned());
    }
}

/// Puts a router for the address bar in context and follows back/forward.
pub fn provide_router() -> Router {
    let router = Router { path: RwSignal::new(pathname()) };
    let handle = window_event_listener(ev::popstate, move |_| router.path.set(pathname()));
    on_cleanup(move || handle.remove());
    provide_context(router);
    router
}

/// The router; only call it below `provide_router`.
pub fn use_router() -> Router {
    expect_context::<Router>()
}

/// An in-app link named `label` (plain text: no children's closure to build): a plain click changes the route without a page load; a modified click (new
/// tab, new window) is left to the browser. The current page's link has `aria-current="page"`.
#[component]
pub fn Link(href: &'static str, label: &'static str) -> impl IntoView {
    let router = use_router();
    let on_click = move |event: ev::MouseEvent| {
        let modified = event.ctrl_key() || event.meta_key() || event.shift_key() || event.alt_key();
        if event.button() == 0 && !modified {
            event.prevent_default();
            router.navigate(href, false);
        }
    };
    let current = move || (router.path() == href).then_some("page");
    view! { <a href=href aria-current=current on:click=on_click>{label}</a> }
}
