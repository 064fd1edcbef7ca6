//! Splits the pages most people never open (`/api`, `/flow`: the `#[lazy]` functions of
//! `src/app.rs`) off the shipped WebAssembly, so that the sign-in path does not download them.
//!
//! Trunk builds the page as usual (its HTML, CSS, loader and file names); the raw module that
//! Cargo linked for it (with `--emit-relocs`) is then split here (`wasm_split_cli_support`, as
//! `cargo leptos --split` does), bound by wasm-bindgen and optimised by wasm-opt like Trunk's, and
//! written over Trunk's files; each page's module sits beside them, with the loader
//! `__wasm_split-<hash>.js` that fetches it when the page is first opened. Like Trunk's, their
//! names carry a hash of their content, so that a static host may cache them for good.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::glue::integrity;
use crate::install::{WASM_TARGET, root, run};
use crate::interface;
use crate::run::command;

/// The loader of the split modules, imported by the main module's JS glue.
const LOADER: &str = "__wasm_split.js";

/// `name` with a hash of `bytes` before its extension: `split_api.wasm` → `split_api-1a2b….wasm`.
fn hashed(name: &str, bytes: &[u8]) -> String {
    let hash: String = Sha256::digest(bytes).iter().take(8).map(|b| format!("{b:02x}")).collect();
    match name.rsplit_once('.') {
        Some((stem, extension)) => format!("{stem}-{hash}.{extension}"),
        None => format!("{name}-{hash}"),
    }
}

