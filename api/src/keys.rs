//! The issuer's signing keys: from the JWKS its discovery names, cached, re-fetched on an unknown
//! `kid` no more often than the configured minimum interval; a known `kid` never waits for that.

use std::time::Duration;

use jsonwebtoken::jwk::{Jwk, JwkSet};

use crate::issuer::Issuer;
use crate::refetch::Refetched;

/// Why there is no key for a `kid`.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyError {
    /// The issuer's keys have no such `kid` (even after a re-fetch, or one was made lately).
    Unknown,
    /// The issuer's keys could not be fetched at all.
    Unavailable,
}

/// The issuer's JWKS, as fetched last.
pub struct KeySource(Refetched<JwkSet>);

impl KeySource {
    /// Keys fetched lazily, on first use, and at most once per `min_refetch`.
    pub fn new(min_refetch: Duration) -> KeySource {
        KeySource(Refetched::new(min_refetch))
    }

    async fn fetch(issuer: &Issuer) -> Result<JwkSet, String> {
        let discovery = issuer.discovery().await?;
        let jwks_uri = discovery.jwks_uri.as_deref().ok_or("the issuer's discovery names no jwks_uri")?;
        issuer.get_json(jwks_uri).await
    }

    /// The key with this `kid`; an unknown one triggers one re-fetch unless one happened lately.
    pub async fn key(&self, issuer: &Issuer, kid: &str) -> Result<Jwk, KeyError> {
        if let Some(key) = self.0.current().and_then(|keys| keys.find(kid).cloned()) {
            return Ok(key);
        }
        let keys = self.0.refetch(|| KeySource::fetch(issuer)).await.map_err(|why| {
            eprintln!("api: the issuer's keys: {why}");
            KeyError::Unavailable
        })?;
        keys.find(kid).cloned().ok_or(KeyError::Unknown)
    }
}
