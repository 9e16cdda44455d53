//! The manifest reader: Kubernetes objects that already exist (YAML or
//! JSON files, directories of them, standard input, `kubectl get -o yaml`
//! dumps) read into plain data: namespaces, workloads and NetworkPolicies,
//! each with the place it was written.
//!
//! ```text
//!  paths ─input─▶ SourceMap ─documents─▶ values + FieldSpans ─objects─▶ objects ─owners─▶ Manifests
//! ```
//!
//! * [`input`] reads files, directories (`*.yaml`, `*.yml`, `*.json`,
//!   recursively) and `-` (stdin), bounded in size;
//! * [`documents`] parses each file with the bounded reader
//!   (`k8s::yaml::parse_documents`) and locates every field with
//!   [`positions`]; a malformed document is an error (E101) that names the
//!   file, document and line, and reading resumes at the next `---`;
//! * [`objects`] flattens `List` and `*List` kinds, reads the kinds npc
//!   models (E102 for a field of the wrong type, E103 for a NetworkPolicy
//!   the evaluator rejects) and counts the others;
//! * [`owners`] reports pods as their owner (Pod → ReplicaSet →
//!   Deployment, Job → CronJob) and adds the namespaces objects name.
//!
//! Missing `metadata.namespace` means `default` (kubectl's rule), or
//! [`Options::default_namespace`].

pub mod documents;
pub mod input;
pub mod objects;
pub mod owners;
pub mod positions;
pub mod schema;
pub mod written;

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde::Serialize;

use crate::diagnostic::Diagnostic;
use crate::eval::{CompiledPolicy, NamedPort, Pod, PolicyId, PolicySet, PolicyView};
use crate::k8s::cluster_policy::ClusterObject;
use crate::source::{FileId, SourceMap, Span};

pub use positions::FieldSpans;

/// How manifests are read.
#[derive(Clone, Debug)]
pub struct Options {
    /// The namespace of namespaced objects that name none (`default`).
    pub default_namespace: String,
    /// Locate every field of every object (for findings that point at
    /// fields). Without it, objects are located by document, and only a
    /// file with a problem is read again with field positions, for its
    /// diagnostics: reading is about twice as fast.
    pub field_positions: bool,
    /// How pods are named after their owners.
    pub naming: Naming,
}

/// How pods are named after their owners.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Naming {
    /// A pod is reported as the topmost owner the input holds (Pod →
    /// ReplicaSet → Deployment); an owner reference without `kind` as the
    /// owner's name with the kind `Unknown`.
    #[default]
    Npc,
    /// netpol-analyzer's: a pod is reported as the controller its
    /// `ownerReferences` name (with `controller: true`), every workload
    /// object as itself; an owner reference without `kind` as the owner's
    /// name with the kind `Pod`.
    NetpolAnalyzer,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            default_namespace: "default".to_string(),
            field_positions: true,
            naming: Naming::Npc,
        }
    }
}

/// Where an object was read: file, document, list item, and the spans of
/// its fields.
#[derive(Clone, Debug)]
pub struct Location {
    pub file: FileId,
    /// 1-based index of the YAML document in its file.
    pub document: usize,
    /// 0-based index in the `items` of a `List`, when it came from one.
    pub item: Option<usize>,
    /// The object's name (`metadata.name`), or its first line.
    pub span: Span,
    /// The spans of the object's fields.
    pub fields: FieldSpans,
}

impl Location {
    /// The first line of a field (`spec.ingress[0].from[1]`), or of its
    /// deepest ancestor that exists, or the object's span.
    pub fn field(&self, path: &str) -> Span {
        match self.fields.locate(path) {
            Some((start, end)) => Span::new(self.file, start, end),
            None => self.span,
        }
    }

    /// The first line of a field only if it is written in the object.
    pub fn field_exact(&self, path: &str) -> Option<Span> {
        self.fields
            .locate_exact(path)
            .map(|(start, end)| Span::new(self.file, start, end))
    }
}

/// A namespace: declared by a `Namespace` object, or named by a workload or
/// a policy.
#[derive(Clone, Debug)]
pub struct Namespace {
    pub name: String,
    /// Its labels, with `kubernetes.io/metadata.name` always present.
    pub labels: BTreeMap<String, String>,
    /// The `Namespace` object; `None` when only named by other objects.
    pub origin: Option<Location>,
}

