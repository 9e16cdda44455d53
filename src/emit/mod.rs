//! Emission (policy layout → Kubernetes objects): builds
//! `networking.k8s.io/v1` NetworkPolicy values from the layout. The only
//! stage that knows Kubernetes types (besides the evaluator that reads them).

pub mod cilium;
pub mod cluster;
pub mod naming;
pub mod output;
pub mod split;
mod yaml;

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::diagnostic::{codes, Diagnostic, Diagnostics};
use crate::ir::{
    Isolation, NamespaceSelector, Origin, OriginKind, Peer, PortNumber, Ports, Selector, Settings,
};
use crate::k8s::cilium as k8s_cilium;
use crate::k8s::{
    names, MANAGED_BY_LABEL, MANAGED_BY_VALUE, NAMESPACE_NAME_LABEL, SOURCE_ANNOTATION,
};
use crate::layout::{Layout, NamespaceLayout, PolicyRules, RuleSet};
use crate::source::{SourceMap, Span};

/// Where each emitted rule came from: per policy (namespace, name), the
/// origins of each ingress and egress rule, in the order they are emitted.
/// Traces of `expect` and `explain` use it to name `.npl` lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Provenance {
    pub policies: BTreeMap<(String, String), PolicyOrigins>,
    /// The rules of the cluster-scoped objects (tier blocks).
    pub cluster: cluster::ClusterProvenance,
    /// The same for CiliumNetworkPolicies (`emit::cilium`), which may share
    /// a name with a NetworkPolicy.
    pub cilium: BTreeMap<(String, String), PolicyOrigins>,
}

impl Provenance {
    /// The origins of a policy of either kind.
    pub fn of(&self, id: &crate::eval::PolicyName) -> Option<&PolicyOrigins> {
        let key = (id.namespace.clone(), id.name.clone());
        match id.kind {
            crate::eval::PolicyKind::NetworkPolicy => self.policies.get(&key),
            crate::eval::PolicyKind::Cilium => self.cilium.get(&key),
        }
    }

