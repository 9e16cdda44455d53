//! Emission of tier blocks (IR → cluster-scoped objects): ClusterNetworkPolicy
//! (`policy.networking.k8s.io/v1alpha2`), or AdminNetworkPolicy and
//! BaselineAdminNetworkPolicy (`v1alpha1`) on request.
//!
//! Each statement becomes rules of the sides it applies to: an egress rule
//! of each source (the destinations as peers, grouped by their ports) and an
//! ingress rule of each destination that denotes pods (the sources as
//! peers). A rule's subject is its pods; the rules of one subject share an
//! object as long as the written order stays true for every pod: a rule
//! joins the last object of its subject only when no later object holds a
//! rule of its direction (see [`drafts`]); otherwise it starts an object.
//! Objects take consecutive priorities in that order, so for any pod the
//! rules that apply to it are met in the order they are written. Rules and
//! objects split at the API's limits keep that order too: the parts of a rule
//! have its action, and a split object's parts take consecutive priorities.
//!
//! Names are the name prefix, the tier and the subject (`admin-web.frontend`,
//! `baseline-cluster`), with `-N` for an object's later parts and a
//! subject's later objects: a name depends on the subject and on how many
//! objects of that subject come before it, not on the rest of the program.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use super::naming;
use crate::diagnostic::{codes, Diagnostic, Diagnostics};
use crate::ir::{
    Action, ClusterPolicyApi, NamespaceSelector, Peer, PortNumber, Ports, Program, Selector, Tier,
    TierBlock, TierOrigin,
};
use crate::k8s::cluster_policy::{self as api, ClusterObject};
use crate::k8s::{
    names, Direction, Protocol, MANAGED_BY_LABEL, MANAGED_BY_VALUE, NAMESPACE_NAME_LABEL,
    SOURCE_ANNOTATION,
};
use crate::source::{SourceMap, Span};

/// The pods a cluster policy applies to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Subject {
    pub namespaces: NamespaceSelector,
    pub pods: Selector,
}

/// What emission of the tier blocks produced.
#[derive(Debug, Default)]
pub struct ClusterEmitted {
    /// `admin` objects by priority, then `baseline` objects by priority.
    pub objects: Vec<ClusterObject>,
    pub provenance: ClusterProvenance,
    pub diagnostics: Diagnostics,
}

/// Where each rule of each emitted cluster object came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterProvenance {
    /// By object name.
    pub objects: BTreeMap<String, ObjectOrigins>,
}

/// The tier and priority of one object, and the statement of each of its
/// rules (an index into `spec.ingress` / `spec.egress`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectOrigins {
    pub tier: Tier,
    pub priority: i32,
    pub subject: Subject,
    pub ingress: Vec<TierOrigin>,
    pub egress: Vec<TierOrigin>,
}

impl ObjectOrigins {
    pub fn rules(&self, direction: Direction) -> &[TierOrigin] {
        match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }
}

/// One rule of one side, before it is split at the API's limits.
#[derive(Clone, Debug)]
struct SideRule {
    subject: Subject,
    direction: Direction,
    action: Action,
    peers: Vec<Peer>,
    ports: Ports,
    origin: TierOrigin,
}

/// An object being formed: a subject and its rules, in order, per direction.
#[derive(Clone, Debug)]
struct Draft {
    subject: Subject,
    ingress: Vec<SideRule>,
    egress: Vec<SideRule>,
}

impl Draft {
    fn rules_mut(&mut self, direction: Direction) -> &mut Vec<SideRule> {
        match direction {
            Direction::Ingress => &mut self.ingress,
            Direction::Egress => &mut self.egress,
        }
    }

    fn has(&self, direction: Direction) -> bool {
        match direction {
            Direction::Ingress => !self.ingress.is_empty(),
            Direction::Egress => !self.egress.is_empty(),
        }
    }
}

/// The API's limits on one object.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub rules: usize,
    pub peers: usize,
    pub networks: usize,
    pub protocols: usize,
}

