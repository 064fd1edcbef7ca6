//! The OAuth 2.0 / OpenID Connect client: the sans-IO protocol (the `oidc-protocol` crate, its
//! modules re-exported here), the browser layer that does the I/O, and the client that joins them.

pub use oidc_protocol::{
    authorize, bearer, callback, config, discovery, dpop, error, flow, id_token, json, jws, pkce, record, session,
    settings, token, url,
};

pub mod browser;
pub mod client;
