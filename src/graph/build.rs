//! Building the [`Graph`] of a compiled NPL program: the endpoints the
//! program names (with their representatives, `diff::semantic`), the
//! evaluator's verdict between every pair of them, and the traces
//! `npc explain` gives. The only module of `graph` that knows the compiler.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::networking::v1::NetworkPolicy;

use super::select::Selection;
use super::{
    Edge, EdgeSource, Expectation, Graph, Group, GroupKind, Isolation, Node, NodeKind, PolicyRef,
    PortRange, RuleRef, SideIsolation, Tables, TooLarge, EXTERNAL_GROUP,
};
use crate::diagnostic::{codes, Diagnostic};
use crate::diff::semantic::{program_endpoint_list, ProgramEndpoint};
use crate::eval::{Endpoint, NamedPort, PolicySet, PortSet, Protocol};
use crate::ir::{Peer, PortNumber, Ports, Program};
use crate::verify::describe;
use crate::verify::trace::{self, Direction, RuleTrace, SideTrace, Tracer};
use crate::Compilation;

/// Why a program has no graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// The program has errors other than failing `expect` lines (reported
    /// in its diagnostics).
    NotCompiled,
    /// The emitted policies cannot be read back: a defect in npc.
    Unevaluable(String),
    /// The selection names what the graph does not have.
    Selection(super::select::Error),
    /// The (selected) drawing is larger than its bounds.
    TooLarge(TooLarge),
}

impl From<TooLarge> for Error {
    fn from(e: TooLarge) -> Self {
        Error::TooLarge(e)
    }
}

/// The graph of a compiled program. A program whose only errors are failing
/// `expect` lines has a graph: it shows the failures.
pub fn build(compilation: &Compilation, title: &str) -> Result<Graph, Error> {
    build_selected(compilation, title, &Selection::default())
}

