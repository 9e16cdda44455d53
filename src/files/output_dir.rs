//! Replacing the files of an output directory as a whole.
//!
//! The complete new output is written into a staging directory next to the
//! target (`.DIR.npc-stage-XXXXXX`), which is then swapped with the target in
//! one step (`renameat2(RENAME_EXCHANGE)` on Linux); the old directory is
//! removed afterwards. Killed at any moment, the directory holds the old
//! output or the new one, never a mix; a leftover staging directory or
//! temporary file is reported by [`check_output_dir`] and removed by the next
//! write.
//!
//! When the swap is not possible (the directory holds files npc did not
//! write, it is the working directory, the file system refuses the exchange,
//! or not on Linux), every file is written to a temporary file in the
//! directory first and the temporary files are renamed into place only after
//! all of them were written.
//!
//! An advisory lock on the directory refuses a second npc writing the same
//! directory at the same time.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::write::{temp_in, WriteError, DEFAULT_MODE, TEMP_PREFIX};

/// What tells npc's own files from others (the generated header).
pub type IsOurs<'a> = &'a dyn Fn(&Path) -> bool;

/// How a directory was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    /// Staged next to the directory and swapped in as a whole.
    Swapped,
    /// Each file through a temporary file in the directory.
    InPlace,
}

/// How a directory differs from the output it should hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Difference {
    Missing(PathBuf),
    Changed(PathBuf),
    /// A file npc wrote that the output no longer contains.
    Stale(PathBuf),
    /// A temporary file or staging directory left by an interrupted write.
    Leftover(PathBuf),
}

/// The staging directories of `dir` start with this, next to it.
fn stage_prefix(name: &str) -> String {
    format!(".{name}.npc-stage-")
}

/// What one entry of the directory is to npc.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Entry {
    Ours,
    Leftover,
    Foreign,
}

fn classify(path: &Path, meta: &std::fs::Metadata, ours: IsOurs) -> Entry {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file_or_link = meta.is_file() || meta.file_type().is_symlink();
    if name.starts_with(TEMP_PREFIX) && file_or_link {
        Entry::Leftover
    } else if meta.is_file() && ours(path) {
        Entry::Ours
    } else {
        Entry::Foreign
    }
}

/// The entries of `dir` with what they are, sorted by path.
fn entries(dir: &Path, ours: IsOurs) -> Result<Vec<(PathBuf, Entry)>, WriteError> {
    let read = std::fs::read_dir(dir).map_err(|e| WriteError::io(dir, "read", &e))?;
    let mut out = Vec::new();
    for entry in read {
        let entry = entry.map_err(|e| WriteError::io(dir, "read", &e))?;
        let path = entry.path();
        let meta =
            std::fs::symlink_metadata(&path).map_err(|e| WriteError::io(&path, "read", &e))?;
        let kind = classify(&path, &meta, ours);
        out.push((path, kind));
    }
    out.sort();
    Ok(out)
}

/// Staging directories left next to `dir` by interrupted writes.
fn stale_stages(dir: &Path) -> Vec<PathBuf> {
    let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) else {
        return Vec::new();
    };
    let prefix = stage_prefix(&name.to_string_lossy());
    let Ok(read) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = read
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

