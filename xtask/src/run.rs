//! The `dev` and `test` commands.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command};

use crate::install::{CHROMEDRIVER, NIGHTLY, WASM_TARGET, root, run};
use crate::{csp, docs, glue, publish, size, split};

/// A command run from the repository root, with the project's npm-installed tools on PATH.
pub fn command(program: &str, args: &[&str]) -> Command {
    let mut command = Command::new(program);
    let tools = root().join("dev/build-tools/node_modules/.bin");
    let path = std::env::var("PATH").unwrap_or_default();
    command.args(args).current_dir(root()).env("PATH", format!("{}:{path}", tools.display()));
    command
}

/// Flags of the shipped build: no panic messages, locations or `Debug` formatting in the binary,
/// Leptos components type-erased (fewer monomorphised views), and the lazy pages made split
/// points, with the relocations the split needs (see `split.rs`); and JS values kept in the glue's
/// heap rather than in a table of `externref`s (whose per-import shims cost 1.2 KB more).
const SHIPPED_RUSTFLAGS: &str = "--cfg getrandom_backend=\"wasm_js\" --cfg erase_components -Cpanic=immediate-abort \
     -Zunstable-options -Zlocation-detail=none -Zfmt-debug=none --cfg split -Clink-args=--emit-relocs \
     -Ctarget-feature=-reference-types";

/// A command that builds the shipped WebAssembly: the pinned nightly, the standard library rebuilt
/// with the size flags, in a target folder of its own (the stable checks keep theirs).
fn shipped(program: &str, args: &[&str]) -> Command {
    let mut command = command(program, args);
    command
        .env("RUSTUP_TOOLCHAIN", NIGHTLY)
        .env("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort")
        // The standard library's smaller variants (sorting, formatting, …).
        .env("CARGO_UNSTABLE_BUILD_STD_FEATURES", "optimize_for_size")
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS", SHIPPED_RUSTFLAGS)
        // rust-lld without wasm-streams' exports (see the script).
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", root().join("xtask/link-shipped"))
        .env("CARGO_TARGET_DIR", root().join("target/shipped"));
    command
}

/// Builds the release app into `dist/`, with its security headers (`_headers`, and a `<meta>`).
pub fn build_release() -> Result<(), String> {
    // Cargo first, online, so that the standard library's own dependencies are fetched; Trunk then
    // finds the build fresh (it runs Cargo offline).
    run(&mut shipped("cargo", &["build", "--release", "--target", WASM_TARGET, "--bin", "leptos-pkce"]))?;
    run(&mut shipped("trunk", &["build", "--release"]))?;
    let dist = root().join("dist");
    let read = |name: &str| std::fs::read_to_string(dist.join(name)).map_err(|e| format!("dist/{name}: {e}"));
    let (index, modules) = split::split_pages(&dist, &read("index.html")?)?;
    eprintln!("xtask: split off {modules:?}");
    let index = glue::minify(&dist, &index)?;
    let policy = csp::policy(&index, &read("config.json")?)?;
    let write =
        |name: &str, text: String| std::fs::write(dist.join(name), text).map_err(|e| format!("dist/{name}: {e}"));
    write("_headers", csp::headers_file(&policy))?;
    write("index.html", csp::with_meta(&index, &policy))?;
    size::write_gzip_copies(&dist)
}

/// Prints the bytes of every file in `dist/`.
pub fn print_size() -> Result<(), String> {
    size::print("dist/", &size::measure(&root().join("dist"))?);
    Ok(())
}

/// A background service that dies with xtask (Ctrl-C, or xtask killed) and is killed on drop.
struct Service(Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Linux: the child is sent SIGKILL when xtask exits, however it exits.
fn die_with_xtask(command: &mut Command) {
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
}

fn start_service(mut command: Command) -> Result<Service, String> {
    die_with_xtask(&mut command);
    command.spawn().map(Service).map_err(|e| format!("could not start {command:?}: {e}"))
}

/// Starts the identity provider and the demo API, and serves the app at http://127.0.0.1:8080
/// until Ctrl-C.
pub fn dev() -> Result<(), String> {
    run(&mut command("cargo", &["build", "-p", "api"]))?;
    let mut idp = Command::new("node");
    idp.arg("server.js").current_dir(root().join("dev/idp"));
    let _idp = start_service(idp)?;
    let _api = start_service(Command::new(root().join("target/debug/api")))?;
    eprintln!(
        "xtask: provider http://127.0.0.1:4000, APIs http://127.0.0.1:4001 and :4002, app http://127.0.0.1:8080 (Ctrl-C stops all)"
    );
    let mut serve = command("trunk", &["serve"]);
    die_with_xtask(&mut serve);
    run(&mut serve)
}

fn step(name: &str, mut command: Command) -> Result<(), String> {
    eprintln!("\n== {name}");
    run(&mut command)
}

/// fmt, clippy (native and wasm), native tests, the libraries' documentation and crates, browser
/// tests, release build, end-to-end tests.
pub fn test() -> Result<(), String> {
    step("format", command("cargo", &["fmt", "--all", "--check"]))?;
    step("clippy (native)", command("cargo", &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    step(
        "clippy (wasm)",
        command(
            "cargo",
            &[
                "clippy",
                "-p",
                "leptos-pkce",
                "-p",
                "leptos-pkce-auth",
                "--all-targets",
                "--target",
                WASM_TARGET,
                "--",
                "-D",
                "warnings",
            ],
        ),
    )?;
    step("native tests and doc examples", command("cargo", &["test", "--workspace", "--exclude", "e2e"]))?;
    eprintln!("\n== the library's documentation");
    docs::check()?;
    eprintln!("\n== the libraries' crates (cargo package, cargo publish --dry-run; nothing is published)");
    publish::check()?;
    let mut browser = command("cargo", &["test", "-p", "leptos-pkce-auth", "--target", WASM_TARGET, "--lib"]);
    browser.env("CHROMEDRIVER", CHROMEDRIVER);
    step("browser tests (wasm-bindgen-test, headless Chromium)", browser)?;
    eprintln!("\n== release build");
    build_release()?;
    print_size()?;
    let mut example = command("trunk", &["build"]);
    example.current_dir(root().join("examples/minimal"));
    step("the example app (examples/minimal, a debug build)", example)?;
    step(
        "end-to-end tests (Chromium, local provider, release build, the example)",
        command("cargo", &["test", "-p", "e2e"]),
    )?;
    eprintln!("\nxtask: every suite passed");
    Ok(())
}
