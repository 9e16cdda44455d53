//! The traps of cluster policies (ClusterNetworkPolicy, AdminNetworkPolicy,
//! BaselineAdminNetworkPolicy): L012 a tie in priority between policies of
//! one tier that select the same pods (the API leaves their order
//! undefined), L013 a tier `Deny` that blocks DNS, L014 a rule shadowed by
//! earlier ones of its tier, L015 a baseline rule that no pod reaches
//! because NetworkPolicies isolate every pod it selects.
//!
//! Pods are the input's workloads, the representatives of the
//! NetworkPolicies (as for every check) and one representative pod per
//! cluster policy whose subject can be satisfied, so that a directory of
//! cluster policies alone is checked. Every verdict comes from the
//! evaluator's tier model (`eval::tiers`).

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::{list, Context, Rule, SubjectOf};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::eval::{Direction, Endpoint, Pod, Protocol, Step, TierMatch, TierPolicyView};
use crate::k8s::cluster_policy::{Action, Tier};
use crate::manifest::ClusterPolicy;
use crate::source::Span;

/// L012: priority tie between overlapping cluster policies.
pub const PRIORITY_TIE: Rule = Rule::new(
    "L012",
    "priority-tie",
    "priority tie between overlapping cluster policies",
    "two cluster policies of one tier with the same `priority` that select the same pods (their order is undefined)",
);

/// L013: a tier `Deny` that blocks DNS.
pub const TIER_DENIES_DNS: Rule = Rule::new(
    "L013",
    "tier-denies-dns",
    "cluster policy denies DNS",
    "an admin or baseline `Deny` that blocks egress to the cluster DNS on port 53 before anything accepts it",
);

/// L014: a cluster-policy rule that never decides anything.
pub const SHADOWED_TIER_RULE: Rule = Rule::new(
    "L014",
    "shadowed-tier-rule",
    "cluster-policy rule shadowed by earlier rules",
    "a cluster-policy rule whose every connection an earlier rule of its tier decides",
);

/// L015: a baseline rule that no pod reaches.
pub const UNREACHED_BASELINE: Rule = Rule::new(
    "L015",
    "unreached-baseline",
    "baseline rule that no pod reaches",
    "a baseline rule whose every subject NetworkPolicies isolate on that side, so it never applies",
);

/// Pairs of (owner, peer) evaluated by L014 at most; beyond, the check is
/// left out (it is quadratic in pods).
const MAX_PAIRS: usize = 250_000;

fn direction_field(direction: Direction) -> &'static str {
    match direction {
        Direction::Ingress => "ingress",
        Direction::Egress => "egress",
    }
}

fn find<'a>(cx: &Context<'a>, kind: &str, name: &str) -> Option<&'a ClusterPolicy> {
    cx.manifests
        .cluster
        .iter()
        .find(|p| p.object.kind() == kind && p.object.name() == name)
}

fn rule_span(policy: &ClusterPolicy, direction: Direction, rule: usize) -> Span {
    policy
        .origin
        .field(&format!("spec.{}[{rule}]", direction_field(direction)))
}

/// `ClusterNetworkPolicy `name``
fn title(kind: &str, name: &str) -> String {
    format!("{kind} `{}`", crate::k8s::escape_controls(name))
}

pub fn check(cx: &Context<'_>, out: &mut Diagnostics) {
    if !cx.set.has_tiers() {
        return;
    }
    let mut pods: Vec<(Pod, String)> = cx
        .subjects
        .iter()
        .map(|s| (s.pod.clone(), cx.name(s.of)))
        .collect();
    for tier in [Tier::Admin, Tier::Baseline] {
        for view in cx.set.tier_policies(tier) {
            if pods.iter().any(|(p, _)| view.selects(p)) {
                continue;
            }
            if let Some(pod) = view.representative() {
                let name = format!("pods selected by {}", title(view.kind(), view.name()));
                pods.push((pod, name));
            }
        }
    }
    priority_ties(cx, &pods, out);
    denies_dns(cx, &pods, out);
    shadowed(cx, &pods, out);
    unreached_baseline(cx, out);
}

