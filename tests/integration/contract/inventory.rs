//! A synthetic cluster for a program: namespaces and pods that exercise every
//! endpoint the program names, plus bystanders that no rule names, and
//! copies of some of them that declare the program's named ports inside and
//! outside every numbered port and range.

use std::collections::{BTreeMap, BTreeSet};

use npc::eval::{NamedPort, Protocol};
use npc::ir::{NamespaceSelector, Operator, Peer, PortNumber, Ports, Program, Selector};
use npc::k8s::NAMESPACE_NAME_LABEL;

use crate::support::nca::{self, Inventory, Namespace, PodDecl};

pub fn namespace<'i>(inv: &'i Inventory, name: &str) -> Option<&'i Namespace> {
    inv.namespaces.iter().find(|n| n.name == name)
}

/// Labels that satisfy a selector, or `None` if it cannot be satisfied simply.
pub fn satisfying(sel: &Selector) -> BTreeMap<String, String> {
    let mut labels = sel.match_labels.to_map();
    for r in &sel.expressions {
        match r.operator {
            Operator::In => {
                if let Some(v) = r.values.iter().next() {
                    labels.entry(r.key.clone()).or_insert_with(|| v.clone());
                }
            }
            Operator::Exists => {
                labels
                    .entry(r.key.clone())
                    .or_insert_with(|| "yes".to_string());
            }
            Operator::NotIn | Operator::DoesNotExist => {}
        }
    }
    labels
}

