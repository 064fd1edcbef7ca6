//! `cargo xtask size`: every shipped file's bytes, raw and gzip -9, from a fresh release build.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::install::root;
use crate::run::build_release;

fn gzip_len(bytes: &[u8]) -> Result<usize, String> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes).map_err(|e| e.to_string())?;
    encoder.finish().map(|v| v.len()).map_err(|e| e.to_string())
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
        let bytes = std::fs::read(file.path()).map_err(|e| e.to_string())?;
        let gz = gzip_len(&bytes)?;
        raw_total += bytes.len();
        gz_total += gz;
        println!(
            "{:<48} {:>10} {:>10}",
            file.file_name().to_string_lossy(),
            bytes.len(),
            gz
        );
    }
    println!("{:<48} {:>10} {:>10}", "total", raw_total, gz_total);
    Ok(())
}
