//! Go to definition, find references and rename, for aliases and namespaces.

use std::path::Path;

use super::{CheckedProgram, Edit, FileSpan};
use crate::diagnostic::codes;
use crate::resolve;
use crate::source::{FileId, Span, Spanned};
use crate::syntax::ast::{Endpoint, Let, Statement, Target};

/// A name that can be navigated.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Symbol {
    /// Index of the alias definition.
    Alias(usize),
    Namespace(String),
}

impl CheckedProgram {
    fn symbol_at(&self, path: &Path, offset: usize) -> Option<(Symbol, Span)> {
        let at = self.offset_span(path, offset)?;
        if let Some(def) = self.index().alias_at(at) {
            let span = self
                .index()
                .alias_uses
                .iter()
                .map(|(s, _)| *s)
                .chain(std::iter::once(self.index().aliases.get(def)?.name_span))
                .find(|s| super::covers(*s, at))?;
            return Some((Symbol::Alias(def), span));
        }
        let (span, name) = self
            .index()
            .namespace_refs
            .iter()
            .find(|(s, _)| super::covers(*s, at))?;
        Some((Symbol::Namespace(name.clone()), *span))
    }

    fn symbol_spans(&self, symbol: &Symbol, declaration: bool) -> Vec<Span> {
        let mut out: Vec<Span> = match symbol {
            Symbol::Alias(def) => {
                let mut v: Vec<Span> = self
                    .index()
                    .alias_uses
                    .iter()
                    .filter(|(_, d)| d == def)
                    .map(|(s, _)| *s)
                    .collect();
                if declaration {
                    v.extend(self.index().aliases.get(*def).map(|a| a.name_span));
                }
                v
            }
            Symbol::Namespace(name) => {
                let decl = self.index().namespaces.get(name).copied();
                self.index()
                    .namespace_refs
                    .iter()
                    .filter(|(s, n)| n == name && (declaration || Some(*s) != decl))
                    .map(|(s, _)| *s)
                    .collect()
            }
        };
        out.sort();
        out.dedup();
        out
    }

    /// The file an `include "..."` at `offset` names, if it is part of the
    /// program.
    fn included_file_at(&self, path: &Path, offset: usize) -> Option<FileSpan> {
        let text = self.text(path)?;
        let start = text.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
        let end = text
            .get(offset..)?
            .find('\n')
            .map_or(text.len(), |i| offset + i);
        let line = text.get(start..end)?;
        let quote = line.find('"')?;
        let close = quote + 1 + line.get(quote + 1..)?.find('"')?;
        if !(start + quote..=start + close).contains(&offset) {
            return None;
        }
        let dir = path.parent()?;
        let target = super::included_paths(line, dir).into_iter().next()?;
        let target = std::fs::canonicalize(&target).unwrap_or(target);
        self.files().find(|f| *f == target)?;
        Some(FileSpan {
            path: target,
            start: 0,
            end: 0,
        })
    }

    /// Where the alias or namespace at `offset` is defined; on the path of
    /// an `include`, the start of that file.
    pub fn definition(&self, path: &Path, offset: usize) -> Option<FileSpan> {
        if let Some(file) = self.included_file_at(path, offset) {
            return Some(file);
        }
        let (symbol, _) = self.symbol_at(path, offset)?;
        let span = match symbol {
            Symbol::Alias(def) => self.index().aliases.get(def)?.name_span,
            Symbol::Namespace(name) => *self.index().namespaces.get(&name)?,
        };
        self.file_span(span)
    }

    /// Every place the alias or namespace at `offset` is written.
    pub fn references(&self, path: &Path, offset: usize, declaration: bool) -> Vec<FileSpan> {
        let Some((symbol, _)) = self.symbol_at(path, offset) else {
            return Vec::new();
        };
        self.symbol_spans(&symbol, declaration)
            .into_iter()
            .filter_map(|s| self.file_span(s))
            .collect()
    }

    /// The name a rename at `offset` would change, and its current text.
    pub fn rename_target(&self, path: &Path, offset: usize) -> Option<(FileSpan, String)> {
        let (symbol, span) = self.symbol_at(path, offset)?;
        let name = match symbol {
            Symbol::Alias(def) => self.index().aliases.get(def)?.name.clone(),
            Symbol::Namespace(name) => name,
        };
        Some((self.file_span(span)?, name))
    }

    /// The edits that rename the alias or namespace at `offset`, or why it
    /// cannot be renamed to `new_name`.
    pub fn rename(&self, path: &Path, offset: usize, new_name: &str) -> Result<Vec<Edit>, String> {
        let (symbol, _) = self
            .symbol_at(path, offset)
            .ok_or("only aliases and namespaces can be renamed")?;
        match &symbol {
            Symbol::Alias(def) => {
                let old = self.index().aliases.get(*def).map(|a| a.name.as_str());
                if old == Some(new_name) {
                    return Ok(Vec::new());
                }
                alias_name_problem(new_name).map_or(Ok(()), Err)?;
                if let Some(other) = self.index().aliases.iter().find(|a| a.name == new_name) {
                    return Err(format!(
                        "`{new_name}` is already an alias ({})",
                        self.sources.location(other.name_span)
                    ));
                }
                if let Some((span, _)) = self.index().bare_names.iter().find(|(_, n)| n == new_name)
                {
                    return Err(format!(
                        "`{new_name}` is already written as a name ({}); renaming would change what it means",
                        self.sources.location(*span)
                    ));
                }
            }
            Symbol::Namespace(old) => {
                if old == new_name {
                    return Ok(Vec::new());
                }
                crate::k8s::names::dns1123_label(new_name)
                    .map_err(|why| format!("`{new_name}` is not a namespace name: {why}"))?;
                if let Some((span, _)) = self
                    .index()
                    .namespace_refs
                    .iter()
                    .find(|(_, n)| n == new_name)
                {
                    return Err(format!(
                        "the namespace `{new_name}` is already part of the program ({})",
                        self.sources.location(*span)
                    ));
                }
            }
        }
        Ok(self
            .symbol_spans(&symbol, true)
            .into_iter()
            .filter_map(|s| self.file_span(s))
            .map(|span| Edit {
                span,
                text: new_name.to_string(),
            })
            .collect())
    }
}

/// Why `name` cannot be an alias name, asked of name resolution itself.
fn alias_name_problem(name: &str) -> Option<String> {
    let nowhere = Span::new(FileId(0), 0, 0);
    let world = Spanned::new(
        Target {
            endpoint: Spanned::new(Endpoint::World, nowhere),
            ports: None,
        },
        nowhere,
    );
    let probe = Statement::Let(Box::new(Let {
        name: Spanned::new(name.to_string(), nowhere),
        targets: vec![world],
    }));
    let resolution = resolve::resolve(&[Spanned::new(probe, nowhere)]);
    let invalid = resolution
        .diagnostics
        .iter()
        .any(|d| d.code == codes::INVALID_ALIAS_NAME)
        || name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    invalid.then(|| {
        format!(
            "`{name}` cannot be an alias name: use lower-case letters, digits, `_` and `-`, starting with a letter or `_`, and no keyword"
        )
    })
}
