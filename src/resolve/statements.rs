//! The statement passes of name resolution.

use std::collections::{BTreeMap, BTreeSet};

use super::endpoint::{Resolved, Role};
use super::{Alias, Resolver};
use crate::diagnostic::{codes, Applicability, Diagnostic};
use crate::ir::{
    Cni, Dns, Expectation, Isolation, ManagedNamespace, NamespaceSelector, Origin, OriginKind,
    Peer, PodSet, Ports, Rule, Scrape, Selector, Sides,
};
use crate::k8s::{names, NAMESPACE_NAME_LABEL};
use crate::source::{Span, Spanned};
use crate::syntax::ast::{self, Statement};
use crate::syntax::{CNI_VALUES, KEYWORDS, SETTINGS};

impl Resolver {
    // ------------------------------------------------------------ pass 1

    pub(super) fn settings_pass(&mut self, statements: &[Spanned<Statement>]) {
        let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
        for stmt in statements {
            let Statement::Set(set) = &stmt.node else {
                continue;
            };
            let key = set.key.node.as_str();
            if !SETTINGS.contains(&key) {
                let mut d = Diagnostic::new(
                    codes::UNKNOWN_SETTING,
                    set.key.span,
                    format!("unknown setting `{key}`"),
                )
                .with_primary("not a setting");
                d = match crate::diagnostic::closest(key, SETTINGS.iter().copied()) {
                    Some(best) => d
                        .with_help(format!("did you mean `{best}`?"))
                        .with_suggestion(
                            format!("replace with `{best}`"),
                            set.key.span,
                            best,
                            Applicability::MaybeIncorrect,
                        ),
                    None => d.with_help(settings_list()),
                };
                self.error(d);
                continue;
            }
            if let Some(first) = seen.get(key) {
                self.error(
                    Diagnostic::new(
                        codes::DUPLICATE_SETTING,
                        stmt.span,
                        format!("`{key}` is set twice"),
                    )
                    .with_primary("set again here")
                    .with_secondary(*first, "first set here")
                    .with_help("a setting applies to the whole program; keep one"),
                );
                continue;
            }
            seen.insert(key, stmt.span);
            let value = &set.value;
            match key {
                "workload-label" => match names::label_key(value) {
                    Ok(()) => self.settings.workload_label = value.node.clone(),
                    Err(why) => self.error(
                        Diagnostic::new(
                            codes::INVALID_SETTING,
                            value.span,
                            format!("`{}` is not a label key", value.node),
                        )
                        .with_primary(why)
                        .with_help("for example `set workload-label = app.kubernetes.io/name`"),
                    ),
                },
                "cluster-policy-api" => self.cluster_policy_api(value),
                "cluster-policy-priorities" => self.cluster_policy_priorities(value),
                "cni" => match value.node.as_str() {
                    "cilium" => {
                        self.settings.cni = Cni::Cilium;
                    }
                    "generic" => self.settings.cni = Cni::Generic,
                    other => {
                        let lower = other.to_ascii_lowercase();
                        let d = Diagnostic::new(
                            codes::INVALID_SETTING,
                            value.span,
                            format!("`{other}` is not a CNI npc writes for"),
                        )
                        .with_primary("not `generic` or `cilium`")
                        .with_help("`set cni = cilium` lets DNS names be destinations (CiliumNetworkPolicy); every other CNI gets standard NetworkPolicy, the default (`generic`)");
                        let d = if CNI_VALUES.contains(&lower.as_str()) {
                            d.with_suggestion(
                                format!("write `{lower}`"),
                                value.span,
                                lower,
                                Applicability::MachineApplicable,
                            )
                        } else {
                            d
                        };
                        self.error(d);
                    }
                },
                _ => {
                    match names::policy_name_prefix(value) {
                        Ok(()) => self.settings.name_prefix = value.node.clone(),
                        Err(why) => self.error(
                            Diagnostic::new(codes::INVALID_SETTING, value.span, format!("`{}` cannot start a policy name", value.node))
                                .with_primary(why)
                                .with_help("use lower-case letters, digits and `-`, starting with a letter or digit, e.g. `set name-prefix = npc-`"),
                        ),
                    }
                }
            }
        }
    }

