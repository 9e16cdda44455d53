//! L008: a policy that adds no connection, because other policies of its
//! namespace select at least its pods and allow at least what each of its
//! rules allows.
//!
//! The claim is made from the YAML alone, so that it holds for every pod
//! that may ever match, not only the input's: a selector is covered by
//! another when every requirement of the other follows from its own
//! requirements; a peer by a peer when both its parts are; an ipBlock when
//! the other's CIDR holds it and the other's exceptions are its own; ports
//! by the evaluator's port sets and by name. Anything subtler is left
//! unclaimed. Of two policies that cover each other, the later is reported.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::networking::v1::{IPBlock, NetworkPolicyPeer};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::traps::raw_rules;
use super::Context;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::eval::{Direction, RuleView};
use crate::k8s::{Cidr, Selector, NAMESPACE_NAME_LABEL};

/// L008: policy adds no connection.
pub const SHADOWED_POLICY: super::Rule = super::Rule::new(
    "L008",
    "shadowed-policy",
    "policy adds no connection",
    "a policy that adds no connection: others cover it",
);

/// Whether selector `outer` matches every label set `inner` matches (no
/// claim about a selector the API would refuse).
fn selector_covers(outer: Option<&LabelSelector>, inner: Option<&LabelSelector>) -> bool {
    match (Selector::from_api_opt(outer), Selector::from_api_opt(inner)) {
        (Ok(outer), Ok(inner)) => inner.implies(&outer),
        _ => false,
    }
}

/// The namespaces a pod peer of a policy in `namespace` reaches, as a
/// selector of namespace labels.
fn namespace_selector(peer: &NetworkPolicyPeer, namespace: &str) -> Option<Selector> {
    match &peer.namespace_selector {
        None => Some(Selector::equals(NAMESPACE_NAME_LABEL, namespace)),
        Some(s) => Selector::from_api(s).ok(),
    }
}

fn ip_block_covers(outer: &IPBlock, inner: &IPBlock) -> bool {
    let parse = |t: &String| Cidr::parse_lenient(t).ok();
    let (Some(o), Some(i)) = (parse(&outer.cidr), parse(&inner.cidr)) else {
        return false;
    };
    let inner_except: Vec<Cidr> = inner.except.iter().flatten().filter_map(parse).collect();
    o.covers(i)
        && outer.except.iter().flatten().filter_map(parse).all(|e| {
            let disjoint = !e.covers(i) && !i.covers(e);
            disjoint || inner_except.iter().any(|x| x.covers(e))
        })
}

/// Whether peer `outer` matches everything peer `inner` matches (both of
/// policies in `namespace`).
fn peer_covers(outer: &NetworkPolicyPeer, inner: &NetworkPolicyPeer, namespace: &str) -> bool {
    match (&outer.ip_block, &inner.ip_block) {
        (Some(o), Some(i)) => ip_block_covers(o, i),
        (None, None) => {
            let ns = match (
                namespace_selector(outer, namespace),
                namespace_selector(inner, namespace),
            ) {
                (Some(outer), Some(inner)) => inner.implies(&outer),
                _ => false,
            };
            ns && selector_covers(outer.pod_selector.as_ref(), inner.pod_selector.as_ref())
        }
        _ => false,
    }
}

/// Whether `outer`'s ports hold `inner`'s: numbers by port set, names by
/// name (or by a whole protocol).
fn ports_cover(outer: &RuleView<'_>, inner: &RuleView<'_>) -> bool {
    let (o, i) = (outer.ports(None), inner.ports(None));
    if !i.difference(&o).is_empty() {
        return false;
    }
    let names = outer.named_ports();
    inner.named_ports().iter().all(|(protocol, name)| {
        names.contains(&(*protocol, name.clone()))
            || o.ranges(*protocol) == crate::eval::PortSet::all_of(*protocol).ranges(*protocol)
    })
}

struct Rule<'a> {
    view: RuleView<'a>,
    peers: Option<&'a Vec<NetworkPolicyPeer>>,
}

