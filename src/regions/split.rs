use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use super::bounds::{addresses, pod_positions};
use super::labels::{label_classes, Limits};
use super::port_classes::{self, Class, Name, PortUse};
use super::representative::{Kind, Representative};
use super::{Index, TooManyRegions, MAX_REGIONS};
use crate::eval::{Endpoint, NamedPort, Pod};
use crate::hashing::HashMap;
use crate::ir::{NamespaceSelector, Peer, PortNumber, Ports, Program, Selector};
use crate::k8s::{Protocol, NAMESPACE_NAME_LABEL};

/// A namespace of one region.
struct NamespaceRegion {
    name: String,
    labels: BTreeMap<String, String>,
    /// Whether the program declares it.
    managed: bool,
}

/// The endpoints a split was made for, and, when they are destinations,
/// the ports asked about and the sources.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct SplitKey {
    peers: Vec<Peer>,
    /// `None` for sources.
    destination: Option<DestinationKey>,
}

/// The ports asked about and the source endpoints of an expectation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct DestinationKey {
    ports: Option<Ports>,
    sources: Vec<Peer>,
}

/// The namespaces (name, labels) a pod peer's namespace part can denote,
/// one per region.
fn namespaces(
    scope: &NamespaceSelector,
    program: &Program,
    index: &Index,
) -> Result<Vec<NamespaceRegion>, TooManyRegions> {
    let (required, names): (Selector, Vec<String>) = match scope {
        NamespaceSelector::Named(n) => (Selector::default(), vec![n.clone()]),
        NamespaceSelector::Matching(sel) => {
            let mut names: Vec<String> = index
                .namespace_names
                .iter()
                .filter(|n| !program.namespaces.contains_key(*n))
                .cloned()
                .collect();
            let fresh = (0..)
                .map(|i| {
                    if i == 0 {
                        "other".to_string()
                    } else {
                        format!("other-{i}")
                    }
                })
                .find(|n| {
                    !program.namespaces.contains_key(n) && !index.namespace_names.contains(n)
                });
            names.extend(fresh);
            (sel.clone(), names)
        }
    };
    let mut out = Vec::new();
    match scope {
        NamespaceSelector::Named(n) => {
            if let Some(ns) = program.namespaces.get(n) {
                out.push(NamespaceRegion {
                    name: ns.name.clone(),
                    labels: ns.labels.clone(),
                    managed: true,
                });
            }
        }
        NamespaceSelector::Matching(sel) => {
            for ns in program
                .namespaces
                .values()
                .filter(|ns| sel.matches(&ns.labels))
            {
                out.push(NamespaceRegion {
                    name: ns.name.clone(),
                    labels: ns.labels.clone(),
                    managed: true,
                });
            }
        }
    }
    let unmanaged: Vec<String> = names
        .into_iter()
        .filter(|n| !program.namespaces.contains_key(n))
        .collect();
    if unmanaged.is_empty() {
        return Ok(out);
    }
    let selectors: Vec<&Selector> = index.namespace_selectors.iter().collect();
    for name in unmanaged {
        let fixed = BTreeMap::from([(NAMESPACE_NAME_LABEL.to_string(), name.clone())]);
        let classes =
            label_classes(&required, &selectors, &fixed, Limits::REGIONS).ok_or(TooManyRegions)?;
        out.extend(classes.into_iter().map(|labels| NamespaceRegion {
            name: name.clone(),
            labels,
            managed: false,
        }));
        if out.len() > MAX_REGIONS {
            return Err(TooManyRegions);
        }
    }
    Ok(out)
}

