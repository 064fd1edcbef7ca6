//! leptos-pkce: sign in with OAuth 2.0 Authorization Code + PKCE from a Leptos single-page app.

pub mod app;
pub mod components;
pub mod dates;
pub mod pages;
pub mod router;
