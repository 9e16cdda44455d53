//! The edit W002 (an `allow` that produces no rule) suggests: declare the
//! undeclared namespaces the `allow` names. Layout finds the problem; the
//! edit needs the `allow`'s text, where the file's declarations are (see
//! [`Declarations`]) and the side table of names, so the composition of
//! the stages attaches it with [`with_declarations`].

use std::collections::BTreeSet;

use super::Names;
use crate::diagnostic::{codes, Applicability, Diagnostic};
use crate::source::{FileId, SourceMap, Span, Spanned};
use crate::syntax::ast::{Endpoint, NamespacePart, Statement, Target};

/// What the W002 edit needs of the statements beyond an `allow`'s own
/// text, gathered by resolution while it has them: `npc build` frees each
/// statement once resolved, before layout finds the `allow`s that produce
/// no rule.
#[derive(Clone, Debug, Default)]
pub struct Declarations {
    /// Each file with statements (few, in the order met).
    files: Vec<FileDeclarations>,
}

/// Where the edit goes in one file.
#[derive(Clone, Copy, Debug)]
struct FileDeclarations {
    file: FileId,
    /// The end of the file's last top-level `namespace` statement.
    last_namespace_end: Option<usize>,
    /// The start of the file's first statement.
    first_start: usize,
}

impl Declarations {
    pub(super) fn gather(statements: &[Spanned<Statement>]) -> Declarations {
        let mut files: Vec<FileDeclarations> = Vec::new();
        // Statements come file by file (an include's in the middle of its
        // includer's): most are in the file of the statement before.
        let mut at = 0;
        for s in statements {
            let span = s.span;
            if files.get(at).map(|f| f.file) != Some(span.file) {
                at = match files.iter().position(|f| f.file == span.file) {
                    Some(i) => i,
                    None => {
                        files.push(FileDeclarations {
                            file: span.file,
                            last_namespace_end: None,
                            first_start: span.start(),
                        });
                        files.len() - 1
                    }
                };
            }
            let Some(f) = files.get_mut(at) else {
                continue;
            };
            f.first_start = f.first_start.min(span.start());
            if matches!(s.node, Statement::Namespace(_)) {
                // `None` orders before any `Some`.
                f.last_namespace_end = f.last_namespace_end.max(Some(span.end()));
            }
        }
        Declarations { files }
    }
}

/// `d`, and when it is a W002, the suggestion to declare the namespaces
/// its `allow` names that no statement declares: after the last top-level
/// `namespace` of the `allow`'s file, or before its first statement.
pub fn with_declarations(
    d: Diagnostic,
    declared: &Declarations,
    names: &Names,
    sources: &SourceMap,
) -> Diagnostic {
    if d.code != codes::ALLOW_WITHOUT_RULE {
        return d;
    }
    match declarations(declared, names, sources, d.span) {
        Some((title, at, text)) => {
            d.with_suggestion(title, at, text, Applicability::MaybeIncorrect)
        }
        None => d,
    }
}

/// The title, the place (an empty span) and the text of the declarations.
fn declarations(
    declared: &Declarations,
    names: &Names,
    sources: &SourceMap,
    allow: Span,
) -> Option<(String, Span, String)> {
    let file = allow.file;
    let text = &sources.get(file)?.text;
    // The `allow` is read again from its text (it parsed before; only
    // the namespaces it names are wanted, and a W002 is rare).
    let (parsed, _) = crate::syntax::parse(file, text.get(allow.range())?);
    let stmt = parsed.statements.into_iter().find_map(|s| match s.node {
        Statement::Allow(a) => Some(a),
        _ => None,
    })?;
    let named: BTreeSet<&str> = stmt
        .sources
        .iter()
        .chain(&stmt.destinations)
        .filter_map(namespace_name)
        .filter(|n| !names.namespaces.contains_key(*n))
        .collect();
    if named.is_empty() {
        return None;
    }
    let lines: String = named.iter().map(|n| format!("namespace {n}\n")).collect();
    let place = *declared.files.iter().find(|f| f.file == file)?;
    let (at, lines) = match place.last_namespace_end {
        Some(end) => {
            let (_, line_end) = line_of(text, end);
            if line_end >= text.len() && !text.ends_with('\n') {
                (line_end, format!("\n{}", lines.trim_end()))
            } else {
                (line_end, lines)
            }
        }
        None => (line_of(text, place.first_start).0, lines),
    };
    let list: Vec<String> = named.iter().map(|n| format!("`{n}`")).collect();
    Some((
        format!("declare namespace {}", list.join(", ")),
        Span::new(file, at, at),
        lines,
    ))
}

fn namespace_name(target: &Spanned<Target>) -> Option<&str> {
    match &target.endpoint.node {
        Endpoint::Pods { namespace, .. } => match &namespace.node {
            NamespacePart::Name(n) => Some(n.as_str()),
            _ => None,
        },
        _ => None,
    }
}

/// The byte range of the line holding `offset`, with its newline.
fn line_of(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let start = text
        .get(..offset)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let end = text
        .get(offset..)
        .and_then(|t| t.find('\n'))
        .map_or(text.len(), |i| offset + i + 1);
    (start, end)
}
