//! Showing part of a graph: the connections of some namespaces or nodes.

use std::collections::{BTreeMap, BTreeSet};

use super::{Graph, RuleRef, RuleSet};

/// What to keep. Each namespace and each focus node adds to the selection;
/// an empty selection keeps everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// Group ids: namespace names (or `external`).
    pub namespaces: Vec<String>,
    /// Node ids: `web/frontend`.
    pub focus: Vec<String>,
}

/// A selection names something the graph does not have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    UnknownNamespace { name: String, known: Vec<String> },
    UnknownNode { name: String, known: Vec<String> },
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (what, name, known) = match self {
            Error::UnknownNamespace { name, known } => ("namespace", name, known),
            Error::UnknownNode { name, known } => ("endpoint", name, known),
        };
        write!(f, "the graph has no {what} `{name}`")?;
        if !known.is_empty() {
            let list: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
            write!(f, "\n  help: did you mean {}", list.join(", "))?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl Graph {
    /// The selected nodes, the edges that touch them, the nodes at their
    /// other ends, and the expectations about any selected node with their
    /// nodes.
    pub fn select(&self, selection: &Selection) -> Result<Graph, Error> {
        if selection.namespaces.is_empty() && selection.focus.is_empty() {
            return Ok(self.clone());
        }
        let mut chosen: BTreeSet<&str> = BTreeSet::new();
        for ns in &selection.namespaces {
            if !self.groups.iter().any(|g| &g.id == ns) {
                return Err(Error::UnknownNamespace {
                    name: ns.clone(),
                    known: similar(ns, self.groups.iter().map(|g| g.id.as_str())),
                });
            }
            chosen.extend(
                self.nodes
                    .iter()
                    .filter(|n| &n.group == ns)
                    .map(|n| n.id.as_str()),
            );
        }
        for id in &selection.focus {
            if self.node(id).is_none() {
                return Err(Error::UnknownNode {
                    name: id.clone(),
                    known: similar(id, self.nodes.iter().map(|n| n.id.as_str())),
                });
            }
            chosen.insert(id.as_str());
        }
        let mut edges: Vec<_> = self
            .edges
            .iter()
            .filter(|e| chosen.contains(e.source.as_str()) || chosen.contains(e.target.as_str()))
            .cloned()
            .collect();
        let (rules, rule_sets, traces) = self.tables_of(&mut edges);
        let mut keep: BTreeSet<&str> = chosen.clone();
        for e in &edges {
            keep.insert(&e.source);
            keep.insert(&e.target);
        }
        let expectations: Vec<_> = self
            .expectations
            .iter()
            .filter(|x| {
                x.sources
                    .iter()
                    .chain(&x.targets)
                    .any(|n| chosen.contains(n.as_str()))
            })
            .cloned()
            .collect();
        for x in &expectations {
            keep.extend(x.sources.iter().chain(&x.targets).map(String::as_str));
        }
        let nodes: Vec<_> = self
            .nodes
            .iter()
            .filter(|n| keep.contains(n.id.as_str()))
            .cloned()
            .collect();
        let groups = self
            .groups
            .iter()
            .filter(|g| nodes.iter().any(|n| n.group == g.id))
            .cloned()
            .collect();
        Ok(Graph {
            title: self.title.clone(),
            of: self.of,
            groups,
            nodes,
            edges,
            expectations,
            rules,
            rule_sets,
            traces,
        })
    }

    /// The rules, rule lists and trace lines `edges` name, renumbered (and
    /// the edges with them).
    fn tables_of(&self, edges: &mut [super::Edge]) -> (Vec<RuleRef>, Vec<RuleSet>, Vec<String>) {
        let mut set_ids: BTreeMap<usize, usize> = BTreeMap::new();
        let mut trace_ids: BTreeMap<usize, usize> = BTreeMap::new();
        for e in edges.iter() {
            let next = set_ids.len();
            set_ids.entry(e.rule_set).or_insert(next);
            for t in &e.trace {
                let next = trace_ids.len();
                trace_ids.entry(*t).or_insert(next);
            }
        }
        for e in edges.iter_mut() {
            e.rule_set = set_ids.get(&e.rule_set).copied().unwrap_or(0);
            e.trace = e
                .trace
                .iter()
                .filter_map(|t| trace_ids.get(t).copied())
                .collect();
        }
        let mut order: Vec<(usize, usize)> = set_ids.into_iter().collect();
        order.sort_by_key(|(_, new)| *new);
        let mut rule_ids: BTreeMap<usize, usize> = BTreeMap::new();
        let mut rule_sets = Vec::with_capacity(order.len());
        for (old, _) in order {
            let Some(set) = self.rule_sets.get(old) else {
                continue;
            };
            let mut renumbered = set.clone();
            for r in &mut renumbered.rules {
                let next = rule_ids.len();
                *r = *rule_ids.entry(*r).or_insert(next);
            }
            rule_sets.push(renumbered);
        }
        let mut rules: Vec<(usize, usize)> = rule_ids.into_iter().collect();
        rules.sort_by_key(|(_, new)| *new);
        let rules = rules
            .into_iter()
            .filter_map(|(old, _)| self.rules.get(old).cloned())
            .collect();
        let mut traces: Vec<(usize, usize)> = trace_ids.into_iter().collect();
        traces.sort_by_key(|(_, new)| *new);
        let traces = traces
            .into_iter()
            .filter_map(|(old, _)| self.traces.get(old).cloned())
            .collect();
        (rules, rule_sets, traces)
    }
}

/// Up to five known names that contain the asked one or share its first
/// part (`web/front` → `web/frontend`).
fn similar<'a>(asked: &str, known: impl Iterator<Item = &'a str>) -> Vec<String> {
    let head = asked.split('/').next().unwrap_or(asked);
    known
        .filter(|k| k.contains(asked) || asked.contains(*k) || k.starts_with(head))
        .take(5)
        .map(str::to_string)
        .collect()
}
