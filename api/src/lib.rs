//! The demo protected APIs (messages, and reports on its own port and audience): JWT access
//! tokens verified against the issuer's JWKS, opaque ones introspected at the issuer.

pub mod dpop;
pub mod expiring;
pub mod introspection;
pub mod issuer;
pub mod jws;
pub mod keys;
pub mod live;
pub mod messages;
pub mod refetch;
pub mod routes;
pub mod step_up;
pub mod uri;
pub mod verify;

/// What the API trusts and who may call it from a browser.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The issuer, exactly as in its tokens (Auth0's has a trailing slash).
    pub issuer: String,
    /// This API's identifier: the `aud` its tokens must carry.
    pub audience: String,
    /// This API's origin as clients address it (`http://127.0.0.1:4001`): DPoP proofs name it.
    pub public_url: String,
    /// Whether DPoP proofs must carry a nonce this API issued (RFC 9449 §9).
    pub dpop_nonce: bool,
    /// Browser origins allowed by CORS.
    pub app_origins: Vec<String>,
    /// Clock tolerance for `exp` and `nbf`, in seconds.
    pub leeway: u64,
    /// The shortest time between two fetches of discovery or the JWKS (an unknown `kid` or an
    /// unreachable issuer must not become a fetch flood).
    pub jwks_min_refetch: std::time::Duration,
    /// With credentials, access tokens that are no JWT are introspected at the issuer (RFC 7662);
    /// without, they are refused.
    pub introspection: Option<Introspection>,
}

/// RFC 7662 §2.1: this API's client credentials at the issuer's introspection endpoint.
#[derive(Clone, Debug)]
pub struct Introspection {
    pub client_id: String,
    pub client_secret: String,
}
