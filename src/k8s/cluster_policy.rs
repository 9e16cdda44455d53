//! The cluster-scoped policy API of network-policy-api: ClusterNetworkPolicy
//! (`policy.networking.k8s.io/v1alpha2`, v0.2.0) and its predecessors
//! AdminNetworkPolicy and BaselineAdminNetworkPolicy (`v1alpha1`). These
//! kinds are not in k8s-openapi; the types below hold the fields npc writes
//! and reads, named and nested as the API's Go types are (field names in
//! camelCase, optional fields left out when unset), so serde writes the
//! objects the API server accepts.
//!
//! The vocabulary both versions share, tiers and actions, is here too.

use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde::{Deserialize, Serialize};

/// The API group of every kind here.
pub const GROUP: &str = "policy.networking.k8s.io";
/// `apiVersion` of ClusterNetworkPolicy.
pub const V1ALPHA2: &str = "policy.networking.k8s.io/v1alpha2";
/// `apiVersion` of AdminNetworkPolicy and BaselineAdminNetworkPolicy.
pub const V1ALPHA1: &str = "policy.networking.k8s.io/v1alpha1";
pub const CLUSTER_NETWORK_POLICY_KIND: &str = "ClusterNetworkPolicy";
pub const ADMIN_NETWORK_POLICY_KIND: &str = "AdminNetworkPolicy";
pub const BASELINE_ADMIN_NETWORK_POLICY_KIND: &str = "BaselineAdminNetworkPolicy";
/// The one name v1alpha1 allows a BaselineAdminNetworkPolicy.
pub const BASELINE_DEFAULT_NAME: &str = "default";

/// The kinds of this API, as `kind` spells them.
pub const KINDS: &[&str] = &[
    CLUSTER_NETWORK_POLICY_KIND,
    ADMIN_NETWORK_POLICY_KIND,
    BASELINE_ADMIN_NETWORK_POLICY_KIND,
];

/// The lowest and highest `priority` (v1alpha2, and v1alpha1's AdminNetworkPolicy).
pub const MIN_PRIORITY: u16 = 0;
pub const MAX_PRIORITY: u16 = 1000;

/// The API's limits on lists (v1alpha2): rules per direction, peers per
/// rule, CIDRs per `networks` peer, protocols per rule.
pub const MAX_RULES: usize = 25;
pub const MAX_PEERS: usize = 25;
pub const MAX_NETWORKS: usize = 25;
pub const MAX_PROTOCOLS: usize = 25;
/// v1alpha1's limits: rules per direction, peers per rule, ports per rule
/// (its `networks` take 25 CIDRs, as v1alpha2's).
pub const V1ALPHA1_MAX_RULES: usize = 100;
pub const V1ALPHA1_MAX_PEERS: usize = 100;
pub const V1ALPHA1_MAX_PORTS: usize = 100;
/// The longest rule `name`.
pub const MAX_RULE_NAME: usize = 100;

/// Where a cluster policy stands relative to the namespaces' own policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Tier {
    /// Before NetworkPolicies: namespace owners cannot override it.
    Admin,
    /// After them: a default a namespace's own policies replace.
    Baseline,
}

impl Tier {
    /// `admin`, `baseline`: the NPL block and the start of object names.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Admin => "admin",
            Tier::Baseline => "baseline",
        }
    }

    /// `Admin`, `Baseline`: the API's spelling.
    pub fn api_name(self) -> &'static str {
        match self {
            Tier::Admin => "Admin",
            Tier::Baseline => "Baseline",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a rule does with the traffic it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Accept,
    Deny,
    /// Skip the rest of the tier: the next tier decides.
    Pass,
}

