//! Small view pieces.

pub mod config_error;
pub mod error_panel;
pub mod nav;
pub mod token_expiry;
