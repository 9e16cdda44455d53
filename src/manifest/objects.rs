//! Documents into objects: `List` flattening, the kinds npc models read
//! field by field (an error names the field), the other kinds counted.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde_yaml::Value;

use std::net::IpAddr;

use super::documents::Document;
use super::schema::{self, Root};
use super::{CiliumPolicy, ClusterPolicy, Location, Naming, Options, PodShape, Policy, ReadPolicy};
use crate::diagnostic::{codes, Diagnostic};
use crate::eval::{CompiledPolicy, NamedPort};
use crate::k8s::cluster_policy::{self, ClusterObject};
use crate::k8s::yaml::yaml11_bool;
use crate::k8s::{
    escape_controls, names, Protocol, NETWORK_POLICY_API_VERSION, NETWORK_POLICY_KIND,
};
use crate::source::Span;

/// A workload kind npc reads, with where its pod template lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkloadKind {
    pub kind: &'static str,
    /// API groups (`""` is the core group) the kind is read from.
    groups: &'static [&'static str],
    pub labels_path: &'static str,
    pub spec_path: &'static str,
}

const TEMPLATE_LABELS: &str = "spec.template.metadata.labels";
const TEMPLATE_SPEC: &str = "spec.template.spec";

/// The workload kinds, in the order `ownerReferences` usually chain them.
pub const WORKLOAD_KINDS: &[WorkloadKind] = &[
    WorkloadKind {
        kind: "Pod",
        groups: &[""],
        labels_path: "metadata.labels",
        spec_path: "spec",
    },
    WorkloadKind {
        kind: "ReplicaSet",
        groups: &["apps", "extensions"],
        labels_path: TEMPLATE_LABELS,
        spec_path: TEMPLATE_SPEC,
    },
    WorkloadKind {
        kind: "Deployment",
        groups: &["apps", "extensions"],
        labels_path: TEMPLATE_LABELS,
        spec_path: TEMPLATE_SPEC,
    },
    WorkloadKind {
        kind: "StatefulSet",
        groups: &["apps"],
        labels_path: TEMPLATE_LABELS,
        spec_path: TEMPLATE_SPEC,
    },
    WorkloadKind {
        kind: "DaemonSet",
        groups: &["apps", "extensions"],
        labels_path: TEMPLATE_LABELS,
        spec_path: TEMPLATE_SPEC,
    },
    WorkloadKind {
        kind: "Job",
        groups: &["batch"],
        labels_path: TEMPLATE_LABELS,
        spec_path: TEMPLATE_SPEC,
    },
    WorkloadKind {
        kind: "CronJob",
        groups: &["batch"],
        labels_path: "spec.jobTemplate.spec.template.metadata.labels",
        spec_path: "spec.jobTemplate.spec.template.spec",
    },
    WorkloadKind {
        kind: "ReplicationController",
        groups: &[""],
        labels_path: TEMPLATE_LABELS,
        spec_path: TEMPLATE_SPEC,
    },
];

/// The controller named in an object's `ownerReferences`, with what it
/// names of `kind`, `name` and `uid` (W103 when `kind` or `name` is
/// missing: the rest is used).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnerRef {
    pub kind: Option<String>,
    pub name: Option<String>,
    pub uid: Option<String>,
}

/// A workload object (a pod, or an owner of pods) as written.
#[derive(Clone, Debug)]
pub struct WorkloadObject {
    pub kind: WorkloadKind,
    pub namespace: String,
    pub name: String,
    pub uid: Option<String>,
    pub owner: Option<OwnerRef>,
    pub shape: PodShape,
    pub origin: Location,
    /// A pod that finished (`Succeeded`, `Failed`): kept only as a pod of
    /// a Job (or CronJob), without its addresses.
    pub finished: bool,
}

/// A `Namespace` object.
#[derive(Clone, Debug)]
pub struct NamespaceObject {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub origin: Location,
}

/// Everything read from the documents, before owners are resolved.
#[derive(Clone, Debug, Default)]
pub struct Collected {
    pub namespaces: Vec<NamespaceObject>,
    pub workloads: Vec<WorkloadObject>,
    pub policies: Vec<ReadPolicy>,
    pub cluster: Vec<ClusterPolicy>,
    pub cilium: Vec<CiliumPolicy>,
    pub skipped: BTreeMap<String, usize>,
    /// Every object read, by `apiVersion/kind`.
    pub kinds: BTreeMap<String, usize>,
    pub finished_pods: usize,
}

impl Collected {
    /// Adds what another file yielded.
    pub fn extend(&mut self, other: Collected) {
        self.namespaces.extend(other.namespaces);
        self.workloads.extend(other.workloads);
        self.policies.extend(other.policies);
        self.cluster.extend(other.cluster);
        self.cilium.extend(other.cilium);
        for (kind, n) in other.skipped {
            *self.skipped.entry(kind).or_default() += n;
        }
        for (kind, n) in other.kinds {
            *self.kinds.entry(kind).or_default() += n;
        }
        self.finished_pods += other.finished_pods;
    }
}

/// The `apiVersion` a kind npc reads usually has.
fn usual_api_version(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "Namespace" | "Pod" | "ReplicationController" | "List" => "v1",
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" => "apps/v1",
        "Job" | "CronJob" => "batch/v1",
        NETWORK_POLICY_KIND => NETWORK_POLICY_API_VERSION,
        k if k.ends_with("List") => "v1",
        _ => return None,
    })
}

