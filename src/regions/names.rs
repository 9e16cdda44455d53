//! DNS names in `expect` regions: what CiliumNetworkPolicies can tell apart
//! (their pod selectors, ports, CIDR sets and names), and the
//! representatives of names.
//!
//! A name denotes the addresses it resolves to when the connection is made:
//! a part of `world` that may lie inside any CIDR. So a name's
//! representatives are the name at one address of each stretch of `world`
//! the policies tell apart, and an address range's representatives include,
//! besides plain addresses, every name the policies name at each of its
//! addresses. Distinct names are distinct addresses; a name lies in a
//! pattern when Cilium's `matchPattern` matches it (`*` is one label). A
//! pattern stands for the names the policies name that it covers, and for
//! one more name it covers that the policies do not name.

use k8s_openapi::api::networking::v1::IPBlock;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::bounds::addresses;
use super::index::named;
use super::representative::{Kind, Representative};
use super::{selector, Index};
use crate::eval::Endpoint;
use crate::k8s::cilium::{self, CiliumNetworkPolicy};
use crate::k8s::{Cidr, DnsName, IpBlock, Protocol, NAMESPACE_NAME_LABEL};

impl Index {
    /// Adds what CiliumNetworkPolicies can tell apart.
    pub fn add_cilium(&mut self, policies: &[CiliumNetworkPolicy]) {
        for policy in policies {
            let ns = policy.namespace().to_string();
            self.namespace_names.insert(ns.clone());
            if let Ok(parts) = cilium::split_selector(&policy.spec.endpoint_selector) {
                self.pods_by_namespace
                    .entry(ns.clone())
                    .or_default()
                    .insert(selector(&parts.pods));
            }
            for rule in &policy.spec.egress {
                // Numbered ports split the classes in which destinations
                // declare named ports (over-approximated: for every pod).
                let mut uses = super::port_classes::PortUse::default();
                for port_rule in rule.to_ports.iter().flatten() {
                    for p in &port_rule.ports {
                        let Ok(n) = p.port.parse::<u16>() else {
                            continue;
                        };
                        let protocols: &[Protocol] = match p.protocol.as_str() {
                            "UDP" => &[Protocol::Udp],
                            "SCTP" => &[Protocol::Sctp],
                            "TCP" => &[Protocol::Tcp],
                            _ => &[Protocol::Tcp, Protocol::Udp, Protocol::Sctp],
                        };
                        for protocol in protocols {
                            uses.add_numbered(*protocol, n, n);
                        }
                    }
                }
                self.targets.add_everywhere(uses);
                for entry in rule.to_cidr_set.iter().flatten() {
                    self.bounds.add(&IPBlock {
                        cidr: entry.cidr.clone(),
                        except: entry.except.clone(),
                    });
                }
                for entry in rule.to_fqdns.iter().flatten() {
                    let text = entry.match_name.as_ref().or(entry.match_pattern.as_ref());
                    if let Some(Ok(name)) = text.map(|t| DnsName::parse(t)) {
                        self.names.insert(name);
                    }
                }
                for sel in rule.to_endpoints.iter().flatten() {
                    self.add_cilium_peer(&ns, sel);
                }
            }
        }
    }

    /// A `toEndpoints` selector, as the pod selector of the namespaces it
    /// reaches (the policy's own namespace when it names none).
    fn add_cilium_peer(&mut self, own: &str, sel: &LabelSelector) {
        let Ok(parts) = cilium::split_selector(sel) else {
            return;
        };
        let pods = selector(&parts.pods);
        let mut namespaces = selector(&parts.namespace);
        if !parts.names_namespace {
            namespaces
                .match_labels
                .insert(NAMESPACE_NAME_LABEL.to_string(), own.to_string());
        }
        if let Some(name) = named(&namespaces) {
            let name = name.to_string();
            self.namespace_names.insert(name.clone());
            self.pods_by_namespace.entry(name).or_default().insert(pods);
            self.intern(namespaces);
        } else {
            let id = self.intern(namespaces);
            self.pods_by_selector.entry(id).or_default().insert(pods);
        }
    }

    /// The names (a pattern's instances) a name endpoint may be: every name
    /// of the policies, and an instance of each pattern that none names.
    fn name_instances(&self) -> Vec<DnsName> {
        let literals: Vec<&DnsName> = self.names.iter().filter(|n| !n.is_pattern()).collect();
        let mut out: Vec<DnsName> = literals.iter().map(|n| (*n).clone()).collect();
        for pattern in self.names.iter().filter(|n| n.is_pattern()) {
            let instance = pattern.instance(&literals);
            if !out.contains(&instance) {
                out.push(instance);
            }
        }
        out
    }
}

/// Every name the policies tell apart at each address of `plain` (the
/// representatives of an address range).
pub fn at_addresses(plain: &[Representative], index: &Index) -> Vec<Representative> {
    let names = index.name_instances();
    let mut out = Vec::new();
    for name in &names {
        for rep in plain {
            if let Endpoint::Ip(address) = rep.endpoint {
                out.push(Representative {
                    kind: Kind::Name,
                    endpoint: Endpoint::Name {
                        name: name.clone(),
                        address,
                    },
                });
            }
        }
    }
    out
}

/// The representatives of a name or pattern written in an `expect` line:
/// the names it covers (for a pattern: those of the policies, and one
/// more), each at one address of every stretch of `world` the policies tell
/// apart.
pub fn representatives(written: &DnsName, index: &Index) -> Vec<Representative> {
    let mut names: Vec<DnsName> = Vec::new();
    if written.is_pattern() {
        let literals: Vec<&DnsName> = index.names.iter().filter(|n| !n.is_pattern()).collect();
        names.extend(
            literals
                .iter()
                .filter(|n| written.covers(n))
                .map(|n| (*n).clone()),
        );
        names.push(written.instance(&literals));
    } else {
        names.push(written.clone());
    }
    let world = [
        IpBlock {
            cidr: Cidr::V4 {
                network: 0,
                prefix: 0,
            },
            except: Vec::new(),
        },
        IpBlock {
            cidr: Cidr::V6 {
                network: 0,
                prefix: 0,
            },
            except: Vec::new(),
        },
    ];
    let plain: Vec<Representative> = world.iter().flat_map(|b| addresses(b, index)).collect();
    let mut out = Vec::new();
    for name in names {
        for rep in &plain {
            if let Endpoint::Ip(address) = rep.endpoint {
                out.push(Representative {
                    kind: Kind::Name,
                    endpoint: Endpoint::Name {
                        name: name.clone(),
                        address,
                    },
                });
            }
        }
    }
    out
}
