//! Label sets to canonical selectors, with key/value validation and a check
//! for sets that can never match.

use std::collections::BTreeSet;

use super::Resolver;
use crate::diagnostic::{codes, Diagnostic};
use crate::ir::{Operator, Requirement, Selector};
use crate::k8s::names;
use crate::source::Spanned;
use crate::syntax::ast::{LabelOp, LabelSet};

/// Label keys that change with every rollout: selecting on them makes a
/// policy stop matching after the next deploy.
const ROUTING_LABELS: &[&str] = &[
    "version",
    "app.kubernetes.io/version",
    "canary",
    "track",
    "pod-template-hash",
    "controller-revision-hash",
    "rollouts-pod-template-hash",
];

impl Resolver {
    /// A pod or namespace label set as a selector. `pods` enables the
    /// routing-label warning, which only concerns pod selectors.
    pub(super) fn selector(&mut self, set: &Spanned<LabelSet>, pods: bool) -> Selector {
        let mut sel = Selector::default();
        for entry in &set.entries {
            let key = &entry.key;
            if let Err(why) = names::label_key(key) {
                self.error(
                    Diagnostic::new(codes::INVALID_LABEL_KEY, key.span, format!("invalid label key `{}`", key.node))
                        .with_primary(why)
                        .with_help("a label key is `[prefix/]name`: the name has at most 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit"),
                );
                continue;
            }
            if pods && ROUTING_LABELS.contains(&key.node.as_str()) {
                self.warn(
                    Diagnostic::new(codes::ROUTING_LABEL, key.span, format!("selector on the routing label `{}`", key.node))
                        .with_primary("this label changes between releases")
                        .with_help("select on stable identity labels (such as `app`) so the policy keeps matching after the next rollout"),
                );
            }
            let values: Vec<&Spanned<String>> = match &entry.op {
                LabelOp::Eq(v) | LabelOp::NotEq(v) => vec![v],
                LabelOp::In(vs) | LabelOp::NotIn(vs) => vs.iter().collect(),
                LabelOp::Exists | LabelOp::NotExists => vec![],
            };
            let mut ok = true;
            for v in &values {
                if let Err(why) = names::label_value(v) {
                    ok = false;
                    self.error(
                        Diagnostic::new(codes::INVALID_LABEL_VALUE, v.span, format!("invalid label value `{}`", v.node))
                            .with_primary(why)
                            .with_help("a label value has at most 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit; write `\"\"` for the empty value"),
                    );
                }
            }
            if !ok {
                continue;
            }
            let set_of = |vs: &[&Spanned<String>]| {
                vs.iter().map(|v| v.node.clone()).collect::<BTreeSet<_>>()
            };
            let requirement = |operator, values| Requirement {
                key: key.node.clone(),
                operator,
                values,
            };
            match &entry.op {
                LabelOp::Eq(v) => {
                    if let Some(previous) = sel.match_labels.get(&key.node) {
                        if previous != &v.node {
                            self.error(
                                Diagnostic::new(codes::CONTRADICTORY_LABELS, entry.span, format!("`{}` cannot be both `{}` and `{}`", key.node, previous, v.node))
                                    .with_primary("no pod or namespace has both values")
                                    .with_help("to match either value write `key in (a, b)`; to match pods with either label, write two endpoints separated by `,`"),
                            );
                        }
                        continue;
                    }
                    sel.match_labels.insert(key.node.clone(), v.node.clone());
                }
                LabelOp::NotEq(_) | LabelOp::NotIn(_) => {
                    sel.expressions
                        .insert(requirement(Operator::NotIn, set_of(&values)));
                }
                LabelOp::In(_) => {
                    sel.expressions
                        .insert(requirement(Operator::In, set_of(&values)));
                }
                LabelOp::Exists => {
                    sel.expressions
                        .insert(requirement(Operator::Exists, BTreeSet::new()));
                }
                LabelOp::NotExists => {
                    sel.expressions
                        .insert(requirement(Operator::DoesNotExist, BTreeSet::new()));
                }
            }
        }
        if let Some(key) = contradiction(&sel) {
            self.error(
                Diagnostic::new(codes::CONTRADICTORY_LABELS, set.span, format!("this label set can never match: the requirements on `{key}` exclude each other"))
                    .with_primary("matches nothing")
                    .with_help("remove one of the requirements on this key"),
            );
        }
        sel
    }
}

/// A key whose requirements no label value can satisfy together.
fn contradiction(sel: &Selector) -> Option<String> {
    sel.domains()
        .into_iter()
        .find(|(_, domain)| domain.is_empty())
        .map(|(key, _)| key.to_string())
}
