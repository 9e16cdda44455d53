//! Name resolution and validation: the flat statement list becomes the IR.
//!
//! Two passes: the first reads what applies to the whole program wherever it
//! is written (settings, namespace declarations); the second walks the
//! statements in order, because aliases must be defined before use.

mod endpoint;
mod selector;
mod statements;

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::ir::{Program, Settings};
use crate::source::{Span, Spanned};
use crate::syntax::ast;

use endpoint::Resolved;

/// What resolution produced: the program, the names in scope at its end
/// (for queries resolved later against the same program), and diagnostics.
/// The IR is complete only when the diagnostics hold no error.
pub struct Resolution {
    pub program: Program,
    pub scope: Scope,
    pub diagnostics: Diagnostics,
}

/// The global names of a resolved program: settings, aliases, namespaces.
pub struct Scope {
    resolver: Resolver,
}

/// Resolves a loaded program.
pub fn resolve(statements: &[Spanned<ast::Statement>]) -> Resolution {
    let mut r = Resolver::default();
    r.collect_lets(statements);
    r.settings_pass(statements);
    r.namespaces_pass(statements);
    r.program.settings = r.settings.clone();
    r.statements_pass(statements);
    let program = std::mem::take(&mut r.program);
    let diagnostics = std::mem::take(&mut r.diags);
    Resolution {
        program,
        scope: Scope { resolver: r },
        diagnostics,
    }
}

impl Scope {
    /// Resolves a query (`npc explain`) in the program's global scope, as
    /// the expectation `expect allow SRC -> DST[:PORTS]` at `span`.
    pub fn query(
        &mut self,
        query: &ast::Query,
        span: Span,
    ) -> (Option<crate::ir::Expectation>, Diagnostics) {
        let r = &mut self.resolver;
        let before = r.program.expectations.len();
        let expect = ast::Expect {
            verdict: Spanned::new(ast::Verdict::Allow, span),
            source: query.source.clone(),
            destination: query.destination.clone(),
        };
        r.expect(&expect, span);
        let found = r.program.expectations.drain(before..).next();
        (found, std::mem::take(&mut r.diags))
    }
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
    /// Names that statements with syntax errors were about to define: a
    /// use of one is not reported again.
    broken_aliases: BTreeSet<String>,
    /// Endpoints copied out of aliases so far (see [`MAX_EXPANSION`]).
    expanded: usize,
    /// Namespaces declared by statements with syntax errors.
    broken_namespaces: BTreeSet<String>,
    /// Undeclared namespace names already reported as likely typos.
    typo_warned: BTreeSet<String>,
}

/// The most endpoints alias definitions and uses may copy in one program.
/// Aliases are sets, so this bounds only chains of aliases of aliases that
/// no real program writes; a million endpoints is far beyond any cluster.
pub const MAX_EXPANSION: usize = 1_000_000;

impl Resolver {
    /// Counts `n` endpoints copied out of aliases at `span`; false (after one
    /// error for the program) once the program has copied too many.
    fn expand(&mut self, n: usize, span: Span) -> bool {
        let before = self.expanded;
        self.expanded = self.expanded.saturating_add(n);
        if self.expanded <= MAX_EXPANSION {
            return true;
        }
        if before <= MAX_EXPANSION {
            self.error(
                Diagnostic::new(
                    crate::diagnostic::codes::ALIAS_EXPANSION,
                    span,
                    format!("aliases expand to more than {MAX_EXPANSION} endpoints"),
                )
                .with_primary("expansion stopped here")
                .with_help("aliases of aliases multiply: list the endpoints a statement needs, or group them with label sets (`ns/{tier in (a, b)}`)"),
            );
        }
        false
    }

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
                ast::Statement::Invalid(invalid) => {
                    if let Some(name) = &invalid.alias {
                        self.broken_aliases.insert(name.node.clone());
                    }
                    if let Some(name) = &invalid.namespace {
                        self.broken_namespaces.insert(name.node.clone());
                    }
                }
                _ => {}
            }
        }
    }
}
