//! The files a command names: manifest files, directories of them, and `-`.

use std::path::PathBuf;

use crate::files::{self, ReadError, Reason, MAX_MANIFEST_BYTES};
use crate::source::{SourceFile, SourceMap};

/// The extensions read below a directory.
pub const EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

/// The most npc reads from all manifest inputs together.
pub const MAX_TOTAL_BYTES: u64 = 4 * MAX_MANIFEST_BYTES;

/// What [`read`] read.
#[derive(Debug, Default)]
pub struct Inputs {
    pub sources: SourceMap,
    /// Symbolic links below a directory that lead out of it: not read
    /// (`files::files_under`), each said as a note for people.
    pub skipped_links: Vec<String>,
}

/// Reads every path: a file (any extension), the manifest files below a
/// directory (sorted), or `-` for standard input (at most once).
pub fn read(paths: &[PathBuf]) -> Result<Inputs, ReadError> {
    let mut sources = SourceMap::default();
    let mut skipped_links = Vec::new();
    let mut total: u64 = 0;
    let mut stdin_read = false;
    for path in paths {
        let files = if path.as_os_str() == "-" {
            if stdin_read {
                continue;
            }
            stdin_read = true;
            let text = files::read_stdin(MAX_MANIFEST_BYTES)?;
            add(&mut sources, &mut total, "<stdin>".into(), None, text)?;
            continue;
        } else if path.is_dir() {
            let found = files::files_under(path, EXTENSIONS)?;
            skipped_links.extend(
                found
                    .links_outside
                    .iter()
                    .map(|link| files::skipped_link(link, path)),
            );
            found.files
        } else {
            vec![path.clone()]
        };
        for file in files {
            let text = files::read_text(&file, MAX_MANIFEST_BYTES)?;
            let name = file.display().to_string();
            add(&mut sources, &mut total, name, Some(file), text)?;
        }
    }
    Ok(Inputs {
        sources,
        skipped_links,
    })
}

fn add(
    sources: &mut SourceMap,
    total: &mut u64,
    name: String,
    path: Option<PathBuf>,
    text: String,
) -> Result<(), ReadError> {
    *total = total.saturating_add(text.len() as u64);
    if *total > MAX_TOTAL_BYTES {
        return Err(ReadError {
            name,
            reason: Reason::Other(format!(
                "the inputs together are larger than {} MiB",
                MAX_TOTAL_BYTES >> 20
            )),
        });
    }
    sources.add(SourceFile::new(name, path, text));
    Ok(())
}
