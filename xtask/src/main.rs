//! `cargo xtask dev` runs the app with the local provider; `cargo xtask test` runs every suite;
//! `cargo xtask build` makes the release `dist/`; `cargo xtask size` reports its bytes. Each installs what is missing first.

mod csp;
mod install;
mod run;
mod size;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <dev | test | build | size>
  dev    install what is missing, start the identity provider and serve the app at http://127.0.0.1:8080
  test   install what is missing, then fmt, clippy, native, browser and end-to-end tests
  build  install what is missing and build the release app into dist/ (static files to deploy)
  size   build the release app and report every shipped file's bytes, raw and gzip -9";

fn main() -> ExitCode {
    let command = std::env::args().nth(1).unwrap_or_default();
    let result = match command.as_str() {
        "dev" => install::everything().and_then(|()| run::dev()),
        "test" => install::everything().and_then(|()| run::test()),
        "build" => install::everything().and_then(|()| run::build_release()),
        "size" => install::everything().and_then(|()| size::report()),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
