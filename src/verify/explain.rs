//! `npc explain`: the verdict of one connection and the rules that decided
//! it, for representative endpoints or for the pods of an inventory.

use serde::Serialize;

use super::cluster::{endpoints, pod_representative};
use super::describe;
use super::inventory::Inventory;
use super::trace::{self, Direction, SideTrace, Tracer};
use crate::regions::representative::{named_ports, numeric_ports, representatives, Representative};
use std::collections::BTreeSet;

use crate::diagnostic::Diagnostic;
use crate::eval::{Endpoint, PolicySet, PortSet, Protocol};
use crate::ir::{Expectation, NamespaceSelector, Peer, PortNumber, Ports, Program};
use crate::k8s::escape_controls;
use crate::load::Input;
use crate::source::{SourceFile, SourceMap, Span, Spanned};
use crate::syntax::ast;

/// The name the query is compiled under; diagnostics in it show this name.
pub const QUERY_NAME: &str = "<query>";

/// What `explain` produced: diagnostics, and the explanation if there were no errors.
#[derive(Debug)]
pub struct Explained {
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
    pub explanation: Option<Explanation>,
}

/// The verdict of a query for every pair of endpoints it stands for.
#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    pub query: String,
    /// `allowed` (every pair, every port asked for), `denied` (nothing), or `partial`.
    pub verdict: &'static str,
    /// Parts of the query that the program never mentions (typos?).
    pub notes: Vec<String>,
    pub pairs: Vec<Pair>,
}

/// One source endpoint and one destination endpoint.
#[derive(Clone, Debug, Serialize)]
pub struct Pair {
    pub source: String,
    pub destination: String,
    /// Everything allowed between them (`TCP 8080; UDP 53`, `all`, `none`).
    pub allowed_ports: String,
    pub checks: Vec<PortCheck>,
    /// Named ports the destination does not declare.
    pub unresolved_ports: Vec<String>,
}

/// One (protocol, port) and the trace of both sides.
#[derive(Clone, Debug, Serialize)]
pub struct PortCheck {
    pub protocol: String,
    /// The port number; `null` for a named port of a representative pod
    /// (whose number stands for whatever number a real pod gives the name).
    pub port: Option<u16>,
    /// The named port asked for, if any.
    pub name: Option<String>,
    pub allowed: bool,
    pub egress: SideTrace,
    pub ingress: SideTrace,
}

/// A query endpoint that names an inventory pod, `namespace/pod-name`:
/// that pod. A pod name wins over the workload reading of `ns/name`.
fn inventory_pod<'i>(
    target: &ast::Target,
    inventory: Option<&'i Inventory>,
) -> Option<&'i super::inventory::ClusterPod> {
    let ast::Endpoint::Pods { namespace, pods } = &target.endpoint.node else {
        return None;
    };
    let (ast::NamespacePart::Name(ns), ast::PodPart::Name(name)) = (&namespace.node, &pods.node)
    else {
        return None;
    };
    inventory?
        .pods
        .iter()
        .find(|p| &p.pod.namespace == ns && &p.name == name)
}

/// The query endpoint as the program resolves it: an inventory pod's
/// endpoint becomes every pod of its namespace (the pod itself is the
/// representative).
fn as_resolved(mut target: Spanned<ast::Target>, pod: bool) -> Spanned<ast::Target> {
    if let (true, ast::Endpoint::Pods { pods, .. }) = (pod, &mut target.node.endpoint.node) {
        pods.node = ast::PodPart::Any;
    }
    target
}

