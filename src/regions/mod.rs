//! Regions: every pod or address an endpoint can denote, partitioned by
//! what a set of policies can tell apart, with one representative per
//! region. The evaluator (`eval`) says what policies allow between two
//! endpoints; this module says which endpoints are worth asking about.
//! `verify` (expectations, tier contradictions, `explain`), `import` (the
//! universe an import is compared over), `diff --semantic` and `graph`
//! use it.
//!
//! | part | owns |
//! |---|---|
//! | [`Index`] (`index.rs`) | what the policies tell apart, gathered once per policy set (read through the evaluator's views) or namespace by namespace as a build emits them: the selector index (namespace selectors, the pod selectors that concern each namespace), namespace names, address bounds, the ports of the rules about each pod |
//! | [`Bounds`] (`bounds.rs`) | address bounds and one address per stretch between them |
//! | [`label_classes`] (`labels.rs`) | label assignments, one per combination of selector verdicts |
//! | [`Splitter`] (`split.rs`) | the regions of both endpoints of an `expect` line |
//! | [`port_classes`] | named ports as regions: the classes of numbers numbered rules tell apart |
//! | [`representative`] | representative endpoints and how notes name them |
//! | [`names`] | DNS names: what CiliumNetworkPolicies tell apart, the representatives of names |
//!
//! An expectation is universal: `expect deny */x -> web/a:80` holds only if
//! no pod labelled `app=x` in any namespace reaches `web/a` on 80. Two pods
//! behave the same under a set of policies when every selector and every
//! `ipBlock` of those policies treats them the same, so it is enough to
//! check one pod per combination of selector verdicts:
//!
//! * a namespace is a managed one (its declared labels are its labels), or
//!   an undeclared one: any name the policies mention, or a fresh one, with
//!   any labels; its labels are split by the values that namespace
//!   selectors mention (each value, another value, no label);
//! * a pod's labels are split likewise by the pod selectors that concern
//!   its namespace (the podSelectors of policies there and the peers that
//!   can match pods there);
//! * a destination may declare any named port of the rules that can decide
//!   a flow to it from a source (`port_classes::PortTargets`), at a number
//!   in any class of numbers the numbered ports of those rules (and the
//!   ports asked about) tell apart, or not at all ([`port_classes`]: a pod
//!   cannot listen on one port twice, so several names, each in its own
//!   class, are checked on one pod);
//! * an address range is split at every bound of every `ipBlock` and
//!   `except`.
//!
//! The enumeration is bounded ([`MAX_REGIONS`]); an endpoint with more
//! regions than that is reported instead of checked on a sample.

mod bounds;
mod index;
mod labels;
pub mod names;
pub mod port_classes;
pub mod representative;
mod split;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::k8s::Selector;

pub use bounds::{addresses, Bounds};
pub use index::Index;
pub use labels::{label_classes, Limits};
pub use split::{Regions, Splitter};

/// The most regions one endpoint of one expectation may have.
pub const MAX_REGIONS: usize = 20_000;

/// Why an endpoint was not split into regions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TooManyRegions;

/// A label selector of an API object in its typed form. A selector the
/// API refuses reads as the empty one: the evaluator refuses policies with
/// such selectors before any region is asked for.
pub fn selector(sel: &LabelSelector) -> Selector {
    Selector::from_api(sel).unwrap_or_default()
}
