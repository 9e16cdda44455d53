//! `npc graph`: who may talk to whom, as a picture. A model that knows no
//! rendering ([`Graph`], plain data), a builder from a compiled NPL program
//! ([`build`]) and from existing manifests' analysis ([`manifests`]), a
//! selection of the parts to show ([`select`]), and pure,
//! deterministic renderers: Graphviz DOT ([`dot`]), Mermaid ([`mermaid`])
//! and one self-contained HTML page ([`html`]).
//!
//! The model holds no NPL types: a connectivity result computed from
//! existing manifests converts into it as well (traces and `.npl` lines are
//! then left empty).

pub mod build;
pub mod dot;
pub mod html;
pub mod manifests;
pub mod mermaid;
pub mod select;

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

/// Endpoints grouped by namespace and the connections allowed between them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Graph {
    /// What the graph is of (the input files).
    pub title: String,
    /// A program's connectivity, or existing manifests'.
    pub of: Source,
    pub groups: Vec<Group>,
    /// Sorted by group, then label.
    pub nodes: Vec<Node>,
    /// Sorted by source, then target, in node order.
    pub edges: Vec<Edge>,
    /// In source order.
    pub expectations: Vec<Expectation>,
    /// Every rule some edge names, once ([`Edge::rule_set`]).
    pub rules: Vec<RuleRef>,
    /// Every list of rules some edge names, once: an edge refers to its
    /// rules, so a rule that allows many connections is not repeated on
    /// each.
    pub rule_sets: Vec<RuleSet>,
    /// Every trace line some edge names, once ([`Edge::trace`]).
    pub traces: Vec<String>,
}

/// The rules that allow a connection, and their lines.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct RuleSet {
    /// Indices into [`Graph::rules`]: the source's egress rules, then the
    /// destination's ingress rules.
    pub rules: Vec<usize>,
    /// The `.npl` (or manifest) lines of those rules, each once, in order.
    pub lines: Vec<String>,
}

/// The most connections a drawing holds: more is no picture anyone can
/// read, and the page, DOT and Mermaid grow with them.
pub const MAX_EDGES: usize = 50_000;
/// The most bytes of rules and trace lines (each counted once) the edges
/// of a drawing may name.
pub const MAX_TABLE_BYTES: usize = 64 << 20;

/// A drawing larger than its bounds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TooLarge {
    /// More connections than [`MAX_EDGES`].
    Edges(usize),
    /// Rules and traces past [`MAX_TABLE_BYTES`].
    Details,
}

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TooLarge::Edges(n) => write!(
                f,
                "the drawing would have {n} connections, more than the limit of {MAX_EDGES}"
            ),
            TooLarge::Details => write!(
                f,
                "the rules and traces of the drawing's connections would take more than {} MiB",
                MAX_TABLE_BYTES >> 20
            ),
        }
    }
}

impl std::error::Error for TooLarge {}

/// Collects the rules, rule lists and trace lines of a graph's edges,
/// each once, within [`MAX_TABLE_BYTES`].
#[derive(Default)]
pub struct Tables {
    rules: Vec<RuleRef>,
    rule_ids: HashMap<RuleRef, usize>,
    rule_sets: Vec<RuleSet>,
    set_ids: HashMap<RuleSet, usize>,
    traces: Vec<String>,
    trace_ids: HashMap<String, usize>,
    bytes: usize,
}

impl Tables {
    fn grow(&mut self, bytes: usize) -> Result<(), TooLarge> {
        self.bytes = self.bytes.saturating_add(bytes);
        if self.bytes > MAX_TABLE_BYTES {
            return Err(TooLarge::Details);
        }
        Ok(())
    }

    /// The index of a list of rules (lines taken from the rules).
    pub fn rule_set(&mut self, rules: Vec<RuleRef>) -> Result<usize, TooLarge> {
        let mut set = RuleSet::default();
        for r in rules {
            for l in &r.lines {
                if !set.lines.contains(l) {
                    set.lines.push(l.clone());
                }
            }
            let id = match self.rule_ids.get(&r) {
                Some(id) => *id,
                None => {
                    self.grow(
                        64 + r.policy.len() + r.lines.iter().map(String::len).sum::<usize>(),
                    )?;
                    let id = self.rules.len();
                    self.rules.push(r.clone());
                    self.rule_ids.insert(r, id);
                    id
                }
            };
            set.rules.push(id);
        }
        if let Some(id) = self.set_ids.get(&set) {
            return Ok(*id);
        }
        self.grow(32 + 8 * set.rules.len() + set.lines.iter().map(String::len).sum::<usize>())?;
        let id = self.rule_sets.len();
        self.rule_sets.push(set.clone());
        self.set_ids.insert(set, id);
        Ok(id)
    }

