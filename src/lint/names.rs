//! L016: a CiliumNetworkPolicy `toFQDNs` rule for pods that no DNS rule
//! (`toPorts[].rules.dns`) of a CiliumNetworkPolicy selecting them covers.
//! Cilium learns the addresses of a name only from the lookups its DNS
//! proxy sees, and only lookups an L7 DNS rule sends there reach it: without
//! one the name never resolves to an allowed address, and the egress fails
//! silently. A DNS rule covers a name when an entry's `matchName` is the
//! name or its `matchPattern` matches it (`*` alone matches every name;
//! elsewhere `*` stands for any characters but a dot); a `toFQDNs`
//! pattern is covered when a name it matches is.

use std::collections::BTreeMap;

use super::{list, Context, Rule};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::eval::PolicyView;
use crate::k8s::Direction;
use crate::manifest::CiliumPolicy;

/// L016: a name no DNS rule covers.
pub const NAME_WITHOUT_DNS_RULE: Rule = Rule::new(
    "L016",
    "name-without-dns-rule",
    "`toFQDNs` without a DNS rule",
    "a CiliumNetworkPolicy `toFQDNs` rule for pods that no `rules.dns` rule covers (the name never resolves through Cilium's proxy)",
);

pub fn check(cx: &Context<'_>, out: &mut Diagnostics) {
    let policies: Vec<(&CiliumPolicy, PolicyView<'_>)> = cx
        .manifests
        .cilium
        .iter()
        .filter_map(|p| Some((p, cx.set.view(p.id?)?)))
        .collect();
    // (policy, rule, entry) → the name and the pods it leaves unresolved.
    let mut found: BTreeMap<(usize, usize, usize), (String, Vec<String>)> = BTreeMap::new();
    for (k, (_, view)) in policies.iter().enumerate() {
        for rule in view.rules(Direction::Egress) {
            for peer in rule.peers() {
                let Some(written) = peer.dns_name() else {
                    continue;
                };
                // A pattern stands for a name it matches.
                let instance = written.instance(&[]);
                for subject in &cx.subjects {
                    if !view.selects(&subject.pod) {
                        continue;
                    }
                    let covered = policies.iter().any(|(_, other)| {
                        other.selects(&subject.pod) && other.proxies_lookup(instance.as_str())
                    });
                    if !covered {
                        let e = found
                            .entry((k, rule.index(), peer.index()))
                            .or_insert_with(|| (written.to_string(), Vec::new()));
                        e.1.push(cx.name(subject.of));
                    }
                }
            }
        }
    }
    for ((k, i, j), (written, names)) in found {
        let Some((policy, _)) = policies.get(k) else {
            continue;
        };
        let who = match names.len() {
            1 => names[0].clone(),
            n => format!("{n} sets of pods"),
        };
        out.push(
            Diagnostic::new(
                NAME_WITHOUT_DNS_RULE.code,
                policy
                    .origin
                    .field(&format!("spec.egress[{i}].toFQDNs[{j}]")),
                format!(
                    "`{}` in `{}` never resolves for {who}: no DNS rule sends their lookups through Cilium's proxy",
                    crate::k8s::escape_controls(&written),
                    policy.key()
                ),
            )
            .with_primary("no DNS rule covers this name")
            .with_note(format!("the pods: {}", list(&names, 8)))
            .with_note("Cilium learns which addresses a name stands for from the lookups its DNS proxy answers; a lookup goes through the proxy only where an L7 DNS rule (`toPorts[].rules.dns`) of a policy selecting the pod covers the name, so the connection to the name is allowed to no address and fails silently")
            .with_help("add an egress rule to the cluster DNS on port 53 (UDP and TCP) with `rules: {dns: [{matchPattern: \"*\"}]}` to a CiliumNetworkPolicy that selects these pods (npc writes it with every name: `set cni = cilium`)"),
        );
    }
}
