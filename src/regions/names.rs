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

use super::bounds::addresses;
use super::port_classes::PortUse;
use super::representative::{Kind, Representative};
use super::Index;
use crate::eval::{Endpoint, PolicyView};
use crate::k8s::{Cidr, Direction, DnsName, IpBlock};

impl Index {
    /// The numbered ports of a CiliumNetworkPolicy's egress rules, which
    /// split the classes in which destinations declare named ports
    /// (over-approximated: for every pod).
    pub(super) fn add_cilium_ports(&mut self, policy: &PolicyView<'_>) {
        for rule in policy.rules(Direction::Egress) {
            let mut uses = PortUse::default();
            for entry in rule.port_entries().into_iter().flatten() {
                uses.add_entry(entry);
            }
            self.targets.add_everywhere(uses);
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