    /// Adds another namespace's origins.
    pub fn extend(&mut self, other: Provenance) {
        self.policies.extend(other.policies);
        self.cilium.extend(other.cilium);
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyOrigins {
    /// Whole-policy origins (the namespace declaration of a default-deny).
    pub policy: Vec<Origin>,
    pub ingress: Vec<Vec<Origin>>,
    pub egress: Vec<Vec<Origin>>,
}

fn origins_of(rules: &PolicyRules) -> PolicyOrigins {
    origins_with(rules, rules.origins())
}

/// [`origins_of`] with the policy's origins (`PolicyRules::origins`, in
/// order) already collected.
fn origins_with(rules: &PolicyRules, policy: Vec<Origin>) -> PolicyOrigins {
    let list = |sets: &[crate::layout::RuleSet]| -> Vec<Vec<Origin>> {
        sets.iter()
            .map(|r| r.origins.iter().copied().collect())
            .collect()
    };
    PolicyOrigins {
        policy,
        ingress: list(&rules.ingress),
        egress: list(&rules.egress),
    }
}

/// What emission produced.
#[derive(Debug, Default)]
pub struct Emitted {
    /// Sorted by namespace, then name.
    pub policies: Vec<NetworkPolicy>,
    /// The CiliumNetworkPolicies of DNS names (`set cni = cilium`), sorted
    /// by namespace, then name.
    pub cilium: Vec<k8s_cilium::CiliumNetworkPolicy>,
    pub provenance: Provenance,
    pub diagnostics: Diagnostics,
}

/// Builds the policies, sorted by namespace then name; none is larger than
/// `split::MAX_OBJECT_BYTES`.
pub fn emit(layout: Layout, settings: &Settings, sources: &SourceMap) -> Emitted {
    emit_within(layout, settings, sources, split::MAX_OBJECT_BYTES)
}

/// [`emit`] with another size limit (bytes of YAML or compact JSON per
/// object), so that tests can see policies split at small sizes.
pub fn emit_within(
    layout: Layout,
    settings: &Settings,
    sources: &SourceMap,
    limit: usize,
) -> Emitted {
    let mut all = Emitted::default();
    for ns in layout.namespaces.into_values() {
        let one = emit_namespace(ns, settings, sources, limit);
        all.policies.extend(one.policies);
        all.provenance.policies.extend(one.provenance.policies);
        all.diagnostics.extend(one.diagnostics);
    }
    all
}

/// The policies of one namespace, sorted by name, none larger than `limit`
/// (a build emits, writes and frees one namespace at a time). The layout is
/// taken so that the workload policies' selectors move into the objects
/// instead of being copied.
pub fn emit_namespace(
    mut ns: NamespaceLayout,
    settings: &Settings,
    sources: &SourceMap,
    limit: usize,
) -> Emitted {
    let mut diags = Diagnostics::default();
    let mut out = Vec::new();
    let mut provenance = Provenance::default();
    let workloads = std::mem::take(&mut ns.workloads);
    let ns = &ns;
    {
        let builder = NetworkPolicyBuilder {
            ns,
            settings,
            sources,
        };
        let mut policies: BTreeMap<String, (NetworkPolicy, Option<Span>, PolicyOrigins)> =
            BTreeMap::new();
        let mut put = |name: String,
                       policy: NetworkPolicy,
                       span: Option<Span>,
                       origins: PolicyOrigins,
                       diags: &mut Diagnostics| {
            if let Some((_, first, _)) = policies.get(&name) {
                diags.push(
                    Diagnostic::new(
                        codes::INVALID_POLICY_NAME,
                        span.unwrap_or(ns.span),
                        format!("two policies in `{}` would be named `{name}`", ns.name),
                    )
                    .with_primary("the pods of this statement get a policy of that name")
                    .with_secondary(first.unwrap_or(ns.span), "and so do the pods of this one")
                    .with_help("select the pods with labels whose policy names differ: names are made of the labels (`tier-web-8abe9e93` for `{tier=web}`), so a workload named like that meets the label set"),
                );
                return;
            }
            policies.insert(name, (policy, span, origins));
        };
        let whole = ns.whole();
        if whole.ingress || whole.egress {
            let name = builder.name(naming::DEFAULT_DENY);
            let policy = builder.policy(
                &name,
                &Selector::default(),
                &PolicyRules::default(),
                Some(whole),
                &[ns.span],
            );
            let origins = PolicyOrigins {
                policy: vec![Origin {
                    kind: OriginKind::Namespace,
                    span: ns.span,
                }],
                ..PolicyOrigins::default()
            };
            put(name, policy, None, origins, &mut diags);
        }
        if let Some(dns) = &ns.dns {
            let name = builder.name(naming::ALLOW_DNS);
            let spans: Vec<Span> = dns.origins().iter().map(|o| o.span).collect();
            let policy = builder.policy(&name, &Selector::default(), dns, None, &spans);
            for (name, policy, origins) in
                builder.sized(name, policy, origins_of(dns), limit, &mut diags)
            {
                put(name, policy, None, origins, &mut diags);
            }
        }
        for (pods, mut rules) in workloads {
            let name = builder.name(&naming::workload_policy_name(
                &pods,
                &settings.workload_label,
            ));
            let origins = rules.origins();
            let spans: Vec<Span> = origins.iter().map(|o| o.span).collect();
            if let Err(why) = names::policy_name(&name) {
                // At the statement that selects these pods, not at the namespace.
                diags.push(
                    Diagnostic::new(
                        codes::INVALID_POLICY_NAME,
                        spans.first().copied().unwrap_or(ns.span),
                        format!("the policy name `{name}` is not valid"),
                    )
                    .with_primary(why)
                    .with_help("shorten `name-prefix`"),
                );
                continue;
            }
            let first = spans.first().copied();
            let origins = origins_with(&rules, origins);
            let ingress = std::mem::take(&mut rules.ingress);
            let egress = std::mem::take(&mut rules.egress);
            let policy = builder.policy_of(
                &name,
                pods.into_api(),
                (
                    api_rules(ingress, ingress_rule),
                    api_rules(egress, egress_rule),
                ),
                None,
                &spans,
            );
            for (name, policy, origins) in builder.sized(name, policy, origins, limit, &mut diags) {
                put(name, policy, first, origins, &mut diags);
            }
        }
        // `isolate ... only`: each set's default-deny, then the policies of
        // its pods, each selecting the pods AND the set (§7.1).
        for set in &ns.sets {
            let suffix = naming::set_suffix(set, &settings.workload_label);
            let name = builder.name(&format!("{}-{suffix}", naming::DEFAULT_DENY));
            if let Some(d) = invalid_name(&name, set.span) {
                diags.push(d);
                continue;
            }
            let policy = builder.policy(
                &name,
                &set.pods,
                &PolicyRules::default(),
                Some(set.isolation),
                &[ns.span, set.span],
            );
            let origins = PolicyOrigins {
                policy: vec![Origin {
                    kind: OriginKind::Namespace,
                    span: set.span,
                }],
                ..PolicyOrigins::default()
            };
            put(name, policy, Some(set.span), origins, &mut diags);
        }
        for ((i, pods), rules) in &ns.limited {
            let Some(set) = ns.sets.get(*i) else { continue };
            let suffix = naming::set_suffix(set, &settings.workload_label);
            let base = match pods {
                None => naming::ALLOW_DNS.to_string(),
                Some(pods) => naming::workload_policy_name(pods, &settings.workload_label),
            };
            let name = builder.name(&format!("{base}-{suffix}"));
            let spans: Vec<Span> = rules.origins().iter().map(|o| o.span).collect();
            if let Some(d) = invalid_name(&name, spans.first().copied().unwrap_or(set.span)) {
                diags.push(d);
                continue;
            }
            let selected = match pods {
                None => set.pods.clone(),
                Some(pods) => {
                    crate::layout::within(pods, &set.pods).unwrap_or_else(|| pods.and(&set.pods))
                }
            };
            let first = spans.first().copied();
            let policy = builder.policy(&name, &selected, rules, Some(set.isolation), &spans);
            for (name, policy, origins) in
                builder.sized(name, policy, origins_of(rules), limit, &mut diags)
            {
                put(name, policy, first, origins, &mut diags);
            }
        }
        for (name, (policy, _, origins)) in policies {
            provenance.policies.insert((ns.name.clone(), name), origins);
            out.push(policy);
        }
    }
    Emitted {
        policies: out,
        cilium: Vec::new(),
        provenance,
        diagnostics: diags,
    }
}

/// E027 for a policy name of a pod set that is not valid, at `span`.
fn invalid_name(name: &str, span: Span) -> Option<Diagnostic> {
    let why = names::policy_name(name).err()?;
    Some(
        Diagnostic::new(
            codes::INVALID_POLICY_NAME,
            span,
            format!("the policy name `{name}` is not valid"),
        )
        .with_primary(why)
        .with_help("shorten `name-prefix`, or name the pod set with a shorter alias"),
    )
}

/// Builds the objects of one namespace.
pub struct NetworkPolicyBuilder<'a> {
    ns: &'a NamespaceLayout,
    settings: &'a Settings,
    sources: &'a SourceMap,
}

impl NetworkPolicyBuilder<'_> {
    fn name(&self, base: &str) -> String {
        format!("{}{}", self.settings.name_prefix, base)
    }

