//! DNS names as destinations (`allow api -> api.stripe.com:443`): their
//! validation, where they may stand, and what a program that uses them must
//! also say (`set cni = cilium`, DNS servers).

use super::endpoint::{Resolved, Role};
use super::Resolver;
use crate::diagnostic::{codes, Applicability, Diagnostic};
use crate::ir::{Cni, Dns, Peer, PortNumber, Ports};
use crate::k8s::dns_name::{self, DnsName, CLUSTER_DOMAIN};
use crate::source::{Span, Spanned};
use crate::syntax::ast;

impl Resolver {
    /// A name as written (`API.Stripe.com.`, `*.s3.amazonaws.com`), checked.
    pub(super) fn dns_name(&mut self, text: &str, span: Span) -> Option<Peer> {
        let name = match DnsName::parse(text) {
            Ok(name) => name,
            Err(why) => {
                self.error(
                    Diagnostic::new(
                        codes::INVALID_DNS_NAME,
                        span,
                        format!("invalid DNS name `{text}`"),
                    )
                    .with_primary(why.0)
                    .with_help("a DNS name is two or more labels of letters, digits and `-` (`api.example.com`); a pattern is `*.` and such a name (`*.s3.amazonaws.com`), where `*` stands for one label"),
                );
                return None;
            }
        };
        let last = name.labels().last().unwrap_or("");
        if name.is_under(CLUSTER_DOMAIN) || last == "svc" {
            let mut d = Diagnostic::new(
                codes::INVALID_DNS_NAME,
                span,
                format!("`{text}` is a name inside the cluster"),
            )
            .with_primary("Services and pods are endpoints, not DNS names")
            .with_note("npc allows traffic to pods by their labels, and Cilium applies `toFQDNs` rules only to addresses outside the cluster");
            // `SERVICE.NAMESPACE.svc[.cluster.local]`
            let labels: Vec<&str> = name.labels().collect();
            match labels.as_slice() {
                [service, namespace, "svc", ..]
                    if *service != "*" && self.program.namespaces.contains_key(*namespace) =>
                {
                    let endpoint = format!("{namespace}/{service}");
                    d = d
                        .with_help(format!("write the pods behind the Service as an endpoint, e.g. `{endpoint}` (the workload label of its pods)"))
                        .with_suggestion(
                            format!("write `{endpoint}`"),
                            span,
                            endpoint,
                            Applicability::MaybeIncorrect,
                        );
                }
                _ => {
                    d = d.with_help(
                        "write the pods behind the Service as an endpoint: `NAMESPACE/WORKLOAD`",
                    );
                }
            }
            self.error(d);
            return None;
        }
        Some(Peer::Name(name))
    }

    /// Names only as destinations, without named ports. A faulty name is
    /// reported once and left out (so an alias holding it is reported where
    /// it is defined or used, not again at every use).
    pub(super) fn check_names(
        &mut self,
        out: &mut Vec<Resolved>,
        target: &Spanned<ast::Target>,
        role: Role,
    ) {
        let Some(first) = out.iter().find_map(|r| match &r.peer {
            Peer::Name(n) => Some(n.clone()),
            _ => None,
        }) else {
            return;
        };
        if role != Role::Destination {
            let through_alias = matches!(target.endpoint.node, ast::Endpoint::Alias(_));
            let (message, help) = match role {
                Role::DnsServer => (
                    "a DNS name cannot be a DNS server".to_string(),
                    "name the DNS pods (`dns kube-system/{k8s-app=kube-dns}`) or the address of a node-local cache (`dns 169.254.20.10`)",
                ),
                _ => (
                    format!("`{first}` is a DNS name, which is never a source"),
                    "a name stands for the addresses it resolves to, outside the cluster; to allow traffic from outside, write its addresses (`allow 203.0.113.0/24 -> ...`) or `world`",
                ),
            };
            let mut d = Diagnostic::new(codes::NAME_MISPLACED, target.endpoint.span, message)
                .with_primary(if through_alias {
                    "this alias holds a DNS name"
                } else {
                    "a destination only"
                })
                .with_help(help);
            if through_alias {
                if let ast::Endpoint::Alias(alias) = &target.endpoint.node {
                    if let Some(def) = self.lookup(alias).map(|a| a.span) {
                        d = d.with_secondary(def, "defined here");
                    }
                }
            }
            self.error(d);
            out.retain(|r| !matches!(r.peer, Peer::Name(_)));
            return;
        }
        let mut reported = false;
        for r in out.iter_mut() {
            let (Peer::Name(name), Some((Ports::Only(ports), span))) = (&r.peer, &r.ports) else {
                continue;
            };
            let Some(named) = ports.iter().find_map(|p| match &p.number {
                PortNumber::Named(n) => Some(n.clone()),
                _ => None,
            }) else {
                continue;
            };
            if !reported {
                self.error(
                    Diagnostic::new(
                        codes::NAMED_PORT_TO_NAME,
                        *span,
                        format!("`{name}` is a DNS name, which has no named ports"),
                    )
                    .with_primary(format!("the named port `{named}`"))
                    .with_note("a named port is a container port of the destination pod; a name's addresses are outside the cluster")
                    .with_help("write the port number, e.g. `:443`"),
                );
                reported = true;
            }
            let kept: Vec<_> = ports
                .iter()
                .filter(|p| !matches!(p.number, PortNumber::Named(_)))
                .cloned()
                .collect();
            let span = *span;
            r.ports = (!kept.is_empty()).then(|| (Ports::only(kept), span));
        }
        if reported {
            // The name's rule would allow every port without the named one.
            out.retain(|r| !(matches!(r.peer, Peer::Name(_)) && r.ports.is_none()));
        }
    }

