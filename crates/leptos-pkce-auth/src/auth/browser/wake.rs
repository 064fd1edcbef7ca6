//! "Back online" and "back in view": the moments a long-idle page should look at its tokens.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::VisibilityState;

/// Calls `callback` on the window's `online` event and when the document becomes visible, for
/// the life of the page.
pub fn on_wake(callback: impl Fn() + 'static) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let document = window.document();
    let visible = document.clone();
    let listener = Closure::<dyn Fn()>::new(move || {
        if visible.as_ref().is_none_or(|d| d.visibility_state() == VisibilityState::Visible) {
            callback();
        }
    })
    .into_js_value();
    let _ = window.add_event_listener_with_callback("online", listener.unchecked_ref());
    if let Some(document) = document {
        let _ = document.add_event_listener_with_callback("visibilitychange", listener.unchecked_ref());
    }
}