    fn policy(
        &self,
        name: &str,
        pods: &Selector,
        rules: &PolicyRules,
        policy_types: Option<Isolation>,
        spans: &[Span],
    ) -> NetworkPolicy {
        let ingress = rules
            .ingress
            .iter()
            .map(|r| NetworkPolicyIngressRule {
                from: Some(peers(r)),
                ports: ports(&r.ports),
            })
            .collect();
        let egress = rules
            .egress
            .iter()
            .map(|r| NetworkPolicyEgressRule {
                to: Some(peers(r)),
                ports: ports(&r.ports),
            })
            .collect();
        self.policy_of(
            name,
            label_selector(pods),
            (ingress, egress),
            policy_types,
            spans,
        )
    }

    /// The policy of the pods `pods` with the rules `(ingress, egress)`;
    /// its policy types are `policy_types`, or by default the directions
    /// that have rules.
    fn policy_of(
        &self,
        name: &str,
        pods: LabelSelector,
        (ingress, egress): (Vec<NetworkPolicyIngressRule>, Vec<NetworkPolicyEgressRule>),
        policy_types: Option<Isolation>,
        spans: &[Span],
    ) -> NetworkPolicy {
        let mut types = Vec::new();
        let policy_types = policy_types.unwrap_or(Isolation {
            ingress: !ingress.is_empty(),
            egress: !egress.is_empty(),
        });
        let (ingress_type, egress_type) = (policy_types.ingress, policy_types.egress);
        if ingress_type {
            types.push("Ingress".to_string());
        }
        if egress_type {
            types.push("Egress".to_string());
        }
        NetworkPolicy {
            metadata: ObjectMeta {
                name: Some(name.to_string()),
                namespace: Some(self.ns.name.clone()),
                labels: Some(BTreeMap::from([(
                    MANAGED_BY_LABEL.to_string(),
                    MANAGED_BY_VALUE.to_string(),
                )])),
                annotations: Some(BTreeMap::from([(
                    SOURCE_ANNOTATION.to_string(),
                    self.source_lines(spans),
                )])),
                ..ObjectMeta::default()
            },
            spec: Some(NetworkPolicySpec {
                pod_selector: Some(pods),
                policy_types: Some(types),
                ingress: (!ingress.is_empty()).then_some(ingress),
                egress: (!egress.is_empty()).then_some(egress),
            }),
        }
    }