/// Removes a staging directory a killed build left behind: every entry in
/// it is npc's (the directory was created exclusively, under a random name,
/// and a build killed while writing leaves files cut short, which no longer
/// look generated). Entries are unlinked, never followed; subdirectories
/// (which npc never makes there) are left, and so is the directory then.
fn remove_stage(dir: &Path) {
    if let Ok(read) = std::fs::read_dir(dir) {
        for entry in read.filter_map(Result::ok) {
            if entry.file_type().is_ok_and(|t| !t.is_dir()) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    let _ = std::fs::remove_dir(dir);
}

/// Removes what npc wrote in `dir` (its files and leftovers), then `dir`
/// itself if nothing else is in it. Best effort: what stays is reported by
/// [`check_output_dir`] as a leftover.
fn remove_ours(dir: &Path, ours: IsOurs) {
    if let Ok(found) = entries(dir, ours) {
        for (path, kind) in found {
            if kind != Entry::Foreign {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    let _ = std::fs::remove_dir(dir);
}

/// Holds the advisory lock on a directory until dropped.
struct Lock(#[allow(dead_code)] Option<File>);

#[cfg(unix)]
fn lock(dir: &Path) -> Result<Lock, WriteError> {
    use rustix::fs::{flock, FlockOperation};
    use rustix::io::Errno;
    let file = File::open(dir).map_err(|e| WriteError::io(dir, "open", &e))?;
    match flock(&file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(Lock(Some(file))),
        Err(Errno::WOULDBLOCK) => Err(WriteError::Busy {
            dir: dir.display().to_string(),
        }),
        // A file system without locks: write unlocked, as before locks.
        Err(Errno::NOLCK | Errno::NOTSUP | Errno::INVAL) => Ok(Lock(None)),
        Err(e) => Err(WriteError::io(dir, "lock", &std::io::Error::from(e))),
    }
}

#[cfg(not(unix))]
fn lock(_: &Path) -> Result<Lock, WriteError> {
    Ok(Lock(None))
}

/// Locks `dir` and makes sure the lock is on what `dir` names now: another
/// npc may have swapped a new directory in between opening and locking.
fn lock_current(dir: &Path) -> Result<Lock, WriteError> {
    let held = lock(dir)?;
    #[cfg(unix)]
    if let Lock(Some(file)) = &held {
        use std::os::unix::fs::MetadataExt;
        let locked = file
            .metadata()
            .map_err(|e| WriteError::io(dir, "lock", &e))?;
        let now = std::fs::metadata(dir).map_err(|e| WriteError::io(dir, "lock", &e))?;
        if (locked.dev(), locked.ino()) != (now.dev(), now.ino()) {
            return Err(WriteError::Busy {
                dir: dir.display().to_string(),
            });
        }
    }
    Ok(held)
}

/// Writes `files` (name → content) into `dir` and removes the files npc
/// wrote there before that the output no longer has. Files that `ours`
/// does not recognise are never overwritten or removed: one at a name of
/// the output is an error before anything is written.
pub fn write_output_dir(
    dir: &Path,
    files: &BTreeMap<String, String>,
    ours: IsOurs,
) -> Result<Written, WriteError> {
    std::fs::create_dir_all(dir).map_err(|e| WriteError::io(dir, "create", &e))?;
    let real = std::fs::canonicalize(dir).map_err(|e| WriteError::io(dir, "open", &e))?;
    let _lock = lock_current(&real)?;
    let found = entries(&real, ours)?;
    for (path, kind) in &found {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if *kind == Entry::Foreign && name.is_some_and(|n| files.contains_key(&n)) {
            return Err(WriteError::NotOurs {
                path: dir
                    .join(path.file_name().unwrap_or_default())
                    .display()
                    .to_string(),
            });
        }
    }
    let foreign = found.iter().any(|(_, kind)| *kind == Entry::Foreign);
    let in_cwd = std::env::current_dir()
        .and_then(std::fs::canonicalize)
        .is_ok_and(|cwd| cwd.starts_with(&real));
    for stage in stale_stages(&real) {
        remove_stage(&stage);
    }
    if !foreign && !in_cwd && swap(&real, files, ours)? {
        return Ok(Written::Swapped);
    }
    in_place(&real, files)?;
    for (path, kind) in found {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let replaced = name.is_some_and(|n| files.contains_key(&n));
        if kind == Entry::Leftover || (kind == Entry::Ours && !replaced) {
            std::fs::remove_file(&path).map_err(|e| WriteError::io(&path, "remove", &e))?;
        }
    }
    Ok(Written::InPlace)
}

/// Every file through a temporary file in `dir`; the renames start only
/// once all were written. A failure removes the temporary files.
fn in_place(dir: &Path, files: &BTreeMap<String, String>) -> Result<(), WriteError> {
    let mut staged = Vec::with_capacity(files.len());
    for (name, text) in files {
        let path = dir.join(name);
        let mut tmp = temp_in(path.parent().unwrap_or(dir), DEFAULT_MODE)?;
        tmp.write_all(text.as_bytes())
            .and_then(|()| tmp.flush())
            .map_err(|e| WriteError::io(&path, "write", &e))?;
        staged.push((tmp, path));
    }
    for (tmp, path) in staged {
        tmp.persist(&path)
            .map_err(|e| WriteError::io(&path, "write", &e.error))?;
    }
    Ok(())
}

/// Stages the output next to `dir` and exchanges the two directories.
/// `Ok(false)` when staging or exchanging is not possible here (nothing
/// changed); an error while writing the staged files removes them.
#[cfg(target_os = "linux")]
fn swap(dir: &Path, files: &BTreeMap<String, String>, ours: IsOurs) -> Result<bool, WriteError> {
    use rustix::io::Errno;
    let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) else {
        return Ok(false);
    };
    let Ok(stage) = tempfile::Builder::new()
        .prefix(&stage_prefix(&name.to_string_lossy()))
        .tempdir_in(parent)
    else {
        return Ok(false);
    };
    for (file, text) in files {
        let path = stage.path().join(file);
        let mut out = new_file(&path).map_err(|e| WriteError::io(&dir.join(file), "write", &e))?;
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| WriteError::io(&dir.join(file), "write", &e))?;
    }
    let permissions = std::fs::metadata(dir)
        .map_err(|e| WriteError::io(dir, "read", &e))?
        .permissions();
    std::fs::set_permissions(stage.path(), permissions)
        .map_err(|e| WriteError::io(dir, "set the permissions of", &e))?;
    // Whoever opens `dir` after the exchange finds it locked too.
    let _stage_lock = lock(stage.path())?;
    match rustix::fs::renameat_with(
        rustix::fs::CWD,
        stage.path(),
        rustix::fs::CWD,
        dir,
        rustix::fs::RenameFlags::EXCHANGE,
    ) {
        Ok(()) => {}
        // No exchange on this file system or kernel: write in place.
        Err(Errno::INVAL | Errno::NOSYS | Errno::XDEV | Errno::NOTSUP | Errno::PERM) => {
            return Ok(false)
        }
        Err(e) => return Err(WriteError::io(dir, "replace", &std::io::Error::from(e))),
    }
    // The staging path now holds the old directory.
    let old = stage.keep();
    remove_ours(&old, ours);
    Ok(true)
}

#[cfg(not(target_os = "linux"))]
fn swap(_: &Path, _: &BTreeMap<String, String>, _: IsOurs) -> Result<bool, WriteError> {
    Ok(false)
}

/// Creates a file that must not exist yet (never through a symlink).
#[cfg(target_os = "linux")]
fn new_file(path: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// How `dir` differs from holding exactly `files` (and npc's other files
/// not at all): missing, changed, stale and leftover files, sorted.
pub fn check_output_dir(
    dir: &Path,
    files: &BTreeMap<String, String>,
    ours: IsOurs,
) -> Vec<Difference> {
    let mut out = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        match std::fs::symlink_metadata(&path) {
            Err(_) => out.push(Difference::Missing(path)),
            Ok(meta) if !meta.is_file() => out.push(Difference::Changed(path)),
            Ok(_) => match super::read_text(&path, super::MAX_MANIFEST_BYTES) {
                Ok(existing) if &existing == text => {}
                _ => out.push(Difference::Changed(path)),
            },
        }
    }
    if let Ok(found) = entries(dir, ours) {
        for (path, kind) in found {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let wanted = name.is_some_and(|n| files.contains_key(&n));
            match kind {
                Entry::Leftover => out.push(Difference::Leftover(
                    dir.join(path.file_name().unwrap_or_default()),
                )),
                Entry::Ours if !wanted => out.push(Difference::Stale(
                    dir.join(path.file_name().unwrap_or_default()),
                )),
                _ => {}
            }
        }
    }
    let real = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    out.extend(stale_stages(&real).into_iter().map(Difference::Leftover));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "# ours\n";

    fn ours(path: &Path) -> bool {
        std::fs::read_to_string(path).is_ok_and(|t| t.starts_with(HEADER))
    }

    fn output(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(n, t)| (n.to_string(), format!("{HEADER}{t}")))
            .collect()
    }

    fn listing(dir: &Path) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read_to_string(e.path()).unwrap_or_default(),
                )
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn swaps_a_directory_of_its_own_files_and_removes_stale_ones() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        let first = output(&[("a.yaml", "1"), ("b.yaml", "1")]);
        write_output_dir(&dir, &first, &ours).unwrap();
        let second = output(&[("a.yaml", "2")]);
        let how = write_output_dir(&dir, &second, &ours).unwrap();
        if cfg!(target_os = "linux") {
            assert_eq!(how, Written::Swapped);
        }
        assert_eq!(listing(&dir), [("a.yaml".into(), format!("{HEADER}2"))]);
        assert!(check_output_dir(&dir, &second, &ours).is_empty());
        // Nothing left next to it.
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    #[test]
    fn writes_in_place_around_files_it_did_not_write() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("notes.md"), "mine").unwrap();
        std::fs::write(dir.join("old.yaml"), format!("{HEADER}old")).unwrap();
        let files = output(&[("a.yaml", "1")]);
        assert_eq!(
            write_output_dir(&dir, &files, &ours).unwrap(),
            Written::InPlace
        );
        assert_eq!(
            listing(&dir),
            [
                ("a.yaml".into(), format!("{HEADER}1")),
                ("notes.md".into(), "mine".into())
            ]
        );
        // A foreign file at an output name is an error before any write.
        std::fs::write(dir.join("b.yaml"), "theirs").unwrap();
        let e = write_output_dir(&dir, &output(&[("a.yaml", "2"), ("b.yaml", "2")]), &ours)
            .unwrap_err();
        assert!(matches!(e, WriteError::NotOurs { .. }), "{e}");
        assert_eq!(
            std::fs::read_to_string(dir.join("a.yaml")).unwrap(),
            format!("{HEADER}1")
        );
    }

    /// A write that fails after some files were written changes nothing and
    /// leaves nothing behind, in both modes. (A name the file system
    /// refuses stands in for a full disk.)
    #[test]
    fn a_failure_midway_changes_nothing() {
        for foreign in [false, true] {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path().join("out");
            let before = output(&[("a.yaml", "old"), ("z.yaml", "old")]);
            write_output_dir(&dir, &before, &ours).unwrap();
            if foreign {
                std::fs::write(dir.join("notes.md"), "mine").unwrap();
            }
            let snapshot = listing(&dir);
            let mut after = output(&[("a.yaml", "new"), ("b.yaml", "new")]);
            after.insert("no/such/dir.yaml".into(), "x".into());
            assert!(write_output_dir(&dir, &after, &ours).is_err());
            assert_eq!(listing(&dir), snapshot, "foreign files: {foreign}");
            assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
        }
    }

    #[test]
    fn leftovers_are_reported_and_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        let files = output(&[("a.yaml", "1")]);
        write_output_dir(&dir, &files, &ours).unwrap();
        std::fs::write(dir.join(".npc-abc123.tmp"), "partial").unwrap();
        let stage = tmp.path().join(".out.npc-stage-xyz");
        std::fs::create_dir(&stage).unwrap();
        std::fs::write(stage.join("a.yaml"), format!("{HEADER}0")).unwrap();
        let found = check_output_dir(&dir, &files, &ours);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().all(|d| matches!(d, Difference::Leftover(_))));
        write_output_dir(&dir, &files, &ours).unwrap();
        assert!(check_output_dir(&dir, &files, &ours).is_empty());
        assert!(!stage.exists());
    }

    #[test]
    fn a_second_writer_is_refused_while_the_first_holds_the_lock() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        std::fs::create_dir(&dir).unwrap();
        let held = lock_current(&std::fs::canonicalize(&dir).unwrap()).unwrap();
        let e = write_output_dir(&dir, &output(&[("a.yaml", "1")]), &ours).unwrap_err();
        assert!(matches!(e, WriteError::Busy { .. }), "{e}");
        drop(held);
        write_output_dir(&dir, &output(&[("a.yaml", "1")]), &ours).unwrap();
    }
}
