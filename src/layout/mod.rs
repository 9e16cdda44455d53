//! Layout (IR → policy plan): compiles every rule to the sides that need it
//! and groups the results into the policies npc emits: per managed namespace a
//! default-deny policy, a DNS policy, and one policy per selected workload.
//! The peers of each rule are compacted (`compact`).

mod compact;

use std::borrow::Cow;
use std::collections::{btree_map, hash_map, BTreeMap, BTreeSet};

use crate::hashing::HashMap;

use crate::diagnostic::{codes, Diagnostic, Diagnostics};
use crate::ir::{
    Isolation, ManagedNamespace, NamespaceSelector, Origin, OriginKind, Peer, PodSet, Ports,
    Program, Rule, Selector,
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
    /// The directions in which some pods are isolated.
    pub isolation: Isolation,
    /// The pod sets of `isolate ... only` (empty: every isolated direction
    /// isolates every pod).
    pub sets: Vec<PodSet>,
    /// The namespace declaration.
    pub span: Span,
    /// Egress of every pod to the DNS servers.
    pub dns: Option<PolicyRules>,
    /// Rules by the pods they apply to, in the directions that isolate
    /// every pod.
    pub workloads: BTreeMap<Selector, PolicyRules>,
    /// Rules in the directions limited to pod sets: by the set (an index
    /// into `sets`) and the pods they apply to (`None`: the DNS policy of
    /// the set). Each policy selects those pods AND the set's.
    pub limited: BTreeMap<(usize, Option<Selector>), PolicyRules>,
}

impl NamespaceLayout {
    /// The directions that isolate every pod (a default-deny selecting `{}`).
    pub fn whole(&self) -> Isolation {
        let limited = |d| self.sets.iter().any(|s: &PodSet| s.isolation.has(d));
        Isolation {
            ingress: self.isolation.ingress && !limited(Direction::Ingress),
            egress: self.isolation.egress && !limited(Direction::Egress),
        }
    }
}

/// The pods of `pods` that are also in `set`, written as simply as the two
/// allow: the narrower one when one contains the other.
pub fn within(pods: &Selector, set: &Selector) -> Option<Selector> {
    if pods.implies(set) {
        return Some(pods.clone());
    }
    if set.implies(pods) {
        return Some(set.clone());
    }
    let both = pods.and(set);
    (!both.is_unsatisfiable()).then_some(both)
}

/// The rules of one policy, per direction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyRules {
    pub ingress: Vec<RuleSet>,
    pub egress: Vec<RuleSet>,
}

impl PolicyRules {
    /// The origins of every rule, in order, each once.
    pub fn origins(&self) -> Vec<Origin> {
        let mut all: Vec<Origin> = self
            .ingress
            .iter()
            .chain(&self.egress)
            .flat_map(|r| r.origins.iter().copied())
            .collect();
        // A few sorted runs, one per rule: the stable sort merges them.
        all.sort();
        all.dedup();
        // Kept with each policy while `expect` lines are checked.
        all.shrink_to_fit();
        all
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
    /// The numbers of every rule's sources, then destinations, rule after
    /// rule, so that laying out a namespace compares numbers, not peers.
    numbers: Vec<PeerNumber>,
    /// Where each rule's numbers start in `numbers`.
    first_number: Vec<usize>,
    /// Large peer lists already compacted, by their peers' numbers.
    compactions: Compactions,
}

/// The compacted form of the large peer lists met so far, by the sorted
/// numbers of their peers: compaction depends on the peers alone, and the
/// same list recurs in many namespaces (a label-set source reaching every
/// workload of 140 namespaces is laid out once per namespace it selects).
/// Forgotten after [`Compactions::LIMIT`] lists, so memory stays bounded.
#[derive(Default)]
struct Compactions {
    done: HashMap<Box<[u32]>, BTreeSet<Peer>>,
}

impl Compactions {
    /// Lists of at most this many peers are compacted each time (cheaper
    /// than the lookup).
    const SMALL: usize = 16;
    const LIMIT: usize = 256;