/// The part of the graph `selection` chooses (see [`Graph::select`]): only
/// the connections of the chosen nodes are computed, so a program too large
/// to draw whole can be drawn in parts. More connections than
/// [`super::MAX_EDGES`] are refused before any is built.
pub fn build_selected(
    compilation: &Compilation,
    title: &str,
    selection: &Selection,
) -> Result<Graph, Error> {
    let Some(program) = compilation.program.as_ref() else {
        return Err(Error::NotCompiled);
    };
    let errors: Vec<&Diagnostic> = compilation
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    if errors.iter().any(|d| d.code != codes::EXPECTATION_FAILED) {
        return Err(Error::NotCompiled);
    }
    // A failing expectation leaves the policies out of the output; the
    // graph shows them with the failures.
    let (policies, cluster, cilium) = if errors.is_empty() {
        (
            &compilation.policies,
            &compilation.cluster_policies,
            &compilation.cilium,
        )
    } else {
        (
            &compilation.unverified,
            &compilation.unverified_cluster,
            &compilation.unverified_cilium,
        )
    };
    let policies: &[NetworkPolicy] = policies;
    let unevaluable = |e: crate::eval::PolicyErrors| Error::Unevaluable(e.to_string());
    let mut set = PolicySet::from_slice(policies).map_err(unevaluable)?;
    set.extend_cilium(cilium).map_err(unevaluable)?;
    set.add_cluster(cluster).map_err(unevaluable)?;
    // What the namespaces' own policies allow, for the connections a tier
    // statement denies (drawn as `deny` edges).
    let namespaces_only = if cluster.is_empty() {
        None
    } else {
        let mut own = PolicySet::from_slice(policies).map_err(unevaluable)?;
        own.extend_cilium(cilium).map_err(unevaluable)?;
        Some(own)
    };
    let tracer = Tracer {
        program,
        provenance: &compilation.provenance,
        sources: &compilation.sources,
    };
    let found = program_endpoint_list(program);
    let builder = Builder {
        program,
        set: &set,
        tracer: &tracer,
        named_ports: &found.named_ports,
        port_starts: port_starts(program, &found.named_ports),
    };
    let mut endpoints: Vec<(Node, &ProgramEndpoint)> = found
        .endpoints
        .iter()
        .map(|e| (builder.node(e), e))
        .collect();
    endpoints.sort_by(|(a, _), (b, _)| {
        (group_rank(program, a), &a.group, &a.label).cmp(&(
            group_rank(program, b),
            &b.group,
            &b.label,
        ))
    });
    unique_ids(&mut endpoints);
    nest_ranges(&mut endpoints);
    let groups = groups(program, &endpoints);
    let chosen = chosen(&endpoints, &groups, selection).map_err(Error::Selection)?;
    // Between pods, every pair at once (the evaluator's matrix); pairs
    // with an address one by one.
    let pods: Vec<crate::eval::Pod> = endpoints
        .iter()
        .filter_map(|(_, e)| match &e.endpoint {
            Endpoint::Pod(p) => Some(p.clone()),
            Endpoint::Ip(_) | Endpoint::Name { .. } => None,
        })
        .collect();
    let matrix = set.matrix(&pods);
    let mut pod_index = Vec::with_capacity(endpoints.len());
    let mut next = 0;
    for (_, e) in &endpoints {
        pod_index.push(matches!(e.endpoint, Endpoint::Pod(_)).then(|| {
            next += 1;
            next - 1
        }));
    }
    // The connections to draw, and those a tier statement denies, counted
    // before any edge is built.
    let mut drawn: Vec<(usize, usize, PortSet)> = Vec::new();
    let mut denials: Vec<(usize, usize, PortSet)> = Vec::new();
    for (i, (src_node, src)) in endpoints.iter().enumerate() {
        for (j, (dst_node, dst)) in endpoints.iter().enumerate() {
            if !(chosen[i] || chosen[j]) {
                continue;
            }
            if src_node.kind == NodeKind::External && dst_node.kind == NodeKind::External {
                continue;
            }
            // Open on both sides: allowed without any rule (see `Edge`),
            // unless a tier statement decides some of it.
            let open = src_node.open_egress() && dst_node.open_ingress();
            if open && namespaces_only.is_none() {
                continue;
            }
            let allowed = match (pod_index[i], pod_index[j]) {
                (Some(a), Some(b)) => matrix.get(a, b).clone(),
                _ => set.allowed_ports(&src.endpoint, &dst.endpoint),
            };
            if let Some(own) = &namespaces_only {
                let denied = own
                    .allowed_ports(&src.endpoint, &dst.endpoint)
                    .difference(&allowed);
                if !denied.is_empty() {
                    denials.push((i, j, denied));
                }
            }
            if allowed.is_empty() || (open && allowed.is_full()) {
                continue;
            }
            drawn.push((i, j, allowed));
        }
    }
    let count = drawn.len() + denials.len();
    if count > super::MAX_EDGES {
        return Err(Error::TooLarge(TooLarge::Edges(count)));
    }
    drop(matrix);
    let mut tables = Tables::default();
    let mut edges = Vec::with_capacity(count);
    for (i, j, denied) in denials {
        let (Some((src_node, src)), Some((dst_node, dst))) = (endpoints.get(i), endpoints.get(j))
        else {
            continue;
        };
        edges.push(builder.denied_edge(src_node, src, dst_node, dst, &denied, &mut tables)?);
    }
    for (i, j, allowed) in drawn {
        let (Some((src_node, src)), Some((dst_node, dst))) = (endpoints.get(i), endpoints.get(j))
        else {
            continue;
        };
        edges.push(builder.edge(src_node, src, dst_node, dst, &allowed, &mut tables)?);
    }
    let mut g = Graph {
        title: title.to_string(),
        of: super::Source::Program,
        ..Graph::default()
    };
    tables.into_graph(&mut g);
    let edges = without_repeated_ranges(edges, &endpoints, &g);
    let expectations = program
        .expectations
        .iter()
        .map(|e| expectation(e, compilation, &endpoints))
        .collect();
    g.groups = groups;
    g.nodes = endpoints.into_iter().map(|(n, _)| n).collect();
    g.edges = edges;
    g.expectations = expectations;
    if selection.namespaces.is_empty() && selection.focus.is_empty() {
        return Ok(g);
    }
    // Drops the nodes, groups and expectations the selection leaves out,
    // and the rules and traces no edge kept names.
    g.select(selection).map_err(Error::Selection)
}

