//! `npc import`: the imported program of every manifest corpus input
//! (snapshots, `npc fmt`-clean, compiled equal to the input by the
//! evaluator and by nca), the round trip from every corpus program, random
//! manifest sets from the analyze differential's generator, and the
//! command line.

mod cli;
mod corpus;
mod named_ports;
mod random;
mod realistic;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use npc::eval::{PolicySet, PortSet};
use npc::import::{self, Import, Settings};
use npc::k8s::NAMESPACE_NAME_LABEL;
use npc::manifest::{self, Manifests};

use crate::support::nca::{self, AddressDirection, Connectivity, Inventory, Namespace, PodDecl};

/// Reads manifests as `npc import` does.
pub fn read(path: &Path) -> Manifests {
    let reading = manifest::load(&[path.to_path_buf()], &manifest::Options::default()).unwrap();
    assert!(
        !reading.has_errors(),
        "{}: {:?}",
        path.display(),
        reading.diagnostics
    );
    reading.manifests
}

/// The policies the imported program compiles to, with the kept ones.
pub fn output(imported: &Import) -> Vec<NetworkPolicy> {
    let compilation = npc::compile_str("imported.npl", &imported.text);
    assert!(
        !compilation.has_errors(),
        "the imported program does not compile: {:?}\n{}",
        compilation.diagnostics,
        imported.text
    );
    let mut out = compilation.policies;
    out.extend(imported.kept.iter().cloned());
    out
}

/// Pairs of the universe that the two policy sets allow differently, by
/// the evaluator (at most `limit` named).
pub fn evaluator_differences(
    manifests: &Manifests,
    a: &[NetworkPolicy],
    b: &[NetworkPolicy],
    limit: usize,
) -> (usize, Vec<String>) {
    let sa = PolicySet::from_slice(a).unwrap();
    let sb = PolicySet::from_slice(b).unwrap();
    let universe =
        import::universe::universe(manifests, &[&sa, &sb], &Settings::default()).unwrap();
    let (ma, mb) = (sa.matrix(&universe.pods), sb.matrix(&universe.pods));
    let mut out = Vec::new();
    let mut checked = 0;
    for s in 0..universe.pods.len() {
        for d in 0..universe.pods.len() {
            checked += 1;
            if ma.get(s, d) != mb.get(s, d) && out.len() < limit {
                out.push(format!(
                    "{:?} -> {:?}: {} vs {}",
                    universe.pods[s],
                    universe.pods[d],
                    ma.get(s, d),
                    mb.get(s, d)
                ));
            }
        }
        for ip in &universe.addresses {
            let (p, a) = (
                npc::eval::Endpoint::Pod(universe.pods[s].clone()),
                npc::eval::Endpoint::Ip(*ip),
            );
            for (x, y) in [(&p, &a), (&a, &p)] {
                checked += 1;
                let (fa, fb) = (sa.allowed_ports(x, y), sb.allowed_ports(x, y));
                if fa != fb && out.len() < limit {
                    out.push(format!("{x:?} -> {y:?}: {fa} vs {fb}"));
                }
            }
        }
    }
    (checked, out)
}

/// Pairs of an inventory's pods (probe pods included) that the two policy
/// sets allow differently, by the evaluator (at most `limit` named): the
/// probes are not chosen by npc's universe, so this checks the universe too.
pub fn probe_differences(
    inv: &Inventory,
    a: &[NetworkPolicy],
    b: &[NetworkPolicy],
    limit: usize,
) -> Vec<String> {
    let ma = inv.npc_matrix(&PolicySet::from_slice(a).unwrap());
    let mb = inv.npc_matrix(&PolicySet::from_slice(b).unwrap());
    let keys: std::collections::BTreeSet<&(String, String)> = ma.keys().chain(mb.keys()).collect();
    let none = PortSet::empty();
    keys.into_iter()
        .filter_map(|k| {
            let (pa, pb) = (ma.get(k).unwrap_or(&none), mb.get(k).unwrap_or(&none));
            (pa != pb).then(|| format!("{} => {}: input {pa}, program {pb}", k.0, k.1))
        })
        .take(limit)
        .collect()
}

