//! Building the [`Graph`] of existing manifests from `npc analyze`'s
//! result: the same picture `npc graph` draws for a program, for
//! `npc analyze --format dot|mermaid|html`.
//!
//! Nodes are the analyzed workloads, grouped by namespace, and the external
//! address ranges that some connection reaches; an edge is an allowed
//! connection that some policy decided (a side is isolated), with the
//! policies' rules that allow it and their manifest lines. Manifests have no
//! `expect` lines and no carve-outs: every edge comes from a policy.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use super::build::port_text;
use super::{
    Edge, EdgeSource, Graph, Group, GroupKind, Isolation, Node, NodeKind, PolicyRef, RuleRef,
    SideIsolation, Tables, TooLarge, EXTERNAL_GROUP,
};
use crate::analyze::{Analysis, IpRange, Peer};
use crate::eval::{Direction, Endpoint, Pod, PolicyName, PolicySet, PortSet, Protocol, Side};
use crate::manifest::{Manifests, WorkloadName};

/// One node with what its connections are evaluated for.
struct Subject {
    node: Node,
    /// The workload's pods (one per pod shape), or the range's first address.
    endpoints: Vec<Endpoint>,
}

/// The graph of `analysis`, computed from `manifests` under their
/// policies; too large a drawing (more connections some policy decides
/// than [`super::MAX_EDGES`], or rules past [`super::MAX_TABLE_BYTES`]) is
/// refused before it is built.
pub fn from_analysis(
    analysis: &Analysis,
    manifests: &Manifests,
    title: &str,
) -> Result<Graph, TooLarge> {
    let set = &manifests.set;
    let lines = policy_lines(manifests);
    let mut subjects: BTreeMap<Peer, Subject> = BTreeMap::new();
    let ids = workload_ids(&analysis.workloads);
    for id in &analysis.workloads {
        if let Some(s) = workload_subject(id, &ids, manifests, set, &lines) {
            subjects.insert(Peer::Workload(id.clone()), s);
        }
    }
    // Only the address ranges that some drawn connection reaches.
    for c in &analysis.connections {
        for peer in [&c.src, &c.dst] {
            if let Peer::External(range) = peer {
                subjects
                    .entry(peer.clone())
                    .or_insert_with(|| range_subject(range));
            }
        }
    }
    // Open on both sides: allowed without any rule (see `Edge`).
    let drawn: Vec<(&Subject, &Subject, &PortSet)> = analysis
        .connections
        .iter()
        .filter_map(|c| {
            let (src, dst) = (subjects.get(&c.src)?, subjects.get(&c.dst)?);
            (!(src.node.open_egress() && dst.node.open_ingress())).then_some((src, dst, &c.conn.0))
        })
        .collect();
    if drawn.len() > super::MAX_EDGES {
        return Err(TooLarge::Edges(drawn.len()));
    }
    let mut tables = EdgeTables::default();
    let mut edges = Vec::with_capacity(drawn.len());
    for (src, dst, allowed) in drawn {
        edges.push(edge(src, dst, allowed, set, &lines, &mut tables)?);
    }
    // Drop the ranges whose every connection needed no rule.
    let used: BTreeSet<&str> = edges
        .iter()
        .flat_map(|e| [e.source.as_str(), e.target.as_str()])
        .collect();
    let mut nodes: Vec<Node> = subjects
        .into_values()
        .map(|s| s.node)
        .filter(|n| n.kind != NodeKind::External || used.contains(n.id.as_str()))
        .collect();
    // Namespaces first (by name), workloads by name; then the addresses
    // in address order (IPv4 first), as the analysis lists them.
    let ranges: BTreeSet<&IpRange> = analysis
        .external
        .iter()
        .chain(analysis.connections.iter().flat_map(|c| {
            [&c.src, &c.dst].into_iter().filter_map(|p| match p {
                Peer::External(r) => Some(r),
                Peer::Workload(_) | Peer::Name(_) => None,
            })
        }))
        .collect();
    let address_order: BTreeMap<String, usize> = ranges
        .into_iter()
        .enumerate()
        .map(|(i, r)| (range_label(r), i))
        .collect();
    let key = |n: &Node| {
        let external = n.kind == NodeKind::External;
        let at = address_order.get(&n.id).copied().unwrap_or(0);
        (external, n.group.clone(), at, n.label.clone(), n.id.clone())
    };
    nodes.sort_by_cached_key(key);
    let order: BTreeMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    edges.sort_by_key(|e| (order.get(e.source.as_str()), order.get(e.target.as_str())));
    let groups = groups(&nodes);
    let mut g = Graph {
        title: title.to_string(),
        of: super::Source::Manifests,
        groups,
        nodes,
        edges,
        ..Graph::default()
    };
    tables.tables.into_graph(&mut g);
    Ok(g)
}

