//! The editor's view of the files: open buffers, the include graph of the
//! workspace, and which root file each file's program starts from.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lsp_types::Url;

use super::analysis::{self, Files};
use super::position::LineIndex;
use crate::files;

/// The most directory entries looked at when scanning a workspace folder.
const MAX_SCAN_ENTRIES: usize = 20_000;
/// The most `.npl` files taken from a workspace scan.
const MAX_SCAN_FILES: usize = 2_000;
/// Directories never scanned.
const SKIPPED_DIRS: &[&str] = &["target", "node_modules", ".git", ".tools", ".venv"];

/// The largest buffer kept: what `npc build` reads from one file
/// ([`files::MAX_SOURCE_BYTES`]).
pub const MAX_DOCUMENT_BYTES: usize = files::MAX_SOURCE_BYTES as usize;
/// The most text all open buffers hold together.
pub const MAX_OPEN_BYTES: usize = 4 * MAX_DOCUMENT_BYTES;

/// An open buffer.
pub struct Document {
    pub uri: Url,
    /// The client's version of the text (`0` if it gave none).
    pub version: i32,
    /// Shared with the check that reads it, which may outlive an edit.
    pub text: Arc<String>,
    pub lines: LineIndex,
    /// Bytes of a text past [`MAX_DOCUMENT_BYTES`] (or past what the open
    /// buffers may hold together), which is then not kept: the buffer is
    /// empty, changes to it are ignored until a change gives the whole
    /// text again, and the program reports it.
    pub too_large: Option<usize>,
}

impl Document {
    pub fn new(uri: Url, version: i32, text: String) -> Document {
        let mut doc = Document {
            uri,
            version,
            text: Arc::default(),
            lines: LineIndex::new(""),
            too_large: None,
        };
        doc.set_text(text);
        doc
    }

    /// Replaces the text; one over the limit is dropped.
    pub fn set_text(&mut self, text: String) {
        if text.len() > MAX_DOCUMENT_BYTES {
            self.drop_text(text.len());
            return;
        }
        self.lines = LineIndex::new(&text);
        self.text = Arc::new(text);
        self.too_large = None;
    }

    /// Forgets the text of a buffer that grew to `len` bytes.
    pub fn drop_text(&mut self, len: usize) {
        self.lines = LineIndex::new("");
        self.text = Arc::default();
        self.too_large = Some(len);
    }
}

#[derive(Default)]
pub struct Workspace {
    folders: Vec<PathBuf>,
    /// Open buffers by canonical path.
    pub docs: HashMap<PathBuf, Document>,
    /// For each known file, the files it includes (canonical paths).
    includes: BTreeMap<PathBuf, Vec<PathBuf>>,
}

/// The canonical form of a path, or the path itself for a file that does
/// not exist (yet).
pub fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The path of a `file:` URI; a buffer that is no file (`untitled:`) gets a
/// path of its own that no file has.
pub fn uri_path(uri: &Url) -> Option<PathBuf> {
    if uri.scheme() == "file" {
        return uri.to_file_path().ok().map(|p| canonical(&p));
    }
    let name: String = format!("{}:{}", uri.scheme(), uri.path())
        .chars()
        .map(|c| if c == '/' { '_' } else { c })
        .collect();
    Some(PathBuf::from("/").join(name))
}

/// Reads a source file from disk as npc reads any: a regular file, at most
/// [`files::MAX_SOURCE_BYTES`].
fn read_bounded(path: &Path) -> Result<String, files::ReadError> {
    files::read_text(path, files::MAX_SOURCE_BYTES)
}

/// A buffer's text as a program reads it: a buffer past the limit cannot
/// be read.
fn buffer_text(
    path: &Path,
    text: &str,
    too_large: Option<usize>,
) -> Result<String, files::ReadError> {
    match too_large {
        Some(_) => Err(files::ReadError::too_large(
            path.display().to_string(),
            files::MAX_SOURCE_BYTES,
        )),
        None => Ok(text.to_string()),
    }
}

impl Files for Workspace {
    fn read(&self, path: &Path) -> Result<String, files::ReadError> {
        match self.docs.get(path) {
            Some(doc) => buffer_text(path, &doc.text, doc.too_large),
            None => read_bounded(path),
        }
    }
}

/// The open buffers as they were when a check started: the check reads
/// them on its own thread while the server takes further edits.
pub struct Buffers {
    docs: HashMap<PathBuf, (Arc<String>, Option<usize>)>,
}

impl Files for Buffers {
    fn read(&self, path: &Path) -> Result<String, files::ReadError> {
        match self.docs.get(path) {
            Some((text, too_large)) => buffer_text(path, text, *too_large),
            None => read_bounded(path),
        }
    }
}

impl Workspace {
    /// Scans the workspace folders for `.npl` files and their includes.
    pub fn new(folders: Vec<PathBuf>) -> Workspace {
        let mut ws = Workspace {
            folders: folders.iter().map(|f| canonical(f)).collect(),
            ..Workspace::default()
        };
        let mut found = Vec::new();
        let mut budget = MAX_SCAN_ENTRIES;
        for folder in ws.folders.clone() {
            scan(&folder, &mut found, &mut budget);
        }
        for path in found {
            ws.refresh_includes(&path);
        }
        ws
    }