/// An nca inventory of the universe: each namespace with one of its label
/// sets (the workloads' namespace's, or the first), the pods there, named
/// `prefix` + index; and probe pods that npc's universe does not choose:
/// copies of the first pod of each namespace and of up to
/// `probe_workloads` workload pods, declaring the rules' named ports at
/// numbers inside and outside every numbered port and range
/// (`nca::named_port_probes`).
pub fn inventory(
    manifests: &Manifests,
    sets: &[&[NetworkPolicy]],
    prefix: &str,
    max_synthetic: usize,
    probe_workloads: usize,
) -> Inventory {
    let compiled: Vec<PolicySet> = sets
        .iter()
        .map(|s| PolicySet::from_slice(s).unwrap())
        .collect();
    let compiled: Vec<&PolicySet> = compiled.iter().collect();
    let universe = import::universe::universe(manifests, &compiled, &Settings::default()).unwrap();
    let mut namespaces: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut inv = Inventory::default();
    let mut synthetic = 0usize;
    let total = universe.names.iter().filter(|n| n.is_none()).count();
    let stride = total.div_ceil(max_synthetic.max(1)).max(1);
    for (i, pod) in universe.pods.iter().enumerate() {
        let labels = namespaces
            .entry(pod.namespace.clone())
            .or_insert_with(|| pod.namespace_labels.clone());
        if *labels != pod.namespace_labels {
            continue;
        }
        // Synthetic pods: a spread sample, and every one in kube-system
        // (nca simulates a DNS pod there when none matches).
        if universe.names[i].is_none() && pod.namespace != "kube-system" {
            synthetic += 1;
            if synthetic % stride != 0 {
                continue;
            }
        }
        inv.pods.push(PodDecl {
            namespace: pod.namespace.clone(),
            name: format!("{prefix}{i}"),
            labels: pod.labels.clone(),
            ports: pod.ports.clone(),
        });
    }
    for (name, mut labels) in namespaces {
        labels.remove(NAMESPACE_NAME_LABEL);
        inv.namespaces.push(Namespace { name, labels });
    }
    let probes = nca::named_port_probes(sets);
    let mut templates: Vec<PodDecl> = Vec::new();
    let mut workloads = 0;
    for (i, pod) in inv.pods.iter().enumerate() {
        let first = !templates.iter().any(|t| t.namespace == pod.namespace);
        let workload = universe_index(&pod.name, prefix)
            .is_some_and(|u| u < universe.names.len() && universe.names[u].is_some());
        if first || (workload && workloads < probe_workloads) {
            workloads += usize::from(workload && !first);
            templates.push(inv.pods[i].clone());
        }
    }
    inv.pods.extend(nca::probe_copies(&templates, &probes));
    inv
}

/// The universe index of an inventory pod named `prefix` + index.
fn universe_index(name: &str, prefix: &str) -> Option<usize> {
    name.strip_prefix(prefix)?.parse().ok()
}

/// Merges inventories (namespaces by name: the first label set wins, pods
/// of the others' differing namespaces are left out).
pub fn merge(inventories: Vec<Inventory>) -> Inventory {
    let mut out = Inventory::default();
    for inv in inventories {
        for ns in &inv.namespaces {
            if !out.namespaces.iter().any(|n| n.name == ns.name) {
                out.namespaces.push(ns.clone());
            }
        }
        for pod in inv.pods {
            let mine = inv.namespaces.iter().find(|n| n.name == pod.namespace);
            let kept = out.namespaces.iter().find(|n| n.name == pod.namespace);
            if mine == kept {
                out.pods.push(pod);
            }
        }
    }
    out
}

/// What nca finds different between two policy sets over an inventory;
/// `None` when nca is skipped.
pub fn nca_differences(
    a: &[NetworkPolicy],
    b: &[NetworkPolicy],
    inventory: &Inventory,
) -> Option<Vec<String>> {
    nca_compare(a, b, inventory).map(|(diffs, _)| diffs)
}

/// [`nca_differences`], with nca's map of `b`.
pub fn nca_compare(
    a: &[NetworkPolicy],
    b: &[NetworkPolicy],
    inventory: &Inventory,
) -> Option<(Vec<String>, Connectivity)> {
    let ca = nca::connectivity(&nca::policies_yaml(a), inventory)?.unwrap();
    let cb = nca::connectivity(&nca::policies_yaml(b), inventory)?.unwrap();
    let mut out = Vec::new();
    let keys: std::collections::BTreeSet<&(String, String)> =
        ca.pods.keys().chain(cb.pods.keys()).collect();
    for k in keys {
        let pa = ca.pods.get(k).cloned().unwrap_or_else(PortSet::empty);
        let pb = cb.pods.get(k).cloned().unwrap_or_else(PortSet::empty);
        if pa != pb {
            out.push(format!("{} => {}: {pa} vs {pb}", k.0, k.1));
        }
    }
    // Every address bound either map draws, for every pod, both ways.
    let mut probes: Vec<(IpAddr, AddressDirection, String)> = Vec::new();
    for line in ca.addresses.iter().chain(&cb.addresses) {
        for ip in [line.first, line.last] {
            probes.push((ip, line.direction, line.pod.clone()));
        }
    }
    for (ip, direction, pod) in probes {
        let pa = ca.address_ports(ip, direction, &pod);
        let pb = cb.address_ports(ip, direction, &pod);
        if pa != pb {
            out.push(format!("{ip} {direction:?} {pod}: {pa} vs {pb}"));
        }
    }
    Some((out, cb))
}

/// The `expect` lines of an imported program that nca's map of its
/// policies contradicts for some pair of the inventory's pods.
pub fn expectation_failures(
    imported: &Import,
    inv: &Inventory,
    conn: &Connectivity,
) -> Vec<String> {
    let compilation = npc::compile_str("imported.npl", &imported.text);
    let program = compilation.program.expect("the imported program compiles");
    nca::expectation_failures(&program, inv, conn, 10)
}