/// The container ports a destination pod may declare, one declaration per
/// pod to check (`port_classes`): none but the named ports asked about,
/// and every named port of the rules about the pod (`rules`) in every
/// class of numbers their numbered ports tell apart that matters for the
/// ports asked about (each class, without ports). A named port asked about
/// is declared in every declaration, in each class in turn.
fn port_declarations(
    ports: Option<&Ports>,
    rules: &PortUse,
) -> Result<Vec<Vec<NamedPort>>, TooManyRegions> {
    let asked: Vec<&crate::ir::Port> = match ports {
        Some(Ports::Only(list)) => list.iter().collect(),
        _ => Vec::new(),
    };
    let every_port = !matches!(ports, Some(Ports::Only(_)));
    let required: Vec<Name> = asked
        .iter()
        .filter_map(|p| match &p.number {
            PortNumber::Named(n) => Some((n.clone(), p.protocol)),
            _ => None,
        })
        .collect();
    let numbers = |protocol: Protocol| -> Vec<(u16, u16)> {
        asked
            .iter()
            .filter(|p| p.protocol == protocol)
            .filter_map(|p| match p.number {
                PortNumber::Single(n) => Some((n, n)),
                PortNumber::Range(a, b) => Some((a, b)),
                PortNumber::Named(_) => None,
            })
            .collect()
    };
    let mut names: BTreeSet<Name> = rules.named.clone();
    names.extend(required.iter().cloned());
    let mut wanted: Vec<(String, Protocol, Vec<Class>)> = Vec::new();
    for (name, protocol) in names {
        let asked_numbers = numbers(protocol);
        let mut classes = rules.classes(protocol, &asked_numbers);
        let is_required = required.iter().any(|(n, p)| *n == name && *p == protocol);
        if !every_port && !is_required {
            // Declared elsewhere, it changes nothing asked about.
            classes.retain(|c| asked_numbers.iter().any(|(a, b)| c.meets(*a, *b)));
        }
        if !classes.is_empty() {
            wanted.push((name, protocol, classes));
        }
    }
    port_classes::pack(&wanted, &required, MAX_REGIONS).map_err(|_| TooManyRegions)
}

/// The declarations of destination pods for the ports and sources of an
/// expectation, made once per set of ports of the rules that can decide a
/// flow from those sources to a pod.
struct Declarations<'a> {
    index: &'a Index,
    /// `None` for sources: they declare nothing (named ports resolve on
    /// the destination).
    ports: Option<Option<Ports>>,
    /// The source representatives.
    sources: Vec<Endpoint>,
    made: HashMap<PortUse, Rc<Vec<Vec<NamedPort>>>>,
}

impl Declarations<'_> {
    fn for_pod(
        &mut self,
        namespace: &str,
        namespace_labels: &BTreeMap<String, String>,
        labels: &BTreeMap<String, String>,
    ) -> Result<Rc<Vec<Vec<NamedPort>>>, TooManyRegions> {
        let Some(ports) = &self.ports else {
            return Ok(Rc::new(vec![Vec::new()]));
        };
        let rules =
            self.index
                .targets
                .ports_for(namespace, namespace_labels, labels, Some(&self.sources));
        if let Some(found) = self.made.get(&rules) {
            return Ok(Rc::clone(found));
        }
        let made = Rc::new(port_declarations(ports.as_ref(), &rules)?);
        self.made.insert(rules, Rc::clone(&made));
        Ok(made)
    }
}

/// The representatives of one expectation endpoint (its peers: one, or the
/// two halves of `world`), one per region. A destination's pods declare
/// the container ports of each case of their declarations, and, when
/// `placed`, take each position relative to the `networks` of cluster
/// policies (one address per stretch between their bounds, in each family).
fn representatives(
    peers: &[Peer],
    program: &Program,
    index: &Index,
    declarations: &mut Declarations<'_>,
    placed: bool,
) -> Result<Vec<Representative>, TooManyRegions> {
    let positions = if placed {
        pod_positions(index)
    } else {
        Vec::new()
    };
    let mut out = Vec::new();
    for peer in peers {
        match peer {
            Peer::Pods {
                namespaces: scope,
                pods,
            } => {
                for NamespaceRegion {
                    name: namespace,
                    labels: namespace_labels,
                    managed,
                } in namespaces(scope, program, index)?
                {
                    let concerned = index.pod_selectors(&namespace, &namespace_labels);
                    let classes =
                        label_classes(pods, &concerned, &BTreeMap::new(), Limits::REGIONS)
                            .ok_or(TooManyRegions)?;
                    for labels in classes {
                        let cases = declarations.for_pod(&namespace, &namespace_labels, &labels)?;
                        for ports in cases.iter() {
                            let rep = pod(&namespace, &namespace_labels, managed, &labels, ports);
                            if positions.is_empty() {
                                out.push(rep);
                                continue;
                            }
                            for address in &positions {
                                let mut placed = rep.clone();
                                if let Endpoint::Pod(p) = &mut placed.endpoint {
                                    p.address = Some(*address);
                                }
                                out.push(placed);
                            }
                        }
                        if out.len() > MAX_REGIONS {
                            return Err(TooManyRegions);
                        }
                    }
                }
            }
            Peer::Ip(block) => {
                let plain = addresses(block, index);
                // A DNS name may resolve into the block: each name the
                // policies tell apart, at each of its addresses.
                let names = super::names::at_addresses(&plain, index);
                out.extend(plain);
                out.extend(names);
            }
            Peer::Name(name) => out.extend(super::names::representatives(name, index)),
        }
        if out.len() > MAX_REGIONS {
            return Err(TooManyRegions);
        }
    }
    Ok(out)
}

