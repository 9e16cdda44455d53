//! Kustomization settings that silently change what generated NetworkPolicies
//! allow: `namespace:`, `commonLabels:` and `labels:` with `includeSelectors`.
//! npc can see the kustomization that lists its generator (and, in KRM mode,
//! `Kustomization` items); overlays further up stay invisible, so
//! `docs/kustomize.md` documents the same traps for people.

use std::collections::BTreeSet;
use std::path::Path;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde_yaml::Value;

use super::config::SelectorForm;
use super::Problem;

/// The kustomization file names kustomize accepts, in its order of preference.
pub const KUSTOMIZATION_FILES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Reads the kustomization in `dir`, if there is one that parses.
pub fn read_kustomization(dir: &Path) -> Option<(String, Value)> {
    KUSTOMIZATION_FILES.iter().find_map(|name| {
        let text = std::fs::read_to_string(dir.join(name)).ok()?;
        let value = serde_yaml::from_str(&text).ok()?;
        Some(((*name).to_string(), value))
    })
}

/// The problems a kustomization would cause for these policies.
pub fn check(
    kustomization: &Value,
    file: &str,
    policies: &[NetworkPolicy],
    form: SelectorForm,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let Some(ns) = kustomization.get("namespace").and_then(Value::as_str) {
        let moved: BTreeSet<&str> = policies
            .iter()
            .filter_map(|p| p.metadata.namespace.as_deref())
            .filter(|n| !ns.is_empty() && *n != ns)
            .collect();
        if !moved.is_empty() {
            let list = moved
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ");
            problems.push(
                Problem::new(format!(
                    "`{file}` sets `namespace: {ns}`, which would move the policies of {list} into `{ns}`"
                ))
                .with_help(format!(
                    "remove `namespace:` from `{file}` (npc places every policy in the namespace its NPL declares), or move the generator into a kustomization without it"
                )),
            );
        }
    }
    if form == SelectorForm::MatchLabels {
        let common = kustomization
            .get("commonLabels")
            .and_then(Value::as_mapping)
            .is_some_and(|m| !m.is_empty());
        if common {
            problems.push(
                Problem::new(format!(
                    "`{file}` sets `commonLabels`, which kustomize adds to the pod selectors of every NetworkPolicy, changing which pods they select and admit"
                ))
                .with_help(format!(
                    "in `{file}`, write `labels: [{{pairs: {{...}}}}]` without `includeSelectors`, or set `spec.selectorForm: matchExpressions` in the generator so kustomize leaves the selectors alone"
                )),
            );
        }
        let includes = kustomization
            .get("labels")
            .and_then(Value::as_sequence)
            .is_some_and(|entries| {
                entries.iter().any(|e| {
                    e.get("includeSelectors").and_then(Value::as_bool) == Some(true)
                        && e.get("pairs")
                            .and_then(Value::as_mapping)
                            .is_some_and(|m| !m.is_empty())
                })
            });
        if includes {
            problems.push(
                Problem::new(format!(
                    "`{file}` sets `labels` with `includeSelectors: true`, which kustomize adds to the pod selectors of every NetworkPolicy, changing which pods they select and admit"
                ))
                .with_help(format!(
                    "in `{file}`, remove `includeSelectors: true`, or set `spec.selectorForm: matchExpressions` in the generator so kustomize leaves the selectors alone"
                )),
            );
        }
    }
    for p in &mut problems {
        p.file = Some(file.to_string());
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn policy(ns: &str) -> NetworkPolicy {
        NetworkPolicy {
            metadata: ObjectMeta {
                name: Some("p".into()),
                namespace: Some(ns.into()),
                ..ObjectMeta::default()
            },
            spec: None,
        }
    }

    fn k(text: &str) -> Value {
        serde_yaml::from_str(text).unwrap()
    }

    #[test]
    fn namespace_is_a_problem_only_when_it_moves_something() {
        let ps = [policy("web")];
        assert!(check(&k("namespace: web"), "k", &ps, SelectorForm::MatchLabels).is_empty());
        let p = check(&k("namespace: prod"), "k", &ps, SelectorForm::MatchLabels);
        assert_eq!(p.len(), 1);
        assert!(
            p[0].message.contains("`web` into `prod`"),
            "{}",
            p[0].message
        );
    }

    #[test]
    fn selector_labels_are_problems_unless_match_expressions() {
        let ps = [policy("web")];
        for text in [
            "commonLabels: {env: prod}",
            "labels: [{pairs: {env: prod}, includeSelectors: true}]",
        ] {
            assert_eq!(
                check(&k(text), "k", &ps, SelectorForm::MatchLabels).len(),
                1
            );
            assert!(check(&k(text), "k", &ps, SelectorForm::MatchExpressions).is_empty());
        }
        assert!(check(
            &k("labels: [{pairs: {env: prod}}]"),
            "k",
            &ps,
            SelectorForm::MatchLabels
        )
        .is_empty());
    }
}