/// Compiles the program (its `expect` lines are not checked here), parses
/// the query with the grammar's query rule, resolves it in the program's
/// scope, and explains it.
pub fn explain(inputs: Vec<Input>, query: &str, inventory: Option<&Inventory>) -> Explained {
    let mut c = crate::compile_unverified(inputs);
    let query_file = c
        .sources
        .add(SourceFile::new(QUERY_NAME, None, query.to_string()));
    let mut out = Explained {
        diagnostics: std::mem::take(&mut c.diagnostics),
        explanation: None,
        sources: SourceMap::default(),
    };
    let parsed = crate::syntax::parse_query(query_file, query);
    let (program, Some(scope)) = (&c.program, &mut c.scope) else {
        out.sources = c.sources;
        return out;
    };
    let parsed = match parsed {
        Ok(q) => q,
        Err(d) => {
            out.diagnostics.push(*d);
            out.sources = c.sources;
            return out;
        }
    };
    let src_pod = inventory_pod(&parsed.source, inventory);
    let dst_pod = inventory_pod(&parsed.destination, inventory);
    let resolved_query = ast::Query {
        source: as_resolved(parsed.source, src_pod.is_some()),
        destination: as_resolved(parsed.destination, dst_pod.is_some()),
    };
    let (expectation, diags) = scope.query(&resolved_query, Span::new(query_file, 0, query.len()));
    out.diagnostics.extend(diags);
    out.sources = c.sources;
    let (Some(program), Some(e)) = (program.as_ref(), expectation) else {
        return out;
    };
    if out.diagnostics.iter().any(Diagnostic::is_error) {
        return out;
    }
    let set = match PolicySet::from_slice(&c.policies).and_then(|mut set| {
        set.add_cluster(&c.cluster_policies)?;
        set.extend_cilium(&c.cilium)?;
        Ok(set)
    }) {
        Ok(set) => set,
        Err(_) => return out,
    };
    let tracer = Tracer {
        program,
        provenance: &c.provenance,
        sources: &out.sources,
    };
    let named = named_ports(program, e.ports.as_ref());
    let stand_for = |peers: &[Peer], named: &[crate::eval::NamedPort]| -> Vec<Representative> {
        peers
            .iter()
            .flat_map(|p| match inventory {
                Some(inv) => endpoints(p, inv),
                None => representatives(p, program, named),
            })
            .collect()
    };
    let srcs = match src_pod {
        Some(p) => vec![pod_representative(p)],
        None => stand_for(&e.sources, &[]),
    };
    let dsts = match dst_pod {
        Some(p) => vec![pod_representative(p)],
        None => stand_for(&e.destinations, &named),
    };
    let mut pairs = Vec::new();
    let (mut all, mut none) = (true, true);
    for s in &srcs {
        for d in &dsts {
            let (p, verdict) = pair(program, &set, &tracer, &e, s, d);
            all &= verdict == Some(true);
            none &= verdict == Some(false);
            pairs.push(p);
        }
    }
    let mut notes = Vec::new();
    let ranges = program.tiers.blocks().any(|b| {
        b.statements.iter().any(|s| {
            s.destinations
                .iter()
                .any(|(p, _)| matches!(p, Peer::Ip(block) if !block.cidr.is_everything()))
        })
    });
    if ranges {
        notes.push("a pod's address is not known here: it is taken to lie in `world` and outside the narrower address ranges of tier statements; `expect` lines check every position".to_string());
    }
    for (peers, role) in [(&e.sources, "source"), (&e.destinations, "destination")] {
        for peer in peers {
            notes.extend(unmentioned(peer, program, role));
        }
    }
    out.explanation = Some(Explanation {
        query: query.trim().to_string(),
        verdict: if pairs.is_empty() {
            "denied"
        } else if all {
            "allowed"
        } else if none {
            "denied"
        } else {
            "partial"
        },
        notes,
        pairs,
    });
    out
}

