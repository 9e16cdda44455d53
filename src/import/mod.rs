//! `npc import`: existing NetworkPolicies → an NPL program, proven to
//! allow exactly the same flows.
//!
//! ```text
//!  Manifests ─translate─▶ NPL text ─format─▶ program ─npc::compile─▶ NetworkPolicies ─┐
//!      │                                                                              ├─ compare over the universe ─▶ Import
//!      └──────────────────────────── input NetworkPolicies ───────────────────────────┘
//! ```
//!
//! * [`translate`] writes each namespace with policies as a managed one and
//!   each rule as an `allow`;
//! * the program is formatted and compiled in-process (the stage
//!   functions), and its policies, together with the policies kept
//!   unconverted, are compared with the input's by the evaluator, side by
//!   side, over the [`universe`] (workloads and a representative of every
//!   region the selectors and ipBlocks of either set tell apart), every
//!   protocol and port;
//! * a namespace whose side differs is taken out of the program and its
//!   policies are kept as they are; the program is written again and
//!   checked again, until nothing differs. Taking a namespace out only
//!   removes rules from the program's other namespaces, never adds any, so
//!   this ends, and what it ends with is proven equivalent.

pub mod aliases;
pub mod complement;
pub mod endpoints;
pub mod expectations;
pub mod pairs;
mod refused;
mod report;
pub mod translate;
pub mod universe;

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::networking::v1::NetworkPolicy;

use crate::eval::{Direction, Endpoint, PolicyId, PolicySet, PortSet, Protocol, Side};
use crate::manifest::Manifests;
use crate::regions::representative::label_text;
use translate::StatementId;

pub use refused::refused_kinds;
pub use report::{import_with_diagnostics, Report};
pub use translate::Settings;
pub use universe::{TooLarge, Universe};

/// The file name the program is compiled under, for its diagnostics.
pub const PROGRAM_NAME: &str = "imported.npl";

/// The most rounds of writing and checking (each leaves out at least one
/// statement or namespace).
const MAX_ROUNDS: usize = 200;

/// The most differing flows remembered per namespace.
const MAX_FLOWS: usize = 5;

/// One flow that the program and the input allow differently.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    pub src: String,
    pub dst: String,
    /// What the input allows.
    pub input: PortSet,
    /// What the program (with the kept policies) allows.
    pub program: PortSet,
}

/// A namespace whose policies NPL cannot express exactly.
#[derive(Clone, Debug, Default)]
pub struct Unconvertible {
    pub namespace: String,
    /// Its policies (`Manifests::policy`), the ones whose rules made a
    /// difference first.
    pub policies: Vec<PolicyId>,
    pub reasons: Vec<String>,
    pub differences: Vec<Difference>,
    /// The policies (program and kept) that differed from the input when
    /// the namespace was taken out: the evidence, for an independent check.
    pub evidence: Vec<NetworkPolicy>,
}

/// What was compared.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checked {
    pub workloads: usize,
    /// Workload pods and synthetic representatives.
    pub pods: usize,
    pub addresses: usize,
    /// Ordered pairs of endpoints compared, every port of each.
    pub flows: usize,
}

/// The result: the program, what it leaves unconverted, and the proof.
#[derive(Clone, Debug, Default)]
pub struct Import {
    /// The program, `npc fmt`-clean.
    pub text: String,
    pub managed: Vec<String>,
    pub unconvertible: Vec<Unconvertible>,
    /// Statements left out of the program: the rule they were written for
    /// adds no flow on their side, and their other side would add one.
    pub dropped: Vec<StatementId>,
    /// The policies of the unconvertible namespaces, as read.
    pub kept: Vec<NetworkPolicy>,
    pub checked: Checked,
}

/// Why no import could be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportError {
    /// Too many regions to compare them all.
    TooLarge,
    /// The program written does not compile, or its output cannot be
    /// evaluated (a defect of `npc import`: nothing is written).
    Internal(String),
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportError::TooLarge => write!(
                f,
                "the input's selectors tell apart more than {} kinds of pods: equivalence cannot be checked",
                universe::MAX_PODS
            ),
            ImportError::Internal(why) => write!(f, "{why}"),
        }
    }
}

