//! Kinds `npc import` does not convert: cluster policies (`admin` and
//! `baseline` blocks are not written from existing objects) and
//! CiliumNetworkPolicies (names are not written). A program proven
//! equivalent to the NetworkPolicies alone would be wrong wherever these
//! decide, so their presence refuses the import.

use crate::diagnostic::{codes, Diagnostic};
use crate::manifest::Manifests;

/// One E105 per cluster policy and CiliumNetworkPolicy of the input:
/// import writes neither `admin` and `baseline` blocks nor names.
pub fn refused_kinds(manifests: &Manifests) -> Vec<Diagnostic> {
    let cilium = manifests.cilium.iter().map(|p| {
        Diagnostic::new(
            codes::UNREAD_POLICY_KIND,
            p.origin.span,
            format!(
                "CiliumNetworkPolicy `{}` is not imported: a program without it would not be equivalent",
                crate::k8s::escape_controls(&p.key())
            ),
        )
        .with_primary("not imported")
        .with_note("`npc import` writes namespace blocks from NetworkPolicies; Cilium enforces its policies together with them, so the proof of equivalence would ignore what they allow")
        .with_help("import the NetworkPolicies without Cilium's policies and write egress to names as `allow` statements with `set cni = cilium`; `npc analyze` reads both together")
    });
    let cluster = manifests
        .cluster
        .iter()
        .map(|p| {
            Diagnostic::new(
                codes::UNREAD_POLICY_KIND,
                p.origin.span,
                format!(
                    "{} `{}` is not imported: a program without it would not be equivalent",
                    p.object.kind(),
                    crate::k8s::escape_controls(p.object.name())
                ),
            )
            .with_primary("not imported")
            .with_note("`npc import` writes namespace blocks from NetworkPolicies; cluster policies decide before them (admin tier) and after them (baseline tier), so the proof of equivalence would ignore what they allow or deny")
            .with_help("import the NetworkPolicies without the cluster policies (a file or directory of their own) and write the cluster policies as `admin` and `baseline` blocks by hand; `npc analyze` reads both together")
        });
    cluster.chain(cilium).collect()
}
