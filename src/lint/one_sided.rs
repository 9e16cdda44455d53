//! L011: a connection that one side allows by a rule naming the other
//! side's pods, and that the other side, isolated, denies: the connection
//! the developer thinks exists but does not.
//!
//! Only rules whose peer has a `podSelector` with labels count as naming
//! pods (a peer of whole namespaces or of everything is not a statement
//! about one connection). Each side comes from the evaluator's side
//! matrices over the subjects.

use std::collections::BTreeMap;

use super::{list, Context, Rule};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::eval::{Direction, Endpoint, PeerKind, PolicyId, PortSet};

/// L011: connection allowed on one side only.
pub const ONE_SIDED: Rule = Rule::new(
    "L011",
    "one-sided",
    "connection allowed on one side only",
    "a connection one side allows and the other, isolated, denies",
);

/// (policy, direction, rule, peer) → per pair of workloads (or
/// representatives), a subject of each and the ports the other side denies.
type Findings = BTreeMap<
    (PolicyId, Direction, usize, usize),
    BTreeMap<(String, String), (usize, usize, PortSet)>,
>;

pub fn check(cx: &Context<'_>, out: &mut Diagnostics) {
    let pods: Vec<_> = cx.subjects.iter().map(|s| s.pod.clone()).collect();
    if pods.len() < 2 {
        return;
    }
    let sides = cx.set.side_matrices(&pods);
    let egress_isolated: Vec<bool> = pods
        .iter()
        .map(|p| !cx.set.egress_policies(p).is_empty())
        .collect();
    let ingress_isolated: Vec<bool> = pods
        .iter()
        .map(|p| !cx.set.ingress_policies(p).is_empty())
        .collect();
    let endpoints: Vec<Endpoint> = pods.iter().cloned().map(Endpoint::Pod).collect();
    let mut found: Findings = BTreeMap::new();
    for view in cx.set.views() {
        let selected: Vec<usize> = (0..pods.len())
            .filter(|&s| view.selects(&pods[s]))
            .collect();
        if selected.is_empty() {
            continue;
        }
        let rules = [Direction::Ingress, Direction::Egress]
            .into_iter()
            .flat_map(|d| view.rules(d));
        for rule in rules {
            let direction = rule.direction();
            for peer in rule.peers() {
                let names_pods =
                    matches!(peer.kind(), PeerKind::Pods { pods, .. } if !pods.is_empty());
                if !names_pods {
                    continue;
                }
                let others: Vec<usize> = (0..pods.len())
                    .filter(|&o| peer.matches(&endpoints[o]))
                    .collect();
                for &me in &selected {
                    for &other in &others {
                        if cx.subjects[me].of == cx.subjects[other].of {
                            continue;
                        }
                        let (src, dst) = match direction {
                            Direction::Egress => (me, other),
                            Direction::Ingress => (other, me),
                        };
                        let (allowed, other_side, other_isolated) = match direction {
                            Direction::Egress => (
                                rule.ports(Some(&pods[dst])),
                                sides.ingress.get(src, dst),
                                ingress_isolated[dst],
                            ),
                            Direction::Ingress => (
                                rule.ports(Some(&pods[dst])),
                                sides.egress.get(src, dst),
                                egress_isolated[src],
                            ),
                        };
                        if !other_isolated {
                            continue;
                        }
                        let missing = allowed.difference(other_side);
                        if !missing.is_empty() {
                            let pair = (cx.name(cx.subjects[src].of), cx.name(cx.subjects[dst].of));
                            found
                                .entry((view.id(), direction, rule.index(), peer.index()))
                                .or_default()
                                .entry(pair)
                                .or_insert((src, dst, PortSet::empty()))
                                .2
                                .union_with(&missing);
                        }
                    }
                }
            }
        }
    }
    for ((i, direction, r, k), pairs) in found {
        let Some(item) = cx.item(i) else { continue };
        let pairs: Vec<(usize, usize, PortSet)> = pairs.into_values().collect();
        let Some((first_src, first_dst, first_ports)) = pairs.first() else {
            continue;
        };
        let path = match direction {
            Direction::Ingress => format!("spec.ingress[{r}].from[{k}]"),
            Direction::Egress => format!("spec.egress[{r}].to[{k}]"),
        };
        let lines: Vec<String> = pairs
            .iter()
            .map(|(s, d, ports)| {
                format!(
                    "{} -> {} ({ports})",
                    cx.name(cx.subjects[*s].of),
                    cx.name(cx.subjects[*d].of)
                )
            })
            .collect();
        let (src, dst) = (
            cx.name(cx.subjects[*first_src].of),
            cx.name(cx.subjects[*first_dst].of),
        );
        let (message, primary, other_pod, other_side, help) = match direction {
            Direction::Egress => (
                format!("this egress rule lets {src} connect to {dst} ({first_ports}), but the ingress of {dst} does not allow it"),
                "egress allowed here",
                *first_dst,
                "isolates the destination's ingress",
                "add an ingress rule for the destination that allows the source on these ports, or the connection stays blocked",
            ),
            Direction::Ingress => (
                format!("this ingress rule accepts {src} at {dst} ({first_ports}), but the egress of {src} does not allow it"),
                "ingress allowed here",
                *first_src,
                "isolates the source's egress",
                "add an egress rule for the source that allows the destination on these ports, or the connection stays blocked",
            ),
        };
        let isolating = match direction {
            Direction::Egress => cx.set.ingress_policies(&pods[other_pod]),
            Direction::Ingress => cx.set.egress_policies(&pods[other_pod]),
        };
        let mut d = Diagnostic::new(ONE_SIDED.code, item.field(&path), message)
            .with_primary(primary)
            .with_help(help);
        if pairs.len() > 1 {
            d = d.with_note(format!(
                "one-sided for {} pairs: {}",
                pairs.len(),
                list(&lines, 6)
            ));
        }
        for &id in isolating.iter().take(2) {
            if let Some(p) = cx.item(id) {
                d = d.with_secondary(p.policy.origin.span, other_side);
            }
        }
        out.push(d);
    }
}
