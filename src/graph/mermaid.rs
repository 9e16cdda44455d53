//! The graph as a Mermaid `flowchart`, for Markdown that renders Mermaid
//! (GitHub, GitLab). Identifiers are generated (`n0`, `g0`); every text is
//! quoted with Mermaid's entity codes for the characters that could end it.

use std::fmt::Write as _;

use super::dot::{origin_style, FAILS_COLOR, HOLDS_COLOR};
use super::{
    display_label, group_title, open_text, Drawn, EdgeSource, Graph, GroupKind, NodeKind, ANY_POD,
};

/// A Mermaid quoted string: `"`, `#`, `<`, `>`, `|`, `;` and backticks
/// as entity codes, line breaks as `<br>`, control characters dropped.
fn q(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '|' => out.push_str("#124;"),
            ';' => out.push_str("#59;"),
            '`' => out.push_str("#96;"),
            '\n' => out.push_str("<br>"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn class(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Workload => "workload",
        NodeKind::LabelSet => "labelset",
        NodeKind::AllPods => "allpods",
        NodeKind::External => "external",
    }
}

/// Renders the graph as a Mermaid `flowchart LR`.
pub fn render(g: &Graph) -> String {
    let mut out = String::new();
    let o = &mut out;
    let _ = writeln!(o, "flowchart LR");
    let title: String = g.title.chars().filter(|c| !c.is_control()).collect();
    let _ = writeln!(o, "  %% {}: {title}", g.of.command());
    let ids = g.index();
    for (gi, (group, nodes)) in g.grouped().into_iter().enumerate() {
        let _ = writeln!(o, "  subgraph g{gi}[{}]", q(&group_title(group)));
        for n in nodes {
            let Some(i) = ids.get(n.id.as_str()) else {
                continue;
            };
            // Mermaid reads labels as Markdown: a leading `* ` is a list.
            let name = if n.kind == NodeKind::AllPods {
                format!("any pod ({})", n.label)
            } else {
                display_label(n)
            };
            let open = open_text(n);
            let label = if open.is_empty() {
                name
            } else {
                format!("{name}\n{open}")
            };
            let _ = writeln!(o, "    n{i}[{}]:::{}", q(&label), class(n.kind));
        }
        let _ = writeln!(o, "  end");
        let (border, fill) = match group.kind {
            GroupKind::Managed => ("#1e3a8a", "#eff6ff"),
            GroupKind::Unmanaged | GroupKind::Selected => ("#6b7280", "#f9fafb"),
            GroupKind::External => ("#92400e", "#fffbeb"),
        };
        let _ = writeln!(o, "  style g{gi} fill:{fill},stroke:{border}");
    }
    // Link styles are set by index, in the order the links are written.
    let mut styles: Vec<String> = Vec::new();
    let group_id = |group: &super::Group| {
        g.groups
            .iter()
            .position(|x| x.id == group.id)
            .map(|i| format!("g{i}"))
    };
    let node_id = |id: &str| ids.get(id).map(|i| format!("n{i}"));
    let drawn = g.drawn();
    if drawn.iter().any(|d| matches!(d, Drawn::FromCluster { .. })) {
        let _ = writeln!(o, "  any_pod[{}]", q(ANY_POD));
    }
    for d in drawn {
        let (e, s, t) = match d {
            Drawn::FromCluster { edge, .. } => {
                (edge, Some("any_pod".to_string()), node_id(&edge.target))
            }
            Drawn::One(e) => (e, node_id(&e.source), node_id(&e.target)),
            Drawn::FromGroup { group, edge } => (edge, group_id(group), node_id(&edge.target)),
            Drawn::ToGroup { group, edge } => (edge, node_id(&edge.source), group_id(group)),
        };
        let (Some(s), Some(t)) = (s, t) else {
            continue;
        };
        let origin = e.style_origin();
        let (color, _) = origin_style(origin);
        let (arrow, extra) = match origin {
            Some(EdgeSource::Allow) | None => ("-->", ""),
            Some(EdgeSource::Dns) => ("-.->", ""),
            Some(EdgeSource::Scrape) => ("-.->", ",stroke-dasharray:2 3"),
            Some(EdgeSource::Accept) => ("==>", ""),
            Some(EdgeSource::Pass) => ("-->", ""),
            Some(EdgeSource::Deny) => ("--x", ",stroke-dasharray:6 3"),
        };
        let label = e.label();
        let _ = writeln!(o, "  {s} {arrow}|{}| {t}", q(&label));
        styles.push(format!("stroke:{color},color:{color}{extra}"));
    }
    for x in &g.expectations {
        let color = if x.holds { HOLDS_COLOR } else { FAILS_COLOR };
        for src in &x.sources {
            for dst in &x.targets {
                let (Some(s), Some(t)) = (ids.get(src.as_str()), ids.get(dst.as_str())) else {
                    continue;
                };
                let arrow = if x.allow { "==>" } else { "==x" };
                let _ = writeln!(o, "  n{s} {arrow}|{}| n{t}", q(&x.short()));
                styles.push(format!("stroke:{color},color:{color},stroke-dasharray:6 3"));
            }
        }
    }
    for (i, s) in styles.iter().enumerate() {
        let _ = writeln!(o, "  linkStyle {i} {s}");
    }
    let _ = writeln!(o, "  classDef workload fill:#ffffff,stroke:#374151");
    let _ = writeln!(o, "  classDef labelset fill:#f5f3ff,stroke:#374151");
    let _ = writeln!(o, "  classDef allpods fill:#f1f5f9,stroke:#374151");
    let _ = writeln!(o, "  classDef external fill:#fef3c7,stroke:#92400e");
    out
}