    pub(super) fn namespaces_pass(&mut self, statements: &[Spanned<Statement>]) {
        for stmt in statements {
            let Statement::Namespace(decl) = &stmt.node else {
                continue;
            };
            let name = &decl.name;
            if !self.namespace_name(name, name.span) {
                continue;
            }
            if let Some(first) = self.program.namespaces.get(&name.node) {
                let first = first.span;
                self.error(
                    Diagnostic::new(
                        codes::DUPLICATE_NAMESPACE,
                        name.span,
                        format!("namespace `{}` is declared twice", name.node),
                    )
                    .with_primary("declared again here")
                    .with_secondary(first, "first declared here")
                    .with_help("merge the two declarations into one `namespace` block"),
                );
                continue;
            }
            let mut ns = ManagedNamespace {
                name: name.node.clone(),
                labels: BTreeMap::from([(NAMESPACE_NAME_LABEL.to_string(), name.node.clone())]),
                isolation: Isolation {
                    ingress: true,
                    egress: true,
                },
                only: Vec::new(),
                dns: true,
                scrape: true,
                span: name.span,
            };
            if let Some(labels) = &decl.labels {
                self.namespace_labels(&mut ns, labels);
            }
            let mut isolate = IsolateSeen::default();
            let mut no_dns: Option<Span> = None;
            for inner in decl.body.iter().flatten() {
                match &inner.node {
                    Statement::Isolate(iso) if self.isolate_stmt(&mut isolate, iso, inner.span) => {
                        self.isolates_taken.insert(inner.span);
                    }
                    Statement::No(what) => match what.node {
                        ast::Carveout::Dns => {
                            ns.dns = false;
                            no_dns = Some(inner.span);
                        }
                        ast::Carveout::Scrape => ns.scrape = false,
                    },
                    _ => {}
                }
            }
            if let Some(isolation) = isolate.isolation {
                ns.isolation = isolation;
            }
            // With `isolate egress only ...`, only the listed pods are
            // isolated: the warnings say so (a pod outside the sets keeps
            // every connection).
            let some = isolate.egress_only;
            if let (Some(consequence), true) = (system_namespace(&ns.name), ns.isolation.egress) {
                let (message, primary, consequence) = if some {
                    (
                        format!("`{}` is a namespace Kubernetes itself uses, and the egress of some of its pods is isolated", ns.name),
                        "egress of the pods of `only` isolated",
                        system_namespace_some(&ns.name).unwrap_or(consequence).to_string(),
                    )
                } else {
                    (
                        format!("`{}` is a namespace Kubernetes itself uses, and its egress is isolated", ns.name),
                        "egress isolated",
                        consequence.to_string(),
                    )
                };
                self.warn(
                    Diagnostic::new(codes::SYSTEM_NAMESPACE, name.span, message)
                    .with_primary(primary)
                    .with_note(consequence)
                    .with_help("leave system namespaces unmanaged, or isolate their ingress only (`isolate ingress`) and allow what reaches them; npc then opens the DNS servers to the whole cluster"),
                );
            }
            if let (Some(span), true) = (no_dns, ns.isolation.egress) {
                let message = if some {
                    format!("the egress-isolated pods of `{}` get no DNS", ns.name)
                } else {
                    format!("pods in `{}` get no DNS", ns.name)
                };
                self.warn(
                    Diagnostic::new(codes::NO_DNS, span, message)
                        .with_primary("DNS carve-out turned off")
                        .with_note("with egress isolated and no DNS rule, every name lookup waits for its timeout (about 30 s per request) while calls by IP keep working")
                        .with_help("remove `no dns` unless this namespace's pods never resolve names, or allow your DNS servers explicitly"),
                );
            }
            self.program.namespaces.insert(ns.name.clone(), ns);
        }
    }

