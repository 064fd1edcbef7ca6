//! Splits the pages most people never open (`/api`, `/flow`: the `#[lazy]` functions of
//! `src/app.rs`) off the shipped WebAssembly, so that the sign-in path does not download them.
//!
//! Trunk builds the page as usual (its HTML, CSS, loader and file names); the raw module that
//! Cargo linked for it (with `--emit-relocs`) is then split here (`wasm_split_cli_support`, as
//! `cargo leptos --split` does), bound by wasm-bindgen and optimised by wasm-opt like Trunk's, and
//! written over Trunk's files; each page's module sits beside them, with the loader
//! `__wasm_split.js` that fetches it when the page is first opened.

use std::path::{Path, PathBuf};

use crate::glue::integrity;
use crate::install::{WASM_TARGET, root, run};
use crate::run::command;

/// The loader of the split modules, imported by the main module's JS glue.
const LOADER: &str = "__wasm_split.js";

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::copy(from, to).map(drop).map_err(|e| format!("{} → {}: {e}", from.display(), to.display()))
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
    let mut index = index.to_owned();
    let params = wasm_opt_params()?;
    for (name, fresh) in [(&wasm, None), (&js, Some(bindgen.join(&js)))] {
        let before = integrity(&read(&dist.join(name))?);
        match fresh {
            Some(glue) => copy(&glue, &dist.join(name))?,
            None => optimise(&bindgen.join(name), &dist.join(name), &params)?,
        }
        index = index.replace(&before, &integrity(&read(&dist.join(name))?));
    }
    copy(&work.join(LOADER), &dist.join(LOADER))?;
    // The glue imports the loader: fetch it beside the glue, not after it.
    let glue_preload = format!("href=/{js} ");
    let at =
        index.find(&glue_preload).and_then(|at| index[..at].rfind("<link")).ok_or("no modulepreload of the glue")?;
    index.insert_str(at, &format!("<link crossorigin href=/{LOADER} rel=modulepreload>"));
    let mut modules = Vec::new();
    for module in &split.split_modules {
        let name: PathBuf = module.file_name().ok_or("a split module without a name")?.into();
        optimise(module, &dist.join(&name), &params)?;
        modules.push(name.display().to_string());
    }
    Ok((index, modules))
}
