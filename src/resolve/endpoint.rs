//! Endpoints and ports: aliases expanded, namespace and workload names
//! validated, CIDRs parsed, port lists checked.

use super::{Alias, Resolver};
use crate::diagnostic::{codes, Applicability, Diagnostic};
use crate::ir::{NamespaceSelector, Peer, Port, PortNumber, Ports, Selector};
use crate::k8s::{names, Cidr, IpBlock, Protocol};
use crate::source::{Span, Spanned};
use crate::syntax::{ast, PROTOCOLS};

/// One resolved endpoint of a target, with the ports that came with it.
#[derive(Clone, Debug)]
pub(crate) struct Resolved {
    pub peer: Peer,
    /// Ports, and where they were written.
    pub ports: Option<(Ports, Span)>,
}

/// How a target is used: sources may not carry ports.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Source,
    Destination,
    DnsServer,
}

impl Resolver {
    /// Every peer a target stands for. Errors are reported and the faulty
    /// part is left out.
    pub(super) fn target(&mut self, target: &Spanned<ast::Target>, role: Role) -> Vec<Resolved> {
        let use_ports = target.ports.as_ref().map(|p| (self.ports(p), p.span));
        let mut out = match &target.endpoint.node {
            ast::Endpoint::Alias(name) => {
                self.alias_use(name, target.endpoint.span, use_ports.as_ref())
            }
            other => self
                .endpoint(other, target.endpoint.span)
                .into_iter()
                .map(|peer| Resolved {
                    peer,
                    ports: use_ports.clone(),
                })
                .collect(),
        };
        self.check_names(&mut out, target, role);
        if role != Role::Destination {
            if let Some((_, span)) = out.iter().find_map(|r| r.ports.as_ref()) {
                let span = *span;
                // Ports that came with an alias are reported where the alias is used.
                let from_alias = span.file != target.span.file
                    || !(target.span.start() <= span.start() && span.end() <= target.span.end());
                let (message, help) = match role {
                    Role::DnsServer => (
                        "a DNS server takes no ports",
                        "DNS is always allowed on 53/udp and 53/tcp; remove the ports",
                    ),
                    _ => (
                        "ports on a source",
                        "ports belong to the destination: write `allow SRC -> DST:PORT`; a connection's source port is chosen at random",
                    ),
                };
                let d = if from_alias {
                    Diagnostic::new(codes::SOURCE_PORTS, target.endpoint.span, message)
                        .with_primary("this alias carries ports")
                        .with_secondary(span, "the alias's ports")
                        .with_help(format!(
                            "{help}; or define a second alias without ports for use as a source"
                        ))
                } else {
                    let d = Diagnostic::new(codes::SOURCE_PORTS, span, message)
                        .with_primary("ports are not allowed here")
                        .with_help(help);
                    if role == Role::DnsServer {
                        d.with_suggestion(
                            "remove the ports",
                            span,
                            "",
                            Applicability::MachineApplicable,
                        )
                    } else {
                        d
                    }
                };
                self.error(d);
                for r in &mut out {
                    r.ports = None;
                }
            }
        }
        out
    }