/// Every pod peer the program mentions.
pub fn pod_peers(program: &Program) -> Vec<(NamespaceSelector, Selector)> {
    let mut peers: Vec<&Peer> = Vec::new();
    for r in &program.rules {
        peers.extend(r.sources.iter());
        peers.extend(r.destinations.iter().map(|(p, _)| p));
    }
    for e in &program.expectations {
        peers.extend(&e.sources);
        peers.extend(&e.destinations);
    }
    if let npc::ir::Dns::Servers { peers: s, .. } = &program.dns {
        peers.extend(s.iter());
    }
    let mut out: Vec<(NamespaceSelector, Selector)> = Vec::new();
    for p in peers {
        if let Peer::Pods { namespaces, pods } = p {
            let item = (namespaces.clone(), pods.clone());
            if !out.contains(&item) {
                out.push(item);
            }
        }
    }
    for s in &program.scrapes {
        let item = (
            NamespaceSelector::Matching(Selector::default()),
            s.pods.clone(),
        );
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// Every port list of the program: rules (carve-outs included), scrapes,
/// expectations.
fn port_lists(program: &Program) -> Vec<&Ports> {
    let mut all: Vec<&Ports> = program
        .rules
        .iter()
        .flat_map(|r| r.destinations.iter().map(|(_, p)| p))
        .collect();
    all.extend(program.scrapes.iter().map(|s| &s.ports));
    all.extend(program.expectations.iter().filter_map(|e| e.ports.as_ref()));
    all
}

/// Every named port the program uses, with the protocol of its first use.
fn named_ports(program: &Program) -> BTreeMap<String, Protocol> {
    let mut out = BTreeMap::new();
    for ports in port_lists(program) {
        if let Ports::Only(set) = ports {
            for p in set {
                if let PortNumber::Named(n) = &p.number {
                    out.entry(n.clone()).or_insert(p.protocol);
                }
            }
        }
    }
    out
}

/// The program's named ports (with every protocol they are used with) and
/// numbered ports, read from the program (not from the emitted policies).
fn port_use(program: &Program) -> nca::PortUse {
    let (mut names, mut numbered) = nca::PortUse::default();
    for ports in port_lists(program) {
        if let Ports::Only(set) = ports {
            for p in set {
                let range = match &p.number {
                    PortNumber::Named(n) => {
                        names.insert((n.clone(), p.protocol));
                        continue;
                    }
                    PortNumber::Single(n) => (*n, *n),
                    PortNumber::Range(a, b) => (*a, *b),
                };
                numbered.entry(p.protocol).or_default().insert(range);
            }
        }
    }
    (names, numbered)
}

/// At most this many pods get copies that declare the named ports at probe
/// numbers (`nca::probe_sets`): the first pod of each namespace, and the
/// pods an `expect` line's destination covers (so that a universal
/// `expect` meets pods that declare the rules' named ports inside and
/// outside every numbered range).
const MAX_PROBE_TEMPLATES: usize = 8;

pub fn build(program: &Program) -> Inventory {
    let workload = program.settings.workload_label.clone();
    let mut namespaces: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for ns in program.namespaces.values() {
        namespaces.insert(ns.name.clone(), ns.labels.clone());
    }
    let peers = pod_peers(program);
    let mut external = 0;
    for (ns_sel, _) in &peers {
        match ns_sel {
            NamespaceSelector::Named(n) => {
                namespaces.entry(n.clone()).or_insert_with(|| {
                    BTreeMap::from([(NAMESPACE_NAME_LABEL.to_string(), n.clone())])
                });
            }
            NamespaceSelector::Matching(sel) => {
                let mut labels = satisfying(sel);
                let name = match labels.get(NAMESPACE_NAME_LABEL) {
                    Some(n) => n.clone(),
                    None => {
                        external += 1;
                        format!("outside-{external}")
                    }
                };
                labels.insert(NAMESPACE_NAME_LABEL.to_string(), name.clone());
                if sel.matches(&labels) {
                    namespaces.entry(name).or_insert(labels);
                }
            }
        }
    }
    namespaces.insert(
        "elsewhere".to_string(),
        BTreeMap::from([(NAMESPACE_NAME_LABEL.to_string(), "elsewhere".to_string())]),
    );
    let named = named_ports(program);
    let container_ports: Vec<NamedPort> = named
        .iter()
        .enumerate()
        .map(|(i, (n, p))| NamedPort {
            name: n.clone(),
            protocol: *p,
            number: 20000 + u16::try_from(i).unwrap(),
        })
        .collect();
    let mut pods: Vec<PodDecl> = Vec::new();
    let mut seen: BTreeSet<(String, BTreeMap<String, String>)> = BTreeSet::new();
    let mut add = |ns: &str, labels: BTreeMap<String, String>, pods: &mut Vec<PodDecl>| {
        if seen.insert((ns.to_string(), labels.clone())) {
            pods.push(PodDecl {
                name: format!("p{}", pods.len()),
                namespace: ns.to_string(),
                labels,
                ports: container_ports.clone(),
            });
        }
    };
    for (ns_sel, pod_sel) in &peers {
        for (ns, labels) in &namespaces {
            if ns_sel.covers(ns, labels) {
                let pl = satisfying(pod_sel);
                if pod_sel.matches(&pl) {
                    add(ns, pl, &mut pods);
                }
            }
        }
    }
    // `isolate ... only`: a pod of each set, and of each set AND each pod
    // part that reaches its namespace, so that listed pods meet every rule
    // (the pods above, and the bystanders, are the unlisted ones).
    for ns in program.namespaces.values() {
        for set in &ns.only {
            let mut parts: Vec<&Selector> = vec![&set.pods];
            parts.extend(
                peers
                    .iter()
                    .filter(|(n, _)| n.covers(&ns.name, &ns.labels))
                    .map(|(_, p)| p),
            );
            for part in parts {
                let both = part.and(&set.pods);
                let pl = satisfying(&both);
                if both.matches(&pl) {
                    add(&ns.name, pl, &mut pods);
                }
            }
        }
    }
    for ns in namespaces.keys() {
        add(
            ns,
            BTreeMap::from([(workload.clone(), "bystander".to_string())]),
            &mut pods,
        );
    }
    let mut templates: Vec<PodDecl> = Vec::new();
    for (ns, labels) in &namespaces {
        let covered = |peers: &[Peer], pod: &PodDecl| {
            peers.iter().any(|peer| match peer {
                Peer::Pods {
                    namespaces: n,
                    pods: p,
                } => n.covers(ns, labels) && p.matches(&pod.labels),
                Peer::Ip(_) | Peer::Name(_) => false,
            })
        };
        for (i, pod) in pods.iter().filter(|p| &p.namespace == ns).enumerate() {
            let expected = program
                .expectations
                .iter()
                .any(|e| covered(&e.destinations, pod));
            if (i == 0 || expected) && templates.len() < MAX_PROBE_TEMPLATES {
                templates.push(pod.clone());
            }
        }
    }
    let (names, numbered) = port_use(program);
    pods.extend(nca::probe_copies(
        &templates,
        &nca::probe_sets(&names, &numbered),
    ));
    Inventory {
        namespaces: namespaces
            .into_iter()
            .map(|(name, labels)| Namespace { name, labels })
            .collect(),
        pods,
    }
}