/// Notes for parts of a query endpoint that no statement of the program
/// names: a typo answers "denied" as if it were real.
fn unmentioned<'p>(peer: &Peer, program: &'p Program, role: &str) -> Vec<String> {
    let Peer::Pods { namespaces, pods } = peer else {
        return Vec::new();
    };
    let mut named_namespaces: BTreeSet<&'p str> =
        program.namespaces.keys().map(String::as_str).collect();
    let mut labels: BTreeSet<(&'p str, &'p str)> = BTreeSet::new();
    let mut add = |p: &'p Peer| {
        if let Peer::Pods { namespaces, pods } = p {
            if let NamespaceSelector::Named(n) = namespaces {
                named_namespaces.insert(n.as_str());
            }
            for sel in [
                Some(pods),
                match namespaces {
                    NamespaceSelector::Matching(s) => Some(s),
                    NamespaceSelector::Named(_) => None,
                },
            ]
            .into_iter()
            .flatten()
            {
                labels.extend(
                    sel.match_labels
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str())),
                );
                for r in &sel.expressions {
                    labels.extend(r.values.iter().map(|v| (r.key.as_str(), v.as_str())));
                }
            }
        }
    };
    // Borrowed peers of the program, gathered in one place.
    let rule_peers = program.rules.iter().flat_map(|r| {
        r.sources
            .iter()
            .chain(r.destinations.iter().map(|(p, _)| p))
    });
    let expect_peers = program
        .expectations
        .iter()
        .flat_map(|x| x.sources.iter().chain(&x.destinations));
    for p in rule_peers.chain(expect_peers) {
        add(p);
    }
    for s in &program.scrapes {
        for p in &s.sources {
            add(p);
        }
    }
    let mut notes = Vec::new();
    if let NamespaceSelector::Named(ns) = namespaces {
        if !named_namespaces.contains(ns.as_str()) {
            let hint = crate::diagnostic::closest(ns, named_namespaces.iter().copied())
                .map_or_else(String::new, |best| format!(" (did you mean `{best}`?)"));
            notes.push(format!(
                "the {role}'s namespace `{ns}` appears nowhere in the program{hint}"
            ));
        }
    }
    for (k, v) in &pods.match_labels {
        if !labels.contains(&(k.as_str(), v.as_str())) {
            let candidates: Vec<&str> = labels
                .iter()
                .filter(|(key, _)| key == k)
                .map(|(_, value)| *value)
                .collect();
            let hint = crate::diagnostic::closest(v, candidates.into_iter())
                .map_or_else(String::new, |best| format!(" (did you mean `{best}`?)"));
            notes.push(format!(
                "the {role}'s label `{k}={v}` appears nowhere in the program{hint}"
            ));
        }
    }
    notes
}

/// One pair of endpoints explained, and its verdict over the ports asked
/// for: `Some(true)` all allowed, `Some(false)` none, `None` some.
fn pair(
    program: &Program,
    set: &PolicySet,
    tracer: &Tracer<'_>,
    e: &Expectation,
    s: &Representative,
    d: &Representative,
) -> (Pair, Option<bool>) {
    let allowed = set.allowed_ports(&s.endpoint, &d.endpoint);
    let (asked, unresolved_asked) = super::expect::required(e.ports.as_ref(), &d.endpoint);
    let verdict = if asked.difference(&allowed).is_empty() && unresolved_asked.is_empty() {
        Some(true)
    } else if asked.intersection(&allowed).is_empty() {
        Some(false)
    } else {
        None
    };
    let mut samples: Vec<(Protocol, u16, Option<String>)> = Vec::new();
    let mut unresolved = Vec::new();
    match &e.ports {
        Some(Ports::Only(list)) => {
            for p in list {
                let proto = p.protocol;
                match &p.number {
                    PortNumber::Single(n) => samples.push((proto, *n, None)),
                    PortNumber::Range(a, b) => {
                        // The first denied port of the range, else its first port.
                        let range = PortSet::range(proto, *a, *b);
                        let port =
                            describe::first(&range.difference(&allowed)).map_or(*a, |(_, n)| n);
                        samples.push((proto, port, None));
                    }
                    PortNumber::Named(name) => match &d.endpoint {
                        Endpoint::Pod(pod) => match pod.resolve_port(name, proto) {
                            Some(n) => samples.push((proto, n, Some(name.clone()))),
                            None => unresolved.push(format!("{name}/{proto}")),
                        },
                        Endpoint::Ip(_) | Endpoint::Name { .. } => {
                            unresolved.push(format!("{name}/{proto}"));
                        }
                    },
                }
            }
        }
        _ => samples = port_less_samples(program, set, &allowed, s, d),
    }
    let stand_ins = &describe::stand_ins(d, program)[..];
    let checks = samples
        .into_iter()
        .map(|(proto, port, name)| {
            let v = set.evaluate(&s.endpoint, &d.endpoint, proto, port);
            let stood_in = name.is_some()
                && stand_ins
                    .iter()
                    .any(|p| p.protocol == proto && p.number == port);
            PortCheck {
                protocol: proto.to_string(),
                port: (!stood_in).then_some(port),
                name,
                allowed: v.allowed,
                egress: tracer.side(&v.egress, Direction::Egress, &s.endpoint, &d.endpoint),
                ingress: tracer.side(&v.ingress, Direction::Ingress, &s.endpoint, &d.endpoint),
            }
        })
        .collect();
    (
        Pair {
            source: s.description(),
            destination: d.description(),
            allowed_ports: describe::port_set_named(&allowed, stand_ins),
            checks,
            unresolved_ports: unresolved,
        },
        verdict,
    )
}