/// `namespace/name` of every policy → its manifest's `file:line`.
fn policy_lines(manifests: &Manifests) -> BTreeMap<String, String> {
    manifests
        .policies
        .iter()
        .map(|p| (p.key(), manifests.sources.location(p.origin.span)))
        .collect()
}

/// Node ids: `namespace/name`, or `namespace/name[Kind]` where two kinds of
/// workload share a name in one namespace.
fn workload_ids(workloads: &[WorkloadName]) -> BTreeMap<&WorkloadName, String> {
    let mut count: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for w in workloads {
        *count.entry((&w.namespace, &w.name)).or_default() += 1;
    }
    workloads
        .iter()
        .map(|w| {
            let shared = count
                .get(&(w.namespace.as_str(), w.name.as_str()))
                .is_some_and(|n| *n > 1);
            let id = if shared {
                w.to_string()
            } else {
                format!("{}/{}", w.namespace, w.name)
            };
            (w, id)
        })
        .collect()
}

fn workload_subject(
    id: &WorkloadName,
    ids: &BTreeMap<&WorkloadName, String>,
    manifests: &Manifests,
    set: &PolicySet,
    lines: &BTreeMap<String, String>,
) -> Option<Subject> {
    let workload = manifests.workloads.iter().find(|w| &w.id == id)?;
    let namespace_labels = manifests.namespace_labels(&id.namespace);
    let pods: Vec<Pod> = workload
        .shapes
        .iter()
        .filter(|s| !s.shape.host_network)
        .map(|s| workload.pod(&s.shape, &namespace_labels))
        .collect();
    let side = |direction: Direction| {
        let mut policies: BTreeSet<String> = BTreeSet::new();
        for pod in &pods {
            let ids = match direction {
                Direction::Ingress => set.ingress_policies(pod),
                Direction::Egress => set.egress_policies(pod),
            };
            policies.extend(
                ids.iter()
                    .filter_map(|&id| set.name(id))
                    .map(|name| name.to_string()),
            );
        }
        SideIsolation {
            isolated: !policies.is_empty(),
            policies: policies
                .into_iter()
                .map(|p| PolicyRef {
                    lines: lines.get(&p).cloned().into_iter().collect(),
                    policy: p,
                })
                .collect(),
        }
    };
    let node = Node {
        id: ids.get(id)?.clone(),
        group: id.namespace.clone(),
        label: id.name.clone(),
        kind: NodeKind::Workload,
        description: format!(
            "the pods of {} `{}` in `{}`",
            id.kind, id.name, id.namespace
        ),
        stands_for: vec![id.to_string()],
        inside: Vec::new(),
        ingress: Some(side(Direction::Ingress)),
        egress: Some(side(Direction::Egress)),
    };
    Some(Subject {
        node,
        endpoints: pods.into_iter().map(Endpoint::Pod).collect(),
    })
}

fn range_subject(range: &IpRange) -> Subject {
    let label = range_label(range);
    Subject {
        node: Node {
            id: label.clone(),
            group: EXTERNAL_GROUP.to_string(),
            label,
            kind: NodeKind::External,
            description: format!("the addresses {range}"),
            stands_for: vec![format!("{range}[External]")],
            inside: Vec::new(),
            ingress: None,
            egress: None,
        },
        // Every address of a range is treated alike (`analyze` splits
        // the addresses where the policies distinguish them).
        endpoints: vec![Endpoint::Ip(range.first)],
    }
}

