//! The second provider implementation: django-oauth-toolkit (`dev/idp-dot`, Python), which shares
//! no code with oidc-provider. Its fixture starts it, chromedriver and the demo API (verifying
//! DOT's opaque access tokens by introspection), and serves the release build with `config.json`
//! and the security policy pointed at DOT, as a deployer would.

use std::future::Future;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::handler::HandlerWithoutStateExt;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use serde_json::{Value, json};
use tower_http::services::ServeDir;

use crate::provider::Provider;
use crate::services::{
    API_PORT, APP, APP_PORT, CHROMEDRIVER_PORT, Process, add_site_headers, chromedriver, listen, post_form, repo_root,
    site_headers, spawn, wait_until_up,
};
use crate::{Harness, Outcome, fail};

/// Where DOT listens (`DOT_PORT`).
pub const DOT_ORIGIN: &str = "http://127.0.0.1:5500";
/// The SPA's client at DOT: public, PKCE, no consent screen.
pub const CLIENT_ID: &str = "leptos-pkce-dev";
/// What the app asks DOT for.
pub const SCOPE: &str = "openid profile email offline_access read:messages write:messages";
/// The demo API's confidential client, for RFC 7662 introspection.
pub const API_CLIENT_ID: &str = "leptos-pkce-api";
pub const API_CLIENT_SECRET: &str = "leptos-pkce-api-dev-secret";

/// DOT's pages: Django's login form, and its "Confirm Logout" page (always asked).
pub const DOT: Provider = Provider {
    name: "django-oauth-toolkit",
    login_input: "input[name=username]",
    password_input: "input[name=password]",
    submit: "button[type=submit]",
    confirm_logout: "input[name=allow]",
    // The user's database id.
    sub_is_login: false,
};

/// DOT, chromedriver, the demo API and the app pointed at DOT; dropping it stops them all.
pub struct DotFixture {
    pub runtime: tokio::runtime::Runtime,
    /// The issuer exactly as DOT's discovery states it (`http://127.0.0.1:5500/o`, no slash).
    pub issuer: String,
    /// DOT's discovery document (`{issuer}/.well-known/openid-configuration`).
    pub discovery: Value,
    /// The `config.json` served now.
    config: Arc<Mutex<Value>>,
    /// The `config.json` a deployer writes for DOT.
    base_config: Value,
    driver_url: String,
    _driver: Process,
    _dot: Process,
}

/// The build's policy with `origin` allowed in `connect-src` (README: "edit `connect-src` when
/// you point it elsewhere"); fails if there is no `connect-src 'self'` to extend.
fn allow_connections_to(policy: &str, origin: &str) -> Result<String, String> {
    let from = "connect-src 'self'";
    if !policy.contains(from) {
        return Err(format!("no {from} in the build's policy: {policy}"));
    }
    Ok(policy.replacen(from, &format!("{from} {origin}"), 1))
}

/// The demo API as deployed in front of DOT: opaque access tokens, introspected at DOT.
fn api_settings(issuer: &str) -> api::Settings {
    api::Settings {
        issuer: issuer.to_owned(),
        audience: "https://api.leptos-pkce.test".into(),
        public_url: format!("http://127.0.0.1:{API_PORT}"),
        dpop_nonce: false,
        app_origins: vec![APP.into()],
        leeway: 0,
        jwks_min_refetch: Duration::from_secs(30),
        // RFC 7662 at DOT's introspection endpoint, as its confidential client.
        introspection: Some(api::Introspection {
            client_id: API_CLIENT_ID.into(),
            client_secret: API_CLIENT_SECRET.into(),
        }),
    }
}

/// Serves `dist/` as a static host configured for DOT would: `config.json` from `config`, the
/// index (for every path that is no file) with its `<meta>` policy edited, and `headers`.
async fn serve_app(
    dist: &Path,
    index: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    config: Arc<Mutex<Value>>,
) -> Result<(), String> {
    let index = Arc::new(index);
    let page = move || {
        let index = index.clone();
        async move { Html(index.as_str().to_owned()) }
    };
    let config_json = move || {
        let body = config.lock().map(|c| c.to_string()).unwrap_or_default();
        async move { ([(header::CONTENT_TYPE, "application/json")], body).into_response() }
    };
    let files = ServeDir::new(dist).precompressed_gzip().fallback(page.clone().into_service());
    let app = Router::new()
        .route("/config.json", get(config_json))
        .route("/", get(page.clone()))
        .route("/index.html", get(page))
        .fallback_service(files)
        .layer(axum::middleware::from_fn_with_state(Arc::new(headers), add_site_headers));
    listen(app, APP_PORT).await
}

