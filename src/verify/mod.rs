//! Compile-time verification: `expect` lines checked against the emitted
//! policies, explanations of single connections, and checks against a
//! cluster inventory.
//!
//! | entry | used by | does |
//! |---|---|---|
//! | [`expectations`] | `npc::compile` (after emit) | E029 for every `expect` line that does not hold between representative endpoints |
//! | [`cluster::check`] | `npc check --inventory` | E029 between real pods; label hygiene warnings W006–W009 |
//! | [`explain::explain`] | `npc explain` | the verdict and trace of one connection |

pub mod cluster;
pub mod describe;
pub mod expect;
pub mod explain;
pub mod inventory;
pub mod tiers;
pub mod trace;

pub use tiers::contradictions;

use k8s_openapi::api::networking::v1::NetworkPolicy;

use crate::diagnostic::{codes, Diagnostic, Diagnostics};
use crate::emit::Provenance;
use crate::eval::PolicySet;
use crate::ir::Program;
use crate::regions;
use crate::source::SourceMap;

use expect::Checker;
use trace::Tracer;

/// Checks every `expect` line of the program against the emitted policies,
/// for every pod and address its endpoints can denote: one representative
/// per region the policies can tell apart (see `regions` and
/// `docs/verify.md`).
pub fn expectations(
    program: &Program,
    policies: &[NetworkPolicy],
    cilium: &[crate::k8s::cilium::CiliumNetworkPolicy],
    provenance: &Provenance,
    sources: &SourceMap,
) -> Diagnostics {
    if program.expectations.is_empty() {
        return Diagnostics::default();
    }
    let set = PolicySet::from_slice(policies).and_then(|mut set| {
        set.extend_cilium(cilium)?;
        Ok(set)
    });
    match set {
        Ok(set) => {
            let index = regions::Index::of(&set);
            expectations_in(program, &set, &index, provenance, sources)
        }
        Err(e) => {
            let mut diags = Diagnostics::default();
            for x in &program.expectations {
                diags.push(unevaluable(x.span, &e.to_string()));
            }
            diags
        }
    }
}

/// [`expectations`] against policies already indexed for evaluation and
/// indexed for their regions (a build does both to each namespace's policies as it
/// emits them).
pub fn expectations_in(
    program: &Program,
    set: &PolicySet,
    index: &regions::Index,
    provenance: &Provenance,
    sources: &SourceMap,
) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let checker = Checker {
        set,
        tracer: Tracer {
            program,
            provenance,
            sources,
        },
    };
    let mut splitter = regions::Splitter::new(program, index);
    for e in &program.expectations {
        let plan = match splitter.plan(e) {
            Ok(plan) => plan,
            Err(regions::TooManyRegions) => {
                diags.push(
                    Diagnostic::new(
                        codes::EXPECTATION_FAILED,
                        e.span,
                        "this expectation covers too many kinds of pods to check them all",
                    )
                    .with_primary(format!(
                        "more than {} regions to check",
                        regions::MAX_REGIONS
                    ))
                    .with_note("an expectation must hold for every pod and address its endpoints can denote; npc checks one of each kind the policies tell apart, and refuses to check a sample")
                    .with_help("narrow the endpoints (a namespace, a workload, fewer labels left open)"),
                );
                continue;
            }
        };
        if plan.sources.is_empty() || plan.destinations.is_empty() {
            diags.push(
                Diagnostic::new(
                    codes::EXPECTATION_FAILED,
                    e.span,
                    "this expectation names an endpoint with no representative",
                )
                .with_primary("no pod or address satisfies this endpoint")
                .with_help(
                    "an address range needs at least one address outside its `except` ranges",
                ),
            );
            continue;
        }
        if let Some(d) = checker.check(e, &plan.sources, &plan.destinations) {
            diags.push(d);
        }
    }
    diags
}

/// The emitted policies could not be read back: a compiler defect.
pub fn unevaluable(span: crate::source::Span, why: &str) -> Diagnostic {
    Diagnostic::new(
        codes::EXPECTATION_FAILED,
        span,
        "the emitted policies cannot be evaluated",
    )
    .with_note(why.to_string())
    .with_help("this is a defect in npc; please report it with the program")
}
