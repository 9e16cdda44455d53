//! Layout (IR → policy plan): compiles every rule to the sides that need it
//! and groups the results into the policies npc emits: per managed namespace a
//! default-deny policy, a DNS policy, and one policy per selected workload.
//! The peers of each rule are compacted (`compact`).

mod compact;

use std::borrow::Cow;
use std::collections::{btree_map, BTreeMap, BTreeSet, HashMap};

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

/// Where a rule lands in one managed namespace: the egress of its source
/// `peer`, or the ingress of its destination `peer` (an index into the
/// rule's sources or destinations).
#[derive(Clone, Copy, Debug)]
struct Placement {
    rule: u32,
    peer: u32,
    direction: Direction,
}

/// Which rules reach each managed namespace, and on which side: the layout
/// of one namespace is computed from it alone (`Plan::namespace`), so a
/// caller can lay out, emit and free one namespace at a time. Building the
/// plan costs one small entry per (rule, covered namespace); the peers and
/// ports stay in the program, borrowed.
pub struct Plan<'p> {
    program: &'p Program,
    placements: HashMap<&'p str, Vec<Placement>>,
    /// Every distinct peer of the program, numbered (equal peers, one number).
    peer_ids: HashMap<&'p Peer, u32>,
}

/// The ports and origins one peer is allowed with in one rule list (most
/// have one origin: no allocation for it).
struct Entry<'p> {
    ports: Cow<'p, Ports>,
    origin: Origin,
    more_origins: Vec<Origin>,
}

impl<'p> Plan<'p> {
    /// Places every rule of a resolved program (carve-outs applied); W002
    /// for an `allow` that lands nowhere.
    pub fn new(program: &'p Program) -> (Plan<'p>, Diagnostics) {
        let mut diags = Diagnostics::default();
        let index = NamespaceIndex::new(program);
        let mut plan = Plan {
            program,
            placements: HashMap::new(),
            peer_ids: HashMap::new(),
        };
        for (i, rule) in program.rules.iter().enumerate() {
            let produced = plan.place(&index, i, rule);
            if !produced && rule.origin.kind == OriginKind::Allow {
                diags.push(
                    Diagnostic::new(codes::ALLOW_WITHOUT_RULE, rule.origin.span, "this `allow` produces no rule")
                        .with_primary("no source is in an egress-isolated managed namespace and no destination is in an ingress-isolated one")
                        .with_note("npc writes rules only into namespaces declared with `namespace`, and only for isolated directions; traffic between unmanaged or non-isolated namespaces is already allowed")
                        .with_help("declare the namespace this traffic should be checked in (`namespace NAME`), or remove this line"),
                );
            }
        }
        (plan, diags)
    }

    fn peer_id(&mut self, peer: &'p Peer) -> u32 {
        let next = self.peer_ids.len() as u32;
        *self.peer_ids.entry(peer).or_insert(next)
    }