    /// The index of a trace line.
    pub fn trace(&mut self, line: String) -> Result<usize, TooLarge> {
        if let Some(id) = self.trace_ids.get(&line) {
            return Ok(*id);
        }
        self.grow(32 + line.len())?;
        let id = self.traces.len();
        self.traces.push(line.clone());
        self.trace_ids.insert(line, id);
        Ok(id)
    }

    /// Puts the tables into the graph whose edges refer to them.
    pub fn into_graph(self, g: &mut Graph) {
        g.rules = self.rules;
        g.rule_sets = self.rule_sets;
        g.traces = self.traces;
    }
}

/// What a graph was drawn from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// An NPL program (`npc graph`): edges come from `allow` statements
    /// and carve-outs, with `.npl` lines and `expect` lines.
    #[default]
    Program,
    /// Existing manifests (`npc analyze`): edges come from NetworkPolicy
    /// rules, with manifest lines.
    Manifests,
}

impl Source {
    /// The command that draws it, for titles.
    pub fn command(self) -> &'static str {
        match self {
            Source::Program => "npc graph",
            Source::Manifests => "npc analyze",
        }
    }

    /// What the `allow` origin stands for.
    pub fn allow_text(self) -> &'static str {
        match self {
            Source::Program => "allowed by an allow statement",
            Source::Manifests => "allowed by a NetworkPolicy rule",
        }
    }
}

/// What a group of nodes is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupKind {
    /// A namespace the program manages (declares with `namespace`).
    Managed,
    /// A namespace the program names but does not manage.
    Unmanaged,
    /// Namespaces the program does not manage, chosen by labels
    /// (`{team=ops}/*`); the group's id is the label set.
    Selected,
    /// Addresses outside the cluster: IP blocks and `world`.
    External,
}

/// A namespace (or a set of namespaces, or the addresses) and its nodes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Group {
    /// The namespace name, a namespace label set (`{team=ops}`, `*`), or
    /// [`EXTERNAL_GROUP`].
    pub id: String,
    pub kind: GroupKind,
    /// The namespace's labels as the program declares them (without
    /// `kubernetes.io/metadata.name`).
    pub labels: BTreeMap<String, String>,
    /// The isolated directions of a managed namespace.
    pub isolation: Option<Isolation>,
    /// The directions `isolate ... only` limits to pod sets, as words
    /// (`ingress of db, {tier=backend} only`); empty for every other group.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub only: Vec<String>,
}

/// The id of the group of addresses.
pub const EXTERNAL_GROUP: &str = "external";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Isolation {
    pub ingress: bool,
    pub egress: bool,
}

/// What a node stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeKind {
    /// The pods of one workload (`web/frontend`).
    Workload,
    /// Pods chosen by a label set (`payments/{tier=db}`).
    LabelSet,
    /// Any pod of the namespace (`web/*`).
    AllPods,
    /// An address range (`10.0.0.0/8`, `world`).
    External,
}

/// One endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Node {
    /// Unique: `web/frontend`, `{team=ops}/*`, `10.0.0.0/8`.
    pub id: String,
    /// The id of its group.
    pub group: String,
    /// Its name inside the group: `frontend`, `{tier=db}`, `*`, `10.0.0.0/8`.
    pub label: String,
    pub kind: NodeKind,
    /// The concrete pod or address the connections were computed for:
    /// ``a pod in `web` with labels `app=frontend` ``.
    pub description: String,
    /// The endpoints of the program it stands for, as NPL writes them.
    pub stands_for: Vec<String>,
    /// For an address range: the ids of the wider ranges it lies in.
    pub inside: Vec<String>,
    /// Its ingress side (as a destination); `None` for an address, which no
    /// policy selects.
    pub ingress: Option<SideIsolation>,
    /// Its egress side (as a source); `None` for an address.
    pub egress: Option<SideIsolation>,
}

impl Node {
    /// No policy restricts connections into it: every source may connect
    /// as far as this side is concerned.
    pub fn open_ingress(&self) -> bool {
        self.ingress.as_ref().is_none_or(|s| !s.isolated)
    }

    /// No policy restricts connections out of it.
    pub fn open_egress(&self) -> bool {
        self.egress.as_ref().is_none_or(|s| !s.isolated)
    }
}