    fn compact(&mut self, peers: Vec<(u32, &Peer)>, workload_label: &str) -> BTreeSet<Peer> {
        if peers.len() <= Self::SMALL {
            return compact::compact(peers.into_iter().map(|(_, p)| p).collect(), workload_label);
        }
        let mut key: Box<[u32]> = peers.iter().map(|(id, _)| *id).collect();
        key.sort_unstable();
        if let Some(done) = self.done.get(&key) {
            return done.clone();
        }
        let compacted =
            compact::compact(peers.into_iter().map(|(_, p)| p).collect(), workload_label);
        if self.done.len() >= Self::LIMIT {
            self.done.clear();
        }
        self.done.insert(key, compacted.clone());
        compacted
    }
}

/// Every distinct peer of a program is numbered (equal peers, one number),
/// and so is every distinct pod selector of its pod peers (the pods a policy
/// applies to), and every distinct set of ports of its destinations.
#[derive(Clone, Copy)]
struct PeerNumber {
    peer: u32,
    pods: u32,
    /// The destination's ports (`u32::MAX` for a source).
    ports: u32,
}

/// Numbers peers, pod selectors and port sets while a plan is made.
#[derive(Default)]
struct Numbering<'p> {
    peers: HashMap<&'p Peer, u32>,
    pods: HashMap<&'p Selector, u32>,
    ports: HashMap<&'p Ports, u32>,
}

impl<'p> Numbering<'p> {
    fn number(&mut self, peer: &'p Peer, ports: Option<&'p Ports>) -> PeerNumber {
        let next = self.peers.len() as u32;
        let id = *self.peers.entry(peer).or_insert(next);
        let pods = match peer {
            Peer::Pods { pods, .. } => {
                let next = self.pods.len() as u32;
                *self.pods.entry(pods).or_insert(next)
            }
            Peer::Ip(_) | Peer::Name(_) => u32::MAX,
        };
        let ports = match ports {
            Some(ports) => {
                let next = self.ports.len() as u32;
                *self.ports.entry(ports).or_insert(next)
            }
            None => u32::MAX,
        };
        PeerNumber {
            peer: id,
            pods,
            ports,
        }
    }
}

/// The ports and origins one peer is allowed with in one rule list (most
/// have one origin: no allocation for it).
struct Entry<'p> {
    ports: Cow<'p, Ports>,
    /// The number of `ports` while it is one destination's (borrowed);
    /// `None` once it is the union of several.
    ports_number: Option<u32>,
    origin: Origin,
    more_origins: Vec<Origin>,
}

/// The most peers the rules of a program's policies may hold, counted
/// before peers are merged: each source's policy lists every destination
/// of a statement, and each destination's policy every source, so one
/// statement of two lists of 2,000 endpoints writes 8,000,000 (141 MB of
/// YAML from a 42 KB file). The largest generated benchmark (fan-out,
/// 1,000 namespaces) holds about 1.5 million. Past the bound, E033 at the
/// statement that writes the most, before anything is laid out.
pub const MAX_RULE_PEERS: usize = 4_000_000;

impl<'p> Plan<'p> {
    /// Places every rule of a resolved program (carve-outs applied); W002
    /// for an `allow` that lands nowhere; E033 (and no placement) for a
    /// program whose policies would hold more than [`MAX_RULE_PEERS`] peers.
    pub fn new(program: &'p Program) -> (Plan<'p>, Diagnostics) {
        let mut diags = Diagnostics::default();
        let index = NamespaceIndex::new(program);
        let mut plan = Plan {
            program,
            placements: HashMap::default(),
            numbers: Vec::new(),
            first_number: Vec::with_capacity(program.rules.len()),
            compactions: Compactions::default(),
        };
        let mut numbering = Numbering::default();
        for rule in &program.rules {
            plan.first_number.push(plan.numbers.len());
            let sources = rule.sources.iter().map(|p| (p, None));
            let destinations = rule.destinations.iter().map(|(p, ports)| (p, Some(ports)));
            plan.numbers.extend(
                sources
                    .chain(destinations)
                    .map(|(p, ports)| numbering.number(p, ports)),
            );
        }
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
        if let Some(d) = plan.too_many_peers() {
            // Nothing is laid out: the placements go, the error stays.
            plan.placements.clear();
            diags.push(d);
        }
        (plan, diags)
    }

