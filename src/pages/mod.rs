//! One module per route.

pub mod api_demo;
pub mod callback;
pub mod flow;
pub mod home;
pub mod not_found;
pub mod profile;
