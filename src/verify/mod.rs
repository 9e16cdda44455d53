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
pub mod representative;
pub mod trace;

use k8s_openapi::api::networking::v1::NetworkPolicy;

use crate::diagnostic::{codes, Diagnostic, Diagnostics};
use crate::emit::Provenance;
use crate::eval::PolicySet;
use crate::ir::Program;
use crate::source::SourceMap;

use expect::Checker;
use representative::{named_ports, representatives};
use trace::Tracer;

/// Checks every `expect` line of the program against the emitted policies,
/// between representative endpoints (see `docs/verify.md`).
pub fn expectations(
    program: &Program,
    policies: &[NetworkPolicy],
    provenance: &Provenance,
    sources: &SourceMap,
) -> Diagnostics {
    if program.expectations.is_empty() {
        return Diagnostics::default();
    }
    match PolicySet::from_slice(policies) {
        Ok(set) => expectations_in(program, &set, provenance, sources),
        Err(e) => {
            let mut diags = Diagnostics::default();
            for x in &program.expectations {
                diags.push(unevaluable(x.span, &e.to_string()));
            }
            diags
        }
    }
}

/// [`expectations`] against policies already indexed for evaluation (a
/// build indexes each namespace's policies as it emits them).
pub fn expectations_in(
    program: &Program,
    set: &PolicySet,
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
    for e in &program.expectations {
        let srcs = representatives(&e.source, program, &[]);
        let named = named_ports(program, e.ports.as_ref());
        let dsts = representatives(&e.destination, program, &named);
        if srcs.is_empty() || dsts.is_empty() {
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
        if let Some(d) = checker.check(e, &srcs, &dsts) {
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
