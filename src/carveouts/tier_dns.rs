//! DNS before every tier `deny`: a `deny` that may cover DNS traffic (53/udp
//! or 53/tcp toward a `dns` endpoint; a DNS pod may lie in any CIDR) gets,
//! just before it, a statement with its sides and sources toward each `dns`
//! endpoint within its destinations on its ports that are DNS's: `pass` in
//! `admin` (the namespaces' own policies then decide, so a namespace's `no
//! dns` keeps its meaning) and `accept` in `baseline`. A block with `no dns`
//! gets none.

use std::collections::{BTreeMap, BTreeSet};

use crate::ir::{
    Action, Dns, NamespaceSelector, Peer, Port, PortNumber, Ports, Program, Tier, TierBlock,
    TierOrigin, TierStatement,
};
use crate::k8s::{Direction, IpBlock, Protocol};

pub fn apply(program: &mut Program) {
    let Dns::Servers { peers: servers, .. } = &program.dns else {
        return;
    };
    let servers = servers.clone();
    let known: BTreeMap<String, BTreeMap<String, String>> = program
        .namespaces
        .values()
        .map(|ns| (ns.name.clone(), ns.labels.clone()))
        .collect();
    for block in [&mut program.tiers.admin, &mut program.tiers.baseline]
        .into_iter()
        .flatten()
    {
        insert(block, &servers, &known);
    }
}

/// The declared namespaces' labels: a DNS server in one of them lies in a
/// label set by those labels, not by what labels it might have.
type Known = BTreeMap<String, BTreeMap<String, String>>;

fn insert(block: &mut TierBlock, servers: &[Peer], known: &Known) {
    if !block.dns {
        return;
    }
    let action = match block.tier {
        Tier::Admin => Action::Pass,
        Tier::Baseline => Action::Accept,
    };
    let mut out = Vec::with_capacity(block.statements.len());
    for statement in std::mem::take(&mut block.statements) {
        if statement.action == Action::Deny && !statement.origin.dns {
            out.extend(dns_statements(&statement, servers, action, known));
        }
        out.push(statement);
    }
    block.statements = out;
}

/// The statements inserted before `deny`: one per side it applies to, in
/// the order its destinations are written.
fn dns_statements(
    deny: &TierStatement,
    servers: &[Peer],
    action: Action,
    known: &Known,
) -> Vec<TierStatement> {
    // Destinations of the statements, by the side each applies to.
    let mut as_written: Vec<(Peer, Ports)> = Vec::new();
    let mut egress_only: Vec<(Peer, Ports)> = Vec::new();
    for (dst, ports) in &deny.destinations {
        let Some(dns_ports) = dns_part(ports) else {
            continue;
        };
        for server in servers {
            let Some(within) = within(server, dst, known) else {
                continue;
            };
            // A DNS pod inside an address destination: the deny applies
            // to the sources' egress only, and so does its DNS statement.
            let pod_in_addresses =
                matches!(dst, Peer::Ip(_)) && matches!(within, Peer::Pods { .. });
            let list = if pod_in_addresses && deny.side.is_none() {
                &mut egress_only
            } else {
                &mut as_written
            };
            let entry = (within, dns_ports.clone());
            if !list.contains(&entry) {
                list.push(entry);
            }
        }
    }
    let origin = TierOrigin {
        span: deny.origin.span,
        dns: true,
    };
    let mut out = Vec::new();
    if !as_written.is_empty() {
        out.push(TierStatement {
            action,
            side: deny.side,
            sources: deny.sources.clone(),
            destinations: as_written,
            origin,
        });
    }
    if !egress_only.is_empty() {
        out.push(TierStatement {
            action,
            side: Some(Direction::Egress),
            sources: deny.sources.clone(),
            destinations: egress_only,
            origin,
        });
    }
    out
}

