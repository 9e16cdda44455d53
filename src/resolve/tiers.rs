//! Tier blocks (`admin { ... }`, `baseline { ... }`) and the settings of
//! cluster policies: statements resolved in written order, and everything
//! the ClusterNetworkPolicy API cannot express reported where it is written.

use super::endpoint::Role;
use super::Resolver;
use crate::diagnostic::{codes, Diagnostic};
use crate::ir::{
    Action, ClusterPolicyApi, Peer, PortNumber, Ports, Tier, TierBlock, TierOrigin, TierStatement,
};
use crate::k8s::cluster_policy::{MAX_PRIORITY, MIN_PRIORITY};
use crate::k8s::{Cidr, Direction, IpBlock, Protocol};
use crate::source::{Span, Spanned};
use crate::syntax::ast::{self, Statement};

/// Address ranges that hold pod addresses in common clusters (RFC 1918,
/// RFC 6598's shared space, IPv6 unique local addresses): a tier statement
/// toward a range that contains one of them applies to pod traffic too.
const POD_RANGES: &[&str] = &[
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "fc00::/7",
];

/// Whether an earlier statement of the block decides every pod's egress
/// toward every pod (`pass cluster -> cluster`, or an `accept`): then a
/// later statement toward addresses meets traffic to addresses only, and
/// W021 has nothing to say.
fn pods_decided(earlier: &[TierStatement]) -> bool {
    let everything = |p: &Peer| matches!(p, Peer::Pods { namespaces: crate::ir::NamespaceSelector::Matching(ns), pods } if ns.is_empty() && pods.is_empty());
    earlier.iter().any(|s| {
        s.action != Action::Deny
            && s.applies(Direction::Egress)
            && s.sources.iter().any(everything)
            && s.destinations
                .iter()
                .any(|(p, ports)| everything(p) && *ports == Ports::All)
    })
}

impl Resolver {
    /// `set cluster-policy-api = v1alpha2 | v1alpha1`
    pub(super) fn cluster_policy_api(&mut self, value: &Spanned<String>) {
        match value.node.as_str() {
            "v1alpha2" => self.settings.cluster_policy_api = ClusterPolicyApi::V1alpha2,
            "v1alpha1" => self.settings.cluster_policy_api = ClusterPolicyApi::V1alpha1,
            other => self.error(
                Diagnostic::new(
                    codes::INVALID_SETTING,
                    value.span,
                    format!("`{other}` is not a cluster policy API version"),
                )
                .with_primary("not `v1alpha2` or `v1alpha1`")
                .with_help("write `set cluster-policy-api = v1alpha2` for ClusterNetworkPolicy (the default), or `v1alpha1` for AdminNetworkPolicy and BaselineAdminNetworkPolicy"),
            ),
        }
    }

    /// `set cluster-policy-priorities = A-B`, `0 <= A <= B <= 1000`.
    pub(super) fn cluster_policy_priorities(&mut self, value: &Spanned<String>) {
        let parse = |s: &str| {
            (!s.is_empty() && s.len() <= 4 && s.chars().all(|c| c.is_ascii_digit()))
                .then(|| s.parse::<u16>().ok())
                .flatten()
        };
        let range = value
            .node
            .split_once('-')
            .and_then(|(a, b)| Some((parse(a)?, parse(b)?)));
        match range {
            Some((a, b)) if a <= b && b <= MAX_PRIORITY => {
                self.settings.cluster_policy_priorities = (a, b);
            }
            _ => self.error(
                Diagnostic::new(
                    codes::INVALID_SETTING,
                    value.span,
                    format!("`{}` is not a range of priorities", value.node),
                )
                .with_primary(format!("not `FIRST-LAST` with {MIN_PRIORITY} <= FIRST <= LAST <= {MAX_PRIORITY}"))
                .with_help("write the priorities npc may give its cluster policies, e.g. `set cluster-policy-priorities = 100-199`"),
            ),
        }
    }