    fn alias_use(
        &mut self,
        name: &str,
        span: Span,
        use_ports: Option<&(Ports, Span)>,
    ) -> Vec<Resolved> {
        self.note_use(name, span);
        let found: Option<Alias> = self.lookup(name).cloned();
        let Some(alias) = found else {
            if let Some(ns) = self.block_namespace.clone() {
                self.dotted_workload(&ns, name, span);
                let mut out = self.workload_in(&ns, name, span);
                for r in &mut out {
                    r.ports = use_ports.cloned();
                }
                return out;
            }
            if !self.broken_aliases.contains(name) {
                self.unknown_alias(name, span);
            }
            return Vec::new();
        };
        if !self.expand(alias.targets.len(), span) {
            return Vec::new();
        }
        if let Some(ns) = self.block_namespace.clone() {
            let global = !self.local.contains_key(name);
            let everything = alias.targets.iter().any(|r| match &r.peer {
                Peer::Pods {
                    namespaces: NamespaceSelector::Matching(n),
                    pods,
                } => n.is_empty() && pods.is_empty(),
                Peer::Ip(block) => block.cidr.is_everything() && block.except.is_empty(),
                Peer::Pods { .. } | Peer::Name(_) => false,
            });
            if global && everything {
                self.warn(
                    Diagnostic::new(
                        codes::BARE_NAME_IS_GLOBAL,
                        span,
                        format!("`{name}` here is the global alias, which selects everything"),
                    )
                    .with_primary(format!("not `{ns}/{name}`"))
                    .with_secondary(alias.span, "defined here")
                    .with_note(format!("inside `namespace {ns} {{ }}` a bare name means a pod of `{ns}` only when no alias has that name"))
                    .with_help(format!("write `{ns}/{name}` for the pods of `{ns}`, or rename the global alias"))
                    .with_suggestion(format!("write `{ns}/{name}`"), span, format!("{ns}/{name}"), Applicability::MaybeIncorrect),
                );
            }
        }
        let mut out = alias.targets.clone();
        if let Some((ports, use_span)) = use_ports {
            for r in &mut out {
                if let Some((_, own)) = &r.ports {
                    self.error(
                        Diagnostic::new(
                            codes::ALIAS_PORT_CONFLICT,
                            *use_span,
                            format!("`{name}` already has ports"),
                        )
                        .with_primary("ports given again here")
                        .with_secondary(*own, "the alias has its ports here")
                        .with_help(format!(
                            "remove the ports here, or define `{name}` without ports"
                        ))
                        .with_suggestion(
                            "remove the ports here",
                            *use_span,
                            "",
                            Applicability::MaybeIncorrect,
                        ),
                    );
                    return out;
                }
                r.ports = Some((ports.clone(), *use_span));
            }
        }
        out
    }

    fn unknown_alias(&mut self, name: &str, span: Span) {
        let mut d = Diagnostic::new(
            codes::UNKNOWN_ALIAS,
            span,
            format!("unknown alias `{name}`"),
        )
        .with_primary("not defined before this line");
        let later = self.all_lets.get(name).copied();
        let port_like = name.chars().next().is_some_and(|c| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_digit() || c == '-');
        if port_like {
            // `:80, 443`: the comma starts another endpoint.
            d = d
                .with_primary("a port where an endpoint is expected")
                .with_help(format!(
                    "several ports are written as a set after one `:`, e.g. `:{{80, {name}}}`"
                ));
        } else if let Some(def) =
            later.filter(|def| def.start() > span.start() || def.file != span.file)
        {
            d = d
                .with_secondary(def, "defined later here")
                .with_help("aliases must be defined before they are used; move the `let` up");
        } else {
            let candidates: Vec<String> = self.alias_names();
            if let Some(best) =
                crate::diagnostic::closest(name, candidates.iter().map(String::as_str))
            {
                d = d
                    .with_help(format!("did you mean `{best}`?"))
                    .with_suggestion(
                        format!("replace with `{best}`"),
                        span,
                        best,
                        Applicability::MaybeIncorrect,
                    );
            } else {
                d = d.with_help(format!(
                    "write the endpoint in full (`namespace/{name}`), or define it first: `let {name} = namespace/{name}`"
                ));
            }
        }
        self.error(d);
    }

    fn workload_in(&mut self, namespace: &str, workload: &str, span: Span) -> Vec<Resolved> {
        match self.workload_selector(workload, span) {
            Some(pods) => vec![Resolved {
                peer: Peer::Pods {
                    namespaces: NamespaceSelector::Named(namespace.to_string()),
                    pods,
                },
                ports: None,
            }],
            None => Vec::new(),
        }
    }

