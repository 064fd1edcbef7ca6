//! Minifies wasm-bindgen's JS glue with terser, keeping the page's Subresource Integrity hash of
//! it (Trunk's `modulepreload` carries one) true.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha384};

use crate::install::run;
use crate::run::command;

/// The `integrity` value of a file's bytes (W3C SRI, sha384).
pub fn integrity(bytes: &[u8]) -> String {
    format!("sha384-{}", STANDARD.encode(Sha384::digest(bytes)))
}

/// Minifies every `.js` file of `dist` and returns `index` with their new integrity hashes.
pub fn minify(dist: &Path, index: &str) -> Result<String, String> {
    let mut index = index.to_owned();
    let scripts = std::fs::read_dir(dist).map_err(|e| format!("{}: {e}", dist.display()))?;
    for path in scripts.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "js")) {
        let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
        let before = integrity(&read(&path)?);
        let file = path.display().to_string();
        run(&mut command("terser", &[&file, "--module", "--compress", "--mangle", "--output", &file]))?;
        index = index.replace(&before, &integrity(&read(&path)?));
    }
    Ok(index)
}