fn pod(
    namespace: &str,
    namespace_labels: &BTreeMap<String, String>,
    managed: bool,
    labels: &BTreeMap<String, String>,
    ports: &[NamedPort],
) -> Representative {
    Representative {
        kind: Kind::Pod { declared: managed },
        endpoint: Endpoint::Pod(Pod {
            namespace: namespace.to_string(),
            namespace_labels: namespace_labels.clone(),
            labels: labels.clone(),
            ports: ports.to_vec(),
            // Representative pods carry no address: ipBlocks never match them.
            ips: Vec::new(),
            address: None,
        }),
    }
}

/// The regions of both endpoints of an expectation, for its check.
pub struct Regions {
    pub sources: Rc<Vec<Representative>>,
    pub destinations: Rc<Vec<Representative>>,
}

/// The most splits a [`Splitter`] remembers before it forgets them all.
const MAX_REMEMBERED: usize = 1024;

/// Splits expectations' endpoints into regions, remembering each split:
/// most programs name the same endpoints and ports in many expectations.
pub struct Splitter<'a> {
    program: &'a Program,
    index: &'a Index,
    cache: HashMap<SplitKey, Rc<Vec<Representative>>>,
    /// Destination declarations per ports asked about and sources.
    declarations: HashMap<DestinationKey, Declarations<'a>>,
}

impl<'a> Splitter<'a> {
    pub fn new(program: &'a Program, index: &'a Index) -> Splitter<'a> {
        Splitter {
            program,
            index,
            cache: HashMap::default(),
            declarations: HashMap::default(),
        }
    }

    /// Splits an expectation's endpoints into regions.
    pub fn plan(&mut self, e: &crate::ir::Expectation) -> Result<Regions, TooManyRegions> {
        // What is remembered is only ever re-computed when forgotten (a
        // split depends on the endpoints, the ports and the index alone);
        // forgetting it now and then bounds the memory of a check over
        // many expectations, and the endpoints a program names again are
        // mostly those of the lines just before.
        if self.cache.len() >= MAX_REMEMBERED {
            self.cache.clear();
            self.declarations.clear();
        }
        let sources = self.split(&e.sources, None)?;
        let destinations = self.split(
            &e.destinations,
            Some(DestinationKey {
                ports: e.ports.clone(),
                sources: e.sources.clone(),
            }),
        )?;
        Ok(Regions {
            sources,
            destinations,
        })
    }

    fn split(
        &mut self,
        peers: &[Peer],
        destination: Option<DestinationKey>,
    ) -> Result<Rc<Vec<Representative>>, TooManyRegions> {
        let key = SplitKey {
            peers: peers.to_vec(),
            destination,
        };
        if let Some(found) = self.cache.get(&key) {
            return Ok(Rc::clone(found));
        }
        let index = self.index;
        let mut none = Declarations {
            index,
            ports: None,
            sources: Vec::new(),
            made: HashMap::default(),
        };
        let declarations = match &key.destination {
            None => &mut none,
            Some(destination) => {
                if !self.declarations.contains_key(destination) {
                    let sources = self.split(&destination.sources, None)?;
                    self.declarations.insert(
                        destination.clone(),
                        Declarations {
                            index,
                            ports: Some(destination.ports.clone()),
                            sources: sources.iter().map(|r| r.endpoint.clone()).collect(),
                            made: HashMap::default(),
                        },
                    );
                }
                match self.declarations.get_mut(destination) {
                    Some(found) => found,
                    None => &mut none,
                }
            }
        };
        let placed = key.destination.is_some();
        let reps = Rc::new(representatives(
            peers,
            self.program,
            index,
            declarations,
            placed,
        )?);
        self.cache.insert(key, Rc::clone(&reps));
        Ok(reps)
    }
}