    /// `{workload-label: name}`
    pub(super) fn workload_selector(&mut self, name: &str, span: Span) -> Option<Selector> {
        // Shared only while the workload label is the one it was built
        // with.
        let label = &self.settings.workload_label;
        let known = self.workloads.get(name);
        if let Some(sel) = known.filter(|s| s.match_labels.contains_key(label)) {
            return Some(sel.clone());
        }
        if let Err(why) = names::label_value(name) {
            self.error(
                Diagnostic::new(codes::INVALID_LABEL_VALUE, span, format!("invalid workload name `{name}`"))
                    .with_primary(why)
                    .with_help(format!(
                        "a workload name is the value of the `{}` label: at most 63 letters, digits, `-`, `_` or `.`",
                        self.settings.workload_label
                    )),
            );
            return None;
        }
        let mut sel = Selector::default();
        sel.match_labels
            .insert(self.settings.workload_label.clone(), name.to_string());
        self.workloads.insert(name.to_string(), sel.clone());
        Some(sel)
    }

    /// An endpoint that is not an alias.
    fn endpoint(&mut self, endpoint: &ast::Endpoint, span: Span) -> Vec<Peer> {
        match endpoint {
            ast::Endpoint::World => vec![
                Peer::Ip(IpBlock {
                    cidr: Cidr::V4 {
                        network: 0,
                        prefix: 0,
                    },
                    except: Vec::new(),
                }),
                Peer::Ip(IpBlock {
                    cidr: Cidr::V6 {
                        network: 0,
                        prefix: 0,
                    },
                    except: Vec::new(),
                }),
            ],
            ast::Endpoint::Cluster => vec![Peer::Pods {
                namespaces: NamespaceSelector::Matching(Selector::default()),
                pods: Selector::default(),
            }],
            ast::Endpoint::Ip { cidr, except } => self
                .ip_block(cidr, except)
                .map(Peer::Ip)
                .into_iter()
                .collect(),
            ast::Endpoint::Pods { namespace, pods } => {
                let namespaces = match &namespace.node {
                    ast::NamespacePart::Any => {
                        Some(NamespaceSelector::Matching(Selector::default()))
                    }
                    ast::NamespacePart::Name(n) => {
                        self.namespace_typo(n, namespace.span);
                        self.namespace_name(n, namespace.span)
                            .then(|| NamespaceSelector::Named(n.clone()))
                    }
                    ast::NamespacePart::Labels(set) => {
                        let set = Spanned::new(set.clone(), namespace.span);
                        Some(NamespaceSelector::Matching(self.selector(&set, false)))
                    }
                };
                let pod_sel = match &pods.node {
                    ast::PodPart::Any => Some(Selector::default()),
                    ast::PodPart::Name(w) => self.workload_selector(w, pods.span),
                    ast::PodPart::Labels(set) => {
                        Some(self.selector(&Spanned::new(set.clone(), pods.span), true))
                    }
                };
                match (namespaces, pod_sel) {
                    (Some(namespaces), Some(pods)) => vec![Peer::Pods { namespaces, pods }],
                    _ => Vec::new(),
                }
            }
            ast::Endpoint::LocalPods(set) => {
                let Some(ns) = self.block_namespace.clone() else {
                    self.error(
                        Diagnostic::new(codes::MISPLACED_STATEMENT, span, "a label set alone names pods only inside a `namespace` block")
                            .with_primary("which namespace?")
                            .with_help("write the namespace in front: `NAMESPACE/{...}`, or `*/{...}` for every namespace"),
                    );
                    return Vec::new();
                };
                let pods = self.selector(&Spanned::new(set.clone(), span), true);
                vec![Peer::Pods {
                    namespaces: NamespaceSelector::Named(ns),
                    pods,
                }]
            }
            ast::Endpoint::Name(text) => self.dns_name(text, span).into_iter().collect(),
            ast::Endpoint::Alias(_) => Vec::new(),
        }
    }

