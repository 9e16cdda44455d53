//! L008: a policy that adds no connection, because other policies of its
//! namespace select at least its pods and allow at least what each of its
//! rules allows.
//!
//! The claim is made from the YAML alone, so that it holds for every pod
//! that may ever match, not only the input's: a selector is covered by
//! another when it implies it (`k8s::Selector::implies`, exact); a peer
//! by a peer when both its parts are; an ipBlock when
//! the other's CIDR holds it and the other's exceptions are its own; ports
//! by the evaluator's port sets and by name. Anything subtler is left
//! unclaimed. Of two policies that cover each other, the later is reported.

use std::collections::{BTreeMap, BTreeSet};

use super::{Context, Item};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::eval::{Direction, PeerKind, PolicyId, RuleView};
use crate::k8s::{IpBlock, Selector, NAMESPACE_NAME_LABEL};

/// L008: policy adds no connection.
pub const SHADOWED_POLICY: super::Rule = super::Rule::new(
    "L008",
    "shadowed-policy",
    "policy adds no connection",
    "a policy that adds no connection: others cover it",
);

/// Whether the ipBlock `outer` holds every address of `inner`.
fn ip_block_covers(outer: &IpBlock, inner: &IpBlock) -> bool {
    outer.cidr.covers(inner.cidr)
        && outer.except.iter().all(|e| {
            let disjoint = !e.covers(inner.cidr) && !inner.cidr.covers(*e);
            disjoint || inner.except.iter().any(|x| x.covers(*e))
        })
}

/// The namespaces a pod peer reaches, as a selector of namespace labels.
fn namespaces_of(namespaces: Option<&Selector>, policy_namespace: &str) -> Selector {
    match namespaces {
        None => Selector::equals(NAMESPACE_NAME_LABEL, policy_namespace),
        Some(s) => s.clone(),
    }
}