fn priority_ties(cx: &Context<'_>, pods: &[(Pod, String)], out: &mut Diagnostics) {
    for tier in [Tier::Admin, Tier::Baseline] {
        let views = cx.set.tier_policies(tier);
        for (j, later) in views.iter().enumerate() {
            for earlier in &views[..j] {
                if earlier.priority() != later.priority() {
                    continue;
                }
                let both: Vec<&String> = pods
                    .iter()
                    .filter(|(p, _)| earlier.selects(p) && later.selects(p))
                    .map(|(_, n)| n)
                    .collect();
                let shared = [Direction::Ingress, Direction::Egress]
                    .into_iter()
                    .any(|d| earlier.rule_count(d) > 0 && later.rule_count(d) > 0);
                if both.is_empty() || !shared {
                    continue;
                }
                let (Some(a), Some(b)) = (
                    find(cx, earlier.kind(), earlier.name()),
                    find(cx, later.kind(), later.name()),
                ) else {
                    continue;
                };
                let names: Vec<String> = both.into_iter().cloned().collect();
                out.push(
                    Diagnostic::new(
                        PRIORITY_TIE.code,
                        b.origin.field("spec.priority"),
                        format!(
                            "priority {} of the {} tier is shared by {} and {}, which select the same pods",
                            later.priority(),
                            tier.as_str(),
                            title(later.kind(), later.name()),
                            title(earlier.kind(), earlier.name()),
                        ),
                    )
                    .with_primary("same priority")
                    .with_secondary(a.origin.field("spec.priority"), "as this one")
                    .with_note(format!("selected by both: {}", list(&names, 8)))
                    .with_note("the API leaves the order of policies with equal priorities undefined: implementations may apply either first, so a connection both match may be accepted by one cluster and denied by another")
                    .with_help("give each policy a priority of its own (a lower value decides first)"),
                );
            }
        }
    }
}

/// The DNS servers: the input's CoreDNS pods, or L001's stand-in. Not
/// NodeLocal DNSCache's address: a pod whose tier policies deny CoreDNS
/// resolves only where a node-local cache runs, which the input does not
/// say.
fn dns_servers(cx: &Context<'_>) -> Vec<Endpoint> {
    let mut servers: Vec<Endpoint> = cx
        .subjects
        .iter()
        .filter(|s| {
            matches!(s.of, SubjectOf::Workload(_)) && super::dns::is_dns_server(&s.pod.labels)
        })
        .map(|s| s.endpoint.clone())
        .collect();
    if servers.is_empty() {
        servers.push(Endpoint::Pod(super::dns::stand_in(cx)));
    }
    servers
}

/// The tier `Deny` that decided a side, if one did.
fn tier_deny(side: &crate::eval::Side) -> Option<&TierMatch> {
    let decided = match side.step {
        Step::Admin => side.admin.as_ref(),
        Step::Baseline => side.baseline.as_ref(),
        Step::NetworkPolicies | Step::Default => None,
    };
    decided.filter(|m| m.action == Action::Deny)
}

