//! A Chromium session through WebDriver, with waits on conditions (never fixed sleeps).

use std::future::Future;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::provider::{OIDC_PROVIDER, Provider};
use crate::services::APP;
use crate::{Outcome, fail};

/// How long a wait for the page may take before the scenario fails.
const WAIT: Duration = Duration::from_secs(15);

/// Chromium's flags for running headless as root on a machine without a network.
const CHROME_ARGS: [&str; 9] = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1200,900",
];

/// Waits until `probe` yields `Some`, polling; fails with `what` and the last observation.
pub async fn wait_for<T, F, Fut>(what: &str, mut probe: F) -> Result<T, String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, String>>,
{
    let deadline = Instant::now() + WAIT;
    let mut last = String::from("nothing observed");
    loop {
        match probe().await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => {}
            Err(e) => last = e,
        }
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for {what} ({last})"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One browser with its own fresh profile (cookies, storage), signing in at `provider`'s pages.
pub struct Browser {
    client: Client,
    provider: &'static Provider,
}

fn css(testid: &str) -> String {
    format!("[data-testid=\"{testid}\"]")
}

impl Browser {
    /// Starts a fresh Chromium.
    pub async fn open(driver_url: &str) -> Result<Browser, String> {
        Browser::open_with_prefs(driver_url, json!({})).await
    }

    /// Starts a fresh Chromium with these profile preferences (e.g. site data blocked).
    pub async fn open_with_prefs(driver_url: &str, prefs: Value) -> Result<Browser, String> {
        let mut caps = serde_json::Map::new();
        let binary = std::env::var("CHROME").unwrap_or_else(|_| "/usr/bin/chromium".into());
        caps.insert("goog:chromeOptions".into(), json!({ "binary": binary, "args": CHROME_ARGS, "prefs": prefs }));
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(driver_url)
            .await
            .map_err(fail("start Chromium"))?;
        Ok(Browser { client, provider: &OIDC_PROVIDER })
    }

    /// This browser, meeting `provider`'s login form and logout page (oidc-provider's until told).
    pub fn at(self, provider: &'static Provider) -> Browser {
        Browser { provider, ..self }
    }

    /// Ends the session (closes Chromium).
    pub async fn close(self) {
        let _ = self.client.close().await;
    }

    /// Opens a path of the app (or any absolute URL).
    pub async fn goto(&self, path_or_url: &str) -> Outcome {
        let url = if path_or_url.starts_with("http") { path_or_url.to_owned() } else { format!("{APP}{path_or_url}") };
        self.client.goto(&url).await.map_err(fail("goto"))
    }

    /// Reloads the page.
    pub async fn reload(&self) -> Outcome {
        self.client.refresh().await.map_err(fail("reload"))
    }

    /// Deletes every cookie of the current host (the app's and, on 127.0.0.1, the provider's).
    pub async fn delete_cookies(&self) -> Outcome {
        self.client.delete_all_cookies().await.map_err(fail("delete cookies"))
    }

    /// The address bar.
    pub async fn url(&self) -> Result<String, String> {
        self.client.current_url().await.map(|u| u.to_string()).map_err(fail("url"))
    }

    /// The text of the element with this `data-testid`, if it is there.
    pub async fn text(&self, testid: &str) -> Result<Option<String>, String> {
        self.css_text(&css(testid)).await
    }

    /// The text of the first element matching a CSS selector, if there is one.
    pub async fn css_text(&self, selector: &str) -> Result<Option<String>, String> {
        match self.client.find(Locator::Css(selector)).await {
            Ok(element) => element.text().await.map(Some).map_err(fail("text")),
            Err(_) => Ok(None),
        }
    }

    /// Waits until the first element matching `selector` shows exactly `expected`.
    pub async fn wait_css_text(&self, selector: &str, expected: &str) -> Outcome {
        wait_for(&format!("{selector} = {expected:?}"), || async {
            let text = self.css_text(selector).await?;
            if text.as_deref() == Some(expected) {
                Ok(Some(()))
            } else {
                Err(format!("saw {text:?} at {}", self.url().await?))
            }
        })
        .await
    }

    /// Waits until the element with this `data-testid` shows exactly `expected`.
    pub async fn wait_text(&self, testid: &str, expected: &str) -> Outcome {
        self.wait_css_text(&css(testid), expected).await
    }

    /// Waits for the element with this `data-testid` and returns its text.
    pub async fn wait_present(&self, testid: &str) -> Result<String, String> {
        self.wait_css_present(&css(testid)).await
    }

    /// Waits for the first element matching `selector` and returns its text.
    pub async fn wait_css_present(&self, selector: &str) -> Result<String, String> {
        wait_for(&format!("{selector} to appear"), || async { self.css_text(selector).await }).await
    }

    /// Follows an in-app link (client-side navigation, no page load).
    pub async fn click_link(&self, href: &str) -> Outcome {
        self.click_css(&format!("a[href=\"{href}\"]")).await
    }

    /// Clicks the element with this `data-testid`, once it is there.
    pub async fn click(&self, testid: &str) -> Outcome {
        self.click_css(&css(testid)).await
    }

    /// Clicks the first element matching a CSS selector, once it is there.
    pub async fn click_css(&self, selector: &str) -> Outcome {
        let element = wait_for(selector, || async { Ok(self.client.find(Locator::Css(selector)).await.ok()) }).await?;
        element.click().await.map_err(fail("click"))
    }

    /// Waits until the address bar starts with `prefix`.
    pub async fn wait_url(&self, prefix: &str) -> Result<String, String> {
        wait_for(&format!("the address {prefix}…"), || async {
            let url = self.url().await?;
            if url.starts_with(prefix) { Ok(Some(url)) } else { Err(format!("at {url}")) }
        })
        .await
    }

    /// Fills the provider's dev login form (any login is accepted).
    pub async fn sign_in_at_provider(&self, login: &str) -> Outcome {
        let provider = self.provider;
        let form = wait_for(&format!("the login form of {}", provider.name), || async {
            Ok(self.client.find(Locator::Css(provider.login_input)).await.ok())
        })
        .await?;
        form.send_keys(login).await.map_err(fail("type login"))?;
        let password = self.client.find(Locator::Css(provider.password_input)).await.map_err(fail("password"))?;
        password.send_keys("any password").await.map_err(fail("type password"))?;
        self.click_css(provider.submit).await
    }

    /// Signs in from the home page and waits for the signed-in view.
    pub async fn sign_in(&self, login: &str) -> Outcome {
        self.goto("/").await?;
        self.wait_text("auth-status", "signed-out").await?;
        self.click("sign-in").await?;
        self.sign_in_at_provider(login).await?;
        self.wait_text("auth-status", "signed-in").await
    }

    /// Signs in at the provider if it asks (it may not, while its session lasts); waits for the app.
    pub async fn sign_in_if_asked(&self, login: &str) -> Outcome {
        let asked = wait_for("the provider's form or the signed-in app", || async {
            if self.client.find(Locator::Css(self.provider.login_input)).await.is_ok() {
                return Ok(Some(true));
            }
            let status = self.text("auth-status").await?;
            if status.as_deref() == Some("signed-in") { Ok(Some(false)) } else { Err(format!("saw {status:?}")) }
        })
        .await?;
        if asked {
            self.sign_in_at_provider(login).await?;
        }
        self.wait_text("auth-status", "signed-in").await
    }

    /// Waits until the access token shown by `token-expiry` has expired, by the browser's clock.
    pub async fn wait_token_expired(&self) -> Outcome {
        let selector = "[data-testid=token-expiry]";
        let element =
            wait_for("token-expiry", || async { Ok(self.client.find(Locator::Css(selector)).await.ok()) }).await?;
        let at = element.attr("data-expires-at").await.map_err(fail("expiry"))?.unwrap_or_default();
        let at: f64 = at.parse().map_err(fail("data-expires-at"))?;
        wait_for("the access token to expire", || async {
            let now = self.script("return Date.now() / 1000;").await?.as_f64().unwrap_or_default();
            if now >= at { Ok(Some(())) } else { Err(format!("{:.1}s to go", at - now)) }
        })
        .await
    }

    /// Answers the provider's "Do you want to sign-out?" page.
    pub async fn confirm_provider_logout(&self) -> Outcome {
        self.click_css(self.provider.confirm_logout).await
    }

    /// Runs a script in the page and returns its value.
    pub async fn script(&self, js: &str) -> Result<Value, String> {
        self.client.execute(js, vec![]).await.map_err(fail("script"))
    }

    /// Every key in a storage area (`sessionStorage` or `localStorage`).
    pub async fn storage_keys(&self, area: &str) -> Result<Vec<String>, String> {
        let keys = self.script(&format!("return Object.keys(window.{area});")).await?;
        Ok(keys.as_array().into_iter().flatten().filter_map(|k| k.as_str().map(str::to_owned)).collect())
    }

    /// Fields of the token set the app keeps in `local` mode (`access_token`, `token_type`, …),
    /// each of which must be there.
    pub async fn stored(&self, fields: &[&str]) -> Result<Vec<String>, String> {
        let script = format!(
            "const t = new URLSearchParams(localStorage.getItem('leptos-pkce.tokens') || ''); return {fields:?}.map(k => t.get(k));"
        );
        let values = self.script(&script).await?;
        let values: Vec<String> =
            values.as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_owned)).collect();
        if values.len() == fields.len() {
            Ok(values)
        } else {
            Err(format!("{fields:?} in local storage: only {values:?}"))
        }
    }

    /// The WebAssembly modules split off the page (`split_…`, `chunk_…`: `/api`'s, `/flow`'s,
    /// DPoP's) this document fetched.
    pub async fn split_modules_fetched(&self) -> Result<Vec<String>, String> {
        let script = "return performance.getEntriesByType('resource').map(e => e.name).filter(n => /\\/(split|chunk)_/.test(n));";
        let names = self.script(script).await?;
        Ok(names.as_array().into_iter().flatten().filter_map(|n| n.as_str().map(str::to_owned)).collect())
    }

    /// The refresh token the app keeps in `local` mode.
    pub async fn stored_refresh_token(&self) -> Result<String, String> {
        Ok(self.stored(&["refresh_token"]).await?.remove(0))
    }

    /// Everything in both storage areas, as one string (to look for leaked tokens).
    pub async fn all_storage(&self) -> Result<String, String> {
        let value = self.script("return JSON.stringify([localStorage, sessionStorage]);").await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// Opens a new tab and switches to it; returns the handle of the tab it left.
    pub async fn open_tab(&self) -> Result<fantoccini::wd::WindowHandle, String> {
        let previous = self.client.window().await.map_err(fail("window"))?;
        let tab = self.client.new_window(true).await.map_err(fail("new tab"))?;
        self.client.switch_to_window(tab.handle).await.map_err(fail("switch"))?;
        Ok(previous)
    }

    /// Closes the current tab (then switch to another).
    pub async fn close_tab(&self) -> Outcome {
        self.client.close_window().await.map_err(fail("close tab"))
    }

    /// Switches to another tab.
    pub async fn switch_to(&self, handle: fantoccini::wd::WindowHandle) -> Outcome {
        self.client.switch_to_window(handle).await.map_err(fail("switch"))
    }

    /// Runs a Chrome DevTools Protocol command in the current tab (through chromedriver).
    pub async fn cdp(&self, driver_url: &str, command: &str, params: Value) -> Result<Value, String> {
        let session = self.client.session_id().await.map_err(fail("session"))?.ok_or("no WebDriver session")?;
        let response = reqwest::Client::new()
            .post(format!("{driver_url}/session/{session}/goog/cdp/execute"))
            .header("Content-Type", "application/json")
            .body(json!({ "cmd": command, "params": params }).to_string())
            .send()
            .await
            .map_err(fail(command))?;
        let ok = response.status().is_success();
        let body: Value =
            serde_json::from_str(&response.text().await.map_err(fail(command))?).map_err(fail(command))?;
        if ok { Ok(body["value"].clone()) } else { Err(format!("{command}: {body}")) }
    }

    /// Resizes the window (a plain window: no device emulation, which zooms out and hides overflow).
    pub async fn resize(&self, width: u32, height: u32) -> Outcome {
        self.client.set_window_size(width, height).await.map_err(fail("resize"))
    }

    /// The handles of every open tab.
    pub async fn tabs(&self) -> Result<Vec<fantoccini::wd::WindowHandle>, String> {
        self.client.windows().await.map_err(fail("windows"))
    }

    /// The current tab's handle.
    pub async fn tab(&self) -> Result<fantoccini::wd::WindowHandle, String> {
        self.client.window().await.map_err(fail("window"))
    }
}