/// ClusterNetworkPolicy (v1alpha2).
pub const V1ALPHA2_LIMITS: Limits = Limits {
    rules: api::MAX_RULES,
    peers: api::MAX_PEERS,
    networks: api::MAX_NETWORKS,
    protocols: api::MAX_PROTOCOLS,
};

/// AdminNetworkPolicy and BaselineAdminNetworkPolicy (v1alpha1).
pub const V1ALPHA1_LIMITS: Limits = Limits {
    rules: api::V1ALPHA1_MAX_RULES,
    peers: api::V1ALPHA1_MAX_PEERS,
    networks: api::MAX_NETWORKS,
    protocols: api::V1ALPHA1_MAX_PORTS,
};

/// One peer as the API writes it.
#[derive(Clone, Debug, PartialEq)]
enum ApiPeer {
    Namespaces(LabelSelector),
    Pods(api::NamespacedPod),
    Networks(Vec<String>),
}

/// One protocol entry as the API writes it.
#[derive(Clone, Debug, PartialEq)]
enum ApiPort {
    Number(Protocol, u16),
    Range(Protocol, u16, u16),
    /// The container port of that name, whatever its protocol.
    Named(String),
}

/// One API rule: a part of a side rule.
#[derive(Clone, Debug)]
struct ApiRule {
    action: Action,
    peers: Vec<ApiPeer>,
    ports: Option<Vec<ApiPort>>,
    origin: TierOrigin,
}

/// One object's content, before it is written in a version.
struct Part {
    name: String,
    priority: i32,
    subject: Subject,
    ingress: Vec<ApiRule>,
    egress: Vec<ApiRule>,
}

/// The objects of a program's tier blocks, `admin` first, each tier by
/// priority. Errors (priorities exhausted, a name the API refuses, a
/// baseline that v1alpha1 cannot hold) are diagnostics, with no object.
pub fn emit_cluster(program: &Program, sources: &SourceMap) -> ClusterEmitted {
    let mut out = ClusterEmitted::default();
    let api_version = program.settings.cluster_policy_api;
    let limits = match api_version {
        ClusterPolicyApi::V1alpha2 => V1ALPHA2_LIMITS,
        ClusterPolicyApi::V1alpha1 => V1ALPHA1_LIMITS,
    };
    for block in program.tiers.blocks() {
        let parts = match parts(block, program, limits) {
            Ok(parts) => parts,
            Err(d) => {
                out.diagnostics.push(*d);
                continue;
            }
        };
        let parts = match (api_version, block.tier) {
            (ClusterPolicyApi::V1alpha1, Tier::Baseline) => match one_baseline(block, parts) {
                Ok(part) => vec![part],
                Err(d) => {
                    out.diagnostics.push(*d);
                    continue;
                }
            },
            _ => parts,
        };
        for part in parts {
            let spans: Vec<Span> = part
                .ingress
                .iter()
                .chain(&part.egress)
                .map(|r| r.origin.span)
                .collect();
            let metadata = metadata(&part.name, &spans, sources);
            out.provenance.objects.insert(
                part.name.clone(),
                ObjectOrigins {
                    tier: block.tier,
                    priority: part.priority,
                    subject: part.subject.clone(),
                    ingress: part.ingress.iter().map(|r| r.origin).collect(),
                    egress: part.egress.iter().map(|r| r.origin).collect(),
                },
            );
            let object = match api_version {
                ClusterPolicyApi::V1alpha2 => v1alpha2(&part, block.tier, metadata, sources),
                ClusterPolicyApi::V1alpha1 => v1alpha1(&part, block.tier, metadata, sources),
            };
            out.objects.push(object);
        }
    }
    out
}