/// Whether peer `outer` matches everything peer `inner` matches (both of
/// policies in `namespace`).
fn peer_covers(outer: PeerKind<'_>, inner: PeerKind<'_>, namespace: &str) -> bool {
    match (outer, inner) {
        (PeerKind::Ip(o), PeerKind::Ip(i)) => ip_block_covers(o, i),
        (
            PeerKind::Pods {
                namespaces: outer_ns,
                pods: outer_pods,
            },
            PeerKind::Pods {
                namespaces: inner_ns,
                pods: inner_pods,
            },
        ) => {
            namespaces_of(inner_ns, namespace).implies(&namespaces_of(outer_ns, namespace))
                && inner_pods.implies(outer_pods)
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

fn rule_covers(outer: &RuleView<'_>, inner: &RuleView<'_>, namespace: &str) -> bool {
    let peers = match (outer.matches_all_peers(), inner.matches_all_peers()) {
        (true, _) => true,
        (false, true) => false,
        (false, false) => {
            let outer_peers = outer.peers();
            inner.peers().iter().all(|p| {
                outer_peers
                    .iter()
                    .any(|q| peer_covers(q.kind(), p.kind(), namespace))
            })
        }
    };
    peers && ports_cover(outer, inner)
}

/// For policy `item`: the policies that together cover every rule of it,
/// if they do; `eligible(j)` says which policies may.
fn covered_by(
    cx: &Context<'_>,
    item: &Item<'_>,
    eligible: &dyn Fn(PolicyId) -> bool,
) -> Option<BTreeSet<PolicyId>> {
    let view = item.view;
    let mut by = BTreeSet::new();
    let mut any_rule = false;
    for direction in [Direction::Ingress, Direction::Egress] {
        if !view.isolates(direction) {
            continue;
        }
        let candidates: Vec<(PolicyId, Vec<RuleView<'_>>)> = cx
            .set
            .views()
            .filter(|other| {
                other.id() != item.id
                    && eligible(other.id())
                    && other.namespace() == view.namespace()
                    && other.isolates(direction)
                    && view.pod_selector().implies(other.pod_selector())
            })
            .map(|other| (other.id(), other.rules(direction)))
            .collect();
        for rule in view.rules(direction) {
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
    // Per namespace: few policies each, so pairs stay cheap.
    let mut by_namespace: BTreeMap<&str, Vec<Item<'_>>> = BTreeMap::new();
    for item in cx.items() {
        by_namespace
            .entry(item.policy.namespace())
            .or_default()
            .push(item);
    }
    let mut covers: BTreeMap<PolicyId, BTreeSet<PolicyId>> = BTreeMap::new();
    for members in by_namespace.values() {
        if members.len() < 2 {
            continue;
        }
        for item in members {
            if let Some(by) = covered_by(cx, item, &|_| true) {
                covers.insert(item.id, by);
            }
        }
    }
    for (&i, by) in &covers {
        let Some(item) = cx.item(i) else { continue };
        // Of two policies that cover each other, only the later one is
        // reported: its cover must not lean on a later policy it covers.
        let by = if by
            .iter()
            .any(|&j| j > i && covers.get(&j).is_some_and(|c| c.contains(&i)))
        {
            match covered_by(cx, &item, &|j| {
                !(j > i && covers.get(&j).is_some_and(|c| c.contains(&i)))
            }) {
                Some(by) => by,
                None => continue,
            }
        } else {
            by.clone()
        };
        let others: Vec<Item<'_>> = by.iter().filter_map(|&j| cx.item(j)).collect();
        let names: Vec<String> = others.iter().map(|o| format!("`{}`", o.key())).collect();
        let isolation_kept = [Direction::Ingress, Direction::Egress]
            .iter()
            .all(|&d| !item.view.isolates(d) || others.iter().any(|o| o.view.isolates(d)));
        let key = item.key();
        let help = if isolation_kept {
            format!("delete `{key}`: the policies that cover it also isolate its pods")
        } else {
            format!("delete the rules of `{key}` and keep it for the isolation it adds, or delete it if that isolation is not wanted")
        };
        let mut d = Diagnostic::new(
            SHADOWED_POLICY.code,
            item.policy.origin.span,
            format!(
                "every connection `{key}` allows is also allowed by {}",
                names.join(", ")
            ),
        )
        .with_primary("adds no connection")
        .with_help(help);
        for other in others.iter().take(3) {
            d = d.with_secondary(other.policy.origin.span, "covers its pods and rules");
        }
        out.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(yaml: &str) -> Option<Selector> {
        let api: k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector =
            serde_yaml::from_str(yaml).unwrap();
        Selector::from_api(&api).ok()
    }

    fn selector_covers(outer: Option<Selector>, inner: Option<Selector>) -> bool {
        match (outer, inner) {
            (Some(o), Some(i)) => i.implies(&o),
            _ => false,
        }
    }

    #[test]
    fn selector_cover_is_implication_of_requirements() {
        let covers = |outer: &str, inner: &str| selector_covers(sel(outer), sel(inner));
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
        let block = |cidr: &str, except: &[&str]| IpBlock {
            cidr: crate::k8s::Cidr::parse_lenient(cidr).unwrap(),
            except: except
                .iter()
                .map(|e| crate::k8s::Cidr::parse_lenient(e).unwrap())
                .collect(),
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
        let everything = Selector::everything();
        let app_a = sel("{matchLabels: {app: a}}").unwrap();
        let web = sel("{matchLabels: {kubernetes.io/metadata.name: web}}").unwrap();
        let team_x = sel("{matchLabels: {team: x}}").unwrap();
        let pods = |namespaces: Option<&Selector>, pods: &Selector| -> PeerKind<'static> {
            // The selectors outlive the test; leak them for a 'static kind.
            PeerKind::Pods {
                namespaces: namespaces.map(|s| &*Box::leak(Box::new(s.clone()))),
                pods: Box::leak(Box::new(pods.clone())),
            }
        };
        let own = pods(None, &app_a);
        assert!(peer_covers(
            pods(Some(&everything), &everything),
            own,
            "web"
        ));
        assert!(peer_covers(pods(Some(&web), &everything), own, "web"));
        assert!(!peer_covers(pods(Some(&team_x), &everything), own, "web"));
        assert!(!peer_covers(own, pods(Some(&everything), &app_a), "web"));
    }
}