    /// An `admin` or `baseline` block at the top level.
    pub(super) fn tier_block(&mut self, decl: &ast::TierDecl) {
        let tier = decl.tier.node;
        if let Some(first) = self.tier_seen.get(&tier).copied() {
            self.error(
                Diagnostic::new(
                    codes::DUPLICATE_TIER,
                    decl.tier.span,
                    format!("a second `{tier}` block"),
                )
                .with_primary("given again here")
                .with_secondary(first, "first given here")
                .with_help(format!(
                    "write every `{tier}` statement in one block, in the order they apply: the order decides which statement wins"
                )),
            );
            for inner in &decl.body {
                if let Statement::TierRule(r) = &inner.node {
                    self.note_targets(&r.sources);
                    self.note_targets(&r.destinations);
                }
            }
            return;
        }
        self.tier_seen.insert(tier, decl.tier.span);
        let mut block = TierBlock {
            tier,
            span: decl.tier.span,
            dns: true,
            statements: Vec::new(),
        };
        let mut no_dns = None;
        for inner in &decl.body {
            match &inner.node {
                Statement::TierRule(r) => {
                    let decided = pods_decided(&block.statements);
                    if let Some(s) = self.tier_rule(tier, r, inner.span, decided) {
                        block.statements.push(s);
                    }
                }
                Statement::No(what) if what.node == ast::Carveout::Dns => {
                    block.dns = false;
                    no_dns = Some(inner.span);
                }
                Statement::No(_) => self.misplaced(
                    inner,
                    "only inside a `namespace` block",
                    "remove it: a tier block holds `accept`, `deny` and `pass` statements and `no dns`",
                ),
                _ => {}
            }
        }
        let denies = decl
            .body
            .iter()
            .any(|s| matches!(&s.node, Statement::TierRule(r) if r.action.node == Action::Deny));
        if let (Some(at), true) = (no_dns, denies) {
            self.warn(
                Diagnostic::new(
                    codes::TIER_NO_DNS,
                    at,
                    format!("the `deny` statements of `{tier}` may cut off DNS"),
                )
                .with_primary("no DNS statement is inserted before them")
                .with_note("a `deny` that covers 53/udp or 53/tcp toward a DNS server makes every name lookup of the pods it applies to wait for its timeout (about 30 s per request), while calls by IP keep working")
                .with_help(format!(
                    "remove `no dns` unless the pods these statements apply to never resolve names; npc then keeps DNS open before each `deny` ({})",
                    match tier {
                        Tier::Admin => "a `pass`, so the namespaces' own policies decide",
                        Tier::Baseline => "an `accept`",
                    }
                )),
            );
        }
        match tier {
            Tier::Admin => self.program.tiers.admin = Some(block),
            Tier::Baseline => self.program.tiers.baseline = Some(block),
        }
    }