fn denies_dns(cx: &Context<'_>, pods: &[(Pod, String)], out: &mut Diagnostics) {
    let servers = dns_servers(cx);
    // The deny rule → the pods whose DNS it blocks, on which protocols.
    let mut found: BTreeMap<TierMatch, (Vec<String>, Vec<Protocol>)> = BTreeMap::new();
    for (pod, name) in pods {
        if super::dns::is_dns_server(&pod.labels) {
            continue;
        }
        let me = Endpoint::Pod(pod.clone());
        for protocol in [Protocol::Udp, Protocol::Tcp] {
            let verdicts: Vec<_> = servers
                .iter()
                .map(|server| cx.set.evaluate(&me, server, protocol, 53))
                .collect();
            if verdicts.iter().any(|v| v.allowed) {
                continue;
            }
            let deny = verdicts
                .iter()
                .find_map(|v| tier_deny(&v.egress).or_else(|| tier_deny(&v.ingress)));
            if let Some(deny) = deny {
                let entry = found.entry(deny.clone()).or_default();
                if !entry.0.contains(name) {
                    entry.0.push(name.clone());
                }
                if !entry.1.contains(&protocol) {
                    entry.1.push(protocol);
                }
            }
        }
    }
    for (deny, (names, protocols)) in found {
        let Some(policy) = find(cx, deny.kind, &deny.policy) else {
            continue;
        };
        let on: Vec<String> = protocols
            .iter()
            .map(|p| format!("{} 53", p.as_str()))
            .collect();
        out.push(
            Diagnostic::new(
                TIER_DENIES_DNS.code,
                rule_span(policy, deny.direction, deny.rule),
                format!(
                    "{} {} {} rule {} denies DNS ({}) for {}",
                    deny.tier.as_str(),
                    title(deny.kind, &deny.policy),
                    direction_field(deny.direction),
                    deny.rule,
                    on.join(" and "),
                    match names.len() {
                        1 => names[0].clone(),
                        n if names.iter().all(|n| !n.starts_with("pods selected by")) => {
                            format!("{n} workloads")
                        }
                        n => format!("{n} sets of pods"),
                    }
                ),
            )
            .with_primary("denies DNS")
            .with_note(format!("cannot resolve names: {}", list(&names, 8)))
            .with_note(match deny.tier {
                Tier::Admin => "an admin `Deny` is final: no NetworkPolicy of the namespace can allow DNS back",
                Tier::Baseline => "a baseline `Deny` applies to every pod no NetworkPolicy isolates on that side",
            })
            .with_help(match deny.tier {
                Tier::Admin => "put a rule before it that passes DNS to the namespaces' policies (`action: Pass` toward the DNS pods on UDP and TCP 53), or accepts it",
                Tier::Baseline => "put a rule before it that accepts egress to the DNS pods (`kube-system`, `k8s-app: kube-dns`) on UDP and TCP 53",
            }),
        );
    }
}

/// Addresses that stand for every range the tiers' `networks` tell apart.
fn addresses(cx: &Context<'_>) -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = Vec::new();
    let mut push = |ip: IpAddr| {
        if !out.contains(&ip) {
            out.push(ip);
        }
    };
    for cidr in cx.set.tier_networks() {
        let (first, last) = cidr.range();
        let at = |n: u128| -> IpAddr {
            if cidr.is_ipv4() {
                IpAddr::from(u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes())
            } else {
                IpAddr::from(n.to_be_bytes())
            }
        };
        push(at(0));
        push(at(first));
        let max = if cidr.is_ipv4() {
            u128::from(u32::MAX)
        } else {
            u128::MAX
        };
        if last < max {
            push(at(last + 1));
        }
    }
    out
}

/// Per rule of a tier: whether it matched and decided anything, and the
/// first earlier rule that decided where it matched.
#[derive(Default, Clone, Copy)]
struct Seen {
    matched: bool,
    decided: bool,
    by: Option<(usize, usize)>,
}

fn shadowed(cx: &Context<'_>, pods: &[(Pod, String)], out: &mut Diagnostics) {
    let ingress_peers: Vec<Endpoint> = pods.iter().map(|(p, _)| Endpoint::Pod(p.clone())).collect();
    let mut egress_peers = ingress_peers.clone();
    egress_peers.extend(addresses(cx).into_iter().map(Endpoint::Ip));
    if pods.len().saturating_mul(egress_peers.len()) > MAX_PAIRS {
        return;
    }
    for tier in [Tier::Admin, Tier::Baseline] {
        let views = cx.set.tier_policies(tier);
        let mut seen: BTreeMap<(usize, Direction, usize), Seen> = BTreeMap::new();
        for (owner, _) in pods {
            if !views.iter().any(|v| v.selects(owner)) {
                continue;
            }
            for direction in [Direction::Ingress, Direction::Egress] {
                let candidates = match direction {
                    Direction::Ingress => &ingress_peers,
                    Direction::Egress => &egress_peers,
                };
                for peer in candidates {
                    let dst = match direction {
                        Direction::Ingress => Some(owner),
                        Direction::Egress => peer.pod(),
                    };
                    let outcomes = cx.set.tier_outcomes(tier, owner, direction, peer, dst);
                    let mut first_decided: Option<(usize, usize)> = None;
                    for o in outcomes {
                        let s = seen.entry((o.policy, direction, o.rule)).or_default();
                        s.matched |= o.matched;
                        s.decided |= o.decided;
                        if o.matched && !o.decided && s.by.is_none() {
                            s.by = first_decided;
                        }
                        if o.decided && first_decided.is_none() {
                            first_decided = Some((o.policy, o.rule));
                        }
                    }
                }
            }
        }
        for ((p, direction, r), s) in seen {
            if !s.matched || s.decided {
                continue;
            }
            report_shadowed(cx, &views, (p, direction, r), s.by, out);
        }
    }
}

