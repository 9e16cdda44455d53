//! Files npc reads and writes. It reads only regular files and standard
//! input, never more than a limit, so a FIFO, a device or a runaway generator
//! cannot hang npc or exhaust its memory. It writes every file through a
//! temporary file created exclusively under a random name and renamed into
//! place ([`write`]), and replaces an output directory as a whole
//! ([`output_dir`]).

pub mod output_dir;
pub mod write;

pub use output_dir::{check_output_dir, write_output_dir, Difference, Written};
pub use write::{rewrite_file, write_file, write_file_with, WriteError};

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The most npc reads from one NPL file or from standard input (a
/// 10,000-namespace program is about 10 MB).
pub const MAX_SOURCE_BYTES: u64 = 64 << 20;
/// The most npc reads from one YAML or JSON manifest file (a `kubectl get -A
/// -o yaml` dump of a large cluster, managed fields included).
pub const MAX_MANIFEST_BYTES: u64 = 256 << 20;

/// Why an input could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    /// The path as given, or `<stdin>`.
    pub name: String,
    pub reason: Reason,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    NotFound,
    PermissionDenied,
    /// A directory where a file was expected.
    Directory,
    /// A FIFO, socket or device.
    NotRegular,
    TooLarge {
        limit: u64,
    },
    NotUtf8,
    Other(String),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot read `{}`: {}", self.name, self.reason)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NotFound => f.write_str("no such file"),
            Reason::PermissionDenied => f.write_str("permission denied"),
            Reason::Directory => f.write_str("it is a directory"),
            Reason::NotRegular => {
                f.write_str("not a regular file (npc reads files and standard input only)")
            }
            Reason::TooLarge { limit } => write!(f, "larger than {} MiB", limit >> 20),
            Reason::NotUtf8 => f.write_str("the file is not UTF-8 text"),
            Reason::Other(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for ReadError {}

impl ReadError {
    fn new(name: impl Into<String>, reason: Reason) -> Self {
        ReadError {
            name: name.into(),
            reason,
        }
    }

    /// A file larger than `limit` bytes.
    pub fn too_large(name: impl Into<String>, limit: u64) -> Self {
        ReadError::new(name, Reason::TooLarge { limit })
    }

    /// A failed read of `name`, in words.
    pub fn io(name: &str, e: &std::io::Error) -> Self {
        let reason = match e.kind() {
            std::io::ErrorKind::NotFound => Reason::NotFound,
            std::io::ErrorKind::PermissionDenied => Reason::PermissionDenied,
            std::io::ErrorKind::InvalidData => Reason::NotUtf8,
            std::io::ErrorKind::IsADirectory => Reason::Directory,
            _ => Reason::Other(e.to_string().to_lowercase()),
        };
        ReadError::new(name, reason)
    }
}

/// Reads a regular file (symlinks to one are followed) of at most `limit`
/// bytes as UTF-8 text.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let name = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| ReadError::io(&name, &e))?;
    if meta.is_dir() {
        return Err(ReadError::new(name, Reason::Directory));
    }
    if !meta.is_file() {
        return Err(ReadError::new(name, Reason::NotRegular));
    }
    let file = open_nonblocking(path).map_err(|e| ReadError::io(&name, &e))?;
    // The path may have been replaced by a FIFO since `metadata`: what was
    // opened is what counts (opening without blocking, so a FIFO cannot hang).
    let meta = file.metadata().map_err(|e| ReadError::io(&name, &e))?;
    if !meta.is_file() {
        return Err(ReadError::new(name, Reason::NotRegular));
    }
    if meta.len() > limit {
        return Err(ReadError::new(name, Reason::TooLarge { limit }));
    }
    read_bounded(file, &name, limit, meta.len())
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// Reads all of standard input, at most `limit` bytes.
pub fn read_stdin(limit: u64) -> Result<String, ReadError> {
    read_bounded(std::io::stdin().lock(), "<stdin>", limit, 0)
}

/// Reads at most `limit` bytes; more is an error, not a truncation. The file
/// may grow between `metadata` and here, so the bound is enforced again.
/// `expected`: the size the file had, room made for at once (a buffer
/// grown by doubling is up to twice the text, for as long as it is kept).
fn read_bounded(
    reader: impl Read,
    name: &str,
    limit: u64,
    expected: u64,
) -> Result<String, ReadError> {
    let mut bytes = Vec::with_capacity(usize::try_from(expected.min(limit)).unwrap_or(0));
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError::io(name, &e))?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::new(name, Reason::TooLarge { limit }));
    }
    String::from_utf8(bytes).map_err(|_| ReadError::new(name, Reason::NotUtf8))
}

/// What [`files_under`] found below a directory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Found {
    /// The files, sorted by path.
    pub files: Vec<PathBuf>,
    /// Symbolic links (with a wanted extension) that lead outside the
    /// directory: not read, for the caller to name (sorted).
    pub links_outside: Vec<PathBuf>,
}