    /// One statement of a tier block; `None` (after its errors) when it
    /// cannot be written as cluster policy rules.
    fn tier_rule(
        &mut self,
        tier: Tier,
        r: &ast::TierRule,
        span: Span,
        pods_decided: bool,
    ) -> Option<TierStatement> {
        let mut ok = true;
        if r.action.node == Action::Pass && tier == Tier::Baseline {
            ok = false;
            self.error(
                Diagnostic::new(codes::PASS_IN_BASELINE, r.action.span, "`pass` in a `baseline` block")
                    .with_primary("nothing comes after the baseline to pass to")
                    .with_note("`pass` skips the rest of the admin tier so that the namespaces' own policies decide; after the baseline there is only the default, which allows")
                    .with_help("in `baseline`, leave the traffic out (a namespace's own policies decide before the baseline anyway), or move the statement into `admin`"),
            );
        }
        let side = r.side.as_ref().map(|s| s.node);
        let mut sources = Vec::new();
        for t in &r.sources {
            let peers = self.peer_list(std::slice::from_ref(t), Role::Source);
            if peers.iter().any(|p| matches!(p, Peer::Ip(_))) {
                ok = false;
                self.error(
                    Diagnostic::new(codes::TIER_ADDRESS_SOURCE, t.span, "an address cannot be the source of a tier statement")
                        .with_primary("an address")
                        .with_note("a cluster policy's ingress rules name their peers by namespace and pod labels only; `networks` exist for egress")
                        .with_help("name the source pods (`ns/name`, `{team=a}/*`, `cluster`); to restrict traffic from outside the cluster, isolate the destination's ingress and allow only what may reach it"),
                );
                continue;
            }
            sources.extend(peers);
        }
        let mut destinations = Vec::new();
        for t in &r.destinations {
            for resolved in self.target(t, Role::Destination) {
                let ports = resolved
                    .ports
                    .as_ref()
                    .map_or(Ports::All, |(p, _)| p.clone());
                let port_span = resolved.ports.as_ref().map_or(t.span, |(_, s)| *s);
                let named: Vec<&crate::ir::Port> = match &ports {
                    Ports::Only(list) => list
                        .iter()
                        .filter(|p| matches!(p.number, PortNumber::Named(_)))
                        .collect(),
                    Ports::All => Vec::new(),
                };
                if let Peer::Name(name) = &resolved.peer {
                    ok = false;
                    self.error(
                        Diagnostic::new(
                            codes::NAME_MISPLACED,
                            t.endpoint.span,
                            format!("`{name}` is a DNS name, which a tier statement cannot name"),
                        )
                        .with_primary("pods or addresses only")
                        .with_help("a DNS name is an `allow` destination (with `set cni = cilium`); in a tier block, write the addresses it resolves to, or `world`"),
                    );
                    continue;
                }
                if let Peer::Ip(_) = &resolved.peer {
                    if side == Some(Direction::Ingress) {
                        ok = false;
                        self.error(
                            Diagnostic::new(codes::TIER_INGRESS_TO_ADDRESS, t.span, "`ingress` toward an address")
                                .with_primary("an address has no ingress a cluster policy governs")
                                .with_help("write `egress` (or no side): a statement toward an address applies to the sources' egress"),
                        );
                    }
                    if let Some(p) = named.first() {
                        ok = false;
                        let name = match &p.number {
                            PortNumber::Named(n) => n.clone(),
                            _ => String::new(),
                        };
                        self.error(
                            Diagnostic::new(codes::TIER_NAMED_PORT, port_span, format!("named port `{name}` toward an address"))
                                .with_primary("an address declares no named ports")
                                .with_note("the API rejects `destinationNamedPort` in a rule with a `networks` peer")
                                .with_help("write the port number"),
                        );
                    }
                } else if let Some(p) = named.iter().find(|p| p.protocol != Protocol::Tcp) {
                    ok = false;
                    let name = match &p.number {
                        PortNumber::Named(n) => n.clone(),
                        _ => String::new(),
                    };
                    self.error(
                        Diagnostic::new(codes::TIER_NAMED_PORT, port_span, format!("named port `{name}` with a protocol"))
                            .with_primary("a cluster policy's named port takes the protocol its container port declares")
                            .with_help(format!("write `:{name}` without a protocol: it matches the container port named `{name}`, whatever its protocol")),
                    );
                }
                destinations.push((resolved.peer, ports));
            }
        }
        if !ok || sources.is_empty() || destinations.is_empty() {
            return None;
        }
        let statement = TierStatement {
            action: r.action.node,
            side,
            sources,
            destinations,
            origin: TierOrigin { span, dns: false },
        };
        if !pods_decided {
            self.private_ranges(&statement, span);
        }
        Some(statement)
    }

    /// W021: a statement toward an address range that contains a range
    /// pods are given addresses from.
    fn private_ranges(&mut self, statement: &TierStatement, span: Span) {
        let ranges: Vec<Cidr> = POD_RANGES
            .iter()
            .filter_map(|r| Cidr::parse_strict(r).ok())
            .collect();
        let covered: Vec<Cidr> = statement
            .destinations
            .iter()
            .filter_map(|(p, _)| match p {
                Peer::Ip(block) => Some(block),
                Peer::Pods { .. } | Peer::Name(_) => None,
            })
            .flat_map(|block: &IpBlock| {
                ranges
                    .iter()
                    .filter(|r| {
                        block.cidr.covers(**r) && !block.except.iter().any(|e| e.overlaps(**r))
                    })
                    .copied()
                    .collect::<Vec<_>>()
            })
            .collect();
        let Some(first) = covered.first() else {
            return;
        };
        let what = if covered.len() > 1 {
            format!("`{first}` and other ranges pods are given addresses from")
        } else {
            format!("`{first}`, a range pods are often given addresses from")
        };
        let fix = match statement.action {
            Action::Pass => "`pass` hands pod traffic there back to the namespaces' own policies".to_string(),
            _ => "to govern only traffic that leaves the cluster, put a statement for the cluster's own traffic before it (`pass cluster -> cluster` in `admin`, `accept cluster -> cluster` in `baseline`), or narrow the range to the addresses meant".to_string(),
        };
        self.warn(
            Diagnostic::new(
                codes::TIER_PRIVATE_RANGE,
                span,
                format!(
                    "this `{}` covers {what}: it applies to traffic between pods too",
                    statement.action
                ),
            )
            .with_primary("toward addresses pods may have")
            .with_note("a cluster policy's `networks` match in-cluster traffic as well: `deny cluster -> world` denies traffic between pods, DNS included, and `accept ... -> world` accepts it past every namespace's own policies")
            .with_help(fix),
        );
    }
}
