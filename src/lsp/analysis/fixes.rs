//! Quick fixes: the suggestions the compiler attaches to its diagnostics
//! (`Diagnostic::suggestions`), as edits in files of the program. Nothing
//! here reads a message: a diagnostic has a fix exactly when the stage that
//! found the problem named its edit.

use std::path::Path;

use super::{CheckedProgram, Edit, FileSpan};
use crate::diagnostic::{Applicability, Suggestion};

/// A fix for one diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    /// The diagnostic it fixes: its code and span.
    pub code: &'static str,
    pub diagnostic: FileSpan,
    pub edits: Vec<Edit>,
    /// The diagnostic's one fix, and a safe one: an editor may apply it
    /// on its own (the protocol's `isPreferred`).
    pub preferred: bool,
}

impl CheckedProgram {
    /// Fixes for the diagnostics of `path` that overlap `start..end`.
    pub fn fixes(&self, path: &Path, start: usize, end: usize) -> Vec<Fix> {
        let Some(id) = self.file_id(path) else {
            return Vec::new();
        };
        self.diagnostics
            .iter()
            .filter(|d| d.span.file == id && d.span.start() <= end && start <= d.span.end())
            .flat_map(|d| {
                let only = d.suggestions.len() == 1;
                d.suggestions.iter().filter_map(move |s| {
                    Some(Fix {
                        title: s.title.clone(),
                        code: d.code.id,
                        diagnostic: self.file_span(d.span)?,
                        edits: self.edits(s)?,
                        preferred: only && s.applicability == Applicability::MachineApplicable,
                    })
                })
            })
            .collect()
    }

    /// A suggestion's edits in files of the program; `None` if one lies
    /// outside them.
    fn edits(&self, suggestion: &Suggestion) -> Option<Vec<Edit>> {
        suggestion
            .edits
            .iter()
            .map(|e| {
                Some(Edit {
                    span: self.file_span(e.span)?,
                    text: e.text.clone(),
                })
            })
            .collect()
    }
}
