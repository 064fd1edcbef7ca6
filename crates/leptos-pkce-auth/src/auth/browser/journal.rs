//! This tab's journal of the flow, for people to read: in sessionStorage, so that it outlives the
//! trips to the provider and stays with this tab. Nothing still usable goes in (see `flow`).

use super::json;
use super::storage::{self, Area};
use crate::auth::flow::{Details, Step};

const KEY: &str = "leptos-pkce.flow";
/// The most steps kept; the oldest go first.
const MAX_STEPS: usize = 60;

/// Starts a new journal: a new sign-in.
pub fn restart() {
    storage::remove(Area::Session, KEY);
}

/// Adds step `name`, happening now, with `details`.
pub fn record(name: &str, details: Details) {
    let step = Step { name: name.to_owned(), at: js_sys::Date::now() as u64, details };
    let text = storage::get(Area::Session, KEY).unwrap_or_default();
    let mut lines: Vec<&str> = text.lines().collect();
    let line = step.encode();
    lines.push(&line);
    let _ = storage::set(Area::Session, KEY, &lines[lines.len().saturating_sub(MAX_STEPS)..].join("\n"));
}

/// The steps so far, oldest first, as people read them (a line that is not a step is skipped).
pub fn steps() -> Vec<Step> {
    let text = storage::get(Area::Session, KEY).unwrap_or_default();
    text.lines().filter_map(Step::decode).flat_map(|step| step.expand(json::parse, json::stringify)).collect()
}