    /// One `isolate` of a namespace body: true if it is taken; E028 for a
    /// direction isolated twice, E035 for `isolate none` beside another
    /// `isolate`, E036 for `isolate none only ...`.
    fn isolate_stmt(&mut self, seen: &mut IsolateSeen, iso: &ast::Isolate, span: Span) -> bool {
        match &iso.directions {
            ast::IsolateDirections::None => {
                if let Some(only) = &iso.only {
                    self.error(
                        Diagnostic::new(codes::ISOLATE_NONE_ONLY, only.span, "`isolate none` takes no pod sets")
                            .with_primary("no pod is isolated, so there is nothing to limit")
                            .with_help("name the directions the listed pods are isolated in: `isolate ingress only ...`, or remove `only ...`"),
                    );
                    return false;
                }
                if let Some(first) = seen.first {
                    self.error(
                        Diagnostic::new(codes::ISOLATE_NONE_BESIDE, span, "`isolate none` beside another `isolate`")
                            .with_primary("isolates nothing")
                            .with_secondary(first, "while this isolates some pods")
                            .with_help("keep one of them: `isolate none` leaves every pod of the namespace open"),
                    );
                    return false;
                }
                seen.first = Some(span);
                seen.none = Some(span);
                seen.isolation = Some(Isolation::default());
                true
            }
            ast::IsolateDirections::Directions(dirs) => {
                if let Some(none) = seen.none {
                    self.error(
                        Diagnostic::new(codes::ISOLATE_NONE_BESIDE, span, "`isolate` beside `isolate none`")
                            .with_primary("isolates some pods")
                            .with_secondary(none, "while this isolates nothing")
                            .with_help("keep one of them: `isolate none` leaves every pod of the namespace open"),
                    );
                    return false;
                }
                let twice = dirs.iter().find_map(|d| {
                    let first = match d.node {
                        ast::Direction::Ingress => seen.ingress,
                        ast::Direction::Egress => seen.egress,
                    };
                    first.map(|f| (d, f))
                });
                if let Some((dir, first)) = twice {
                    let word = match dir.node {
                        ast::Direction::Ingress => "ingress",
                        ast::Direction::Egress => "egress",
                    };
                    self.error(
                        Diagnostic::new(
                            codes::DUPLICATE_ISOLATE,
                            span,
                            format!("the isolation of {word} is given twice"),
                        )
                        .with_primary("again here")
                        .with_secondary(first, "first given here")
                        .with_help("a namespace body holds one `isolate` per direction: `isolate ingress, egress`, or `isolate ingress only db` beside `isolate egress`"),
                    );
                    return false;
                }
                let isolation = seen.isolation.get_or_insert_with(Isolation::default);
                for d in dirs {
                    match d.node {
                        ast::Direction::Ingress => {
                            isolation.ingress = true;
                            seen.ingress = Some(span);
                        }
                        ast::Direction::Egress => {
                            isolation.egress = true;
                            seen.egress = Some(span);
                            seen.egress_only = iso.only.is_some();
                        }
                    }
                }
                seen.first.get_or_insert(span);
                true
            }
        }
    }

