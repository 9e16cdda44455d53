//! What `npc import` reports beside the program: one E104 per namespace
//! left unconverted (with the hint whether assuming workload ports would
//! convert it), and the kept policies as YAML.

use std::collections::BTreeSet;

use super::{import, Import, ImportError, Settings};
use crate::diagnostic::{codes, Code, Diagnostic, Severity};
use crate::manifest::Manifests;

/// An import and its diagnostics.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub import: Import,
    /// One E104 per namespace left unconverted: an error, or a warning when
    /// the caller keeps such policies beside the program.
    pub diagnostics: Vec<Diagnostic>,
}

/// Imports, and says what was left unconverted: `keep` when the caller
/// writes the unconvertible policies beside the program
/// (`--keep-unconvertible`). When namespaces are left unconverted and the
/// settings do not assume workload ports, the check is made once more with
/// that assumption, to name the namespaces it would convert.
pub fn import_with_diagnostics(
    manifests: &Manifests,
    settings: &Settings,
    keep: bool,
) -> Result<Report, ImportError> {
    let imported = import(manifests, settings)?;
    let mut ported = BTreeSet::new();
    if !imported.unconvertible.is_empty() && !settings.assume_workload_ports {
        let assumed = Settings {
            assume_workload_ports: true,
            ..settings.clone()
        };
        if let Ok(other) = import(manifests, &assumed) {
            let still: BTreeSet<&str> = other
                .unconvertible
                .iter()
                .map(|u| u.namespace.as_str())
                .collect();
            ported.extend(
                imported
                    .unconvertible
                    .iter()
                    .filter(|u| !still.contains(u.namespace.as_str()))
                    .map(|u| u.namespace.clone()),
            );
        }
    }
    let diagnostics = unconvertible(&imported, manifests, keep, &ported);
    Ok(Report {
        import: imported,
        diagnostics,
    })
}

/// One E104 per namespace left unconverted; `ported`: the namespaces that
/// would convert if pods labelled like a workload declared its ports.
fn unconvertible(
    imported: &Import,
    manifests: &Manifests,
    keep: bool,
    ported: &BTreeSet<String>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for u in &imported.unconvertible {
        let policies: Vec<&crate::manifest::Policy> = u
            .policies
            .iter()
            .filter_map(|id| manifests.policy(*id))
            .collect();
        let Some(first) = policies.first() else {
            continue;
        };
        let names: Vec<String> = policies.iter().map(|p| format!("`{}`", p.name())).collect();
        let total = manifests
            .policies
            .iter()
            .filter(|p| p.namespace() == u.namespace)
            .count();
        let (message, primary) = if names.len() == total {
            (
                format!(
                    "the policies of namespace `{}` cannot be written in NPL exactly",
                    u.namespace
                ),
                if names.len() == 1 {
                    "its only policy".to_string()
                } else {
                    format!("one of its {} policies: {}", names.len(), names.join(", "))
                },
            )
        } else {
            (
                format!(
                    "{} of the {total} policies of namespace `{}` cannot be written in NPL exactly",
                    names.len(),
                    u.namespace
                ),
                if names.len() == 1 {
                    "this policy (the program writes the others)".to_string()
                } else {
                    format!(
                        "one of {} (the program writes the others)",
                        names.join(", ")
                    )
                },
            )
        };
        let mut d =
            Diagnostic::new(codes::UNCONVERTIBLE, first.origin.span, message).with_primary(primary);
        for p in policies.iter().skip(1) {
            d = d.with_secondary(p.origin.span, format!("`{}`", p.key()));
        }
        let assumable = ported.contains(&u.namespace);
        if assumable {
            // The blame of the rounds that follow is beside the point.
            d = d.with_note(
                "a rule names a container port that the rule on the other side gives by number: the two agree only for pods that declare that name at that number, and the check also tries pods with the same labels that declare other ports",
            );
        }
        let reasons = if assumable { &[][..] } else { &u.reasons[..] };
        let mut said = BTreeSet::new();
        for r in reasons.iter().filter(|r| said.insert(r.as_str())) {
            d = d.with_note(r.clone());
        }
        let differences = if assumable {
            &[][..]
        } else {
            &u.differences[..]
        };
        for f in differences {
            d = d.with_note(format!(
                "{} -> {}: the input allows {}, the program would allow {}",
                f.src, f.dst, f.input, f.program
            ));
        }
        d = if keep {
            let mut d = d.with_help(
                "these policies are written unchanged beside the program (--keep-unconvertible)",
            );
            d.code = Code {
                severity: Severity::Warning,
                ..d.code
            };
            d
        } else if assumable {
            d.with_help(
                "pass `--assume-workload-ports` to prove the program for pods that declare their workload's container ports (every pod of the input does), or `--keep-unconvertible FILE` to keep these policies as they are (docs/import.md)",
            )
        } else {
            d.with_help(
                "pass `--keep-unconvertible FILE` to keep these policies as they are beside the program (docs/import.md)",
            )
        };
        out.push(d);
    }
    out
}

impl Import {
    /// The kept policies as multi-document YAML, as written less what the
    /// API server fills in (a dump's `resourceVersion` would make a later
    /// apply conflict): `diff::normalize::drop_server_metadata`.
    pub fn kept_yaml(&self) -> Result<String, String> {
        let mut docs = Vec::new();
        for p in &self.kept {
            let mut value =
                serde_json::to_value(p).map_err(|e| format!("cannot write a policy: {e}"))?;
            crate::diff::normalize::drop_server_metadata(&mut value);
            docs.push(crate::k8s::yaml::to_string(
                &crate::k8s::yaml::Node::from_json(&value),
            ));
        }
        Ok(docs.join("---\n"))
    }
}