/// `text` (the file `what`) with `{how}"./{from}"` made `{how}"./{to}"`: the loader's
/// `URL("./…")` of a module, the glue's `from "./…"` of the loader (not the wasm imports' own
/// module name, which the glue also spells `"./__wasm_split.js"`).
fn renamed(text: &str, how: &str, from: &str, to: &str, what: &str) -> Result<String, String> {
    let reference = format!("{how}\"./{from}\"");
    if !text.contains(&reference) {
        return Err(format!("{what} has no {reference}"));
    }
    Ok(text.replace(&reference, &format!("{how}\"./{to}\"")))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The one file of `dist` whose name ends with `suffix` (Trunk's hashed names).
fn trunk_file(dist: &Path, suffix: &str) -> Result<String, String> {
    let names: Vec<String> = std::fs::read_dir(dist)
        .map_err(|e| format!("{}: {e}", dist.display()))?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with("leptos-pkce-") && name.ends_with(suffix))
        .collect();
    match names.as_slice() {
        [name] => Ok(name.clone()),
        _ => Err(format!("expected one leptos-pkce-*{suffix} in dist/, found {names:?}")),
    }
}

/// wasm-opt's arguments for the shipped module: the `data-wasm-opt-params` of `index.html`.
fn wasm_opt_params() -> Result<Vec<String>, String> {
    let index = std::fs::read_to_string(root().join("index.html")).map_err(|e| format!("index.html: {e}"))?;
    let params = index.split("data-wasm-opt-params=\"").nth(1).and_then(|rest| rest.split('"').next());
    let params = params.ok_or("index.html has no data-wasm-opt-params")?;
    Ok(params.split_whitespace().map(str::to_owned).collect())
}

fn optimise(input: &Path, output: &Path, params: &[String]) -> Result<(), String> {
    let (input, output) = (input.display().to_string(), output.display().to_string());
    let mut args: Vec<&str> = vec!["-Oz"];
    args.extend(params.iter().map(String::as_str));
    args.extend([input.as_str(), "-o", output.as_str()]);
    run(&mut command("wasm-opt", &args))
}

/// Splits the lazy pages off the module Trunk shipped in `dist`; returns `index` with the new
/// integrity hashes of the main module and its JS glue. Returns the split modules' file names.
pub fn split_pages(dist: &Path, index: &str) -> Result<(String, Vec<String>), String> {
    let (js, wasm) = (trunk_file(dist, ".js")?, trunk_file(dist, "_bg.wasm")?);
    let stem = js.trim_end_matches(".js");
    let raw = read(&root().join(format!("target/shipped/{WASM_TARGET}/release/leptos-pkce.wasm")))?;
    let work = root().join("target/split");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let main = work.join("main.wasm");
    let main_module = format!("./{js}");
    let link_name = format!("./{LOADER}");
    let split = wasm_split_cli_support::transform({
        let mut options = wasm_split_cli_support::Options::new(&raw);
        options.output_dir = &work;
        options.main_out_path = &main;
        options.main_module = &main_module;
        options.link_name = &link_name;
        options
    })
    .map_err(|e| format!("splitting the WebAssembly: {e:#}"))?;
    let bindgen = work.join("bindgen");
    let (main_path, bindgen_dir) = (main.display().to_string(), bindgen.display().to_string());
    run(&mut command(
        "wasm-bindgen",
        &[
            "--target",
            "web",
            "--keep-lld-exports",
            "--no-typescript",
            "--out-name",
            stem,
            "--out-dir",
            &bindgen_dir,
            &main_path,
        ],
    ))?;
    let (wasm_path, js_path) = (bindgen.join(&wasm), bindgen.join(&js));
    let glue = String::from_utf8_lossy(&read(&js_path)?).into_owned();
    let (slim_wasm, glue) = interface::slim(&read(&wasm_path)?, &glue, &format!("./{stem}_bg.js"))?;
    write(&wasm_path, &slim_wasm)?;
    let params = wasm_opt_params()?;
    // Each page's module under a hashed name, and the loader that names them.
    let mut loader = String::from_utf8_lossy(&read(&work.join(LOADER))?).into_owned();
    let mut modules = Vec::new();
    for module in &split.split_modules {
        let name = module.file_name().ok_or("a split module without a name")?.to_string_lossy().into_owned();
        let optimised = work.join(format!("{name}.opt"));
        optimise(module, &optimised, &params)?;
        let bytes = read(&optimised)?;
        let final_name = hashed(&name, &bytes);
        write(&dist.join(&final_name), &bytes)?;
        loader = renamed(&loader, "URL(", &name, &final_name, LOADER)?;
        modules.push(final_name);
    }
    let loader_name = hashed(LOADER, loader.as_bytes());
    write(&dist.join(&loader_name), loader.as_bytes())?;
    let glue = renamed(&glue, "from ", LOADER, &loader_name, &js)?;
    // The main module and its glue over Trunk's, their integrity hashes in the page updated.
    let mut index = index.to_owned();
    for name in [&wasm, &js] {
        let before = integrity(&read(&dist.join(name))?);
        if name == &js {
            write(&dist.join(name), glue.as_bytes())?;
        } else {
            optimise(&bindgen.join(name), &dist.join(name), &params)?;
        }
        index = index.replace(&before, &integrity(&read(&dist.join(name))?));
    }
    // The glue imports the loader: fetch it beside the glue, not after it.
    let glue_preload = format!("href=/{js} ");
    let at =
        index.find(&glue_preload).and_then(|at| index[..at].rfind("<link")).ok_or("no modulepreload of the glue")?;
    index.insert_str(at, &format!("<link crossorigin href=/{loader_name} rel=modulepreload>"));
    Ok((index, modules))
}

#[test]
fn a_hashed_name_keeps_its_stem_and_extension_and_follows_the_content() {
    let name = hashed("split_api_page_7.wasm", b"one");
    assert!(
        name.starts_with("split_api_page_7-")
            && name.ends_with(".wasm")
            && name.len() == "split_api_page_7-.wasm".len() + 16
    );
    assert_ne!(name, hashed("split_api_page_7.wasm", b"two"));
    assert_eq!(hashed("__wasm_split.js", b"x"), hashed("__wasm_split.js", b"x"));
}