    /// The policy, or its parts when it is larger than `limit` (see
    /// `split`): `NAME`, `NAME.2`, `NAME.3`, ... (no other policy name has
    /// a `.` after the prefix), each with the same pod selector and policy
    /// types, the rules it holds, and their origins. None, with E032, if a
    /// part cannot be made small enough.
    fn sized(
        &self,
        name: String,
        policy: NetworkPolicy,
        origins: PolicyOrigins,
        limit: usize,
        diags: &mut Diagnostics,
    ) -> Vec<(String, NetworkPolicy, PolicyOrigins)> {
        match self.parts(name, policy, origins, limit) {
            Ok(parts) => parts,
            Err(d) => {
                diags.push(*d);
                Vec::new()
            }
        }
    }

    fn parts(
        &self,
        name: String,
        policy: NetworkPolicy,
        origins: PolicyOrigins,
        limit: usize,
    ) -> Result<Vec<(String, NetworkPolicy, PolicyOrigins)>, Box<Diagnostic>> {
        let too_large = |bytes: usize, at: Option<Span>| {
            Box::new(Diagnostic::new(
                codes::POLICY_TOO_LARGE,
                at.unwrap_or(self.ns.span),
                format!(
                    "the policy `{name}` in `{}` would be larger than {} KiB",
                    self.ns.name,
                    limit / 1024
                ),
            )
            .with_primary(format!(
                "a part of it that cannot be divided takes about {} KiB",
                bytes.div_ceil(1024)
            ))
            .with_note("npc splits a large policy into several objects, but not a single label set or IP block")
            .with_help("use fewer labels in one label set, fewer `except` ranges in one CIDR, or fewer namespaces with `no scrape` (the scraper's egress excludes them in one selector)"))
        };
        if !split::too_large(&policy, limit).map_err(|_| too_large(limit, None))? {
            return Ok(vec![(name, policy, origins)]);
        }
        let parts = split::split(&policy, self.annotation_bound(&origins), limit).map_err(|e| {
            let rule_origins = if e.ingress {
                &origins.ingress
            } else {
                &origins.egress
            };
            let at = rule_origins
                .get(e.rule)
                .and_then(|o| o.first())
                .map(|o| o.span);
            too_large(e.bytes, at)
        })?;
        let Some(spec) = &policy.spec else {
            return Ok(vec![(name, policy, origins)]);
        };
        let no_ingress = Vec::new();
        let no_egress = Vec::new();
        let ingress = spec.ingress.as_ref().unwrap_or(&no_ingress);
        let egress = spec.egress.as_ref().unwrap_or(&no_egress);
        let mut out = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let part_name = if i == 0 {
                name.clone()
            } else {
                format!("{name}.{}", i + 1)
            };
            let pick = |list: &[Vec<Origin>], rules: &[split::RulePart]| -> Vec<Vec<Origin>> {
                rules
                    .iter()
                    .map(|r| list.get(r.rule).cloned().unwrap_or_default())
                    .collect()
            };
            let part_origins = PolicyOrigins {
                policy: Vec::new(),
                ingress: pick(&origins.ingress, &part.ingress),
                egress: pick(&origins.egress, &part.egress),
            };
            let all: BTreeSet<Origin> = part_origins
                .ingress
                .iter()
                .chain(&part_origins.egress)
                .flatten()
                .copied()
                .collect();
            let spans: Vec<Span> = all.iter().map(|o| o.span).collect();
            let part_ingress = split::ingress_rules(ingress, part);
            let part_egress = split::egress_rules(egress, part);
            let mut metadata = policy.metadata.clone();
            metadata.name = Some(part_name.clone());
            metadata.annotations = Some(BTreeMap::from([(
                SOURCE_ANNOTATION.to_string(),
                self.source_lines(&spans),
            )]));
            let object = NetworkPolicy {
                metadata,
                spec: Some(NetworkPolicySpec {
                    pod_selector: spec.pod_selector.clone(),
                    policy_types: spec.policy_types.clone(),
                    ingress: (!part_ingress.is_empty()).then_some(part_ingress),
                    egress: (!part_egress.is_empty()).then_some(part_egress),
                }),
            };
            out.push((
                part_name,
                object,
                PolicyOrigins {
                    policy: all.into_iter().collect(),
                    ..part_origins
                },
            ));
        }
        Ok(out)
    }

    /// An upper bound of the source annotation of any part of a policy with
    /// these origins (a part lists some of its lines): each file name and
    /// line number once with its separators, at most the length
    /// `source_list` stops at.
    fn annotation_bound(&self, origins: &PolicyOrigins) -> usize {
        let mut lines: BTreeSet<(crate::source::FileId, usize)> = BTreeSet::new();
        for o in origins.ingress.iter().chain(&origins.egress).flatten() {
            if let Some(f) = self.sources.get(o.span.file) {
                lines.insert((o.span.file, f.line_of(o.span.start())));
            }
        }
        let files: BTreeSet<crate::source::FileId> = lines.iter().map(|(f, _)| *f).collect();
        let names: Vec<&str> = files
            .iter()
            .filter_map(|f| self.sources.get(*f).map(|f| f.name.as_str()))
            .collect();
        let listed: usize = names.iter().map(|n| n.len() + 2).sum::<usize>()
            + lines
                .iter()
                .map(|(_, l)| l.to_string().len() + 2)
                .sum::<usize>()
            + 32;
        let simple = names
            .iter()
            .all(|n| split::text(n) == n.len() + split::text(""));
        let factor = if simple { 1 } else { 8 };
        split::text("") + factor * listed.min(MAX_SOURCE_ANNOTATION + 128)
    }

    /// The source annotation: see `source_list`.
    fn source_lines(&self, spans: &[Span]) -> String {
        // A policy fed by a label set has thousands of spans, in order:
        // sorting a vector is cheaper than a tree.
        let mut lines: Vec<(crate::source::FileId, usize)> = spans
            .iter()
            .filter_map(|s| {
                let f = self.sources.get(s.file)?;
                Some((s.file, f.line_of(s.start())))
            })
            .collect();
        lines.sort_unstable();
        lines.dedup();
        let named: Vec<(&str, usize)> = lines
            .iter()
            .filter_map(|(file, line)| self.sources.get(*file).map(|f| (f.name.as_str(), *line)))
            .collect();
        source_list(&named)
    }
}

