//! The monitoring carve-out: each `scrape` becomes one rule from its source to
//! the selected pods of every namespace except the managed ones that say
//! `no scrape`, compiled to both sides like an `allow`.

use std::collections::BTreeSet;

use crate::ir::{
    NamespaceSelector, Operator, Origin, OriginKind, Peer, Program, Requirement, Rule, Selector,
    Sides,
};
use crate::k8s::NAMESPACE_NAME_LABEL;

pub fn apply(program: &mut Program) {
    let excluded: BTreeSet<String> = program
        .namespaces
        .values()
        .filter(|ns| !ns.scrape)
        .map(|ns| ns.name.clone())
        .collect();
    let mut namespaces = Selector::default();
    if !excluded.is_empty() {
        namespaces.expressions.insert(Requirement {
            key: NAMESPACE_NAME_LABEL.to_string(),
            operator: Operator::NotIn,
            values: excluded,
        });
    }
    let rules: Vec<Rule> = program
        .scrapes
        .iter()
        .map(|s| Rule {
            sources: s.sources.clone(),
            destinations: vec![(
                Peer::Pods {
                    namespaces: NamespaceSelector::Matching(namespaces.clone()),
                    pods: s.pods.clone(),
                },
                s.ports.clone(),
            )],
            origin: Origin {
                kind: OriginKind::Scrape,
                span: s.span,
            },
            sides: Sides::BOTH,
        })
        .collect();
    program.rules.extend(rules);
}