    /// The `only` sets of a taken `isolate` in the block of `namespace`
    /// (pass 2, where the aliases defined before it are in scope).
    fn isolate_only(&mut self, namespace: &str, iso: &ast::Isolate, span: Span) {
        let Some(only) = &iso.only else { return };
        let ast::IsolateDirections::Directions(dirs) = &iso.directions else {
            return;
        };
        if !self.isolates_taken.contains(&span) {
            for set in &only.node {
                if let ast::PodPart::Name(n) = &set.node {
                    self.note_use(n, set.span);
                }
            }
            return;
        }
        let isolation = Isolation {
            ingress: dirs.iter().any(|d| d.node == ast::Direction::Ingress),
            egress: dirs.iter().any(|d| d.node == ast::Direction::Egress),
        };
        for set in &only.node {
            let Some((pods, alias)) = self.pod_set(namespace, set) else {
                continue;
            };
            let Some(ns) = self.program.namespaces.get_mut(namespace) else {
                continue;
            };
            match ns.only.iter_mut().find(|s| s.pods == pods) {
                Some(same) => {
                    same.isolation.ingress |= isolation.ingress;
                    same.isolation.egress |= isolation.egress;
                }
                None => ns.only.push(PodSet {
                    pods,
                    isolation,
                    alias,
                    span: set.span,
                }),
            }
        }
    }

    /// A pod set of `only`: a portless pod alias of this namespace, else a
    /// workload name, or a label set; with the alias's name. E037 for an
    /// alias that is not pods of this namespace.
    fn pod_set(
        &mut self,
        namespace: &str,
        set: &Spanned<ast::PodPart>,
    ) -> Option<(Selector, Option<String>)> {
        match &set.node {
            ast::PodPart::Labels(labels) => Some((
                self.selector(&Spanned::new(labels.clone(), set.span), true),
                None,
            )),
            ast::PodPart::Name(name) => {
                self.note_use(name, set.span);
                let Some(alias) = self.lookup(name).cloned() else {
                    return self.workload_selector(name, set.span).map(|s| (s, None));
                };
                let pods = match alias.targets.as_slice() {
                    [Resolved {
                        peer:
                            Peer::Pods {
                                namespaces: NamespaceSelector::Named(n),
                                pods,
                            },
                        ports: None,
                    }] if n == namespace => Some(pods.clone()),
                    _ => None,
                };
                if pods.is_none() {
                    let why = match alias.targets.as_slice() {
                        [] => "it stands for nothing".to_string(),
                        [one] if one.ports.is_some() => "it carries ports".to_string(),
                        [Resolved {
                            peer: Peer::Pods { .. },
                            ..
                        }] => format!("it stands for pods outside `{namespace}`"),
                        [_] => "it stands for addresses, not pods".to_string(),
                        _ => "it stands for several endpoints".to_string(),
                    };
                    self.error(
                        Diagnostic::new(
                            codes::ONLY_NOT_POD_SET,
                            set.span,
                            format!("`{name}` is not a pod set of `{namespace}`"),
                        )
                        .with_primary(why)
                        .with_secondary(alias.span, "defined here")
                        .with_help(format!(
                            "`only` takes pods of this namespace: a workload name, a label set (`{{tier=backend}}`), or an alias of one of them without ports (`let {name} = {namespace}/{name}`); list several sets with commas"
                        )),
                    );
                }
                pods.map(|p| (p, Some(name.clone())))
            }
            ast::PodPart::Any => Some((Selector::default(), None)),
        }
    }

    fn namespace_labels(&mut self, ns: &mut ManagedNamespace, labels: &Spanned<ast::LabelSet>) {
        for entry in &labels.entries {
            let ast::LabelOp::Eq(value) = &entry.op else {
                self.error(
                    Diagnostic::new(codes::INVALID_LABEL_KEY, entry.span, "a namespace label needs a value")
                        .with_primary("not `key=value`")
                        .with_help("`labels` records the namespace's actual labels: write `labels {key=value, ...}`"),
                );
                continue;
            };
            let mut set = ast::LabelSet::default();
            set.entries.push(entry.clone());
            let sel = self.selector(&Spanned::new(set, labels.span), false);
            for (k, v) in sel.match_labels {
                if k == NAMESPACE_NAME_LABEL && v != ns.name {
                    self.error(
                        Diagnostic::new(
                            codes::INVALID_LABEL_VALUE,
                            value.span,
                            format!(
                                "`{NAMESPACE_NAME_LABEL}` of namespace `{}` is always `{}`",
                                ns.name, ns.name
                            ),
                        )
                        .with_primary("Kubernetes sets this label to the namespace's name")
                        .with_help("remove this label"),
                    );
                    continue;
                }
                ns.labels.insert(k, v);
            }
        }
    }