/// The ports of `ports` that DNS is served on (53/udp, 53/tcp); `None` if none.
fn dns_part(ports: &Ports) -> Option<Ports> {
    let dns = [Protocol::Udp, Protocol::Tcp];
    let kept: BTreeSet<Port> = dns
        .into_iter()
        .filter(|protocol| match ports {
            Ports::All => true,
            Ports::Only(list) => list.iter().any(|p| {
                p.protocol == *protocol
                    && match p.number {
                        PortNumber::Single(n) => n == 53,
                        PortNumber::Range(a, b) => a <= 53 && 53 <= b,
                        PortNumber::Named(_) => false,
                    }
            }),
        })
        .map(|protocol| Port {
            protocol,
            number: PortNumber::Single(53),
        })
        .collect();
    (!kept.is_empty()).then(|| Ports::only(kept))
}

/// The part of a DNS endpoint that lies in a destination: the pods both
/// select, the DNS pods themselves when the destination is an address
/// range (a pod may have any address), or the addresses both hold.
fn within(server: &Peer, dst: &Peer, known: &Known) -> Option<Peer> {
    match (server, dst) {
        (
            Peer::Pods {
                namespaces: sn,
                pods: sp,
            },
            Peer::Pods {
                namespaces: dn,
                pods: dp,
            },
        ) => {
            let namespaces = both_namespaces(sn, dn, known)?;
            let pods = sp.and(dp);
            (!pods.is_unsatisfiable()).then_some(Peer::Pods { namespaces, pods })
        }
        (Peer::Pods { .. }, Peer::Ip(_)) => Some(server.clone()),
        (Peer::Ip(s), Peer::Ip(d)) => both_addresses(s, d).map(Peer::Ip),
        (Peer::Ip(_), Peer::Pods { .. }) => None,
        // Tier statements hold no DNS names (E050).
        (Peer::Name(_), _) | (_, Peer::Name(_)) => None,
    }
}

fn both_namespaces(
    a: &NamespaceSelector,
    b: &NamespaceSelector,
    known: &Known,
) -> Option<NamespaceSelector> {
    use crate::k8s::NAMESPACE_NAME_LABEL;
    match (a, b) {
        (NamespaceSelector::Named(x), NamespaceSelector::Named(y)) => (x == y).then(|| a.clone()),
        (NamespaceSelector::Named(n), NamespaceSelector::Matching(sel))
        | (NamespaceSelector::Matching(sel), NamespaceSelector::Named(n)) => {
            let named = crate::ir::Selector::equals(NAMESPACE_NAME_LABEL, n.clone());
            if sel.is_empty() || named.implies(sel) {
                return Some(NamespaceSelector::Named(n.clone()));
            }
            if let Some(labels) = known.get(n) {
                return sel
                    .matches(labels)
                    .then(|| NamespaceSelector::Named(n.clone()));
            }
            let both = named.and(sel);
            (!both.is_unsatisfiable()).then_some(NamespaceSelector::Matching(both))
        }
        (NamespaceSelector::Matching(x), NamespaceSelector::Matching(y)) => {
            let both = x.and(y);
            (!both.is_unsatisfiable()).then_some(NamespaceSelector::Matching(both))
        }
    }
}