/// One distinct set of pods of a workload: its labels, named container
/// ports and network mode. A template gives one; pods of one owner whose
/// labels differ (a StatefulSet's `pod-name`) give several.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodShape {
    pub labels: BTreeMap<String, String>,
    pub ports: Vec<NamedPort>,
    /// `hostNetwork: true`: NetworkPolicy applies neither to these pods nor
    /// to their traffic as a peer.
    pub host_network: bool,
    /// The pods' addresses, where a cluster dump gives them
    /// (`status.podIPs`); none for a template. Each is the first address of
    /// the range of addresses the input's ipBlocks do not split, so pods
    /// whose addresses no ipBlock tells apart share a shape: every
    /// evaluation over the input's policies treats them alike.
    pub ips: Vec<IpAddr>,
}

/// Where a shape was read: the template or the pod.
#[derive(Clone, Debug)]
pub struct ShapeOrigin {
    pub shape: PodShape,
    pub origin: Location,
    /// `spec.template.metadata.labels`, `metadata.labels`, ...: the path of
    /// the labels in the object, and of its pod spec.
    pub labels_path: &'static str,
    pub spec_path: &'static str,
}

/// A workload's place in [`Manifests::workloads`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkloadId(u32);

impl WorkloadId {
    pub(crate) fn from_index(i: usize) -> WorkloadId {
        WorkloadId(u32::try_from(i).unwrap_or(u32::MAX))
    }

    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The identity of a workload: `ns/name[Kind]`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct WorkloadName {
    pub namespace: String,
    pub name: String,
    pub kind: String,
}

impl fmt::Display for WorkloadName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}[{}]", self.namespace, self.name, self.kind)
    }
}

/// A workload: a Deployment, StatefulSet, ... read from its manifest, or
/// the owner of pods read from a cluster dump.
#[derive(Clone, Debug)]
pub struct Workload {
    pub id: WorkloadName,
    /// The distinct pod shapes, at least one. From the workload's running
    /// pods when the input has them, else from its pod template.
    pub shapes: Vec<ShapeOrigin>,
    /// The workload's own object; for an owner known only from pods'
    /// `ownerReferences`, the first such pod.
    pub origin: Location,
    /// Known only from `ownerReferences`: the owner object is not in the input.
    pub inferred: bool,
}

impl Workload {
    /// The pods of one shape as evaluator endpoints.
    pub fn pod(&self, shape: &PodShape, namespace_labels: &BTreeMap<String, String>) -> Pod {
        Pod {
            namespace: self.id.namespace.clone(),
            namespace_labels: namespace_labels.clone(),
            labels: shape.labels.clone(),
            ports: shape.ports.clone(),
            ips: shape.ips.clone(),
            address: None,
        }
    }

    /// Whether every shape runs on the host network.
    pub fn host_network(&self) -> bool {
        self.shapes.iter().all(|s| s.shape.host_network)
    }
}

/// A NetworkPolicy, valid for the evaluator, with its namespace filled in.
/// Its compiled form is in [`Manifests::set`] under the same [`PolicyId`].
#[derive(Clone, Debug)]
pub struct Policy {
    pub object: NetworkPolicy,
    pub origin: Location,
}

/// A cluster policy (ClusterNetworkPolicy, AdminNetworkPolicy or
/// BaselineAdminNetworkPolicy), valid for the evaluator. Its compiled form
/// is in [`Manifests::set`]'s tiers.
#[derive(Clone, Debug)]
pub struct ClusterPolicy {
    pub object: ClusterObject,
    pub origin: Location,
}

impl ClusterPolicy {
    /// `Kind/name`, the identity of a cluster-scoped object.
    pub fn key(&self) -> String {
        format!("{}/{}", self.object.kind(), self.object.name())
    }
}

/// A CiliumNetworkPolicy, valid for the evaluator (see `eval::cilium` for
/// what is modelled), with its namespace filled in. Its compiled form is in
/// [`Manifests::set`] after the NetworkPolicies, under `id`.
#[derive(Clone, Debug)]
pub struct CiliumPolicy {
    pub object: crate::k8s::cilium::CiliumNetworkPolicy,
    pub origin: Location,
    /// Its place in [`Manifests::set`] (`None` until the set is built).
    pub id: Option<PolicyId>,
}

impl CiliumPolicy {
    /// `namespace/name`
    pub fn key(&self) -> String {
        format!("{}/{}", self.object.namespace(), self.object.name())
    }
}

/// A policy read and compiled once, before duplicates are dropped.
#[derive(Clone, Debug)]
pub struct ReadPolicy {
    pub policy: Policy,
    pub compiled: CompiledPolicy,
}

impl ReadPolicy {
    pub fn key(&self) -> String {
        self.policy.key()
    }
}