/// A range as a CIDR when it is exactly one (`10.0.0.0/8`, `::/0`), else
/// `first-last`.
fn range_label(range: &IpRange) -> String {
    let (first, last, bits) = match (range.first, range.last) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u128::from(u32::from(a)), u128::from(u32::from(b)), 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        _ => return range.to_string(),
    };
    let span = last.wrapping_sub(first);
    let prefix = if last < first {
        None
    } else if span == u128::MAX {
        Some(0)
    } else {
        let size = span + 1;
        (size.is_power_of_two() && first % size == 0).then(|| bits - size.trailing_zeros())
    };
    match prefix {
        Some(p) => format!("{}/{p}", range.first),
        None => range.to_string(),
    }
}

/// The edge of an allowed connection: the rules that allow it, sampled at
/// the first port of every allowed range (every rule that contributes a
/// range matches at some range's first port), for every pair of pods.
fn edge(
    src: &Subject,
    dst: &Subject,
    allowed: &PortSet,
    set: &PolicySet,
    lines: &BTreeMap<String, String>,
    tables: &mut EdgeTables,
) -> Result<Edge, TooLarge> {
    let mut samples: Vec<(Protocol, u16)> = Vec::new();
    for p in Protocol::ALL {
        samples.extend(allowed.ranges(p).iter().map(|r| (p, r.start)));
    }
    let mut egress = Sides::default();
    let mut ingress = Sides::default();
    for s in &src.endpoints {
        for d in &dst.endpoints {
            for &(protocol, port) in &samples {
                let v = set.evaluate(s, d, protocol, port);
                egress.add(v.egress);
                ingress.add(v.ingress);
            }
        }
    }
    egress.settle();
    ingress.settle();
    let known = tables
        .sets
        .get(&egress.matched)
        .and_then(|by| by.get(&ingress.matched));
    let rule_set = match known {
        Some(id) => *id,
        None => {
            let mut rules = Vec::new();
            for (direction, side) in [("egress", &egress), ("ingress", &ingress)] {
                for (policy, rule) in &side.matched {
                    let key = policy.to_string();
                    let at: Vec<String> = lines.get(&key).cloned().into_iter().collect();
                    rules.push(RuleRef {
                        policy: key,
                        direction: direction.to_string(),
                        rule: *rule,
                        origins: vec![EdgeSource::Allow],
                        lines: at,
                    });
                }
            }
            let id = tables.tables.rule_set(rules)?;
            tables
                .sets
                .entry(egress.matched.clone())
                .or_default()
                .insert(ingress.matched.clone(), id);
            id
        }
    };
    let trace = vec![
        tables.trace(&egress, Direction::Egress, &src.node)?,
        tables.trace(&ingress, Direction::Ingress, &dst.node)?,
    ];
    let (text, ranges) = port_text(allowed, &[]);
    Ok(Edge {
        id: format!("{} -> {}", src.node.id, dst.node.id),
        source: src.node.id.clone(),
        target: dst.node.id.clone(),
        ports: text,
        port_ranges: ranges,
        all_ports: allowed.is_full(),
        origins: vec![EdgeSource::Allow],
        rule_set,
        trace,
    })
}

/// The rules a side matched, by policy and rule index.
type Matched = Vec<(PolicyName, usize)>;

/// Trace lines by the policies that isolate a side, then by its rules.
type TracesBy = HashMap<Vec<PolicyName>, HashMap<Matched, usize>>;

/// The graph's tables, and what was put in them by what the evaluator
/// found: many edges match the same rules (every pair of pods that one
/// policy's rule allows), which are then turned into rule references and
/// trace lines once.
#[derive(Default)]
struct EdgeTables {
    tables: Tables,
    /// Egress rules → ingress rules → rule set.
    sets: HashMap<Matched, HashMap<Matched, usize>>,
    /// (direction, address, isolated) → isolating policies → rules → trace.
    traces: HashMap<(Direction, bool, bool), TracesBy>,
}

