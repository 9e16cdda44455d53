//! The fields of the objects npc reads, for W102: a field that the API
//! server would drop as unknown (a misspelling, `containerport:` for
//! `containerPort:`, `ingres:` for `ingress:`) is ignored with a warning
//! that names the field and the closest known one, as `kubectl apply`
//! warns and the API server drops it.
//!
//! Only the parts of an object npc reads are checked. Small, stable types
//! (a container port, a NetworkPolicy's rules, a label selector, an owner
//! reference) warn about every unknown field; large ones that grow with
//! each Kubernetes release (a pod spec, a container, object metadata, a
//! workload's spec) only about a field that is close to a known one, so a
//! field newer than this list is not reported.

use serde_yaml::Value;

/// The fields of one object type.
pub struct Node {
    /// Its name in messages: `a container port`.
    pub what: &'static str,
    pub fields: &'static [(&'static str, Child)],
    /// Every unknown field is reported (else only near misses).
    pub strict: bool,
}

/// What a field holds, as far as the check descends.
#[derive(Clone, Copy)]
pub enum Child {
    /// Not checked further.
    Leaf,
    Object(&'static Node),
    List(&'static Node),
}

use Child::{Leaf, List, Object};

const SELECTOR_EXPRESSION: Node = Node {
    what: "a label selector requirement",
    fields: &[("key", Leaf), ("operator", Leaf), ("values", Leaf)],
    strict: true,
};

const SELECTOR: Node = Node {
    what: "a label selector",
    fields: &[
        ("matchLabels", Leaf),
        ("matchExpressions", List(&SELECTOR_EXPRESSION)),
    ],
    strict: true,
};

const OWNER_REFERENCE: Node = Node {
    what: "an owner reference",
    fields: &[
        ("apiVersion", Leaf),
        ("kind", Leaf),
        ("name", Leaf),
        ("uid", Leaf),
        ("controller", Leaf),
        ("blockOwnerDeletion", Leaf),
    ],
    strict: true,
};

const METADATA: Node = Node {
    what: "object metadata",
    fields: &[
        ("name", Leaf),
        ("generateName", Leaf),
        ("namespace", Leaf),
        ("selfLink", Leaf),
        ("uid", Leaf),
        ("resourceVersion", Leaf),
        ("generation", Leaf),
        ("creationTimestamp", Leaf),
        ("deletionTimestamp", Leaf),
        ("deletionGracePeriodSeconds", Leaf),
        ("labels", Leaf),
        ("annotations", Leaf),
        ("ownerReferences", List(&OWNER_REFERENCE)),
        ("finalizers", Leaf),
        ("managedFields", Leaf),
        ("clusterName", Leaf),
    ],
    strict: false,
};

const CONTAINER_PORT: Node = Node {
    what: "a container port",
    fields: &[
        ("containerPort", Leaf),
        ("hostIP", Leaf),
        ("hostPort", Leaf),
        ("name", Leaf),
        ("protocol", Leaf),
    ],
    strict: true,
};

const CONTAINER: Node = Node {
    what: "a container",
    fields: &[
        ("args", Leaf),
        ("command", Leaf),
        ("env", Leaf),
        ("envFrom", Leaf),
        ("image", Leaf),
        ("imagePullPolicy", Leaf),
        ("lifecycle", Leaf),
        ("livenessProbe", Leaf),
        ("name", Leaf),
        ("ports", List(&CONTAINER_PORT)),
        ("readinessProbe", Leaf),
        ("resizePolicy", Leaf),
        ("resources", Leaf),
        ("restartPolicy", Leaf),
        ("restartPolicyRules", Leaf),
        ("securityContext", Leaf),
        ("startupProbe", Leaf),
        ("stdin", Leaf),
        ("stdinOnce", Leaf),
        ("terminationMessagePath", Leaf),
        ("terminationMessagePolicy", Leaf),
        ("tty", Leaf),
        ("volumeDevices", Leaf),
        ("volumeMounts", Leaf),
        ("workingDir", Leaf),
    ],
    strict: false,
};

const POD_SPEC: Node = Node {
    what: "a pod spec",
    fields: &[
        ("activeDeadlineSeconds", Leaf),
        ("affinity", Leaf),
        ("automountServiceAccountToken", Leaf),
        ("containers", List(&CONTAINER)),
        ("dnsConfig", Leaf),
        ("dnsPolicy", Leaf),
        ("enableServiceLinks", Leaf),
        ("ephemeralContainers", Leaf),
        ("hostAliases", Leaf),
        ("hostIPC", Leaf),
        ("hostNetwork", Leaf),
        ("hostPID", Leaf),
        ("hostUsers", Leaf),
        ("hostname", Leaf),
        ("hostnameOverride", Leaf),
        ("imagePullSecrets", Leaf),
        ("initContainers", List(&CONTAINER)),
        ("nodeName", Leaf),
        ("nodeSelector", Leaf),
        ("os", Leaf),
        ("overhead", Leaf),
        ("preemptionPolicy", Leaf),
        ("priority", Leaf),
        ("priorityClassName", Leaf),
        ("readinessGates", Leaf),
        ("resourceClaims", Leaf),
        ("resources", Leaf),
        ("restartPolicy", Leaf),
        ("runtimeClassName", Leaf),
        ("schedulerName", Leaf),
        ("schedulingGates", Leaf),
        ("securityContext", Leaf),
        ("serviceAccount", Leaf),
        ("serviceAccountName", Leaf),
        ("setHostnameAsFQDN", Leaf),
        ("shareProcessNamespace", Leaf),
        ("subdomain", Leaf),
        ("terminationGracePeriodSeconds", Leaf),
        ("tolerations", Leaf),
        ("topologySpreadConstraints", Leaf),
        ("volumes", Leaf),
    ],
    strict: false,
};

const POD_TEMPLATE: Node = Node {
    what: "a pod template",
    fields: &[("metadata", Object(&METADATA)), ("spec", Object(&POD_SPEC))],
    strict: true,
};

const POD_IP: Node = Node {
    what: "a pod IP",
    fields: &[("ip", Leaf)],
    strict: true,
};

const POD_STATUS: Node = Node {
    what: "a pod status",
    fields: &[
        ("conditions", Leaf),
        ("containerStatuses", Leaf),
        ("ephemeralContainerStatuses", Leaf),
        ("hostIP", Leaf),
        ("hostIPs", Leaf),
        ("initContainerStatuses", Leaf),
        ("message", Leaf),
        ("nominatedNodeName", Leaf),
        ("observedGeneration", Leaf),
        ("phase", Leaf),
        ("podIP", Leaf),
        ("podIPs", List(&POD_IP)),
        ("qosClass", Leaf),
        ("reason", Leaf),
        ("resize", Leaf),
        ("resourceClaimStatuses", Leaf),
        ("startTime", Leaf),
    ],
    strict: false,
};

/// A workload's spec: the common fields of the kinds with a pod template.
const TEMPLATE_OWNER_SPEC: Node = Node {
    what: "a workload spec",
    fields: &[
        ("minReadySeconds", Leaf),
        ("ordinals", Leaf),
        ("paused", Leaf),
        ("persistentVolumeClaimRetentionPolicy", Leaf),
        ("podManagementPolicy", Leaf),
        ("progressDeadlineSeconds", Leaf),
        ("replicas", Leaf),
        ("revisionHistoryLimit", Leaf),
        ("selector", Leaf),
        ("serviceName", Leaf),
        ("strategy", Leaf),
        ("template", Object(&POD_TEMPLATE)),
        ("updateStrategy", Leaf),
        ("volumeClaimTemplates", Leaf),
    ],
    strict: false,
};

const JOB_SPEC: Node = Node {
    what: "a job spec",
    fields: &[
        ("activeDeadlineSeconds", Leaf),
        ("backoffLimit", Leaf),
        ("backoffLimitPerIndex", Leaf),
        ("completionMode", Leaf),
        ("completions", Leaf),
        ("managedBy", Leaf),
        ("manualSelector", Leaf),
        ("maxFailedIndexes", Leaf),
        ("parallelism", Leaf),
        ("podFailurePolicy", Leaf),
        ("podReplacementPolicy", Leaf),
        ("selector", Leaf),
        ("successPolicy", Leaf),
        ("suspend", Leaf),
        ("template", Object(&POD_TEMPLATE)),
        ("ttlSecondsAfterFinished", Leaf),
    ],
    strict: false,
};

const JOB_TEMPLATE: Node = Node {
    what: "a job template",
    fields: &[("metadata", Object(&METADATA)), ("spec", Object(&JOB_SPEC))],
    strict: true,
};

const CRON_JOB_SPEC: Node = Node {
    what: "a cron job spec",
    fields: &[
        ("concurrencyPolicy", Leaf),
        ("failedJobsHistoryLimit", Leaf),
        ("jobTemplate", Object(&JOB_TEMPLATE)),
        ("schedule", Leaf),
        ("startingDeadlineSeconds", Leaf),
        ("successfulJobsHistoryLimit", Leaf),
        ("suspend", Leaf),
        ("timeZone", Leaf),
    ],
    strict: false,
};

const NETWORK_POLICY_PORT: Node = Node {
    what: "a NetworkPolicy port",
    fields: &[("port", Leaf), ("endPort", Leaf), ("protocol", Leaf)],
    strict: true,
};

const IP_BLOCK: Node = Node {
    what: "an ipBlock",
    fields: &[("cidr", Leaf), ("except", Leaf)],
    strict: true,
};

const PEER: Node = Node {
    what: "a NetworkPolicy peer",
    fields: &[
        ("podSelector", Object(&SELECTOR)),
        ("namespaceSelector", Object(&SELECTOR)),
        ("ipBlock", Object(&IP_BLOCK)),
    ],
    strict: true,
};

const INGRESS_RULE: Node = Node {
    what: "an ingress rule",
    fields: &[("from", List(&PEER)), ("ports", List(&NETWORK_POLICY_PORT))],
    strict: true,
};

const EGRESS_RULE: Node = Node {
    what: "an egress rule",
    fields: &[("to", List(&PEER)), ("ports", List(&NETWORK_POLICY_PORT))],
    strict: true,
};

const NETWORK_POLICY_SPEC: Node = Node {
    what: "a NetworkPolicy spec",
    fields: &[
        ("podSelector", Object(&SELECTOR)),
        ("policyTypes", Leaf),
        ("ingress", List(&INGRESS_RULE)),
        ("egress", List(&EGRESS_RULE)),
    ],
    strict: true,
};

const NAMESPACED_POD: Node = Node {
    what: "a namespaced pod selector",
    fields: &[
        ("namespaceSelector", Object(&SELECTOR)),
        ("podSelector", Object(&SELECTOR)),
    ],
    strict: true,
};

const CLUSTER_SUBJECT: Node = Node {
    what: "a cluster policy subject",
    fields: &[
        ("namespaces", Object(&SELECTOR)),
        ("pods", Object(&NAMESPACED_POD)),
    ],
    strict: true,
};

const CLUSTER_INGRESS_PEER: Node = Node {
    what: "a cluster policy ingress peer",
    fields: &[
        ("namespaces", Object(&SELECTOR)),
        ("pods", Object(&NAMESPACED_POD)),
    ],
    strict: true,
};

const CLUSTER_EGRESS_PEER: Node = Node {
    what: "a cluster policy egress peer",
    fields: &[
        ("namespaces", Object(&SELECTOR)),
        ("pods", Object(&NAMESPACED_POD)),
        ("networks", Leaf),
        ("nodes", Object(&SELECTOR)),
        ("domainNames", Leaf),
    ],
    strict: true,
};

const DESTINATION_PORT: Node = Node {
    what: "a destination port",
    fields: &[("number", Leaf), ("range", Leaf)],
    strict: true,
};

const PROTOCOL_PORTS: Node = Node {
    what: "a protocol's ports",
    fields: &[("destinationPort", Object(&DESTINATION_PORT))],
    strict: true,
};

const PROTOCOL_MATCH: Node = Node {
    what: "a cluster policy protocol",
    fields: &[
        ("tcp", Object(&PROTOCOL_PORTS)),
        ("udp", Object(&PROTOCOL_PORTS)),
        ("sctp", Object(&PROTOCOL_PORTS)),
        ("destinationNamedPort", Leaf),
    ],
    strict: true,
};

const CLUSTER_INGRESS_RULE: Node = Node {
    what: "a cluster policy ingress rule",
    fields: &[
        ("name", Leaf),
        ("action", Leaf),
        ("from", List(&CLUSTER_INGRESS_PEER)),
        ("protocols", List(&PROTOCOL_MATCH)),
    ],
    strict: true,
};

const CLUSTER_EGRESS_RULE: Node = Node {
    what: "a cluster policy egress rule",
    fields: &[
        ("name", Leaf),
        ("action", Leaf),
        ("to", List(&CLUSTER_EGRESS_PEER)),
        ("protocols", List(&PROTOCOL_MATCH)),
    ],
    strict: true,
};

const CLUSTER_NETWORK_POLICY_SPEC: Node = Node {
    what: "a ClusterNetworkPolicy spec",
    fields: &[
        ("tier", Leaf),
        ("priority", Leaf),
        ("subject", Object(&CLUSTER_SUBJECT)),
        ("ingress", List(&CLUSTER_INGRESS_RULE)),
        ("egress", List(&CLUSTER_EGRESS_RULE)),
    ],
    strict: true,
};

const V1ALPHA1_PORT: Node = Node {
    what: "an AdminNetworkPolicy port",
    fields: &[
        ("portNumber", Leaf),
        ("namedPort", Leaf),
        ("portRange", Leaf),
    ],
    strict: true,
};

const V1ALPHA1_INGRESS_RULE: Node = Node {
    what: "an AdminNetworkPolicy ingress rule",
    fields: &[
        ("name", Leaf),
        ("action", Leaf),
        ("from", List(&CLUSTER_INGRESS_PEER)),
        ("ports", List(&V1ALPHA1_PORT)),
    ],
    strict: true,
};

const V1ALPHA1_EGRESS_RULE: Node = Node {
    what: "an AdminNetworkPolicy egress rule",
    fields: &[
        ("name", Leaf),
        ("action", Leaf),
        ("to", List(&CLUSTER_EGRESS_PEER)),
        ("ports", List(&V1ALPHA1_PORT)),
    ],
    strict: true,
};

const ADMIN_NETWORK_POLICY_SPEC: Node = Node {
    what: "an AdminNetworkPolicy spec",
    fields: &[
        ("priority", Leaf),
        ("subject", Object(&CLUSTER_SUBJECT)),
        ("ingress", List(&V1ALPHA1_INGRESS_RULE)),
        ("egress", List(&V1ALPHA1_EGRESS_RULE)),
    ],
    strict: true,
};

const BASELINE_ADMIN_NETWORK_POLICY_SPEC: Node = Node {
    what: "a BaselineAdminNetworkPolicy spec",
    fields: &[
        ("subject", Object(&CLUSTER_SUBJECT)),
        ("ingress", List(&V1ALPHA1_INGRESS_RULE)),
        ("egress", List(&V1ALPHA1_EGRESS_RULE)),
    ],
    strict: true,
};

/// The top level of an object: `apiVersion`, `kind`, `metadata`, `spec`,
/// `status` (the spec and status as `spec` and `status` say).
pub struct Root {
    pub what: &'static str,
    pub spec: Child,
    pub status: Child,
}

pub const NAMESPACE: Root = Root {
    what: "a Namespace",
    spec: Leaf,
    status: Leaf,
};

pub const NETWORK_POLICY: Root = Root {
    what: "a NetworkPolicy",
    spec: Object(&NETWORK_POLICY_SPEC),
    status: Leaf,
};

pub const CLUSTER_NETWORK_POLICY: Root = Root {
    what: "a ClusterNetworkPolicy",
    spec: Object(&CLUSTER_NETWORK_POLICY_SPEC),
    status: Leaf,
};

pub const ADMIN_NETWORK_POLICY: Root = Root {
    what: "an AdminNetworkPolicy",
    spec: Object(&ADMIN_NETWORK_POLICY_SPEC),
    status: Leaf,
};

pub const BASELINE_ADMIN_NETWORK_POLICY: Root = Root {
    what: "a BaselineAdminNetworkPolicy",
    spec: Object(&BASELINE_ADMIN_NETWORK_POLICY_SPEC),
    status: Leaf,
};

pub const POD: Root = Root {
    what: "a Pod",
    spec: Object(&POD_SPEC),
    status: Object(&POD_STATUS),
};

pub const TEMPLATE_OWNER: Root = Root {
    what: "a workload",
    spec: Object(&TEMPLATE_OWNER_SPEC),
    status: Leaf,
};

pub const JOB: Root = Root {
    what: "a Job",
    spec: Object(&JOB_SPEC),
    status: Leaf,
};

pub const CRON_JOB: Root = Root {
    what: "a CronJob",
    spec: Object(&CRON_JOB_SPEC),
    status: Leaf,
};

const ROOT_FIELDS: &[&str] = &["apiVersion", "kind", "metadata", "spec", "status"];

/// An unknown field: its path, the object type it is in, and the closest
/// known field (`None` for a field far from every known one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unknown {
    /// `spec.template.spec.containers[0].ports[0].containerport`
    pub path: String,
    /// The path of the mapping that holds it.
    pub parent: String,
    pub field: String,
    pub what: &'static str,
    pub closest: Option<&'static str>,
}

/// The unknown fields of an object of the type `root`, in document order.
pub fn unknown_fields(value: &Value, root: &Root) -> Vec<Unknown> {
    let mut out = Vec::new();
    let Value::Mapping(map) = value else {
        return out;
    };
    for (key, child) in map {
        let Value::String(key) = key else { continue };
        match key.as_str() {
            "metadata" => walk(child, &METADATA, "metadata", &mut out),
            "spec" => descend(child, root.spec, "spec", &mut out),
            "status" => descend(child, root.status, "status", &mut out),
            "apiVersion" | "kind" => {}
            other => out.push(Unknown {
                path: other.to_owned(),
                parent: String::new(),
                field: other.to_owned(),
                what: root.what,
                closest: crate::diagnostic::closest(other, ROOT_FIELDS.iter().copied()),
            }),
        }
    }
    out
}

fn descend(value: &Value, child: Child, path: &str, out: &mut Vec<Unknown>) {
    match child {
        Leaf => {}
        Object(node) => walk(value, node, path, out),
        List(node) => {
            if let Value::Sequence(items) = value {
                for (i, item) in items.iter().enumerate() {
                    walk(item, node, &format!("{path}[{i}]"), out);
                }
            }
        }
    }
}

fn walk(value: &Value, node: &Node, path: &str, out: &mut Vec<Unknown>) {
    let Value::Mapping(map) = value else { return };
    for (key, child) in map {
        let Value::String(key) = key else { continue };
        let here = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        match node.fields.iter().find(|(name, _)| name == key) {
            Some((_, kind)) => descend(child, *kind, &here, out),
            None => {
                let known = node.fields.iter().map(|(name, _)| *name);
                let closest = known
                    .clone()
                    .find(|name| name.eq_ignore_ascii_case(key))
                    .or_else(|| crate::diagnostic::closest(key, known));
                if node.strict || closest.is_some() {
                    out.push(Unknown {
                        path: here,
                        parent: path.to_owned(),
                        field: key.clone(),
                        what: node.what,
                        closest,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown(yaml: &str, root: &Root) -> Vec<(String, Option<&'static str>)> {
        let value: Value = serde_yaml::from_str(yaml).unwrap();
        unknown_fields(&value, root)
            .into_iter()
            .map(|u| (u.path, u.closest))
            .collect()
    }

    #[test]
    fn misspellings_are_found_with_their_closest_field() {
        let found = unknown(
            "metadata: {name: web, lables: {app: web}}
spec:
  template:
    spec:
      hostnetwork: true
      containers:
      - name: web
        ports: [{containerport: 80, name: http}]",
            &TEMPLATE_OWNER,
        );
        assert_eq!(
            found,
            [
                ("metadata.lables".to_string(), Some("labels")),
                (
                    "spec.template.spec.hostnetwork".to_string(),
                    Some("hostNetwork")
                ),
                (
                    "spec.template.spec.containers[0].ports[0].containerport".to_string(),
                    Some("containerPort")
                ),
            ]
        );
    }

    #[test]
    fn large_types_report_only_near_misses_and_small_ones_everything() {
        let found = unknown(
            "spec:
  somethingNewInV2: {}
  ingres: [{}]
  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, exept: []}}], ports: [{port: 80, future: 1}]}]",
            &NETWORK_POLICY,
        );
        assert_eq!(
            found,
            [
                ("spec.somethingNewInV2".to_string(), None),
                ("spec.ingres".to_string(), Some("ingress")),
                (
                    "spec.egress[0].to[0].ipBlock.exept".to_string(),
                    Some("except")
                ),
                ("spec.egress[0].ports[0].future".to_string(), None),
            ]
        );
        let pod = unknown(
            "spec: {someFutureField: 1, containers: [{image: x, futureKnob: 2}]}
status: {podIPs: [{ip: 10.0.0.1}], newStatus: 1}",
            &POD,
        );
        assert!(pod.is_empty(), "{pod:?}");
    }
}
