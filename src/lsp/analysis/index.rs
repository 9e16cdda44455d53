//! What each name in the program refers to, found by walking the AST the way
//! name resolution does: aliases are defined before use, block-local aliases
//! shadow global ones, and inside a namespace block a bare name that is no
//! alias means a workload of that namespace.

use std::collections::{BTreeMap, BTreeSet};

use crate::source::{Span, Spanned};
use crate::syntax::ast::{self, Endpoint, LabelOp, LabelSet, NamespacePart, PodPart, Statement};

/// An alias made by `let`.
#[derive(Clone, Debug)]
pub(super) struct AliasDef {
    pub name: String,
    pub name_span: Span,
    pub statement: Span,
    /// The namespace whose block declares it.
    pub block: Option<String>,
}

/// One endpoint as written, with where to find its statement.
#[derive(Clone, Debug)]
pub(super) struct EndpointSite {
    pub endpoint: Spanned<Endpoint>,
    /// Index of the top-level statement, and inside a block the index in it.
    pub top: usize,
    pub inner: Option<usize>,
}

/// A named port as written.
#[derive(Clone, Debug)]
pub(super) struct PortSite {
    pub span: Span,
    pub name: String,
    pub protocol: Option<String>,
}

/// One statement, top-level or in a block.
#[derive(Clone, Debug)]
pub(super) struct StatementSite {
    pub span: Span,
    /// The leading keyword.
    pub keyword: Span,
    pub top: usize,
    pub inner: Option<usize>,
}

#[derive(Default)]
pub(super) struct Index {
    pub aliases: Vec<AliasDef>,
    /// Each use of an alias, with the definition it resolves to.
    pub alias_uses: Vec<(Span, usize)>,
    /// Bare names that are not aliases (block workloads, unknown aliases).
    pub bare_names: Vec<(Span, String)>,
    /// The first declaration of each namespace: its name's span.
    pub namespaces: BTreeMap<String, Span>,
    /// Every namespace name written in a declaration or an endpoint.
    pub namespace_refs: Vec<(Span, String)>,
    pub endpoints: Vec<EndpointSite>,
    pub ports: Vec<PortSite>,
    pub statements: Vec<StatementSite>,
    /// Label keys and the values written for them, in pods and namespaces.
    pub labels: BTreeMap<String, BTreeSet<String>>,
    /// Workload names written per namespace.
    pub workloads: BTreeMap<String, BTreeSet<String>>,
}

impl Index {
    pub fn build(statements: &[Spanned<Statement>]) -> Index {
        let mut walk = Walk::default();
        for (top, stmt) in statements.iter().enumerate() {
            walk.statement(stmt, top, None, None);
        }
        walk.index
    }

    /// The alias definition a span refers to (its definition or a use).
    pub fn alias_at(&self, at: Span) -> Option<usize> {
        self.aliases
            .iter()
            .position(|a| super::covers(a.name_span, at))
            .or_else(|| {
                self.alias_uses
                    .iter()
                    .find(|(s, _)| super::covers(*s, at))
                    .map(|(_, d)| *d)
            })
    }

    /// The innermost statement containing a span.
    pub fn statement_at(&self, at: Span) -> Option<&StatementSite> {
        self.statements
            .iter()
            .filter(|s| super::covers(s.span, at))
            .min_by_key(|s| s.span.end - s.span.start)
    }
}

#[derive(Default)]
struct Walk {
    index: Index,
    global: BTreeMap<String, usize>,
    local: BTreeMap<String, usize>,
}

/// Where a statement sits: its top-level index, its index in a block, and
/// the namespace of that block.
#[derive(Clone, Copy)]
struct Place<'a> {
    top: usize,
    inner: Option<usize>,
    block: Option<&'a str>,
}

fn keyword_len(stmt: &Statement) -> usize {
    match stmt {
        Statement::Namespace(_) => "namespace".len(),
        Statement::Let(_) | Statement::Set(_) | Statement::Dns(_) => 3,
        Statement::Allow(_) => "allow".len(),
        Statement::Deny => "deny".len(),
        Statement::Expect(_) | Statement::Scrape(_) => 6,
        Statement::Include(_) | Statement::Isolate(_) => 7,
        Statement::No(_) => 2,
        Statement::Invalid(_) => 0,
    }
}