    // ------------------------------------------------------------ pass 2

    /// Statements by reference or by value (each dropped once resolved).
    pub(super) fn statements_pass<S: std::borrow::Borrow<Spanned<Statement>>>(
        &mut self,
        statements: impl IntoIterator<Item = S>,
    ) {
        let mut dns_seen: Option<Span> = None;
        for stmt in statements {
            let stmt = stmt.borrow();
            match &stmt.node {
                Statement::Namespace(decl) => self.namespace_block(decl),
                Statement::Dns(dns) => {
                    if let Some(first) = dns_seen {
                        self.error(
                            Diagnostic::new(
                                codes::DUPLICATE_DNS,
                                stmt.span,
                                "more than one `dns` statement",
                            )
                            .with_primary("second `dns` statement")
                            .with_secondary(first, "first given here")
                            .with_help("list every DNS server in one statement: `dns a, b`"),
                        );
                        if let ast::Dns::Servers(servers) = dns {
                            self.note_targets(servers);
                        }
                        continue;
                    }
                    dns_seen = Some(stmt.span);
                    self.dns(dns, stmt.span);
                }
                Statement::Scrape(s) => self.scrape(s, stmt.span),
                Statement::Set(_) => {}
                Statement::Isolate(_) | Statement::No(_) => self.misplaced(
                    stmt,
                    "only inside a `namespace` block",
                    "put it in the block of the namespace it concerns: `namespace NAME { ... }`",
                ),
                Statement::Include(_) => {}
                Statement::Tier(decl) => self.tier_block(decl),
                other => self.common_statement(other, stmt.span),
            }
        }
    }

    /// Statements allowed both at the top level and in a block.
    fn common_statement(&mut self, stmt: &Statement, span: Span) {
        match stmt {
            Statement::Let(l) => {
                self.let_stmt(l);
                self.define_name(&l.name, span);
            }
            // What a statement with a syntax error was about to define.
            Statement::Invalid(invalid) => {
                if let Some(name) = &invalid.alias {
                    self.define_name(name, span);
                }
            }
            Statement::Allow(a) => self.allow(a, span),
            Statement::Expect(e) => self.expect(e, span),
            Statement::Deny => self.error(
                Diagnostic::new(codes::DENY_STATEMENT, span, "NetworkPolicy has no deny rules")
                    .with_primary("`deny` is not a statement")
                    .with_note("in a managed namespace everything is denied unless an `allow` permits it: isolation is the deny")
                    .with_help("remove this line and check that no `allow` covers the traffic; to assert it, write `expect deny SRC -> DST`"),
            ),
            _ => {}
        }
    }

    pub(super) fn misplaced(&mut self, stmt: &Spanned<Statement>, where_: &str, help: &str) {
        match &stmt.node {
            Statement::Dns(ast::Dns::Servers(servers)) => self.note_targets(servers),
            Statement::Scrape(s) => self.note_targets(std::slice::from_ref(&s.source)),
            Statement::Tier(decl) => {
                for inner in &decl.body {
                    if let Statement::TierRule(r) = &inner.node {
                        self.note_targets(&r.sources);
                        self.note_targets(&r.destinations);
                    }
                }
            }
            _ => {}
        }
        let what = match &stmt.node {
            Statement::Namespace(_) => "namespace",
            Statement::Isolate(_) => "isolate",
            Statement::No(n) if n.node == ast::Carveout::Dns => "no dns",
            Statement::No(_) => "no scrape",
            Statement::Dns(_) => "dns",
            Statement::Scrape(_) => "scrape",
            Statement::Set(_) => "set",
            Statement::Include(_) => "include",
            Statement::Tier(decl) => decl.tier.node.as_str(),
            _ => "this statement",
        };
        self.error(
            Diagnostic::new(
                codes::MISPLACED_STATEMENT,
                stmt.span,
                format!("`{what}` is allowed {where_}"),
            )
            .with_primary("not allowed here")
            .with_help(help.to_string()),
        );
    }

