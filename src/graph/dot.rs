//! The graph as Graphviz DOT (`npc graph --format dot | dot -Tsvg`):
//! a cluster per group, edges styled by origin, expectations as extra
//! edges that do not shape the layout, and a legend.

use std::fmt::Write as _;

use super::{
    display_label, group_members, group_title, open_text, Drawn, EdgeSource, Graph, GroupKind,
    NodeKind, Source, ANY_POD,
};

/// Edge colours and styles by origin; the HTML page uses the same colours.
pub(crate) fn origin_style(o: Option<EdgeSource>) -> (&'static str, &'static str) {
    match o {
        Some(EdgeSource::Allow) | None => ("#2563eb", "solid"),
        Some(EdgeSource::Dns) => ("#7c3aed", "dashed"),
        Some(EdgeSource::Scrape) => ("#c2410c", "dotted"),
        Some(EdgeSource::Accept) => ("#0f766e", "bold"),
        Some(EdgeSource::Pass) => ("#0891b2", "solid"),
        Some(EdgeSource::Deny) => ("#9f1239", "dashed"),
    }
}

pub(crate) const HOLDS_COLOR: &str = "#15803d";
pub(crate) const FAILS_COLOR: &str = "#dc2626";

/// A DOT quoted string (`\` and `"` escaped, control characters dropped).
fn q(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn group_style(kind: GroupKind) -> (&'static str, &'static str) {
    // (border, fill)
    match kind {
        GroupKind::Managed => ("#1e3a8a", "#eff6ff"),
        GroupKind::Unmanaged => ("#6b7280", "#f9fafb"),
        GroupKind::Selected => ("#6b7280", "#f9fafb"),
        GroupKind::External => ("#92400e", "#fffbeb"),
    }
}

fn node_fill(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Workload => "#ffffff",
        NodeKind::LabelSet => "#f5f3ff",
        NodeKind::AllPods => "#f1f5f9",
        NodeKind::External => "#fef3c7",
    }
}

/// Renders the graph as a DOT `digraph`.
pub fn render(g: &Graph) -> String {
    let mut out = String::new();
    let o = &mut out;
    let _ = writeln!(o, "digraph npc {{");
    let _ = writeln!(
        o,
        "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=11, labelloc=t, compound=true, newrank=true, nodesep=0.4, ranksep=1.2, label={}];",
        q(&format!("{}: {}", g.of.command(), g.title))
    );
    let _ = writeln!(
        o,
        "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10, color=\"#374151\"];"
    );
    let _ = writeln!(
        o,
        "  edge [fontname=\"Helvetica\", fontsize=9, arrowsize=0.7];"
    );
    let ids = g.index();
    let index = |id: &str| ids.get(id).copied();
    for (gi, (group, nodes)) in g.grouped().into_iter().enumerate() {
        let (border, fill) = group_style(group.kind);
        let _ = writeln!(o, "  subgraph cluster_{gi} {{");
        let _ = writeln!(
            o,
            "    label={}; style=\"rounded,filled\"; color={}; fillcolor={};",
            q(&group_title(group)),
            q(border),
            q(fill)
        );
        for n in nodes {
            let Some(i) = index(&n.id) else { continue };
            let open = open_text(n);
            let label = if open.is_empty() {
                display_label(n)
            } else {
                format!("{}\n{open}", display_label(n))
            };
            let mut tooltip = format!("{}: {}", n.id, n.description);
            if n.stands_for.len() > 1 || n.stands_for.first() != Some(&n.id) {
                let _ = write!(tooltip, "\nstands for {}", n.stands_for.join(", "));
            }
            let _ = writeln!(
                o,
                "    n{i} [label={}, fillcolor={}, tooltip={}];",
                q(&label),
                q(node_fill(n.kind)),
                q(&tooltip)
            );
        }
        let _ = writeln!(o, "  }}");
    }
    let cluster = |group: &super::Group| g.groups.iter().position(|x| x.id == group.id);
    let first_of = |group: &super::Group| {
        g.nodes
            .iter()
            .find(|n| n.group == group.id)
            .and_then(|n| index(&n.id))
    };
    let drawn = g.drawn();
    // Any pod in the cluster: one node outside the namespaces.
    let any = g.nodes.len();
    if drawn.iter().any(|d| matches!(d, Drawn::FromCluster { .. })) {
        let _ = writeln!(
            o,
            "  n{any} [label={}, fillcolor={}, style=\"rounded,filled,bold\", tooltip={}];",
            q(ANY_POD),
            q(node_fill(NodeKind::AllPods)),
            q("cluster: every pod of every namespace")
        );
    }
    for d in drawn {
        let (e, s, t, extra, who) = match d {
            Drawn::FromCluster { edge, .. } => (
                edge,
                Some(any),
                index(&edge.target),
                String::new(),
                format!("{ANY_POD} -> {}", edge.target),
            ),
            Drawn::One(e) => (
                e,
                index(&e.source),
                index(&e.target),
                String::new(),
                e.id.clone(),
            ),
            Drawn::FromGroup { group, edge } => (
                edge,
                first_of(group),
                index(&edge.target),
                cluster(group).map_or_else(String::new, |c| format!(", ltail=cluster_{c}")),
                format!("{} -> {}", group_members(group), edge.target),
            ),
            Drawn::ToGroup { group, edge } => (
                edge,
                index(&edge.source),
                first_of(group),
                cluster(group).map_or_else(String::new, |c| format!(", lhead=cluster_{c}")),
                format!("{} -> {}", edge.source, group_members(group)),
            ),
        };
        let (Some(s), Some(t)) = (s, t) else {
            continue;
        };
        let origin = e.style_origin();
        let (color, style) = origin_style(origin);
        // What is allowed dominates the picture: allow edges are the widest.
        let width = if matches!(origin, Some(EdgeSource::Allow) | None) {
            1.6
        } else {
            1.0
        };
        let label = e.label();
        let lines = g.edge_lines(e);
        let tooltip = if lines.is_empty() {
            format!("{who}: {}", e.ports)
        } else {
            format!("{who}: {} ({})", e.ports, some_lines(lines))
        };
        // A tier `deny` ends in a bar: the connection does not happen.
        let head = if origin == Some(EdgeSource::Deny) {
            ", arrowhead=tee"
        } else {
            ""
        };
        let _ = writeln!(
            o,
            "  n{s} -> n{t} [label={}, color={}, fontcolor={}, style={}, penwidth={width}{head}{extra}, tooltip={}];",
            q(&label),
            q(color),
            q(color),
            style,
            q(&tooltip)
        );
    }
    for x in &g.expectations {
        let color = if x.holds { HOLDS_COLOR } else { FAILS_COLOR };
        for src in &x.sources {
            for dst in &x.targets {
                let (Some(s), Some(t)) = (index(src), index(dst)) else {
                    continue;
                };
                let _ = writeln!(
                    o,
                    "  n{s} -> n{t} [label={}, color={}, fontcolor={}, fontsize=8, style=dashed, penwidth=0.7, arrowsize=0.5, arrowhead={}, constraint=false, tooltip={}];",
                    q(&x.short()),
                    q(color),
                    q(color),
                    if x.allow { "normal" } else { "tee" },
                    q(&format!("{} ({})", x.text, x.location))
                );
            }
        }
    }
    let tiers: Vec<EdgeSource> = [EdgeSource::Accept, EdgeSource::Pass, EdgeSource::Deny]
        .into_iter()
        .filter(|t| g.edges.iter().any(|e| e.origins.contains(t)))
        .collect();
    legend(o, g.of, &tiers);
    let _ = writeln!(o, "}}");
    out
}

