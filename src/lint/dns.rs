//! L001, the DNS trap: pods whose egress is isolated and that cannot reach
//! any DNS server on UDP and TCP port 53.
//!
//! The DNS servers are the input's CoreDNS / kube-dns pods (`k8s-app:
//! kube-dns` or `coredns`, `app.kubernetes.io/name: coredns`); when the
//! input has none, a stand-in pod `kube-system/{k8s-app=kube-dns}` with
//! CoreDNS's named ports. NodeLocal DNSCache's address `169.254.20.10`
//! counts too. Both sides are evaluated: a DNS server whose own ingress
//! refuses the pod does not resolve its names either.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use super::{list, Context, Rule, SubjectOf};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::eval::{Endpoint, NamedPort, Pod, PolicyId, Protocol};

/// L001: egress isolated without DNS.
pub const DNS_TRAP: Rule = Rule::new(
    "L001",
    "dns-trap",
    "egress isolated without DNS",
    "egress isolated without DNS on UDP and TCP 53 (the DNS trap)",
);

/// NodeLocal DNSCache's usual link-local address.
const NODE_LOCAL_DNS: IpAddr = IpAddr::V4(Ipv4Addr::new(169, 254, 20, 10));

pub(super) fn is_dns_server(labels: &BTreeMap<String, String>) -> bool {
    let is = |k: &str, v: &str| labels.get(k).is_some_and(|x| x == v);
    is("k8s-app", "kube-dns") || is("k8s-app", "coredns") || is("app.kubernetes.io/name", "coredns")
}

/// What one pod can do with DNS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Reach {
    None,
    UdpOnly,
    TcpOnly,
}

/// A CoreDNS pod as clusters run it, for when the input has none.
pub fn stand_in(cx: &Context<'_>) -> Pod {
    let port = |name: &str, protocol| NamedPort {
        name: name.into(),
        protocol,
        number: 53,
    };
    Pod {
        namespace: "kube-system".into(),
        namespace_labels: cx.manifests.namespace_labels("kube-system"),
        labels: BTreeMap::from([("k8s-app".to_string(), "kube-dns".to_string())]),
        ports: vec![port("dns", Protocol::Udp), port("dns-tcp", Protocol::Tcp)],
        ips: Vec::new(),
        address: None,
    }
}

pub fn check(cx: &Context<'_>, out: &mut Diagnostics) {
    let mut servers: Vec<Endpoint> = cx
        .subjects
        .iter()
        .filter(|s| matches!(s.of, SubjectOf::Workload(_)) && is_dns_server(&s.pod.labels))
        .map(|s| s.endpoint.clone())
        .collect();
    let stand_in = servers.is_empty();
    if stand_in {
        servers.push(Endpoint::Pod(self::stand_in(cx)));
    }
    servers.push(Endpoint::Ip(NODE_LOCAL_DNS));

    // (isolating policies, reach) → the subjects it applies to.
    let mut groups: BTreeMap<(Vec<PolicyId>, Reach), Vec<usize>> = BTreeMap::new();
    for (i, subject) in cx.subjects.iter().enumerate() {
        if is_dns_server(&subject.pod.labels) {
            continue;
        }
        let isolating = cx.set.egress_policies(&subject.pod);
        if isolating.is_empty() {
            continue;
        }
        let me = &subject.endpoint;
        let (mut udp, mut tcp) = (false, false);
        for server in &servers {
            let ports = cx.set.allowed_ports(me, server);
            udp |= ports.contains(Protocol::Udp, 53);
            tcp |= ports.contains(Protocol::Tcp, 53);
        }
        let reach = match (udp, tcp) {
            (true, true) => continue,
            (true, false) => Reach::UdpOnly,
            (false, true) => Reach::TcpOnly,
            (false, false) => Reach::None,
        };
        groups.entry((isolating, reach)).or_default().push(i);
    }

    for ((isolating, reach), members) in groups {
        let subjects: Vec<&super::Subject> =
            members.iter().filter_map(|&i| cx.subjects.get(i)).collect();
        let names: Vec<String> = subjects.iter().map(|s| cx.name(s.of)).collect();
        // The first isolating policy: a NetworkPolicy or a CiliumNetworkPolicy.
        let Some((first, first_key)) = isolating.first().and_then(|&id| cx.origin_of(id)) else {
            continue;
        };
        let Some(me) = subjects.first().map(|s| &s.endpoint) else {
            continue;
        };
        let all_workloads = subjects
            .iter()
            .all(|s| matches!(s.of, SubjectOf::Workload(_)));
        let who = match (names.len(), all_workloads) {
            (1, _) => names[0].clone(),
            (n, true) => format!("{n} workloads"),
            (n, false) => format!("{n} sets of pods"),
        };
        let servers_note = if stand_in {
            "DNS servers: the input has none, so a stand-in `kube-system/{k8s-app=kube-dns}` pod and NodeLocal DNSCache at `169.254.20.10` were tried".to_owned()
        } else {
            "DNS servers: the input's CoreDNS pods and NodeLocal DNSCache at `169.254.20.10`"
                .to_owned()
        };
        let d = match reach {
            Reach::None => {
                let span = first
                    .field_exact("spec.policyTypes")
                    .unwrap_or_else(|| first.field("spec.egress"));
                Diagnostic::new(
                    DNS_TRAP.code,
                    span,
                    format!("egress of {who} is isolated and no rule allows DNS"),
                )
                .with_primary(format!("`{first_key}` isolates egress here"))
                .with_note(format!("cannot resolve names: {}", list(&names, 8)))
                .with_note("lookups time out after seconds while connections by IP address keep working, so the failure looks random")
                .with_note(servers_note)
                .with_help("allow egress to the cluster DNS on UDP and TCP port 53: a `to` peer `namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}` with `podSelector: {matchLabels: {k8s-app: kube-dns}}`, and `ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]`")
            }
            Reach::UdpOnly | Reach::TcpOnly => {
                let (allowed, blocked) = match reach {
                    Reach::UdpOnly => (Protocol::Udp, Protocol::Tcp),
                    _ => (Protocol::Tcp, Protocol::Udp),
                };
                // The rule that lets the allowed protocol through.
                let rule = servers.iter().find_map(|server| {
                    let verdict = cx.set.evaluate(me, server, allowed, 53);
                    verdict
                        .allowed
                        .then(|| verdict.egress.matched.first().cloned())
                        .flatten()
                });
                let span = rule
                    .as_ref()
                    .and_then(|r| Some((cx.item(r.id)?, r.rule)))
                    .map_or_else(
                        || first.field("spec.egress"),
                        |(p, r)| p.field(&format!("spec.egress[{r}]")),
                    );
                let help = match blocked {
                    Protocol::Tcp => "add `{port: 53, protocol: TCP}` beside the UDP port: DNS falls back to TCP for answers that do not fit in a UDP packet",
                    _ => "add `{port: 53, protocol: UDP}`: most lookups use UDP, and a port without `protocol` is TCP only",
                };
                Diagnostic::new(
                    DNS_TRAP.code,
                    span,
                    format!("egress of {who} allows DNS over {allowed} only: {blocked} port 53 is blocked"),
                )
                .with_primary(format!("DNS over {allowed} is allowed here"))
                .with_note(format!("affected: {}", list(&names, 8)))
                .with_note(servers_note)
                .with_help(help)
            }
        };
        let mut d = d;
        for &id in isolating.iter().skip(1).take(3) {
            if let Some((origin, _)) = cx.origin_of(id) {
                d = d.with_secondary(origin.span, "also isolates their egress");
            }
        }
        out.push(d);
    }
}