/// The rules of one statement for each side it applies to.
fn side_rules(block: &TierBlock) -> Vec<SideRule> {
    let mut out = Vec::new();
    for s in &block.statements {
        if s.applies(Direction::Egress) {
            for src in &s.sources {
                let Peer::Pods { namespaces, pods } = src else {
                    continue;
                };
                let mut groups: Vec<(Ports, Vec<Peer>)> = Vec::new();
                for (dst, ports) in &s.destinations {
                    match groups.iter_mut().find(|(p, _)| p == ports) {
                        Some((_, peers)) => {
                            if !peers.contains(dst) {
                                peers.push(dst.clone());
                            }
                        }
                        None => groups.push((ports.clone(), vec![dst.clone()])),
                    }
                }
                for (ports, peers) in groups {
                    out.push(SideRule {
                        subject: Subject {
                            namespaces: namespaces.clone(),
                            pods: pods.clone(),
                        },
                        direction: Direction::Egress,
                        action: s.action,
                        peers,
                        ports,
                        origin: s.origin,
                    });
                }
            }
        }
        if s.applies(Direction::Ingress) {
            for (dst, ports) in &s.destinations {
                let Peer::Pods { namespaces, pods } = dst else {
                    continue;
                };
                out.push(SideRule {
                    subject: Subject {
                        namespaces: namespaces.clone(),
                        pods: pods.clone(),
                    },
                    direction: Direction::Ingress,
                    action: s.action,
                    peers: s.sources.clone(),
                    ports: ports.clone(),
                    origin: s.origin,
                });
            }
        }
    }
    out
}

/// Objects in order: a rule joins the last object of its subject when no
/// object after that one holds a rule of its direction (so nothing written
/// after it is met before it, and nothing written before it after it, by
/// any pod); otherwise it opens an object.
fn drafts(rules: Vec<SideRule>) -> Vec<Draft> {
    let mut out: Vec<Draft> = Vec::new();
    for rule in rules {
        let last = out.iter().rposition(|d| d.subject == rule.subject);
        let joins = last.filter(|&i| out[i + 1..].iter().all(|d| !d.has(rule.direction)));
        match joins {
            Some(i) => out[i].rules_mut(rule.direction).push(rule),
            None => {
                let mut draft = Draft {
                    subject: rule.subject.clone(),
                    ingress: Vec::new(),
                    egress: Vec::new(),
                };
                draft.rules_mut(rule.direction).push(rule);
                out.push(draft);
            }
        }
    }
    out
}

/// The objects of one tier, split at the limits, named and given
/// priorities.
fn parts(
    block: &TierBlock,
    program: &Program,
    limits: Limits,
) -> Result<Vec<Part>, Box<Diagnostic>> {
    let settings = &program.settings;
    let (first, last) = settings.cluster_policy_priorities;
    let room = usize::from(last - first) + 1;
    let mut out: Vec<Part> = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut named: BTreeMap<String, Subject> = BTreeMap::new();
    for draft in drafts(side_rules(block)) {
        let ingress: Vec<ApiRule> = draft
            .ingress
            .iter()
            .flat_map(|r| api_rules(r, limits))
            .collect();
        let egress: Vec<ApiRule> = draft
            .egress
            .iter()
            .flat_map(|r| api_rules(r, limits))
            .collect();
        let count = ingress
            .len()
            .div_ceil(limits.rules)
            .max(egress.len().div_ceil(limits.rules))
            .max(1);
        let base = format!(
            "{}{}-{}",
            settings.name_prefix,
            block.tier.as_str(),
            subject_name(&draft.subject, &settings.workload_label)
        );
        for k in 0..count {
            let origin = draft
                .ingress
                .first()
                .or(draft.egress.first())
                .map_or(block.span, |r| r.origin.span);
            if out.len() >= room {
                return Err(Box::new(exhausted(block, program, origin)));
            }
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            let name = if *n == 1 {
                base.clone()
            } else {
                format!("{base}-{n}")
            };
            if let Err(why) = names::policy_name(&name) {
                return Err(Box::new(
                    Diagnostic::new(
                        codes::INVALID_POLICY_NAME,
                        origin,
                        format!("the cluster policy name `{name}` is not valid"),
                    )
                    .with_primary(why)
                    .with_help("shorten `name-prefix`, or select these pods with fewer labels"),
                ));
            }
            match named.get(&name) {
                Some(other) if *other != draft.subject => {
                    return Err(Box::new(
                        Diagnostic::new(
                            codes::INVALID_POLICY_NAME,
                            origin,
                            format!("two cluster policies would be named `{name}`"),
                        )
                        .with_primary("the pods of this statement get a cluster policy of that name, and so do other pods")
                        .with_help("names are made of the namespace and the pods (`admin-web.api`) and `-N` for later objects: select one of the two sets of pods with labels, or rename a workload"),
                    ));
                }
                _ => {
                    named.insert(name.clone(), draft.subject.clone());
                }
            }
            let take = |rules: &[ApiRule]| -> Vec<ApiRule> {
                rules
                    .iter()
                    .skip(k * limits.rules)
                    .take(limits.rules)
                    .cloned()
                    .collect()
            };
            let priority = i32::from(first) + i32::try_from(out.len()).unwrap_or(i32::MAX);
            out.push(Part {
                name,
                priority,
                subject: draft.subject.clone(),
                ingress: take(&ingress),
                egress: take(&egress),
            });
        }
    }
    Ok(out)
}

