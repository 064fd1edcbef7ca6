//! The issuer's signing keys: found through discovery, cached, re-fetched once on an unknown
//! `kid`, and no more often than the configured minimum interval.

use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use serde::Deserialize;
use tokio::sync::Mutex;

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

#[derive(Default)]
struct Cache {
    jwks_uri: Option<String>,
    keys: Option<JwkSet>,
    fetched_at: Option<Instant>,
}

/// Where keys come from, with their cache.
pub struct KeySource {
    issuer: String,
    min_refetch: Duration,
    http: reqwest::Client,
    cache: Mutex<Cache>,
}

impl KeySource {
    /// Keys of `issuer` (fetched lazily, on first use), fetched at most once per `min_refetch`.
    pub fn new(issuer: &str, min_refetch: Duration) -> KeySource {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default();
        KeySource { issuer: issuer.to_owned(), min_refetch, http, cache: Mutex::new(Cache::default()) }
    }

    async fn get_json<T: for<'de> Deserialize<'de>>(&self, url: &str) -> Result<T, String> {
        let response = self.http.get(url).send().await.map_err(|e| format!("{url}: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("{url}: HTTP {}", response.status()));
        }
        let body = response.text().await.map_err(|e| format!("{url}: {e}"))?;
        serde_json::from_str(&body).map_err(|e| format!("{url}: {e}"))
    }

    async fn fetch(&self, cache: &mut Cache) -> Result<(), String> {
        let jwks_uri = match &cache.jwks_uri {
            Some(uri) => uri.clone(),
            None => {
                let url = format!("{}/.well-known/openid-configuration", self.issuer.trim_end_matches('/'));
                let discovery: Discovery = self.get_json(&url).await?;
                // OIDC Discovery §4.3: the document must name the issuer we trust.
                if discovery.issuer != self.issuer {
                    return Err(format!("discovery names issuer {}, not {}", discovery.issuer, self.issuer));
                }
                cache.jwks_uri = Some(discovery.jwks_uri.clone());
                discovery.jwks_uri
            }
        };
        cache.fetched_at = Some(Instant::now());
        cache.keys = Some(self.get_json(&jwks_uri).await?);
        Ok(())
    }

    /// The key with this `kid`; an unknown one triggers one re-fetch unless one happened lately.
    pub async fn key(&self, kid: &str) -> Result<Jwk, String> {
        let mut cache = self.cache.lock().await;
        if let Some(key) = cache.keys.as_ref().and_then(|k| k.find(kid)) {
            return Ok(key.clone());
        }
        let recently = cache.fetched_at.is_some_and(|at| at.elapsed() < self.min_refetch);
        if recently {
            return Err(format!("unknown key id {kid}"));
        }
        self.fetch(&mut cache).await?;
        cache.keys.as_ref().and_then(|k| k.find(kid)).cloned().ok_or_else(|| format!("unknown key id {kid}"))
    }
}
