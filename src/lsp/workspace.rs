//! The editor's view of the files: open buffers, the include graph of the
//! workspace, and which root file each file's program starts from.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

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

/// An open buffer.
pub struct Document {
    pub uri: Url,
    pub text: String,
    pub lines: LineIndex,
}

impl Document {
    pub fn new(uri: Url, text: String) -> Document {
        let lines = LineIndex::new(&text);
        Document { uri, text, lines }
    }

    pub fn set_text(&mut self, text: String) {
        self.lines = LineIndex::new(&text);
        self.text = text;
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

impl Files for Workspace {
    fn read(&self, path: &Path) -> Result<String, files::ReadError> {
        match self.docs.get(path) {
            Some(doc) => Ok(doc.text.clone()),
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

    /// Re-reads the includes of one file (its buffer, else the disk).
    pub fn refresh_includes(&mut self, path: &Path) {
        let text = self.read(path).unwrap_or_default();
        let dir = path.parent().unwrap_or(Path::new("/"));
        let targets = analysis::included_paths(&text, dir)
            .iter()
            .map(|p| canonical(p))
            .collect();
        self.includes.insert(path.to_path_buf(), targets);
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
