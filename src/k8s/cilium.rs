//! Cilium's `cilium.io/v2` CiliumNetworkPolicy: the part of its API that npc
//! writes (egress rules to endpoints, CIDR sets and DNS names, on ports,
//! with Cilium's DNS rule), as serde types whose JSON is the object's own
//! field names. Field names, shapes and enums follow Cilium's CRD
//! (`pkg/k8s/apis/cilium.io/client/crds/v2/ciliumnetworkpolicies.yaml`);
//! `tests/integration/cilium_schema.rs` checks every emitted object against it.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde::{Deserialize, Serialize};

/// `apiVersion` and `kind` of a CiliumNetworkPolicy.
pub const API_VERSION: &str = "cilium.io/v2";
pub const KIND: &str = "CiliumNetworkPolicy";
/// The API group (`apiVersion` without its version).
pub const GROUP: &str = "cilium.io";

/// The label Cilium gives every pod with its namespace's name. A peer
/// selector without it matches only pods of the policy's own namespace.
pub const POD_NAMESPACE_LABEL: &str = "k8s:io.kubernetes.pod.namespace";
/// The prefix of the labels Cilium copies from a pod's namespace
/// (`k8s:io.cilium.k8s.namespace.labels.team` for the namespace label `team`).
pub const NAMESPACE_LABELS_PREFIX: &str = "k8s:io.cilium.k8s.namespace.labels.";
/// The source prefix of labels that come from Kubernetes.
pub const K8S_SOURCE: &str = "k8s:";
/// The source prefix that matches a label of any source.
pub const ANY_SOURCE: &str = "any:";

/// A CiliumNetworkPolicy (fields in the order the API lists them).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CiliumNetworkPolicy {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: Spec,
}

impl CiliumNetworkPolicy {
    /// A policy with `apiVersion` and `kind` set.
    pub fn new(metadata: ObjectMeta, spec: Spec) -> CiliumNetworkPolicy {
        CiliumNetworkPolicy {
            api_version: API_VERSION.to_string(),
            kind: KIND.to_string(),
            metadata,
            spec,
        }
    }

    /// `metadata.namespace`, or empty.
    pub fn namespace(&self) -> &str {
        self.metadata.namespace.as_deref().unwrap_or("")
    }

    /// `metadata.name`, or empty.
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or("")
    }
}

/// The rule of a CiliumNetworkPolicy: the pods it selects and their egress.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Spec {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<EgressRule>,
    /// Pods of the policy's namespace (Cilium adds the namespace).
    pub endpoint_selector: LabelSelector,
}

/// One egress rule: one kind of peer (endpoints, CIDRs or names), on ports.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EgressRule {
    #[serde(rename = "toCIDRSet", default, skip_serializing_if = "Option::is_none")]
    pub to_cidr_set: Option<Vec<CidrRule>>,
    #[serde(
        rename = "toEndpoints",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub to_endpoints: Option<Vec<LabelSelector>>,
    #[serde(rename = "toFQDNs", default, skip_serializing_if = "Option::is_none")]
    pub to_fqdns: Option<Vec<FqdnSelector>>,
    /// `None`: every port and protocol.
    #[serde(rename = "toPorts", default, skip_serializing_if = "Option::is_none")]
    pub to_ports: Option<Vec<PortRule>>,
}

/// `toCIDRSet` entry: a CIDR minus its exceptions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CidrRule {
    pub cidr: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub except: Option<Vec<String>>,
}

/// `toFQDNs` entry: exactly one of `matchName` and `matchPattern`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FqdnSelector {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_pattern: Option<String>,
}

/// `toPorts` entry: ports, and the DNS rule for DNS traffic.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortRule {
    pub ports: Vec<PortProtocol>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<L7Rules>,
}

/// A port (a decimal string, as the API holds it), an optional last port
/// of a range, and the protocol (`TCP`, `UDP`, `SCTP`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PortProtocol {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_port: Option<i32>,
    pub port: String,
    pub protocol: String,
}

/// Layer 7 rules: npc writes only DNS rules.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct L7Rules {
    pub dns: Vec<DnsRule>,
}

/// One allowed DNS lookup (`matchPattern: "*"` allows every name).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DnsRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_pattern: Option<String>,
}