    /// E033 when the placed rules would put more than [`MAX_RULE_PEERS`]
    /// peers into policies, at the rule that puts the most: each egress
    /// placement of a source lists every destination of its rule, each
    /// ingress placement of a destination every source. Counted from the
    /// placements (one small entry per rule and namespace), before anything
    /// is laid out.
    fn too_many_peers(&self) -> Option<Diagnostic> {
        let mut per_rule: HashMap<u32, usize> = HashMap::default();
        let mut total = 0usize;
        for p in self.placements.values().flatten() {
            let Some(rule) = self.program.rules.get(p.rule as usize) else {
                continue;
            };
            let n = match p.direction {
                Direction::Egress => rule.destinations.len(),
                Direction::Ingress => rule.sources.len(),
            };
            total = total.saturating_add(n);
            let count = per_rule.entry(p.rule).or_default();
            *count = count.saturating_add(n);
        }
        if total <= MAX_RULE_PEERS {
            return None;
        }
        // The largest, the first in the program at a tie.
        let (i, n) = per_rule
            .into_iter()
            .max_by_key(|(i, n)| (*n, std::cmp::Reverse(*i)))?;
        let rule = self.program.rules.get(i as usize)?;
        let what = match rule.origin.kind {
            OriginKind::Allow => "statement",
            _ => "carve-out",
        };
        Some(
            Diagnostic::new(
                codes::TOO_MANY_PEERS,
                rule.origin.span,
                format!(
                    "the policies of this program would hold {total} peers, more than the limit of {MAX_RULE_PEERS}"
                ),
            )
            .with_primary(format!(
                "{n} of them from this {what} of {} sources and {} destinations",
                rule.sources.len(),
                rule.destinations.len()
            ))
            .with_note("the policy of each source lists every destination, and the policy of each destination lists every source: the peers grow with the product of the lists")
            .with_help("select the pods of each side with one label set instead of listing them (`allow web/{role=client} -> web/{role=server}:8080`), or compile the program in parts"),
        )
    }

