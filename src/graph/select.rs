//! Showing part of a graph: the connections of some namespaces or nodes.

use std::collections::BTreeSet;

use super::Graph;

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
        let edges: Vec<_> = self
            .edges
            .iter()
            .filter(|e| chosen.contains(e.source.as_str()) || chosen.contains(e.target.as_str()))
            .cloned()
            .collect();
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
        })
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
