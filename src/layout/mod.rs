//! Layout (IR → policy plan): compiles every rule to the sides that need it
//! and groups the results into the policies npc emits: per managed namespace a
//! default-deny policy, a DNS policy, and one policy per selected workload.
//! The peers of each rule are compacted (`compact`).

mod compact;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::diagnostic::{codes, Diagnostic, Diagnostics};
use crate::ir::{
    Isolation, ManagedNamespace, NamespaceSelector, Origin, OriginKind, Peer, Ports, Program, Rule,
    Selector,
};
use crate::k8s::Direction;
use crate::source::Span;

/// Every policy npc will emit, by namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    pub namespaces: BTreeMap<String, NamespaceLayout>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespaceLayout {
    pub name: String,
    pub isolation: Isolation,
    /// The namespace declaration.
    pub span: Span,
    /// Egress of every pod to the DNS servers.
    pub dns: Option<PolicyRules>,
    /// Rules by the pods they apply to.
    pub workloads: BTreeMap<Selector, PolicyRules>,
}

/// The rules of one policy, per direction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyRules {
    pub ingress: Vec<RuleSet>,
    pub egress: Vec<RuleSet>,
}

impl PolicyRules {
    pub fn origins(&self) -> BTreeSet<Origin> {
        self.ingress
            .iter()
            .chain(&self.egress)
            .flat_map(|r| r.origins.iter().copied())
            .collect()
    }
}

/// One emitted rule: any of the peers, on the ports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSet {
    pub peers: BTreeSet<Peer>,
    pub ports: Ports,
    pub origins: BTreeSet<Origin>,
}

/// Rules of one direction before merging: per peer, the ports and origins.
type Pending = BTreeMap<Peer, (Ports, BTreeSet<Origin>)>;

#[derive(Default)]
struct Builder {
    /// (namespace, pods or None for the DNS policy, direction) → pending rules
    pending: BTreeMap<(String, Option<Selector>, Direction), Pending>,
}

impl Builder {
    fn add(
        &mut self,
        ns: &str,
        pods: Option<&Selector>,
        dir: Direction,
        peer: &Peer,
        ports: &Ports,
        origin: Origin,
    ) {
        let entry = self
            .pending
            .entry((ns.to_string(), pods.cloned(), dir))
            .or_default()
            .entry(peer.clone())
            .or_insert_with(|| (Ports::Only(BTreeSet::new()), BTreeSet::new()));
        entry.0 = entry.0.union(ports);
        entry.1.insert(origin);
    }
}

/// Compiles the rules of a resolved program (carve-outs applied) to policies.
pub fn layout(program: &Program) -> (Layout, Diagnostics) {
    let mut diags = Diagnostics::default();
    let mut b = Builder::default();
    let index = NamespaceIndex::new(program);
    for rule in &program.rules {
        let produced = place(program, &index, rule, &mut b);
        if !produced && rule.origin.kind == OriginKind::Allow {
            diags.push(
                Diagnostic::new(codes::ALLOW_WITHOUT_RULE, rule.origin.span, "this `allow` produces no rule")
                    .with_primary("no source is in an egress-isolated managed namespace and no destination is in an ingress-isolated one")
                    .with_note("npc writes rules only into namespaces declared with `namespace`, and only for isolated directions; traffic between unmanaged or non-isolated namespaces is already allowed")
                    .with_help("declare the namespace this traffic should be checked in (`namespace NAME`), or remove this line"),
            );
        }
    }
    let mut out = Layout::default();
    for ns in program.namespaces.values() {
        out.namespaces.insert(
            ns.name.clone(),
            NamespaceLayout {
                name: ns.name.clone(),
                isolation: ns.isolation,
                span: ns.span,
                dns: None,
                workloads: BTreeMap::new(),
            },
        );
    }
    for ((ns, pods, dir), pending) in b.pending {
        let Some(target) = out.namespaces.get_mut(&ns) else {
            continue;
        };
        let rules = match pods {
            None => target.dns.get_or_insert_with(PolicyRules::default),
            Some(sel) => target.workloads.entry(sel).or_default(),
        };
        let merged = merge(pending, &program.settings.workload_label);
        match dir {
            Direction::Ingress => rules.ingress = merged,
            Direction::Egress => rules.egress = merged,
        }
    }
    (out, diags)
}