    /// W010, once per name: an undeclared namespace one edit away from a
    /// declared one is most likely a typo, and it compiles silently into a
    /// rule for a namespace nobody has.
    fn namespace_typo(&mut self, name: &str, span: Span) {
        if self.program.namespaces.contains_key(name) || self.broken_namespaces.contains(name) {
            return;
        }
        let declared: Vec<&str> = self.program.namespaces.keys().map(String::as_str).collect();
        let Some(best) = crate::diagnostic::closest(name, declared.into_iter()) else {
            return;
        };
        // `web-1` beside `web-2` is a naming scheme, not a typo.
        let letters = |s: &str| {
            s.chars()
                .filter(|c| !c.is_ascii_digit())
                .collect::<String>()
        };
        if letters(name) == letters(best) || !self.typo_warned.insert(name.to_string()) {
            return;
        }
        let best = best.to_string();
        self.warn(
            Diagnostic::new(
                codes::NAMESPACE_TYPO,
                span,
                format!("namespace `{name}` is not declared; did you mean `{best}`?"),
            )
            .with_primary("not declared")
            .with_note(format!("npc writes rules only into declared namespaces: traffic to or from `{name}` is not checked there, and if `{name}` does not exist the rule allows nothing"))
            .with_help(format!("write `{best}`, or declare `namespace {name}` if it is a namespace of its own"))
            .with_suggestion(format!("replace with `{best}`"), span, best, Applicability::MaybeIncorrect),
        );
    }

    /// Validates a namespace name; reports and returns false when invalid.
    pub(super) fn namespace_name(&mut self, name: &str, span: Span) -> bool {
        match names::dns1123_label(name) {
            Ok(()) => true,
            Err(why) => {
                self.error(
                    Diagnostic::new(codes::INVALID_NAMESPACE, span, format!("invalid namespace name `{name}`"))
                        .with_primary(why)
                        .with_help("a namespace name is a DNS label: lower-case letters, digits and `-`, at most 63, starting and ending with a letter or digit"),
                );
                false
            }
        }
    }

    fn ip_block(&mut self, cidr: &Spanned<String>, except: &[Spanned<String>]) -> Option<IpBlock> {
        let outer = self.cidr(cidr)?;
        let mut block = IpBlock {
            cidr: outer,
            except: Vec::new(),
        };
        for e in except {
            let Some(inner) = self.cidr(e) else { continue };
            if !outer.strictly_contains(inner) {
                self.error(
                    Diagnostic::new(codes::EXCEPT_OUTSIDE_CIDR, e.span, format!("`{inner}` does not lie strictly inside `{outer}`"))
                        .with_primary("outside the block")
                        .with_secondary(cidr.span, "the block")
                        .with_help("an `except` range must be a smaller range inside the CIDR it narrows; Kubernetes rejects the policy otherwise"),
                );
                continue;
            }
            block.except.push(inner);
        }
        // Listed in the order of their text, as npc has always written them.
        block.except.sort_by_cached_key(ToString::to_string);
        block.except.dedup();
        Some(block)
    }

    fn cidr(&mut self, text: &Spanned<String>) -> Option<Cidr> {
        // IPv6 blocks are written in brackets in NPL.
        let bare = text.trim_start_matches('[').trim_end_matches(']');
        match Cidr::parse_strict(bare) {
            Ok(c) => Some(c),
            Err(why) => {
                self.error(
                    Diagnostic::new(codes::INVALID_CIDR, text.span, format!("invalid CIDR `{}`", text.node))
                        .with_primary(why)
                        .with_help("write an IPv4 address or CIDR (`10.0.0.0/8`, `192.0.2.7`) or an IPv6 CIDR in brackets (`[2001:db8::/32]`)"),
                );
                None
            }
        }
    }

    /// A written port list as a set of ports.
    pub(super) fn ports(&mut self, ports: &Spanned<Vec<Spanned<ast::Port>>>) -> Ports {
        // `Ports::only` sorts, merges and deduplicates.
        let mut list = Vec::with_capacity(ports.len());
        for port in ports.iter() {
            self.port(port, &mut list);
        }
        Ports::only(list)
    }