/// Whether policies isolate one direction of a node, and which.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SideIsolation {
    pub isolated: bool,
    pub policies: Vec<PolicyRef>,
}

/// A policy and the `.npl` lines it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyRef {
    /// `namespace/name`
    pub policy: String,
    /// `file:line`
    pub lines: Vec<String>,
}

/// Where the rules that allow a connection come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EdgeSource {
    /// A tier `deny` that removes what the namespaces' own policies allow
    /// (the ports of such an edge are the ones denied).
    Deny,
    /// A tier `accept` that decided a side.
    Accept,
    /// An admin `pass` that handed a side to the namespaces' own policies.
    Pass,
    /// An `allow` statement.
    Allow,
    /// The DNS carve-out (egress to the DNS servers, or their ingress from the cluster).
    Dns,
    /// The monitoring carve-out of a `scrape` statement.
    Scrape,
}

impl EdgeSource {
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeSource::Deny => "deny",
            EdgeSource::Accept => "accept",
            EdgeSource::Pass => "pass",
            EdgeSource::Allow => "allow",
            EdgeSource::Dns => "dns",
            EdgeSource::Scrape => "scrape",
        }
    }
}

/// A range of ports of one protocol; a named port is a range of one port.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PortRange {
    /// `TCP`, `UDP`, `SCTP`
    pub protocol: String,
    pub start: u16,
    pub end: u16,
    /// The named container port, when the program names it rather than a number.
    pub name: Option<String>,
}

/// An allowed connection from one node to another (or to itself: between
/// two pods of the same endpoint).
///
/// An edge is listed when the connection is allowed and at least one side
/// is isolated, i.e. some rule decided it. Between a node with open egress
/// and a node with open ingress everything is allowed without any rule;
/// such pairs are implied by the nodes (`open_egress`, `open_ingress`) and
/// not listed. Nor is an edge to (or from) an address range that repeats,
/// with the same ports and lines, the edge to (from) a wider range it lies
/// in (`Node::inside`): the wider range's edge stands for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edge {
    /// `source -> target`
    pub id: String,
    pub source: String,
    pub target: String,
    /// Every allowed port: `TCP 8080,metrics; UDP 53`, or `all`.
    pub ports: String,
    /// The same as ranges; empty when `all_ports`.
    pub port_ranges: Vec<PortRange>,
    pub all_ports: bool,
    /// The origins of the rules that allow it, `allow` first.
    pub origins: Vec<EdgeSource>,
    /// The rules that allow it, and their lines: an index into
    /// [`Graph::rule_sets`].
    pub rule_set: usize,
    /// The trace as `npc explain` words it, one line per side: indices
    /// into [`Graph::traces`].
    pub trace: Vec<usize>,
}

impl Edge {
    /// The edge's label in pictures: its ports, after its origins unless it
    /// comes from `allow` statements only (`dns: TCP 53; UDP 53`).
    pub fn label(&self) -> String {
        if self.origins.is_empty() || self.origins == [EdgeSource::Allow] {
            return self.ports.clone();
        }
        let names: Vec<&str> = self.origins.iter().map(|o| o.as_str()).collect();
        format!("{}: {}", names.join(", "), self.ports)
    }

    /// The origin that decides how the edge is drawn.
    pub fn style_origin(&self) -> Option<EdgeSource> {
        self.origins.first().copied()
    }
}

/// One rule of an emitted policy.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct RuleRef {
    /// `namespace/name`
    pub policy: String,
    /// `egress` or `ingress`
    pub direction: String,
    /// Index into the policy's `spec.egress` / `spec.ingress`.
    pub rule: usize,
    pub origins: Vec<EdgeSource>,
    pub lines: Vec<String>,
}

/// An `expect` line and whether it holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Expectation {
    /// As written: `expect deny web/frontend -> db:5432`.
    pub text: String,
    /// `file:line`
    pub location: String,
    pub allow: bool,
    /// The ports it is about: `TCP 5432`, `every port`.
    pub ports: String,
    pub holds: bool,
    /// The nodes its source and destination stand for.
    pub sources: Vec<String>,
    pub targets: Vec<String>,
    /// Why it fails: the compiler's message and notes.
    pub failure: Vec<String>,
}

impl Graph {
    /// The rules that allow an edge's connection.
    pub fn edge_rules(&self, e: &Edge) -> Vec<&RuleRef> {
        self.rule_sets
            .get(e.rule_set)
            .map(|s| s.rules.iter().filter_map(|i| self.rules.get(*i)).collect())
            .unwrap_or_default()
    }

