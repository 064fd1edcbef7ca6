//! Small view pieces.

pub mod api_call;
pub mod auth_provider;
pub mod config_error;
pub mod error_panel;
pub mod nav;
pub mod protected;
pub mod token_expiry;
