//! Writing one file safely. The new content goes into a temporary file
//! created exclusively (`O_EXCL`) under a random name in the target's
//! directory, and a rename puts it in place: readers see the old file or the
//! new one, never a part, and a symlink planted at a name npc creates is
//! never followed (a rename replaces a symlink; it does not write through it).

use std::fmt;
use std::io::Write as _;
use std::path::Path;

/// The prefix of every temporary file npc creates. No namespace, and so no
/// output file, can start with a dot.
pub const TEMP_PREFIX: &str = ".npc-";

/// Why a file or directory could not be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteError {
    /// An operation failed: "cannot {action} `{path}`: {reason}".
    Io {
        path: String,
        action: &'static str,
        reason: String,
    },
    /// Another npc holds the output directory's lock.
    Busy { dir: String },
    /// A file npc would replace was not written by npc.
    NotOurs { path: String },
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::Io {
                path,
                action,
                reason,
            } => write!(f, "cannot {action} `{path}`: {reason}"),
            WriteError::Busy { dir } => {
                write!(f, "another npc is writing `{dir}` at the same time")
            }
            WriteError::NotOurs { path } => {
                write!(f, "`{path}` exists and was not written by npc")
            }
        }
    }
}

impl std::error::Error for WriteError {}

impl WriteError {
    pub(crate) fn io(path: &Path, action: &'static str, e: &std::io::Error) -> Self {
        WriteError::Io {
            path: path.display().to_string(),
            action,
            reason: super::io_reason(e),
        }
    }

    /// What to do about it.
    pub fn help(&self) -> Option<&'static str> {
        match self {
            WriteError::Io { .. } => None,
            WriteError::Busy { .. } => {
                Some("wait for the other build to finish, then run this one again")
            }
            WriteError::NotOurs { .. } => {
                Some("move the file away, or choose another output directory")
            }
        }
    }
}

fn parent_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// A new temporary file in `dir`, created exclusively with a random name
/// and `mode` (less the umask). It is removed again when dropped unless
/// persisted.
pub(crate) fn temp_in(dir: &Path, mode: u32) -> Result<tempfile::NamedTempFile, WriteError> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(TEMP_PREFIX).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = mode;
    builder
        .tempfile_in(dir)
        .map_err(|e| WriteError::io(dir, "create a file in", &e))
}

/// The mode of a new file, before the umask.
pub const DEFAULT_MODE: u32 = 0o666;

/// Replaces (or creates) `path` with `text` through a temporary file and a
/// rename. `mode` (Unix, less the umask) defaults to [`DEFAULT_MODE`].
pub fn write_file(path: &Path, text: &str, mode: Option<u32>) -> Result<(), WriteError> {
    write_file_with(path, mode, |out| out.write_all(text.as_bytes()))
}

/// [`write_file`] with the text written by `write` (which writes the whole
/// text or fails; nothing is replaced when it fails).
pub fn write_file_with(
    path: &Path,
    mode: Option<u32>,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), WriteError> {
    let mut tmp = temp_in(parent_of(path), mode.unwrap_or(DEFAULT_MODE))?;
    {
        let mut out = std::io::BufWriter::new(tmp.as_file_mut());
        write(&mut out)
            .and_then(|()| out.flush())
            .map_err(|e| WriteError::io(path, "write", &e))?;
    }
    tmp.persist(path)
        .map_err(|e| WriteError::io(path, "write", &e.error))?;
    Ok(())
}

/// Rewrites an existing file with `text`, as an editor does: through a
/// symlink to its target (the link stays), keeping the file's permissions,
/// and keeping its hard links (a file with more than one link is written in
/// place, since a rename would split the links; `text` is complete before
/// the file is touched).
pub fn rewrite_file(path: &Path, text: &str) -> Result<(), WriteError> {
    let target = std::fs::canonicalize(path).map_err(|e| WriteError::io(path, "write", &e))?;
    let meta = std::fs::metadata(&target).map_err(|e| WriteError::io(path, "write", &e))?;
    if !meta.is_file() {
        return Err(WriteError::Io {
            path: path.display().to_string(),
            action: "write",
            reason: "not a regular file".to_string(),
        });
    }
    if links(&meta) > 1 {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&target)
            .map_err(|e| WriteError::io(path, "write", &e))?;
        return file
            .write_all(text.as_bytes())
            .and_then(|()| file.flush())
            .map_err(|e| WriteError::io(path, "write", &e));
    }
    let mut tmp = temp_in(parent_of(&target), 0o600)?;
    tmp.write_all(text.as_bytes())
        .and_then(|()| tmp.flush())
        .map_err(|e| WriteError::io(path, "write", &e))?;
    tmp.as_file()
        .set_permissions(meta.permissions())
        .map_err(|e| WriteError::io(path, "set the permissions of", &e))?;
    tmp.persist(&target)
        .map_err(|e| WriteError::io(path, "write", &e.error))?;
    Ok(())
}

#[cfg(unix)]
fn links(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::nlink(meta)
}

#[cfg(not(unix))]
fn links(_: &std::fs::Metadata) -> u64 {
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces_without_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        write_file(&path, "one\n", None).unwrap();
        write_file(&path, "two\n", None).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_at_the_path_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let path = dir.path().join("wrapper");
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        write_file(&path, "#!/bin/sh\n", Some(0o755)).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(meta.is_file());
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.permissions().mode() & 0o777, 0o755);
    }

    #[test]
    fn an_unwritable_directory_is_an_error_naming_it() {
        let e = write_file(Path::new("/nonexistent-dir/x"), "", None).unwrap_err();
        assert!(e.to_string().contains("/nonexistent-dir"), "{e}");
    }
}