/// A pod's labels as a Cilium selector key names them: `k8s:` or `any:` (or
/// no source) before a label key, and the namespace's name and labels under
/// their own keys. What a key of a Cilium endpoint selector refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SelectorKey<'a> {
    /// The pod's namespace name.
    Namespace,
    /// A label of the pod's namespace.
    NamespaceLabel(&'a str),
    /// A label of the pod.
    Pod(&'a str),
    /// A label of another source (`reserved:`, `cidr:`, ...), which npc
    /// does not model.
    Other(&'a str),
}

/// What a key of a Cilium endpoint selector refers to.
pub fn selector_key(key: &str) -> SelectorKey<'_> {
    let bare = match key.split_once(':') {
        Some(("k8s" | "any", rest)) => rest,
        Some(_) => return SelectorKey::Other(key),
        None => key,
    };
    if bare == "io.kubernetes.pod.namespace" {
        return SelectorKey::Namespace;
    }
    match bare.strip_prefix("io.cilium.k8s.namespace.labels.") {
        Some(label) => SelectorKey::NamespaceLabel(label),
        None => SelectorKey::Pod(bare),
    }
}

/// A Cilium endpoint selector split as Cilium reads it: the pod labels it
/// requires, and the namespace labels (the namespace's name under
/// `kubernetes.io/metadata.name`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SplitSelector {
    pub pods: LabelSelector,
    pub namespace: LabelSelector,
    /// Whether it requires something of the namespace's name
    /// (`io.kubernetes.pod.namespace`): without that, Cilium limits a peer
    /// selector to the policy's own namespace.
    pub names_namespace: bool,
}

impl SplitSelector {
    /// Whether the selector says nothing about the namespace.
    pub fn namespace_is_empty(&self) -> bool {
        self.namespace.match_labels.is_none() && self.namespace.match_expressions.is_none()
    }
}

/// Splits a Cilium endpoint selector into its pod and namespace parts; the
/// first key of a source npc does not model (`reserved:host`) is the error.
pub fn split_selector(sel: &LabelSelector) -> Result<SplitSelector, String> {
    use std::collections::BTreeMap;
    let mut out = SplitSelector::default();
    let mut place = |key: &str| -> Result<(bool, String), String> {
        match selector_key(key) {
            SelectorKey::Namespace => {
                out.names_namespace = true;
                Ok((true, super::NAMESPACE_NAME_LABEL.to_string()))
            }
            SelectorKey::NamespaceLabel(k) => Ok((true, k.to_string())),
            SelectorKey::Pod(k) => Ok((false, k.to_string())),
            SelectorKey::Other(k) => Err(k.to_string()),
        }
    };
    let mut labels = Vec::new();
    for (k, v) in sel.match_labels.iter().flatten() {
        let (ns, key) = place(k)?;
        labels.push((ns, key, v.clone()));
    }
    let mut expressions = Vec::new();
    for r in sel.match_expressions.iter().flatten() {
        let (ns, key) = place(&r.key)?;
        let mut r = r.clone();
        r.key = key;
        expressions.push((ns, r));
    }
    for (ns, key, value) in labels {
        let target = if ns {
            &mut out.namespace
        } else {
            &mut out.pods
        };
        target
            .match_labels
            .get_or_insert_with(BTreeMap::new)
            .insert(key, value);
    }
    for (ns, r) in expressions {
        let target = if ns {
            &mut out.namespace
        } else {
            &mut out.pods
        };
        target
            .match_expressions
            .get_or_insert_with(Vec::new)
            .push(r);
    }
    Ok(out)
}

/// Namespace labels under the keys Cilium gives them.
pub fn namespace_label_key(key: &str) -> String {
    format!("{NAMESPACE_LABELS_PREFIX}{key}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selector_keys_as_cilium_reads_them() {
        assert_eq!(selector_key(POD_NAMESPACE_LABEL), SelectorKey::Namespace);
        assert_eq!(
            selector_key("io.kubernetes.pod.namespace"),
            SelectorKey::Namespace
        );
        assert_eq!(
            selector_key(&namespace_label_key("team")),
            SelectorKey::NamespaceLabel("team")
        );
        assert_eq!(selector_key("app"), SelectorKey::Pod("app"));
        assert_eq!(selector_key("k8s:k8s-app"), SelectorKey::Pod("k8s-app"));
        assert_eq!(
            selector_key("any:app.kubernetes.io/name"),
            SelectorKey::Pod("app.kubernetes.io/name")
        );
        assert_eq!(
            selector_key("reserved:host"),
            SelectorKey::Other("reserved:host")
        );
    }

    #[test]
    fn json_uses_the_api_field_names() {
        let rule = EgressRule {
            to_fqdns: Some(vec![FqdnSelector {
                match_name: Some("api.stripe.com".into()),
                match_pattern: None,
            }]),
            to_ports: Some(vec![PortRule {
                ports: vec![PortProtocol {
                    end_port: None,
                    port: "443".into(),
                    protocol: "TCP".into(),
                }],
                rules: None,
            }]),
            ..EgressRule::default()
        };
        let json = serde_json::to_string(&rule).unwrap();
        assert_eq!(
            json,
            r#"{"toFQDNs":[{"matchName":"api.stripe.com"}],"toPorts":[{"ports":[{"port":"443","protocol":"TCP"}]}]}"#
        );
    }
}
