//! The end-to-end harness: starts the local provider, serves the release build and drives
//! Chromium through chromedriver; every process it starts is stopped when the fixture drops.

pub mod api_page;
pub mod browser;
pub mod dot;
pub mod provider;
pub mod scenarios;
pub mod services;

use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;

pub use browser::Browser;
use libtest_mimic::{Arguments, Failed, Trial};
pub use provider::Provider;
pub use services::Fixture;

/// What a scenario returns: `Err` carries the reason it failed.
pub type Outcome = Result<(), String>;

/// Turns any displayable error into a scenario failure.
pub fn fail<E: std::fmt::Display>(context: &str) -> impl FnOnce(E) -> String + '_ {
    move |e| format!("{context}: {e}")
}

/// Fails with `message` unless `condition` holds.
pub fn ensure(condition: bool, message: impl Into<String>) -> Outcome {
    if condition { Ok(()) } else { Err(message.into()) }
}

/// Runs one scenario by name, on a suite's fixture `H`.
pub type DispatchOn<H> = for<'a> fn(&'a str, &'a H, &'a Browser) -> Pin<Box<dyn Future<Output = Outcome> + 'a>>;

/// What a suite's scenarios share whatever the provider: a runtime, chromedriver, and the
/// provider implementation the browser signs in at.
pub trait Harness: Send + Sync + 'static {
    fn runtime(&self) -> &tokio::runtime::Runtime;
    fn driver_url(&self) -> &str;
    fn provider(&self) -> &'static Provider;
    /// Where the provider's dev-only counters are (`/__dev/stats`): token endpoint answers by
    /// grant type and `errors`.
    fn provider_stats_url(&self) -> String;
}

impl Harness for Fixture {
    fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.runtime
    }

    fn driver_url(&self) -> &str {
        Fixture::driver_url(self)
    }

    fn provider(&self) -> &'static Provider {
        &provider::OIDC_PROVIDER
    }

    fn provider_stats_url(&self) -> String {
        format!("{}/__dev/stats", services::IDP)
    }
}

fn run_scenario<H: Harness>(fixture: &H, name: &str, dispatch: DispatchOn<H>) -> Result<(), Failed> {
    fixture
        .runtime()
        .block_on(async {
            let browser = Browser::open(fixture.driver_url()).await?.at(fixture.provider());
            let result = dispatch(name, fixture, &browser).await;
            browser.close().await;
            result
        })
        .map_err(Failed::from)
}

/// A libtest-style run of `scenarios`, each in a fresh Chromium, sharing the one fixture that
/// `start` makes (the local provider's, or another provider's); every process is stopped before
/// it returns.
pub fn run_suite_on<H: Harness>(
    start: impl FnOnce() -> Result<H, String>,
    scenarios: &[&'static str],
    dispatch: DispatchOn<H>,
) -> ExitCode {
    let mut args = Arguments::from_args();
    // One provider and fixed ports: scenarios run one after another.
    args.test_threads = Some(1);
    let fixture = if args.list {
        None
    } else {
        match start() {
            Ok(fixture) => Some(Arc::new(fixture)),
            Err(e) => {
                eprintln!("end-to-end fixture failed to start: {e}");
                return ExitCode::FAILURE;
            }
        }
    };
    let trials = scenarios
        .iter()
        .map(|&name| {
            let fixture = fixture.clone();
            Trial::test(name, move || match &fixture {
                Some(fixture) => run_scenario(fixture.as_ref(), name, dispatch),
                None => Ok(()),
            })
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    drop(fixture);
    conclusion.exit_code()
}

/// Declares a suite: `suite!(access_token_ttl: 60, scenario_a, scenario_b)` where each scenario is
/// `async fn(&Fixture, &Browser) -> Outcome`; the app is the release build in `dist/` unless
/// `site: "examples/…/dist",` comes first; with `fixture: Type = start_expression,` first, the
/// scenarios take `&Type` (a [`Harness`]) and share the fixture that expression makes.
#[macro_export]
macro_rules! suite {
    (fixture: $fixture:ty = $start:expr, $($name:ident),* $(,)?) => {
        fn dispatch<'a>(
            name: &'a str,
            f: &'a $fixture,
            b: &'a $crate::Browser,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = $crate::Outcome> + 'a>> {
            Box::pin(async move {
                match name {
                    $(stringify!($name) => $name(f, b).await,)*
                    _ => Err(format!("unknown scenario {name}")),
                }
            })
        }

        fn main() -> std::process::ExitCode {
            $crate::run_suite_on(|| $start, &[$(stringify!($name)),*], dispatch)
        }
    };
    (access_token_ttl: $ttl:expr, $($name:ident),* $(,)?) => {
        $crate::suite!(site: "dist", access_token_ttl: $ttl, $($name),*);
    };
    (site: $site:expr, access_token_ttl: $ttl:expr, $($name:ident),* $(,)?) => {
        $crate::suite!(fixture: $crate::Fixture = $crate::Fixture::start_site($ttl, $site), $($name),*);
    };
}
