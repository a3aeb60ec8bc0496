//! Embeds the built Activity page (`activity/web/dist`, made by `npm ci && npm run
//! build` in `activity/web`) into the component: `$OUT_DIR/assets.rs` lists every file
//! with its bytes (`include_bytes!`) and its ETag (SHA-256). A missing or empty `dist`
//! fails the build with what to run.

use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let dist = manifest.join("../../activity/web/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    let mut files = Vec::new();
    collect(&dist, &dist, &mut files);
    files.sort();
    if !files.iter().any(|(name, _)| name == "index.html") {
        eprintln!(
            "error: the Activity page is not built: {} has no index.html.\n\
             Run `npm ci && npm run build` in activity/web first (tests/run and .ci/run do; \
             so does `spin build`).",
            dist.display()
        );
        std::process::exit(1);
    }
    let mut out = String::from(
        "/// Every file of the built page: its path under `/activity/`, its bytes and its ETag.\n\
         pub static ASSETS: &[(&str, &[u8], &str)] = &[\n",
    );
    for (name, path) in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(err) => {
                eprintln!("error: cannot read {}: {err}", path.display());
                std::process::exit(1);
            }
        };
        let etag = hex::encode(Sha256::digest(&bytes));
        let _ = writeln!(
            out,
            "    ({name:?}, include_bytes!({:?}), \"\\\"{}\\\"\"),",
            path.display().to_string(),
            &etag[..32]
        );
    }
    out.push_str("];\n");
    let target = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("assets.rs");
    if let Err(err) = std::fs::write(&target, out) {
        eprintln!("error: cannot write {}: {err}", target.display());
        std::process::exit(1);
    }
}

/// Every regular file under `dir`, as (path relative to `root` with `/`, full path).
fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if let Ok(relative) = path.strip_prefix(root) {
            let name = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            files.push((name, path));
        }
    }
}