    /// Records where a rule lands; false if it lands nowhere.
    fn place(&mut self, index: &NamespaceIndex<'p>, i: usize, rule: &'p Rule) -> bool {
        let program = self.program;
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
                let Peer::Pods { namespaces, pods } = src else {
                    continue;
                };
                for ns in covered(program, index, namespaces)
                    .filter(|ns| ns.may_isolate(Direction::Egress, pods))
                {
                    add(ns, k, Direction::Egress);
                }
            }
        }
        if rule.sides.ingress {
            for (k, (dst, _)) in rule.destinations.iter().enumerate() {
                let Peer::Pods { namespaces, pods } = dst else {
                    continue;
                };
                for ns in covered(program, index, namespaces)
                    .filter(|ns| ns.may_isolate(Direction::Ingress, pods))
                {
                    add(ns, k, Direction::Ingress);
                }
            }
        }
        produced
    }

    /// The policies of one managed namespace.
    pub fn namespace(&mut self, ns: &ManagedNamespace) -> NamespaceLayout {
        // (number of the pods, or None for the DNS policy; direction) →
        // (the pods, peer number → peer and entry)
        type List<'p> = (Option<&'p Selector>, Entries<'p>);
        let mut lists: HashMap<(Option<u32>, Direction), List<'p>> = HashMap::default();
        let mut add = |pods: Option<(u32, &'p Selector)>,
                       direction: Direction,
                       (id, peer): (u32, &'p Peer),
                       (ports_number, ports): (u32, &'p Ports),
                       origin: Origin| {
            let list = lists
                .entry((pods.map(|(n, _)| n), direction))
                .or_insert_with(|| (pods.map(|(_, sel)| sel), Entries::default()));
            let entries = &mut list.1;
            match entries.at.entry(id) {
                hash_map::Entry::Vacant(v) => {
                    v.insert(entries.list.len());
                    entries.list.push((
                        id,
                        (
                            peer,
                            Entry {
                                ports: Cow::Borrowed(ports),
                                ports_number: Some(ports_number),
                                origin,
                                more_origins: Vec::new(),
                            },
                        ),
                    ));
                }
                hash_map::Entry::Occupied(o) => {
                    let Some((_, (_, entry))) = entries.list.get_mut(*o.get()) else {
                        return;
                    };
                    // Equal numbers are equal ports, different numbers
                    // different ports; a union has no number.
                    let same = match entry.ports_number {
                        Some(number) => number == ports_number,
                        None => entry.ports.as_ref() == ports,
                    };
                    if !same {
                        entry.ports = Cow::Owned(entry.ports.union(ports));
                        entry.ports_number = None;
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
            let first = self.first_number.get(p.rule as usize).copied().unwrap_or(0);
            let (sources, destinations) = self
                .numbers
                .get(first..first + rule.sources.len() + rule.destinations.len())
                .unwrap_or(&[])
                .split_at_checked(rule.sources.len())
                .unwrap_or((&[], &[]));
            match p.direction {
                Direction::Egress => {
                    let (Some(Peer::Pods { pods, .. }), Some(n)) = (
                        rule.sources.get(p.peer as usize),
                        sources.get(p.peer as usize),
                    ) else {
                        continue;
                    };
                    let policy = (rule.origin.kind != OriginKind::Dns).then_some((n.pods, pods));
                    // DNS names are not NetworkPolicy peers: they go to the
                    // source's CiliumNetworkPolicy (`emit::cilium`).
                    for ((dst, ports), d) in rule
                        .destinations
                        .iter()
                        .zip(destinations)
                        .filter(|((dst, _), _)| !dst.is_name())
                    {
                        add(
                            policy,
                            Direction::Egress,
                            (d.peer, dst),
                            (d.ports, ports),
                            rule.origin,
                        );
                    }
                }
                Direction::Ingress => {
                    let (Some((Peer::Pods { pods, .. }, ports)), Some(n)) = (
                        rule.destinations.get(p.peer as usize),
                        destinations.get(p.peer as usize),
                    ) else {
                        continue;
                    };
                    for (src, s) in rule.sources.iter().zip(sources) {
                        add(
                            Some((n.pods, pods)),
                            Direction::Ingress,
                            (s.peer, src),
                            (n.ports, ports),
                            rule.origin,
                        );
                    }
                }
            }
        }
        let mut out = NamespaceLayout {
            name: ns.name.clone(),
            isolation: ns.isolation,
            sets: ns.only.clone(),
            span: ns.span,
            dns: None,
            workloads: BTreeMap::new(),
            limited: BTreeMap::new(),
        };
        let workload_label = &self.program.settings.workload_label;
        for ((_, direction), (pods, entries)) in lists {
            let merged = merge(entries.in_order(), workload_label, &mut self.compactions);
            if ns.limited(direction) {
                // One policy per pod set the pods meet (§7.1).
                for (i, set) in ns.only.iter().enumerate() {
                    if !set.isolation.has(direction)
                        || pods.is_some_and(|p| within(p, &set.pods).is_none())
                    {
                        continue;
                    }
                    let rules = out.limited.entry((i, pods.cloned())).or_default();
                    match direction {
                        Direction::Ingress => rules.ingress = merged.clone(),
                        Direction::Egress => rules.egress = merged.clone(),
                    }
                }
                continue;
            }
            let rules = match pods {
                None => out.dns.get_or_insert_with(PolicyRules::default),
                Some(sel) => out.workloads.entry(sel.clone()).or_default(),
            };
            match direction {
                Direction::Ingress => rules.ingress = merged,
                Direction::Egress => rules.egress = merged,
            }
        }
        out
    }
}

/// The entries of one policy side being laid out, each peer (by number)
/// once: a gateway's egress has 1,430, and a B-tree keyed by number
/// searched and moved them on every one of a namespace's placements.
#[derive(Default)]
struct Entries<'p> {
    list: Vec<(u32, (&'p Peer, Entry<'p>))>,
    /// Peer number → index in `list`.
    at: HashMap<u32, usize>,
}

impl<'p> Entries<'p> {
    /// The entries by peer number.
    fn in_order(self) -> impl Iterator<Item = (u32, (&'p Peer, Entry<'p>))> {
        let mut list = self.list;
        // Numbers are unique: an unstable sort gives the one order.
        list.sort_unstable_by_key(|(id, _)| *id);
        list.into_iter()
    }
}

/// Compiles the rules of a resolved program (carve-outs applied) to policies.
pub fn layout(program: &Program) -> (Layout, Diagnostics) {
    let (mut plan, diags) = Plan::new(program);
    if diags.has_errors() {
        return (Layout::default(), diags);
    }
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
    /// Name → namespace (every rule's peers are looked up by name).
    by_name: HashMap<&'p str, &'p ManagedNamespace>,
}

impl<'p> NamespaceIndex<'p> {
    fn new(program: &'p Program) -> Self {
        let mut by_label: HashMap<(&str, &str), Vec<&ManagedNamespace>> = HashMap::default();
        let mut by_name = HashMap::default();
        by_name.reserve(program.namespaces.len());
        for (name, ns) in &program.namespaces {
            by_name.insert(name.as_str(), ns);
            for (k, v) in &ns.labels {
                by_label.entry((k, v)).or_default().push(ns);
            }
        }
        NamespaceIndex { by_label, by_name }
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
) -> Covered<'a, 'p> {
    match sel {
        NamespaceSelector::Named(n) => Covered::Named(index.by_name.get(n.as_str()).copied()),
        NamespaceSelector::Matching(s) => match index.candidates(s) {
            Some(few) => Covered::Few(few.iter(), s),
            None => Covered::All(program.namespaces.values(), s),
        },
    }
}

/// The iterator of [`covered`] (a value, not a boxed iterator: it is made
/// for every peer of every rule).
enum Covered<'a, 'p> {
    Named(Option<&'p ManagedNamespace>),
    /// The candidates of the index that the selector matches.
    Few(std::slice::Iter<'a, &'p ManagedNamespace>, &'p Selector),
    /// Every namespace the selector matches.
    All(
        btree_map::Values<'p, String, ManagedNamespace>,
        &'p Selector,
    ),
}

impl<'p> Iterator for Covered<'_, 'p> {
    type Item = &'p ManagedNamespace;

    fn next(&mut self) -> Option<&'p ManagedNamespace> {
        match self {
            Covered::Named(one) => one.take(),
            Covered::Few(few, s) => few.by_ref().copied().find(|ns| s.matches(&ns.labels)),
            Covered::All(all, s) => all.by_ref().find(|ns| s.matches(&ns.labels)),
        }
    }
}

/// Peers with identical ports share one rule, and its peers are compacted.
/// Exact: a peer is allowed on a port iff some entry for that peer allowed
/// it, and compaction neither adds nor removes a pod.
///
/// Entries are grouped by the number of their ports first (a gateway's
/// 1,430 entries have a few port sets), then the groups by value (a union
/// of several has no number), so port sets are compared once per group,
/// not once per entry. The rules come out in the order of their ports.
fn merge<'p>(
    entries: impl Iterator<Item = (u32, (&'p Peer, Entry<'p>))>,
    workload_label: &str,
    compactions: &mut Compactions,
) -> Vec<RuleSet> {
    // Origins are gathered in a vector and made a set once per rule: a
    // gateway's entries each have their own statement, and inserting
    // 1,430 of them one by one into a B-tree was a twentieth of a build.
    type Group<'p> = (Cow<'p, Ports>, Vec<(u32, &'p Peer)>, Vec<Origin>);
    let mut groups: Vec<Group<'p>> = Vec::new();
    let mut by_number: BTreeMap<u32, usize> = BTreeMap::new();
    for (id, (peer, entry)) in entries {
        let at = match entry.ports_number {
            Some(number) => match by_number.entry(number) {
                btree_map::Entry::Occupied(o) => *o.get(),
                btree_map::Entry::Vacant(v) => {
                    groups.push((entry.ports, Vec::new(), Vec::new()));
                    *v.insert(groups.len() - 1)
                }
            },
            None => {
                groups.push((entry.ports, Vec::new(), Vec::new()));
                groups.len() - 1
            }
        };
        if let Some(group) = groups.get_mut(at) {
            group.1.push((id, peer));
            group.2.push(entry.origin);
            group.2.extend(entry.more_origins);
        }
    }
    // Unions equal to each other or to a numbered set are one rule.
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    let mut by_ports: Vec<Group<'p>> = Vec::with_capacity(groups.len());
    for group in groups {
        match by_ports.last_mut() {
            Some(last) if last.0 == group.0 => {
                last.1.extend(group.1);
                last.2.extend(group.2);
            }
            _ => by_ports.push(group),
        }
    }
    // Into a new vector: collected in place, the groups' allocation would
    // be reallocated to the rule sets' size.
    let mut rules = Vec::with_capacity(by_ports.len());
    rules.extend(by_ports.into_iter().map(|(ports, peers, origins)| RuleSet {
        peers: compactions.compact(peers, workload_label),
        ports: ports.into_owned(),
        // Sorted and deduplicated once, by the set's bulk build.
        origins: origins.into_iter().collect(),
    }));
    rules
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::Labels;

    /// Pods labelled `app=APP` of the namespace `ns` (also compact's tests).
    pub(super) fn pods(ns: &str, app: &str) -> Peer {
        Peer::Pods {
            namespaces: NamespaceSelector::Named(ns.to_string()),
            pods: Selector {
                match_labels: Labels::from([("app".to_string(), app.to_string())]),
                expressions: BTreeSet::new(),
            },
        }
    }

    /// A remembered compaction is the compaction of the same peers, in any
    /// order, before and after the memory is forgotten; a list that differs
    /// by one peer is not taken for another.
    #[test]
    fn remembered_compactions_are_the_compactions() {
        let pool: Vec<Peer> = (0..40)
            .flat_map(|n| ["api", "web"].map(|app| pods(&format!("ns-{}", n % 23), app)))
            .collect();
        let direct =
            |ids: &[u32]| compact::compact(ids.iter().map(|&i| &pool[i as usize]).collect(), "app");
        let listed = |ids: &[u32]| ids.iter().map(|&i| (i, &pool[i as usize])).collect();
        let mut compactions = Compactions::default();
        let mut lists: Vec<Vec<u32>> = Vec::new();
        for start in 0..(Compactions::LIMIT as u32 + 40) {
            let len = 1 + (start as usize * 7) % 60;
            lists.push((0..len as u32).map(|k| (start + k * 3) % 80).collect());
        }
        for round in 0..2 {
            for ids in &lists {
                let mut ids = ids.clone();
                ids.sort_unstable();
                ids.dedup();
                if round == 1 {
                    ids.reverse();
                }
                assert_eq!(
                    compactions.compact(listed(&ids), "app"),
                    direct(&ids),
                    "{ids:?}"
                );
                assert!(compactions.done.len() <= Compactions::LIMIT);
            }
        }
        let mut big: Vec<u32> = (0..30).collect();
        assert_eq!(compactions.compact(listed(&big), "app"), direct(&big));
        big[29] = 31;
        assert_eq!(compactions.compact(listed(&big), "app"), direct(&big));
        assert_ne!(direct(&big), direct(&(0..30).collect::<Vec<u32>>()));
    }
}