impl Action {
    /// `accept`, `deny`, `pass`: the NPL keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Deny => "deny",
            Action::Pass => "pass",
        }
    }

    /// v1alpha2's spelling: `Accept`, `Deny`, `Pass`.
    pub fn api_name(self) -> &'static str {
        match self {
            Action::Accept => "Accept",
            Action::Deny => "Deny",
            Action::Pass => "Pass",
        }
    }

    /// v1alpha1's spelling: `Allow`, `Deny`, `Pass`.
    pub fn v1alpha1_name(self) -> &'static str {
        match self {
            Action::Accept => "Allow",
            Action::Deny => "Deny",
            Action::Pass => "Pass",
        }
    }

    /// Either version's spelling.
    pub fn parse_api(text: &str) -> Option<Action> {
        match text {
            "Accept" | "Allow" => Some(Action::Accept),
            "Deny" => Some(Action::Deny),
            "Pass" => Some(Action::Pass),
            _ => None,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// ------------------------------------------------------------------ v1alpha2

/// `policy.networking.k8s.io/v1alpha2` ClusterNetworkPolicy.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterNetworkPolicy {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: ClusterNetworkPolicySpec,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterNetworkPolicySpec {
    /// `Admin` or `Baseline`.
    pub tier: String,
    pub priority: i32,
    pub subject: Subject,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<Vec<IngressRule>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress: Option<Vec<EgressRule>>,
}

/// The pods a policy applies to: exactly one of the two fields.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<LabelSelector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods: Option<NamespacedPod>,
}

/// Pods matching `podSelector` in namespaces matching `namespaceSelector`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespacedPod {
    #[serde(default)]
    pub namespace_selector: LabelSelector,
    pub pod_selector: LabelSelector,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `Accept`, `Deny` or `Pass`.
    pub action: String,
    pub from: Vec<IngressPeer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocols: Option<Vec<ProtocolMatch>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EgressRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub action: String,
    pub to: Vec<EgressPeer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocols: Option<Vec<ProtocolMatch>>,
}

/// Exactly one field set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressPeer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<LabelSelector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods: Option<NamespacedPod>,
}

/// Exactly one field set. `nodes` and `domainNames` (experimental) are read
/// so that a reader can refuse them; npc never writes them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EgressPeer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<LabelSelector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods: Option<NamespacedPod>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub networks: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<LabelSelector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_names: Option<Vec<String>>,
}

/// One entry of `protocols`: exactly one field set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtocolMatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<ProtocolPorts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub udp: Option<ProtocolPorts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sctp: Option<ProtocolPorts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_named_port: Option<String>,
}

/// `tcp`/`udp`/`sctp`: at least one field (the API has only this one).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtocolPorts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_port: Option<Port>,
}

/// Exactly one of `number` and `range`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Port {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<PortRange>,
}

/// Inclusive, `start < end`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortRange {
    pub start: i32,
    pub end: i32,
}

// ------------------------------------------------------------------ v1alpha1

/// `policy.networking.k8s.io/v1alpha1` AdminNetworkPolicy.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminNetworkPolicy {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: AdminNetworkPolicySpec,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminNetworkPolicySpec {
    pub priority: i32,
    pub subject: Subject,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<Vec<V1Alpha1IngressRule>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress: Option<Vec<V1Alpha1EgressRule>>,
}

/// `policy.networking.k8s.io/v1alpha1` BaselineAdminNetworkPolicy (one per
/// cluster, named `default`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BaselineAdminNetworkPolicy {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: BaselineAdminNetworkPolicySpec,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BaselineAdminNetworkPolicySpec {
    pub subject: Subject,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<Vec<V1Alpha1IngressRule>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress: Option<Vec<V1Alpha1EgressRule>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct V1Alpha1IngressRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `Allow`, `Deny` or `Pass` (`Pass` not in a baseline).
    pub action: String,
    pub from: Vec<IngressPeer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<V1Alpha1Port>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct V1Alpha1EgressRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub action: String,
    pub to: Vec<EgressPeer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<V1Alpha1Port>>,
}

/// One entry of v1alpha1 `ports`: exactly one field set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct V1Alpha1Port {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_number: Option<V1Alpha1PortNumber>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub named_port: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_range: Option<V1Alpha1PortRange>,
}

/// `protocol` defaults to `TCP` (the CRD's default, which the API server
/// applies; a manifest may leave it out).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct V1Alpha1PortNumber {
    #[serde(default = "default_protocol")]
    pub protocol: String,
    pub port: i32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct V1Alpha1PortRange {
    #[serde(default = "default_protocol")]
    pub protocol: String,
    pub start: i32,
    pub end: i32,
}

fn default_protocol() -> String {
    "TCP".to_string()
}

// ------------------------------------------------------------------ objects

/// One cluster-scoped policy object of either version.
#[derive(Clone, Debug, PartialEq)]
pub enum ClusterObject {
    Cluster(ClusterNetworkPolicy),
    Admin(AdminNetworkPolicy),
    Baseline(BaselineAdminNetworkPolicy),
}