/// Without a port: the first port of each allowed range (at most 8); if
/// nothing is allowed, the first port the program names where one side allows it.
fn port_less_samples(
    program: &Program,
    set: &PolicySet,
    allowed: &PortSet,
    s: &Representative,
    d: &Representative,
) -> Vec<(Protocol, u16, Option<String>)> {
    let mut out: Vec<(Protocol, u16, Option<String>)> = Protocol::ALL
        .into_iter()
        .flat_map(|p| allowed.ranges(p).iter().map(move |r| (p, r.start, None)))
        .take(8)
        .collect();
    if out.is_empty() {
        let named = numeric_ports(program);
        let candidates: Vec<(Protocol, u16)> = Protocol::ALL
            .into_iter()
            .flat_map(|p| named.ranges(p).iter().map(move |r| (p, r.start)))
            .collect();
        let pick = candidates
            .iter()
            .find(|(p, n)| {
                let v = set.evaluate(&s.endpoint, &d.endpoint, *p, *n);
                v.egress.allowed || v.ingress.allowed
            })
            .or(candidates.first())
            .copied()
            .unwrap_or((Protocol::Tcp, 1));
        out.push((pick.0, pick.1, None));
    }
    out
}

/// The explanation for people. What it names (the query, pods, policies,
/// `.npl` files) has its control characters escaped (`k8s::text`).
pub fn human(x: &Explanation) -> String {
    let e = |text: &str| escape_controls(text).into_owned();
    let mut out = format!("{}: {}\n", e(&x.query), x.verdict);
    for note in &x.notes {
        out.push_str(&format!("note: {}\n", e(note)));
    }
    for p in &x.pairs {
        out.push_str(&format!(
            "\nfrom {}\n  to {}\n",
            e(&p.source),
            e(&p.destination)
        ));
        out.push_str(&format!(
            "  allowed between them: {}\n",
            e(&p.allowed_ports.to_string())
        ));
        for name in &p.unresolved_ports {
            out.push_str(&format!(
                "  `{}`: denied, the destination declares no such container port\n",
                e(name)
            ));
        }
        for c in &p.checks {
            let traffic = match (&c.name, c.port) {
                (Some(name), None) if c.protocol == "TCP" => format!("named port `{}`", e(name)),
                (Some(name), None) => format!("named port `{}` ({})", e(name), c.protocol),
                (_, Some(port)) => format!("{} {port}", c.protocol),
                (None, None) => c.protocol.clone(),
            };
            let port = match (&c.name, c.port) {
                (Some(name), Some(_)) => format!("{traffic} (`{}`)", e(name)),
                _ => traffic.clone(),
            };
            let verdict = if c.allowed { "allowed" } else { "denied" };
            out.push_str(&format!("  {port}: {verdict}\n"));
            for side in [&c.egress, &c.ingress] {
                out.push_str(&format!("    {}\n", e(&trace::describe(side, &traffic))));
            }
        }
    }
    if x.pairs.is_empty() {
        out.push_str("\nno pod matches an endpoint of the query\n");
    }
    out
}

/// The explanation as JSON.
pub fn json(x: &Explanation) -> String {
    let mut s = serde_json::to_string_pretty(x).unwrap_or_else(|_| "{}".to_string());
    s.push('\n');
    s
}