/// For each endpoint, whether the selection chooses it (every one for an
/// empty selection); the selection's names must exist.
fn chosen(
    endpoints: &[(Node, &ProgramEndpoint)],
    groups: &[Group],
    selection: &Selection,
) -> Result<Vec<bool>, super::select::Error> {
    if selection.namespaces.is_empty() && selection.focus.is_empty() {
        return Ok(vec![true; endpoints.len()]);
    }
    // The names are checked as `select` checks them.
    let probe = Graph {
        groups: groups.to_vec(),
        nodes: endpoints.iter().map(|(n, _)| n.clone()).collect(),
        ..Graph::default()
    };
    probe.select(selection)?;
    Ok(endpoints
        .iter()
        .map(|(n, _)| selection.namespaces.contains(&n.group) || selection.focus.contains(&n.id))
        .collect())
}

struct Builder<'a> {
    program: &'a Program,
    set: &'a PolicySet,
    tracer: &'a Tracer<'a>,
    named_ports: &'a [NamedPort],
    /// The first port of every port the program's rules name.
    port_starts: BTreeSet<(Protocol, u16)>,
}

impl Builder<'_> {
    fn node(&self, e: &ProgramEndpoint) -> Node {
        let wl = &self.program.settings.workload_label;
        let stands_for: Vec<String> = e.peers.iter().map(|p| peer_text(p, wl)).collect();
        match &e.endpoint {
            Endpoint::Ip(_) | Endpoint::Name { .. } => {
                let label = stands_for.join(", ");
                Node {
                    id: label.clone(),
                    group: EXTERNAL_GROUP.to_string(),
                    label,
                    kind: NodeKind::External,
                    description: e.description.clone(),
                    stands_for,
                    inside: Vec::new(),
                    ingress: None,
                    egress: None,
                }
            }
            Endpoint::Pod(pod) => {
                let (label, kind) = pod_label(&pod.labels, wl);
                let group = self.group_of(e, &pod.namespace);
                // Both sides of the pod, from one verdict with itself.
                let v = self
                    .set
                    .evaluate(&e.endpoint, &e.endpoint, Protocol::Tcp, 1);
                let side = |s, d| {
                    let t = self.tracer.side(s, d, &e.endpoint, &e.endpoint);
                    SideIsolation {
                        isolated: t.isolated,
                        policies: t
                            .isolated_by
                            .into_iter()
                            .map(|p| PolicyRef {
                                policy: p.policy,
                                lines: p.lines,
                            })
                            .collect(),
                    }
                };
                Node {
                    id: e.name.clone(),
                    group,
                    label,
                    kind,
                    description: e.description.clone(),
                    stands_for,
                    inside: Vec::new(),
                    ingress: Some(side(&v.ingress, Direction::Ingress)),
                    egress: Some(side(&v.egress, Direction::Egress)),
                }
            }
        }
    }

    /// The group of a pod: its namespace, or the label set that chose a
    /// namespace the program does not name.
    fn group_of(&self, e: &ProgramEndpoint, namespace: &str) -> String {
        e.namespace_set
            .clone()
            .unwrap_or_else(|| namespace.to_string())
    }

    /// The edge from `s` to `d`, which some rule allows `allowed` on.
    fn edge(
        &self,
        s_node: &Node,
        s: &ProgramEndpoint,
        d_node: &Node,
        d: &ProgramEndpoint,
        allowed: &PortSet,
        tables: &mut Tables,
    ) -> Result<Edge, TooLarge> {
        let mut egress: Option<SideTrace> = None;
        let mut ingress: Option<SideTrace> = None;
        for (protocol, port) in self.samples(allowed) {
            let v = self.set.evaluate(&s.endpoint, &d.endpoint, protocol, port);
            let e = self
                .tracer
                .side(&v.egress, Direction::Egress, &s.endpoint, &d.endpoint);
            let i = self
                .tracer
                .side(&v.ingress, Direction::Ingress, &s.endpoint, &d.endpoint);
            merge(&mut egress, e);
            merge(&mut ingress, i);
        }
        let sides: Vec<SideTrace> = egress.into_iter().chain(ingress).collect();
        let mut origins = BTreeSet::new();
        let mut rules = Vec::new();
        for side in &sides {
            for t in &side.tiers {
                let decided = side.step == Some(t.tier);
                let o = match (t.action, decided) {
                    ("accept", true) => EdgeSource::Accept,
                    ("pass", _) => EdgeSource::Pass,
                    _ => continue,
                };
                origins.insert(o);
                rules.push(RuleRef {
                    policy: t.policy.clone(),
                    direction: t.direction.as_str().to_string(),
                    rule: t.rule,
                    origins: vec![o],
                    lines: t.lines.clone(),
                });
            }
            for r in &side.allowed_by {
                let kinds: BTreeSet<EdgeSource> =
                    r.origins.iter().filter_map(|k| origin(k)).collect();
                origins.extend(kinds.iter().copied());
                rules.push(RuleRef {
                    policy: r.policy.clone(),
                    direction: r.direction.as_str().to_string(),
                    rule: r.rule,
                    origins: kinds.into_iter().collect(),
                    lines: r.lines.clone(),
                });
            }
        }
        let (text, ranges) = port_text(allowed, self.named_ports);
        let traffic = describe::port_set(allowed);
        let mut trace = Vec::with_capacity(sides.len());
        for t in &sides {
            trace.push(tables.trace(trace::describe(t, &traffic))?);
        }
        Ok(Edge {
            id: format!("{} -> {}", s_node.id, d_node.id),
            source: s_node.id.clone(),
            target: d_node.id.clone(),
            ports: text,
            port_ranges: ranges,
            all_ports: allowed.is_full(),
            origins: origins.into_iter().collect(),
            rule_set: tables.rule_set(rules)?,
            trace,
        })
    }

    /// A `deny` edge: the ports the namespaces' own policies allow from `s`
    /// to `d` that a tier statement denies, with the trace of the first.
    fn denied_edge(
        &self,
        s_node: &Node,
        s: &ProgramEndpoint,
        d_node: &Node,
        d: &ProgramEndpoint,
        denied: &PortSet,
        tables: &mut Tables,
    ) -> Result<Edge, TooLarge> {
        let mut rules = Vec::new();
        let mut trace = Vec::new();
        if let Some((protocol, port)) = describe::first(denied) {
            let v = self.set.evaluate(&s.endpoint, &d.endpoint, protocol, port);
            for (side, direction) in [
                (&v.egress, Direction::Egress),
                (&v.ingress, Direction::Ingress),
            ] {
                let t = self.tracer.side(side, direction, &s.endpoint, &d.endpoint);
                for r in t
                    .tiers
                    .iter()
                    .filter(|r| r.action == "deny" && t.step == Some(r.tier))
                {
                    rules.push(RuleRef {
                        policy: r.policy.clone(),
                        direction: r.direction.as_str().to_string(),
                        rule: r.rule,
                        origins: vec![EdgeSource::Deny],
                        lines: r.lines.clone(),
                    });
                }
                trace.push(tables.trace(trace::describe(&t, &describe::port(protocol, port)))?);
            }
        }
        let (text, ranges) = port_text(denied, self.named_ports);
        Ok(Edge {
            id: format!("{} -x {}", s_node.id, d_node.id),
            source: s_node.id.clone(),
            target: d_node.id.clone(),
            ports: text,
            port_ranges: ranges,
            all_ports: denied.is_full(),
            origins: vec![EdgeSource::Deny],
            rule_set: tables.rule_set(rules)?,
            trace,
        })
    }

    /// The ports at which the rules that allow a connection are sampled:
    /// the first port of each allowed range, and the first port of every
    /// port the program names that is allowed. Every rule that contributes
    /// to `allowed` matches at one of them.
    fn samples(&self, allowed: &PortSet) -> Vec<(Protocol, u16)> {
        let mut out: BTreeSet<(Protocol, u16)> = BTreeSet::new();
        for p in Protocol::ALL {
            out.extend(allowed.ranges(p).iter().map(|r| (p, r.start)));
        }
        out.extend(
            self.port_starts
                .iter()
                .filter(|(p, n)| allowed.contains(*p, *n)),
        );
        out.into_iter().collect()
    }
}