impl ClusterObject {
    pub fn metadata(&self) -> &ObjectMeta {
        match self {
            ClusterObject::Cluster(p) => &p.metadata,
            ClusterObject::Admin(p) => &p.metadata,
            ClusterObject::Baseline(p) => &p.metadata,
        }
    }

    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or("")
    }

    pub fn kind(&self) -> &'static str {
        match self {
            ClusterObject::Cluster(_) => CLUSTER_NETWORK_POLICY_KIND,
            ClusterObject::Admin(_) => ADMIN_NETWORK_POLICY_KIND,
            ClusterObject::Baseline(_) => BASELINE_ADMIN_NETWORK_POLICY_KIND,
        }
    }

    /// The tier the object belongs to.
    pub fn tier(&self) -> Option<Tier> {
        match self {
            ClusterObject::Cluster(p) => match p.spec.tier.as_str() {
                "Admin" => Some(Tier::Admin),
                "Baseline" => Some(Tier::Baseline),
                _ => None,
            },
            ClusterObject::Admin(_) => Some(Tier::Admin),
            ClusterObject::Baseline(_) => Some(Tier::Baseline),
        }
    }

    /// The priority within the tier (a BaselineAdminNetworkPolicy has none: 0).
    pub fn priority(&self) -> i32 {
        match self {
            ClusterObject::Cluster(p) => p.spec.priority,
            ClusterObject::Admin(p) => p.spec.priority,
            ClusterObject::Baseline(_) => 0,
        }
    }

    /// The object as serde writes it (keys sorted).
    pub fn to_json(&self) -> Result<serde_json::Value, serde_json::Error> {
        match self {
            ClusterObject::Cluster(p) => serde_json::to_value(p),
            ClusterObject::Admin(p) => serde_json::to_value(p),
            ClusterObject::Baseline(p) => serde_json::to_value(p),
        }
    }

    /// Reads an object of one of the kinds (by `kind`); `None` for other kinds.
    pub fn from_json(value: &serde_json::Value) -> Option<Result<ClusterObject, String>> {
        let kind = value.get("kind")?.as_str()?;
        let read = |v: &serde_json::Value| -> Result<ClusterObject, String> {
            let err = |e: serde_json::Error| e.to_string();
            Ok(match kind {
                CLUSTER_NETWORK_POLICY_KIND => {
                    ClusterObject::Cluster(serde_json::from_value(v.clone()).map_err(err)?)
                }
                ADMIN_NETWORK_POLICY_KIND => {
                    ClusterObject::Admin(serde_json::from_value(v.clone()).map_err(err)?)
                }
                _ => ClusterObject::Baseline(serde_json::from_value(v.clone()).map_err(err)?),
            })
        };
        KINDS.contains(&kind).then(|| read(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_read_back_as_written() {
        let policy = ClusterNetworkPolicy {
            api_version: V1ALPHA2.to_string(),
            kind: CLUSTER_NETWORK_POLICY_KIND.to_string(),
            metadata: ObjectMeta {
                name: Some("admin-cluster".to_string()),
                ..ObjectMeta::default()
            },
            spec: ClusterNetworkPolicySpec {
                tier: "Admin".to_string(),
                priority: 3,
                subject: Subject {
                    namespaces: Some(LabelSelector::default()),
                    pods: None,
                },
                ingress: None,
                egress: Some(vec![EgressRule {
                    name: None,
                    action: "Deny".to_string(),
                    to: vec![EgressPeer {
                        networks: Some(vec!["0.0.0.0/0".to_string()]),
                        ..EgressPeer::default()
                    }],
                    protocols: Some(vec![ProtocolMatch {
                        udp: Some(ProtocolPorts {
                            destination_port: Some(Port {
                                number: Some(53),
                                range: None,
                            }),
                        }),
                        ..ProtocolMatch::default()
                    }]),
                }]),
            },
        };
        let object = ClusterObject::Cluster(policy);
        let value = object.to_json().unwrap();
        assert_eq!(
            value["spec"]["egress"][0]["protocols"][0]["udp"]["destinationPort"]["number"],
            53
        );
        assert!(value["spec"].get("ingress").is_none());
        let back = ClusterObject::from_json(&value).unwrap().unwrap();
        assert_eq!(back, object);
        assert_eq!(back.tier(), Some(Tier::Admin));
        assert!(ClusterObject::from_json(&serde_json::json!({"kind": "Pod"})).is_none());
    }
}