/// The API group of an `apiVersion` (`apps/v1` → `apps`, `v1` → ``).
fn group(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// An object still to read.
struct Pending {
    value: Value,
    /// Its path in the document.
    path: String,
    /// The `apiVersion` and `kind` a typed list gives its items.
    inherited: Option<(String, String)>,
    /// Its index in the list's `items`.
    item: Option<usize>,
}

/// One item of a document after `List`s are flattened.
#[derive(Clone, Debug)]
pub enum Flat {
    Object(RawObject),
    /// A mapping (or other value) without `kind`.
    NotAnObject,
    /// A `List` (or `*List`) whose `items` is not a list: an error, never
    /// an object skipped (a deny-all inside it would be ignored). `path` is
    /// the path of its `items` in the document.
    ItemsNotAList {
        path: String,
        found: &'static str,
    },
}

/// An object as written.
#[derive(Clone, Debug)]
pub struct RawObject {
    pub api_version: String,
    pub kind: String,
    pub value: Value,
    /// Its path in the document: empty, or `items[3]`, `items[3].items[0]`.
    pub path: String,
    /// Its index in the innermost `List`.
    pub item: Option<usize>,
}

/// The objects of a document, `List` and `*List` kinds flattened (a typed
/// list's items may omit `apiVersion` and `kind`); a kind npc reads may
/// omit `apiVersion` too. Null documents and items give nothing.
pub fn flatten(document: &Value) -> Vec<Flat> {
    let mut out = Vec::new();
    let mut queue: Vec<Pending> = vec![Pending {
        value: document.clone(),
        path: String::new(),
        inherited: None,
        item: None,
    }];
    while let Some(Pending {
        value,
        path,
        inherited,
        item,
    }) = queue.pop()
    {
        if value.is_null() {
            continue;
        }
        let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
        let kind = text("kind").or_else(|| inherited.as_ref().map(|i| i.1.clone()));
        let api_version = text("apiVersion")
            .or_else(|| inherited.as_ref().map(|i| i.0.clone()))
            .or_else(|| {
                kind.as_deref()
                    .and_then(usual_api_version)
                    .map(str::to_owned)
            });
        let (Some(api_version), Some(kind)) = (api_version, kind) else {
            out.push(Flat::NotAnObject);
            continue;
        };
        if let Some(item_kind) = kind.strip_suffix("List") {
            let nameless = value
                .get("metadata")
                .is_none_or(|m| m.get("name").is_none());
            let items = value.get("items");
            if nameless && !matches!(items, Some(Value::Sequence(_) | Value::Null) | None) {
                out.push(Flat::ItemsNotAList {
                    path: format!("{path}{}items", if path.is_empty() { "" } else { "." }),
                    found: items.map_or("null", type_name),
                });
                continue;
            }
            if nameless {
                let inherit =
                    (!item_kind.is_empty()).then(|| (api_version.clone(), item_kind.to_string()));
                if let Some(Value::Sequence(items)) = value.get("items") {
                    // Reversed: the queue pops them in order.
                    for (i, item) in items.iter().enumerate().rev() {
                        let item_path =
                            format!("{path}{}items[{i}]", if path.is_empty() { "" } else { "." });
                        queue.push(Pending {
                            value: item.clone(),
                            path: item_path,
                            inherited: inherit.clone(),
                            item: Some(i),
                        });
                    }
                }
                continue;
            }
        }
        out.push(Flat::Object(RawObject {
            api_version,
            kind,
            value,
            path,
            item,
        }));
    }
    out
}

/// Reads one document into `out`; problems become diagnostics.
pub fn collect(
    document: Document,
    options: &Options,
    out: &mut Collected,
    diagnostics: &mut Vec<Diagnostic>,
) {
    for flat in flatten(&document.value) {
        let RawObject {
            api_version,
            kind,
            value,
            path,
            item,
        } = match flat {
            Flat::Object(object) => object,
            Flat::ItemsNotAList { path, found } => {
                let (start, end) = document
                    .spans
                    .locate(&path)
                    .unwrap_or((document.start, document.start));
                diagnostics.push(
                    Diagnostic::new(
                        codes::MANIFEST_FIELD,
                        Span::new(document.file, start, end),
                        format!("`{path}` of a list must be a list, not {found}"),
                    )
                    .with_help(
                        "write the objects of a `List` as a list (`items: [...]`, or `- ` entries)",
                    ),
                );
                continue;
            }
            Flat::NotAnObject => {
                *out.skipped
                    .entry("(not a Kubernetes object)".into())
                    .or_default() += 1;
                *out.kinds
                    .entry("(not a Kubernetes object)".into())
                    .or_default() += 1;
                continue;
            }
        };
        *out.kinds
            .entry(format!("{api_version}/{kind}"))
            .or_default() += 1;
        let spans = document.spans.subtree(&path);
        let mut reader = Reader {
            value: &value,
            kind: &kind,
            name: escape_controls(
                value
                    .get("metadata")
                    .and_then(|m| m.get("name"))
                    .and_then(Value::as_str)
                    .unwrap_or("?"),
            )
            .into_owned(),
            origin: Location {
                file: document.file,
                document: document.index,
                item,
                span: Span::new(document.file, document.start, document.start),
                fields: spans,
            },
            diagnostics,
        };
        reader.origin.span = reader.name_span(document.start);
        let g = group(&api_version);
        if kind == "Namespace" && g.is_empty() {
            reader.unknown_fields(&schema::NAMESPACE);
            reader.namespace(out);
        } else if kind == NETWORK_POLICY_KIND && api_version == NETWORK_POLICY_API_VERSION {
            reader.unknown_fields(&schema::NETWORK_POLICY);
            reader.policy(value.clone(), options, out);
        } else if g == cluster_policy::GROUP && cluster_policy::KINDS.contains(&kind.as_str()) {
            reader.cluster_policy(&api_version, out);
        } else if let Some(wk) = WORKLOAD_KINDS
            .iter()
            .find(|w| w.kind == kind && w.groups.contains(&g))
        {
            reader.unknown_fields(match wk.kind {
                "Pod" => &schema::POD,
                "Job" => &schema::JOB,
                "CronJob" => &schema::CRON_JOB,
                _ => &schema::TEMPLATE_OWNER,
            });
            reader.workload(*wk, options, out);
        } else if kind == crate::k8s::cilium::KIND && api_version == crate::k8s::cilium::API_VERSION
        {
            reader.cilium_policy(options, out);
        } else if g == crate::k8s::cilium::GROUP && kind.ends_with("NetworkPolicy") {
            // Cilium's policies (npc writes CiliumNetworkPolicy for DNS
            // names) isolate pods: skipping them would report connectivity
            // the cluster does not have.
            reader.unmodelled_policy(&api_version);
        } else {
            *out.skipped
                .entry(format!("{api_version}/{kind}"))
                .or_default() += 1;
        }
    }
}

impl Reader<'_> {
    /// E105: one of Cilium's policy kinds, which change what pods may
    /// reach and which the readers do not model yet.
    fn unmodelled_policy(&mut self, api_version: &str) {
        let d = Diagnostic::new(
            codes::UNREAD_POLICY_KIND,
            self.origin.span,
            format!(
                "{} `{}` ({api_version}) is not read yet: what it allows or denies cannot be left out",
                self.kind, self.name
            ),
        )
        .with_primary("not modelled")
        .with_note("Cilium enforces it together with the NetworkPolicies: leaving it out would report connectivity the cluster does not have")
        .with_help("remove Cilium's policies from the input to analyze the NetworkPolicies alone (the result then ignores them), or compare npc's own output with `npc diff --semantic`");
        self.diagnostics.push(d);
    }
}

