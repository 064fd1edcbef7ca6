//! The libraries as crates.io would take them: `cargo package` builds each one from its packaged
//! files alone (`oidc-protocol`, not on crates.io yet, reaches `leptos-pkce-auth` through Cargo's
//! local overlay of the packages packaged together), then `cargo publish --dry-run` does all of
//! publishing but the upload. Nothing is ever published.

use std::process::Command;

use crate::install::run;
use crate::run::command;

/// The published crates, a dependency before the crates that depend on it (as crates.io needs them).
const CRATES: [&str; 2] = ["oidc-protocol", "leptos-pkce-auth"];

/// `cargo <subcommand>` for every published crate at once. `--allow-dirty`: a run before a commit
/// packages the work tree as it is (CI's clone is clean anyway).
fn cargo(subcommand: &[&str]) -> Command {
    let mut args = subcommand.to_vec();
    for name in CRATES {
        args.extend(["-p", name]);
    }
    args.push("--allow-dirty");
    command("cargo", &args)
}

/// Packages and verifies the crates, then the dry run of publishing them. The dry run does not
/// verify again: it would build the very packages just built.
pub fn check() -> Result<(), String> {
    run(&mut cargo(&["package"]))?;
    run(&mut cargo(&["publish", "--dry-run", "--no-verify"]))?;
    eprintln!("xtask: {} build from their packages alone and pass a dry run of publishing", CRATES.join(" and "));
    Ok(())
}

/// The `key = value` lines of a manifest's `[table]`, values as written.
#[cfg(test)]
fn table<'a>(manifest: &'a str, name: &str) -> Vec<(&'a str, &'a str)> {
    let mut inside = false;
    let mut keys = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            inside = line == format!("[{name}]");
        } else if inside && let Some((key, value)) = line.split_once('=') {
            keys.push((key.trim(), value.trim()));
        }
    }
    keys
}

#[cfg(test)]
fn manifest(folder: &str) -> String {
    let path = crate::install::root().join(folder).join("Cargo.toml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_crates_packaged_are_the_workspace_s_publishable_ones() {
    let root = manifest(".");
    let members = table(&root, "workspace").into_iter().find(|(key, _)| *key == "members").map(|(_, value)| value);
    let members = members.expect("the workspace lists its members on one line");
    let folders = members.trim_matches(['[', ']']).split(',').map(|m| m.trim().trim_matches('"'));
    let mut publishable: Vec<String> = folders
        .map(manifest)
        .filter(|m| !table(m, "package").contains(&("publish", "false")))
        .map(|m| table(&m, "package").iter().find(|(key, _)| *key == "name").unwrap().1.trim_matches('"').to_owned())
        .collect();
    publishable.sort();
    let mut listed = CRATES.map(str::to_owned).to_vec();
    listed.sort();
    assert_eq!(publishable, listed, "a crate without `publish = false` is packaged by `cargo xtask test`");
}

#[test]
fn each_published_manifest_has_what_crates_io_shows() {
    for name in CRATES {
        let text = manifest(&format!("crates/{name}"));
        let package = table(&text, "package");
        let value = |key: &str| package.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
        for key in ["version", "description", "license", "repository", "documentation", "readme", "rust-version"] {
            assert!(value(key).is_some(), "{name}: `{key}`");
        }
        assert_eq!(value("license"), Some("\"MIT OR Apache-2.0\""), "{name}");
        let keywords = value("keywords").unwrap_or_else(|| panic!("{name}: `keywords`"));
        assert!((1..=5).contains(&keywords.split(',').count()), "{name}: crates.io takes at most 5 keywords");
        assert!(value("categories").is_some(), "{name}: `categories`");
        // A path dependency needs a version too: the published crate depends on crates.io's.
        let dependencies = table(&text, "dependencies");
        let by_path = dependencies.iter().filter(|(_, v)| v.contains("path ="));
        assert!(by_path.clone().all(|(_, v)| v.contains("version =")), "{name}: {:?}", by_path.collect::<Vec<_>>());
    }
}
