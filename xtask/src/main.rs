//! `cargo xtask dev` runs the app with the local provider; `cargo xtask test` runs every suite;
//! `cargo xtask build` makes the release `dist/`; `cargo xtask size` reports its bytes; `cargo xtask
//! bench` compares its bytes and sign-in times with Auth0's own SDK. Each installs what is missing first.

mod bench;
mod csp;
mod docs;
mod glue;
mod install;
mod interface;
#[cfg(test)]
mod layout;
mod publish;
mod run;
mod size;
mod split;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <dev | test | build | size | bench>
  dev    install what is missing, start the identity provider and serve the app at http://127.0.0.1:8080
  test   install what is missing, then fmt, clippy, native tests, the libraries' packages, browser and end-to-end tests
  build  install what is missing and build the release app into dist/ (static files to deploy)
  size   build the release app and report every shipped file's bytes, raw, gzip -9 and brotli
  bench  size, plus the same for a page on Auth0's own SDK, and both signing in side by side (loopback, mobile)";

fn main() -> ExitCode {
    let command = std::env::args().nth(1).unwrap_or_default();
    let result = match command.as_str() {
        "dev" => install::everything().and_then(|()| run::dev()),
        "test" => install::everything().and_then(|()| run::test()),
        "build" => install::everything().and_then(|()| run::build_release()),
        "size" => install::everything().and_then(|()| run::build_release()).and_then(|()| run::print_size()),
        "bench" => install::everything().and_then(|()| bench::bench()),
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
