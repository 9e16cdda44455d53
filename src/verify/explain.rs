//! `npc explain`: the verdict of one connection and the rules that decided
//! it, for representative endpoints or for the pods of an inventory.

use serde::Serialize;

use super::cluster::{endpoints, pod_representative};
use super::describe;
use super::inventory::Inventory;
use super::representative::{named_ports, numeric_ports, representatives, Representative};
use super::trace::{self, Direction, SideTrace, Tracer};
use crate::diagnostic::Diagnostic;
use crate::eval::{Endpoint, PolicySet, PortSet, Protocol};
use crate::ir::{Expectation, PortNumber, Ports, Program};
use crate::load::Input;
use crate::source::SourceMap;

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
    pub port: u16,
    /// The named port asked for, if any.
    pub name: Option<String>,
    pub allowed: bool,
    pub egress: SideTrace,
    pub ingress: SideTrace,
}

/// A query endpoint that names an inventory pod: `namespace/pod-name`.
fn inventory_pod<'i>(
    text: &str,
    inventory: Option<&'i Inventory>,
) -> Option<&'i super::inventory::ClusterPod> {
    inventory?.pods.iter().find(|p| p.key() == text.trim())
}

/// Splits `DST[:PORTS]` (an IPv6 destination is in brackets).
fn split_ports(dst: &str) -> (&str, &str) {
    let t = dst.trim();
    let from = if t.starts_with('[') {
        t.find(']').unwrap_or(0)
    } else {
        0
    };
    match t[from..].find(':') {
        Some(i) => t.split_at(from + i),
        None => (t, ""),
    }
}

/// Compiles the program with the query as one more file, `expect allow QUERY`,
/// and explains the query. Other `expect` lines are not checked here.
pub fn explain(mut inputs: Vec<Input>, query: &str, inventory: Option<&Inventory>) -> Explained {
    // Pod names from the inventory win over the workload reading of `ns/name`.
    let (src_text, dst_full) = query.split_once("->").unwrap_or((query, ""));
    let (dst_text, ports_text) = split_ports(dst_full);
    let src_pod = inventory_pod(src_text, inventory);
    let dst_pod = inventory_pod(dst_text, inventory);
    let text = if query.contains("->") {
        let src = src_pod.map_or_else(
            || src_text.trim().to_string(),
            |p| format!("{}/*", p.pod.namespace),
        );
        let dst = dst_pod.map_or_else(
            || dst_text.to_string(),
            |p| format!("{}/*", p.pod.namespace),
        );
        format!("expect allow {src} -> {dst}{ports_text}\n")
    } else {
        format!("expect allow {query}\n")
    };
    inputs.push(Input::from_str(QUERY_NAME, text));
    let loaded = crate::load::load(inputs);
    let mut out = Explained {
        sources: loaded.sources,
        diagnostics: Vec::new(),
        explanation: None,
    };
    let mut diags = loaded.diagnostics;
    if loaded.syntax_errors {
        out.diagnostics = diags.sorted();
        return out;
    }
    let (mut program, resolve_diags) = crate::resolve::resolve(&loaded.statements);
    diags.extend(resolve_diags);
    if diags.has_errors() {
        out.diagnostics = diags.sorted();
        return out;
    }
    crate::carveouts::apply(&mut program);
    let (layout, layout_diags) = crate::layout::layout(&program);
    diags.extend(layout_diags);
    let (policies, provenance, emit_diags) =
        crate::emit::emit(&layout, &program.settings, &out.sources);
    diags.extend(emit_diags);
    let query_file = out.sources.files().last().map(|(id, _)| id);
    let expectation = program
        .expectations
        .iter()
        .find(|e| Some(e.span.file) == query_file)
        .cloned();
    let set = PolicySet::new(policies);
    out.diagnostics = diags.sorted();
    if out.diagnostics.iter().any(Diagnostic::is_error) {
        return out;
    }
    let (Some(e), Ok(set)) = (expectation, set) else {
        return out;
    };
    let tracer = Tracer {
        program: &program,
        provenance: &provenance,
        sources: &out.sources,
    };
    let srcs = match src_pod {
        Some(p) => vec![pod_representative(p)],
        None => match inventory {
            Some(inv) => endpoints(&e.source, inv),
            None => representatives(&e.source, &program, &[]),
        },
    };
    let dsts = match dst_pod {
        Some(p) => vec![pod_representative(p)],
        None => match inventory {
            Some(inv) => endpoints(&e.destination, inv),
            None => representatives(
                &e.destination,
                &program,
                &named_ports(&program, e.ports.as_ref()),
            ),
        },
    };
    let mut pairs = Vec::new();
    for s in &srcs {
        for d in &dsts {
            pairs.push(pair(&program, &set, &tracer, &e, s, d));
        }
    }
    let all = !pairs.is_empty()
        && pairs.iter().all(|p| {
            p.unresolved_ports.is_empty()
                && p.checks.iter().all(|c| c.allowed)
                && (e.ports.is_some() || p.allowed_ports == "all")
        });
    let none = pairs.iter().all(|p| p.allowed_ports == "none")
        || (e.ports.is_some() && pairs.iter().all(|p| p.checks.iter().all(|c| !c.allowed)));
    out.explanation = Some(Explanation {
        query: query.trim().to_string(),
        verdict: if all {
            "allowed"
        } else if none {
            "denied"
        } else {
            "partial"
        },
        pairs,
    });
    out
}

fn pair(
    program: &Program,
    set: &PolicySet,
    tracer: &Tracer<'_>,
    e: &Expectation,
    s: &Representative,
    d: &Representative,
) -> Pair {
    let allowed = set.allowed_ports(&s.endpoint, &d.endpoint);
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
                        Endpoint::Ip(_) => unresolved.push(format!("{name}/{proto}")),
                    },
                }
            }
        }
        _ => samples = port_less_samples(program, set, &allowed, s, d),
    }
    let checks = samples
        .into_iter()
        .map(|(proto, port, name)| {
            let v = set.evaluate(&s.endpoint, &d.endpoint, proto, port);
            PortCheck {
                protocol: proto.to_string(),
                port,
                name,
                allowed: v.allowed,
                egress: tracer.side(&v.egress, Direction::Egress, &s.endpoint, &d.endpoint),
                ingress: tracer.side(&v.ingress, Direction::Ingress, &s.endpoint, &d.endpoint),
            }
        })
        .collect();
    Pair {
        source: s.description.clone(),
        destination: d.description.clone(),
        allowed_ports: allowed.to_string(),
        checks,
        unresolved_ports: unresolved,
    }
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

/// The explanation for people.
pub fn human(x: &Explanation) -> String {
    let mut out = format!("{}: {}\n", x.query, x.verdict);
    for p in &x.pairs {
        out.push_str(&format!("\nfrom {}\n  to {}\n", p.source, p.destination));
        out.push_str(&format!("  allowed between them: {}\n", p.allowed_ports));
        for name in &p.unresolved_ports {
            out.push_str(&format!(
                "  `{name}`: denied, the destination declares no such container port\n"
            ));
        }
        for c in &p.checks {
            let port = match &c.name {
                Some(name) => format!("{} {} (`{name}`)", c.protocol, c.port),
                None => format!("{} {}", c.protocol, c.port),
            };
            let verdict = if c.allowed { "allowed" } else { "denied" };
            out.push_str(&format!("  {port}: {verdict}\n"));
            let traffic = format!("{} {}", c.protocol, c.port);
            for side in [&c.egress, &c.ingress] {
                out.push_str(&format!("    {}\n", trace::describe(side, &traffic)));
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
