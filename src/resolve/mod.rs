//! Name resolution and validation: the flat statement list becomes the IR.
//!
//! Two passes: the first reads what applies to the whole program wherever it
//! is written (settings, namespace declarations); the second walks the
//! statements in order, because aliases must be defined before use.

mod declare;
mod endpoint;
mod names;
mod selector;
mod statements;
mod tiers;

pub use declare::{with_declarations, Declarations};

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::ir::{Program, Settings};
use crate::source::{Span, Spanned};
use crate::syntax::ast;

use endpoint::Resolved;

/// What resolution produced: the program, the names in scope at its end
/// (for queries resolved later against the same program), what every name
/// written refers to, and diagnostics. The IR is complete only when the
/// diagnostics hold no error.
pub struct Resolution {
    pub program: Program,
    pub scope: Scope,
    pub names: Names,
    /// What the W002 edit needs of the statements (see [`with_declarations`]).
    pub declarations: Declarations,
    pub diagnostics: Diagnostics,
}

/// The side table of name resolution: what each name written in the program
/// refers to, as resolution decided it, also where the program has errors.
/// Editors read it (definitions, references, rename, hover) instead of
/// resolving names again.
#[derive(Clone, Debug, Default)]
pub struct Names {
    /// Every alias definition, in program order: also those resolution
    /// rejected (an invalid or repeated name) and the names statements with
    /// syntax errors were about to define.
    pub aliases: Vec<AliasDefinition>,
    /// Each use of an alias, with its definition (an index into `aliases`):
    /// the block's own alias, else the global one, defined before the use.
    pub alias_uses: Vec<(Span, usize)>,
    /// Names written where an alias may stand that name no alias: a
    /// workload of the block's namespace, or an unknown alias.
    pub bare_names: Vec<(Span, String)>,
    /// The first declaration of each namespace name: the span of the name.
    pub namespaces: BTreeMap<String, Span>,
}

/// An alias definition (`let NAME = ...`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AliasDefinition {
    pub name: String,
    pub name_span: Span,
    /// The whole `let` statement.
    pub statement: Span,
    /// The namespace whose block holds it.
    pub block: Option<String>,
}

/// The global names of a resolved program: settings, aliases, namespaces.
pub struct Scope {
    resolver: Resolver,
}

/// Resolves a loaded program.
pub fn resolve(statements: &[Spanned<ast::Statement>]) -> Resolution {
    let mut r = Resolver::declarations(statements);
    r.statements_pass(statements);
    r.finish(statements.first().map(|s| s.span))
}

/// Resolves a loaded program as [`resolve`] does, freeing each top-level
/// statement (a `namespace` block with its body) once it is resolved: the
/// syntax tree of a large program and its IR are never whole at once.
pub fn resolve_owned(statements: Vec<Spanned<ast::Statement>>) -> Resolution {
    let mut r = Resolver::declarations(&statements);
    let first = statements.first().map(|s| s.span);
    r.statements_pass(statements);
    r.finish(first)
}

impl Resolver {
    /// The passes that read what applies wherever it is written: aliases
    /// and namespaces named, settings, namespace declarations.
    fn declarations(statements: &[Spanned<ast::Statement>]) -> Resolver {
        let mut r = Resolver::default();
        r.collect_lets(statements);
        r.declarations = Declarations::gather(statements);
        r.settings_pass(statements);
        r.namespaces_pass(statements);
        r.program.settings = r.settings.clone();
        r
    }

    /// The checks of the whole program, after every statement; `first` is
    /// the span of the first statement.
    fn finish(mut self, first: Option<Span>) -> Resolution {
        self.names_pass(first);
        let program = std::mem::take(&mut self.program);
        let diagnostics = std::mem::take(&mut self.diags);
        let names = std::mem::take(&mut self.names);
        let declarations = std::mem::take(&mut self.declarations);
        Resolution {
            program,
            scope: Scope { resolver: self },
            names,
            declarations,
            diagnostics,
        }
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
    /// The first `admin` and `baseline` block, for "given twice".
    tier_seen: BTreeMap<crate::ir::Tier, Span>,
    /// Undeclared namespace names already reported as likely typos.
    typo_warned: BTreeSet<String>,
    /// The side table being written, and the definitions (indices into
    /// its `aliases`) each name refers to here: every `let`, valid or not,
    /// the first of a name winning, as for the aliases themselves.
    names: Names,
    defined_global: BTreeMap<String, usize>,
    defined_local: BTreeMap<String, usize>,
    /// Where `allow` destinations name DNS names (also through aliases).
    name_uses: Vec<Span>,
    /// The `isolate` statements the namespace declarations took (the
    /// others were reported): their `only` sets are resolved in pass 2.
    isolates_taken: BTreeSet<Span>,
    /// The selector of each valid workload name named so far: every rule
    /// naming a workload shares its selector.
    workloads: crate::hashing::HashMap<String, crate::ir::Selector>,
    /// Gathered for the W002 edit before the statements are resolved.
    declarations: Declarations,
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

    /// Every `let` and namespace declaration, wherever it is written (for
    /// "defined later" hints, and the side table's namespaces).
    fn collect_lets(&mut self, statements: &[Spanned<ast::Statement>]) {
        for stmt in statements {
            match &stmt.node {
                ast::Statement::Let(l) => {
                    self.all_lets
                        .entry(l.name.node.clone())
                        .or_insert(l.name.span);
                }
                ast::Statement::Namespace(ns) => {
                    self.names
                        .namespaces
                        .entry(ns.name.node.clone())
                        .or_insert(ns.name.span);
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
                        self.names
                            .namespaces
                            .entry(name.node.clone())
                            .or_insert(name.span);
                    }
                }
                _ => {}
            }
        }
    }

    // ------------------------------------------------------------ side table

    /// Records a definition of `name` by the statement at `statement`.
    fn define_name(&mut self, name: &Spanned<String>, statement: Span) {
        let def = self.names.aliases.len();
        self.names.aliases.push(AliasDefinition {
            name: name.node.clone(),
            name_span: name.span,
            statement,
            block: self.block_namespace.clone(),
        });
        let scope = if self.block_namespace.is_some() {
            &mut self.defined_local
        } else {
            &mut self.defined_global
        };
        scope.entry(name.node.clone()).or_insert(def);
    }

    /// Records what the name `name` written at `span` refers to.
    fn note_use(&mut self, name: &str, span: Span) {
        let def = self
            .defined_local
            .get(name)
            .or_else(|| self.defined_global.get(name))
            .copied();
        match def {
            Some(def) => self.names.alias_uses.push((span, def)),
            None => self.names.bare_names.push((span, name.to_string())),
        }
    }

    /// Records the names of targets that are not resolved (their statement
    /// was rejected as a whole).
    fn note_targets(&mut self, targets: &[Spanned<ast::Target>]) {
        for t in targets {
            if let ast::Endpoint::Alias(name) = &t.endpoint.node {
                self.note_use(name, t.endpoint.span);
            }
        }
    }
}