impl Policy {
    pub fn namespace(&self) -> &str {
        self.object
            .metadata
            .namespace
            .as_deref()
            .unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        self.object.metadata.name.as_deref().unwrap_or_default()
    }

    /// `namespace/name`
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace(), self.name())
    }
}

/// A `Pod` object of the input (a cluster dump), by name.
#[derive(Clone, Debug)]
pub struct PodEntry {
    pub namespace: String,
    pub name: String,
    pub shape: PodShape,
    pub origin: Location,
    /// The workload it is reported as.
    pub workload: WorkloadId,
}

/// Everything read from the inputs.
#[derive(Clone, Debug, Default)]
pub struct Manifests {
    /// The text of every file read, for spans and snippets.
    pub sources: SourceMap,
    /// Sorted by name.
    pub namespaces: Vec<Namespace>,
    /// Sorted by name (namespace, name, kind); [`WorkloadId`]s index it.
    pub workloads: Vec<Workload>,
    /// In input order; a policy defined twice keeps its later definition.
    /// [`PolicyId`]s index it and [`Manifests::set`] alike.
    pub policies: Vec<Policy>,
    /// The policies compiled for evaluation, once, in the same order; the
    /// cluster policies too (decided around the NetworkPolicies).
    pub set: PolicySet,
    /// Cluster policies, in input order; one defined twice keeps its later
    /// definition.
    pub cluster: Vec<ClusterPolicy>,
    /// CiliumNetworkPolicies, in input order (one defined twice keeps its
    /// later definition); compiled in [`Manifests::set`] after the
    /// NetworkPolicies, so their [`PolicyId`]s are not indices of
    /// [`Manifests::policies`].
    pub cilium: Vec<CiliumPolicy>,
    /// The `Pod` objects that are running or pending, in input order.
    pub pods: Vec<PodEntry>,
    /// Objects of kinds npc does not model, by `apiVersion/kind`.
    pub skipped: BTreeMap<String, usize>,
    /// Every object read, modelled or not, by `apiVersion/kind`.
    pub kinds: BTreeMap<String, usize>,
    /// Pods left out because they finished (`Succeeded`, `Failed`) and
    /// belong to no Job (a finished pod of a Job stands for its Job).
    pub finished_pods: usize,
    /// The input mentions IPv6: an IPv6 `ipBlock` or pod address.
    pub ipv6: bool,
    /// Symbolic links in input directories that lead out of them, not
    /// read: one note each (`files::skipped_link`).
    pub skipped_links: Vec<String>,
}

impl Manifests {
    pub fn namespace(&self, name: &str) -> Option<&Namespace> {
        self.namespaces
            .binary_search_by(|n| n.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.namespaces[i])
    }

    /// The labels of a namespace (at least `kubernetes.io/metadata.name`).
    pub fn namespace_labels(&self, name: &str) -> BTreeMap<String, String> {
        match self.namespace(name) {
            Some(n) => n.labels.clone(),
            None => BTreeMap::from([(
                crate::k8s::NAMESPACE_NAME_LABEL.to_string(),
                name.to_string(),
            )]),
        }
    }

    /// The policies as NetworkPolicy objects, in order.
    pub fn policy_objects(&self) -> Vec<NetworkPolicy> {
        self.policies.iter().map(|p| p.object.clone()).collect()
    }

    /// A policy by id.
    pub fn policy(&self, id: PolicyId) -> Option<&Policy> {
        self.policies.get(id.index())
    }

    /// Every policy with its id and compiled view, in order.
    pub fn policies(&self) -> impl Iterator<Item = (&Policy, PolicyView<'_>)> {
        self.policies.iter().zip(self.set.views())
    }

    /// A workload by id.
    pub fn workload(&self, id: WorkloadId) -> Option<&Workload> {
        self.workloads.get(id.index())
    }

    /// Every workload with its id.
    pub fn workloads(&self) -> impl Iterator<Item = (WorkloadId, &Workload)> {
        self.workloads
            .iter()
            .enumerate()
            .map(|(i, w)| (WorkloadId::from_index(i), w))
    }