    /// The open buffers, for a check on another thread.
    pub fn buffers(&self) -> Buffers {
        Buffers {
            docs: self
                .docs
                .iter()
                .map(|(p, d)| (p.clone(), (Arc::clone(&d.text), d.too_large)))
                .collect(),
        }
    }

    /// The bytes all open buffers hold, but the one at `except`.
    pub fn open_bytes(&self, except: &Path) -> usize {
        self.docs
            .iter()
            .filter(|(p, _)| p.as_path() != except)
            .map(|(_, d)| d.text.len())
            .sum()
    }

    /// Re-reads the includes of one file (its buffer, else the disk). A
    /// file neither open nor readable is forgotten, and one on disk only
    /// counts if it is an `.npl` file or already known: the include graph
    /// holds the workspace's programs, not every path a client names.
    pub fn refresh_includes(&mut self, path: &Path) {
        let dir = path.parent().unwrap_or(Path::new("/"));
        let targets = |text: &str| -> Vec<PathBuf> {
            analysis::included_paths(text, dir)
                .iter()
                .map(|p| canonical(p))
                .collect()
        };
        let found = match self.docs.get(path) {
            Some(doc) => targets(&doc.text),
            None => {
                let wanted = self.includes.contains_key(path)
                    || path.extension().is_some_and(|e| e == "npl");
                match read_bounded(path) {
                    Ok(text) if wanted => targets(&text),
                    _ => {
                        self.includes.remove(path);
                        return;
                    }
                }
            }
        };
        self.includes.insert(path.to_path_buf(), found);
    }

    /// The root file of the program `path` belongs to: the file that
    /// includes it (transitively) and is included by none. With several,
    /// the first by path; inside an include cycle, the file itself.
    pub fn root_of(&self, path: &Path) -> PathBuf {
        let mut seen: BTreeSet<&Path> = BTreeSet::new();
        let mut frontier: Vec<&Path> = vec![path];
        let mut roots: BTreeSet<&Path> = BTreeSet::new();
        while let Some(p) = frontier.pop() {
            if !seen.insert(p) {
                continue;
            }
            let includers: Vec<&Path> = self
                .includes
                .iter()
                .filter(|(_, targets)| targets.iter().any(|t| t == p))
                .map(|(f, _)| f.as_path())
                .collect();
            if includers.is_empty() {
                roots.insert(p);
            }
            frontier.extend(includers);
        }
        roots.into_iter().next().unwrap_or(path).to_path_buf()
    }

    /// How messages name a file: relative to the workspace folder holding it.
    pub fn display_name(&self, path: &Path) -> String {
        self.folders
            .iter()
            .find_map(|f| path.strip_prefix(f).ok())
            .unwrap_or(path)
            .display()
            .to_string()
    }

    /// The URI to report a file under: the client's own for open buffers.
    pub fn uri(&self, path: &Path) -> Option<Url> {
        match self.docs.get(path) {
            Some(doc) => Some(doc.uri.clone()),
            None => Url::from_file_path(path).ok(),
        }
    }
}

/// Collects `.npl` files under `dir`, within the entry budget.
fn scan(dir: &Path, found: &mut Vec<PathBuf>, budget: &mut usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut subdirs = Vec::new();
    for entry in entries.flatten() {
        if *budget == 0 || found.len() >= MAX_SCAN_FILES {
            return;
        }
        *budget -= 1;
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if kind.is_dir() {
            if !name.starts_with('.') && !SKIPPED_DIRS.contains(&name.as_ref()) {
                subdirs.push(path);
            }
        } else if kind.is_file() && name.ends_with(".npl") {
            found.push(canonical(&path));
        }
    }
    subdirs.sort();
    for sub in subdirs {
        scan(&sub, found, budget);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_the_topmost_includer() {
        let mut ws = Workspace::default();
        let p = |s: &str| PathBuf::from(s);
        ws.includes
            .insert(p("/w/main.npl"), vec![p("/w/teams/a.npl")]);
        ws.includes
            .insert(p("/w/teams/a.npl"), vec![p("/w/teams/b.npl")]);
        ws.includes.insert(p("/w/teams/b.npl"), vec![]);
        ws.includes.insert(p("/w/other.npl"), vec![]);
        assert_eq!(ws.root_of(&p("/w/teams/b.npl")), p("/w/main.npl"));
        assert_eq!(ws.root_of(&p("/w/other.npl")), p("/w/other.npl"));
        assert_eq!(ws.root_of(&p("/w/new.npl")), p("/w/new.npl"));
        // A cycle has no root: the file stands alone.
        ws.includes.insert(p("/w/x.npl"), vec![p("/w/y.npl")]);
        ws.includes.insert(p("/w/y.npl"), vec![p("/w/x.npl")]);
        assert_eq!(ws.root_of(&p("/w/y.npl")), p("/w/y.npl"));
    }
}
