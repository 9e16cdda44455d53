//! Hover text: what an endpoint selects, what an alias stands for, what a
//! namespace or named port is, and what a statement produces.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{json, Map, Value};

use super::index::EndpointSite;
use super::{CheckedProgram, Hover};
use crate::ir::{
    Isolation, ManagedNamespace, NamespaceSelector, OriginKind, Peer, Program, Selector,
};
use crate::k8s::yaml::{self, Node};
use crate::k8s::Direction;
use crate::k8s::NAMESPACE_NAME_LABEL;
use crate::resolve;
use crate::source::{FileId, Span, Spanned};
use crate::syntax::ast::{self, Allow, Endpoint, Statement, Target};
use crate::verify::describe;

impl CheckedProgram {
    /// Hover text for the thing at `offset`.
    pub fn hover(&self, path: &Path, offset: usize) -> Option<Hover> {
        let at = self.offset_span(path, offset)?;
        let (span, markdown) = self
            .port_hover(at)
            .or_else(|| self.alias_hover(at))
            .or_else(|| self.namespace_hover(at))
            .or_else(|| self.endpoint_hover(at))
            .or_else(|| self.statement_hover(at))?;
        Some(Hover {
            span: self.file_span(span)?,
            markdown,
        })
    }

    fn port_hover(&self, at: Span) -> Option<(Span, String)> {
        let port = self
            .index()
            .ports
            .iter()
            .find(|p| super::covers(p.span, at))?;
        let protocol = port.protocol.as_deref().unwrap_or("tcp").to_uppercase();
        Some((
            port.span,
            format!(
                "**named port** `{}` ({protocol})\n\nEach destination pod's container port named `{}`: \
                 Kubernetes looks the name up in every selected pod's spec, so it may stand for a \
                 different number in different pods. npc cannot see pod specs; \
                 `npc check --inventory` warns when no pod declares it.",
                port.name, port.name
            ),
        ))
    }

    fn alias_hover(&self, at: Span) -> Option<(Span, String)> {
        let def_index = self.index().alias_at(at)?;
        let def = self.index().aliases.get(def_index)?;
        let span = self
            .index()
            .alias_uses
            .iter()
            .map(|(s, _)| *s)
            .chain([def.name_span])
            .find(|s| super::covers(*s, at))?;
        let mut md = format!(
            "**alias** `{}`{}\n\n```npl\n{}\n```\ndefined at {}",
            def.name,
            def.block
                .as_deref()
                .map(|b| format!(" (in the block of `{b}`)"))
                .unwrap_or_default(),
            self.sources.snippet(def.statement).trim(),
            self.sources.location(def.statement),
        );
        let site = self
            .index()
            .endpoints
            .iter()
            .find(|e| e.endpoint.span == span);
        if let Some(site) = site {
            md.push_str("\n\n");
            md.push_str(&self.selects(site));
        }
        Some((span, md))
    }

    fn namespace_hover(&self, at: Span) -> Option<(Span, String)> {
        let (span, name) = self
            .index()
            .namespace_refs
            .iter()
            .find(|(s, _)| super::covers(*s, at))?;
        let mut md = format!("**namespace** `{name}`\n\n");
        match self.program.as_ref() {
            None => {
                md.push_str("the program has errors: fix them to see how npc treats this namespace")
            }
            Some(program) => match program.namespaces.get(name) {
                None => {
                    let _ = write!(
                        md,
                        "not declared: npc writes no policy into `{name}`, so npc isolates none of its pods. Declare it with `namespace {name}` to manage it."
                    );
                }
                Some(ns) => {
                    let _ = write!(
                        md,
                        "managed, declared at {}\n\n- isolated: {}\n- DNS carve-out: {}\n- scrape carve-out: {}\n- labels: {}",
                        self.sources.location(ns.span),
                        isolation_of(ns, &program.settings.workload_label),
                        yes_no(ns.dns && matches!(program.dns, crate::ir::Dns::Servers { .. })),
                        yes_no(ns.scrape && !program.scrapes.is_empty()),
                        labels(&ns.labels),
                    );
                    let names: Vec<String> = self
                        .provenance
                        .policies
                        .keys()
                        .filter(|(n, _)| n == name)
                        .map(|(_, p)| format!("`{p}`"))
                        .collect();
                    if !names.is_empty() {
                        let _ = write!(md, "\n- policies: {}", names.join(", "));
                    }
                }
            },
        }
        Some((*span, md))
    }