/// The API server's rule for a name.
#[derive(Clone, Copy)]
enum NameRule {
    /// Namespaces: a DNS-1123 label.
    Label,
    /// Pods, workloads, NetworkPolicies: a DNS-1123 subdomain.
    Subdomain,
}

struct Reader<'a> {
    value: &'a Value,
    kind: &'a str,
    name: String,
    origin: Location,
    diagnostics: &'a mut Vec<Diagnostic>,
}

/// The value at a dotted path of mapping keys (no list indices).
fn get<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.')
        .filter(|k| !k.is_empty())
        .try_fold(value, |v, key| v.get(key))
        .filter(|v| !v.is_null())
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

impl Reader<'_> {
    fn name_span(&self, fallback: usize) -> Span {
        if let Some(span) = self.origin.field_exact("metadata.name") {
            return span;
        }
        match self.origin.fields.locate("") {
            Some((start, end)) => Span::new(self.origin.file, start, end),
            None => Span::new(self.origin.file, fallback, fallback),
        }
    }

    /// W102 for every field the API server would drop as unknown.
    fn unknown_fields(&mut self, root: &Root) {
        for u in schema::unknown_fields(self.value, root) {
            let place = if u.parent.is_empty() {
                String::new()
            } else {
                format!(" in `{}`", u.parent)
            };
            let guess = u
                .closest
                .map_or_else(String::new, |c| format!(" (did you mean `{c}`?)"));
            let message = format!(
                "{} `{}`: unknown field `{}`{place} is ignored{guess}",
                self.kind,
                self.name,
                escape_controls(&u.field)
            );
            let help = match u.closest {
                Some(c) => format!(
                    "field names are case-sensitive: write `{c}`, as {} names it",
                    u.what
                ),
                None => format!(
                    "{} has no such field: the API server drops it; remove it",
                    u.what
                ),
            };
            let span = self.origin.field(&u.path);
            self.diagnostics
                .push(Diagnostic::new(codes::UNKNOWN_FIELD, span, message).with_help(help));
        }
    }

    /// A warning at `path` (`W103`, `W104`): something is ignored.
    fn warn(&mut self, code: crate::diagnostic::Code, path: &str, problem: String, help: &str) {
        let d = Diagnostic::new(
            code,
            self.origin.field(path),
            format!("{} `{}`: `{path}` {problem}", self.kind, self.name),
        )
        .with_help(help.to_owned());
        self.diagnostics.push(d);
    }

    /// The object as JSON for a typed read, less what the evaluator
    /// ignores (`status`, `metadata.managedFields`); `None` after an error.
    fn api_value(&mut self) -> Option<serde_json::Value> {
        let mut value = match serde_json::to_value(self.value) {
            Ok(v) => v,
            Err(e) => {
                let problem = format!("cannot be read: {e}");
                self.error("", problem, "write the object as the API defines it");
                return None;
            }
        };
        if let Some(map) = value.as_object_mut() {
            map.remove("status");
            if let Some(meta) = map
                .get_mut("metadata")
                .and_then(serde_json::Value::as_object_mut)
            {
                meta.remove("managedFields");
            }
        }
        Some(value)
    }

    fn error(&mut self, path: &str, problem: String, help: &str) {
        let d = Diagnostic::new(
            codes::MANIFEST_FIELD,
            self.origin.field(path),
            format!("{} `{}`: `{path}` {problem}", self.kind, self.name),
        )
        .with_help(help.to_owned());
        self.diagnostics.push(d);
    }

    fn string(&mut self, path: &str) -> Result<Option<String>, ()> {
        match get(self.value, path) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => {
                let problem = format!("must be a string, not {}", type_name(other));
                self.error(path, problem, "write the value as a string");
                Err(())
            }
        }
    }

    /// The labels at `path`: strings, with keys and values the API server
    /// accepts (an error at `path` names the first that is not).
    fn labels(&mut self, path: &str) -> Result<BTreeMap<String, String>, ()> {
        let Some(value) = get(self.value, path) else {
            return Ok(BTreeMap::new());
        };
        let Value::Mapping(map) = value else {
            let problem = format!("must be a mapping of strings, not {}", type_name(value));
            self.error(path, problem, "write `key: value` pairs");
            return Err(());
        };
        let mut out = BTreeMap::new();
        for (k, v) in map {
            match (k, v) {
                (Value::String(k), Value::String(v)) => {
                    if let Err(why) = names::label_key(k) {
                        let problem = format!(
                            "has the key `{}`, which is not a label key: {why}",
                            escape_controls(k)
                        );
                        self.error(path, problem, "a label key is `[prefix/]name`: an optional DNS subdomain and `/`, then at most 63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit");
                        return Err(());
                    }
                    if let Err(why) = names::label_value(v) {
                        let problem = format!(
                            "has a value of `{}` that is not a label value: {why}",
                            escape_controls(k)
                        );
                        self.error(path, problem, "a label value is empty, or at most 63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit");
                        return Err(());
                    }
                    out.insert(k.clone(), v.clone());
                }
                (Value::String(k), other) => {
                    let problem = format!(
                        "has a value of `{k}` that is {}, not a string",
                        type_name(other)
                    );
                    self.error(path, problem, "quote the value: Kubernetes label values are strings (`\"true\"`, `\"1\"`)");
                    return Err(());
                }
                (other, _) => {
                    let problem = format!("has a key that is {}, not a string", type_name(other));
                    self.error(path, problem, "label keys are strings");
                    return Err(());
                }
            }
        }
        Ok(out)
    }

    /// Whether `name`, written at `path`, is a name the API server accepts
    /// there (a DNS-1123 label for namespaces, a subdomain for the names of
    /// the other kinds npc reads); an error at `path` if not. Names end up
    /// in programs, comments and terminals: nothing else gets through.
    fn valid_name(&mut self, path: &str, name: &str, rule: NameRule) -> Result<(), ()> {
        let (checked, help) = match rule {
            NameRule::Label => (
                names::dns1123_label(name),
                "a namespace name is a DNS-1123 label: at most 63 lower-case letters, digits and `-`, starting and ending with a letter or digit",
            ),
            NameRule::Subdomain => (
                names::dns1123_subdomain(name),
                "an object name is a DNS-1123 subdomain: at most 253 lower-case letters, digits, `-` and `.`, each part starting and ending with a letter or digit",
            ),
        };
        checked.map_err(|why| {
            let problem = if path == "metadata.name" {
                format!("is not a valid name: {why}")
            } else {
                format!("`{}` is not a valid name: {why}", escape_controls(name))
            };
            self.error(path, problem, help);
        })
    }

    fn namespace_of(&mut self, options: &Options) -> Result<String, ()> {
        match self.string("metadata.namespace")?.filter(|n| !n.is_empty()) {
            Some(ns) => {
                self.valid_name("metadata.namespace", &ns, NameRule::Label)?;
                Ok(ns)
            }
            None => Ok(options.default_namespace.clone()),
        }
    }

    /// `metadata.name`, present and valid for the kind.
    fn name(&mut self, rule: NameRule, what: &str) -> Result<String, ()> {
        match self.string("metadata.name") {
            Ok(Some(name)) if !name.is_empty() => {
                self.valid_name("metadata.name", &name, rule)?;
                Ok(name)
            }
            Ok(_) => {
                self.error(
                    "metadata.name",
                    "is missing".into(),
                    &format!("every {what} needs a name"),
                );
                Err(())
            }
            Err(()) => Err(()),
        }
    }

    fn namespace(&mut self, out: &mut Collected) {
        let Ok(name) = self.name(NameRule::Label, "Namespace") else {
            return;
        };
        let Ok(mut labels) = self.labels("metadata.labels") else {
            return;
        };
        labels.insert(crate::k8s::NAMESPACE_NAME_LABEL.to_string(), name.clone());
        out.namespaces.push(NamespaceObject {
            name,
            labels,
            origin: self.origin.clone(),
        });
    }

    /// The controller of the object (the entry with `controller: true`,
    /// or else the first, as `kubectl` shows it; only the controller with
    /// netpol-analyzer's naming). An owner that is a Node (a static pod's
    /// mirror pod) is no workload: the pod is reported as itself.
    fn owner(&mut self, naming: Naming) -> Result<Option<OwnerRef>, ()> {
        let Some(refs) = get(self.value, "metadata.ownerReferences") else {
            return Ok(None);
        };
        let Value::Sequence(refs) = refs else {
            let problem = format!("must be a list, not {}", type_name(refs));
            self.error(
                "metadata.ownerReferences",
                problem,
                "write a list of owner references",
            );
            return Err(());
        };
        let controller = refs
            .iter()
            .position(|r| r.get("controller").and_then(yaml11_bool) == Some(true))
            .or_else(|| (naming == Naming::Npc && !refs.is_empty()).then_some(0));
        let Some(index) = controller else {
            return Ok(None);
        };
        let r = &refs[index];
        let path = format!("metadata.ownerReferences[{index}]");
        let mut text = |key: &str| -> Result<Option<String>, ()> {
            match r.get(key).filter(|v| !v.is_null()) {
                None => Ok(None),
                Some(Value::String(s)) if s.is_empty() => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => {
                    let problem = format!("must be a string, not {}", type_name(other));
                    self.error(
                        &format!("{path}.{key}"),
                        problem,
                        "write the value as a string",
                    );
                    Err(())
                }
            }
        };
        let (kind, name, uid) = (text("kind")?, text("name")?, text("uid")?);
        if let Some(kind) = &kind {
            // The owner may stand for a workload the input lacks: its
            // kind and name are shown and written as such.
            let identifier = kind.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && kind.chars().all(|c| c.is_ascii_alphanumeric());
            if !identifier {
                self.error(
                    &path,
                    format!("names the kind `{}`", escape_controls(kind)),
                    "an owner's kind is a Kubernetes kind: letters and digits, such as `ReplicaSet`",
                );
                return Err(());
            }
            if kind == "Node" {
                return Ok(None);
            }
        }
        if let Some(name) = &name {
            self.valid_name(&path, name, NameRule::Subdomain)?;
        }
        let missing = match (&kind, &name) {
            (Some(_), Some(_)) => None,
            (None, Some(_)) => Some("`kind`"),
            (Some(_), None) => Some("`name`"),
            (None, None) => Some("`kind` and `name`"),
        };
        if let Some(missing) = missing {
            let used = match (&name, &uid) {
                (Some(_), _) => "the pods are reported by the owner's name (and `uid`, when the input holds the owner)",
                (None, Some(_)) => "the owner is found by its `uid` when the input holds it; otherwise the object is reported as itself",
                (None, None) => "the object is reported as itself",
            };
            self.warn(
                codes::INCOMPLETE_OWNER,
                &path,
                format!("has no {missing}: {used}"),
                "an owner reference names its owner's `apiVersion`, `kind`, `name` and `uid`, as the controller that created the object writes them",
            );
        }
        Ok(Some(OwnerRef { kind, name, uid }))
    }

    fn ports(&mut self, spec_path: &str) -> Result<Vec<NamedPort>, ()> {
        let mut out: Vec<NamedPort> = Vec::new();
        for list in ["containers", "initContainers"] {
            let path = format!("{spec_path}.{list}");
            let Some(containers) = get(self.value, &path) else {
                continue;
            };
            let Value::Sequence(containers) = containers else {
                let problem = format!("must be a list, not {}", type_name(containers));
                self.error(&path, problem, "write a list of containers");
                return Err(());
            };
            for (c, container) in containers.iter().enumerate() {
                let Some(ports) = container.get("ports").filter(|p| !p.is_null()) else {
                    continue;
                };
                let ports_path = format!("{path}[{c}].ports");
                let Value::Sequence(ports) = ports else {
                    let problem = format!("must be a list, not {}", type_name(ports));
                    self.error(&ports_path, problem, "write a list of container ports");
                    return Err(());
                };
                for (p, port) in ports.iter().enumerate() {
                    // Every port is checked as the API server checks it;
                    // only named ones matter to policies.
                    let here = format!("{ports_path}[{p}]");
                    let name = match port.get("name").filter(|n| !n.is_null()) {
                        None => None,
                        Some(Value::String(name)) => Some(name.clone()),
                        Some(other) => {
                            let problem = format!("must be a string, not {}", type_name(other));
                            self.error(&format!("{here}.name"), problem, "port names are strings");
                            return Err(());
                        }
                    };
                    let written = port.get("containerPort").filter(|n| !n.is_null());
                    if written.is_none() {
                        // Kubernetes refuses a port without a number;
                        // netpol-analyzer ignores it, and so does npc. A
                        // misspelled `containerPort` is reported as such
                        // (W102).
                        let mut keys = port
                            .as_mapping()
                            .into_iter()
                            .flat_map(|m| m.keys())
                            .filter_map(Value::as_str);
                        let misspelled = keys.any(|k| {
                            k.eq_ignore_ascii_case("containerPort")
                                || crate::diagnostic::closest(k, ["containerPort"].into_iter())
                                    .is_some()
                        });
                        if !misspelled {
                            self.warn(
                                codes::IGNORED_VALUE,
                                &here,
                                "has no `containerPort`: the port is ignored".into(),
                                "give the port its number: `containerPort: 8080`",
                            );
                        }
                        continue;
                    }
                    let number = written
                        .and_then(Value::as_u64)
                        .and_then(|n| u16::try_from(n).ok())
                        .filter(|n| *n > 0);
                    let Some(number) = number else {
                        self.error(
                            &format!("{here}.containerPort"),
                            "must be a port number in 1..=65535".into(),
                            "write the port as a number",
                        );
                        return Err(());
                    };
                    let protocol = match port.get("protocol").filter(|p| !p.is_null()) {
                        None => Protocol::Tcp,
                        Some(p) => match p.as_str().and_then(Protocol::parse) {
                            Some(p) => p,
                            None => {
                                self.error(
                                    &format!("{here}.protocol"),
                                    "must be `TCP`, `UDP` or `SCTP`".into(),
                                    "the protocol is upper case",
                                );
                                return Err(());
                            }
                        },
                    };
                    let Some(name) = name else { continue };
                    let declared = NamedPort {
                        name,
                        protocol,
                        number,
                    };
                    if !out.contains(&declared) {
                        out.push(declared);
                    }
                }
            }
        }
        out.sort();
        Ok(out)
    }

    fn workload(&mut self, kind: WorkloadKind, options: &Options, out: &mut Collected) {
        let Ok(name) = self.name(NameRule::Subdomain, "object") else {
            return;
        };
        let finished = kind.kind == "Pod"
            && matches!(
                get(self.value, "status.phase").and_then(Value::as_str),
                Some("Succeeded" | "Failed")
            );
        let (Ok(namespace), Ok(uid), Ok(owner)) = (
            self.namespace_of(options),
            self.string("metadata.uid"),
            self.owner(options.naming),
        ) else {
            return;
        };
        let (Ok(labels), Ok(ports)) = (self.labels(kind.labels_path), self.ports(kind.spec_path))
        else {
            return;
        };
        let host_network_path = format!("{}.hostNetwork", kind.spec_path);
        let host_network = match get(self.value, &host_network_path) {
            None => false,
            Some(v) => match yaml11_bool(v) {
                Some(b) => b,
                None => {
                    let problem = format!("must be true or false, not {}", type_name(v));
                    self.error(&host_network_path, problem, "write `true` or `false`");
                    return;
                }
            },
        };
        // A finished pod's address may already belong to another pod.
        let ips = if kind.kind == "Pod" && !finished {
            self.pod_ips()
        } else {
            Vec::new()
        };
        out.workloads.push(WorkloadObject {
            kind,
            namespace,
            name,
            uid,
            owner,
            shape: PodShape {
                labels,
                ports,
                host_network,
                ips,
            },
            origin: self.origin.clone(),
            finished,
        });
    }

    /// A pod's addresses: `status.podIPs[*].ip` and `status.podIP`, each
    /// once, in order. One that is not an address is ignored (W104).
    fn pod_ips(&mut self) -> Vec<IpAddr> {
        let mut written: Vec<(String, &Value)> = Vec::new();
        if let Some(Value::Sequence(list)) = get(self.value, "status.podIPs") {
            for (i, entry) in list.iter().enumerate() {
                if let Some(ip) = entry.get("ip").filter(|v| !v.is_null()) {
                    written.push((format!("status.podIPs[{i}].ip"), ip));
                }
            }
        }
        if let Some(ip) = get(self.value, "status.podIP") {
            written.push(("status.podIP".to_string(), ip));
        }
        let mut out = Vec::new();
        for (path, value) in written {
            let parsed = value.as_str().and_then(|s| s.trim().parse::<IpAddr>().ok());
            match parsed {
                Some(ip) => {
                    if !out.contains(&ip) {
                        out.push(ip);
                    }
                }
                None => {
                    let shown = match value {
                        Value::String(s) => format!("`{}`", escape_controls(s)),
                        other => type_name(other).to_string(),
                    };
                    self.warn(
                        codes::IGNORED_VALUE,
                        &path,
                        format!("is {shown}, not an IP address: it is ignored"),
                        "a pod IP is an IPv4 or IPv6 address, as the cluster reports it (`10.244.1.5`)",
                    );
                }
            }
        }
        out
    }

    /// A cluster policy (ClusterNetworkPolicy v1alpha2, AdminNetworkPolicy
    /// or BaselineAdminNetworkPolicy v1alpha1), read as the API defines it
    /// and compiled by the evaluator's tier model: a field of the wrong
    /// type is E102, a value the API refuses or a peer the evaluator does
    /// not model (`nodes`, `domainNames`) E106, another version E105.
    fn cluster_policy(&mut self, api_version: &str, out: &mut Collected) {
        let (expected, root) = match self.kind {
            cluster_policy::CLUSTER_NETWORK_POLICY_KIND => {
                (cluster_policy::V1ALPHA2, &schema::CLUSTER_NETWORK_POLICY)
            }
            cluster_policy::ADMIN_NETWORK_POLICY_KIND => {
                (cluster_policy::V1ALPHA1, &schema::ADMIN_NETWORK_POLICY)
            }
            _ => (
                cluster_policy::V1ALPHA1,
                &schema::BASELINE_ADMIN_NETWORK_POLICY,
            ),
        };
        if api_version != expected {
            let d = Diagnostic::new(
                codes::UNREAD_POLICY_KIND,
                self.origin.span,
                format!(
                    "{} `{}` ({api_version}) is not read: what it allows or denies cannot be left out",
                    self.kind, self.name
                ),
            )
            .with_primary("version not modelled")
            .with_note("cluster policies decide before the NetworkPolicies (admin tier) and after them (baseline tier); a result computed without them would be wrong for every pod they select")
            .with_help(format!(
                "the readers model `{}` as `{expected}`: write it in that version",
                self.kind
            ));
            self.diagnostics.push(d);
            return;
        }
        self.unknown_fields(root);
        if self.name(NameRule::Subdomain, self.kind).is_err() {
            return;
        }
        let Some(mut value) = self.api_value() else {
            return;
        };
        if let Some(map) = value.as_object_mut() {
            // The object is cluster-scoped: a namespace is ignored.
            if let Some(meta) = map
                .get_mut("metadata")
                .and_then(serde_json::Value::as_object_mut)
            {
                meta.remove("namespace");
            }
            map.insert("apiVersion".into(), api_version.into());
            map.insert("kind".into(), self.kind.into());
        }
        let decoded = match self.kind {
            cluster_policy::CLUSTER_NETWORK_POLICY_KIND => {
                serde_path_to_error::deserialize(&value).map(ClusterObject::Cluster)
            }
            cluster_policy::ADMIN_NETWORK_POLICY_KIND => {
                serde_path_to_error::deserialize(&value).map(ClusterObject::Admin)
            }
            _ => serde_path_to_error::deserialize(&value).map(ClusterObject::Baseline),
        };
        let object = match decoded {
            Ok(object) => object,
            Err(e) => {
                let path = e.path().to_string();
                let problem = format!("is not valid: {}", e.inner());
                self.error(
                    &path,
                    problem,
                    &format!("fix the field as the {} API defines it", self.kind),
                );
                return;
            }
        };
        let mut problems: Vec<(String, String)> = Vec::new();
        if let ClusterObject::Baseline(_) = &object {
            if object.name() != cluster_policy::BASELINE_DEFAULT_NAME {
                problems.push((
                    "metadata.name".into(),
                    format!(
                        "a BaselineAdminNetworkPolicy must be named `{}` (the API allows one per cluster)",
                        cluster_policy::BASELINE_DEFAULT_NAME
                    ),
                ));
            }
        }
        if let Err(errors) =
            crate::eval::PolicySet::default().add_cluster(std::slice::from_ref(&object))
        {
            problems.extend(errors.0.into_iter().map(|e| (e.path, e.message)));
        }
        if !problems.is_empty() {
            for (path, message) in problems {
                let d = Diagnostic::new(
                    codes::UNREAD_POLICY_FIELD,
                    self.origin.field(&path),
                    format!("{} `{}`: `{path}`: {message}", self.kind, self.name),
                )
                .with_note("a cluster policy left out would change what every pod it selects may reach: the input is refused rather than analyzed without it")
                .with_help("fix the field as the API defines it; `nodes` and `domainNames` peers are not modelled: analyze the cluster without the policies that use them, knowing the result ignores them");
                self.diagnostics.push(d);
            }
            return;
        }
        out.cluster.push(ClusterPolicy {
            object,
            origin: self.origin.clone(),
        });
    }

    /// A CiliumNetworkPolicy, read as far as the evaluator models it
    /// (`eval::cilium`): `endpointSelector`, egress rules to endpoints,
    /// CIDRs and names on ports, DNS rules. A field that can change what
    /// pods reach and that is not modelled (`ingress`, deny rules, other
    /// peers, other layer 7 rules) is E106 at the field, never skipped.
    fn cilium_policy(&mut self, options: &Options, out: &mut Collected) {
        let Ok(namespace) = self.namespace_of(options) else {
            return;
        };
        if self.name(NameRule::Subdomain, self.kind).is_err() {
            return;
        }
        // Modelled fields by level; `description` and `labels` of the spec
        // only describe the policy.
        const SPEC: &[&str] = &["endpointSelector", "egress", "description", "labels"];
        const EGRESS: &[&str] = &["toEndpoints", "toCIDRSet", "toFQDNs", "toPorts"];
        const PORT_RULE: &[&str] = &["ports", "rules"];
        const L7: &[&str] = &["dns"];
        let mut unmodelled: Vec<String> = Vec::new();
        let keys = |v: Option<&Value>| -> Vec<String> {
            v.and_then(Value::as_mapping)
                .into_iter()
                .flat_map(|m| m.keys())
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect()
        };
        let spec = get(self.value, "spec");
        for k in keys(spec) {
            if !SPEC.contains(&k.as_str()) {
                unmodelled.push(format!("spec.{k}"));
            }
        }
        if spec.is_none() {
            unmodelled.push("spec".into());
        }
        if let Some(Value::Sequence(rules)) = get(self.value, "spec.egress") {
            for (i, rule) in rules.iter().enumerate() {
                for k in keys(Some(rule)) {
                    if !EGRESS.contains(&k.as_str()) {
                        unmodelled.push(format!("spec.egress[{i}].{k}"));
                    }
                }
                if let Some(Value::Sequence(ports)) = rule.get("toPorts") {
                    for (j, port_rule) in ports.iter().enumerate() {
                        for k in keys(Some(port_rule)) {
                            if !PORT_RULE.contains(&k.as_str()) {
                                unmodelled.push(format!("spec.egress[{i}].toPorts[{j}].{k}"));
                            }
                        }
                        for k in keys(port_rule.get("rules")) {
                            if !L7.contains(&k.as_str()) {
                                unmodelled.push(format!("spec.egress[{i}].toPorts[{j}].rules.{k}"));
                            }
                        }
                    }
                }
            }
        }
        if !unmodelled.is_empty() {
            for path in unmodelled {
                let d = Diagnostic::new(
                    codes::UNREAD_POLICY_FIELD,
                    self.origin.field(&path),
                    format!(
                        "{} `{}/{}`: `{path}` is not modelled",
                        self.kind, namespace, self.name
                    ),
                )
                .with_note("Cilium enforces the policy together with the NetworkPolicies: a result that left the field out could report connectivity the cluster does not have")
                .with_help("the readers model `endpointSelector` and `egress` rules with `toEndpoints`, `toCIDRSet` or `toFQDNs` on `toPorts` (with DNS rules); analyze without this policy to look at the rest, knowing the result ignores it");
                self.diagnostics.push(d);
            }
            return;
        }
        let Some(mut value) = self.api_value() else {
            return;
        };
        if let Some(map) = value.as_object_mut() {
            if let Some(meta) = map
                .get_mut("metadata")
                .and_then(serde_json::Value::as_object_mut)
            {
                meta.insert("namespace".into(), namespace.clone().into());
            }
            if let Some(spec) = map
                .get_mut("spec")
                .and_then(serde_json::Value::as_object_mut)
            {
                spec.remove("description");
                spec.remove("labels");
            }
        }
        let object: crate::k8s::cilium::CiliumNetworkPolicy =
            match serde_path_to_error::deserialize(&value) {
                Ok(object) => object,
                Err(e) => {
                    let path = e.path().to_string();
                    let problem = format!("is not valid: {}", e.inner());
                    self.error(
                        &path,
                        problem,
                        "fix the field as Cilium's CiliumNetworkPolicy defines it",
                    );
                    return;
                }
            };
        if let Err(errors) =
            crate::eval::PolicySet::default().extend_cilium(std::slice::from_ref(&object))
        {
            for e in errors.0 {
                let d = Diagnostic::new(
                    codes::UNREAD_POLICY_FIELD,
                    self.origin.field(&e.path),
                    format!(
                        "{} `{}/{}`: `{}`: {}",
                        self.kind, namespace, self.name, e.path, e.message
                    ),
                )
                .with_note("Cilium enforces the policy together with the NetworkPolicies: a result without it could report connectivity the cluster does not have")
                .with_help("fix the field as Cilium defines it, or analyze without this policy, knowing the result ignores it");
                self.diagnostics.push(d);
            }
            return;
        }
        out.cilium.push(CiliumPolicy {
            object,
            origin: self.origin.clone(),
            id: None,
        });
    }

    fn policy(&mut self, mut value: Value, options: &Options, out: &mut Collected) {
        let Ok(namespace) = self.namespace_of(options) else {
            return;
        };
        if let Some(map) = value.as_mapping_mut() {
            // What the evaluator ignores, dropped before the typed read.
            map.remove("status");
            if let Some(meta) = map.get_mut("metadata").and_then(Value::as_mapping_mut) {
                meta.remove("managedFields");
            }
            map.insert("apiVersion".into(), NETWORK_POLICY_API_VERSION.into());
            map.insert("kind".into(), NETWORK_POLICY_KIND.into());
        }
        // The common case without path tracking; the path only on error.
        let decoded = match <NetworkPolicy as serde::Deserialize>::deserialize(&value) {
            Ok(object) => Ok(object),
            Err(_) => serde_path_to_error::deserialize::<_, NetworkPolicy>(&value),
        };
        let mut object: NetworkPolicy = match decoded {
            Ok(object) => object,
            Err(e) => {
                let path = e.path().to_string();
                let message = e.inner().to_string();
                let problem = format!("is not valid: {message}");
                self.error(
                    &path,
                    problem,
                    "fix the field as the NetworkPolicy API defines it",
                );
                return;
            }
        };
        object.metadata.namespace = Some(namespace);
        if self.name(NameRule::Subdomain, "NetworkPolicy").is_err() {
            return;
        }
        match CompiledPolicy::read(&object) {
            Err(errors) => {
                for e in errors.0 {
                    let d = Diagnostic::new(
                        codes::MANIFEST_POLICY,
                        self.origin.field(&e.path),
                        format!("NetworkPolicy `{}`: `{}`: {}", e.policy, e.path, e.message),
                    )
                    .with_help("the API server rejects this policy; fix the field");
                    self.diagnostics.push(d);
                }
            }
            Ok(compiled) => out.policies.push(ReadPolicy {
                policy: Policy {
                    object,
                    origin: self.origin.clone(),
                },
                compiled,
            }),
        }
    }
}
