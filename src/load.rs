//! Loading: reads the root files, parses them and splices `include`d files in
//! place, giving one flat statement list for name resolution.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::diagnostic::{codes, Applicability, Diagnostic, Diagnostics};
use crate::source::{FileId, SourceFile, SourceMap, Span, Spanned};
use crate::syntax::{self, ast, ParseCache};

/// A program's text before parsing.
#[derive(Clone, Debug)]
pub struct Input {
    /// The name shown in diagnostics and annotations.
    pub name: String,
    /// Where it was read from; includes are resolved against its directory.
    pub path: Option<PathBuf>,
    pub text: String,
}

impl Input {
    /// A file read from disk (bounded as every NPL input), named by its path.
    pub fn from_file(path: &std::path::Path) -> Result<Self, crate::files::ReadError> {
        Ok(Input {
            name: path.display().to_string(),
            path: Some(path.to_path_buf()),
            text: crate::files::read_text(path, crate::files::MAX_SOURCE_BYTES)?,
        })
    }

    pub fn from_str(name: impl Into<String>, text: impl Into<String>) -> Self {
        Input {
            name: name.into(),
            path: None,
            text: text.into(),
        }
    }
}

/// The parsed program: all files, and their statements in textual order.
#[derive(Debug, Default)]
pub struct Loaded {
    pub sources: SourceMap,
    pub statements: Vec<Spanned<ast::Statement>>,
    pub diagnostics: Diagnostics,
    /// Whether some file had syntax errors (its statements are missing).
    pub syntax_errors: bool,
}

/// Parses the roots and everything they include, reading included files
/// from disk.
pub fn load(inputs: Vec<Input>) -> Loaded {
    load_with(inputs, &|path| {
        crate::files::read_text(path, crate::files::MAX_SOURCE_BYTES)
    })
}

/// Reads an included file's text from its canonical path. An editor passes
/// its unsaved buffers here before the disk.
pub type ReadFile<'a> = &'a dyn Fn(&Path) -> Result<String, crate::files::ReadError>;

/// [`load`], with included files read through `read`.
pub fn load_with(inputs: Vec<Input>, read: ReadFile<'_>) -> Loaded {
    load_inner(inputs, read, None)
}

/// [`load_with`], parsing each file through `cache`: an edited file is
/// parsed again only where it changed since its last parse (the language
/// server re-checks a program after every edit). The result is the same.
pub fn load_cached(inputs: Vec<Input>, read: ReadFile<'_>, cache: &mut ParseCache) -> Loaded {
    load_inner(inputs, read, Some(cache))
}

fn load_inner(inputs: Vec<Input>, read: ReadFile<'_>, cache: Option<&mut ParseCache>) -> Loaded {
    let mut loader = Loader {
        out: Loaded::default(),
        seen: BTreeMap::new(),
        read,
        cache,
    };
    for input in inputs {
        let root_dir = input
            .path
            .as_deref()
            .and_then(Path::parent)
            .map(|p| {
                canonical(if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                })
            })
            .unwrap_or_else(|| canonical(Path::new(".")));
        let key = input.path.as_deref().map(canonical);
        let statements = loader.file(input, key, &root_dir);
        if loader.out.statements.is_empty() {
            loader.out.statements = statements;
        } else {
            loader.out.statements.extend(statements);
        }
    }
    loader.out
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

struct Loader<'a> {
    out: Loaded,
    /// Canonical path of every file loaded so far, with the span that included it.
    seen: BTreeMap<PathBuf, Option<Span>>,
    read: ReadFile<'a>,
    cache: Option<&'a mut ParseCache>,
}