    /// Appends the ports one written port stands for (one per protocol).
    fn port(&mut self, port: &Spanned<ast::Port>, out: &mut Vec<Port>) {
        let protocols: &[Protocol] = match &port.protocol {
            None => &[Protocol::Tcp],
            Some(p) => match p.node.as_str() {
                "tcp" => &[Protocol::Tcp],
                "udp" => &[Protocol::Udp],
                "sctp" => &[Protocol::Sctp],
                "any" => &[Protocol::Tcp, Protocol::Udp, Protocol::Sctp],
                other => {
                    let d = Diagnostic::new(
                        codes::UNKNOWN_PROTOCOL,
                        p.span,
                        format!("unknown protocol `{other}`"),
                    )
                    .with_primary("not a protocol");
                    let lower = other.to_ascii_lowercase();
                    let d = if PROTOCOLS.contains(&lower.as_str()) {
                        d.with_help(format!("protocols are written in lower case: `{lower}`"))
                            .with_suggestion(
                                format!("write `{lower}`"),
                                p.span,
                                lower,
                                Applicability::MachineApplicable,
                            )
                    } else {
                        d.with_help(
                            "the protocols are `tcp` (the default), `udp`, `sctp` and `any`",
                        )
                    };
                    self.error(d);
                    return;
                }
            },
        };
        let number = match &port.value {
            ast::PortValue::Number(n) => self.port_number(n).map(PortNumber::Single),
            ast::PortValue::Range(range) => {
                let (lo, hi) = &**range;
                let (a, b) = (self.port_number(lo), self.port_number(hi));
                match (a, b) {
                    (Some(a), Some(b)) if a > b => {
                        self.error(
                            Diagnostic::new(
                                codes::REVERSED_RANGE,
                                lo.span.to(hi.span),
                                format!("the range `{a}-{b}` is reversed"),
                            )
                            .with_primary("the first port is larger than the last")
                            .with_help(format!("write `{b}-{a}`"))
                            .with_suggestion(
                                format!("write `{b}-{a}`"),
                                lo.span.to(hi.span),
                                format!("{b}-{a}"),
                                Applicability::MachineApplicable,
                            ),
                        );
                        None
                    }
                    (Some(a), Some(b)) if a == b => Some(PortNumber::Single(a)),
                    (Some(a), Some(b)) => Some(PortNumber::Range(a, b)),
                    _ => None,
                }
            }
            ast::PortValue::Named(name) => {
                let numeric_start = name
                    .split('-')
                    .next()
                    .is_some_and(|s| s.chars().all(|c| c.is_ascii_digit()));
                if numeric_start && name.contains('-') {
                    self.error(
                        Diagnostic::new(codes::INVALID_NAMED_PORT, name.span, format!("`{}` is not a port range", name.node))
                            .with_primary("a range needs a number at both ends")
                            .with_help("named ports cannot have ranges: write a numeric range (`8000-8100`) or a single port name"),
                    );
                    None
                } else if let Err(why) = names::port_name(name) {
                    self.error(
                        Diagnostic::new(codes::INVALID_NAMED_PORT, name.span, format!("invalid port name `{}`", name.node))
                            .with_primary(why)
                            .with_help("a named port refers to a container port's `name`: at most 15 lower-case letters, digits and `-`"),
                    );
                    None
                } else if port.protocol.as_ref().is_some_and(|p| p.node == "any") {
                    self.error(
                        Diagnostic::new(codes::INVALID_NAMED_PORT, port.span, format!("the named port `{}` cannot use protocol `any`", name.node))
                            .with_primary("a named port has one protocol")
                            .with_help(format!("write the protocol the container port declares, e.g. `{}/udp`, or list each: `{{{0}/tcp, {0}/udp}}`", name.node)),
                    );
                    None
                } else {
                    Some(PortNumber::Named(name.node.clone()))
                }
            }
        };
        let Some(number) = number else {
            return;
        };
        out.extend(protocols.iter().map(|&protocol| Port {
            protocol,
            number: number.clone(),
        }));
    }

    fn port_number(&mut self, n: &Spanned<String>) -> Option<u16> {
        match n.node.parse::<u32>() {
            Ok(v) if (1..=65535).contains(&v) => u16::try_from(v).ok(),
            _ => {
                self.error(
                    Diagnostic::new(
                        codes::PORT_OUT_OF_RANGE,
                        n.span,
                        format!("port `{}` is out of range", n.node),
                    )
                    .with_primary("not between 1 and 65535")
                    .with_help("ports are numbers from 1 to 65535"),
                );
                None
            }
        }
    }
}
