//! Existing NetworkPolicies → NPL text: namespaces with their isolation,
//! one `allow` per rule, the DNS carve-out where a namespace has the usual
//! DNS rule, and a `# from ns/policy` comment over what each policy became.
//! What comments carry from the input is escaped (`k8s::escape_controls`):
//! no line break or other control character in a name can end a comment.
//!
//! A namespace whose policies isolate some pods only is written `isolate
//! DIR only SETS` (the policies' podSelectors).
//!
//! The translation is exact rule by rule on the side the rule was written
//! for; what an `allow` also writes on its other side is found afterwards
//! by the equivalence check, never assumed away here.

use std::collections::{BTreeMap, BTreeSet};

use super::complement::{self, Term};
pub(super) use super::endpoints::value;
pub use super::endpoints::Managed;
use super::endpoints::{peer_groups, peers, pod_part, ports, ports_declared};
use crate::eval::{PeerKind, PolicyView, PortEntry, RuleView};
use crate::k8s::selector::Selector;
use crate::k8s::{escape_controls, Direction, Protocol, NAMESPACE_NAME_LABEL};
use crate::manifest::Manifests;

/// The DNS servers npc assumes when a program names none.
pub const DEFAULT_DNS: &str = "kube-system/{k8s-app=kube-dns}";

/// The prefix of the comments that name where statements came from.
pub const FROM: &str = "# from ";

/// What the translation wrote, before formatting.
#[derive(Clone, Debug, Default)]
pub struct Translation {
    /// NPL text (not yet formatted).
    pub text: String,
    /// Namespaces declared managed.
    pub managed: Vec<String>,
    /// The `allow` statements, in the order they are written.
    pub statements: Vec<StatementId>,
    /// Why a namespace may not be written exactly (the check decides).
    pub reasons: BTreeMap<String, Vec<String>>,
}

/// What the translation needs to know beyond the manifests.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The label `ns/name` endpoints stand for (`app`).
    pub workload_label: String,
    /// Take a pod labelled like a workload of its namespace to declare that
    /// workload's container ports (as its own pods do), instead of checking
    /// every declaration such a pod could make.
    pub assume_workload_ports: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            workload_label: "app".to_string(),
            assume_workload_ports: false,
        }
    }
}

/// The directions a policy isolates (`policyTypes` as the API defaults
/// them), as the evaluator reads it.
pub fn directions(policy: &PolicyView<'_>) -> BTreeSet<Direction> {
    [Direction::Ingress, Direction::Egress]
        .into_iter()
        .filter(|d| policy.isolates(*d))
        .collect()
}

/// Whether a rule's ports are exactly UDP and TCP 53.
fn is_dns_ports(entries: Option<&[PortEntry]>) -> bool {
    let Some(entries) = entries else { return false };
    let mut seen = BTreeSet::new();
    for entry in entries {
        match entry {
            PortEntry::Range(protocol @ (Protocol::Udp | Protocol::Tcp), 53, 53) => {
                seen.insert(*protocol);
            }
            _ => return false,
        }
    }
    seen.len() == 2
}

/// A policy's DNS rule: an egress rule of a policy for every pod of its
/// namespace, to UDP and TCP 53 exactly; its index and endpoints.
///
/// The endpoints leave out the managed namespaces `exclude` (those isolated
/// for ingress), as every `*` or label-set endpoint does: the carve-out
/// opens the DNS servers' ingress to the whole cluster, which such a
/// namespace's own rules may not; the flows to DNS servers there are
/// written as pairs with its ingress rules (`import::pairs`).
pub(super) fn dns_rule(
    policy: &PolicyView<'_>,
    exclude: &[Managed],
    settings: &Settings,
) -> Option<(usize, Vec<String>)> {
    if !policy.pod_selector().is_empty() {
        return None;
    }
    let ns = policy.namespace();
    policy.rules(Direction::Egress).iter().find_map(|r| {
        if !is_dns_ports(r.port_entries()) || r.matches_all_peers() {
            return None;
        }
        let mut endpoints = peers(r, ns, exclude, settings);
        endpoints.sort();
        Some((r.index(), endpoints))
    })
}