impl Loader<'_> {
    fn file(
        &mut self,
        input: Input,
        key: Option<PathBuf>,
        root_dir: &Path,
    ) -> Vec<Spanned<ast::Statement>> {
        let dir = input
            .path
            .as_deref()
            .and_then(Path::parent)
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .map_or_else(|| root_dir.to_path_buf(), canonical);
        if let Some(key) = &key {
            self.seen.entry(key.clone()).or_insert(None);
        }
        let id = self.out.sources.add(SourceFile::new(
            input.name,
            input.path,
            without_bom(input.text),
        ));
        // The text as the source map holds it, not a copy (a large program
        // is megabytes).
        let text = self.out.sources.get(id).map_or("", |f| f.text.as_str());
        let (ast, diags) = match (self.cache.as_deref_mut(), &key) {
            (Some(cache), Some(key)) => cache.parse(key, id, text),
            _ => syntax::parse(id, text),
        };
        let lone = lone_carriage_returns(id, text);
        self.out.syntax_errors |= diags.has_errors();
        self.out.diagnostics.extend(diags);
        if let Some(d) = lone {
            self.out.diagnostics.push(d);
        }
        if !ast
            .statements
            .iter()
            .any(|s| matches!(s.node, ast::Statement::Include(_)))
        {
            return ast.statements;
        }
        let mut statements = Vec::with_capacity(ast.statements.len());
        for stmt in ast.statements {
            match &stmt.node {
                ast::Statement::Include(path) => {
                    statements.extend(self.include(id, &dir, root_dir, path, stmt.span));
                }
                _ => statements.push(stmt),
            }
        }
        statements
    }

    fn include(
        &mut self,
        from: FileId,
        dir: &Path,
        root_dir: &Path,
        path: &Spanned<String>,
        stmt_span: Span,
    ) -> Vec<Spanned<ast::Statement>> {
        let joined = dir.join(&path.node);
        let resolved = canonical(&joined);
        if !resolved.starts_with(root_dir) {
            self.out.diagnostics.push(
                Diagnostic::new(
                    codes::INCLUDE_OUTSIDE_ROOT,
                    path.span,
                    format!("`{}` is outside the root file's directory", path.node),
                )
                .with_primary("included from here")
                .with_help("included files must live in the root file's directory or below it; move the file, or build from a root file higher up"),
            );
            return Vec::new();
        }
        if let Some(first) = self.seen.get(&resolved) {
            let mut d = Diagnostic::new(
                codes::INCLUDE_TWICE,
                path.span,
                format!("`{}` is already part of the program", path.node),
            )
            .with_primary("included again here")
            .with_help("each file is included at most once; remove this `include`");
            if let Some(f) = self.out.sources.get(from) {
                let (start, end) = removal(&f.text, stmt_span.start(), stmt_span.end());
                d = d.with_suggestion(
                    "remove this `include`",
                    Span::new(from, start, end),
                    "",
                    Applicability::MachineApplicable,
                );
            }
            if let Some(first) = first {
                d = d.with_secondary(*first, "first included here");
            } else {
                d = d.with_note("it is a root file of this build");
            }
            self.out.diagnostics.push(d);
            return Vec::new();
        }
        let text = match (self.read)(&resolved) {
            Ok(t) => t,
            Err(e) => {
                self.out.diagnostics.push(
                    Diagnostic::new(
                        codes::INCLUDE_UNREADABLE,
                        path.span,
                        format!("cannot read `{}`: {}", path.node, e.reason),
                    )
                    .with_primary("included here")
                    .with_help("the path is relative to the file that includes it"),
                );
                return Vec::new();
            }
        };
        self.seen.insert(resolved.clone(), Some(stmt_span));
        // Named after the including file's name, not its canonical path, so
        // annotations read `examples/teams/a.npl` wherever the build runs.
        let from_name = self
            .out
            .sources
            .get(from)
            .and_then(|f| Path::new(&f.name).parent())
            .map(|p| p.join(&path.node))
            .unwrap_or_else(|| PathBuf::from(&path.node));
        let input = Input {
            name: from_name.to_string_lossy().into_owned(),
            path: Some(resolved.clone()),
            text,
        };
        self.file(input, Some(resolved), root_dir)
    }
}

/// What to delete to remove the statement at `start..end`: its whole line
/// (with the line break, and a comment after it) when nothing else is on
/// the line, else the statement alone.
fn removal(text: &str, start: usize, end: usize) -> (usize, usize) {
    let (Some(before), Some(after)) = (text.get(..start), text.get(end..)) else {
        return (start, end);
    };
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let rest = after.find('\n').map_or(after, |i| &after[..i]);
    let alone = before[line_start..].trim().is_empty() && {
        let rest = rest.trim_start();
        rest.is_empty() || rest.starts_with('#')
    };
    if !alone {
        return (start, end);
    }
    let line_end = after.find('\n').map_or(text.len(), |i| end + i + 1);
    (line_start, line_end)
}

/// The most lone carriage returns one W014 points at; a note counts the rest.
const MAX_SHOWN_CARRIAGE_RETURNS: usize = 10;

/// W014: carriage returns that end no line (not followed by `\n`). NPL reads
/// one as a space, but a terminal returns to the start of the line there:
/// `cat` shows the text after it over the text before it, so
/// `allow */* -> web/db:5432\r# (removed)` reads as a comment and compiles
/// as an allow. One warning per file, at the first, with the next few.
fn lone_carriage_returns(file: FileId, text: &str) -> Option<Diagnostic> {
    let mut found = text
        .match_indices('\r')
        .map(|(i, _)| i)
        .filter(|i| !text[i + 1..].starts_with('\n'));
    let first = found.next()?;
    let mut d = Diagnostic::new(
        codes::LONE_CARRIAGE_RETURN,
        Span::new(file, first, first + 1),
        "a carriage return that ends no line hides the text before it on a terminal".to_string(),
    )
    .with_primary("a carriage return not followed by a line feed")
    .with_help("remove it, or end the line with `\\n` (or `\\r\\n`): `cat`, `less -r` and diffs jump back to the start of the line here and show what follows over what came before, while npc compiles both");
    let mut more = 0;
    for at in found {
        if d.secondary.len() + 1 < MAX_SHOWN_CARRIAGE_RETURNS {
            d = d.with_secondary(Span::new(file, at, at + 1), "another one");
        } else {
            more += 1;
        }
    }
    if more > 0 {
        d = d.with_note(format!("and {more} more in this file"));
    }
    Some(d)
}

/// The text without a UTF-8 byte-order mark at its start (editors on some
/// systems write one; it is not part of the program).
pub fn without_bom(text: String) -> String {
    match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    }
}
