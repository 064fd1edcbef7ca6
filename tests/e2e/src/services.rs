//! The services a test needs: the identity provider (node), a static server for `dist/` with SPA
//! fallback, and chromedriver.

use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::services::{ServeDir, ServeFile};

use crate::{Harness, Outcome, fail};
use std::future::Future;

/// The provider's, the API's and the app's fixed local addresses (DESIGN.md "Local ports").
pub const IDP: &str = "http://127.0.0.1:4000";
pub const APP: &str = "http://127.0.0.1:8080";
pub(crate) const API_PORT: u16 = 4001;
const REPORTS_PORT: u16 = 4002;
pub(crate) const APP_PORT: u16 = 8080;
pub(crate) const CHROMEDRIVER_PORT: u16 = 4444;

/// A child process killed (with its output kept in a log file) when dropped.
pub(crate) struct Process {
    name: &'static str,
    child: Child,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn spawn(name: &'static str, mut command: Command, log: &Path) -> Result<Process, String> {
    let out = std::fs::File::create(log).map_err(|e| format!("{name} log: {e}"))?;
    let err = out.try_clone().map_err(|e| format!("{name} log: {e}"))?;
    command.stdout(out).stderr(err).stdin(Stdio::null());
    // Linux: the child dies with the test process even if the test is killed.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let child = command.spawn().map_err(|e| format!("could not start {name}: {e}"))?;
    Ok(Process { name, child })
}

/// The repository root (this crate lives in `tests/e2e`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Polls `url` until it answers 200, or fails after `timeout`.
pub(crate) async fn wait_until_up(process: &mut Process, url: &str, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(response) = reqwest::get(url).await
            && response.status().is_success()
        {
            return Ok(());
        }
        if let Ok(Some(status)) = process.child.try_wait() {
            return Err(format!("{} exited early ({status}); see its log", process.name));
        }
        if Instant::now() > deadline {
            return Err(format!("{} did not answer at {url} within {timeout:?}", process.name));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What the static server serves in place of `config.json`, when a test says so.
type ConfigOverride = Arc<Mutex<Option<String>>>;

async fn config_json(State(config): State<(ConfigOverride, PathBuf)>) -> Response {
    let (override_body, path) = config;
    let body = override_body.lock().ok().and_then(|o| o.clone());
    let body = match body {
        Some(body) => body,
        None => match tokio::fs::read_to_string(&path).await {
            Ok(body) => body,
            Err(_) => return StatusCode::NOT_FOUND.into_response(),
        },
    };
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The headers of `dist/_headers` (Netlify format: `  Name: value` lines under `/*`).
pub(crate) fn site_headers(dist: &Path) -> Result<Vec<(HeaderName, HeaderValue)>, String> {
    let text = std::fs::read_to_string(dist.join("_headers")).map_err(fail("dist/_headers"))?;
    text.lines()
        .filter_map(|line| line.strip_prefix("  ")?.split_once(": "))
        .map(|(name, value)| {
            let name = HeaderName::try_from(name).map_err(fail("header name"))?;
            Ok((name, HeaderValue::try_from(value).map_err(fail("header value"))?))
        })
        .collect()
}

pub(crate) async fn add_site_headers(
    State(headers): State<Arc<Vec<(HeaderName, HeaderValue)>>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = next.run(request).await;
    for (name, value) in headers.iter() {
        response.headers_mut().insert(name.clone(), value.clone());
    }
    response
}

/// The files of `dir` as a static host serves a single-page app: `index.html` for unknown paths,
/// a file's `.gz` sibling to browsers that take gzip, and never cached (each load is measured whole).
fn static_files(dir: &Path) -> ServeDir<ServeFile> {
    let index = ServeFile::new(dir.join("index.html")).precompressed_gzip();
    ServeDir::new(dir).precompressed_gzip().fallback(index)
}

async fn no_store(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Serves `app` on 127.0.0.1:`port` until the process ends.
pub(crate) async fn listen(app: Router, port: u16) -> Result<(), String> {
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("bind {addr}: {e}"))?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app.layer(axum::middleware::from_fn(no_store))).await;
    });
    Ok(())
}

/// Serves `dist/` as a static host would: SPA fallback, and the build's security `headers`.
async fn serve_app(
    dist: PathBuf,
    headers: Vec<(HeaderName, HeaderValue)>,
    config: ConfigOverride,
) -> Result<(), String> {
    let headers = Arc::new(headers);
    let app = Router::new()
        .route("/config.json", get(config_json))
        .with_state((config, dist.join("config.json")))
        .fallback_service(static_files(&dist))
        .layer(axum::middleware::from_fn_with_state(headers, add_site_headers));
    listen(app, APP_PORT).await
}

/// Serves another static single-page site (the benchmark's reference page) on `port`.
pub async fn serve_site(dir: &Path, port: u16) -> Result<(), String> {
    listen(Router::new().fallback_service(static_files(dir)), port).await
}

/// The demo API's answers so far (CORS preflights aside), by status.
type ApiCounts = Arc<Mutex<std::collections::BTreeMap<u16, u64>>>;

/// How many of the next authorized API requests to refuse as `invalid_token` (as an API that
/// revoked the token would), whatever the token.
type RefuseNext = Arc<std::sync::atomic::AtomicU64>;

/// The credentials of the latest authorized API request, as a logging proxy would see them:
/// method, URL, `Authorization` and `DPoP`.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    pub method: String,
    pub url: String,
    pub authorization: String,
    pub dpop: Option<String>,
}