/// A pod or address for people.
fn describe(universe: &Universe, index: Option<usize>, ip: Option<std::net::IpAddr>) -> String {
    if let Some(ip) = ip {
        return format!("{ip}");
    }
    let Some(i) = index else {
        return String::new();
    };
    if let Some(Some(name)) = universe.names.get(i) {
        return name.clone();
    }
    let Some(pod) = universe.pods.get(i) else {
        return String::new();
    };
    format!(
        "a pod in `{}` with {}",
        pod.namespace,
        label_text(&pod.labels)
    )
}

/// A destination for people: [`describe`], and the named ports it declares
/// at the numbers where the flow differs (`... declaring `http` as TCP
/// 8005`).
fn describe_destination(universe: &Universe, index: usize, differs: &PortSet) -> String {
    let mut text = describe(universe, Some(index), None);
    let declared: Vec<String> = universe
        .pods
        .get(index)
        .into_iter()
        .flat_map(|pod| &pod.ports)
        .filter(|p| differs.contains(p.protocol, p.number))
        .map(|p| format!("`{}` as {} {}", p.name, p.protocol, p.number))
        .collect();
    if !declared.is_empty() && universe.names.get(index).is_some_and(Option::is_none) {
        text.push_str(&format!(" declaring {}", declared.join(", ")));
    }
    text
}

/// The first (protocol, port) of a non-empty set.
fn first_port(set: &PortSet) -> Option<(Protocol, u16)> {
    Protocol::ALL
        .into_iter()
        .find_map(|p| set.ranges(p).first().map(|r| (p, r.start)))
}

/// What the comparison needs of the compiled program.
struct Compiled<'a> {
    set: &'a PolicySet,
    provenance: &'a crate::emit::Provenance,
    /// The `allow` statement of each line of the program.
    allows: &'a [Option<usize>],
    statements: &'a [StatementId],
    sources: &'a crate::source::SourceMap,
}

/// What a difference is blamed on.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Culprit {
    /// The policies of a namespace: the program cannot write them exactly.
    Namespace(String),
    /// One policy (`ns/name`) whose rules the program cannot write exactly.
    Policy(String),
    /// A statement whose other side lets through what the input does not.
    Statement(StatementId),
}

impl Compiled<'_> {
    /// The statements behind the program rules that matched one side.
    fn statements(&self, side: &Side, direction: Direction) -> BTreeSet<StatementId> {
        let mut out = BTreeSet::new();
        for r in &side.matched {
            let Some(p) = self.provenance.of(&r.policy) else {
                continue;
            };
            let rules = match direction {
                Direction::Egress => &p.egress,
                Direction::Ingress => &p.ingress,
            };
            for o in rules.get(r.rule).into_iter().flatten() {
                if o.kind != crate::ir::OriginKind::Allow {
                    continue;
                }
                let line = self
                    .sources
                    .get(o.span.file)
                    .map_or(0, |f| f.line_of(o.span.start()));
                if let Some(Some(k)) = self.allows.get(line) {
                    out.extend(self.statements.get(*k).cloned());
                }
            }
        }
        out
    }
}

/// One flow whose ports differ: its endpoints, and the ports the input
/// and the program allow for it.
struct Flow<'a> {
    src: &'a Endpoint,
    dst: &'a Endpoint,
    input: &'a PortSet,
    program: &'a PortSet,
}

/// One side of a flow: its direction, the namespace whose policies decide
/// it, and the ports the input and the program allow on it.
struct FlowSide<'a> {
    direction: Direction,
    owner: &'a str,
    input: &'a PortSet,
    program: &'a PortSet,
}