    fn namespace_block(&mut self, decl: &ast::NamespaceDecl) {
        let Some(body) = &decl.body else { return };
        self.block_namespace = Some(decl.name.node.clone());
        self.local.clear();
        self.defined_local.clear();
        for stmt in body {
            match &stmt.node {
                Statement::Isolate(iso) => self.isolate_only(&decl.name.node, iso, stmt.span),
                Statement::No(_) => {}
                Statement::Namespace(_)
                | Statement::Tier(_)
                | Statement::Dns(_)
                | Statement::Scrape(_)
                | Statement::Set(_)
                | Statement::Include(_) => self.misplaced(
                    stmt,
                    "only at the top level",
                    "move it out of the `namespace` block",
                ),
                other => self.common_statement(other, stmt.span),
            }
        }
        self.local.clear();
        self.defined_local.clear();
        self.block_namespace = None;
    }

    fn let_stmt(&mut self, l: &ast::Let) {
        let name = &l.name;
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if KEYWORDS.contains(&name.node.as_str()) || !valid {
            let why = if valid {
                "it is a keyword"
            } else {
                "use lower-case letters, digits, `_` and `-`, starting with a letter or `_`"
            };
            self.error(
                Diagnostic::new(
                    codes::INVALID_ALIAS_NAME,
                    name.span,
                    format!("`{}` cannot be an alias name", name.node),
                )
                .with_primary(why)
                .with_help(format!(
                    "choose another name, e.g. `{}`",
                    alias_suggestion(&name.node)
                )),
            );
            self.note_targets(&l.targets);
            return;
        }
        if let Some(first) = self.lookup(name).map(|a| a.span) {
            self.error(
                Diagnostic::new(
                    codes::DUPLICATE_ALIAS,
                    name.span,
                    format!("alias `{}` is already defined", name.node),
                )
                .with_primary("defined again here")
                .with_secondary(first, "first defined here")
                .with_help("aliases cannot be redefined; choose another name"),
            );
            self.note_targets(&l.targets);
            return;
        }
        // A set, not a list: `let a1 = a0, a0` must not double, or a chain
        // of such lines grows exponentially (billion laughs).
        let mut targets: Vec<Resolved> = Vec::new();
        let mut seen = BTreeSet::new();
        for t in &l.targets {
            for r in self.target(t, Role::Destination) {
                if seen.insert((r.peer.clone(), r.ports.as_ref().map(|(p, _)| p.clone()))) {
                    targets.push(r);
                }
            }
        }
        self.expand(targets.len(), name.span);
        let alias = Alias {
            targets,
            span: name.span,
        };
        if self.block_namespace.is_some() {
            self.local.insert(name.node.clone(), alias);
        } else {
            self.global.insert(name.node.clone(), alias);
        }
    }

    fn peers(&mut self, targets: &[Spanned<ast::Target>], role: Role) -> Vec<Peer> {
        // A target is most often one peer: room for one each, so that a
        // rule's lists need no shrinking (see `allow`).
        let mut peers = Vec::with_capacity(targets.len());
        for t in targets {
            peers.extend(self.target(t, role).into_iter().map(|r| r.peer));
        }
        peers
    }