    fn endpoint_hover(&self, at: Span) -> Option<(Span, String)> {
        let site = self
            .index()
            .endpoints
            .iter()
            .filter(|e| super::covers(e.endpoint.span, at))
            .min_by_key(|e| e.endpoint.span.end() - e.endpoint.span.start())?;
        let text = self.sources.snippet(site.endpoint.span);
        Some((
            site.endpoint.span,
            format!("**endpoint** `{text}`\n\n{}", self.selects(site)),
        ))
    }

    fn statement_hover(&self, at: Span) -> Option<(Span, String)> {
        let site = self.index().statement_at(at)?;
        if !super::covers(site.keyword, at) {
            return None;
        }
        let stmt = self.statement(site.top, site.inner)?;
        let mut md = format!("**{}**", self.sources.snippet(site.keyword));
        // Carve-outs are added only to a program without errors.
        let program = self.program.as_ref().filter(|_| self.compiled());
        match &stmt.node {
            Statement::Dns(_) | Statement::Scrape(_) => {
                md.push_str("\n\n");
                md.push_str(&carve_out_rules(program, stmt));
            }
            Statement::Isolate(iso) => {
                md.push_str("\n\n");
                md.push_str(&isolate_text(iso));
            }
            Statement::No(what) => {
                let _ = write!(
                    md,
                    "\n\nno {} carve-out for the pods of this namespace",
                    if what.node == ast::Carveout::Dns {
                        "DNS"
                    } else {
                        "monitoring"
                    }
                );
            }
            _ => {}
        }
        if let Statement::TierRule(_) = &stmt.node {
            md.push_str("\n\n");
            md.push_str(&self.tier_rules_text(stmt.span));
        }
        if matches!(
            stmt.node,
            Statement::Namespace(_)
                | Statement::Allow(_)
                | Statement::Scrape(_)
                | Statement::Dns(_)
        ) {
            md.push_str("\n\n");
            md.push_str(&self.policies_text(super::policies::origin_span(stmt)));
        }
        Some((site.keyword, md))
    }

    /// The rules a tier statement became: each cluster policy (kind, name,
    /// tier, priority) with the rule as YAML, and the DNS statements npc
    /// inserted before it.
    fn tier_rules_text(&self, statement: Span) -> String {
        if !self.compiled() {
            return "the program has errors: fix them to see the cluster policy rules this statement produces"
                .to_string();
        }
        let mut own = String::new();
        let mut dns = String::new();
        for object in &self.cluster {
            let Some(origins) = self.provenance.cluster.objects.get(object.name()) else {
                continue;
            };
            let Ok(value) = object.to_json() else {
                continue;
            };
            for (direction, list) in [("ingress", &origins.ingress), ("egress", &origins.egress)] {
                for (i, o) in list.iter().enumerate() {
                    if o.span != statement {
                        continue;
                    }
                    let rule = &value["spec"][direction][i];
                    let yaml =
                        crate::k8s::yaml::to_string(&crate::k8s::yaml::Node::from_json(rule));
                    let out = if o.dns { &mut dns } else { &mut own };
                    let _ = write!(
                        out,
                        "\n\n{} `{}` ({} tier, priority {}), {direction} rule {i}:\n```yaml\n{yaml}```",
                        object.kind(),
                        object.name(),
                        origins.tier,
                        origins.priority
                    );
                }
            }
        }
        let mut md = if own.is_empty() {
            "produces no cluster policy rule".to_string()
        } else {
            format!("emitted as:{own}")
        };
        if !dns.is_empty() {
            let _ = write!(md, "\n\nnpc keeps DNS open before it with:{dns}");
        }
        md
    }