/// What to blame for one side of a flow: the side's `owner` when the
/// program allows less there on ports the flow loses, and the statements
/// that wrote the program's rules when it allows more on ports the flow
/// gains.
fn blame(
    flow: &Flow<'_>,
    side: &FlowSide<'_>,
    input: &PolicySet,
    compiled: &Compiled<'_>,
    out: &mut BTreeSet<Culprit>,
) {
    if side.input == side.program {
        return;
    }
    let (lost, gained) = (
        flow.input.difference(flow.program),
        flow.program.difference(flow.input),
    );
    let fewer = side.input.difference(side.program).intersection(&lost);
    if let Some((protocol, port)) = first_port(&fewer) {
        // The input's rules that admit what the program does not: their
        // policies are kept as they are.
        let verdict = input.evaluate(flow.src, flow.dst, protocol, port);
        let matched = match side.direction {
            Direction::Egress => &verdict.egress,
            Direction::Ingress => &verdict.ingress,
        };
        let policies: BTreeSet<String> = matched
            .matched
            .iter()
            .filter(|r| r.policy.namespace == side.owner)
            .map(|r| r.policy.to_string())
            .collect();
        if policies.is_empty() {
            out.insert(Culprit::Namespace(side.owner.to_string()));
        }
        out.extend(policies.into_iter().map(Culprit::Policy));
    }
    let wider = side.program.difference(side.input).intersection(&gained);
    if let Some((protocol, port)) = first_port(&wider) {
        let verdict = compiled.set.evaluate(flow.src, flow.dst, protocol, port);
        let matched = match side.direction {
            Direction::Egress => &verdict.egress,
            Direction::Ingress => &verdict.ingress,
        };
        // Statements written for a rule of another side, on this one.
        let (found, own): (Vec<StatementId>, Vec<StatementId>) = compiled
            .statements(matched, side.direction)
            .into_iter()
            .partition(|id| {
                id.direction != side.direction || id.policy.split('/').next() != Some(side.owner)
            });
        if found.is_empty() {
            // The side's own rules, written wider than they are: their
            // policies are kept (the pods no policy selects: the namespace).
            let policies: BTreeSet<String> = own
                .iter()
                .filter(|id| !id.policy.ends_with("/*"))
                .map(|id| id.policy.clone())
                .collect();
            if policies.is_empty() || own.iter().any(|id| id.policy.ends_with("/*")) {
                out.insert(Culprit::Namespace(side.owner.to_string()));
            }
            out.extend(policies.into_iter().map(Culprit::Policy));
        }
        out.extend(found.into_iter().map(Culprit::Statement));
    }
}