    /// The lines of the rules that allow an edge's connection.
    pub fn edge_lines(&self, e: &Edge) -> &[String] {
        self.rule_sets
            .get(e.rule_set)
            .map_or(&[], |s| s.lines.as_slice())
    }

    /// An edge's trace, one line per side.
    pub fn edge_trace(&self, e: &Edge) -> Vec<&str> {
        e.trace
            .iter()
            .filter_map(|i| self.traces.get(*i).map(String::as_str))
            .collect()
    }

    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// The position of each node in `nodes`, by id.
    pub fn index(&self) -> BTreeMap<&str, usize> {
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.as_str(), i))
            .collect()
    }

    /// The groups in display order, with their nodes.
    pub fn grouped(&self) -> Vec<(&Group, Vec<&Node>)> {
        self.groups
            .iter()
            .map(|g| (g, self.nodes.iter().filter(|n| n.group == g.id).collect()))
            .collect()
    }
}

/// How a group is titled in pictures: `web`, `kube-system (not managed)`.
pub fn group_title(g: &Group) -> String {
    match g.kind {
        GroupKind::Managed => {
            let iso = g.isolation.unwrap_or_default();
            if !g.only.is_empty() {
                let whole: Vec<&str> = [("ingress", iso.ingress), ("egress", iso.egress)]
                    .into_iter()
                    .filter(|(w, on)| *on && !g.only.iter().any(|o| o.starts_with(w)))
                    .map(|(w, _)| w)
                    .collect();
                let mut parts = g.only.clone();
                if !whole.is_empty() {
                    parts.push(format!("{} isolated", whole.join(", ")));
                }
                return format!("{} ({})", g.id, parts.join("; "));
            }
            let dirs = match (iso.ingress, iso.egress) {
                (true, true) => "ingress, egress isolated",
                (true, false) => "ingress isolated",
                (false, true) => "egress isolated",
                (false, false) => "not isolated",
            };
            format!("{} ({dirs})", g.id)
        }
        GroupKind::Unmanaged => format!("{} (not managed)", g.id),
        GroupKind::Selected if g.id == "*" => "other namespaces (not managed)".to_string(),
        GroupKind::Selected => format!("namespaces {} (not managed)", g.id),
        GroupKind::External => "outside the cluster".to_string(),
    }
}

impl Expectation {
    /// `✓ expect deny TCP 5432`, for edge labels.
    pub fn short(&self) -> String {
        format!(
            "{} expect {} {}",
            if self.holds { "✓" } else { "✗" },
            if self.allow { "allow" } else { "deny" },
            self.ports
        )
    }
}

/// How pictures name a node inside its group: `frontend`, `* (any pod)`.
pub fn display_label(n: &Node) -> String {
    if n.kind == NodeKind::AllPods {
        format!("{} (any pod)", n.label)
    } else {
        n.label.clone()
    }
}

/// How a bundled edge names the group it starts or ends at.
pub fn group_members(g: &Group) -> String {
    if g.kind == GroupKind::External {
        "every address range".to_string()
    } else {
        format!("every endpoint in {}", g.id)
    }
}

/// `open: ingress, egress`, or empty: the directions no policy restricts,
/// for pod nodes.
pub fn open_text(n: &Node) -> String {
    if n.kind == NodeKind::External {
        return String::new();
    }
    match (n.open_ingress(), n.open_egress()) {
        (true, true) => "open: ingress, egress".to_string(),
        (true, false) => "open: ingress".to_string(),
        (false, true) => "open: egress".to_string(),
        (false, false) => String::new(),
    }
}

/// An edge as pictures draw it: alone, or standing for the same connection
/// from (or to) every node of a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Drawn<'a> {
    One(&'a Edge),
    /// Every node of `group` has this connection (same target, ports and origins).
    FromGroup {
        group: &'a Group,
        edge: &'a Edge,
    },
    /// Every node of `group` is the target of this connection.
    ToGroup {
        group: &'a Group,
        edge: &'a Edge,
    },
    /// A connection from any pod in the cluster (`allow cluster -> ...`):
    /// the same ports, origins and lines from every node that stands for
    /// `*/*`, drawn once from one node.
    FromCluster {
        edge: &'a Edge,
        members: Vec<&'a Edge>,
    },
}

/// What the one node of [`Drawn::FromCluster`] is called.
pub const ANY_POD: &str = "any pod in the cluster";

