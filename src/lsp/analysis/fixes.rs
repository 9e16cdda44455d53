//! Quick fixes for diagnostics whose remedy is mechanical: a did-you-mean
//! name, a reversed range, `udp/53` for `53/udp`, `=>` for `->`, a duplicate
//! `include`, and the missing `namespace` declaration of an `allow` that
//! produces no rule.

use std::collections::BTreeSet;
use std::path::Path;

use super::{Analysis, Edit, FileSpan};
use crate::diagnostic::{codes, Diagnostic};
use crate::source::{Span, Spanned};
use crate::syntax::ast::{Endpoint, NamespacePart, Statement, Target};

/// A fix for one diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    /// The diagnostic it fixes: its code and span.
    pub code: &'static str,
    pub diagnostic: FileSpan,
    pub edits: Vec<Edit>,
}

/// The text between the first pair of backticks after `prefix` in `help`.
fn quoted_after<'a>(help: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = help.strip_prefix(prefix)?.strip_prefix('`')?;
    rest.split_once('`').map(|(q, _)| q)
}

const PROTOCOLS: &[&str] = &["tcp", "udp", "sctp", "any"];

impl Analysis {
    /// Fixes for the diagnostics of `path` that overlap `start..end`.
    pub fn fixes(&self, path: &Path, start: usize, end: usize) -> Vec<Fix> {
        let Some(id) = self.file_id(path) else {
            return Vec::new();
        };
        self.diagnostics
            .iter()
            .filter(|d| d.span.file == id && d.span.start <= end && start <= d.span.end)
            .filter_map(|d| {
                let (title, edits) = self.fix(d)?;
                Some(Fix {
                    title,
                    code: d.code.id,
                    diagnostic: self.file_span(d.span)?,
                    edits,
                })
            })
            .collect()
    }

    fn edit(&self, span: Span, text: impl Into<String>) -> Option<Edit> {
        Some(Edit {
            span: self.file_span(span)?,
            text: text.into(),
        })
    }

    fn fix(&self, d: &Diagnostic) -> Option<(String, Vec<Edit>)> {
        let help = d.help.as_deref().unwrap_or("");
        let text = &self.sources.get(d.span.file)?.text;
        if let Some(name) = quoted_after(help, "did you mean ") {
            return Some((
                format!("replace with `{name}`"),
                vec![self.edit(d.span, name)?],
            ));
        }
        match d.code {
            c if c == codes::REVERSED_RANGE => {
                let range = quoted_after(help, "write ")?;
                Some((format!("write `{range}`"), vec![self.edit(d.span, range)?]))
            }
            c if c == codes::SYNTAX => self.syntax_fix(d, text),
            c if c == codes::INCLUDE_TWICE => {
                let (start, end) = line_of(text, d.span.start);
                Some((
                    "remove this `include`".to_string(),
                    vec![self.edit(Span::new(d.span.file, start, end), "")?],
                ))
            }
            c if c == codes::ALLOW_WITHOUT_RULE => self.declare_namespaces(d.span),
            _ => None,
        }
    }

    fn syntax_fix(&self, d: &Diagnostic, text: &str) -> Option<(String, Vec<Edit>)> {
        let at = d.span.start;
        if text.get(at..)?.starts_with("=>") {
            return Some((
                "write `->`".to_string(),
                vec![self.edit(Span::new(d.span.file, at, at + 2), "->")?],
            ));
        }
        // `udp/53`: the protocol written before the port.
        let before = text.get(..at)?;
        let protocol = PROTOCOLS
            .iter()
            .find(|p| before.ends_with(&format!("{p}/")))?;
        let rest = text.get(at..)?;
        let port_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '-'))
            .unwrap_or(rest.len());
        let port = rest.get(..port_len)?;
        if port.is_empty() || !port.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        let start = at - protocol.len() - 1;
        let swapped = format!("{port}/{protocol}");
        Some((
            format!("write `{swapped}`"),
            vec![self.edit(Span::new(d.span.file, start, at + port_len), swapped)?],
        ))
    }

    /// Declares the undeclared namespaces an `allow` names, after the last
    /// top-level `namespace` of its file (or before its first statement).
    fn declare_namespaces(&self, allow: Span) -> Option<(String, Vec<Edit>)> {
        let stmt = self.statements.iter().find_map(|s| match &s.node {
            Statement::Allow(a) if s.span == allow => Some(a),
            Statement::Namespace(decl) => decl.body.iter().flatten().find_map(|b| match &b.node {
                Statement::Allow(a) if b.span == allow => Some(a),
                _ => None,
            }),
            _ => None,
        })?;
        let declared: BTreeSet<&str> = self.index.namespaces.keys().map(String::as_str).collect();
        let named: BTreeSet<&str> = stmt
            .sources
            .iter()
            .chain(&stmt.destinations)
            .filter_map(namespace_name)
            .filter(|n| !declared.contains(n))
            .collect();
        if named.is_empty() {
            return None;
        }
        let file = allow.file;
        let anchor = self
            .statements
            .iter()
            .filter(|s| s.span.file == file && matches!(s.node, Statement::Namespace(_)))
            .map(|s| s.span.end)
            .max();
        let text = &self.sources.get(file)?.text;
        let (at, lines) = match anchor {
            Some(end) => {
                let (_, line_end) = line_of(text, end);
                let lines: String = named.iter().map(|n| format!("namespace {n}\n")).collect();
                if line_end >= text.len() && !text.ends_with('\n') {
                    (line_end, format!("\n{}", lines.trim_end()))
                } else {
                    (line_end, lines)
                }
            }
            None => {
                let first = self
                    .statements
                    .iter()
                    .filter(|s| s.span.file == file)
                    .map(|s| s.span.start)
                    .min()?;
                let (line_start, _) = line_of(text, first);
                let lines: String = named.iter().map(|n| format!("namespace {n}\n")).collect();
                (line_start, lines)
            }
        };
        let list: Vec<String> = named.iter().map(|n| format!("`{n}`")).collect();
        Some((
            format!("declare namespace {}", list.join(", ")),
            vec![self.edit(Span::new(file, at, at), lines)?],
        ))
    }
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