/// The allowed ports as text and ranges, with named ports (at the numbers
/// the representatives give them) by name: `TCP 8080,metrics; UDP 53`, or
/// `all`.
pub fn port_text(allowed: &PortSet, named_ports: &[NamedPort]) -> (String, Vec<PortRange>) {
    if allowed.is_full() {
        return ("all".to_string(), Vec::new());
    }
    let mut ranges = Vec::new();
    let mut parts = Vec::new();
    for p in Protocol::ALL {
        let list = allowed.ranges(p);
        if list.is_empty() {
            continue;
        }
        if list.len() == 1 && list[0].start == 1 && list[0].end == u16::MAX {
            parts.push(format!("{p} all"));
            ranges.push(PortRange {
                protocol: p.to_string(),
                start: 1,
                end: u16::MAX,
                name: None,
            });
            continue;
        }
        let mut items = Vec::new();
        for r in list {
            for piece in split_named(named_ports, p, r.start, r.end) {
                items.push(match (&piece.name, piece.start == piece.end) {
                    (Some(name), _) => name.clone(),
                    (None, true) => piece.start.to_string(),
                    (None, false) => format!("{}-{}", piece.start, piece.end),
                });
                ranges.push(piece);
            }
        }
        parts.push(format!("{p} {}", items.join(",")));
    }
    (parts.join("; "), ranges)
}