    /// Records where a rule lands; false if it lands nowhere.
    fn place(&mut self, index: &NamespaceIndex<'p>, i: usize, rule: &'p Rule) -> bool {
        let program = self.program;
        for src in &rule.sources {
            self.peer_id(src);
        }
        for (dst, _) in &rule.destinations {
            self.peer_id(dst);
        }
        let mut produced = false;
        let mut add = |ns: &'p ManagedNamespace, peer: usize, direction: Direction| {
            self.placements
                .entry(&ns.name)
                .or_default()
                .push(Placement {
                    rule: i as u32,
                    peer: peer as u32,
                    direction,
                });
            produced = true;
        };
        if rule.sides.egress {
            for (k, src) in rule.sources.iter().enumerate() {
                let Peer::Pods { namespaces, .. } = src else {
                    continue;
                };
                for ns in covered(program, index, namespaces).filter(|ns| ns.isolation.egress) {
                    add(ns, k, Direction::Egress);
                }
            }
        }
        if rule.sides.ingress {
            for (k, (dst, _)) in rule.destinations.iter().enumerate() {
                let Peer::Pods { namespaces, .. } = dst else {
                    continue;
                };
                for ns in covered(program, index, namespaces).filter(|ns| ns.isolation.ingress) {
                    add(ns, k, Direction::Ingress);
                }
            }
        }
        produced
    }

    /// The policies of one managed namespace.
    pub fn namespace(&self, ns: &ManagedNamespace) -> NamespaceLayout {
        // (pods, or None for the DNS policy; direction) → peer → entry
        type Lists<'p> =
            HashMap<(Option<&'p Selector>, Direction), BTreeMap<u32, (&'p Peer, Entry<'p>)>>;
        let mut lists: Lists<'p> = HashMap::new();
        let mut add = |pods: Option<&'p Selector>,
                       direction: Direction,
                       peer: &'p Peer,
                       ports: &'p Ports,
                       origin: Origin| {
            let id = self.peer_ids.get(peer).copied().unwrap_or(u32::MAX);
            match lists.entry((pods, direction)).or_default().entry(id) {
                btree_map::Entry::Vacant(v) => {
                    v.insert((
                        peer,
                        Entry {
                            ports: Cow::Borrowed(ports),
                            origin,
                            more_origins: Vec::new(),
                        },
                    ));
                }
                btree_map::Entry::Occupied(mut o) => {
                    let entry = &mut o.get_mut().1;
                    if entry.ports.as_ref() != ports {
                        entry.ports = Cow::Owned(entry.ports.union(ports));
                    }
                    if entry.origin != origin {
                        entry.more_origins.push(origin);
                    }
                }
            }
        };
        for p in self.placements.get(ns.name.as_str()).into_iter().flatten() {
            let Some(rule) = self.program.rules.get(p.rule as usize) else {
                continue;
            };
            match p.direction {
                Direction::Egress => {
                    let Some(Peer::Pods { pods, .. }) = rule.sources.get(p.peer as usize) else {
                        continue;
                    };
                    let policy = (rule.origin.kind != OriginKind::Dns).then_some(pods);
                    // DNS names are not NetworkPolicy peers: they go to the
                    // source's CiliumNetworkPolicy (`emit::cilium`).
                    for (dst, ports) in rule.destinations.iter().filter(|(d, _)| !d.is_name()) {
                        add(policy, Direction::Egress, dst, ports, rule.origin);
                    }
                }
                Direction::Ingress => {
                    let Some((Peer::Pods { pods, .. }, ports)) =
                        rule.destinations.get(p.peer as usize)
                    else {
                        continue;
                    };
                    for src in &rule.sources {
                        add(Some(pods), Direction::Ingress, src, ports, rule.origin);
                    }
                }
            }
        }
        let mut out = NamespaceLayout {
            name: ns.name.clone(),
            isolation: ns.isolation,
            span: ns.span,
            dns: None,
            workloads: BTreeMap::new(),
        };
        let workload_label = &self.program.settings.workload_label;
        for ((pods, direction), entries) in lists {
            let rules = match pods {
                None => out.dns.get_or_insert_with(PolicyRules::default),
                Some(sel) => out.workloads.entry(sel.clone()).or_default(),
            };
            let merged = merge(entries.into_values(), workload_label);
            match direction {
                Direction::Ingress => rules.ingress = merged,
                Direction::Egress => rules.egress = merged,
            }
        }
        out
    }
}

/// Compiles the rules of a resolved program (carve-outs applied) to policies.
pub fn layout(program: &Program) -> (Layout, Diagnostics) {
    let (plan, diags) = Plan::new(program);
    let namespaces = program
        .namespaces
        .values()
        .map(|ns| (ns.name.clone(), plan.namespace(ns)))
        .collect();
    (Layout { namespaces }, diags)
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
    fn candidates<'a>(&'a self, sel: &'a Selector) -> Option<&'a [&'p ManagedNamespace]> {
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
fn covered<'a, 'p: 'a>(
    program: &'p Program,
    index: &'a NamespaceIndex<'p>,
    sel: &'p NamespaceSelector,
) -> Box<dyn Iterator<Item = &'p ManagedNamespace> + 'a> {
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
/// Exact: a peer is allowed on a port iff some entry for that peer allowed
/// it, and compaction neither adds nor removes a pod.
fn merge<'p>(
    entries: impl Iterator<Item = (&'p Peer, Entry<'p>)>,
    workload_label: &str,
) -> Vec<RuleSet> {
    let mut by_ports: BTreeMap<Cow<'p, Ports>, (Vec<&'p Peer>, BTreeSet<Origin>)> = BTreeMap::new();
    for (peer, entry) in entries {
        let group = by_ports.entry(entry.ports).or_default();
        group.0.push(peer);
        group.1.insert(entry.origin);
        group.1.extend(entry.more_origins);
    }
    by_ports
        .into_iter()
        .map(|(ports, (peers, origins))| RuleSet {
            peers: compact::compact(peers, workload_label),
            ports: ports.into_owned(),
            origins,
        })
        .collect()
}
