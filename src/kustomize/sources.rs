//! Reading a generator's NPL sources without leaving the kustomization
//! directory: kustomize's load restrictor does not cover what a plugin reads.

use std::path::{Component, Path, PathBuf};

use super::config::GeneratorConfig;
use crate::error::{io_reason, Error};
use crate::files::{self, MAX_SOURCE_BYTES};
use crate::load::Input;

/// Resolves `rel` against `root`, refusing anything that ends up outside
/// `root`: absolute paths, `..` escapes and symlinks that point outside.
/// Returns the path to read (joined, not canonical, so names stay relative).
pub fn resolve(root: &Path, rel: &str) -> Result<PathBuf, Error> {
    let help = "list NPL files inside the kustomization directory, or use `spec.source: |` for inline text";
    let path = Path::new(rel);
    if rel.is_empty() {
        return Err(Error::config("an entry of `spec.sources` is empty").with_help(help));
    }
    if path.is_absolute() || path.has_root() {
        return Err(Error::config(format!(
            "source `{rel}` is an absolute path; sources must be relative to the kustomization directory"
        ))
        .with_help(help));
    }
    let mut depth: i64 = 0;
    for c in path.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => depth = -1,
        }
        if depth < 0 {
            return Err(Error::config(format!(
                "source `{rel}` is outside the kustomization directory"
            ))
            .with_help(help));
        }
    }
    let joined = in_root(root, rel);
    let canonical_root = std::fs::canonicalize(root).map_err(|e| {
        Error::io(format!(
            "cannot read the kustomization directory `{}`: {}",
            root.display(),
            io_reason(&e)
        ))
    })?;
    let canonical = std::fs::canonicalize(&joined).map_err(|e| {
        Error::io(format!("cannot read source `{rel}`: {}", io_reason(&e)))
            .with_help("paths in `spec.sources` are relative to the directory of the kustomization.yaml that lists the generator")
    })?;
    if !canonical.starts_with(&canonical_root) {
        return Err(Error::config(format!(
            "source `{rel}` resolves to `{}`, outside the kustomization directory",
            canonical.display()
        ))
        .with_help(
            "a symlink may point anywhere; copy the file into the kustomization directory instead",
        ));
    }
    Ok(joined)
}

/// The compiler inputs of a configuration: every file of `spec.sources`
/// (read from below `root`), then the inline `spec.source`.
pub fn inputs(config: &GeneratorConfig, root: &Path) -> Result<Vec<Input>, Error> {
    let mut inputs = Vec::new();
    for rel in &config.sources {
        let path = resolve(root, rel)?;
        let text = files::read_text(&path, MAX_SOURCE_BYTES)?;
        inputs.push(Input {
            name: display_name(root, rel),
            path: Some(path),
            text,
        });
    }
    if let Some(text) = &config.source {
        // Includes from inline text resolve against the kustomization directory.
        inputs.push(Input {
            name: config.inline_name(),
            path: Some(in_root(root, ".npc-inline-source")),
            text: text.clone(),
        });
    }
    Ok(inputs)
}

/// `rel` as written, or joined to `root` when `root` is not the working directory.
fn display_name(root: &Path, rel: &str) -> String {
    in_root(root, rel).display().to_string()
}

fn in_root(root: &Path, rel: &str) -> PathBuf {
    if root == Path::new(".") || root.as_os_str().is_empty() {
        PathBuf::from(rel)
    } else {
        root.join(rel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_absolute_and_parent_paths() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["/etc/passwd", "../x.npl", "a/../../x.npl"] {
            let e = resolve(dir.path(), bad).unwrap_err();
            assert!(e.message.contains(bad), "{}", e.message);
        }
    }

    #[test]
    fn accepts_paths_that_stay_inside() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("a")).unwrap();
        std::fs::write(dir.path().join("x.npl"), "").unwrap();
        assert!(resolve(dir.path(), "a/../x.npl").is_ok());
        assert!(resolve(dir.path(), "./x.npl").is_ok());
    }
}