/// A range cut at the numbers the representatives give named ports.
fn split_named(
    named_ports: &[NamedPort],
    protocol: Protocol,
    start: u16,
    end: u16,
) -> Vec<PortRange> {
    let mut named: Vec<&NamedPort> = named_ports
        .iter()
        .filter(|np| np.protocol == protocol && (start..=end).contains(&np.number))
        .collect();
    named.sort_by_key(|np| np.number);
    let range = |a: u16, b: u16, name: Option<String>| PortRange {
        protocol: protocol.to_string(),
        start: a,
        end: b,
        name,
    };
    let mut out = Vec::new();
    let mut next = u32::from(start);
    for np in named {
        if u32::from(np.number) > next {
            out.push(range(next as u16, np.number - 1, None));
        }
        out.push(range(np.number, np.number, Some(np.name.clone())));
        next = u32::from(np.number) + 1;
    }
    if next <= u32::from(end) {
        out.push(range(next as u16, end, None));
    }
    out
}

/// The first port of every port the rules of the program name (a named
/// port at the number the representatives give it).
fn port_starts(program: &Program, named_ports: &[NamedPort]) -> BTreeSet<(Protocol, u16)> {
    let mut out = BTreeSet::new();
    for rule in &program.rules {
        for (_, ports) in &rule.destinations {
            let Ports::Only(list) = ports else { continue };
            for port in list {
                let proto = port.protocol;
                let first = match &port.number {
                    PortNumber::Single(n) | PortNumber::Range(n, _) => Some(*n),
                    PortNumber::Named(name) => named_ports
                        .iter()
                        .find(|np| &np.name == name && np.protocol == proto)
                        .map(|np| np.number),
                };
                out.extend(first.map(|n| (proto, n)));
            }
        }
    }
    out
}

/// Folds one sample's side trace into the edge's: the rules of every sample.
fn merge(acc: &mut Option<SideTrace>, t: SideTrace) {
    let Some(a) = acc else {
        *acc = Some(t);
        return;
    };
    for r in t.allowed_by {
        match a
            .allowed_by
            .iter_mut()
            .find(|x| x.policy == r.policy && x.rule == r.rule)
        {
            Some(known) => merge_rule(known, r),
            None => a.allowed_by.push(r),
        }
    }
}