    fn policies_text(&self, statement: Span) -> String {
        if !self.compiled() {
            return "the program has errors: fix them to see the policies this statement produces"
                .to_string();
        }
        let Some(policies) = self.policies_of(statement).filter(|p| !p.is_empty()) else {
            return "produces no NetworkPolicy".to_string();
        };
        let cilium = policies
            .keys()
            .any(|(_, name)| name.ends_with(&format!("({})", crate::k8s::cilium::KIND)));
        let kind = if cilium { "polic" } else { "NetworkPolic" };
        let mut md = format!(
            "contributes to {} {kind}{}:",
            policies.len(),
            if policies.len() == 1 { "y" } else { "ies" }
        );
        // A statement of long lists contributes to thousands: a hover
        // names the first ones.
        const SHOWN: usize = 50;
        let more = policies.len().saturating_sub(SHOWN);
        for ((ns, name), part) in policies.iter().take(SHOWN) {
            let mut what = Vec::new();
            if part.whole {
                what.push("the policy itself");
            }
            if part.ingress {
                what.push("ingress rules");
            }
            if part.egress {
                what.push("egress rules");
            }
            let _ = write!(md, "\n- `{ns}/{name}`: {}", what.join(", "));
        }
        if more > 0 {
            let _ = write!(md, "\n- and {more} more");
        }
        md
    }

    fn statement(&self, top: usize, inner: Option<usize>) -> Option<&Spanned<Statement>> {
        let stmt = self.statements.get(top)?;
        match (inner, &stmt.node) {
            (None, _) => Some(stmt),
            (Some(i), Statement::Namespace(decl)) => decl.body.as_ref()?.get(i),
            (Some(i), Statement::Tier(decl)) => decl.body.get(i),
            _ => None,
        }
    }

    /// What an endpoint selects, as the emitted YAML says it, and how npc
    /// treats the namespaces it reaches.
    fn selects(&self, site: &EndpointSite) -> String {
        let peers = self.peers_of(site);
        if peers.is_empty() {
            return "selects nothing (see the diagnostics)".to_string();
        }
        let mut md = String::new();
        for peer in &peers {
            if !md.is_empty() {
                md.push_str("\n\nor\n\n");
            }
            md.push_str("```yaml\n");
            md.push_str(&peer_yaml(peer));
            md.push_str("```\n");
            md.push_str(&reach(peer, self.program.as_ref()));
        }
        md
    }