    fn allow(&mut self, a: &ast::Allow, span: Span) {
        let mut sources = self.peers(&a.sources, Role::Source);
        let mut destinations = Vec::with_capacity(a.destinations.len());
        for t in &a.destinations {
            for r in self.target(t, Role::Destination) {
                if let (Peer::Ip(_), Some((Ports::Only(ports), pspan))) = (&r.peer, &r.ports) {
                    if ports
                        .iter()
                        .any(|p| matches!(p.number, crate::ir::PortNumber::Named(_)))
                    {
                        self.warn(
                            Diagnostic::new(codes::NAMED_PORT_TO_IP, *pspan, "named port toward an IP block")
                                .with_primary("resolved against pod ports, which an IP block has none of")
                                .with_help("several CNIs ignore or reject named ports in rules toward IP blocks; write the port number"),
                        );
                    }
                }
                if matches!(r.peer, Peer::Name(_)) {
                    self.name_uses.push(t.endpoint.span);
                }
                destinations.push((r.peer, r.ports.map_or(Ports::All, |(p, _)| p)));
            }
        }
        if sources.is_empty() || destinations.is_empty() {
            return;
        }
        // Most rules have one source and one destination, which growing
        // vectors hold in room for four: a large program's rules would
        // take a third more memory. (Nothing to do, and no reallocation,
        // when every target was one peer.)
        sources.shrink_to_fit();
        destinations.shrink_to_fit();
        self.program.rules.push(Rule {
            sources,
            destinations,
            origin: Origin {
                kind: OriginKind::Allow,
                span,
            },
            sides: Sides::BOTH,
        });
    }

    pub(super) fn peer_list(&mut self, targets: &[Spanned<ast::Target>], role: Role) -> Vec<Peer> {
        self.peers(targets, role)
    }

    pub(super) fn expect(&mut self, e: &ast::Expect, span: Span) {
        let src = self.single(&e.source, Role::Source);
        let dst_resolved = self.target(&e.destination, Role::Destination);
        let dst = self.single_of(
            dst_resolved.iter().map(|r| r.peer.clone()).collect(),
            &e.destination,
        );
        let ports = dst_resolved
            .first()
            .and_then(|r| r.ports.as_ref())
            .map(|(p, _)| p.clone());
        if let (Some(sources), Some(destinations)) = (src, dst) {
            self.program.expectations.push(Expectation {
                allow: e.verdict.node == ast::Verdict::Allow,
                sources,
                destinations,
                ports,
                span,
            });
        }
    }

    fn single(&mut self, target: &Spanned<ast::Target>, role: Role) -> Option<Vec<Peer>> {
        let peers = self
            .target(target, role)
            .into_iter()
            .map(|r| r.peer)
            .collect();
        self.single_of(peers, target)
    }

    /// The peers of an `expect` endpoint: one, or the two halves of `world`
    /// (written as such or through an alias).
    fn single_of(&mut self, peers: Vec<Peer>, target: &Spanned<ast::Target>) -> Option<Vec<Peer>> {
        let world = peers.len() == 2
            && peers
                .iter()
                .all(|p| matches!(p, Peer::Ip(b) if b.cidr.is_everything() && b.except.is_empty()))
            && peers
                .iter()
                .any(|p| matches!(p, Peer::Ip(b) if b.cidr.is_ipv4()));
        match peers.len() {
            0 => None,
            1 => Some(peers),
            _ if world => Some(peers),
            n => {
                self.error(
                    Diagnostic::new(
                        codes::INVALID_EXPECT,
                        target.span,
                        format!("an expectation needs one endpoint; this one stands for {n}"),
                    )
                    .with_primary("several endpoints")
                    .with_help("write one `expect` line for each endpoint"),
                );
                None
            }
        }
    }