fn merge_rule(known: &mut RuleTrace, r: RuleTrace) {
    for l in r.lines {
        if !known.lines.contains(&l) {
            known.lines.push(l);
        }
    }
    for o in r.origins {
        if !known.origins.contains(&o) {
            known.origins.push(o);
        }
    }
}

fn origin(kind: &str) -> Option<EdgeSource> {
    match kind {
        "allow" => Some(EdgeSource::Allow),
        "dns" | "dns-server" => Some(EdgeSource::Dns),
        "scrape" => Some(EdgeSource::Scrape),
        _ => None,
    }
}

/// A peer as NPL writes it; the two halves of `world` by family.
fn peer_text(p: &Peer, workload_label: &str) -> String {
    match p {
        Peer::Ip(b) if b.except.is_empty() && b.cidr.is_everything() => {
            let family = if b.cidr.is_ipv4() { "IPv4" } else { "IPv6" };
            format!("world ({family})")
        }
        _ => describe::peer(p, workload_label),
    }
}

/// The name of a pod inside its group, and what kind of endpoint it is.
fn pod_label(labels: &BTreeMap<String, String>, workload_label: &str) -> (String, NodeKind) {
    match labels.get(workload_label) {
        Some(w) if labels.len() == 1 => (w.clone(), NodeKind::Workload),
        _ if labels.is_empty() => ("*".to_string(), NodeKind::AllPods),
        _ => {
            let list: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            (format!("{{{}}}", list.join(", ")), NodeKind::LabelSet)
        }
    }
}

/// Groups in display order: managed namespaces, other named namespaces,
/// label-chosen namespaces, addresses.
fn group_rank(program: &Program, n: &Node) -> GroupKind {
    if n.kind == NodeKind::External {
        GroupKind::External
    } else if program.namespaces.contains_key(&n.group) {
        GroupKind::Managed
    } else if n.group.starts_with('{') || n.group == "*" {
        GroupKind::Selected
    } else {
        GroupKind::Unmanaged
    }
}

fn groups(program: &Program, endpoints: &[(Node, &ProgramEndpoint)]) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    for (n, e) in endpoints {
        if out.iter().any(|g| g.id == n.group) {
            continue;
        }
        let kind = group_rank(program, n);
        let managed = program.namespaces.get(&n.group);
        let labels = match (&e.endpoint, managed) {
            (_, Some(m)) => m.labels.clone(),
            (Endpoint::Pod(pod), None) if kind == GroupKind::Selected => {
                pod.namespace_labels.clone()
            }
            _ => BTreeMap::new(),
        };
        let mut labels = labels;
        labels.remove(crate::k8s::NAMESPACE_NAME_LABEL);
        out.push(Group {
            id: n.group.clone(),
            kind,
            labels,
            isolation: managed.map(|m| Isolation {
                ingress: m.isolation.ingress,
                egress: m.isolation.egress,
            }),
            only: managed
                .map(|m| only_words(m, &program.settings.workload_label))
                .unwrap_or_default(),
        });
    }
    out
}

/// The directions of a managed namespace limited to pod sets, as words
/// (`ingress of db, {tier=backend} only`).
fn only_words(ns: &crate::ir::ManagedNamespace, workload_label: &str) -> Vec<String> {
    [
        (crate::k8s::Direction::Ingress, "ingress"),
        (crate::k8s::Direction::Egress, "egress"),
    ]
    .into_iter()
    .filter(|(d, _)| ns.limited(*d))
    .map(|(d, word)| {
        let sets: Vec<String> = ns.sets(d).map(|s| s.describe(workload_label)).collect();
        format!("{word} of {} only", sets.join(", "))
    })
    .collect()
}

/// The first IP block an address node stands for.
fn block(e: &ProgramEndpoint) -> Option<&crate::k8s::IpBlock> {
    e.peers.iter().find_map(|p| match p {
        Peer::Ip(b) => Some(b),
        Peer::Pods { .. } | Peer::Name(_) => None,
    })
}

