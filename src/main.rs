//! Mounts the app.

fn main() {
    leptos::mount::mount_to_body(leptos_pkce::app::App);
}
