//! The end-to-end harness: starts the local provider, serves the release build and drives
//! Chromium through chromedriver; every process it starts is stopped when the fixture drops.

pub mod browser;
pub mod services;

pub use browser::Browser;
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