/// What the API middleware shares with the tests.
#[derive(Clone, Default)]
struct ApiWatch {
    counts: ApiCounts,
    refuse: RefuseNext,
    /// How many of the next requests to fail with `500`, as a broken API would.
    fail: RefuseNext,
    /// How many of the next requests to hold without an answer until released, as a hung API would.
    stall: RefuseNext,
    release: Arc<tokio::sync::Notify>,
    seen: Arc<Mutex<Option<Seen>>>,
}

/// An answer made by the middleware itself, with the CORS headers the real API's layer would add.
fn own_answer(status: StatusCode, challenge: Option<&'static str>) -> Response {
    let mut response = (status, [(header::CONTENT_TYPE, "application/json")], r#"{"error":"test"}"#).into_response();
    let headers = response.headers_mut();
    if let Some(challenge) = challenge {
        headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
    }
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static(APP));
    headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("www-authenticate"));
    response
}

async fn count_statuses(
    State(ApiWatch { counts, refuse, fail, stall, release, seen }): State<ApiWatch>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    use std::sync::atomic::Ordering;
    let credentials = {
        let text = |name| request.headers().get(name).and_then(|v: &HeaderValue| v.to_str().ok()).map(str::to_owned);
        text(header::AUTHORIZATION.as_str()).map(|authorization| Seen {
            method: request.method().to_string(),
            url: format!("http://{}{}", text("host").unwrap_or_default(), request.uri()),
            authorization,
            dpop: text("dpop"),
        })
    };
    if let Some(credentials) = credentials {
        *seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(credentials);
    }
    let preflight = request.method() == axum::http::Method::OPTIONS;
    let authorized = request.headers().contains_key(header::AUTHORIZATION);
    let take =
        |n: &RefuseNext| !preflight && n.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
    let response = if authorized && take(&refuse) {
        let challenge = "Bearer realm=\"leptos-pkce-api\", error=\"invalid_token\", error_description=\"revoked\"";
        own_answer(StatusCode::UNAUTHORIZED, Some(challenge))
    } else if take(&fail) {
        own_answer(StatusCode::INTERNAL_SERVER_ERROR, None)
    } else if take(&stall) {
        release.notified().await;
        own_answer(StatusCode::SERVICE_UNAVAILABLE, None)
    } else {
        next.run(request).await
    };
    // CORS preflights are the browser's, not the app's calls.
    if let (false, Ok(mut counts)) = (preflight, counts.lock()) {
        *counts.entry(response.status().as_u16()).or_default() += 1;
    }
    response
}

/// A running API: its tasks, and the signal that stops them (closing idle keep-alive connections too).
struct RunningApi {
    tasks: Vec<tokio::task::JoinHandle<()>>,
    stop: tokio::sync::watch::Sender<bool>,
}

/// The settings of the demo API on `port` for `audience`; `dpop_nonce`: it demands its own nonces.
fn api_settings(audience: &str, port: u16, dpop_nonce: bool) -> api::Settings {
    api::Settings {
        issuer: format!("{IDP}/"),
        audience: audience.into(),
        public_url: format!("http://127.0.0.1:{port}"),
        dpop_nonce,
        app_origins: vec![APP.into()],
        leeway: 0,
        jwks_min_refetch: Duration::from_secs(30),
        introspection: None,
    }
}

/// Serves the real demo APIs, messages and reports, each answer counted (in this process, so a
/// test can take them down and back up).
async fn serve_api(watch: ApiWatch, dpop_nonce: bool) -> Result<RunningApi, String> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let apps = [
        (api::routes::router_step_up(api_settings("https://api.leptos-pkce.test", API_PORT, dpop_nonce), 5), API_PORT),
        (
            api::routes::reports_router(api_settings("https://reports.leptos-pkce.test", REPORTS_PORT, dpop_nonce)),
            REPORTS_PORT,
        ),
    ];
    let mut tasks = Vec::new();
    for (app, port) in apps {
        let app = app.layer(axum::middleware::from_fn_with_state(watch.clone(), count_statuses));
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("bind {addr}: {e}"))?;
        let mut stopped = stopped.clone();
        tasks.push(tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                })
                .await;
        }));
    }
    Ok(RunningApi { tasks, stop })
}

