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
use crate::k8s::cilium::CiliumNetworkPolicy;
use crate::k8s::DnsName;
use crate::manifest::CiliumPolicy;

/// L016: a name no DNS rule covers.
pub const NAME_WITHOUT_DNS_RULE: Rule = Rule::new(
    "L016",
    "name-without-dns-rule",
    "`toFQDNs` without a DNS rule",
    "a CiliumNetworkPolicy `toFQDNs` rule for pods that no `rules.dns` rule covers (the name never resolves through Cilium's proxy)",
);

/// Whether a DNS rule pattern matches a name (both lower case).
fn glob(pattern: &str, name: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            let Some(rest) = name.strip_prefix(head) else {
                return false;
            };
            // `*` takes no dot: try every split within the first label.
            (0..=rest.len())
                .take_while(|&i| i == 0 || !rest[..i].contains('.'))
                .any(|i| rest.is_char_boundary(i) && glob(tail, &rest[i..]))
        }
    }
}

fn normal(text: &str) -> String {
    text.trim_end_matches('.').to_ascii_lowercase()
}

/// Whether a policy's DNS rules cover `name`.
fn covers(policy: &CiliumNetworkPolicy, name: &str) -> bool {
    policy
        .spec
        .egress
        .iter()
        .flat_map(|r| r.to_ports.iter().flatten())
        .flat_map(|p| p.rules.iter().flat_map(|l7| &l7.dns))
        .any(|d| {
            d.match_name.as_deref().is_some_and(|n| normal(n) == name)
                || d.match_pattern
                    .as_deref()
                    .is_some_and(|p| glob(&normal(p), name))
        })
}

pub fn check(cx: &Context<'_>, out: &mut Diagnostics) {
    let policies: Vec<(&CiliumPolicy, crate::eval::PolicyView<'_>)> = cx
        .manifests
        .cilium
        .iter()
        .filter_map(|p| Some((p, cx.set.view(p.id?)?)))
        .collect();
    // (policy, rule, entry) → the names of the pods it leaves unresolved.
    let mut found: BTreeMap<(usize, usize, usize), (String, Vec<String>)> = BTreeMap::new();
    for (k, (policy, view)) in policies.iter().enumerate() {
        for (i, rule) in policy.object.spec.egress.iter().enumerate() {
            for (j, entry) in rule.to_fqdns.iter().flatten().enumerate() {
                let written = entry
                    .match_name
                    .as_deref()
                    .or(entry.match_pattern.as_deref())
                    .unwrap_or_default();
                let Ok(parsed) = DnsName::parse(written) else {
                    continue;
                };
                // A pattern stands for a name it matches.
                let name = normal(parsed.instance(&[]).as_str());
                for subject in &cx.subjects {
                    if !view.selects(&subject.pod) {
                        continue;
                    }
                    let covered = policies
                        .iter()
                        .any(|(q, qv)| qv.selects(&subject.pod) && covers(&q.object, &name));
                    if !covered {
                        let e = found
                            .entry((k, i, j))
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

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn patterns_match_as_cilium_reads_them() {
        assert!(glob("*", "api.stripe.com"));
        assert!(glob("*.stripe.com", "api.stripe.com"));
        assert!(!glob("*.stripe.com", "a.b.stripe.com"));
        assert!(!glob("*.stripe.com", "stripe.com"));
        assert!(glob("api.stripe.com", "api.stripe.com"));
        assert!(glob("api*.example.com", "api-v2.example.com"));
        assert!(!glob("api.stripe.com", "api.stripe.co"));
    }
}
