//! W020: an `allow` or `scrape` whose connection a tier statement denies.
//! The program then contradicts itself: the namespace policy npc writes
//! for the line is never reached, because an admin `deny` comes first, or
//! because a baseline `deny` decides a side no NetworkPolicy isolates.
//!
//! Decided as an `expect allow` of the line's own endpoints would be: for
//! every region of its sources and destinations, by the evaluator, over the
//! emitted objects; a region denied by a tier rule is the counterexample.

use std::collections::BTreeSet;

use super::describe;
use super::expect::required;
use super::trace::{TierTrace, Tracer};
use crate::diagnostic::{codes, Diagnostic, Diagnostics};
use crate::emit::Provenance;
use crate::eval::{PolicySet, Side, Step};
use crate::ir::{Action, Expectation, OriginKind, Ports, Program};
use crate::regions::{Index, Splitter};
use crate::source::{SourceMap, Span};

/// The tier rule that denied a side, if one did.
fn denied_by(side: &Side) -> Option<&crate::eval::TierMatch> {
    match side.step {
        Step::Admin => side.admin.as_ref(),
        Step::Baseline => side.baseline.as_ref(),
        _ => None,
    }
    .filter(|m| m.action == Action::Deny)
}

/// W020 for every `allow` and `scrape` line a tier statement denies in part.
pub fn contradictions(
    program: &Program,
    set: &PolicySet,
    index: &Index,
    provenance: &Provenance,
    sources: &SourceMap,
) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let tracer = Tracer {
        program,
        provenance,
        sources,
    };
    let mut splitter = Splitter::new(program, index);
    // Each (line, tier statement) pair once.
    let mut reported: BTreeSet<(Span, Vec<Span>)> = BTreeSet::new();
    let workload = &program.settings.workload_label;
    'rules: for rule in &program.rules {
        if !matches!(rule.origin.kind, OriginKind::Allow | OriginKind::Scrape) {
            continue;
        }
        for src in &rule.sources {
            for (dst, ports) in &rule.destinations {
                let e = Expectation {
                    allow: true,
                    sources: vec![src.clone()],
                    destinations: vec![dst.clone()],
                    ports: match ports {
                        Ports::All => None,
                        only => Some(only.clone()),
                    },
                    span: rule.origin.span,
                };
                let Ok(plan) = splitter.plan(&e) else {
                    continue;
                };
                for s in plan.sources.iter() {
                    for d in plan.destinations.iter() {
                        let allowed = set.allowed_ports(&s.endpoint, &d.endpoint);
                        let (wanted, _) = required(e.ports.as_ref(), &d.endpoint);
                        let missing = wanted.difference(&allowed);
                        let Some((protocol, port)) = describe::first(&missing) else {
                            continue;
                        };
                        let verdict = set.evaluate(&s.endpoint, &d.endpoint, protocol, port);
                        let deny = [&verdict.egress, &verdict.ingress]
                            .into_iter()
                            .find_map(|side| denied_by(side).map(|m| tracer.tier(m)));
                        let Some(deny) = deny else {
                            continue;
                        };
                        let key = (rule.origin.span, deny.spans.clone());
                        if !reported.insert(key) {
                            continue 'rules;
                        }
                        diags.push(warning(
                            rule.origin.kind,
                            rule.origin.span,
                            &deny,
                            &format!(
                                "{} → {} on {}",
                                s.description(),
                                d.description(),
                                describe::port(protocol, port)
                            ),
                            &describe::peer(src, workload),
                            &describe::peer(dst, workload),
                        ));
                        continue 'rules;
                    }
                }
            }
        }
    }
    diags
}

fn warning(
    kind: OriginKind,
    span: Span,
    deny: &TierTrace,
    example: &str,
    src: &str,
    dst: &str,
) -> Diagnostic {
    let what = if kind == OriginKind::Scrape {
        "`scrape`"
    } else {
        "`allow`"
    };
    let mut d = Diagnostic::new(
        codes::TIER_CONTRADICTS_ALLOW,
        span,
        format!(
            "this {what} is denied by {} `{}` statement: `{src}` → `{dst}` does not connect",
            if deny.tier == "admin" { "an" } else { "a" },
            deny.tier
        ),
    )
    .with_primary("allowed here")
    .with_note(format!("for example {example}"));
    for s in &deny.spans {
        d = d.with_secondary(*s, format!("denied by this {} statement", deny.tier));
    }
    let help = if deny.tier == "admin" {
        "an admin `deny` comes before every namespace's own policies: put an `accept` or `pass` for this traffic before it in the `admin` block, or remove the line that is no longer wanted"
    } else {
        "the baseline decides a side no NetworkPolicy isolates: the `deny` applies because one end of this connection is in a namespace npc does not isolate on that side; declare that namespace (or isolate that side), put an `accept` before the `deny`, or remove the line that is no longer wanted"
    };
    d.with_help(help)
}