impl Walk {
    fn statement(
        &mut self,
        stmt: &Spanned<Statement>,
        top: usize,
        inner: Option<usize>,
        block: Option<&str>,
    ) {
        let place = Place { top, inner, block };
        let keyword = Span::new(
            stmt.span.file,
            stmt.span.start,
            (stmt.span.start + keyword_len(&stmt.node)).min(stmt.span.end),
        );
        self.index.statements.push(StatementSite {
            span: stmt.span,
            keyword,
            top,
            inner,
        });
        match &stmt.node {
            Statement::Namespace(decl) => {
                let name = decl.name.node.clone();
                self.index
                    .namespaces
                    .entry(name.clone())
                    .or_insert(decl.name.span);
                self.index
                    .namespace_refs
                    .push((decl.name.span, name.clone()));
                if let Some(labels) = &decl.labels {
                    self.labels(labels);
                }
                if let Some(body) = &decl.body {
                    self.local.clear();
                    for (i, s) in body.iter().enumerate() {
                        self.statement(s, top, Some(i), Some(&name));
                    }
                    self.local.clear();
                }
            }
            Statement::Let(l) => {
                for t in &l.targets {
                    self.target(t, place);
                }
                self.define(&l.name, stmt.span, block);
            }
            Statement::Allow(a) => {
                for t in &a.sources {
                    self.target(t, place);
                }
                for t in &a.destinations {
                    self.target(t, place);
                }
            }
            Statement::Expect(e) => {
                self.target(&e.source, place);
                self.target(&e.destination, place);
            }
            Statement::Dns(ast::Dns::Servers(servers)) => {
                for t in servers {
                    self.target(t, place);
                }
            }
            Statement::Scrape(s) => {
                self.target(&s.source, place);
                if let PodPart::Labels(set) = &s.pods.node {
                    self.labels(set);
                }
                if let Some(ports) = &s.ports {
                    self.ports(ports);
                }
            }
            Statement::Invalid(invalid) => {
                // What a statement with a syntax error was about to define,
                // so that its uses still lead somewhere.
                if let Some(name) = &invalid.namespace {
                    self.index
                        .namespaces
                        .entry(name.node.clone())
                        .or_insert(name.span);
                    self.index
                        .namespace_refs
                        .push((name.span, name.node.clone()));
                }
                if let Some(name) = &invalid.alias {
                    self.define(name, stmt.span, block);
                }
            }
            Statement::Dns(ast::Dns::None)
            | Statement::Set(_)
            | Statement::Include(_)
            | Statement::Isolate(_)
            | Statement::No(_)
            | Statement::Deny => {}
        }
    }

    fn define(&mut self, name: &Spanned<String>, statement: Span, block: Option<&str>) {
        let def = self.index.aliases.len();
        self.index.aliases.push(AliasDef {
            name: name.node.clone(),
            name_span: name.span,
            statement,
            block: block.map(str::to_string),
        });
        let scope = if block.is_some() {
            &mut self.local
        } else {
            &mut self.global
        };
        scope.entry(name.node.clone()).or_insert(def);
    }

    fn target(&mut self, target: &Spanned<ast::Target>, place: Place<'_>) {
        let ep = &target.endpoint;
        match &ep.node {
            Endpoint::Alias(name) => {
                let def = self
                    .local
                    .get(name)
                    .or_else(|| self.global.get(name))
                    .copied();
                match def {
                    Some(def) => self.index.alias_uses.push((ep.span, def)),
                    None => {
                        self.index.bare_names.push((ep.span, name.clone()));
                        if let Some(ns) = place.block {
                            self.workload(ns, name);
                        }
                    }
                }
            }
            Endpoint::Pods { namespace, pods } => {
                let ns = match &namespace.node {
                    NamespacePart::Name(n) => {
                        self.index.namespace_refs.push((namespace.span, n.clone()));
                        Some(n.as_str())
                    }
                    NamespacePart::Labels(set) => {
                        self.labels(set);
                        None
                    }
                    NamespacePart::Any => None,
                };
                match &pods.node {
                    PodPart::Name(w) => {
                        if let Some(ns) = ns {
                            self.workload(ns, w);
                        }
                    }
                    PodPart::Labels(set) => self.labels(set),
                    PodPart::Any => {}
                }
            }
            Endpoint::LocalPods(set) => self.labels(set),
            Endpoint::Ip { .. } | Endpoint::World | Endpoint::Cluster => {}
        }
        self.index.endpoints.push(EndpointSite {
            endpoint: ep.clone(),
            top: place.top,
            inner: place.inner,
        });
        if let Some(ports) = &target.ports {
            self.ports(ports);
        }
    }

    fn workload(&mut self, ns: &str, name: &str) {
        self.index
            .workloads
            .entry(ns.to_string())
            .or_default()
            .insert(name.to_string());
    }

    fn ports(&mut self, ports: &Spanned<Vec<Spanned<ast::Port>>>) {
        for p in &ports.node {
            if let ast::PortValue::Named(name) = &p.value {
                self.index.ports.push(PortSite {
                    span: name.span,
                    name: name.node.clone(),
                    protocol: p.protocol.as_ref().map(|p| p.node.clone()),
                });
            }
        }
    }

    fn labels(&mut self, set: &LabelSet) {
        for entry in &set.entries {
            let values = self.index.labels.entry(entry.key.node.clone()).or_default();
            match &entry.op {
                LabelOp::Eq(v) | LabelOp::NotEq(v) => {
                    values.insert(v.node.clone());
                }
                LabelOp::In(vs) | LabelOp::NotIn(vs) => {
                    values.extend(vs.iter().map(|v| v.node.clone()));
                }
                LabelOp::Exists | LabelOp::NotExists => {}
            }
        }
    }
}