    /// The peers an endpoint stands for, from name resolution itself: the
    /// statements before it, then the endpoint as the source of a probe rule.
    fn peers_of(&self, site: &EndpointSite) -> Vec<Peer> {
        let probe_span = Span::new(FileId(u32::MAX), 0, 0);
        let target = |endpoint: Spanned<Endpoint>| {
            Spanned::new(
                Target {
                    endpoint,
                    ports: None,
                },
                probe_span,
            )
        };
        // A DNS name is a destination only: it is probed as one.
        let name = matches!(site.endpoint.node, Endpoint::Name(_));
        let probe = Spanned::new(
            Statement::Allow(if name {
                Allow {
                    sources: vec![target(Spanned::new(Endpoint::Cluster, probe_span))],
                    destinations: vec![target(site.endpoint.clone())],
                }
            } else {
                Allow {
                    sources: vec![target(site.endpoint.clone())],
                    destinations: vec![target(Spanned::new(Endpoint::World, probe_span))],
                }
            }),
            probe_span,
        );
        let mut statements: Vec<Spanned<Statement>> =
            self.statements.iter().take(site.top).cloned().collect();
        match site.inner {
            None => statements.push(probe),
            Some(i) => {
                let Some(Statement::Namespace(decl)) =
                    self.statements.get(site.top).map(|s| &s.node)
                else {
                    return Vec::new();
                };
                let mut decl = decl.clone();
                let mut body: Vec<Spanned<Statement>> =
                    decl.body.iter().flatten().take(i).cloned().collect();
                body.push(probe);
                decl.body = Some(body);
                statements.push(Spanned::new(Statement::Namespace(decl), probe_span));
            }
        }
        // Settings apply wherever they are written.
        statements.extend(
            self.statements
                .iter()
                .skip(site.top + 1)
                .filter(|s| matches!(s.node, Statement::Set(_)))
                .cloned(),
        );
        resolve::resolve(&statements)
            .program
            .rules
            .into_iter()
            .find(|r| r.origin.span == probe_span)
            .map(|r| {
                if name {
                    r.destinations.into_iter().map(|(p, _)| p).collect()
                } else {
                    r.sources
                }
            })
            .unwrap_or_default()
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// What an `isolate` statement isolates.
fn isolate_text(iso: &ast::Isolate) -> String {
    let dirs = match &iso.directions {
        ast::IsolateDirections::None => {
            return "isolates no pod of this namespace: npc writes no policy here".to_string()
        }
        ast::IsolateDirections::Directions(dirs) => dirs
            .iter()
            .map(|d| match d.node {
                ast::Direction::Ingress => "ingress",
                ast::Direction::Egress => "egress",
            })
            .collect::<Vec<_>>()
            .join(" and "),
    };
    match &iso.only {
        None => format!("isolates the {dirs} of every pod of this namespace: `default-deny` selects them all, and only what an `allow` or a carve-out permits gets through"),
        Some(_) => format!("`only`: isolates the {dirs} of the listed pod sets only; every other pod keeps its {dirs} open. Each policy npc writes into this namespace selects its pods AND one set, one policy per set (`default-deny-SET`, `allow-dns-SET`, `POLICY-SET`), with the set's directions as `policyTypes`"),
    }
}

/// The isolated directions of a managed namespace, with the pod sets a
/// direction is limited to (`isolate ingress only db`).
fn isolation_of(ns: &ManagedNamespace, workload_label: &str) -> String {
    if ns.only.is_empty() {
        return isolation(ns.isolation).to_string();
    }
    let mut parts = Vec::new();
    for (direction, word) in [
        (Direction::Ingress, "ingress"),
        (Direction::Egress, "egress"),
    ] {
        if !ns.isolation.has(direction) {
            continue;
        }
        if ns.limited(direction) {
            let sets: Vec<String> = ns
                .sets(direction)
                .map(|s| format!("`{}`", s.describe(workload_label)))
                .collect();
            parts.push(format!("{word} of {} only", sets.join(", ")));
        } else {
            parts.push(format!("{word} of every pod"));
        }
    }
    parts.join("; ")
}

fn isolation(i: Isolation) -> &'static str {
    match (i.ingress, i.egress) {
        (true, true) => "ingress and egress",
        (true, false) => "ingress only",
        (false, true) => "egress only",
        (false, false) => "neither direction (`isolate none`)",
    }
}

fn labels(labels: &std::collections::BTreeMap<String, String>) -> String {
    let shown: Vec<String> = labels
        .iter()
        .filter(|(k, _)| k.as_str() != NAMESPACE_NAME_LABEL)
        .map(|(k, v)| format!("`{k}={v}`"))
        .collect();
    if shown.is_empty() {
        "none declared".to_string()
    } else {
        shown.join(", ")
    }
}

fn selector_json(sel: &Selector) -> Value {
    serde_json::to_value(sel.to_api()).unwrap_or_default()
}

/// A peer as the `from`/`to` entry of the emitted YAML writes it.
fn peer_yaml(peer: &Peer) -> String {
    let value = match peer {
        Peer::Pods { namespaces, pods } => {
            let ns = match namespaces {
                NamespaceSelector::Named(n) => json!({"matchLabels": {NAMESPACE_NAME_LABEL: n}}),
                NamespaceSelector::Matching(sel) => selector_json(sel),
            };
            json!({"namespaceSelector": ns, "podSelector": selector_json(pods)})
        }
        Peer::Ip(block) => {
            let mut b = Map::new();
            b.insert("cidr".into(), json!(block.cidr.to_string()));
            if !block.except.is_empty() {
                let except: Vec<String> = block.except.iter().map(ToString::to_string).collect();
                b.insert("except".into(), json!(except));
            }
            json!({"ipBlock": b})
        }
        // The CiliumNetworkPolicy egress rule's peer.
        Peer::Name(name) => {
            let key = if name.is_pattern() {
                "matchPattern"
            } else {
                "matchName"
            };
            json!({"toFQDNs": [{key: name.as_str()}]})
        }
    };
    yaml::to_string(&Node::from_json(&value))
}

/// The managed namespaces a peer reaches and how they are isolated.
fn reach(peer: &Peer, program: Option<&Program>) -> String {
    let Some(program) = program else {
        return String::new();
    };
    match peer {
        Peer::Name(_) => "a DNS name: an `allow` toward it writes a CiliumNetworkPolicy egress rule (`toFQDNs`) for its sources in egress-isolated managed namespaces, with Cilium's DNS rule toward the `dns` servers (`set cni = cilium`)".to_string(),
        Peer::Ip(_) => "an address block: an `allow` toward it writes egress rules in the sources' namespaces, one from it writes ingress rules in the destinations' namespaces".to_string(),
        Peer::Pods { namespaces, .. } => {
            let managed: Vec<String> = program
                .namespaces
                .values()
                .filter(|ns| namespaces.covers(&ns.name, &ns.labels))
                .map(|ns| {
                    format!(
                        "`{}` (isolated: {})",
                        ns.name,
                        isolation_of(ns, &program.settings.workload_label)
                    )
                })
                .collect();
            match namespaces {
                NamespaceSelector::Named(n) if managed.is_empty() => format!(
                    "`{n}` is not managed: npc writes no policy there, so these pods are not isolated by npc"
                ),
                NamespaceSelector::Named(_) => format!("managed: {}", managed.join(", ")),
                NamespaceSelector::Matching(_) if managed.is_empty() => {
                    "reaches no managed namespace: npc writes rules only on the other side".to_string()
                }
                NamespaceSelector::Matching(_) => format!(
                    "managed namespaces it reaches: {}; unmanaged namespaces whose labels match are reached too",
                    managed.join(", ")
                ),
            }
        }
    }
}

/// The rules a `dns` or `scrape` statement adds, in words.
fn carve_out_rules(program: Option<&Program>, stmt: &Spanned<Statement>) -> String {
    if let Statement::Dns(ast::Dns::None) = stmt.node {
        return "turns the DNS carve-out off in every namespace: pods of egress-isolated namespaces cannot resolve names unless an `allow` reaches your DNS servers".to_string();
    }
    let Some(program) = program else {
        return "the program has errors: fix them to see the rules this carve-out adds".to_string();
    };
    let workload = &program.settings.workload_label;
    let rules: Vec<String> = program
        .rules
        .iter()
        .filter(|r| r.origin.span == stmt.span && r.origin.kind != OriginKind::Allow)
        .map(|r| {
            let from: Vec<String> = r
                .sources
                .iter()
                .map(|p| describe::peer(p, workload))
                .collect();
            let to: Vec<String> = r
                .destinations
                .iter()
                .map(|(p, ports)| {
                    format!(
                        "{} on {}",
                        describe::peer(p, workload),
                        describe::ports(ports)
                    )
                })
                .collect();
            let side = match r.origin.kind {
                OriginKind::Dns => "egress",
                OriginKind::DnsServer => "ingress",
                _ => "both sides",
            };
            format!("- {side}: `{}` → {}", from.join("`, `"), to.join(", "))
        })
        .collect();
    if rules.is_empty() {
        "adds no rule: no managed namespace takes part".to_string()
    } else {
        format!("adds these carve-out rules:\n{}", rules.join("\n"))
    }
}