fn exhausted(block: &TierBlock, program: &Program, at: Span) -> Diagnostic {
    let (first, last) = program.settings.cluster_policy_priorities;
    let needed = drafts(side_rules(block)).len();
    Diagnostic::new(
        codes::PRIORITIES_EXHAUSTED,
        at,
        format!(
            "the `{}` tier needs more cluster policies than priorities {first}-{last} hold",
            block.tier
        ),
    )
    .with_primary(format!("no priority is left from here on ({needed} or more objects needed)"))
    .with_secondary(block.span, "the block")
    .with_note("each cluster policy takes a priority of its own, so that no two that could match one connection share one (the API leaves the order of those undefined)")
    .with_help("widen `set cluster-policy-priorities`, or group the statements of one subject together: consecutive statements of one subject share an object")
}

/// v1alpha1 allows one BaselineAdminNetworkPolicy: every baseline rule must
/// apply to one subject and fit one object.
fn one_baseline(block: &TierBlock, parts: Vec<Part>) -> Result<Part, Box<Diagnostic>> {
    let mut iter = parts.into_iter();
    let Some(mut first) = iter.next() else {
        return Ok(Part {
            name: api::BASELINE_DEFAULT_NAME.to_string(),
            priority: 0,
            subject: Subject {
                namespaces: NamespaceSelector::Matching(Selector::default()),
                pods: Selector::default(),
            },
            ingress: Vec::new(),
            egress: Vec::new(),
        });
    };
    if let Some(other) = iter.next() {
        let at = other
            .ingress
            .first()
            .or(other.egress.first())
            .map_or(block.span, |r| r.origin.span);
        let (message, primary) = if other.subject != first.subject {
            (
                "this `baseline` needs more than one BaselineAdminNetworkPolicy subject",
                "a second subject: its rules apply to other pods",
            )
        } else {
            (
                "this `baseline` needs more rules than one BaselineAdminNetworkPolicy holds",
                "past the limit of one object",
            )
        };
        return Err(Box::new(
            Diagnostic::new(codes::BASELINE_TOO_WIDE, at, message)
                .with_primary(primary)
                .with_secondary(block.span, "the block")
                .with_note("v1alpha1 allows one BaselineAdminNetworkPolicy, named `default`, with one subject; a statement without a side applies to the sources' egress and to the destinations' ingress, two subjects (and so does the DNS statement npc inserts before a `deny` toward the DNS servers)")
                .with_help("write one-sided statements that share their subject, e.g. `deny egress cluster -> cluster` (every rule then applies to `cluster`), or use `set cluster-policy-api = v1alpha2`"),
        ));
    }
    first.name = api::BASELINE_DEFAULT_NAME.to_string();
    first.priority = 0;
    Ok(first)
}

