//! The timings of `cargo xtask bench`: the app and a reference page built on Auth0's own SDK sign
//! in side by side, alternating in one Chromium, on loopback and under mobile emulation. Figures,
//! never a pass/fail gate. Usage: `bench <reference site folder> <JSON output file>`.

use std::path::PathBuf;
use std::process::ExitCode;

use e2e::browser::wait_for;
use e2e::services::{APP, serve_site};
use e2e::{Browser, Fixture, fail};
use serde_json::{Value, json};

/// Where the reference page is served (the local provider registers this origin for it).
const REFERENCE: &str = "http://127.0.0.1:8081";
const REFERENCE_PORT: u16 = 8081;
/// Measured runs per site and network; one more unmeasured run warms each up.
const RUNS: usize = 7;

/// Records, in every document, when the sign-in button is first usable and when `auth-status`
/// first reads `signed-in`, in ms from the navigation's start (for the callback, that includes the
/// provider's redirects to it) and from the document's own fetch, and the requests made by then.
const PROBE: &str = r#"(() => {
  const marks = (window.__bench = {});
  const fetchStart = () => performance.getEntriesByType('navigation')[0]?.fetchStart ?? 0;
  const check = () => {
    const button = document.querySelector('[data-testid="sign-in"]');
    if (marks.ready === undefined && button && !button.disabled && !button.hidden) marks.ready = performance.now();
    const status = document.querySelector('[data-testid="auth-status"]');
    if (marks.signedIn === undefined && status?.textContent === 'signed-in') {
      marks.signedIn = performance.now();
      marks.signedInFromFetch = marks.signedIn - fetchStart();
      const span = (e) => `${e.name} ${Math.round(e.startTime)}–${Math.round(e.responseEnd)} ms`;
      marks.requests = [span(performance.getEntriesByType('navigation')[0]), ...performance.getEntriesByType('resource').map(span)];
    }
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
})();"#;

/// A network the runs are made on.
struct Network {
    name: &'static str,
    /// `Network.emulateNetworkConditions` parameters, and the CPU slow-down.
    conditions: Value,
    cpu_rate: u32,
}

fn networks() -> [Network; 2] {
    let loopback = json!({ "offline": false, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1 });
    // Chrome's mobile preset as Lighthouse uses it: 150 ms RTT, 1.6 Mbit/s down, 750 kbit/s up.
    let mobile = json!({
        "offline": false, "latency": 150,
        "downloadThroughput": 1_600_000 / 8, "uploadThroughput": 750_000 / 8,
    });
    [
        Network { name: "loopback", conditions: loopback, cpu_rate: 1 },
        Network { name: "mobile", conditions: mobile, cpu_rate: 4 },
    ]
}

/// One sign-in: the first visit's time to a usable sign-in button, the callback's time to signed in.
struct Sample {
    ready_ms: f64,
    signed_in_ms: f64,
    signed_in_from_fetch_ms: f64,
    requests: Vec<String>,
}

struct Bench<'a> {
    browser: &'a Browser,
    driver: &'a str,
}

impl Bench<'_> {
    async fn cdp(&self, command: &str, params: Value) -> Result<Value, String> {
        self.browser.cdp(self.driver, command, params).await
    }

    async fn emulate(&self, network: &Network) -> Result<(), String> {
        self.cdp("Network.enable", json!({})).await?;
        self.cdp("Network.setCacheDisabled", json!({ "cacheDisabled": true })).await?;
        self.cdp("Network.emulateNetworkConditions", network.conditions.clone()).await?;
        self.cdp("Emulation.setCPUThrottlingRate", json!({ "rate": network.cpu_rate })).await?;
        Ok(())
    }

    /// The probe's mark `name`, once the page has set it.
    async fn mark(&self, name: &str) -> Result<Value, String> {
        let js = format!("return window.__bench && window.__bench.{name} !== undefined ? window.__bench : null;");
        wait_for(name, || async { self.browser.script(&js).await.map(|v| (!v.is_null()).then_some(v)) }).await
    }

    /// Signs in on `site` as a first-time visitor (no cookies, no storage anywhere).
    async fn sample(&self, site: &str) -> Result<Sample, String> {
        self.cdp("Network.clearBrowserCookies", json!({})).await?;
        for origin in [APP, REFERENCE] {
            let params = json!({ "origin": origin, "storageTypes": "local_storage,session_storage" });
            self.cdp("Storage.clearDataForOrigin", params).await?;
        }
        self.browser.goto(&format!("{site}/")).await?;
        let ready = self.mark("ready").await?;
        self.browser.click("sign-in").await?;
        self.browser.sign_in_at_provider("bench").await?;
        let signed_in = self.mark("signedIn").await?;
        let requests = signed_in["requests"].as_array().into_iter().flatten();
        Ok(Sample {
            ready_ms: ready["ready"].as_f64().unwrap_or_default(),
            signed_in_ms: signed_in["signedIn"].as_f64().unwrap_or_default(),
            signed_in_from_fetch_ms: signed_in["signedInFromFetch"].as_f64().unwrap_or_default(),
            requests: requests.filter_map(|r| r.as_str().map(str::to_owned)).collect(),
        })
    }
}

