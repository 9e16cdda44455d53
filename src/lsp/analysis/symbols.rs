//! The outline of a file: namespaces (with their blocks), aliases and
//! statements.

use std::path::Path;

use super::{CheckedProgram, FileSpan};
use crate::source::{FileId, Span, Spanned};
use crate::syntax::ast::Statement;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    Namespace,
    Alias,
    /// `allow`, `scrape`, `dns`, `deny`
    Rule,
    Expectation,
    /// `set`, `isolate`, `no`
    Setting,
    Include,
}

/// One entry of the outline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub detail: Option<String>,
    pub kind: SymbolKind,
    /// The whole statement.
    pub span: FileSpan,
    /// The part to select: the declared name, or the keyword.
    pub selection: FileSpan,
    pub children: Vec<Symbol>,
}

/// Longest statement text shown as a symbol name.
const MAX_NAME: usize = 80;

impl CheckedProgram {
    /// The outline of one file of the program.
    pub fn symbols(&self, path: &Path) -> Vec<Symbol> {
        let Some(id) = self.file_id(path) else {
            return Vec::new();
        };
        self.statements
            .iter()
            .filter(|s| s.span.file == id)
            .filter_map(|s| self.symbol(s, id))
            .collect()
    }

    fn symbol(&self, stmt: &Spanned<Statement>, id: FileId) -> Option<Symbol> {
        let keyword = self
            .index()
            .statements
            .iter()
            .find(|s| s.span == stmt.span)
            .map_or(stmt.span, |s| s.keyword);
        let (name, selection, kind, children) = match &stmt.node {
            Statement::Invalid(_) => return None,
            Statement::Namespace(decl) => {
                let children = decl
                    .body
                    .iter()
                    .flatten()
                    .filter(|s| s.span.file == id)
                    .filter_map(|s| self.symbol(s, id))
                    .collect();
                (
                    decl.name.node.clone(),
                    decl.name.span,
                    SymbolKind::Namespace,
                    children,
                )
            }
            Statement::Tier(decl) => {
                let children = decl
                    .body
                    .iter()
                    .filter(|s| s.span.file == id)
                    .filter_map(|s| self.symbol(s, id))
                    .collect();
                (
                    decl.tier.node.as_str().to_string(),
                    decl.tier.span,
                    SymbolKind::Namespace,
                    children,
                )
            }
            Statement::TierRule(_) => (self.one_line(stmt.span), keyword, SymbolKind::Rule, vec![]),
            Statement::Let(l) => (l.name.node.clone(), l.name.span, SymbolKind::Alias, vec![]),
            Statement::Allow(_) | Statement::Scrape(_) | Statement::Dns(_) | Statement::Deny => {
                (self.one_line(stmt.span), keyword, SymbolKind::Rule, vec![])
            }
            Statement::Expect(_) => (
                self.one_line(stmt.span),
                keyword,
                SymbolKind::Expectation,
                vec![],
            ),
            Statement::Set(_) | Statement::Isolate(_) | Statement::No(_) => (
                self.one_line(stmt.span),
                keyword,
                SymbolKind::Setting,
                vec![],
            ),
            Statement::Include(_) => (
                self.one_line(stmt.span),
                keyword,
                SymbolKind::Include,
                vec![],
            ),
        };
        let detail = match &stmt.node {
            Statement::Let(_) => {
                let text = self.one_line(stmt.span);
                text.split_once('=').map(|(_, t)| t.trim().to_string())
            }
            Statement::Namespace(_) => Some(self.policy_count(stmt)),
            Statement::Allow(_) | Statement::Scrape(_) | Statement::Dns(_) if self.compiled() => {
                Some(self.policy_count(stmt))
            }
            _ => None,
        };
        Some(Symbol {
            name,
            detail,
            kind,
            span: self.file_span(stmt.span)?,
            selection: self.file_span(selection)?,
            children,
        })
    }

    fn policy_count(&self, stmt: &Spanned<Statement>) -> String {
        if !self.compiled() {
            return "managed".to_string();
        }
        let n = self
            .policies_of(super::policies::origin_span(stmt))
            .map_or(0, |p| p.len());
        match n {
            1 => "1 policy".to_string(),
            n => format!("{n} policies"),
        }
    }

    /// A statement's text on one line, comments dropped, whitespace
    /// collapsed, shortened.
    fn one_line(&self, span: Span) -> String {
        let text = self.sources.snippet(span);
        let mut out = String::new();
        for word in without_comments(text).split_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
            if out.chars().count() > MAX_NAME {
                let cut: String = out.chars().take(MAX_NAME - 1).collect();
                return format!("{cut}…");
            }
        }
        out
    }
}

/// The text with every `#` comment removed (a `#` in a string is kept).
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut in_comment = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_comment {
            if c == '\n' {
                in_comment = false;
                out.push(c);
            }
            continue;
        }
        match c {
            '"' if !escaped => in_string = !in_string,
            '#' if !in_string => {
                in_comment = true;
                continue;
            }
            _ => {}
        }
        escaped = in_string && c == '\\' && !escaped;
        out.push(c);
    }
    out
}