/// The subject part of a name: `web` (every pod of `web`), `web.frontend`,
/// `cluster` (every pod), `cluster.frontend` (pods of every namespace),
/// `team-ops-1a2b3c4d` (namespaces by labels, hashed as policy names are).
pub fn subject_name(subject: &Subject, workload_label: &str) -> String {
    let namespaces = match &subject.namespaces {
        NamespaceSelector::Named(n) => n.clone(),
        NamespaceSelector::Matching(sel) if sel.is_empty() => "cluster".to_string(),
        // A named namespace narrowed by labels: its name, and the hash.
        NamespaceSelector::Matching(sel) => match sel.match_labels.get(NAMESPACE_NAME_LABEL) {
            Some(name) => {
                let hashed = naming::workload_policy_name(sel, "");
                let hash = hashed.rsplit('-').next().unwrap_or("");
                format!("{name}-{hash}")
            }
            None => naming::workload_policy_name(sel, ""),
        },
    };
    if subject.pods.is_empty() {
        namespaces
    } else {
        format!(
            "{namespaces}.{}",
            naming::workload_policy_name(&subject.pods, workload_label)
        )
    }
}

/// The API rules of a side rule: its peers and ports in chunks the API
/// takes, every chunk with the rule's action.
fn api_rules(rule: &SideRule, limits: Limits) -> Vec<ApiRule> {
    let mut peers: Vec<ApiPeer> = Vec::new();
    let mut networks: Vec<String> = Vec::new();
    for p in &rule.peers {
        match p {
            Peer::Pods { namespaces, pods } => {
                let peer = if pods.is_empty() {
                    ApiPeer::Namespaces(namespace_selector(namespaces))
                } else {
                    ApiPeer::Pods(api::NamespacedPod {
                        namespace_selector: namespace_selector(namespaces),
                        pod_selector: pods.to_api(),
                    })
                };
                if !peers.contains(&peer) {
                    peers.push(peer);
                }
            }
            Peer::Ip(block) => {
                for cidr in block.cidrs() {
                    let text = cidr.to_string();
                    if !networks.contains(&text) {
                        networks.push(text);
                    }
                }
            }
            // Tier statements hold no DNS names (E050).
            Peer::Name(_) => {}
        }
    }
    peers.extend(
        networks
            .chunks(limits.networks.max(1))
            .map(|c| ApiPeer::Networks(c.to_vec())),
    );
    let ports: Option<Vec<ApiPort>> = match &rule.ports {
        Ports::All => None,
        Ports::Only(list) => {
            let mut out: Vec<ApiPort> = Vec::new();
            for p in list {
                let port = match &p.number {
                    PortNumber::Single(n) => ApiPort::Number(p.protocol, *n),
                    PortNumber::Range(a, b) if a == b => ApiPort::Number(p.protocol, *a),
                    PortNumber::Range(a, b) => ApiPort::Range(p.protocol, *a, *b),
                    PortNumber::Named(name) => ApiPort::Named(name.clone()),
                };
                if !out.contains(&port) {
                    out.push(port);
                }
            }
            Some(out)
        }
    };
    let port_chunks: Vec<Option<Vec<ApiPort>>> = match &ports {
        None => vec![None],
        Some(list) => list
            .chunks(limits.protocols.max(1))
            .map(|c| Some(c.to_vec()))
            .collect(),
    };
    let mut out = Vec::new();
    for chunk in peers.chunks(limits.peers.max(1)) {
        for ports in &port_chunks {
            out.push(ApiRule {
                action: rule.action,
                peers: chunk.to_vec(),
                ports: ports.clone(),
                origin: rule.origin,
            });
        }
    }
    out
}

fn namespace_selector(n: &NamespaceSelector) -> LabelSelector {
    match n {
        NamespaceSelector::Named(name) => {
            Selector::equals(NAMESPACE_NAME_LABEL, name.clone()).to_api()
        }
        NamespaceSelector::Matching(sel) => sel.to_api(),
    }
}

fn api_subject(subject: &Subject) -> api::Subject {
    if subject.pods.is_empty() {
        api::Subject {
            namespaces: Some(namespace_selector(&subject.namespaces)),
            pods: None,
        }
    } else {
        api::Subject {
            namespaces: None,
            pods: Some(api::NamespacedPod {
                namespace_selector: namespace_selector(&subject.namespaces),
                pod_selector: subject.pods.to_api(),
            }),
        }
    }
}

