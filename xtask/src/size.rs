//! `cargo xtask size`: every shipped file's bytes, raw and gzip -9, from a fresh release build.

use std::path::Path;
use std::process::Command;

use crate::install::root;
use crate::run::build_release;

/// The size of `gzip -9` of a file (the budget's measure).
fn gzip_len(path: &Path) -> Result<u64, String> {
    let out = Command::new("gzip").args(["-9", "-c"]).arg(path).output().map_err(|e| format!("gzip: {e}"))?;
    if out.status.success() { Ok(out.stdout.len() as u64) } else { Err(format!("gzip failed on {}", path.display())) }
}

/// Builds the release app and prints a table of `dist/`.
pub fn report() -> Result<(), String> {
    build_release()?;
    let dist = root().join("dist");
    let mut files: Vec<_> = std::fs::read_dir(&dist)
        .map_err(|e| format!("dist/: {e}"))?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .collect();
    files.sort_by_key(|e| e.file_name());
    let (mut raw_total, mut gz_total) = (0, 0);
    println!("{:<48} {:>10} {:>10}", "file", "raw", "gzip -9");
    for file in files {
        let raw = file.metadata().map_err(|e| e.to_string())?.len();
        let gz = gzip_len(&file.path())?;
        raw_total += raw;
        gz_total += gz;
        let name = file.file_name();
        println!("{:<48} {raw:>10} {gz:>10}", name.to_string_lossy());
    }
    println!("{:<48} {:>10} {:>10}", "total", raw_total, gz_total);
    Ok(())
}
