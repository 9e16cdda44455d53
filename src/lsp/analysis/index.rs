//! Where things are written in the program: endpoints, named ports,
//! statements, namespace names, label keys and values, workloads. What a
//! name refers to is not decided here: it comes from name resolution's side
//! table ([`resolve::Names`]).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::resolve::{self, AliasDefinition};
use crate::source::{Span, Spanned};
use crate::syntax::ast::{self, Endpoint, LabelOp, LabelSet, NamespacePart, PodPart, Statement};

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
    pub aliases: Vec<AliasDefinition>,
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
    /// The index of `statements`, with the names `names` (their side table
    /// from name resolution) says they refer to.
    pub fn build(statements: &[Spanned<Statement>], names: &resolve::Names) -> Index {
        let mut walk = Walk {
            index: Index {
                aliases: names.aliases.clone(),
                alias_uses: names.alias_uses.clone(),
                bare_names: names.bare_names.clone(),
                namespaces: names.namespaces.clone(),
                ..Index::default()
            },
            uses: names.alias_uses.iter().map(|(s, _)| *s).collect(),
        };
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
            .min_by_key(|s| s.span.end() - s.span.start())
    }
}

struct Walk {
    index: Index,
    /// Where an alias is used (the side table's `alias_uses`).
    uses: HashSet<Span>,
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
        Statement::Tier(decl) => decl.tier.node.as_str().len(),
        Statement::TierRule(r) => r.action.node.as_str().len(),
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
            stmt.span.start(),
            (stmt.span.start() + keyword_len(&stmt.node)).min(stmt.span.end()),
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
                    .namespace_refs
                    .push((decl.name.span, name.clone()));
                if let Some(labels) = &decl.labels {
                    self.labels(labels);
                }
                if let Some(body) = &decl.body {
                    for (i, s) in body.iter().enumerate() {
                        self.statement(s, top, Some(i), Some(&name));
                    }
                }
            }
            Statement::Tier(decl) => {
                // Bare names in a tier block are aliases: no block namespace.
                for (i, s) in decl.body.iter().enumerate() {
                    self.statement(s, top, Some(i), None);
                }
            }
            Statement::TierRule(r) => {
                for t in r.sources.iter().chain(&r.destinations) {
                    self.target(t, place);
                }
            }
            Statement::Let(l) => {
                for t in &l.targets {
                    self.target(t, place);
                }
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
                // The namespace a statement with a syntax error was about
                // to declare, so that its uses still lead somewhere.
                if let Some(name) = &invalid.namespace {
                    self.index
                        .namespace_refs
                        .push((name.span, name.node.clone()));
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

    fn target(&mut self, target: &Spanned<ast::Target>, place: Place<'_>) {
        let ep = &target.endpoint;
        match &ep.node {
            Endpoint::Alias(name) => {
                // A bare name that is no alias is a workload of the block.
                if let (false, Some(ns)) = (self.uses.contains(&ep.span), place.block) {
                    self.workload(ns, name);
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
            Endpoint::Ip { .. } | Endpoint::World | Endpoint::Cluster | Endpoint::Name(_) => {}
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