fn metadata(name: &str, spans: &[Span], sources: &SourceMap) -> ObjectMeta {
    let mut lines: std::collections::BTreeSet<(crate::source::FileId, usize)> =
        std::collections::BTreeSet::new();
    for s in spans {
        if let Some(f) = sources.get(s.file) {
            lines.insert((s.file, f.line_of(s.start())));
        }
    }
    let named: Vec<(&str, usize)> = lines
        .iter()
        .filter_map(|(file, line)| sources.get(*file).map(|f| (f.name.as_str(), *line)))
        .collect();
    ObjectMeta {
        name: Some(name.to_string()),
        labels: Some(BTreeMap::from([(
            MANAGED_BY_LABEL.to_string(),
            MANAGED_BY_VALUE.to_string(),
        )])),
        annotations: Some(BTreeMap::from([(
            SOURCE_ANNOTATION.to_string(),
            super::source_list(&named),
        )])),
        ..ObjectMeta::default()
    }
}

/// A rule's `name`: the `.npl` line it came from (`policies.npl:12`; `dns`
/// after it for a DNS statement), at most the API's 100 characters.
fn rule_name(origin: &TierOrigin, sources: &SourceMap) -> Option<String> {
    let file = sources.get(origin.span.file)?;
    let line = file.line_of(origin.span.start());
    let suffix = if origin.dns {
        format!(":{line} dns")
    } else {
        format!(":{line}")
    };
    let room = api::MAX_RULE_NAME.saturating_sub(suffix.len());
    let name = &file.name;
    // Keep the end of a long path: the file name and its line.
    let cut = name
        .char_indices()
        .map(|(i, _)| i)
        .find(|&i| name.len() - i <= room)
        .unwrap_or(name.len());
    Some(format!("{}{suffix}", &name[cut..]))
}

fn v1alpha2(part: &Part, tier: Tier, metadata: ObjectMeta, sources: &SourceMap) -> ClusterObject {
    let protocols = |ports: &Option<Vec<ApiPort>>| -> Option<Vec<api::ProtocolMatch>> {
        ports.as_ref().map(|list| {
            list.iter()
                .map(|p| {
                    let number = |n: u16| api::ProtocolPorts {
                        destination_port: Some(api::Port {
                            number: Some(i32::from(n)),
                            range: None,
                        }),
                    };
                    let range = |a: u16, b: u16| api::ProtocolPorts {
                        destination_port: Some(api::Port {
                            number: None,
                            range: Some(api::PortRange {
                                start: i32::from(a),
                                end: i32::from(b),
                            }),
                        }),
                    };
                    let (protocol, ports) = match p {
                        ApiPort::Number(proto, n) => (*proto, number(*n)),
                        ApiPort::Range(proto, a, b) => (*proto, range(*a, *b)),
                        ApiPort::Named(name) => {
                            return api::ProtocolMatch {
                                destination_named_port: Some(name.clone()),
                                ..api::ProtocolMatch::default()
                            }
                        }
                    };
                    let mut m = api::ProtocolMatch::default();
                    match protocol {
                        Protocol::Tcp => m.tcp = Some(ports),
                        Protocol::Udp => m.udp = Some(ports),
                        Protocol::Sctp => m.sctp = Some(ports),
                    }
                    m
                })
                .collect()
        })
    };
    let ingress: Vec<api::IngressRule> = part
        .ingress
        .iter()
        .map(|r| api::IngressRule {
            name: rule_name(&r.origin, sources),
            action: r.action.api_name().to_string(),
            from: r.peers.iter().filter_map(ingress_peer).collect(),
            protocols: protocols(&r.ports),
        })
        .collect();
    let egress: Vec<api::EgressRule> = part
        .egress
        .iter()
        .map(|r| api::EgressRule {
            name: rule_name(&r.origin, sources),
            action: r.action.api_name().to_string(),
            to: r.peers.iter().map(egress_peer).collect(),
            protocols: protocols(&r.ports),
        })
        .collect();
    ClusterObject::Cluster(api::ClusterNetworkPolicy {
        api_version: api::V1ALPHA2.to_string(),
        kind: api::CLUSTER_NETWORK_POLICY_KIND.to_string(),
        metadata,
        spec: api::ClusterNetworkPolicySpec {
            tier: tier.api_name().to_string(),
            priority: part.priority,
            subject: api_subject(&part.subject),
            ingress: (!ingress.is_empty()).then_some(ingress),
            egress: (!egress.is_empty()).then_some(egress),
        },
    })
}

