//! Build script: the version `npc --version` prints, with the commit the
//! binary was built from when the source is a git checkout
//! (`0.1.0 (1a2b3c4)`); from a tarball without `.git`, the version alone.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!text.is_empty()).then_some(text)
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    // Only a checkout of this package counts, not a repository around it.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let top = git(&["-C", &manifest, "rev-parse", "--show-toplevel"]);
    let own =
        top.is_some_and(|t| std::fs::canonicalize(t).ok() == std::fs::canonicalize(&manifest).ok());
    let commit = own
        .then(|| git(&["-C", &manifest, "rev-parse", "--short", "HEAD"]))
        .flatten();
    match commit {
        Some(commit) => {
            // Rebuild when HEAD moves: the HEAD file and the branch it names.
            for path in ["HEAD", "packed-refs"] {
                if let Some(p) = git(&["-C", &manifest, "rev-parse", "--git-path", path]) {
                    println!("cargo:rerun-if-changed={}", absolute(&manifest, &p));
                }
            }
            if let Some(branch) = git(&["-C", &manifest, "symbolic-ref", "-q", "HEAD"]) {
                if let Some(p) = git(&["-C", &manifest, "rev-parse", "--git-path", &branch]) {
                    println!("cargo:rerun-if-changed={}", absolute(&manifest, &p));
                }
            }
            println!("cargo:rustc-env=NPC_VERSION={version} ({commit})");
        }
        None => println!("cargo:rustc-env=NPC_VERSION={version}"),
    }
}

/// `path` made absolute against `base`, for a `rerun-if-changed` line
/// (nothing for a file that does not exist: Cargo would rerun every time).
fn absolute(base: &str, path: &str) -> String {
    let p = std::path::Path::new(path);
    let full = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::path::Path::new(base).join(p)
    };
    if full.exists() {
        full.display().to_string()
    } else {
        std::path::Path::new(base)
            .join("build.rs")
            .display()
            .to_string()
    }
}
