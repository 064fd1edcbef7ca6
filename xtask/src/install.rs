//! Installs whatever the build and tests need and the machine lacks; skips what is there.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The toolchain of the shipped WebAssembly: a pinned nightly (rustc 1.97, e50aa6fba 2026-05-19),
/// which rebuilds the standard library for size (`-Z build-std`). Everything else uses stable.
pub const NIGHTLY: &str = "nightly-2026-05-20";
/// Trunk's series: 0.22 needs a newer rustc than this project's.
const TRUNK_VERSION: &str = "0.21";
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Where Debian puts Chromium and its driver.
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// npm packages the project runs: the identity provider and the build's tools (wasm-opt, terser).
const NPM_PACKAGES: [&str; 2] = ["dev/idp", "dev/build-tools"];

/// The repository root (xtask lives one folder below it).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs a command to completion, failing with its name when it fails.
pub fn run(command: &mut Command) -> Result<(), String> {
    let status = command.status().map_err(|e| format!("could not run {command:?}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{command:?} failed ({status})")) }
}

/// A command's standard output, or `None` when it cannot run or fails.
fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn say(what: &str) {
    eprintln!("xtask: {what}");
}

/// The `wasm-bindgen` version locked in Cargo.lock (the CLI must match it exactly).
pub fn locked_wasm_bindgen() -> Result<String, String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            let version = lines.next().and_then(|l| l.strip_prefix("version = \"")?.strip_suffix('"'));
            return version.map(str::to_owned).ok_or_else(|| "Cargo.lock: wasm-bindgen has no version".into());
        }
    }
    Err("Cargo.lock does not lock wasm-bindgen".into())
}

fn wasm_target() -> Result<(), String> {
    let installed = output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if installed.lines().any(|l| l == WASM_TARGET) {
        return Ok(());
    }
    say("adding the wasm32-unknown-unknown target");
    run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

fn nightly() -> Result<(), String> {
    let components = output("rustup", &["component", "list", "--installed", "--toolchain", NIGHTLY]);
    if components.is_some_and(|c| c.lines().any(|l| l.starts_with("rust-src"))) {
        return Ok(());
    }
    say(&format!("installing the {NIGHTLY} toolchain with rust-src (builds the shipped WebAssembly)"));
    run(Command::new("rustup").args(["toolchain", "install", NIGHTLY, "--profile", "minimal", "-c", "rust-src"]))
}

fn trunk() -> Result<(), String> {
    let version = output("trunk", &["--version"]).unwrap_or_default();
    if version.starts_with(&format!("trunk {TRUNK_VERSION}.")) {
        return Ok(());
    }
    say("installing Trunk (a few minutes, once)");
    let spec = format!("~{TRUNK_VERSION}");
    run(Command::new("cargo").args(["install", "--locked", "trunk", "--version", &spec]))
}

fn wasm_bindgen_cli() -> Result<(), String> {
    let wanted = locked_wasm_bindgen()?;
    let trunk_toml = std::fs::read_to_string(root().join("Trunk.toml")).map_err(|e| format!("Trunk.toml: {e}"))?;
    if !trunk_toml.contains(&format!("wasm_bindgen = \"{wanted}\"")) {
        return Err(format!("Trunk.toml's [tools] wasm_bindgen must be \"{wanted}\", the version in Cargo.lock"));
    }
    if output("wasm-bindgen", &["--version"]).is_some_and(|v| v.trim() == format!("wasm-bindgen {wanted}")) {
        return Ok(());
    }
    say(&format!("installing wasm-bindgen-cli {wanted}"));
    // Not --locked: the registry may lack the newest versions its lockfile pins.
    run(Command::new("cargo").args(["install", "--force", "wasm-bindgen-cli", "--version", &wanted]))
}

fn chromium() -> Result<(), String> {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        return Ok(());
    }
    say("installing Chromium and ChromeDriver from Debian");
    run(Command::new("apt-get").arg("update"))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "chromium", "chromium-driver"])
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

fn npm_packages() -> Result<(), String> {
    if output("node", &["--version"]).is_none() {
        say("installing Node.js and npm from Debian");
        run(Command::new("apt-get").arg("update"))?;
        run(Command::new("apt-get").args(["install", "-y", "nodejs", "npm"]).env("DEBIAN_FRONTEND", "noninteractive"))?;
    }
    NPM_PACKAGES.into_iter().try_for_each(npm_package)
}

/// `npm ci` in `package` (a folder of the repository) unless its lockfile is installed already.
pub fn npm_package(package: &str) -> Result<(), String> {
    let dir = root().join(package);
    let lock = std::fs::metadata(dir.join("package-lock.json")).and_then(|m| m.modified());
    let installed = std::fs::metadata(dir.join("node_modules/.package-lock.json")).and_then(|m| m.modified());
    if let (Ok(lock), Ok(installed)) = (lock, installed)
        && installed >= lock
    {
        return Ok(());
    }
    say(&format!("installing npm packages in {package}"));
    run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&dir))
}

/// The second provider's Python packages (django-oauth-toolkit, `dev/idp-dot`): a virtualenv in
/// `dev/idp-dot/.venv` with the hashed lockfile, unless that lockfile is installed already.
fn python_packages() -> Result<(), String> {
    let dir = root().join("dev/idp-dot");
    let lock = std::fs::read(dir.join("requirements.txt")).map_err(|e| format!("dev/idp-dot/requirements.txt: {e}"))?;
    let marker = dir.join(".venv/installed-requirements.txt");
    if std::fs::read(&marker).is_ok_and(|installed| installed == lock) {
        return Ok(());
    }
    say("installing the Python packages in dev/idp-dot (django-oauth-toolkit) into dev/idp-dot/.venv");
    let mut venv = Command::new("python3");
    venv.args(["-m", "venv", ".venv"]).current_dir(&dir);
    if !dir.join(".venv/bin/pip").exists() && run(&mut venv).is_err() {
        say("installing Python and its venv module from Debian");
        run(Command::new("apt-get").arg("update"))?;
        run(Command::new("apt-get")
            .args(["install", "-y", "python3", "python3-venv"])
            .env("DEBIAN_FRONTEND", "noninteractive"))?;
        run(&mut venv)?;
    }
    run(Command::new(dir.join(".venv/bin/pip"))
        .args(["install", "--require-hashes", "--disable-pip-version-check", "-r", "requirements.txt"])
        .current_dir(&dir))?;
    std::fs::write(&marker, lock).map_err(|e| format!("{}: {e}", marker.display()))
}

/// Everything `dev`, `test` and `size` need.
pub fn everything() -> Result<(), String> {
    wasm_target()?;
    nightly()?;
    npm_packages()?;
    python_packages()?;
    chromium()?;
    trunk()?;
    wasm_bindgen_cli()
}