/// The note for a link [`files_under`] left out, escaped for a terminal.
pub fn skipped_link(link: &Path, dir: &Path) -> String {
    format!(
        "skipped `{}`: a symbolic link to a file outside `{}`",
        crate::k8s::escape_controls(&link.display().to_string()),
        crate::k8s::escape_controls(&dir.display().to_string())
    )
}

/// The files below `dir` whose extension is one of `extensions`,
/// recursively, sorted by path. Hidden entries (`.git`) are skipped, and
/// symbolic links to directories are not followed (no cycles). A symbolic
/// link to a file is followed only when the file it resolves to lies below
/// `dir` (resolved the same way): a directory in a pull request must not
/// make npc read, and echo in a diagnostic, a file elsewhere on the machine.
/// Links that lead out are listed in [`Found::links_outside`].
pub fn files_under(dir: &Path, extensions: &[&str]) -> Result<Found, ReadError> {
    let root =
        std::fs::canonicalize(dir).map_err(|e| ReadError::io(&dir.display().to_string(), &e))?;
    let mut found = Found::default();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        let name = d.display().to_string();
        let entries = std::fs::read_dir(&d).map_err(|e| ReadError::io(&name, &e))?;
        for entry in entries {
            let entry = entry.map_err(|e| ReadError::io(&name, &e))?;
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            let kind = entry
                .file_type()
                .map_err(|e| ReadError::io(&path.display().to_string(), &e))?;
            if hidden {
                continue;
            }
            if kind.is_dir() {
                dirs.push(path);
                continue;
            }
            let wanted = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| extensions.contains(&e));
            if !wanted {
                continue;
            }
            if kind.is_symlink() {
                // A dangling link, or one to a directory, is no file.
                let Ok(target) = std::fs::canonicalize(&path) else {
                    continue;
                };
                if !target.starts_with(&root) {
                    found.links_outside.push(path);
                    continue;
                }
                if target.is_file() {
                    found.files.push(path);
                }
            } else if kind.is_file() {
                found.files.push(path);
            }
        }
    }
    found.files.sort();
    found.links_outside.sort();
    Ok(found)
}

/// An I/O error in words, without the OS error number.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::InvalidData => "the file is not UTF-8 text".to_string(),
        std::io::ErrorKind::StorageFull => "no space left on the device".to_string(),
        _ => {
            let text = e.to_string().to_lowercase();
            // "no space left on device (os error 28)" → without the number.
            match text.find(" (os error") {
                Some(at) => text[..at].to_string(),
                None => text,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_regular_files_within_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.npl");
        std::fs::write(&path, "namespace web\n").unwrap();
        assert_eq!(read_text(&path, 100).unwrap(), "namespace web\n");
        let e = read_text(&path, 5).unwrap_err();
        assert_eq!(e.reason, Reason::TooLarge { limit: 5 });
        assert_eq!(
            read_text(dir.path(), 100).unwrap_err().reason,
            Reason::Directory
        );
        assert_eq!(
            read_text(&dir.path().join("missing"), 100)
                .unwrap_err()
                .reason,
            Reason::NotFound
        );
        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        assert_eq!(read_text(&path, 100).unwrap_err().reason, Reason::NotUtf8);
    }

    #[cfg(unix)]
    #[test]
    fn refuses_devices_and_fifos() {
        let e = read_text(Path::new("/dev/zero"), 100).unwrap_err();
        assert_eq!(e.reason, Reason::NotRegular);
        assert!(e.to_string().contains("not a regular file"), "{e}");
    }

    #[test]
    fn lists_files_below_a_directory_sorted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("b/c")).unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        for f in [
            "b/c/z.yaml",
            "a.yml",
            "b/x.json",
            "b/skip.txt",
            ".git/h.yaml",
        ] {
            std::fs::write(dir.path().join(f), "").unwrap();
        }
        let found: Vec<String> = files_under(dir.path(), &["yaml", "yml", "json"])
            .unwrap()
            .files
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(found, ["a.yml", "b/c/z.yaml", "b/x.json"]);
    }

    #[cfg(unix)]
    #[test]
    fn follows_links_only_to_files_below_the_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("in");
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(tmp.path().join("secret.yaml"), "").unwrap();
        std::fs::write(dir.join("sub/real.txt"), "").unwrap();
        let link =
            |target: &str, at: &str| std::os::unix::fs::symlink(target, dir.join(at)).unwrap();
        link("../secret.yaml", "out.yaml");
        link("sub/real.txt", "in.yaml");
        link("../out.yaml", "sub/chain.yaml");
        link("missing.yaml", "dangling.yaml");
        link("..", "up");
        // The directory given through a link of its own resolves the same.
        std::os::unix::fs::symlink(&dir, tmp.path().join("alias")).unwrap();
        for given in [dir.clone(), tmp.path().join("alias")] {
            let found = files_under(&given, &["yaml"]).unwrap();
            let names = |list: &[PathBuf]| -> Vec<String> {
                list.iter()
                    .map(|p| p.strip_prefix(&given).unwrap().display().to_string())
                    .collect()
            };
            assert_eq!(names(&found.files), ["in.yaml"]);
            assert_eq!(names(&found.links_outside), ["out.yaml", "sub/chain.yaml"]);
        }
    }
}
