//! The issuer the API trusts: its discovery document (fetched when first needed, the issuer
//! checked) and the HTTP client that talks to it.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::refetch::Refetched;

/// What the API reads of the issuer's discovery document.
#[derive(Deserialize)]
pub struct Discovery {
    issuer: String,
    pub jwks_uri: Option<String>,
    /// RFC 8414 §2: where RFC 7662 introspection happens.
    pub introspection_endpoint: Option<String>,
}

/// The issuer, its client and its discovery document.
pub struct Issuer {
    /// Exactly as in its tokens.
    pub id: String,
    pub http: reqwest::Client,
    discovery: Refetched<Discovery>,
}

impl Issuer {
    /// `issuer`, whose documents are fetched at most once per `min_refetch`.
    pub fn new(issuer: &str, min_refetch: Duration) -> Issuer {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default();
        Issuer { id: issuer.to_owned(), http, discovery: Refetched::new(min_refetch) }
    }

    /// The JSON body of the answer to `request`, which must be a success.
    pub async fn read_json<T: DeserializeOwned>(&self, response: reqwest::RequestBuilder) -> Result<T, String> {
        let response = response.send().await.map_err(|e| e.to_string())?;
        let (status, url) = (response.status(), response.url().to_string());
        if !status.is_success() {
            return Err(format!("{url}: HTTP {status}"));
        }
        let body = response.bytes().await.map_err(|e| format!("{url}: {e}"))?;
        serde_json::from_slice(&body).map_err(|e| format!("{url}: {e}"))
    }

    /// The JSON document at `url`.
    pub async fn get_json<T: DeserializeOwned>(&self, url: &str) -> Result<T, String> {
        self.read_json(self.http.get(url)).await
    }

    /// The discovery document, fetched once it is needed (and again, after a failure, no sooner
    /// than the minimum interval).
    pub async fn discovery(&self) -> Result<Arc<Discovery>, String> {
        if let Some(discovery) = self.discovery.current() {
            return Ok(discovery);
        }
        self.discovery.refetch(|| self.fetch_discovery()).await
    }

    /// OIDC Discovery §4: at the issuer (any trailing `/` trimmed) + `/.well-known/openid-configuration`.
    async fn fetch_discovery(&self) -> Result<Discovery, String> {
        let url = format!("{}/.well-known/openid-configuration", self.id.trim_end_matches('/'));
        let mut discovery = self.checked(self.get_json(&url).await?)?;
        // RFC 8414 §3.1: some providers (django-oauth-toolkit) name their introspection endpoint
        // only in the OAuth metadata, at the origin + the well-known path + the issuer's path.
        if discovery.introspection_endpoint.is_none()
            && let Ok(parsed) = url::Url::parse(&self.id)
        {
            let path = parsed.path().trim_end_matches('/');
            let url = format!("{}/.well-known/oauth-authorization-server{path}", parsed.origin().ascii_serialization());
            if let Ok(metadata) = self.get_json(&url).await.and_then(|m| self.checked(m)) {
                discovery.introspection_endpoint = metadata.introspection_endpoint;
            }
        }
        Ok(discovery)
    }

    /// OIDC Discovery §4.3, RFC 8414 §3.3: the document must name the issuer we trust.
    fn checked(&self, discovery: Discovery) -> Result<Discovery, String> {
        if discovery.issuer != self.id {
            return Err(format!("discovery names issuer {}, not {}", discovery.issuer, self.id));
        }
        Ok(discovery)
    }
}
