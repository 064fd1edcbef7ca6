//! `cargo xtask bench`: the shipped bytes of the app and of a reference page built on Auth0's own
//! SDK (npm `@auth0/auth0-spa-js`), then both signing in side by side in Chromium (figures only).

use std::path::Path;

use serde_json::json;

use crate::install::{npm_package, root, run};
use crate::run::{build_release, command};
use crate::size;

/// The reference page's sources, and the SDK file it loads.
const REFERENCE_SOURCES: &str = "dev/reference";
const SDK: &str = "node_modules/@auth0/auth0-spa-js/dist/auth0-spa-js.production.js";

/// Puts the reference page's files into `site` (with their `.gz` copies).
fn assemble_reference(site: &Path) -> Result<(), String> {
    let sources = root().join(REFERENCE_SOURCES);
    std::fs::create_dir_all(site).map_err(|e| format!("{}: {e}", site.display()))?;
    for (from, to) in [("index.html", "index.html"), ("app.js", "app.js"), (SDK, "auth0-spa-js.production.js")] {
        std::fs::copy(sources.join(from), site.join(to)).map_err(|e| format!("{from}: {e}"))?;
    }
    size::write_gzip_copies(site)
}

/// Builds both pages, prints their bytes, times them, and writes `target/bench/bench.json`.
pub fn bench() -> Result<(), String> {
    npm_package(REFERENCE_SOURCES)?;
    build_release()?;
    let out = root().join("target/bench");
    let reference = out.join("reference");
    assemble_reference(&reference)?;
    let ours = size::measure(&root().join("dist"))?;
    let theirs = size::measure(&reference)?;
    size::print("ours (dist/)", &ours);
    size::print("reference (auth0-spa-js 2.24.1)", &theirs);
    let (a, b) = (size::sign_in_path(&ours).gzip, size::total(&theirs).gzip);
    println!("gzip ratio ours (sign-in path)/reference: {:.2}", a as f64 / b as f64);
    let timings = out.join("timings.json");
    let (reference_arg, timings_arg) = (reference.display().to_string(), timings.display().to_string());
    run(&mut command("cargo", &["run", "--quiet", "-p", "e2e", "--bin", "bench", "--", &reference_arg, &timings_arg]))?;
    let timings: serde_json::Value = std::fs::read_to_string(&timings)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .ok_or("the timings were not written")?;
    let figures = json!({
        "bytes": { "ours": size::to_json(&ours), "reference": size::to_json(&theirs) },
        "timings": timings,
    });
    let path = out.join("bench.json");
    std::fs::write(&path, serde_json::to_string_pretty(&figures).unwrap_or_default())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    println!("\nxtask: figures written to {}", path.display());
    Ok(())
}
