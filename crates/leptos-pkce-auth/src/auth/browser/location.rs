//! The address bar: where we are, cleaning it, and leaving for the provider.

fn location() -> Option<web_sys::Location> {
    web_sys::window().map(|w| w.location())
}

/// The page's origin, e.g. `http://127.0.0.1:8080`.
pub fn origin() -> String {
    location().and_then(|l| l.origin().ok()).unwrap_or_default()
}

/// The path, e.g. `/callback`.
pub fn pathname() -> String {
    location().and_then(|l| l.pathname().ok()).unwrap_or_default()
}

/// The query string including its `?`, or empty.
pub fn search() -> String {
    location().and_then(|l| l.search().ok()).unwrap_or_default()
}

/// The fragment including its `#`, or empty.
pub fn fragment() -> String {
    location().and_then(|l| l.hash().ok()).unwrap_or_default()
}

/// Path, query and fragment: where to come back to after signing in.
pub fn path_query_fragment() -> String {
    format!("{}{}{}", pathname(), search(), fragment())
}

fn history() -> Option<web_sys::History> {
    web_sys::window().and_then(|w| w.history().ok())
}

/// Replaces the address bar's URL without a navigation (drops `code` and `state` from history).
pub fn replace_url(path: &str) {
    if let Some(history) = history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(path));
    }
}

/// Leaves the app for `url` (the provider's authorize or logout endpoint).
pub fn assign(url: &str) {
    if let Some(l) = location() {
        let _ = l.assign(url);
    }
}