impl EdgeTables {
    fn trace(
        &mut self,
        side: &Sides,
        direction: Direction,
        node: &Node,
    ) -> Result<usize, TooLarge> {
        let kind = (direction, node.kind == NodeKind::External, side.isolated);
        let known = self
            .traces
            .get(&kind)
            .and_then(|by| by.get(&side.isolating))
            .and_then(|by| by.get(&side.matched));
        if let Some(id) = known {
            return Ok(*id);
        }
        let id = self.tables.trace(side.describe(direction, node))?;
        self.traces
            .entry(kind)
            .or_default()
            .entry(side.isolating.clone())
            .or_default()
            .insert(side.matched.clone(), id);
        Ok(id)
    }
}

/// One side of a connection over its samples.
#[derive(Default)]
struct Sides {
    verdicts: usize,
    isolated: bool,
    isolating: Vec<PolicyName>,
    matched: Matched,
}

impl Sides {
    fn add(&mut self, side: Side) {
        self.verdicts += 1;
        self.isolated |= side.isolated;
        self.isolating.extend(side.selecting);
        self.matched
            .extend(side.matched.into_iter().map(|r| (r.policy, r.rule)));
    }

    /// Sorted, each once.
    fn settle(&mut self) {
        // One verdict (one sample of one pair of pods, the most common)
        // lists each policy and rule once, in the evaluator's order.
        if self.verdicts > 1 {
            self.isolating.sort();
            self.isolating.dedup();
            self.matched.sort();
            self.matched.dedup();
        }
    }

    /// `the source's egress: isolated by web/a; allowed by web/a egress
    /// rule 0`, or `... not isolated`. The node is the edge's end, not
    /// named: edges with the same rules share the line.
    fn describe(&self, direction: Direction, node: &Node) -> String {
        let (head, who, dir) = match direction {
            Direction::Egress => ("the source's egress", "the source", "egress"),
            Direction::Ingress => ("the destination's ingress", "the destination", "ingress"),
        };
        if node.kind == NodeKind::External {
            return format!("{head}: {who} is an address, which no policy selects");
        }
        if !self.isolated {
            return format!("{head}: not isolated (no policy selects it for {dir})");
        }
        let list = |items: Vec<String>| items.join(", ");
        format!(
            "{head}: isolated by {}; allowed by {}",
            list(self.isolating.iter().map(ToString::to_string).collect()),
            list(
                self.matched
                    .iter()
                    .map(|(p, r)| format!("{p} {dir} rule {r}"))
                    .collect()
            )
        )
    }
}

/// A group per namespace, isolated in a direction when every workload
/// drawn in it is; then the addresses.
fn groups(nodes: &[Node]) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    for n in nodes {
        if out.last().is_some_and(|g| g.id == n.group) {
            let Some(g) = out.last_mut() else { continue };
            if let Some(iso) = g.isolation.as_mut() {
                iso.ingress &= !n.open_ingress();
                iso.egress &= !n.open_egress();
            }
            continue;
        }
        let external = n.kind == NodeKind::External;
        out.push(Group {
            id: n.group.clone(),
            kind: if external {
                GroupKind::External
            } else {
                GroupKind::Managed
            },
            labels: BTreeMap::new(),
            isolation: (!external).then(|| Isolation {
                ingress: !n.open_ingress(),
                egress: !n.open_egress(),
            }),
            only: Vec::new(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(first: &str, last: &str) -> IpRange {
        IpRange {
            first: first.parse().unwrap(),
            last: last.parse().unwrap(),
        }
    }

    #[test]
    fn ranges_are_written_as_cidrs_when_they_are_one() {
        assert_eq!(
            range_label(&range("0.0.0.0", "255.255.255.255")),
            "0.0.0.0/0"
        );
        assert_eq!(
            range_label(&range("10.0.0.0", "10.255.255.255")),
            "10.0.0.0/8"
        );
        assert_eq!(range_label(&range("10.0.0.7", "10.0.0.7")), "10.0.0.7/32");
        assert_eq!(
            range_label(&range("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")),
            "::/0"
        );
        assert_eq!(
            range_label(&range("10.0.0.1", "10.0.0.2")),
            "10.0.0.1-10.0.0.2"
        );
        assert_eq!(
            range_label(&range("10.0.0.0", "10.0.0.2")),
            "10.0.0.0-10.0.0.2"
        );
        assert_eq!(
            range_label(&range("11.0.0.0", "255.255.255.255")),
            "11.0.0.0-255.255.255.255"
        );
    }
}