/// Whether every address of `inner` lies in `outer` (in its CIDR, outside
/// its `except` ranges), and `outer` is wider.
fn strictly_inside(inner: &crate::k8s::IpBlock, outer: &crate::k8s::IpBlock) -> bool {
    let (i, o) = (inner.cidr, outer.cidr);
    // CIDRs are nested or disjoint: an `except` that meets `inner` covers
    // it or lies in it.
    let clear = outer.except.iter().all(|x| !x.covers(i) && !i.covers(*x));
    o.strictly_contains(i) && clear
}

/// Fills `Node::inside` for address nodes.
fn nest_ranges(endpoints: &mut [(Node, &ProgramEndpoint)]) {
    let blocks: Vec<(String, Option<crate::k8s::IpBlock>)> = endpoints
        .iter()
        .map(|(n, e)| (n.id.clone(), block(e).cloned()))
        .collect();
    for (n, e) in endpoints.iter_mut() {
        let Some(inner) = block(e) else { continue };
        n.inside = blocks
            .iter()
            .filter(|(_, b)| {
                b.as_ref()
                    .is_some_and(|outer| strictly_inside(inner, outer))
            })
            .map(|(id, _)| id.clone())
            .collect();
    }
}

/// Drops the edges to or from an address range that repeat the edge to or
/// from a wider range it lies in (same ports, same lines).
fn without_repeated_ranges(
    edges: Vec<Edge>,
    endpoints: &[(Node, &ProgramEndpoint)],
    g: &Graph,
) -> Vec<Edge> {
    let by_pair: BTreeMap<(&str, &str), &Edge> = edges
        .iter()
        .map(|e| ((e.source.as_str(), e.target.as_str()), e))
        .collect();
    let inside = |id: &str| -> &[String] {
        endpoints
            .iter()
            .find(|(n, _)| n.id == id)
            .map_or(&[], |(n, _)| n.inside.as_slice())
    };
    let same = |a: &Edge, b: Option<&&Edge>| {
        b.is_some_and(|b| a.ports == b.ports && g.edge_lines(a) == g.edge_lines(b))
    };
    let keep: Vec<bool> = edges
        .iter()
        .map(|e| {
            let to_wider = inside(&e.target)
                .iter()
                .any(|w| same(e, by_pair.get(&(e.source.as_str(), w.as_str()))));
            let from_wider = inside(&e.source)
                .iter()
                .any(|w| same(e, by_pair.get(&(w.as_str(), e.target.as_str()))));
            !(to_wider || from_wider)
        })
        .collect();
    edges
        .into_iter()
        .zip(keep)
        .filter_map(|(e, k)| k.then_some(e))
        .collect()
}

/// Makes node ids unique (`#2`, `#3`, ... on repeats), keeping order.
fn unique_ids(endpoints: &mut [(Node, &ProgramEndpoint)]) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (n, _) in endpoints.iter_mut() {
        let count = seen.entry(n.id.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            n.id = format!("{} #{count}", n.id);
        }
    }
}

fn expectation(
    e: &crate::ir::Expectation,
    compilation: &Compilation,
    endpoints: &[(Node, &ProgramEndpoint)],
) -> Expectation {
    let nodes = |peers: &[Peer]| -> Vec<String> {
        endpoints
            .iter()
            .filter(|(_, ep)| peers.iter().any(|p| ep.peers.contains(p)))
            .map(|(n, _)| n.id.clone())
            .collect()
    };
    let failure: Vec<String> = compilation
        .diagnostics
        .iter()
        .filter(|d| d.code == codes::EXPECTATION_FAILED && d.span == e.span)
        .flat_map(|d| std::iter::once(d.message.clone()).chain(d.notes.iter().cloned()))
        .collect();
    let text = compilation
        .sources
        .snippet(e.span)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    Expectation {
        text,
        location: compilation.sources.location(e.span),
        allow: e.allow,
        ports: e
            .ports
            .as_ref()
            .map_or_else(|| "every port".to_string(), describe::ports),
        holds: failure.is_empty(),
        sources: nodes(&e.sources),
        targets: nodes(&e.destinations),
        failure,
    }
}