/// Everything the scenarios share; dropping it stops every process it started.
pub struct Fixture {
    pub runtime: tokio::runtime::Runtime,
    config: ConfigOverride,
    api: Mutex<Option<RunningApi>>,
    watch: ApiWatch,
    driver_url: String,
    _driver: Process,
    _idp: Process,
}

impl Fixture {
    /// Starts the provider (access tokens living `access_token_ttl` seconds), the app and chromedriver.
    pub fn start(access_token_ttl: u32) -> Result<Fixture, String> {
        Fixture::start_site(access_token_ttl, "dist")
    }

    /// [`Fixture::start`], serving the app built into `site` (a folder of the repository).
    pub fn start_site(access_token_ttl: u32, site: &str) -> Result<Fixture, String> {
        let root = repo_root();
        let dist = root.join(site);
        if !dist.join("index.html").exists() {
            return Err(format!("{site}/ is missing: build it first (`cargo xtask test` does)"));
        }
        // The release build's `_headers` (an example app has none).
        let headers = if site == "dist" { site_headers(&dist)? } else { Vec::new() };
        let logs = root.join("target/e2e-logs");
        std::fs::create_dir_all(&logs).map_err(fail("log folder"))?;
        let runtime = tokio::runtime::Runtime::new().map_err(fail("tokio"))?;
        let mut idp_command = Command::new("node");
        idp_command
            .arg("server.js")
            .current_dir(root.join("dev/idp"))
            .env("ACCESS_TOKEN_TTL", access_token_ttl.to_string());
        let mut idp = spawn("identity provider", idp_command, &logs.join("idp.log"))?;
        let mut driver_command = Command::new(chromedriver());
        driver_command.arg(format!("--port={CHROMEDRIVER_PORT}"));
        let mut driver = spawn("chromedriver", driver_command, &logs.join("chromedriver.log"))?;
        let driver_url = format!("http://127.0.0.1:{CHROMEDRIVER_PORT}");
        let config = ConfigOverride::default();
        let watch = ApiWatch::default();
        let api = runtime.block_on(serve_api(watch.clone(), false))?;
        runtime.block_on(async {
            serve_app(dist, headers, config.clone()).await?;
            wait_until_up(&mut idp, &format!("{IDP}/.well-known/openid-configuration"), Duration::from_secs(20))
                .await?;
            wait_until_up(&mut driver, &format!("{driver_url}/status"), Duration::from_secs(20)).await
        })?;
        let api = Mutex::new(Some(api));
        Ok(Fixture { runtime, config, api, watch, driver_url, _driver: driver, _idp: idp })
    }

    /// Serves `body` as `config.json` until [`Fixture::restore_config`].
    pub fn override_config(&self, body: &str) {
        if let Ok(mut config) = self.config.lock() {
            *config = Some(body.to_owned());
        }
    }

    /// Serves the built `config.json` with some keys replaced (e.g. `leeway_seconds`).
    pub fn override_config_keys(&self, changes: serde_json::Value) -> Result<(), String> {
        let path = repo_root().join("dist/config.json");
        let text = std::fs::read_to_string(path).map_err(fail("config.json"))?;
        let mut config: serde_json::Value = serde_json::from_str(&text).map_err(fail("config.json"))?;
        for (key, value) in changes.as_object().into_iter().flatten() {
            config[key] = value.clone();
        }
        self.override_config(&config.to_string());
        Ok(())
    }

    /// Runs `scenario` with `changes` applied to config.json, then serves the built one again.
    pub async fn with_config(&self, changes: serde_json::Value, scenario: impl Future<Output = Outcome>) -> Outcome {
        self.override_config_keys(changes)?;
        let outcome = scenario.await;
        self.restore_config();
        outcome
    }

    /// Takes the demo API down (its port then refuses connections).
    pub async fn stop_api(&self) {
        let running = self.api.lock().ok().and_then(|mut api| api.take());
        if let Some(RunningApi { tasks, stop }) = running {
            let _ = stop.send(true);
            for task in tasks {
                let _ = task.await;
            }
        }
    }

    /// Brings the demo API back.
    pub async fn start_api(&self) -> Result<(), String> {
        self.start_api_with(false).await
    }

    /// Brings the demo API back; with `dpop_nonce` it demands its own DPoP nonces (RFC 9449 §9).
    pub async fn start_api_with(&self, dpop_nonce: bool) -> Result<(), String> {
        let running = serve_api(self.watch.clone(), dpop_nonce).await?;
        if let Ok(mut api) = self.api.lock() {
            *api = Some(running);
        }
        Ok(())
    }

