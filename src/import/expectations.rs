//! `expect` lines for a sample of the connections between the input's
//! workloads: some the input allows (one port each), some it denies
//! entirely, so that the program carries its own proof.
//!
//! An `expect` is universal (it must hold for every pod its endpoints can
//! denote), which is more than the input's workloads show; a candidate the
//! compiled program does not prove (E029) is left out, so every line
//! written holds.

use std::collections::BTreeSet;

use super::endpoints::value;
use super::translate::Settings;
use crate::eval::{Endpoint, PolicySet, PortSet, Protocol};
use crate::manifest::Manifests;

/// At most this many `expect allow` lines, and as many `expect deny`.
pub const SAMPLE: usize = 5;

/// The comment over the expectations.
const HEADER: &str =
    "# A sample of the connections the input allows and denies, checked on every build";

/// Candidate lines: workloads of namespaces in `namespaces` named by their
/// workload label, the first allowed port of each allowed pair, and pairs
/// that allow nothing.
fn candidates(
    manifests: &Manifests,
    input: &PolicySet,
    namespaces: &BTreeSet<String>,
    settings: &Settings,
) -> Vec<String> {
    let mut ends: Vec<(String, Endpoint)> = Vec::new();
    let mut seen = BTreeSet::new();
    for w in &manifests.workloads {
        if !namespaces.contains(&w.id.namespace) {
            continue;
        }
        let Some(shape) = w.shapes.iter().find(|s| !s.shape.host_network) else {
            continue;
        };
        let Some(name) = shape.shape.labels.get(&settings.workload_label) else {
            continue;
        };
        let text = format!("{}/{}", w.id.namespace, value(name));
        if !seen.insert(text.clone()) {
            continue;
        }
        let labels = manifests.namespace_labels(&w.id.namespace);
        ends.push((text, Endpoint::Pod(w.pod(&shape.shape, &labels))));
    }
    let mut allowed = Vec::new();
    let mut denied = Vec::new();
    for (a, pa) in &ends {
        for (b, pb) in &ends {
            if a == b {
                continue;
            }
            let ports = input.allowed_ports(pa, pb);
            if ports.is_empty() {
                if denied.len() < SAMPLE * 4 {
                    denied.push(format!("expect deny {a} -> {b}"));
                }
                continue;
            }
            if let Some((protocol, port)) = real_port(&ports, pb) {
                let suffix = match protocol {
                    Protocol::Tcp => String::new(),
                    other => format!("/{}", other.lowercase()),
                };
                if allowed.len() < SAMPLE * 4 {
                    allowed.push(format!("expect allow {a} -> {b}:{port}{suffix}"));
                }
            }
        }
    }
    // A spread of each kind.
    let pick = |list: Vec<String>| -> Vec<String> {
        let step = list.len().div_ceil(SAMPLE).max(1);
        list.into_iter().step_by(step).take(SAMPLE).collect()
    };
    let mut out = pick(allowed);
    out.extend(pick(denied));
    out
}

/// A port worth naming in an `expect allow`: a container port the
/// destination declares that is allowed, else the first allowed port of a
/// rule that names ports, else (every port allowed) a common service port.
fn real_port(ports: &PortSet, destination: &Endpoint) -> Option<(Protocol, u16)> {
    if let Endpoint::Pod(pod) = destination {
        if let Some(p) = pod
            .ports
            .iter()
            .find(|p| ports.contains(p.protocol, p.number))
        {
            return Some((p.protocol, p.number));
        }
    }
    let first = Protocol::ALL
        .into_iter()
        .find_map(|p| ports.ranges(p).first().map(|r| (p, r.start)))?;
    if first.1 > 1 {
        return Some(first);
    }
    [80, 443, 8080]
        .into_iter()
        .find(|n| ports.contains(Protocol::Tcp, *n))
        .map_or(Some(first), |n| Some((Protocol::Tcp, n)))
}

/// A line with its words one space apart (the formatter aligns them).
fn words(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The program with the sample of expectations the compiled program
/// proves; the program unchanged when there is none.
pub fn add(
    text: &str,
    manifests: &Manifests,
    input: &PolicySet,
    namespaces: &BTreeSet<String>,
    settings: &Settings,
) -> String {
    let mut lines = candidates(manifests, input, namespaces, settings);
    // Twice at most: leave out what fails, then check the rest holds.
    for _ in 0..2 {
        if lines.is_empty() {
            return text.to_string();
        }
        let with = format!("{}\n\n{HEADER}\n{}\n", text.trim_end(), lines.join("\n"));
        let Ok(formatted) = crate::format::format(&with) else {
            return text.to_string();
        };
        let compilation = crate::compile_str(super::PROGRAM_NAME, &formatted);
        let failed: BTreeSet<String> = compilation
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .filter_map(|d| {
                let source = compilation.sources.get(d.span.file)?;
                let line = source.line_of(d.span.start());
                formatted.lines().nth(line.checked_sub(1)?).map(words)
            })
            .collect();
        if failed.is_empty() {
            return formatted;
        }
        lines.retain(|l| !failed.contains(&words(l)));
    }
    text.to_string()
}