    /// W023: inside a block, a dotted word that is no alias is a workload
    /// name; one that ends in a top-level domain was probably a DNS name.
    pub(super) fn dotted_workload(&mut self, namespace: &str, word: &str, span: Span) {
        let Some((_, last)) = word.rsplit_once('.') else {
            return;
        };
        if !dns_name::is_top_level_domain(last) || DnsName::parse(word).is_err() {
            return;
        }
        self.warn(
            Diagnostic::new(
                codes::DOTTED_WORKLOAD,
                span,
                format!("`{word}` here is a workload of `{namespace}`, not a DNS name"),
            )
            .with_primary(format!("the pods of `{namespace}` labelled `{}={word}`", self.settings.workload_label))
            .with_note(format!("inside `namespace {namespace} {{ }}` a bare word is a workload name, and `{last}` is a top-level domain"))
            .with_help(format!("for the DNS name, write it with a trailing dot: `{word}.`; for the workload, write `{namespace}/{word}`"))
            .with_suggestion(
                format!("write `{word}.`"),
                Span::new(span.file, span.end(), span.end()),
                ".",
                Applicability::MaybeIncorrect,
            ),
        );
    }

    /// What a program that allows traffic to DNS names must also say: the
    /// CNI that can enforce them, and DNS servers.
    /// `first`: the span of the program's first statement.
    pub(super) fn names_pass(&mut self, first_statement: Option<Span>) {
        let Some(&first) = self.name_uses.first() else {
            return;
        };
        if self.settings.cni != Cni::Cilium {
            let at = first_statement.map_or(Span::new(first.file, 0, 0), |s| {
                Span::new(s.file, s.start(), s.start())
            });
            let mut d = Diagnostic::new(
                codes::NAME_NEEDS_CNI,
                first,
                "a DNS name as a destination needs `set cni = cilium`",
            )
            .with_primary("NetworkPolicy cannot express this")
            .with_note("NetworkPolicy allows addresses (`ipBlock`), never names; Cilium's CiliumNetworkPolicy can (`toFQDNs`), learning each name's addresses from the DNS answers its proxy sees")
            .with_help("if the cluster runs Cilium, add `set cni = cilium`; otherwise allow the addresses the name resolves to (a CIDR)");
            if self.name_uses.len() > 1 {
                d = d.with_note(format!(
                    "the program names {} DNS names as destinations",
                    self.name_uses.len()
                ));
            }
            if at.file == first.file {
                d = d.with_suggestion(
                    "add `set cni = cilium`",
                    at,
                    "set cni = cilium\n",
                    Applicability::MaybeIncorrect,
                );
            }
            self.error(d);
        }
        match &self.program.dns {
            Dns::None(span) => {
                let span = *span;
                self.error(
                    Diagnostic::new(
                        codes::NAME_WITHOUT_DNS,
                        span,
                        "DNS names need DNS, and `dns none` turns it off",
                    )
                    .with_primary("no DNS servers")
                    .with_secondary(first, "a DNS name as a destination")
                    .with_note("Cilium learns a name's addresses from the DNS answers its proxy sees: without DNS rules the name never resolves to an allowed address")
                    .with_help("name the DNS servers instead (`dns kube-system/{k8s-app=kube-dns}`); npc gives the pods that reach names a DNS rule, even in namespaces that say `no dns`"),
                );
            }
            Dns::Servers { peers, span } => {
                // A single address as NPL writes it (`169.254.20.10`).
                let address = peers.iter().find_map(|p| match p {
                    Peer::Ip(b) if b.cidr.prefix() == 32 || b.cidr.prefix() == 128 => {
                        Some(b.cidr.network_address().to_string())
                    }
                    Peer::Ip(b) => Some(b.cidr.to_string()),
                    _ => None,
                });
                let pods_named = peers.iter().any(|p| matches!(p, Peer::Pods { .. }));
                if let (Some(cidr), Some(span)) = (address, span) {
                    let span = *span;
                    let help = if pods_named {
                        "check that lookups reach the proxy (docs/names.md says how)"
                    } else {
                        "name the cache's pods too (`dns 169.254.20.10, kube-system/{k8s-app=node-local-dns}`), and check that lookups reach the proxy (docs/names.md says how)"
                    };
                    self.warn(
                        Diagnostic::new(
                            codes::DNS_ADDRESS_WITH_NAMES,
                            span,
                            format!("with DNS names, lookups sent to `{cidr}` must reach Cilium's DNS proxy"),
                        )
                        .with_primary("a DNS server given by its address")
                        .with_secondary(first, "a DNS name as a destination")
                        .with_note("a node-local cache is reached through a redirect (Cilium's CiliumLocalRedirectPolicy, or iptables rules on the node); a redirect that bypasses Cilium's DNS proxy leaves `toFQDNs` rules without addresses, and the policy then sees the cache's pods, not this address")
                        .with_help(help),
                    );
                }
            }
        }
    }
}
