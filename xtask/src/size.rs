//! Shipped bytes: every file of a static site, raw, gzip -9 and brotli (quality 11).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

/// One shipped file's size three ways.
pub struct FileSize {
    pub name: String,
    pub raw: usize,
    pub gzip: usize,
    pub brotli: usize,
}

/// `gzip -9` of `bytes` (the budget's measure).
fn gzip(path: &Path) -> Result<Vec<u8>, String> {
    let out = Command::new("gzip").args(["-9", "-c", "-n"]).arg(path).output().map_err(|e| format!("gzip: {e}"))?;
    if out.status.success() { Ok(out.stdout) } else { Err(format!("gzip failed on {}", path.display())) }
}

fn brotli_len(bytes: &[u8]) -> Result<usize, String> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, ..Default::default() };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).map_err(|e| format!("brotli: {e}"))?;
    Ok(out.len())
}

/// The files a browser would fetch from `dir` (not the `.gz` copies made for the server).
fn shipped_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| p.extension().is_none_or(|x| x != "gz") && p.file_name().is_some_and(|n| n != "_headers"))
        .collect();
    files.sort();
    Ok(files)
}

/// Writes `file.gz` (gzip -9) next to every shipped file, for servers that send it pre-compressed.
pub fn write_gzip_copies(dir: &Path) -> Result<(), String> {
    for file in shipped_files(dir)? {
        let mut name = file.clone().into_os_string();
        name.push(".gz");
        std::fs::write(&name, gzip(&file)?).map_err(|e| format!("{}: {e}", file.display()))?;
    }
    Ok(())
}

/// Every shipped file of `dir`, measured.
pub fn measure(dir: &Path) -> Result<Vec<FileSize>, String> {
    shipped_files(dir)?
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            Ok(FileSize { name, raw: bytes.len(), gzip: gzip(&path)?.len(), brotli: brotli_len(&bytes)? })
        })
        .collect()
}

/// Whether a file is only fetched when a page that needs it is opened (a module split off by
/// `split.rs`, or a chunk such modules share).
fn on_demand(file: &FileSize) -> bool {
    file.name.ends_with(".wasm") && (file.name.starts_with("split_") || file.name.starts_with("chunk_"))
}

fn sum<'a>(name: &str, files: impl Iterator<Item = &'a FileSize> + Clone) -> FileSize {
    let add = |f: fn(&FileSize) -> usize| files.clone().map(f).sum();
    FileSize { name: name.into(), raw: add(|f| f.raw), gzip: add(|f| f.gzip), brotli: add(|f| f.brotli) }
}

/// Every file together.
pub fn total(files: &[FileSize]) -> FileSize {
    sum("total", files.iter())
}

/// What the sign-in path downloads: every file but the split-off pages' modules (the budget's
/// measure).
pub fn sign_in_path(files: &[FileSize]) -> FileSize {
    sum("sign-in path (all but the split-off pages)", files.iter().filter(|f| !on_demand(f)))
}

/// Prints a table of `files`, their total and the sign-in path's under `title`.
pub fn print(title: &str, files: &[FileSize]) {
    println!("\n{title:<48} {:>10} {:>10} {:>10}", "raw", "gzip -9", "brotli 11");
    for file in files.iter().chain([&total(files), &sign_in_path(files)]) {
        println!("{:<48} {:>10} {:>10} {:>10}", file.name, file.raw, file.gzip, file.brotli);
    }
}

/// The figures as JSON.
pub fn to_json(files: &[FileSize]) -> Value {
    let row = |f: &FileSize| json!({ "file": f.name, "raw": f.raw, "gzip": f.gzip, "brotli": f.brotli });
    json!({
        "files": files.iter().map(row).collect::<Vec<_>>(),
        "total": row(&total(files)),
        "sign_in_path": row(&sign_in_path(files)),
    })
}

#[test]
fn the_split_off_modules_are_not_on_the_sign_in_path() {
    let file = |name: &str, gzip| FileSize { name: name.into(), raw: gzip * 2, gzip, brotli: gzip };
    let files = [
        file("index.html", 10),
        file("app-1a_bg.wasm", 100),
        file("__wasm_split.js", 5),
        file("split_api_page_1.wasm", 40),
        file("chunk_3.wasm", 2),
    ];
    assert_eq!((total(&files).gzip, sign_in_path(&files).gzip), (157, 115));
}
