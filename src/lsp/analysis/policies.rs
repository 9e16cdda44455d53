//! Which emitted NetworkPolicies each statement contributes to, read from the
//! emitter's provenance (every rule and default-deny knows its statements).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::{CheckedProgram, StatementPolicies};
use crate::emit::Provenance;
use crate::source::Span;
use crate::syntax::ast::Statement;

/// How a statement shows up in one policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Part {
    /// The policy exists for it without a rule (a namespace's default-deny).
    pub whole: bool,
    pub ingress: bool,
    pub egress: bool,
}

/// Per statement span: `(namespace, policy name)` → its part in the policy.
pub(super) type Contributions = HashMap<Span, BTreeMap<(String, String), Part>>;

pub(super) fn contributions(provenance: &Provenance) -> Contributions {
    let mut out: Contributions = HashMap::new();
    // A CiliumNetworkPolicy is listed with its kind: it may share its name
    // with a NetworkPolicy.
    let cilium = provenance.cilium.iter().map(|((ns, name), origins)| {
        (
            (ns.clone(), format!("{name} ({})", crate::k8s::cilium::KIND)),
            origins,
        )
    });
    let all: Vec<((String, String), &crate::emit::PolicyOrigins)> = provenance
        .policies
        .iter()
        .map(|(k, o)| (k.clone(), o))
        .chain(cilium)
        .collect();
    for (key, origins) in &all {
        let mut mark = |span: Span, f: &dyn Fn(&mut Part)| {
            f(out.entry(span).or_default().entry(key.clone()).or_default());
        };
        let ingress: Vec<Span> = origins.ingress.iter().flatten().map(|o| o.span).collect();
        let egress: Vec<Span> = origins.egress.iter().flatten().map(|o| o.span).collect();
        for span in &ingress {
            mark(*span, &|p| p.ingress = true);
        }
        for span in &egress {
            mark(*span, &|p| p.egress = true);
        }
        // Whole-policy origins list every rule's origin too; what is left is
        // the statement the policy exists for (a namespace's default-deny).
        for o in &origins.policy {
            if !ingress.contains(&o.span) && !egress.contains(&o.span) {
                mark(o.span, &|p| p.whole = true);
            }
        }
    }
    out
}

/// The span the compiler records as a statement's origin: a namespace
/// declaration is known by its name, every other statement by its span.
pub(super) fn origin_span(stmt: &crate::source::Spanned<Statement>) -> Span {
    match &stmt.node {
        Statement::Namespace(decl) => decl.name.span,
        _ => stmt.span,
    }
}

impl CheckedProgram {
    pub(super) fn policies_of(&self, statement: Span) -> Option<&BTreeMap<(String, String), Part>> {
        self.contributions().get(&statement)
    }

    /// For each statement of a file that can produce policies (`namespace`,
    /// `allow`, `scrape`, `dns`), the policies it contributes to. Empty when
    /// the program does not compile.
    pub fn statement_policies(&self, path: &Path) -> Vec<StatementPolicies> {
        let Some(id) = self.file_id(path) else {
            return Vec::new();
        };
        if !self.compiled() {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut visit = |stmt: &crate::source::Spanned<Statement>| {
            if stmt.span.file != id
                || !matches!(
                    stmt.node,
                    Statement::Namespace(_)
                        | Statement::Allow(_)
                        | Statement::Scrape(_)
                        | Statement::Dns(_)
                )
            {
                return;
            }
            let policies = self
                .policies_of(origin_span(stmt))
                .map(|m| m.keys().map(|(ns, name)| format!("{ns}/{name}")).collect())
                .unwrap_or_default();
            if let Some(span) = self.file_span(stmt.span) {
                out.push(StatementPolicies { span, policies });
            }
        };
        for stmt in &self.statements {
            visit(stmt);
            if let Statement::Namespace(decl) = &stmt.node {
                for inner in decl.body.iter().flatten() {
                    visit(inner);
                }
            }
        }
        out
    }
}
