//! The Kubernetes vocabulary, on the ground floor: protocols, IP blocks,
//! well-known labels and annotations, naming rules and YAML scalars that
//! every reader agrees on. Every other module stands on this one; it imports
//! nothing of the crate.

pub mod cidr;
pub mod cilium;
pub mod cluster_policy;
pub mod direction;
pub mod dns_name;
pub mod json;
pub mod labels;
pub mod names;
pub mod object;
pub mod protocol;
pub mod selector;
pub mod text;
mod tld;
pub mod yaml;

pub use cidr::{Cidr, IpBlock};
pub use direction::Direction;
pub use dns_name::DnsName;
pub use labels::Labels;
pub use protocol::Protocol;
pub use selector::{Operator, Requirement, Selector};
pub use text::{control_pictures, escape_controls, escape_controls_in_lines};

/// The label every namespace carries with its own name (Kubernetes 1.21+).
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";
/// The label on every object npc emits, and its value.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY_VALUE: &str = "npc";
/// The annotation listing the `.npl` lines (`file:line`) an object came from.
pub const SOURCE_ANNOTATION: &str = "npc.dev/source";
/// `apiVersion` and `kind` of a NetworkPolicy.
pub const NETWORK_POLICY_API_VERSION: &str = "networking.k8s.io/v1";
pub const NETWORK_POLICY_KIND: &str = "NetworkPolicy";