/// The comment that replaces a statement left out of the program.
pub const LEFT_OUT: &str = "# left out (it opens its other side further than the input does): ";

/// A statement, or the comment that stands for it when it is left out.
pub(super) fn left_out(text: String, dropped: bool) -> String {
    if dropped {
        format!("{LEFT_OUT}{}", escape_controls(&text))
    } else {
        text
    }
}

/// A rule without peers (every pod and every address) as one statement:
/// its pods and `world` together, under the id of the pods' group, unless
/// the check has left either out (then each is written on its own).
fn everything_together(
    groups: Vec<(Group, Vec<String>)>,
    dropped: impl Fn(Group) -> bool,
) -> Vec<(Group, Vec<String>)> {
    match groups.as_slice() {
        [(Group::Peer(0), pods), (Group::Addresses, world)]
            if world.len() == 1
                && world.first().is_some_and(|w| w == "world")
                && !dropped(Group::Peer(0))
                && !dropped(Group::Addresses) =>
        {
            let mut all = pods.clone();
            all.push("world".to_string());
            vec![(Group::Peer(0), all)]
        }
        _ => groups,
    }
}

/// Adds a policy to a `# from` comment that does not name it yet.
fn also_from(line: &mut String, key: &str) {
    let key = escape_controls(key);
    let named = line
        .strip_prefix(FROM)
        .is_some_and(|rest| rest.split(", ").any(|k| k == key));
    if line.starts_with(FROM) && !named {
        line.push_str(&format!(", {key}"));
    }
}

/// Which peers of a rule a statement was written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// One selector peer (its index in `from`/`to`; `cluster` for none).
    Peer(usize),
    /// The rule's ipBlocks (`world` for none).
    Addresses,
    /// With an ingress rule of another namespace: `import::pairs`.
    Pair(usize),
}

/// One `allow` of the program: the input rule and peers it was written for.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatementId {
    /// `namespace/name` of the input policy.
    pub policy: String,
    pub direction: Direction,
    /// Index into `spec.ingress` or `spec.egress`.
    pub rule: usize,
    pub group: Group,
}

/// A rule's peers as the pods they select: (namespace selector, pod
/// selector), `None` for the namespace of the policy; `None` for an
/// ipBlock. A rule without peers selects every pod.
fn typed_peers(rule: &RuleView<'_>) -> Vec<Option<(Option<Selector>, Selector)>> {
    if rule.matches_all_peers() {
        return vec![Some((Some(Selector::everything()), Selector::everything()))];
    }
    rule.peers()
        .iter()
        .map(|p| match p.kind() {
            PeerKind::Pods { namespaces, pods } => Some((namespaces.cloned(), pods.clone())),
            PeerKind::Ip(_) | PeerKind::Name(_) => None,
        })
        .collect()
}

/// Whether every pod peer `a` selects, peer `b` selects too.
fn peer_within(a: &(Option<Selector>, Selector), b: &(Option<Selector>, Selector)) -> bool {
    let namespaces = match (&a.0, &b.0) {
        (_, Some(all)) if all.is_empty() => true,
        (None, None) => true,
        (Some(x), Some(y)) => x.implies(y),
        _ => false,
    };
    namespaces && a.1.implies(&b.1)
}