impl Drawn<'_> {
    /// The connection drawn (the first of several).
    pub fn edge(&self) -> &Edge {
        match self {
            Drawn::One(edge)
            | Drawn::FromGroup { edge, .. }
            | Drawn::ToGroup { edge, .. }
            | Drawn::FromCluster { edge, .. } => edge,
        }
    }
}

impl Graph {
    /// The edges, with connections shared by every node of a group (of at
    /// least two nodes) drawn once from or to the group.
    pub fn drawn(&self) -> Vec<Drawn<'_>> {
        let grouped = self.grouped();
        let same = |a: &Edge, b: &Edge| a.ports == b.ports && a.origins == b.origins;
        let mut used = vec![false; self.edges.len()];
        let mut bundles: Vec<(usize, Drawn<'_>)> = self.cluster_bundles(&mut used);
        let position: BTreeMap<(&str, &str), usize> = self
            .edges
            .iter()
            .enumerate()
            .map(|(i, e)| ((e.source.as_str(), e.target.as_str()), i))
            .collect();
        for (group, nodes) in &grouped {
            if nodes.len() < 2 {
                continue;
            }
            let inside = |id: &str| nodes.iter().any(|n| n.id == id);
            // From the group (the targets of its first node), then to it
            // (the sources of its first node).
            for from in [true, false] {
                for (i, e) in self.edges.iter().enumerate() {
                    let (near, far) = if from {
                        (&e.source, &e.target)
                    } else {
                        (&e.target, &e.source)
                    };
                    if *near != nodes[0].id || inside(far) || used[i] {
                        continue;
                    }
                    let all: Option<Vec<usize>> = nodes
                        .iter()
                        .map(|n| {
                            let key = if from {
                                (n.id.as_str(), far.as_str())
                            } else {
                                (far.as_str(), n.id.as_str())
                            };
                            position
                                .get(&key)
                                .copied()
                                .filter(|&j| !used[j] && same(&self.edges[j], e))
                        })
                        .collect();
                    if let Some(all) = all {
                        for j in &all {
                            used[*j] = true;
                        }
                        let drawn = if from {
                            Drawn::FromGroup { group, edge: e }
                        } else {
                            Drawn::ToGroup { group, edge: e }
                        };
                        bundles.push((i, drawn));
                    }
                }
            }
        }
        let mut out: Vec<(usize, Drawn<'_>)> = self
            .edges
            .iter()
            .enumerate()
            .filter(|(i, _)| !used[*i])
            .map(|(i, e)| (i, Drawn::One(e)))
            .collect();
        out.extend(bundles);
        out.sort_by_key(|(i, _)| *i);
        out.into_iter().map(|(_, d)| d).collect()
    }

    /// Connections from any pod in the cluster: where every node that stands
    /// for `*/*` (the representatives of `cluster` in each namespace, at
    /// least two) has a connection to one target with the same ports,
    /// origins and lines, that connection and those from every other pod
    /// node with the same ports, origins and lines come from one rule: one
    /// [`Drawn::FromCluster`]. Marks them `used`.
    fn cluster_bundles(&self, used: &mut [bool]) -> Vec<(usize, Drawn<'_>)> {
        let any: Vec<&str> = self
            .nodes
            .iter()
            .filter(|n| n.stands_for.iter().any(|s| s == "*/*"))
            .map(|n| n.id.as_str())
            .collect();
        if any.len() < 2 {
            return Vec::new();
        }
        let pods: std::collections::BTreeSet<&str> = self
            .nodes
            .iter()
            .filter(|n| n.kind != NodeKind::External)
            .map(|n| n.id.as_str())
            .collect();
        type Key<'k> = (&'k str, &'k str, &'k [EdgeSource], &'k [String]);
        let mut by_key: BTreeMap<Key<'_>, Vec<usize>> = BTreeMap::new();
        for (i, e) in self.edges.iter().enumerate() {
            if pods.contains(e.source.as_str()) {
                by_key
                    .entry((&e.target, &e.ports, &e.origins, self.edge_lines(e)))
                    .or_default()
                    .push(i);
            }
        }
        let mut out = Vec::new();
        for members in by_key.into_values() {
            let sources: std::collections::BTreeSet<&str> = members
                .iter()
                .map(|&i| self.edges[i].source.as_str())
                .collect();
            if !any.iter().all(|a| sources.contains(a)) {
                continue;
            }
            for &i in &members {
                used[i] = true;
            }
            let first = members[0];
            out.push((
                first,
                Drawn::FromCluster {
                    edge: &self.edges[first],
                    members: members.iter().map(|&i| &self.edges[i]).collect(),
                },
            ));
        }
        out
    }
}
