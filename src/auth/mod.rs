//! The OAuth 2.0 / OpenID Connect client. Everything but `browser` and `client` is sans-IO:
//! plain functions of their inputs, tested natively.

pub mod authorize;
pub mod bearer;
pub mod callback;
pub mod config;
pub mod discovery;
pub mod dpop;
pub mod error;
pub mod id_token;
pub mod json;
pub mod jws;
pub mod pkce;
pub mod record;
pub mod session;
pub mod token;
pub mod url;

pub mod browser;
pub mod client;