/// The selector peers (rule, peer) of one direction of a policy that
/// another rule's peer of the same policy covers: it selects every pod they
/// select, on every port they allow (no ports, or the same list). Of two
/// peers that cover each other the first stays. A rule in `skip` (the DNS
/// rule written as the carve-out) and a statement the check has left out
/// cover nothing.
fn covered_peers(
    rules: &[RuleView<'_>],
    skip: Option<usize>,
    left_out: impl Fn(usize, usize) -> bool,
) -> BTreeSet<(usize, usize)> {
    let typed: Vec<_> = rules.iter().map(typed_peers).collect();
    let all_ports = |ports: Option<&[PortEntry]>| ports.is_none();
    let mut out = BTreeSet::new();
    for (i, peers) in typed.iter().enumerate() {
        if Some(i) == skip {
            continue;
        }
        for (k, a) in peers.iter().enumerate() {
            let Some(a) = a else { continue };
            let covered = typed.iter().enumerate().any(|(j, others)| {
                if Some(j) == skip {
                    return false;
                }
                let (pi, pj) = (rules[i].port_entries(), rules[j].port_entries());
                let ports_within = all_ports(pj) || pi == pj;
                let ports_same = all_ports(pi) == all_ports(pj) && (all_ports(pi) || pi == pj);
                ports_within
                    && others.iter().enumerate().any(|(l, b)| {
                        let Some(b) = b else { return false };
                        if (j, l) == (i, k) || left_out(j, l) || !peer_within(a, b) {
                            return false;
                        }
                        // Two peers alike: the first stays.
                        let mutual = ports_same && peer_within(b, a);
                        !mutual || (j, l) < (i, k)
                    })
            });
            if covered {
                out.insert((i, k));
            }
        }
    }
    out
}

/// The statements of one policy (its DNS rule left out when it becomes
/// the carve-out, and the `dropped` ones).
///
/// `declared`: the workloads' container ports, under
/// `--assume-workload-ports`, to write a port to a workload by its name.
fn statements(
    policy: &PolicyView<'_>,
    skip_egress: Option<usize>,
    dropped: &BTreeSet<StatementId>,
    isolated: &BTreeMap<Direction, Vec<Managed>>,
    declared: Option<&super::pairs::WorkloadPorts>,
    settings: &Settings,
) -> Vec<(StatementId, String)> {
    // The container ports of the workload an endpoint names (`ns/name`).
    let declared_at = |endpoint: &str| -> &[crate::eval::NamedPort] {
        let Some((ns, name)) = endpoint.split_once('/') else {
            return &[];
        };
        if name.contains(['{', '*', ' ']) {
            return &[];
        }
        declared
            .and_then(|d| d.get(&(ns.to_string(), name.to_string())))
            .map_or(&[], Vec::as_slice)
    };
    // An `allow` also writes its other side in every managed namespace
    // isolated in that direction that a `*` or label-set endpoint reaches:
    // those are left out of such endpoints, and their own rules say what
    // they allow.
    let none = Vec::new();
    let egress_isolated = isolated.get(&Direction::Egress).unwrap_or(&none);
    let ingress_isolated = isolated.get(&Direction::Ingress).unwrap_or(&none);
    let ns = policy.namespace();
    let name = policy.name();
    let own = format!("{ns}/{}", pod_part(policy.pod_selector(), settings));
    let id = |direction, rule, group| StatementId {
        policy: format!("{ns}/{name}"),
        direction,
        rule,
        group,
    };
    let mut out = Vec::new();
    // The rules of the directions the policy isolates (none of the others).
    let ingress_rules = policy.rules(Direction::Ingress);
    let egress_rules = policy.rules(Direction::Egress);
    let covered_ingress = covered_peers(&ingress_rules, None, |j, l| {
        dropped.contains(&id(Direction::Ingress, j, Group::Peer(l)))
    });
    let covered_egress = covered_peers(&egress_rules, skip_egress, |j, l| {
        dropped.contains(&id(Direction::Egress, j, Group::Peer(l)))
    });
    // A rule's peers in groups, less those another rule covers; a rule
    // from or to every peer keeps its groups together.
    let groups_of = |rule: &RuleView<'_>,
                     direction: Direction,
                     other_isolated: &[Managed],
                     covered: &BTreeSet<(usize, usize)>| {
        let i = rule.index();
        let groups: Vec<_> = peer_groups(rule, ns, other_isolated, settings)
            .into_iter()
            .filter(|(g, _)| !matches!(g, Group::Peer(k) if covered.contains(&(i, *k))))
            .collect();
        if rule.matches_all_peers() {
            everything_together(groups, |g| dropped.contains(&id(direction, i, g)))
        } else {
            groups
        }
    };
    for rule in &ingress_rules {
        let i = rule.index();
        let dst = match ports_declared(rule.port_entries(), declared_at(&own)) {
            Some(p) => format!("{own}:{p}"),
            None => own.clone(),
        };
        let groups = groups_of(rule, Direction::Ingress, egress_isolated, &covered_ingress);
        for (group, sources) in groups {
            let id = id(Direction::Ingress, i, group);
            let text = format!("allow {} -> {dst}", sources.join(", "));
            out.push((id.clone(), left_out(text, dropped.contains(&id))));
        }
    }
    for rule in &egress_rules {
        let i = rule.index();
        if Some(i) == skip_egress {
            continue;
        }
        let port_text = ports(rule.port_entries());
        let named = |d: &str| ports_declared(rule.port_entries(), declared_at(d));
        let groups = groups_of(rule, Direction::Egress, ingress_isolated, &covered_egress);
        for (group, list) in groups {
            let id = id(Direction::Egress, i, group);
            let destinations: Vec<String> = list
                .into_iter()
                .map(|d| match (&port_text, named(&d)) {
                    (Some(_), Some(p)) => format!("{d}:{p}"),
                    (Some(p), _) => format!("{d}:{p}"),
                    (None, _) => d,
                })
                .collect();
            let text = format!("allow {own} -> {}", destinations.join(", "));
            out.push((id.clone(), left_out(text, dropped.contains(&id))));
        }
    }
    out
}

/// The labels a managed namespace is declared with: those of its
/// `Namespace` object that some namespaceSelector looks at.
fn declared_labels(
    manifests: &Manifests,
    ns: &str,
    keys: &BTreeSet<String>,
) -> BTreeMap<String, String> {
    manifests
        .namespace(ns)
        .filter(|n| n.origin.is_some())
        .map(|n| {
            n.labels
                .iter()
                .filter(|(k, _)| keys.contains(*k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The pods of a namespace that none of its policies isolates in a
/// direction, as label sets (empty: the namespace is isolated whole or not
/// at all); `None` when NPL cannot write them.
fn open_pods(policies: &[PolicyView<'_>], direction: Direction) -> Option<Vec<Term>> {
    let mut selectors: Vec<&Selector> = Vec::new();
    for policy in policies.iter().filter(|p| p.isolates(direction)) {
        let sel = policy.pod_selector();
        if sel.is_empty() {
            return Some(Vec::new());
        }
        selectors.push(sel);
    }
    if selectors.is_empty() {
        return Some(Vec::new());
    }
    complement::complement(&selectors)
}

/// Label keys that some namespaceSelector looks at (of the rules the
/// evaluator reads: a direction a policy isolates).
fn namespace_keys(manifests: &Manifests) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for (_, view) in manifests.policies() {
        for direction in [Direction::Ingress, Direction::Egress] {
            for rule in view.rules(direction) {
                for peer in rule.peers() {
                    if let PeerKind::Pods {
                        namespaces: Some(sel),
                        ..
                    } = peer.kind()
                    {
                        keys.extend(sel.match_labels.keys().cloned());
                        keys.extend(sel.expressions.iter().map(|e| e.key.clone()));
                    }
                }
            }
        }
    }
    keys.remove(NAMESPACE_NAME_LABEL);
    keys
}

/// The container ports of the input's workloads, by namespace and value of
/// the workload label (the first workload with that value).
fn workload_ports(manifests: &Manifests, settings: &Settings) -> super::pairs::WorkloadPorts {
    let mut out = super::pairs::WorkloadPorts::new();
    for w in &manifests.workloads {
        for s in &w.shapes {
            if let Some(name) = s.shape.labels.get(&settings.workload_label) {
                out.entry((w.id.namespace.clone(), name.clone()))
                    .or_insert_with(|| s.shape.ports.clone());
            }
        }
    }
    out
}

/// The NPL program for the policies not in `kept` (`ns/name`: they stay
/// as they are, beside the program).
///
/// A kept policy still isolates the pods it selects, and its rules add to
/// the program's: a namespace is written isolated in a direction when a
/// policy written isolates it there, and the pods written back as open
/// (no policy selects them) are those no policy of the input selects,
/// kept or not, so the program opens nothing a kept policy closes.
///
/// `name_prefix`: set when a kept policy has the name of one the program
/// would emit into its namespace (applying both, one would replace the
/// other).
pub fn translate(
    manifests: &Manifests,
    kept: &BTreeSet<String>,
    dropped: &BTreeSet<StatementId>,
    name_prefix: Option<&str>,
    settings: &Settings,
) -> Translation {
    let mut out = Translation::default();
    // Policies by namespace, in input order.
    let mut by_namespace: BTreeMap<&str, Vec<PolicyView<'_>>> = BTreeMap::new();
    let mut inert: Vec<String> = Vec::new();
    for (p, view) in manifests.policies() {
        if view.pod_selector().is_unsatisfiable() {
            // It selects no pod: it neither isolates nor allows anything.
            inert.push(p.key());
            continue;
        }
        if !kept.contains(&p.key()) {
            by_namespace.entry(view.namespace()).or_default().push(view);
        }
    }
    let keys = namespace_keys(manifests);
    // The managed namespaces isolated in each direction.
    let mut isolated_namespaces: BTreeMap<Direction, Vec<Managed>> = BTreeMap::new();
    for (ns, policies) in &by_namespace {
        let types: BTreeSet<Direction> = policies.iter().flat_map(directions).collect();
        let mut labels = declared_labels(manifests, ns, &keys);
        labels.insert(NAMESPACE_NAME_LABEL.to_string(), (*ns).to_string());
        for d in types {
            isolated_namespaces.entry(d).or_default().push(Managed {
                name: (*ns).to_string(),
                labels: labels.clone(),
                open: open_pods(policies, d).unwrap_or_default(),
            });
        }
    }
    let none_isolated = Vec::new();
    let ingress_isolated_all = isolated_namespaces
        .get(&Direction::Ingress)
        .unwrap_or(&none_isolated);
    // The DNS servers: the endpoints of the DNS rules, the default's first.
    let mut dns_counts: BTreeMap<Vec<String>, usize> = BTreeMap::new();
    for policies in by_namespace.values() {
        if let Some((_, e)) = policies
            .iter()
            .find_map(|p| dns_rule(p, ingress_isolated_all, settings))
        {
            *dns_counts.entry(e).or_default() += 1;
        }
    }
    let default = vec![DEFAULT_DNS.to_string()];
    let dns: Option<Vec<String>> = if dns_counts.contains_key(&default) {
        Some(default.clone())
    } else {
        dns_counts
            .iter()
            .max_by_key(|(e, n)| (**n, std::cmp::Reverse((*e).clone())))
            .map(|(e, _)| e.clone())
    };
    let mut text = String::from("# Imported from Kubernetes NetworkPolicies by `npc import`.\n");
    if !inert.is_empty() {
        text.push_str(&format!(
            "# Left out, as their podSelector can match no pod: {}\n",
            escape_controls(&inert.join(", "))
        ));
    }
    text.push('\n');
    if let Some(prefix) = name_prefix {
        text.push_str(&format!("set name-prefix = {prefix}\n\n"));
    }
    if settings.workload_label != "app" {
        text.push_str(&format!(
            "set workload-label = {}\n\n",
            settings.workload_label
        ));
    }
    if let Some(servers) = dns.as_ref().filter(|d| **d != default) {
        text.push_str(&format!("dns {}\n\n", servers.join(", ")));
    }
    // Ports to a workload written by the names it declares them under,
    // when pods labelled like it are taken to declare them.
    let declared = settings
        .assume_workload_ports
        .then(|| workload_ports(manifests, settings));
    let mut bodies: Vec<String> = Vec::new();
    // The statements written so far, each once, with the line of the
    // `# from` comment over it (an index into `bodies`, or past its end
    // into the lines of the namespace being written).
    let mut written: BTreeMap<String, usize> = BTreeMap::new();
    for (ns, policies) in &by_namespace {
        let base = bodies.len();
        let mut isolated: BTreeSet<Direction> = BTreeSet::new();
        let mut whole: BTreeSet<Direction> = BTreeSet::new();
        let mut partial: Vec<String> = Vec::new();
        for p in policies {
            let types = directions(p);
            isolated.extend(types.iter().copied());
            if p.pod_selector().is_empty() {
                whole.extend(types.iter().copied());
            }
        }
        // Directions some policies isolate for the pods they select only:
        // `isolate DIR only SETS`, one set per distinct podSelector.
        let mut only: BTreeMap<Direction, Vec<String>> = BTreeMap::new();
        for d in &isolated {
            if whole.contains(d) {
                continue;
            }
            let mut sets: Vec<(Selector, String)> = Vec::new();
            for p in policies.iter().filter(|p| p.isolates(*d)) {
                let set = pod_part(p.pod_selector(), settings);
                if !sets.iter().any(|(_, s)| *s == set) {
                    sets.push((p.pod_selector().clone(), set));
                }
            }
            // A set within another adds no pod.
            let listed: Vec<String> = sets
                .iter()
                .enumerate()
                .filter(|(i, (a, _))| {
                    !sets
                        .iter()
                        .enumerate()
                        .any(|(j, (b, _))| j != *i && a.implies(b) && (!b.implies(a) || j < *i))
                })
                .map(|(_, (_, set))| set.clone())
                .collect();
            only.insert(*d, listed);
            if open_pods(policies, *d).is_none() {
                let names: Vec<String> = policies
                    .iter()
                    .filter(|p| p.isolates(*d))
                    .map(|p| format!("`{ns}/{}`", p.name()))
                    .collect();
                partial.push(format!(
                    "{} isolates only the pods it selects for {}; where a `*` or label-set endpoint of another rule reaches the namespace, the pods no policy selects are written as at most {} label sets, which is not enough here",
                    names.join(", "),
                    d.as_str().to_lowercase(),
                    complement::MAX_TERMS
                ));
            }
        }
        // The DNS rule of this namespace, when it is the carve-out.
        let carve_out = policies.iter().enumerate().find_map(|(i, p)| {
            dns_rule(p, ingress_isolated_all, settings)
                .filter(|(_, e)| Some(e) == dns.as_ref())
                .map(|(rule, _)| (i, rule))
        });
        let mut decl_from: Vec<String> = Vec::new();
        let mut lines: Vec<String> = Vec::new();
        for (i, p) in policies.iter().enumerate() {
            let key = format!("{ns}/{}", p.name());
            let skip_rule = carve_out.filter(|(at, _)| *at == i).map(|(_, r)| r);
            if skip_rule.is_some() {
                decl_from.push(format!("{key} (dns)"));
            }
            let list = statements(
                p,
                skip_rule,
                dropped,
                &isolated_namespaces,
                declared.as_ref(),
                settings,
            );
            if list.is_empty() {
                if skip_rule.is_none() {
                    decl_from.push(key);
                }
                continue;
            }
            // A statement already written (for the rule on its
            // other side, say) is written once: its `# from`
            // comment names this policy too.
            let from = base + lines.len();
            let mut fresh: Vec<(StatementId, String)> = Vec::new();
            for (id, text) in list {
                if text.starts_with('#') {
                    fresh.push((id, text));
                    continue;
                }
                match written.get(&text) {
                    Some(at) => {
                        let line = match at.checked_sub(base) {
                            Some(local) => lines.get_mut(local),
                            None => bodies.get_mut(*at),
                        };
                        if let Some(line) = line {
                            also_from(line, &key);
                        }
                    }
                    None => {
                        written.insert(text.clone(), from);
                        fresh.push((id, text));
                    }
                }
            }
            if fresh.is_empty() {
                continue;
            }
            lines.push(format!("{FROM}{}", escape_controls(&key)));
            for (id, text) in fresh {
                if !text.starts_with('#') {
                    out.statements.push(id);
                }
                lines.push(text);
            }
            lines.push(String::new());
        }
        if !partial.is_empty() {
            out.reasons
                .entry((*ns).to_string())
                .or_default()
                .extend(partial);
        }
        if !decl_from.is_empty() {
            text.push_str(&format!(
                "{FROM}{}\n",
                escape_controls(&decl_from.join(", "))
            ));
        }
        text.push_str(&format!("namespace {ns}"));
        let labels: Vec<String> = declared_labels(manifests, ns, &keys)
            .iter()
            .map(|(k, v)| format!("{k}={}", value(v)))
            .collect();
        if !labels.is_empty() {
            text.push_str(&format!(" labels {{{}}}", labels.join(", ")));
        }
        let mut body: Vec<String> = Vec::new();
        let (ingress_only, egress_only) =
            (only.get(&Direction::Ingress), only.get(&Direction::Egress));
        match (ingress_only, egress_only) {
            (Some(i), Some(e)) if i == e => {
                body.push(format!("isolate ingress, egress only {}", i.join(", ")));
            }
            (None, None) => match (
                isolated.contains(&Direction::Ingress),
                isolated.contains(&Direction::Egress),
            ) {
                (true, true) => {}
                (true, false) => body.push("isolate ingress".to_string()),
                (false, true) => body.push("isolate egress".to_string()),
                (false, false) => body.push("isolate none".to_string()),
            },
            _ => {
                for (d, word) in [
                    (Direction::Ingress, "ingress"),
                    (Direction::Egress, "egress"),
                ] {
                    match only.get(&d) {
                        Some(sets) => body.push(format!("isolate {word} only {}", sets.join(", "))),
                        None if isolated.contains(&d) => body.push(format!("isolate {word}")),
                        None => {}
                    }
                }
            }
        }
        if isolated.contains(&Direction::Egress) && carve_out.is_none() {
            body.push("no dns".to_string());
        }
        if body.is_empty() {
            text.push_str("\n\n");
        } else {
            text.push_str(" {\n");
            for b in body {
                text.push_str(&format!("  {b}\n"));
            }
            text.push_str("}\n\n");
        }
        out.managed.push((*ns).to_string());
        bodies.extend(lines);
    }
    let mut written: BTreeSet<String> = written.into_keys().collect();
    let mut bodies: String = bodies.iter().map(|l| format!("{l}\n")).collect();
    bodies.push_str(&super::pairs::pairs(
        &by_namespace,
        &isolated_namespaces,
        dropped,
        settings,
        &workload_ports(manifests, settings),
        &mut written,
        &mut out.statements,
    ));
    text.push('\n');
    text.push_str(&bodies);
    out.text = text;
    out
}

/// For each line of a program (1-based), the index of the `allow`
/// statement that starts on or before it (`None` before the first).
pub fn allows_by_line(text: &str) -> Vec<Option<usize>> {
    let mut out = vec![None];
    let mut count = 0usize;
    for line in text.lines() {
        let last = out.last().copied().flatten();
        if line.trim_start().starts_with("allow ") {
            count += 1;
            out.push(Some(count - 1));
        } else if line.trim_start().starts_with('#') || line.trim().is_empty() {
            out.push(None);
        } else {
            out.push(last);
        }
    }
    out
}

/// The input policies named by the `# from` comment that governs each line
/// of a program (by 1-based line number).
pub fn origins_by_line(text: &str) -> Vec<Vec<String>> {
    let mut current: Vec<String> = Vec::new();
    let mut out = vec![Vec::new()];
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            current.clear();
        }
        if let Some(rest) = trimmed.strip_prefix(FROM) {
            current = rest
                .split(", ")
                .map(|k| k.split(' ').next().unwrap_or_default().to_string())
                .collect();
        }
        out.push(current.clone());
    }
    out
}