fn report_shadowed(
    cx: &Context<'_>,
    views: &[TierPolicyView<'_>],
    (p, direction, r): (usize, Direction, usize),
    by: Option<(usize, usize)>,
    out: &mut Diagnostics,
) {
    let Some(view) = views.get(p) else { return };
    let Some(policy) = find(cx, view.kind(), view.name()) else {
        return;
    };
    let side = direction_field(direction);
    let mut d = Diagnostic::new(
        SHADOWED_TIER_RULE.code,
        rule_span(policy, direction, r),
        format!(
            "{side} rule {r} of {} never decides: earlier rules of the {} tier decide every connection it matches",
            title(view.kind(), view.name()),
            view.tier().as_str()
        ),
    )
    .with_primary("shadowed");
    if let Some((bp, br)) = by {
        if let Some(earlier) = views.get(bp) {
            if let Some(other) = find(cx, earlier.kind(), earlier.name()) {
                d = d.with_secondary(
                    rule_span(other, direction, br),
                    format!(
                        "decided first by {side} rule {br} of {}",
                        title(earlier.kind(), earlier.name())
                    ),
                );
            }
        }
    }
    out.push(
        d.with_note("rules decide in order (policies by priority, then rules as written): the first that matches a connection's peer and port decides it, so this one is never consulted for the pods of the input")
            .with_help("remove the rule, or move it before the rule that decides first if it was meant to win"),
    );
}

fn unreached_baseline(cx: &Context<'_>, out: &mut Diagnostics) {
    for view in cx.set.tier_policies(Tier::Baseline) {
        let selected: Vec<&super::Subject> = cx
            .subjects
            .iter()
            .filter(|s| matches!(s.of, SubjectOf::Workload(_)) && view.selects(&s.pod))
            .collect();
        if selected.is_empty() {
            continue;
        }
        for direction in [Direction::Ingress, Direction::Egress] {
            if view.rule_count(direction) == 0 {
                continue;
            }
            let isolated = selected
                .iter()
                .all(|s| !cx.set.policies_isolating(&s.pod, direction).is_empty());
            if !isolated {
                continue;
            }
            let Some(policy) = find(cx, view.kind(), view.name()) else {
                continue;
            };
            let side = direction_field(direction);
            let names: Vec<String> = selected.iter().map(|s| cx.name(s.of)).collect();
            out.push(
                Diagnostic::new(
                    UNREACHED_BASELINE.code,
                    policy.origin.field(&format!("spec.{side}[0]")),
                    format!(
                        "the {side} rules of baseline {} reach no pod: NetworkPolicies isolate the {side} of every pod it selects",
                        title(view.kind(), view.name())
                    ),
                )
                .with_primary("never applies")
                .with_note(format!("selected and isolated on {side}: {}", list(&names, 8)))
                .with_note("the baseline tier decides only where no NetworkPolicy isolates the pod on that side; isolated pods are decided by their NetworkPolicies alone")
                .with_help("write the rule in the namespaces' NetworkPolicies, or in the admin tier if it must hold whatever they say (`Pass` lets them decide)"),
            );
        }
    }
}