/// A reported figure's name, and how to read it from a sample.
type Metric = (&'static str, fn(&Sample) -> f64);

/// What is reported.
const METRICS: [Metric; 3] = [
    ("callback_to_signed_in_ms", |s| s.signed_in_ms),
    ("callback_fetch_to_signed_in_ms", |s| s.signed_in_from_fetch_ms),
    ("first_visit_to_sign_in_ms", |s| s.ready_ms),
];

/// Median, lowest and highest.
fn summary(values: &[f64]) -> Value {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or_default();
    json!({
        "median": median.round(),
        "min": sorted.first().copied().unwrap_or_default().round(),
        "max": sorted.last().copied().unwrap_or_default().round(),
        "runs": values.iter().map(|v| v.round()).collect::<Vec<_>>(),
    })
}

fn ratio(ours: &Value, reference: &Value) -> f64 {
    let (a, b) = (ours["median"].as_f64().unwrap_or_default(), reference["median"].as_f64().unwrap_or_default());
    if b > 0.0 { (a / b * 100.0).round() / 100.0 } else { 0.0 }
}

async fn measure(bench: &Bench<'_>, network: &Network) -> Result<Value, String> {
    bench.emulate(network).await?;
    let sites = [("ours", APP), ("reference", REFERENCE)];
    let mut samples: [Vec<Sample>; 2] = [Vec::new(), Vec::new()];
    for run in 0..=RUNS {
        for (i, (_, site)) in sites.iter().enumerate() {
            let sample = bench.sample(site).await?;
            if run > 0 {
                samples[i].push(sample);
            }
        }
    }
    let mut figures = json!({});
    for (metric, pick) in METRICS {
        let ours = summary(&samples[0].iter().map(pick).collect::<Vec<_>>());
        let reference = summary(&samples[1].iter().map(pick).collect::<Vec<_>>());
        figures[metric] = json!({ "ratio": ratio(&ours, &reference), "ours": ours, "reference": reference });
    }
    for (i, (name, _)) in sites.iter().enumerate() {
        let requests = samples[i].last().map(|s| s.requests.clone()).unwrap_or_default();
        figures["callback_requests"][name] = json!(requests);
    }
    Ok(figures)
}

fn print(network: &str, figures: &Value) {
    for (metric, _) in METRICS {
        let f = &figures[metric];
        let cell = |s: &Value| format!("{} ({}–{})", s["median"], s["min"], s["max"]);
        println!("{network:<9} {metric:<31} {:>22} {:>22} {:>6}", cell(&f["ours"]), cell(&f["reference"]), f["ratio"]);
    }
    for site in ["ours", "reference"] {
        let requests = figures["callback_requests"][site].as_array().map_or(0, Vec::len);
        println!("{network:<9} requests on the callback path, {site}: {requests}");
    }
}

fn run(reference_dir: PathBuf, output: PathBuf) -> Result<(), String> {
    let fixture = Fixture::start(60)?;
    fixture.runtime.block_on(async {
        serve_site(&reference_dir, REFERENCE_PORT).await?;
        let browser = Browser::open(fixture.driver_url()).await?;
        let bench = Bench { browser: &browser, driver: fixture.driver_url() };
        bench.cdp("Page.addScriptToEvaluateOnNewDocument", json!({ "source": PROBE })).await?;
        let mut all = json!({ "runs": RUNS });
        println!("\n{:<9} {:<31} {:>22} {:>22} {:>6}", "network", "median ms (min–max)", "ours", "reference", "ratio");
        for network in networks() {
            let figures = measure(&bench, &network).await;
            let figures = match figures {
                Ok(figures) => figures,
                Err(e) => {
                    browser.close().await;
                    return Err(format!("{}: {e}", network.name));
                }
            };
            print(network.name, &figures);
            all[network.name] = figures;
        }
        browser.close().await;
        let text = serde_json::to_string_pretty(&all).map_err(fail("json"))?;
        std::fs::write(&output, text).map_err(fail("write the timings"))
    })
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let (Some(reference_dir), Some(output)) = (args.next(), args.next()) else {
        eprintln!("usage: bench <reference site folder> <JSON output file>");
        return ExitCode::FAILURE;
    };
    match run(reference_dir, output) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}
