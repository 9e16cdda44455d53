//! The endpoints an equivalence check looks at: the input's workloads, and
//! one synthetic pod or address per region that the selectors and ipBlocks
//! of either policy set can tell apart.
//!
//! * namespaces: every namespace of the input, every name a selector
//!   mentions, and a fresh one; a namespace whose `Namespace` object is in
//!   the input has its labels, any other one takes every combination of
//!   namespace-selector verdicts (each mentioned value, another value, no
//!   label, per key);
//! * pods: in each such namespace, one pod per combination of the verdicts
//!   of the pod selectors that concern it (its policies' podSelectors,
//!   their peers without a namespaceSelector, and the peers whose
//!   namespaceSelector matches it); each pod is checked declaring no named
//!   port, and declaring every named port of the rules about it (ingress
//!   rules of the policies selecting it, egress rules whose peers match
//!   it) in every class of numbers the numbered ports and ranges of those
//!   rules tell apart (inside and outside each; several names per pod,
//!   each in its own class: `regions::port_classes`), and a pod whose
//!   workload label names a workload of its namespace also declaring that
//!   workload's container ports (with `assume_workload_ports`, only that);
//! * addresses: one per stretch of the IPv4 and IPv6 spaces that no bound
//!   of any `ipBlock` or `except` crosses.
//!
//! The enumeration is bounded ([`MAX_PODS`]); past it the check is refused,
//! never sampled.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::eval::{NamedPort, Pod, PolicySet, Protocol};
use crate::k8s::selector::Selector;
use crate::k8s::NAMESPACE_NAME_LABEL;
use crate::manifest::Manifests;
use crate::regions::port_classes::{self, Class, PortUse};
use crate::regions::{self, Index, Limits};

/// The most pods (workloads and synthetic) one check may compare.
pub const MAX_PODS: usize = 4_000;

/// Label assignments tried per enumeration before giving up.
const MAX_STEPS: usize = 2_000_000;

/// Why the check was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TooLarge;

/// The endpoints of one check.
#[derive(Clone, Debug, Default)]
pub struct Universe {
    /// Workload pods first (`workload_pods` of them), then synthetic ones.
    pub pods: Vec<Pod>,
    /// For each pod: the workload it is, if it is one.
    pub names: Vec<Option<String>>,
    /// For each pod: whether it repeats the pod before it but for the
    /// container ports it declares. Such a pod is a destination of its own
    /// (named ports resolve on the destination) and, as a source, the same
    /// as the pod it repeats.
    pub repeats: Vec<bool>,
    pub addresses: Vec<IpAddr>,
}

/// One label assignment per combination of the selectors' verdicts.
/// `fixed` labels are set as given.
fn label_classes(
    selectors: &BTreeSet<&Selector>,
    fixed: &BTreeMap<String, String>,
) -> Result<Vec<BTreeMap<String, String>>, TooLarge> {
    let selectors: Vec<&Selector> = selectors.iter().copied().collect();
    let limits = Limits {
        classes: MAX_PODS,
        steps: MAX_STEPS,
    };
    regions::label_classes(&Selector::default(), &selectors, fixed, limits).ok_or(TooLarge)
}

/// One address per stretch between consecutive bounds.
fn addresses(bounds: &BTreeSet<u128>, v4: bool) -> Vec<IpAddr> {
    let max: u128 = if v4 { u128::from(u32::MAX) } else { u128::MAX };
    let mut cuts: BTreeSet<u128> = bounds.iter().copied().filter(|b| *b <= max).collect();
    cuts.insert(0);
    let cuts: Vec<u128> = cuts.into_iter().collect();
    let mut out = Vec::new();
    for (i, start) in cuts.iter().enumerate() {
        let end = cuts.get(i + 1).map_or(max, |next| next - 1);
        let pick = if end - start >= 2 { start + 1 } else { *start };
        let ip = if v4 {
            u32::try_from(pick)
                .ok()
                .map(|n| IpAddr::V4(Ipv4Addr::from(n)))
        } else {
            Some(IpAddr::V6(Ipv6Addr::from(pick)))
        };
        out.extend(ip);
    }
    out
}