    /// Makes the API refuse the next `n` authorized requests with `401 invalid_token`.
    pub fn refuse_next_tokens(&self, n: u64) {
        self.watch.refuse.store(n, std::sync::atomic::Ordering::SeqCst);
    }

    /// Makes the API hold the next `n` requests without an answer until [`Fixture::release_stalled`].
    pub fn stall_next_requests(&self, n: u64) {
        self.watch.stall.store(n, std::sync::atomic::Ordering::SeqCst);
    }

    /// Lets the held requests go (they get a `503`).
    pub fn release_stalled(&self) {
        self.watch.stall.store(0, std::sync::atomic::Ordering::SeqCst);
        self.watch.release.notify_waiters();
    }

    /// Makes the API fail the next `n` requests with `500`.
    pub fn fail_next_requests(&self, n: u64) {
        self.watch.fail.store(n, std::sync::atomic::Ordering::SeqCst);
    }

    /// How many answers the API gave with this status.
    pub fn api_answers(&self, status: u16) -> u64 {
        self.watch.counts.lock().ok().and_then(|c| c.get(&status).copied()).unwrap_or(0)
    }

    /// The latest authorized request the API received (method, URL, credentials).
    pub fn last_authorized_request(&self) -> Option<Seen> {
        self.watch.seen.lock().ok().and_then(|seen| seen.clone())
    }

    /// Flips one of the provider's dev switches (`/__dev/…`).
    async fn provider_switch(&self, path_and_query: &str) -> Outcome {
        let response = reqwest::get(format!("{IDP}/__dev/{path_and_query}")).await.map_err(fail(path_and_query))?;
        if response.status().is_success() { Ok(()) } else { Err(format!("{path_and_query}: {}", response.status())) }
    }

    /// Makes the provider hold back its next token endpoint answer for `ms` milliseconds (the
    /// tokens already issued).
    pub async fn provider_holds_next_token_answer(&self, ms: u64) -> Outcome {
        self.provider_switch(&format!("hold-next-token-answer?ms={ms}")).await
    }

    /// Makes the provider answer its next token request with a `307` to `/__dev/redirected`.
    pub async fn provider_redirects_next_token_request(&self) -> Outcome {
        self.provider_switch("redirect-next-token-request").await
    }

    /// Makes the provider demand DPoP nonces at its token endpoint (RFC 9449 §8), or stop.
    pub async fn provider_demands_dpop_nonces(&self, required: bool) -> Outcome {
        self.provider_switch(&format!("dpop-nonce?required={}", u8::from(required))).await
    }

    /// Runs `scenario` while the provider refuses a refresh that names a resource (no
    /// multi-resource refresh tokens), then allows it again.
    pub async fn without_multi_resource_refresh(&self, scenario: impl Future<Output = Outcome>) -> Outcome {
        self.provider_switch("multi-resource-refresh?allowed=0").await?;
        let outcome = scenario.await;
        self.provider_switch("multi-resource-refresh?allowed=1").await?;
        outcome
    }

    /// Serves the built `config.json` again.
    pub fn restore_config(&self) {
        if let Ok(mut config) = self.config.lock() {
            *config = None;
        }
    }

    /// The WebDriver endpoint.
    pub fn driver_url(&self) -> &str {
        &self.driver_url
    }

    /// POSTs a form to one of the provider's endpoints (as another client would); status and body.
    pub async fn post_to_provider(&self, path: &str, form: &str) -> Result<(u16, String), String> {
        post_form(&format!("{IDP}{path}"), form).await
    }

    /// The provider's token endpoint hits so far, by grant type.
    pub async fn provider_stats(&self) -> Result<serde_json::Value, String> {
        get_json(&self.provider_stats_url()).await
    }
}

/// POSTs `form` (`application/x-www-form-urlencoded`) to `url`, as another client would: status and body.
pub(crate) async fn post_form(url: &str, form: &str) -> Result<(u16, String), String> {
    let response = reqwest::Client::new()
        .post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .map_err(fail(url))?;
    let status = response.status().as_u16();
    Ok((status, response.text().await.map_err(fail(url))?))
}

/// GETs `url` and reads its body as JSON.
pub(crate) async fn get_json(url: &str) -> Result<serde_json::Value, String> {
    let response = reqwest::get(url).await.map_err(fail(url))?;
    serde_json::from_str(&response.text().await.map_err(fail(url))?).map_err(fail(url))
}

/// chromedriver from `CHROMEDRIVER`, else Debian's.
pub(crate) fn chromedriver() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into())
}