    /// One line for people: what was read and what was skipped.
    pub fn summary(&self) -> String {
        let files = self.sources.files().count();
        let mut text = format!(
            "read {} {}: {} {}, {} {}, {} {}",
            files,
            plural(files, "file", "files"),
            self.workloads.len(),
            plural(self.workloads.len(), "workload", "workloads"),
            self.policies.len(),
            plural(self.policies.len(), "NetworkPolicy", "NetworkPolicies"),
            self.namespaces.len(),
            plural(self.namespaces.len(), "namespace", "namespaces"),
        );
        if !self.cilium.is_empty() {
            text.push_str(&format!(
                ", {} {}",
                self.cilium.len(),
                plural(
                    self.cilium.len(),
                    "CiliumNetworkPolicy",
                    "CiliumNetworkPolicies"
                )
            ));
        }
        if !self.cluster.is_empty() {
            text.push_str(&format!(
                ", {} cluster {}",
                self.cluster.len(),
                plural(self.cluster.len(), "policy", "policies")
            ));
        }
        let skipped: usize = self.skipped.values().sum();
        if skipped > 0 {
            let kinds: Vec<String> = self
                .skipped
                .iter()
                .map(|(kind, n)| format!("{} {n}", crate::k8s::escape_controls(kind)))
                .collect();
            text.push_str(&format!(
                "; skipped {skipped} other {} ({})",
                plural(skipped, "object", "objects"),
                kinds.join(", ")
            ));
        }
        if self.finished_pods > 0 {
            text.push_str(&format!(
                "; left out {} finished {}",
                self.finished_pods,
                plural(self.finished_pods, "pod", "pods")
            ));
        }
        text
    }

    /// The notes for people that go with the summary, one line each: the
    /// symbolic links left out of input directories.
    pub fn notes(&self) -> String {
        self.skipped_links
            .iter()
            .map(|link| format!("note: {link}\n"))
            .collect()
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// What reading produced: the manifests (without the objects that had
/// errors) and the diagnostics (E101–E103, W101).
#[derive(Debug, Default)]
pub struct Reading {
    pub manifests: Manifests,
    pub diagnostics: Vec<Diagnostic>,
}

impl Reading {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads every path (`-` is standard input). An unreadable path is an
/// error of its own (not a diagnostic): the caller reports it as misuse.
pub fn load(paths: &[PathBuf], options: &Options) -> Result<Reading, crate::files::ReadError> {
    let inputs = input::read(paths)?;
    let mut reading = from_sources(inputs.sources, options);
    reading.manifests.skipped_links = inputs.skipped_links;
    Ok(reading)
}

/// Reads manifests held in memory (for tests and other commands).
pub fn load_str(name: &str, text: &str, options: &Options) -> Reading {
    let mut sources = SourceMap::default();
    sources.add(crate::source::SourceFile::new(name, None, text));
    from_sources(sources, options)
}

/// A document of the inputs, for commands that compare objects as written
/// rather than model them (`npc diff`): its file, its 1-based index, its
/// value and first line, and its objects with `List`s flattened.
#[derive(Clone, Debug)]
pub struct RawDocument {
    pub file: FileId,
    pub index: usize,
    pub value: serde_yaml::Value,
    pub start: Span,
    pub objects: Vec<objects::Flat>,
}

/// The documents of files already read, with the same bounds, YAML rules
/// and `List` flattening as [`load`]; a malformed document is an E101
/// diagnostic (and is left out).
pub fn raw_documents(sources: &SourceMap) -> (Vec<RawDocument>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut out = Vec::new();
    for (file, source) in sources.files() {
        for d in documents::parse(file, &source.text, false, &mut diagnostics) {
            out.push(RawDocument {
                file,
                index: d.index,
                start: Span::new(file, d.start, d.start),
                objects: objects::flatten(&d.value),
                value: d.value,
            });
        }
    }
    (out, diagnostics)
}

/// The pipeline on files already read.
pub fn from_sources(sources: SourceMap, options: &Options) -> Reading {
    let mut diagnostics = Vec::new();
    let mut collected = objects::Collected::default();
    for (file, source) in sources.files() {
        let read = |positions: bool, diagnostics: &mut Vec<Diagnostic>| {
            let mut objects = objects::Collected::default();
            for document in documents::parse(file, &source.text, positions, diagnostics) {
                objects::collect(document, options, &mut objects, diagnostics);
            }
            objects
        };
        let mut found = Vec::new();
        let mut objects = read(options.field_positions, &mut found);
        if !found.is_empty() && !options.field_positions {
            // Diagnostics point at fields: read this file again, located.
            found.clear();
            objects = read(true, &mut found);
        }
        diagnostics.extend(found);
        collected.extend(objects);
    }
    let manifests = owners::resolve(collected, sources, options.naming, &mut diagnostics);
    let mut diags = crate::diagnostic::Diagnostics::default();
    diagnostics.into_iter().for_each(|d| diags.push(d));
    Reading {
        manifests,
        diagnostics: diags.sorted(),
    }
}
