//! The Leptos side: the client in context, the sign-in state as signals, a guard, API calls.

pub mod api_call;
pub mod auth_provider;
pub mod auth_state;
pub mod protected;
