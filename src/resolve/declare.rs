//! The edit W002 (an `allow` that produces no rule) suggests: declare the
//! undeclared namespaces the `allow` names. Layout finds the problem; the
//! edit needs the statements and the side table of names, so the
//! composition of the stages attaches it with [`with_declarations`].

use std::collections::BTreeSet;

use super::Names;
use crate::diagnostic::{codes, Applicability, Diagnostic};
use crate::source::{SourceMap, Span, Spanned};
use crate::syntax::ast::{Endpoint, NamespacePart, Statement, Target};

/// `d`, and when it is a W002, the suggestion to declare the namespaces
/// its `allow` names that no statement declares: after the last top-level
/// `namespace` of the `allow`'s file, or before its first statement.
pub fn with_declarations(
    d: Diagnostic,
    statements: &[Spanned<Statement>],
    names: &Names,
    sources: &SourceMap,
) -> Diagnostic {
    if d.code != codes::ALLOW_WITHOUT_RULE {
        return d;
    }
    match declarations(statements, names, sources, d.span) {
        Some((title, at, text)) => {
            d.with_suggestion(title, at, text, Applicability::MaybeIncorrect)
        }
        None => d,
    }
}

/// The title, the place (an empty span) and the text of the declarations.
fn declarations(
    statements: &[Spanned<Statement>],
    names: &Names,
    sources: &SourceMap,
    allow: Span,
) -> Option<(String, Span, String)> {
    let stmt = statements.iter().find_map(|s| match &s.node {
        Statement::Allow(a) if s.span == allow => Some(a),
        Statement::Namespace(decl) => decl.body.iter().flatten().find_map(|b| match &b.node {
            Statement::Allow(a) if b.span == allow => Some(a),
            _ => None,
        }),
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
    let file = allow.file;
    let text = &sources.get(file)?.text;
    let lines: String = named.iter().map(|n| format!("namespace {n}\n")).collect();
    let anchor = statements
        .iter()
        .filter(|s| s.span.file == file && matches!(s.node, Statement::Namespace(_)))
        .map(|s| s.span.end)
        .max();
    let (at, lines) = match anchor {
        Some(end) => {
            let (_, line_end) = line_of(text, end);
            if line_end >= text.len() && !text.ends_with('\n') {
                (line_end, format!("\n{}", lines.trim_end()))
            } else {
                (line_end, lines)
            }
        }
        None => {
            let first = statements
                .iter()
                .filter(|s| s.span.file == file)
                .map(|s| s.span.start)
                .min()?;
            (line_of(text, first).0, lines)
        }
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