fn v1alpha1(part: &Part, tier: Tier, metadata: ObjectMeta, sources: &SourceMap) -> ClusterObject {
    let ports = |ports: &Option<Vec<ApiPort>>| -> Option<Vec<api::V1Alpha1Port>> {
        ports.as_ref().map(|list| {
            list.iter()
                .map(|p| match p {
                    ApiPort::Number(proto, n) => api::V1Alpha1Port {
                        port_number: Some(api::V1Alpha1PortNumber {
                            protocol: proto.as_str().to_string(),
                            port: i32::from(*n),
                        }),
                        ..api::V1Alpha1Port::default()
                    },
                    ApiPort::Range(proto, a, b) => api::V1Alpha1Port {
                        port_range: Some(api::V1Alpha1PortRange {
                            protocol: proto.as_str().to_string(),
                            start: i32::from(*a),
                            end: i32::from(*b),
                        }),
                        ..api::V1Alpha1Port::default()
                    },
                    ApiPort::Named(name) => api::V1Alpha1Port {
                        named_port: Some(name.clone()),
                        ..api::V1Alpha1Port::default()
                    },
                })
                .collect()
        })
    };
    let ingress: Vec<api::V1Alpha1IngressRule> = part
        .ingress
        .iter()
        .map(|r| api::V1Alpha1IngressRule {
            name: rule_name(&r.origin, sources),
            action: r.action.v1alpha1_name().to_string(),
            from: r.peers.iter().filter_map(ingress_peer).collect(),
            ports: ports(&r.ports),
        })
        .collect();
    let egress: Vec<api::V1Alpha1EgressRule> = part
        .egress
        .iter()
        .map(|r| api::V1Alpha1EgressRule {
            name: rule_name(&r.origin, sources),
            action: r.action.v1alpha1_name().to_string(),
            to: r.peers.iter().map(egress_peer).collect(),
            ports: ports(&r.ports),
        })
        .collect();
    let ingress = (!ingress.is_empty()).then_some(ingress);
    let egress = (!egress.is_empty()).then_some(egress);
    match tier {
        Tier::Admin => ClusterObject::Admin(api::AdminNetworkPolicy {
            api_version: api::V1ALPHA1.to_string(),
            kind: api::ADMIN_NETWORK_POLICY_KIND.to_string(),
            metadata,
            spec: api::AdminNetworkPolicySpec {
                priority: part.priority,
                subject: api_subject(&part.subject),
                ingress,
                egress,
            },
        }),
        Tier::Baseline => ClusterObject::Baseline(api::BaselineAdminNetworkPolicy {
            api_version: api::V1ALPHA1.to_string(),
            kind: api::BASELINE_ADMIN_NETWORK_POLICY_KIND.to_string(),
            metadata,
            spec: api::BaselineAdminNetworkPolicySpec {
                subject: api_subject(&part.subject),
                ingress,
                egress,
            },
        }),
    }
}

fn ingress_peer(p: &ApiPeer) -> Option<api::IngressPeer> {
    match p {
        ApiPeer::Namespaces(n) => Some(api::IngressPeer {
            namespaces: Some(n.clone()),
            pods: None,
        }),
        ApiPeer::Pods(pods) => Some(api::IngressPeer {
            namespaces: None,
            pods: Some(pods.clone()),
        }),
        // Resolution refuses address sources.
        ApiPeer::Networks(_) => None,
    }
}

fn egress_peer(p: &ApiPeer) -> api::EgressPeer {
    match p {
        ApiPeer::Namespaces(n) => api::EgressPeer {
            namespaces: Some(n.clone()),
            ..api::EgressPeer::default()
        },
        ApiPeer::Pods(pods) => api::EgressPeer {
            pods: Some(pods.clone()),
            ..api::EgressPeer::default()
        },
        ApiPeer::Networks(list) => api::EgressPeer {
            networks: Some(list.clone()),
            ..api::EgressPeer::default()
        },
    }
}