/// The addresses two blocks share, as one block (the smaller CIDR, with
/// the exceptions of both that lie inside it); `None` when they share none.
fn both_addresses(a: &IpBlock, b: &IpBlock) -> Option<IpBlock> {
    let (inner, outer) = if b.cidr.covers(a.cidr) {
        (a, b)
    } else if a.cidr.covers(b.cidr) {
        (b, a)
    } else {
        return None;
    };
    let mut except: Vec<_> = inner.except.clone();
    for e in &outer.except {
        if e.covers(inner.cidr) {
            return None;
        }
        if inner.cidr.strictly_contains(*e) {
            except.push(*e);
        }
    }
    except.sort_by_cached_key(ToString::to_string);
    except.dedup();
    Some(IpBlock {
        cidr: inner.cidr,
        except,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{default_dns_server, dns_ports, Selector};
    use crate::k8s::Cidr;
    use crate::source::{FileId, Span};

    fn cluster() -> Peer {
        Peer::Pods {
            namespaces: NamespaceSelector::Matching(Selector::default()),
            pods: Selector::default(),
        }
    }

    fn deny(dst: Peer, ports: Ports, side: Option<Direction>) -> TierStatement {
        TierStatement {
            action: Action::Deny,
            side,
            sources: vec![cluster()],
            destinations: vec![(dst, ports)],
            origin: TierOrigin {
                span: Span::new(FileId(0), 0, 1),
                dns: false,
            },
        }
    }

    #[test]
    fn a_deny_of_the_cluster_keeps_the_dns_servers_open() {
        let d = deny(cluster(), Ports::All, None);
        let inserted = dns_statements(&d, &[default_dns_server()], Action::Accept, &Known::new());
        assert_eq!(inserted.len(), 1);
        assert_eq!(inserted[0].side, None);
        assert_eq!(
            inserted[0].destinations,
            vec![(default_dns_server(), dns_ports())]
        );
        assert!(inserted[0].origin.dns);
    }

    #[test]
    fn only_the_dns_ports_the_deny_covers() {
        let udp = Ports::only([Port {
            protocol: Protocol::Udp,
            number: PortNumber::Range(1, 1024),
        }]);
        let d = deny(cluster(), udp, Some(Direction::Egress));
        let inserted = dns_statements(&d, &[default_dns_server()], Action::Pass, &Known::new());
        assert_eq!(inserted[0].side, Some(Direction::Egress));
        assert_eq!(
            inserted[0].destinations[0].1,
            Ports::only([Port {
                protocol: Protocol::Udp,
                number: PortNumber::Single(53),
            }])
        );
        let web = Ports::only([Port {
            protocol: Protocol::Tcp,
            number: PortNumber::Single(443),
        }]);
        assert!(dns_statements(
            &deny(cluster(), web, None),
            &[default_dns_server()],
            Action::Pass,
            &Known::new()
        )
        .is_empty());
    }

    #[test]
    fn an_address_deny_keeps_dns_pods_and_dns_addresses_in_it() {
        let world = Peer::Ip(IpBlock {
            cidr: Cidr::parse_strict("0.0.0.0/0").unwrap(),
            except: Vec::new(),
        });
        let local = Peer::Ip(IpBlock {
            cidr: Cidr::parse_strict("169.254.20.10").unwrap(),
            except: Vec::new(),
        });
        let d = deny(world, Ports::All, None);
        let inserted = dns_statements(
            &d,
            &[default_dns_server(), local.clone()],
            Action::Pass,
            &Known::new(),
        );
        // The node-local cache is an address in the range: as written; the
        // DNS pods may lie in it: egress only.
        assert_eq!(inserted.len(), 2);
        assert_eq!(inserted[0].destinations[0].0, local);
        assert_eq!(inserted[1].side, Some(Direction::Egress));
        assert_eq!(inserted[1].destinations[0].0, default_dns_server());
    }

    #[test]
    fn dns_servers_outside_the_destination_need_nothing() {
        let web = Peer::Pods {
            namespaces: NamespaceSelector::Named("web".into()),
            pods: Selector::default(),
        };
        assert!(dns_statements(
            &deny(web, Ports::All, None),
            &[default_dns_server()],
            Action::Pass,
            &Known::new()
        )
        .is_empty());
        let labelled = Peer::Pods {
            namespaces: NamespaceSelector::Matching(Selector::equals("tier", "data")),
            pods: Selector::default(),
        };
        let inserted = dns_statements(
            &deny(labelled.clone(), Ports::All, None),
            &[default_dns_server()],
            Action::Pass,
            &Known::new(),
        );
        let Peer::Pods { namespaces, .. } = &inserted[0].destinations[0].0 else {
            panic!("pods expected");
        };
        assert!(matches!(namespaces, NamespaceSelector::Matching(s) if s.match_labels.len() == 2));
        // A declared kube-system has known labels.
        let declared = Known::from([(
            "kube-system".to_string(),
            BTreeMap::from([(
                crate::k8s::NAMESPACE_NAME_LABEL.to_string(),
                "kube-system".to_string(),
            )]),
        )]);
        let d = deny(labelled, Ports::All, None);
        assert!(dns_statements(&d, &[default_dns_server()], Action::Pass, &declared).is_empty());
    }
}