/// The longest source annotation, give or take the last range and
/// ` and N more lines` (at most 128 bytes more).
pub const MAX_SOURCE_ANNOTATION: usize = 2048;

/// `policies.npl:3, 12, 20-25; aliases.npl:4` from (file, line) pairs sorted
/// by file, then line: each file once, runs of consecutive lines as ranges,
/// so a policy fed by a thousand lines keeps a short annotation. Past
/// [`MAX_SOURCE_ANNOTATION`] bytes the rest is counted, not listed
/// (`... and 120 more lines`); traces still name every line.
fn source_list(lines: &[(&str, usize)]) -> String {
    use std::fmt::Write as _;
    // Room for a file and a few lines (most policies'), so that the text
    // is not reallocated as it grows.
    let mut out = String::with_capacity(lines.first().map_or(0, |(file, _)| file.len() + 24));
    let mut i = 0;
    while let Some(&(file, first)) = lines.get(i) {
        if out.len() + file.len() > MAX_SOURCE_ANNOTATION {
            let rest = lines.len() - i;
            let _ = if out.is_empty() {
                write!(out, "{rest} lines")
            } else {
                write!(out, " and {rest} more lines")
            };
            break;
        }
        if !out.is_empty() {
            out.push_str("; ");
        }
        out.push_str(file);
        out.push(':');
        let mut run = (first, first);
        i += 1;
        loop {
            match lines.get(i) {
                Some(&(f, line)) if f == file && line == run.1 + 1 => run.1 = line,
                next => {
                    push_line(&mut out, run.0);
                    if run.0 != run.1 {
                        out.push('-');
                        push_line(&mut out, run.1);
                    }
                    match next {
                        Some(&(f, line)) if f == file && out.len() <= MAX_SOURCE_ANNOTATION => {
                            out.push_str(", ");
                            run = (line, line);
                        }
                        _ => break,
                    }
                }
            }
            i += 1;
        }
    }
    out
}

/// Appends a line number (without the formatting machinery: a policy's
/// annotation is written for every policy).
fn push_line(out: &mut String, line: usize) {
    crate::k8s::object::push_int(out, i128::try_from(line).unwrap_or(i128::MAX));
}

