//! Name resolution and validation: the flat statement list becomes the IR.
//!
//! Two passes: the first reads what applies to the whole program wherever it
//! is written (settings, namespace declarations); the second walks the
//! statements in order, because aliases must be defined before use.

mod endpoint;
mod selector;
mod statements;

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::ir::{Program, Settings};
use crate::source::{Span, Spanned};
use crate::syntax::ast;

use endpoint::Resolved;

/// Resolves a loaded program. The IR is complete only when the diagnostics
/// hold no error.
pub fn resolve(statements: &[Spanned<ast::Statement>]) -> (Program, Diagnostics) {
    let mut r = Resolver::default();
    r.collect_lets(statements);
    r.settings_pass(statements);
    r.namespaces_pass(statements);
    r.program.settings = r.settings.clone();
    r.statements_pass(statements);
    (r.program, r.diags)
}

/// An alias made by `let`.
#[derive(Clone, Debug)]
struct Alias {
    targets: Vec<Resolved>,
    span: Span,
}

#[derive(Default)]
struct Resolver {
    diags: Diagnostics,
    settings: Settings,
    program: Program,
    global: BTreeMap<String, Alias>,
    /// Aliases of the namespace block being resolved.
    local: BTreeMap<String, Alias>,
    /// The namespace whose block is being resolved.
    block_namespace: Option<String>,
    /// Every `let` in the program, for "defined later" hints.
    all_lets: BTreeMap<String, Span>,
}

impl Resolver {
    fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn warn(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn lookup(&self, name: &str) -> Option<&Alias> {
        self.local.get(name).or_else(|| self.global.get(name))
    }

    fn alias_names(&self) -> Vec<String> {
        self.local
            .keys()
            .chain(self.global.keys())
            .cloned()
            .collect()
    }

    fn collect_lets(&mut self, statements: &[Spanned<ast::Statement>]) {
        for stmt in statements {
            match &stmt.node {
                ast::Statement::Let(l) => {
                    self.all_lets
                        .entry(l.name.node.clone())
                        .or_insert(l.name.span);
                }
                ast::Statement::Namespace(ns) => {
                    if let Some(body) = &ns.body {
                        self.collect_lets(body);
                    }
                }
                _ => {}
            }
        }
    }
}