/// Adds a rule's entries to the sides that need them; false if none did.
fn place(program: &Program, index: &NamespaceIndex<'_>, rule: &Rule, b: &mut Builder) -> bool {
    let mut produced = false;
    if rule.sides.egress {
        for src in &rule.sources {
            let Peer::Pods { namespaces, pods } = src else {
                continue;
            };
            for ns in covered(program, index, namespaces).filter(|ns| ns.isolation.egress) {
                let policy = (rule.origin.kind != OriginKind::Dns).then_some(pods);
                for (dst, ports) in &rule.destinations {
                    b.add(&ns.name, policy, Direction::Egress, dst, ports, rule.origin);
                }
                produced = true;
            }
        }
    }
    if rule.sides.ingress {
        for (dst, ports) in &rule.destinations {
            let Peer::Pods { namespaces, pods } = dst else {
                continue;
            };
            for ns in covered(program, index, namespaces).filter(|ns| ns.isolation.ingress) {
                for src in &rule.sources {
                    b.add(
                        &ns.name,
                        Some(pods),
                        Direction::Ingress,
                        src,
                        ports,
                        rule.origin,
                    );
                }
                produced = true;
            }
        }
    }
    produced
}

/// Managed namespaces by label, so that a label-set endpoint looks up the
/// namespaces that carry one of its labels instead of testing every namespace:
/// programs where each namespace names a few others by label stay linear.
struct NamespaceIndex<'p> {
    /// (key, value) → namespaces with that label, in name order.
    by_label: HashMap<(&'p str, &'p str), Vec<&'p ManagedNamespace>>,
}

impl<'p> NamespaceIndex<'p> {
    fn new(program: &'p Program) -> Self {
        let mut by_label: HashMap<(&str, &str), Vec<&ManagedNamespace>> = HashMap::new();
        for ns in program.namespaces.values() {
            for (k, v) in &ns.labels {
                by_label.entry((k, v)).or_default().push(ns);
            }
        }
        NamespaceIndex { by_label }
    }

    /// The fewest namespaces that can match: those carrying the selector's
    /// rarest `matchLabels` entry. `None` if the selector has no such entry.
    fn candidates(&self, sel: &'p Selector) -> Option<&[&'p ManagedNamespace]> {
        sel.match_labels
            .iter()
            .map(|(k, v)| {
                self.by_label
                    .get(&(k.as_str(), v.as_str()))
                    .map_or(&[][..], Vec::as_slice)
            })
            .min_by_key(|c| c.len())
    }
}

/// The managed namespaces a namespace selector reaches, in name order. A name
/// is a lookup and a label set an index lookup, not a scan, so programs of
/// many namespaces stay linear.
fn covered<'p>(
    program: &'p Program,
    index: &'p NamespaceIndex<'p>,
    sel: &'p NamespaceSelector,
) -> Box<dyn Iterator<Item = &'p ManagedNamespace> + 'p> {
    match sel {
        NamespaceSelector::Named(n) => Box::new(program.namespaces.get(n).into_iter()),
        NamespaceSelector::Matching(s) => match index.candidates(s) {
            Some(few) => Box::new(few.iter().copied().filter(move |ns| s.matches(&ns.labels))),
            None => Box::new(
                program
                    .namespaces
                    .values()
                    .filter(move |ns| s.matches(&ns.labels)),
            ),
        },
    }
}

/// Peers with identical ports share one rule, and its peers are compacted.
/// Exact: a peer is allowed on a port iff some pending entry for that peer
/// allowed it, and compaction neither adds nor removes a pod.
fn merge(pending: Pending, workload_label: &str) -> Vec<RuleSet> {
    let mut by_ports: BTreeMap<Ports, (BTreeSet<Peer>, BTreeSet<Origin>)> = BTreeMap::new();
    for (peer, (ports, origins)) in pending {
        let group = by_ports.entry(ports).or_default();
        group.0.insert(peer);
        group.1.extend(origins);
    }
    by_ports
        .into_iter()
        .map(|(ports, (peers, origins))| RuleSet {
            peers: compact::compact(peers, workload_label),
            ports,
            origins,
        })
        .collect()
}