impl DotFixture {
    /// Starts DOT (access tokens living `access_token_ttl` seconds), the API, the app and chromedriver.
    pub fn start(access_token_ttl: u32) -> Result<DotFixture, String> {
        let root = repo_root();
        let dist = root.join("dist");
        if !dist.join("index.html").exists() {
            return Err("dist/ is missing: build it first (`cargo xtask test` does)".into());
        }
        let idp = root.join("dev/idp-dot");
        let python = idp.join(".venv/bin/python");
        if !python.exists() {
            return Err("dev/idp-dot/.venv is missing: `cargo xtask test` installs it".into());
        }
        let logs = root.join("target/e2e-logs");
        std::fs::create_dir_all(&logs).map_err(fail("log folder"))?;
        let runtime = tokio::runtime::Runtime::new().map_err(fail("tokio"))?;
        let mut dot_command = Command::new(python);
        dot_command
            .arg("server.py")
            .current_dir(&idp)
            .env("ACCESS_TOKEN_TTL", access_token_ttl.to_string())
            .env("DOT_PORT", DOT_ORIGIN.rsplit(':').next().unwrap_or("5500"))
            .env("APP_PORT", APP_PORT.to_string())
            .env("DOT_DATA", logs.join("idp-dot-data"))
            .env("PYTHONUNBUFFERED", "1");
        let mut dot = spawn("django-oauth-toolkit", dot_command, &logs.join("idp-dot.log"))?;
        let mut driver_command = Command::new(chromedriver());
        driver_command.arg(format!("--port={CHROMEDRIVER_PORT}"));
        let mut driver = spawn("chromedriver", driver_command, &logs.join("chromedriver.log"))?;
        let driver_url = format!("http://127.0.0.1:{CHROMEDRIVER_PORT}");
        let discovery_url = format!("{DOT_ORIGIN}/o/.well-known/openid-configuration");
        let discovery: Value = runtime.block_on(async {
            wait_until_up(&mut dot, &discovery_url, Duration::from_secs(30)).await?;
            let body = reqwest::get(&discovery_url).await.map_err(fail("discovery"))?;
            serde_json::from_str(&body.text().await.map_err(fail("discovery"))?).map_err(fail("discovery"))
        })?;
        let issuer = discovery["issuer"].as_str().ok_or("DOT's discovery names no issuer")?.to_owned();
        // What a deployer writes: the issuer exactly as DOT states it, DOT's client, the API.
        let base_config = json!({
            "domain": issuer,
            "client_id": CLIENT_ID,
            "scope": SCOPE,
            "api_base_url": format!("http://127.0.0.1:{API_PORT}"),
        });
        let config = Arc::new(Mutex::new(base_config.clone()));
        let headers = site_headers(&dist)?
            .into_iter()
            .map(|(name, value)| {
                if name != header::CONTENT_SECURITY_POLICY {
                    return Ok((name, value));
                }
                let policy = allow_connections_to(value.to_str().map_err(fail("policy"))?, DOT_ORIGIN)?;
                Ok((name, HeaderValue::try_from(policy).map_err(fail("policy"))?))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let index = std::fs::read_to_string(dist.join("index.html")).map_err(fail("dist/index.html"))?;
        let index = allow_connections_to(&index, DOT_ORIGIN)?;
        runtime.block_on(async {
            serve_app(&dist, index, headers, config.clone()).await?;
            listen(api::routes::router(api_settings(&issuer)), API_PORT).await?;
            wait_until_up(&mut driver, &format!("{driver_url}/status"), Duration::from_secs(20)).await
        })?;
        Ok(DotFixture { runtime, issuer, discovery, config, base_config, driver_url, _driver: driver, _dot: dot })
    }

    /// Serves the deployer's `config.json` with some keys replaced (e.g. `token_storage`).
    pub fn override_config_keys(&self, changes: Value) {
        let mut config = self.base_config.clone();
        for (key, value) in changes.as_object().into_iter().flatten() {
            config[key] = value.clone();
        }
        if let Ok(mut served) = self.config.lock() {
            *served = config;
        }
    }

    /// Serves the deployer's `config.json` again.
    pub fn restore_config(&self) {
        self.override_config_keys(json!({}));
    }

    /// Runs `scenario` with `changes` applied to config.json, then serves the deployer's again.
    pub async fn with_config(&self, changes: Value, scenario: impl Future<Output = Outcome>) -> Outcome {
        self.override_config_keys(changes);
        let outcome = scenario.await;
        self.restore_config();
        outcome
    }

    /// POSTs a form to one of DOT's endpoints (a path below the issuer, e.g. `/token/`), as
    /// another client would: status and body.
    pub async fn post_to_provider(&self, path: &str, form: &str) -> Result<(u16, String), String> {
        post_form(&format!("{}{path}", self.issuer), form).await
    }
}

impl Harness for DotFixture {
    fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.runtime
    }

    fn driver_url(&self) -> &str {
        &self.driver_url
    }

    fn provider(&self) -> &'static Provider {
        &DOT
    }

    /// DOT's counters also hold the bodies of refused refreshes, revocations and introspections.
    fn provider_stats_url(&self) -> String {
        format!("{DOT_ORIGIN}/__dev/stats")
    }
}
