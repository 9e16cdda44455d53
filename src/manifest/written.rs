//! Policies as they are written, for checks about how a rule is written
//! (the AND/OR indentation trap, `from: []`, a port without `protocol`):
//! the compiled form (`eval`) says what a policy means, and forgets these.
//! This is the one reader of a policy's raw `spec.ingress`/`spec.egress`
//! outside the evaluator.

use k8s_openapi::api::networking::v1::{NetworkPolicyPeer, NetworkPolicyPort};

use super::Policy;
use crate::k8s::Direction;

/// One rule of a policy as written.
pub struct RawRule<'p> {
    pub direction: Direction,
    pub index: usize,
    /// `from` / `to`: `None` when the key is missing.
    pub peers: Option<&'p Vec<NetworkPolicyPeer>>,
    pub ports: Option<&'p Vec<NetworkPolicyPort>>,
}

impl RawRule<'_> {
    /// `spec.ingress[0]`
    pub fn path(&self) -> String {
        match self.direction {
            Direction::Ingress => format!("spec.ingress[{}]", self.index),
            Direction::Egress => format!("spec.egress[{}]", self.index),
        }
    }

    pub fn field(&self) -> &'static str {
        match self.direction {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        }
    }

    pub fn peer_path(&self, k: usize) -> String {
        format!("{}.{}[{k}]", self.path(), self.field())
    }
}

/// The rules of a policy as written, ingress first.
pub fn rules(policy: &Policy) -> Vec<RawRule<'_>> {
    let mut out = Vec::new();
    let Some(spec) = policy.object.spec.as_ref() else {
        return out;
    };
    for (index, r) in spec.ingress.iter().flatten().enumerate() {
        out.push(RawRule {
            direction: Direction::Ingress,
            index,
            peers: r.from.as_ref(),
            ports: r.ports.as_ref(),
        });
    }
    for (index, r) in spec.egress.iter().flatten().enumerate() {
        out.push(RawRule {
            direction: Direction::Egress,
            index,
            peers: r.to.as_ref(),
            ports: r.ports.as_ref(),
        });
    }
    out
}