    fn dns(&mut self, dns: &ast::Dns, span: Span) {
        match dns {
            ast::Dns::None => {
                self.warn(
                    Diagnostic::new(codes::DNS_NONE, span, "DNS carve-out turned off for every namespace")
                        .with_primary("no automatic DNS rules")
                        .with_note("with egress isolated and no DNS rule, every name lookup waits for its timeout (about 30 s per request) while calls by IP keep working")
                        .with_help("name your DNS servers instead, e.g. `dns kube-system/{k8s-app=kube-dns}` or `dns 169.254.20.10` for NodeLocal DNSCache"),
                );
                self.program.dns = Dns::None(span);
            }
            ast::Dns::Servers(targets) => {
                let peers = self.peers(targets, Role::DnsServer);
                let everyone = peers.iter().any(|p| {
                    matches!(p, Peer::Pods { namespaces: NamespaceSelector::Matching(ns), pods } if pods.is_empty() && !ns.match_labels.contains_key(NAMESPACE_NAME_LABEL))
                });
                if everyone {
                    self.warn(
                        Diagnostic::new(codes::EVERY_POD_IS_DNS, span, "every pod of every namespace it names becomes a DNS server")
                            .with_primary("no pod selector narrows the DNS servers")
                            .with_note("every egress-isolated namespace may then send 53/udp and 53/tcp to every pod those namespaces hold, even where `no dns` was meant to stop DNS")
                            .with_help("name the DNS pods, e.g. `dns kube-system/{k8s-app=kube-dns}`, or `dns 169.254.20.10` for NodeLocal DNSCache"),
                    );
                }
                self.program.dns = Dns::Servers {
                    peers,
                    span: Some(span),
                };
            }
        }
    }

    fn scrape(&mut self, s: &ast::Scrape, span: Span) {
        let sources = self.peers(std::slice::from_ref(&s.source), Role::Source);
        let pods = match &s.pods.node {
            ast::PodPart::Labels(set) => {
                self.selector(&Spanned::new(set.clone(), s.pods.span), true)
            }
            _ => Selector::default(),
        };
        let ports = s.ports.as_ref().map_or(Ports::All, |p| self.ports(p));
        if sources.is_empty() {
            return;
        }
        self.program.scrapes.push(Scrape {
            sources,
            pods,
            ports,
            span,
        });
    }
}

/// The `isolate` statements of one namespace body taken so far.
#[derive(Default)]
struct IsolateSeen {
    /// The first one taken.
    first: Option<Span>,
    none: Option<Span>,
    ingress: Option<Span>,
    egress: Option<Span>,
    /// Whether the egress isolation is limited to pod sets (`only`).
    egress_only: bool,
    /// What they isolate; `None` until one is taken (both directions then).
    isolation: Option<Isolation>,
}

/// What isolating a namespace Kubernetes itself uses breaks, or `None`.
fn system_namespace(name: &str) -> Option<&'static str> {
    match name {
        "kube-system" => Some("CoreDNS and the other system pods there lose egress to the API server and to upstream resolvers unless the program allows it: name resolution then fails cluster-wide"),
        "default" => Some("pods in `default` lose every outbound connection the program does not allow, the API server (`kubernetes.default`) included"),
        "kube-public" | "kube-node-lease" => Some("Kubernetes keeps cluster data there and pods rarely run there; isolating it is rarely what is meant"),
        _ => None,
    }
}

/// The same when only the pods `only` lists are egress-isolated.
fn system_namespace_some(name: &str) -> Option<&'static str> {
    match name {
        "kube-system" => Some("the listed system pods lose egress to the API server and to upstream resolvers unless the program allows it: if CoreDNS is among them, name resolution fails cluster-wide"),
        "default" => Some("the listed pods in `default` lose every outbound connection the program does not allow, the API server (`kubernetes.default`) included; the other pods keep theirs"),
        _ => None,
    }
}

/// "the settings are `a`, `b` and `c`".
fn settings_list() -> String {
    let quoted: Vec<String> = SETTINGS.iter().map(|s| format!("`{s}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => {
            format!("the settings are {} and {last}", rest.join(", "))
        }
        _ => format!("the setting is {}", quoted.join("")),
    }
}

/// A valid alias name close to an invalid one.
fn alias_suggestion(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if !s.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') {
        s.insert(0, '_');
    }
    if KEYWORDS.contains(&s.as_str()) || s == name {
        s.push_str("-pods");
    }
    s
}