/// The layout's rules of a side as the API's: into a new vector (collected
/// in place, the rule sets' allocation would be reallocated to the rules'
/// size).
fn api_rules<R>(rules: Vec<RuleSet>, f: fn(RuleSet) -> R) -> Vec<R> {
    let mut out = Vec::with_capacity(rules.len());
    out.extend(rules.into_iter().map(f));
    out
}

/// An ingress rule of the layout's, its peers moved into the object.
fn ingress_rule(r: RuleSet) -> NetworkPolicyIngressRule {
    NetworkPolicyIngressRule {
        ports: ports(&r.ports),
        from: Some(r.peers.into_iter().filter_map(peer_owned).collect()),
    }
}

/// An egress rule of the layout's, its peers moved into the object.
fn egress_rule(r: RuleSet) -> NetworkPolicyEgressRule {
    NetworkPolicyEgressRule {
        ports: ports(&r.ports),
        to: Some(r.peers.into_iter().filter_map(peer_owned).collect()),
    }
}

fn peers(rule: &RuleSet) -> Vec<NetworkPolicyPeer> {
    rule.peers.iter().filter_map(peer).collect()
}

/// A NetworkPolicy peer; none for a DNS name (layout gives names to
/// `emit::cilium`, never to a NetworkPolicy).
fn peer(p: &Peer) -> Option<NetworkPolicyPeer> {
    peer_owned(p.clone())
}

/// [`peer`], moving the selectors into the object.
fn peer_owned(p: Peer) -> Option<NetworkPolicyPeer> {
    Some(match p {
        Peer::Name(_) => return None,
        Peer::Pods { namespaces, pods } => NetworkPolicyPeer {
            namespace_selector: Some(match namespaces {
                NamespaceSelector::Named(n) => LabelSelector {
                    match_labels: Some(BTreeMap::from([(NAMESPACE_NAME_LABEL.to_string(), n)])),
                    match_expressions: None,
                },
                NamespaceSelector::Matching(sel) => sel.into_api(),
            }),
            pod_selector: Some(pods.into_api()),
            ip_block: None,
        },
        Peer::Ip(block) => NetworkPolicyPeer {
            ip_block: Some(IPBlock {
                cidr: block.cidr.to_string(),
                except: (!block.except.is_empty())
                    .then(|| block.except.iter().map(ToString::to_string).collect()),
            }),
            namespace_selector: None,
            pod_selector: None,
        },
    })
}

fn label_selector(sel: &Selector) -> LabelSelector {
    sel.to_api()
}

fn ports(ports: &Ports) -> Option<Vec<NetworkPolicyPort>> {
    let Ports::Only(set) = ports else { return None };
    Some(
        set.iter()
            .map(|p| {
                let (port, end_port) = match &p.number {
                    PortNumber::Single(n) => (IntOrString::Int(i32::from(*n)), None),
                    PortNumber::Range(a, b) => {
                        (IntOrString::Int(i32::from(*a)), Some(i32::from(*b)))
                    }
                    PortNumber::Named(name) => (IntOrString::String(name.clone()), None),
                };
                NetworkPolicyPort {
                    port: Some(port),
                    end_port,
                    protocol: Some(p.protocol.as_str().to_string()),
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::{source_list, MAX_SOURCE_ANNOTATION};

    #[test]
    fn source_lines_group_files_and_runs() {
        assert_eq!(source_list(&[]), "");
        assert_eq!(source_list(&[("a.npl", 3)]), "a.npl:3");
        assert_eq!(
            source_list(&[
                ("a.npl", 3),
                ("a.npl", 5),
                ("a.npl", 6),
                ("a.npl", 7),
                ("a.npl", 9),
                ("b.npl", 1),
                ("b.npl", 2),
            ]),
            "a.npl:3, 5-7, 9; b.npl:1-2"
        );
        // A policy fed by many lines lists the first ones.
        let many: Vec<(&str, usize)> = (1..=20_000).map(|n| ("a.npl", n * 2)).collect();
        let text = source_list(&many);
        assert!(text.len() <= MAX_SOURCE_ANNOTATION + 128, "{}", text.len());
        assert!(text.starts_with("a.npl:2, 4, 6, "), "{text}");
        assert!(text.ends_with(" more lines"), "{text}");
        let long = "x".repeat(MAX_SOURCE_ANNOTATION + 1);
        assert_eq!(source_list(&[(&long, 1), (&long, 2)]), "2 lines");
        // Written as it is, unquoted.
        assert_eq!(
            crate::k8s::yaml::style("a.npl:3, 5-7, 9; b.npl:1-2"),
            crate::k8s::yaml::Style::Plain
        );
    }
}
