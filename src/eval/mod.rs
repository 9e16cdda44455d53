//! The NetworkPolicy evaluator: which connections a set of emitted policies allows.
//!
//! The evaluator reads `networking.k8s.io/v1` NetworkPolicy objects (the
//! compiler's output, or hand-written YAML), never compiler internals, and
//! answers two questions for a pair of endpoints:
//!
//! * [`PolicySet::evaluate`]: is one (protocol, port) allowed, and which
//!   policies and rules decided it (a [`Verdict`] with a trace per side);
//! * [`PolicySet::allowed_ports`]: the exact set of allowed (protocol, port)
//!   pairs, as sorted disjoint ranges (a [`PortSet`]).
//!
//! [`PolicySet::matrix`] computes `allowed_ports` for every ordered pair of a
//! pod inventory, reusing per-pod and per-rule precomputation;
//! [`PolicySet::side_matrices`] gives each side (egress, ingress) apart.
//! [`PolicySet::views`] lets checks ask which pods a policy, a rule or a
//! peer selects, with the same semantics.
//!
//! Semantics follow the Kubernetes API documentation:
//! * a pod selected by no policy of a direction is open in that direction;
//!   once selected, only the union of the selecting policies' rules is allowed;
//! * a connection needs the source's egress and the destination's ingress;
//! * omitted (or empty) `policyTypes` defaults to Ingress, plus Egress when the
//!   policy has at least one egress rule;
//! * a missing or empty `from`/`to` matches every peer (pods and addresses);
//!   a missing or empty `ports` matches every port of every protocol;
//! * a peer's `namespaceSelector` and `podSelector` are ANDed; a `podSelector`
//!   alone means the policy's namespace; a `namespaceSelector` alone means all
//!   pods of the matching namespaces;
//! * every namespace carries `kubernetes.io/metadata.name: <name>`, added by
//!   the evaluator when the caller did not declare it;
//! * named ports are resolved against the destination pod's declared container
//!   ports (name and protocol must both match), for egress rules too; an IP
//!   destination declares no ports, so named ports never match it.
//!
//! Modelling choices:
//! * an `ipBlock` matches [`Endpoint::Ip`] addresses, and a pod endpoint
//!   only through the addresses the pod carries ([`Pod::ips`], known from
//!   a cluster dump's `status.podIPs`): a pod without addresses is matched
//!   by no `ipBlock` (Kubernetes leaves that to the CNI), a pod with one is
//!   matched as the Kubernetes e2e suite expects. Callers decide by what
//!   they put in the pod, never by a switch: the compiler's `expect` check
//!   and its representative pods carry no address;
//! * CiliumNetworkPolicies npc writes are read too ([`PolicySet::extend_cilium`],
//!   `eval::cilium`): their egress rules join those of the NetworkPolicies
//!   that select the same pod; a `toFQDNs` entry matches an
//!   [`Endpoint::Name`] by its name, never an address or a pod; an
//!   `ipBlock` matches the address of an [`Endpoint::Name`];
//! * an IP endpoint has no policies of its own: its side is never isolated;
//! * only TCP, UDP and SCTP are modelled; a rule without `ports` also allows
//!   other protocols (ICMP, ...) in a real cluster, which a [`PortSet`] cannot
//!   express.

mod cilium;
mod endpoint;
mod error;
mod matrix;
mod policy;
mod policy_set;
mod ports;
mod portset;
mod selector;
mod tiers;
mod view;

pub use crate::k8s::Direction;
pub use crate::k8s::Protocol;
pub use endpoint::{Endpoint, NamedPort, Pod};
pub use error::{PolicyError, PolicyErrors};
pub use matrix::{PortMatrix, SideMatrices};
pub use policy::{CompiledPolicy, PolicyKind};
pub use policy_set::{PolicyId, PolicyName, PolicySet, RuleRef, Side, Verdict};
pub use ports::PortEntry;
pub use portset::{PortRange, PortSet};
pub use tiers::{RuleOutcome, Step, TierMatch, TierPolicyView};
pub use view::{PeerKind, PeerView, PolicyView, RuleView};
