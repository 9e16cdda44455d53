//! The DNS carve-out: egress to the DNS servers on 53/udp and 53/tcp for every
//! egress-isolated managed namespace, and ingress to DNS servers that live in
//! an ingress-isolated managed namespace from the whole cluster.

use crate::ir::{
    dns_ports, Dns, NamespaceSelector, Origin, OriginKind, Peer, Program, Rule, Selector, Sides,
};

pub fn apply(program: &mut Program) {
    let Dns::Servers { peers, span } = &program.dns else {
        return;
    };
    let mut rules = Vec::new();
    for ns in program.namespaces.values() {
        if !(ns.isolation.egress && ns.dns) {
            continue;
        }
        rules.push(Rule {
            sources: vec![Peer::Pods {
                namespaces: NamespaceSelector::Named(ns.name.clone()),
                pods: Selector::default(),
            }],
            destinations: peers.iter().map(|p| (p.clone(), dns_ports())).collect(),
            origin: Origin {
                kind: OriginKind::Dns,
                span: span.unwrap_or(ns.span),
            },
            sides: Sides::EGRESS,
        });
    }
    for server in peers {
        let Peer::Pods { namespaces, .. } = server else {
            continue;
        };
        let hosted = program
            .namespaces
            .values()
            .find(|ns| ns.isolation.ingress && namespaces.covers(&ns.name, &ns.labels));
        let Some(host) = hosted else { continue };
        rules.push(Rule {
            sources: vec![Peer::Pods {
                namespaces: NamespaceSelector::Matching(Selector::default()),
                pods: Selector::default(),
            }],
            destinations: vec![(server.clone(), dns_ports())],
            origin: Origin {
                kind: OriginKind::DnsServer,
                span: span.unwrap_or(host.span),
            },
            sides: Sides::INGRESS,
        });
    }
    program.rules.extend(rules);
}
