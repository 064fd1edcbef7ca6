//! The library's documentation, checked: `cargo doc` without warnings, and rustdoc's own coverage
//! report — every public item documented, every item rustdoc expects an example for has one.

use std::process::Command;

use crate::install::{NIGHTLY, root};
use crate::run::command;

/// The crate whose public API is documented for users.
const LIBRARY: &str = "leptos-pkce-auth";

/// Items without docs or without an example, per file, from rustdoc's `--show-coverage` JSON.
fn gaps(report: &serde_json::Value) -> Vec<String> {
    let count = |file: &serde_json::Value, key: &str| file.get(key).and_then(serde_json::Value::as_u64).unwrap_or(0);
    let files = report.as_object().into_iter().flatten();
    files
        .filter(|(_, f)| {
            count(f, "with_docs") < count(f, "total") || count(f, "with_examples") < count(f, "total_examples")
        })
        .map(|(name, f)| {
            format!(
                "{name}: {}/{} documented, {}/{} with examples",
                count(f, "with_docs"),
                count(f, "total"),
                count(f, "with_examples"),
                count(f, "total_examples")
            )
        })
        .collect()
}

/// Runs `cargo doc` (warnings are errors) and the coverage report.
pub fn check() -> Result<(), String> {
    let mut doc = command("cargo", &["doc", "-p", LIBRARY, "--no-deps"]);
    crate::install::run(doc.env("RUSTDOCFLAGS", "-D warnings"))?;
    let mut coverage: Command = command(
        "cargo",
        &["rustdoc", "-p", LIBRARY, "--", "-Z", "unstable-options", "--show-coverage", "--output-format", "json"],
    );
    coverage.env("RUSTUP_TOOLCHAIN", NIGHTLY).env("CARGO_TARGET_DIR", root().join("target/nightly"));
    let out = coverage.output().map_err(|e| format!("rustdoc --show-coverage: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let report: serde_json::Value =
        serde_json::from_str(text.trim()).map_err(|e| format!("rustdoc's coverage report ({e}): {text}"))?;
    let gaps = gaps(&report);
    if !out.status.success() || report.as_object().is_none_or(|files| files.is_empty()) || !gaps.is_empty() {
        return Err(format!(
            "{LIBRARY}'s documentation has gaps: {gaps:?} (rustdoc: {})",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    eprintln!("xtask: every public item of {LIBRARY} is documented, with the examples rustdoc expects");
    Ok(())
}

#[test]
fn a_file_with_an_item_lacking_an_example_is_a_gap() {
    let report = serde_json::json!({
        "src/a.rs": {"total": 3, "with_docs": 3, "total_examples": 2, "with_examples": 2},
        "src/b.rs": {"total": 2, "with_docs": 2, "total_examples": 2, "with_examples": 1},
    });
    assert_eq!(gaps(&report), ["src/b.rs: 2/2 documented, 1/2 with examples"]);
}