/// Compares the input with the program's policies (and the kept ones):
/// the differences by the namespaces to blame.
fn compare(
    universe: &Universe,
    input: &PolicySet,
    compiled: &Compiled<'_>,
) -> (BTreeMap<Culprit, Vec<Difference>>, usize) {
    let mut found: BTreeMap<Culprit, Vec<Difference>> = BTreeMap::new();
    let mut flows = 0usize;
    let pods = &universe.pods;
    let a = input.side_matrices(pods);
    let b = compiled.set.side_matrices(pods);
    let mut record = |blamed: BTreeSet<Culprit>, d: Difference| {
        for ns in blamed {
            let list = found.entry(ns).or_default();
            // Pods that differ only in ports declared elsewhere read alike.
            if list.len() < MAX_FLOWS && !list.contains(&d) {
                list.push(d.clone());
            }
        }
    };
    // A pod that repeats another but for its container ports is the same
    // source (named ports resolve on the destination): its flows are
    // those of the pod it repeats.
    let sources = pods
        .iter()
        .enumerate()
        .filter(|(s, _)| !universe.repeats.get(*s).copied().unwrap_or(false));
    for (s, src_pod) in sources {
        for (d, dst_pod) in pods.iter().enumerate() {
            flows += 1;
            let (ea, ia) = (a.egress.get(s, d), a.ingress.get(s, d));
            let (eb, ib) = (b.egress.get(s, d), b.ingress.get(s, d));
            let fa = ea.intersection(ia);
            let fb = eb.intersection(ib);
            if fa == fb {
                continue;
            }
            let (src, dst) = (
                Endpoint::Pod(src_pod.clone()),
                Endpoint::Pod(dst_pod.clone()),
            );
            let flow = Flow {
                src: &src,
                dst: &dst,
                input: &fa,
                program: &fb,
            };
            let mut blamed = BTreeSet::new();
            let egress = FlowSide {
                direction: Direction::Egress,
                owner: &src_pod.namespace,
                input: ea,
                program: eb,
            };
            let ingress = FlowSide {
                direction: Direction::Ingress,
                owner: &dst_pod.namespace,
                input: ia,
                program: ib,
            };
            let mut on_egress = BTreeSet::new();
            blame(&flow, &egress, input, compiled, &mut on_egress);
            blame(&flow, &ingress, input, compiled, &mut blamed);
            // Both sides lose the flow and neither has a statement to leave
            // out: keeping the destination's policies gives the source's
            // rule an unmanaged (or less isolated) other side, which is
            // often enough; the next round says whether it is.
            let kept_only = |set: &BTreeSet<Culprit>| {
                !set.is_empty() && set.iter().all(|c| !matches!(c, Culprit::Statement(_)))
            };
            if !(kept_only(&on_egress) && kept_only(&blamed)) {
                blamed.extend(on_egress);
            }
            record(
                blamed,
                Difference {
                    src: describe(universe, Some(s), None),
                    dst: describe_destination(
                        universe,
                        d,
                        &fa.difference(&fb).union(&fb.difference(&fa)),
                    ),
                    input: fa,
                    program: fb,
                },
            );
        }
    }
    for (i, pod) in pods.iter().enumerate() {
        let p = Endpoint::Pod(pod.clone());
        let repeats = universe.repeats.get(i).copied().unwrap_or(false);
        for ip in &universe.addresses {
            let addr = Endpoint::Ip(*ip);
            for (src, dst, direction) in [
                (&p, &addr, Direction::Egress),
                (&addr, &p, Direction::Ingress),
            ] {
                let egress = direction == Direction::Egress;
                if egress && repeats {
                    continue;
                }
                flows += 1;
                let fa = input.allowed_ports(src, dst);
                let fb = compiled.set.allowed_ports(src, dst);
                if fa == fb {
                    continue;
                }
                // An address has no policies: the pod's side decides.
                let flow = Flow {
                    src,
                    dst,
                    input: &fa,
                    program: &fb,
                };
                let side = FlowSide {
                    direction,
                    owner: &pod.namespace,
                    input: &fa,
                    program: &fb,
                };
                let mut blamed = BTreeSet::new();
                blame(&flow, &side, input, compiled, &mut blamed);
                let (s, d) = if egress {
                    (
                        describe(universe, Some(i), None),
                        describe(universe, None, Some(*ip)),
                    )
                } else {
                    (
                        describe(universe, None, Some(*ip)),
                        describe_destination(
                            universe,
                            i,
                            &fa.difference(&fb).union(&fb.difference(&fa)),
                        ),
                    )
                };
                record(
                    blamed,
                    Difference {
                        src: s,
                        dst: d,
                        input: fa,
                        program: fb,
                    },
                );
            }
        }
    }
    (found, flows)
}

/// The namespaces a compilation's errors point into (by `# from` lines).
fn namespaces_with_errors(
    compilation: &crate::Compilation,
    origins: &[Vec<String>],
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for d in compilation.diagnostics.iter().filter(|d| d.is_error()) {
        let line = compilation
            .sources
            .get(d.span.file)
            .map_or(0, |f| f.line_of(d.span.start()));
        for key in origins.get(line).into_iter().flatten() {
            if let Some((ns, _)) = key.split_once('/') {
                out.entry(ns.to_string())
                    .or_insert_with(|| format!("its program does not compile: {}", d.message));
            }
        }
    }
    out
}

/// Adds a reason not said yet.
fn push_new(reasons: &mut Vec<String>, reason: String) {
    if !reasons.contains(&reason) {
        reasons.push(reason);
    }
}

/// The program without its name prefix when it was needed only by an
/// earlier round: no policy it emits then has the name of a kept one.
/// Names do not change what policies allow, so the check still holds.
fn without_needless_prefix(text: String, prefix: Option<&str>, kept: &[NetworkPolicy]) -> String {
    let Some(prefix) = prefix else { return text };
    let plain = text.replacen(&format!("set name-prefix = {prefix}\n\n"), "", 1);
    if plain == text || crate::format::format(&plain).ok().as_ref() != Some(&plain) {
        return text;
    }
    let compilation = crate::compile_str(PROGRAM_NAME, &plain);
    let name = |p: &NetworkPolicy| (p.metadata.namespace.clone(), p.metadata.name.clone());
    let kept: BTreeSet<_> = kept.iter().map(name).collect();
    if compilation.has_errors() || compilation.policies.iter().any(|p| kept.contains(&name(p))) {
        return text;
    }
    plain
}