/// The most lines a tooltip names.
const TOOLTIP_LINES: usize = 10;

/// `a.npl:3, a.npl:7`, or the first [`TOOLTIP_LINES`] and `and N more`.
fn some_lines(lines: &[String]) -> String {
    let shown: Vec<&str> = lines
        .iter()
        .take(TOOLTIP_LINES)
        .map(String::as_str)
        .collect();
    let mut text = shown.join(", ");
    if lines.len() > shown.len() {
        let _ = write!(text, " and {} more", lines.len() - shown.len());
    }
    text
}

fn legend(o: &mut String, of: Source, tiers: &[EdgeSource]) {
    let row = |color: &str, text: &str| {
        format!("<TR><TD ALIGN=\"LEFT\"><FONT COLOR=\"{color}\">{text}</FONT></TD></TR>")
    };
    let (allow, _) = origin_style(Some(EdgeSource::Allow));
    let (dns, _) = origin_style(Some(EdgeSource::Dns));
    let (scrape, _) = origin_style(Some(EdgeSource::Scrape));
    let open = row(
        "#374151",
        "open: no policy isolates that direction of the endpoint",
    );
    // Manifests have no carve-outs and no `expect` lines.
    let rows = match of {
        Source::Program => {
            let mut rows = vec![
                row(allow, &format!("solid: {}", of.allow_text())),
                row(dns, "dashed: DNS carve-out"),
                row(scrape, "dotted: scrape carve-out"),
            ];
            // Only the tier styles the graph draws: a program without tier
            // blocks keeps its legend.
            for t in tiers {
                let (color, _) = origin_style(Some(*t));
                rows.push(row(
                    color,
                    match t {
                        EdgeSource::Accept => "bold: accepted by a tier statement",
                        EdgeSource::Pass => "teal: an admin `pass`, then the namespaces' policies",
                        _ => "dashed ⊣: what the namespaces allow, denied by a tier statement",
                    },
                ));
            }
            rows.push(row(HOLDS_COLOR, "thin dashed ✓: expectation holds"));
            rows.push(row(FAILS_COLOR, "thin dashed ✗: expectation fails"));
            rows.push(open);
            rows
        }
        Source::Manifests => vec![row(allow, &format!("solid: {}", of.allow_text())), open],
    };
    let _ = writeln!(o, "  subgraph cluster_legend {{");
    let _ = writeln!(
        o,
        "    label=\"legend\"; style=\"rounded,dashed\"; color=\"#9ca3af\";"
    );
    let _ = writeln!(
        o,
        "    legend [shape=plaintext, style=\"\", label=<<TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"1\">{}</TABLE>>];",
        rows.join("")
    );
    let _ = writeln!(o, "  }}");
}