fn rules<'a>(cx: &Context<'a>, i: usize, direction: Direction) -> Vec<Rule<'a>> {
    let Some(view) = cx.set.view(i) else {
        return Vec::new();
    };
    let views = view.rules(direction);
    let raws: Vec<_> = raw_rules(cx.policy(i))
        .into_iter()
        .filter(|r| r.direction == direction)
        .collect();
    views
        .into_iter()
        .zip(raws)
        .map(|(view, raw)| Rule {
            view,
            peers: raw.peers.filter(|p| !p.is_empty()),
        })
        .collect()
}

fn rule_covers(outer: &Rule<'_>, inner: &Rule<'_>, namespace: &str) -> bool {
    let peers = match (outer.peers, inner.peers) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(o), Some(i)) => i
            .iter()
            .all(|p| o.iter().any(|q| peer_covers(q, p, namespace))),
    };
    peers && ports_cover(&outer.view, &inner.view)
}

/// For policy `i`: the policies that together cover every rule of it, if
/// they do; `eligible(j)` says which policies may.
fn covered_by(
    cx: &Context<'_>,
    i: usize,
    eligible: &dyn Fn(usize) -> bool,
) -> Option<BTreeSet<usize>> {
    let view = cx.set.view(i)?;
    let selector = cx
        .policy(i)
        .object
        .spec
        .as_ref()
        .and_then(|s| s.pod_selector.as_ref());
    let mut by = BTreeSet::new();
    let mut any_rule = false;
    for direction in [Direction::Ingress, Direction::Egress] {
        if !view.isolates(direction) {
            continue;
        }
        let candidates: Vec<(usize, Vec<Rule<'_>>)> = cx
            .set
            .views()
            .enumerate()
            .filter(|(j, other)| {
                *j != i
                    && eligible(*j)
                    && other.namespace() == view.namespace()
                    && other.isolates(direction)
                    && selector_covers(
                        cx.policy(*j)
                            .object
                            .spec
                            .as_ref()
                            .and_then(|s| s.pod_selector.as_ref()),
                        selector,
                    )
            })
            .map(|(j, _)| (j, rules(cx, j, direction)))
            .collect();
        for rule in rules(cx, i, direction) {
            any_rule = true;
            let cover = candidates
                .iter()
                .find(|(_, rs)| rs.iter().any(|r| rule_covers(r, &rule, view.namespace())));
            by.insert(cover?.0);
        }
    }
    any_rule.then_some(by)
}

pub fn check(cx: &Context<'_>, out: &mut Diagnostics) {
    let n = cx.manifests.policies.len();
    // Per namespace: few policies each, so pairs stay cheap.
    let mut by_namespace: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for i in 0..n {
        by_namespace
            .entry(cx.policy(i).namespace())
            .or_default()
            .push(i);
    }
    let mut covers: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for members in by_namespace.values() {
        if members.len() < 2 {
            continue;
        }
        for &i in members {
            if let Some(by) = covered_by(cx, i, &|_| true) {
                covers.insert(i, by);
            }
        }
    }
    for (&i, by) in &covers {
        // Of two policies that cover each other, only the later one is
        // reported: its cover must not lean on a later policy it covers.
        let by = if by
            .iter()
            .any(|&j| j > i && covers.get(&j).is_some_and(|c| c.contains(&i)))
        {
            match covered_by(cx, i, &|j| {
                !(j > i && covers.get(&j).is_some_and(|c| c.contains(&i)))
            }) {
                Some(by) => by,
                None => continue,
            }
        } else {
            by.clone()
        };
        let policy = cx.policy(i);
        let names: Vec<String> = by
            .iter()
            .map(|&j| format!("`{}`", cx.policy(j).key()))
            .collect();
        let isolation_kept = cx.set.view(i).is_some_and(|view| {
            [Direction::Ingress, Direction::Egress].iter().all(|&d| {
                !view.isolates(d)
                    || by
                        .iter()
                        .any(|&j| cx.set.view(j).is_some_and(|o| o.isolates(d)))
            })
        });
        let help = if isolation_kept {
            format!(
                "delete `{}`: the policies that cover it also isolate its pods",
                policy.key()
            )
        } else {
            format!("delete the rules of `{}` and keep it for the isolation it adds, or delete it if that isolation is not wanted", policy.key())
        };
        let mut d = Diagnostic::new(
            SHADOWED_POLICY.code,
            policy.origin.span,
            format!(
                "every connection `{}` allows is also allowed by {}",
                policy.key(),
                names.join(", ")
            ),
        )
        .with_primary("adds no connection")
        .with_help(help);
        for &j in by.iter().take(3) {
            d = d.with_secondary(cx.policy(j).origin.span, "covers its pods and rules");
        }
        out.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(yaml: &str) -> LabelSelector {
        serde_yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn selector_cover_is_implication_of_requirements() {
        let covers =
            |outer: &str, inner: &str| selector_covers(Some(&sel(outer)), Some(&sel(inner)));
        assert!(covers("{}", "{matchLabels: {app: a}}"));
        assert!(covers(
            "{matchLabels: {app: a}}",
            "{matchLabels: {app: a, tier: x}}"
        ));
        assert!(!covers(
            "{matchLabels: {app: a, tier: x}}",
            "{matchLabels: {app: a}}"
        ));
        assert!(covers(
            "{matchExpressions: [{key: app, operator: In, values: [a, b]}]}",
            "{matchLabels: {app: a}}"
        ));
        assert!(covers(
            "{matchExpressions: [{key: env, operator: NotIn, values: [prod]}]}",
            "{matchLabels: {env: dev}}"
        ));
        // A pod with app=a, tier=x and env=prod is matched by the inner
        // selector but not by the outer one.
        assert!(!covers(
            "{matchLabels: {app: a}, matchExpressions: [{key: env, operator: NotIn, values: [prod]}]}",
            "{matchLabels: {app: a, tier: x}}"
        ));
        assert!(covers(
            "{matchExpressions: [{key: env, operator: Exists}]}",
            "{matchExpressions: [{key: env, operator: In, values: [a]}]}"
        ));
        assert!(!covers(
            "{matchExpressions: [{key: env, operator: Exists}]}",
            "{matchExpressions: [{key: env, operator: NotIn, values: [a]}]}"
        ));
        assert!(!covers(
            "{matchExpressions: [{key: env, operator: Bogus}]}",
            "{}"
        ));
    }

    #[test]
    fn ip_block_cover_respects_exceptions() {
        let block = |cidr: &str, except: &[&str]| IPBlock {
            cidr: cidr.into(),
            except: Some(except.iter().map(|e| e.to_string()).collect()),
        };
        assert!(ip_block_covers(
            &block("10.0.0.0/8", &[]),
            &block("10.1.0.0/16", &[])
        ));
        assert!(!ip_block_covers(
            &block("10.0.0.0/8", &["10.1.2.0/24"]),
            &block("10.1.0.0/16", &[])
        ));
        assert!(ip_block_covers(
            &block("10.0.0.0/8", &["10.1.2.0/24"]),
            &block("10.1.0.0/16", &["10.1.0.0/20", "10.1.2.0/23"])
        ));
        assert!(ip_block_covers(
            &block("10.0.0.0/8", &["10.2.0.0/16"]),
            &block("10.1.0.0/16", &[])
        ));
        assert!(!ip_block_covers(
            &block("10.1.0.0/16", &[]),
            &block("10.0.0.0/8", &[])
        ));
        assert!(!ip_block_covers(
            &block("::/0", &[]),
            &block("10.0.0.0/8", &[])
        ));
    }

    #[test]
    fn own_namespace_is_covered_only_by_name_or_everything() {
        let peer = |yaml: &str| -> NetworkPolicyPeer { serde_yaml::from_str(yaml).unwrap() };
        let own = peer("{podSelector: {matchLabels: {app: a}}}");
        assert!(peer_covers(
            &peer("{namespaceSelector: {}, podSelector: {}}"),
            &own,
            "web"
        ));
        assert!(peer_covers(
            &peer("{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: web}}}"),
            &own,
            "web"
        ));
        assert!(!peer_covers(
            &peer("{namespaceSelector: {matchLabels: {team: x}}}"),
            &own,
            "web"
        ));
        assert!(!peer_covers(
            &own,
            &peer("{namespaceSelector: {}, podSelector: {matchLabels: {app: a}}}"),
            "web"
        ));
    }
}