/// The policies (`ns/name`) of a namespace.
fn policies_of(manifests: &Manifests, ns: &str) -> Vec<String> {
    manifests
        .policies
        .iter()
        .filter(|p| p.namespace() == ns)
        .map(crate::manifest::Policy::key)
        .collect()
}

/// Writes the program for the manifests' policies and proves it: see the
/// module documentation.
///
/// The input is the manifests' own compiled set (each policy compiled
/// once, when it was read); the command refuses cluster policies and
/// CiliumNetworkPolicies before it gets here ([`refused_kinds`]).
pub fn import(manifests: &Manifests, settings: &Settings) -> Result<Import, ImportError> {
    let input = &manifests.set;
    let namespaces: BTreeSet<String> = manifests
        .policies
        .iter()
        .map(|p| p.namespace().to_string())
        .collect();
    // What is said of each namespace with kept policies, and the policies
    // kept (`ns/name`).
    let mut skip: BTreeMap<String, Unconvertible> = BTreeMap::new();
    let mut kept_keys: BTreeSet<String> = BTreeSet::new();
    let mut dropped: BTreeSet<StatementId> = BTreeSet::new();
    // The program's names, when a kept policy has one of them.
    let mut name_prefix: Option<String> = None;
    // Each round leaves out at least one statement or keeps a policy, or
    // ends.
    for _ in 0..MAX_ROUNDS {
        let translation = translate::translate(
            manifests,
            &kept_keys,
            &dropped,
            name_prefix.as_deref(),
            settings,
        );
        let text = crate::format::format(&aliases::apply(&translation.text))
            .map_err(|_| ImportError::Internal("the program written does not parse".to_string()))?;
        let origins = translate::origins_by_line(&text);
        let compilation = crate::compile_str(PROGRAM_NAME, &text);
        if compilation.has_errors() {
            let broken = namespaces_with_errors(&compilation, &origins);
            if broken.is_empty() {
                let first = compilation
                    .diagnostics
                    .iter()
                    .find(|d| d.is_error())
                    .map_or_else(String::new, |d| format!(": {}", d.message));
                return Err(ImportError::Internal(format!(
                    "the program written does not compile{first}"
                )));
            }
            for (ns, why) in broken {
                kept_keys.extend(policies_of(manifests, &ns));
                skip.entry(ns).or_default().reasons.push(why);
            }
            continue;
        }
        let kept: Vec<NetworkPolicy> = manifests
            .policies
            .iter()
            .filter(|p| kept_keys.contains(&p.key()))
            .map(|p| p.object.clone())
            .collect();
        // A kept policy beside an emitted one of the same name: applied,
        // one would replace the other. The program's names get a prefix no
        // kept policy starts with.
        let taken = |p: &NetworkPolicy| (p.metadata.namespace.clone(), p.metadata.name.clone());
        let kept_names: BTreeSet<_> = kept.iter().map(taken).collect();
        if compilation
            .policies
            .iter()
            .any(|p| kept_names.contains(&taken(p)))
        {
            let fresh = (0..)
                .map(|n| {
                    if n == 0 {
                        "npc-".to_string()
                    } else {
                        format!("npc{n}-")
                    }
                })
                .find(|prefix| {
                    name_prefix.as_deref() != Some(prefix.as_str())
                        && !kept.iter().any(|p| {
                            p.metadata
                                .name
                                .as_deref()
                                .is_some_and(|name| name.starts_with(prefix.as_str()))
                        })
                });
            name_prefix = fresh;
            continue;
        }
        let mut output = compilation.policies.clone();
        output.extend(kept.iter().cloned());
        let set = PolicySet::from_slice(&output).map_err(|e| {
            ImportError::Internal(format!("the program's policies cannot be evaluated: {e}"))
        })?;
        let universe = universe::universe(manifests, &[input, &set], settings)
            .map_err(|TooLarge| ImportError::TooLarge)?;
        let allows = translate::allows_by_line(&text);
        let compiled = Compiled {
            set: &set,
            provenance: &compilation.provenance,
            allows: &allows,
            statements: &translation.statements,
            sources: &compilation.sources,
        };
        let (differences, flows) = compare(&universe, input, &compiled);
        if differences.is_empty() {
            let mut unconvertible: Vec<Unconvertible> = skip
                .into_iter()
                .map(|(namespace, mut u)| {
                    u.policies = manifests
                        .policies()
                        .filter(|(p, _)| p.namespace() == namespace && kept_keys.contains(&p.key()))
                        .map(|(_, view)| view.id())
                        .collect();
                    u.namespace = namespace;
                    u
                })
                .filter(|u| !u.policies.is_empty())
                .collect();
            unconvertible.sort_by(|a, b| a.namespace.cmp(&b.namespace));
            let dropped = dropped
                .into_iter()
                .filter(|id| !kept_keys.contains(&id.policy))
                .filter(|id| {
                    // The pods no policy selects, of a namespace kept whole.
                    id.policy.split('/').next().is_some_and(|ns| {
                        policies_of(manifests, ns)
                            .iter()
                            .any(|k| !kept_keys.contains(k))
                    })
                })
                .collect();
            let managed: BTreeSet<String> = translation.managed.iter().cloned().collect();
            let text = without_needless_prefix(text, name_prefix.as_deref(), &kept);
            let text = expectations::add(&text, manifests, input, &managed, settings);
            return Ok(Import {
                text,
                managed: translation.managed,
                unconvertible,
                dropped,
                kept,
                checked: Checked {
                    workloads: manifests.workloads.len(),
                    pods: universe.pods.len(),
                    addresses: universe.addresses.len(),
                    flows,
                },
            });
        }
        let mut progressed = false;
        let kept_before = kept_keys.len();
        for (culprit, list) in differences {
            let (ns, keys) = match culprit {
                Culprit::Statement(id) => {
                    progressed |= dropped.insert(id);
                    continue;
                }
                Culprit::Namespace(ns) => {
                    let keys = policies_of(manifests, &ns);
                    (ns, keys)
                }
                Culprit::Policy(key) => {
                    let ns = key.split('/').next().unwrap_or_default().to_string();
                    (ns, vec![key])
                }
            };
            let fresh: Vec<String> = keys
                .into_iter()
                .filter(|k| !kept_keys.contains(k))
                .collect();
            if !namespaces.contains(&ns) || fresh.is_empty() {
                continue;
            }
            progressed = true;
            let entry = skip.entry(ns.clone()).or_default();
            let seen = !entry.reasons.is_empty() || !entry.differences.is_empty();
            if !seen {
                entry
                    .reasons
                    .extend(translation.reasons.get(&ns).into_iter().flatten().cloned());
            }
            for id in dropped.iter().filter(|id| fresh.contains(&id.policy)) {
                push_new(&mut entry.reasons, format!(
                    "`{}` {} rule {}: an `allow` for it also opens its other side, which the input isolates and opens less; without it, flows are lost",
                    id.policy,
                    id.direction.as_str().to_lowercase(),
                    id.rule
                ));
            }
            if entry.reasons.is_empty() {
                entry.reasons.push(
                    "no `allow` writes these flows on this side without opening the other side further than the input does (for example a named port on one side and port numbers on the other)".to_string(),
                );
            }
            if entry.differences.is_empty() {
                entry.differences = list;
                entry.evidence.clone_from(&output);
            }
            kept_keys.extend(fresh);
        }
        if !progressed {
            return Err(ImportError::Internal(
                "the program differs from the input where it cannot be narrowed".to_string(),
            ));
        }
        if kept_keys.len() > kept_before {
            // A statement left out for opening its other side may be exact
            // once that side's policies are kept (its namespace no longer
            // managed, or less isolated): every statement is tried again.
            // The kept policies only grow, so this ends.
            dropped.clear();
        }
    }
    Err(ImportError::Internal(
        "the equivalence check did not settle".to_string(),
    ))
}

/// `1,204`
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