/// The endpoints to compare two policy sets over.
pub fn universe(
    manifests: &Manifests,
    sets: &[&PolicySet],
    settings: &super::Settings,
) -> Result<Universe, TooLarge> {
    let mut index = Index::default();
    for set in sets {
        index.add(set.views());
    }
    let mut out = Universe::default();
    for w in &manifests.workloads {
        let labels = manifests.namespace_labels(&w.id.namespace);
        for s in &w.shapes {
            if s.shape.host_network {
                continue;
            }
            out.pods.push(w.pod(&s.shape, &labels));
            out.names.push(Some(w.id.to_string()));
            out.repeats.push(false);
        }
    }
    let mut names: BTreeSet<String> = index.namespace_names().clone();
    names.extend(manifests.namespaces.iter().map(|n| n.name.clone()));
    let fresh = (0..)
        .map(|i| format!("npc-other-{i}"))
        .find(|n| !names.contains(n))
        .unwrap_or_default();
    names.insert(fresh);
    // Pod classes by the set of selectors that concern a namespace.
    let mut cache: BTreeMap<BTreeSet<&Selector>, Vec<BTreeMap<String, String>>> = BTreeMap::new();
    // Per pod: no named port, and every named port of the rules about it
    // in every class of numbers their numbered ports tell apart (several
    // names per pod, each in its own class: `regions::port_classes`), made
    // once per set of such rules' ports.
    let mut made: HashMap<PortUse, Vec<Vec<NamedPort>>> = HashMap::new();
    let mut variants_of = |namespace: &str,
                           namespace_labels: &BTreeMap<String, String>,
                           labels: &BTreeMap<String, String>|
     -> Result<Vec<Vec<NamedPort>>, TooLarge> {
        let rules = index
            .targets()
            .ports_for(namespace, namespace_labels, labels, None);
        if let Some(found) = made.get(&rules) {
            return Ok(found.clone());
        }
        let wanted: Vec<(String, Protocol, Vec<Class>)> = rules
            .named
            .iter()
            .map(|(name, protocol)| (name.clone(), *protocol, rules.classes(*protocol, &[])))
            .collect();
        let variants = port_classes::pack(&wanted, &[], MAX_PODS).map_err(|_| TooLarge)?;
        made.insert(rules, variants.clone());
        Ok(variants)
    };
    // The container ports of the workloads, by namespace and workload name.
    let mut workload_ports: BTreeMap<(&str, &str), Vec<NamedPort>> = BTreeMap::new();
    for w in &manifests.workloads {
        for s in &w.shapes {
            if let Some(name) = s.shape.labels.get(&settings.workload_label) {
                workload_ports
                    .entry((w.id.namespace.as_str(), name.as_str()))
                    .or_insert_with(|| s.shape.ports.clone());
            }
        }
    }
    for name in &names {
        let namespace_classes = match manifests.namespace(name).filter(|n| n.origin.is_some()) {
            Some(n) => vec![n.labels.clone()],
            None => {
                let fixed = BTreeMap::from([(NAMESPACE_NAME_LABEL.to_string(), name.clone())]);
                label_classes(&index.namespace_selectors().iter().collect(), &fixed)?
            }
        };
        for namespace_labels in &namespace_classes {
            let concern: BTreeSet<&Selector> = index
                .pod_selectors(name, namespace_labels)
                .into_iter()
                .collect();
            if !cache.contains_key(&concern) {
                let classes = label_classes(&concern, &BTreeMap::new())?;
                cache.insert(concern.clone(), classes);
            }
            let pod_classes = cache.get(&concern).cloned().unwrap_or_default();
            for labels in &pod_classes {
                // A pod named like a workload of its namespace declares
                // that workload's ports, or (unless assumed away) any
                // other set: a pod with the same labels from elsewhere.
                let own = labels
                    .get(&settings.workload_label)
                    .and_then(|w| workload_ports.get(&(name.as_str(), w.as_str())));
                let variants = variants_of(name, namespace_labels, labels)?;
                let list = match own {
                    Some(ports) if settings.assume_workload_ports => vec![ports.clone()],
                    Some(ports) => {
                        let mut all = vec![ports.clone()];
                        all.extend(variants.into_iter().filter(|v| v != ports));
                        all
                    }
                    None => variants,
                };
                for (i, ports) in list.iter().enumerate() {
                    out.pods.push(Pod {
                        namespace: name.clone(),
                        namespace_labels: namespace_labels.clone(),
                        labels: labels.clone(),
                        ports: ports.clone(),
                        ips: Vec::new(),
                        address: None,
                    });
                    out.names.push(None);
                    out.repeats.push(i > 0);
                }
            }
            if out.pods.len() > MAX_PODS {
                return Err(TooLarge);
            }
        }
    }
    out.addresses = addresses(&index.bounds().v4, true);
    out.addresses.extend(addresses(&index.bounds().v6, false));
    Ok(out)
}
