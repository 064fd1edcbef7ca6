//! The workspace's shape, checked: the protocol crate does no I/O because it cannot — no browser
//! or UI crate is among its dependencies — and the app reaches it only through the library.

/// The crate names a manifest depends on, in any `[…dependencies]` table.
fn dependencies(manifest: &str) -> Vec<&str> {
    let mut in_dependencies = false;
    let mut names = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_dependencies = line.trim_end_matches(']').ends_with("dependencies");
        } else if in_dependencies && let Some((name, _)) = line.split_once('=') {
            names.push(name.trim());
        }
    }
    names
}

#[test]
fn the_protocol_crate_depends_on_no_browser_or_ui_crate() {
    let names = dependencies(include_str!("../../crates/oidc-protocol/Cargo.toml"));
    assert!(names.contains(&"sha2") && names.contains(&"serde_json"), "the manifest was read: {names:?}");
    let browser = ["web-sys", "js-sys", "wasm-bindgen", "wasm-bindgen-futures", "gloo-net", "getrandom", "leptos"];
    assert!(!names.iter().any(|name| browser.contains(name)), "{names:?}");
    let library = dependencies(include_str!("../../crates/leptos-pkce-auth/Cargo.toml"));
    assert!(library.contains(&"web-sys") && library.contains(&"oidc-protocol"), "the library's does: {library:?}");
}

#[test]
fn the_app_uses_the_protocol_only_through_the_library() {
    let app = dependencies(include_str!("../../Cargo.toml"));
    assert!(app.contains(&"leptos-pkce-auth") && app.contains(&"leptos"), "the manifest was read: {app:?}");
    assert!(!app.contains(&"oidc-protocol"), "{app:?}");
}
