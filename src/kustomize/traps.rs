//! Kustomization settings that silently change what generated NetworkPolicies
//! allow: `namespace:`, `commonLabels:` and `labels:` with `includeSelectors`.
//! npc can see the kustomization that lists its generator (and, in KRM mode,
//! `Kustomization` items); overlays further up stay invisible, so
//! `docs/kustomize.md` documents the same traps for people.
//!
//! A kustomization is read as kustomize reads it, or refused: merge keys
//! (`<<`) resolved as go-yaml v2 resolves them (nested, in order, each
//! entry replacing the one before: `k8s::yaml::read::resolve_merge_keys`),
//! a byte-order mark skipped, YAML 1.1 booleans
//! (`includeSelectors: yes`), and field names matched without regard to case,
//! as Go's `encoding/json` matches them (kustomize decodes through it:
//! `Namespace:`, `NAMESPACE:` and `nameſpace:` all set the namespace). A
//! duplicate key, a second document or invalid YAML is an error naming the
//! file, never a check silently skipped.

use std::collections::BTreeSet;
use std::path::Path;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde_yaml::Value;

use super::config::SelectorForm;
use crate::error::{Error, ErrorKind};
use crate::files::{self, MAX_MANIFEST_BYTES};
use crate::k8s::cluster_policy::ClusterObject;
use crate::k8s::yaml::yaml11_bool;

/// The kustomization file names kustomize accepts, in its order of preference.
pub const KUSTOMIZATION_FILES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Reads the kustomization in `dir`: `None` when there is none, an error
/// when there is one that cannot be read as kustomize would read it.
pub fn read_kustomization(dir: &Path) -> Result<Option<(String, Value)>, Error> {
    for name in KUSTOMIZATION_FILES {
        let path = dir.join(name);
        if std::fs::symlink_metadata(&path).is_err() {
            continue;
        }
        let text = files::read_text(&path, MAX_MANIFEST_BYTES)?;
        let value = parse_kustomization(&text, name)?;
        return Ok(Some((name.to_string(), value)));
    }
    Ok(None)
}

/// Parses the text of the kustomization file `name`.
pub fn parse_kustomization(text: &str, name: &str) -> Result<Value, Error> {
    let unreadable = |e: Error| {
        Error {
        message: format!(
            "cannot read the kustomization `{name}` as kustomize would: {}",
            e.message
        ),
        help: Some(
            "fix the file so that it is one YAML object without duplicate keys; npc refuses to guess which settings kustomize applies"
                .to_string(),
        ),
        ..e
    }
    };
    let value = super::read_one_document(text, name).map_err(unreadable)?;
    match value {
        Value::Mapping(_) | Value::Null => Ok(value),
        _ => Err(unreadable(
            Error::config("it is not a YAML mapping").in_file(name),
        )),
    }
}

/// Go's case folding for field names (`bytes.EqualFold`): ASCII case, plus
/// `ſ` (long s) for `s` and the Kelvin sign for `k`.
fn same_field(key: &str, field: &str) -> bool {
    let fold = |c: char| match c {
        'ſ' => 's',
        '\u{212A}' => 'k',
        c => c.to_ascii_lowercase(),
    };
    key.chars().map(fold).eq(field.chars().map(fold))
}

/// Every value of `map` whose key is `field` to kustomize (duplicates in
/// another case included: npc checks them all).
fn fields<'a>(map: &'a Value, field: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    map.as_mapping().into_iter().flat_map(move |m| {
        m.iter()
            .filter(move |(k, _)| k.as_str().is_some_and(|k| same_field(k, field)))
            .map(|(_, v)| v)
    })
}

fn problem(file: &str, message: String, help: String) -> Error {
    Error::new(ErrorKind::Kustomization, message)
        .with_help(help)
        .in_file(file)
}

fn not_readable(file: &str, field: &str) -> Error {
    Error::config(format!(
        "cannot read the kustomization `{file}` as kustomize would: `{field}` has an unexpected type"
    ))
    .in_file(file)
}

/// The problems a kustomization would cause for these policies; an error
/// when a setting has a form npc cannot judge.
pub fn check(
    kustomization: &Value,
    file: &str,
    policies: &[NetworkPolicy],
    form: SelectorForm,
) -> Result<Vec<Error>, Error> {
    check_with_cilium(kustomization, file, policies, &[], form)
}

/// [`check`] for NetworkPolicies and CiliumNetworkPolicies. kustomize sets
/// `namespace:` on every object of a kind it does not know, so it moves a
/// CiliumNetworkPolicy as it moves a NetworkPolicy; it knows no selector
/// fields of that kind, so `commonLabels` and `includeSelectors` leave its
/// selectors alone.
pub fn check_with_cilium(
    kustomization: &Value,
    file: &str,
    policies: &[NetworkPolicy],
    cilium: &[crate::k8s::cilium::CiliumNetworkPolicy],
    form: SelectorForm,
) -> Result<Vec<Error>, Error> {
    let mut problems = Vec::new();
    for value in fields(kustomization, "namespace") {
        let ns = match value {
            Value::Null => continue,
            Value::String(s) => s.as_str(),
            _ => return Err(not_readable(file, "namespace")),
        };
        let moved: BTreeSet<&str> = policies
            .iter()
            .filter_map(|p| p.metadata.namespace.as_deref())
            .chain(cilium.iter().map(|p| p.namespace()))
            .filter(|n| !ns.is_empty() && *n != ns)
            .collect();
        if !moved.is_empty() {
            let list = moved
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ");
            problems.push(problem(
                file,
                format!("`{file}` sets `namespace: {ns}`, which would move the policies of {list} into `{ns}`"),
                format!("remove `namespace:` from `{file}` (npc places every policy in the namespace its NPL declares), or move the generator into a kustomization without it"),
            ));
        }
    }
    if form == SelectorForm::MatchLabels {
        let mut common = false;
        for value in fields(kustomization, "commonLabels") {
            match value {
                Value::Null => {}
                Value::Mapping(m) => common |= !m.is_empty(),
                _ => return Err(not_readable(file, "commonLabels")),
            }
        }
        if common {
            problems.push(problem(
                file,
                format!("`{file}` sets `commonLabels`, which kustomize adds to the pod selectors of every NetworkPolicy, changing which pods they select and admit"),
                format!("in `{file}`, write `labels: [{{pairs: {{...}}}}]` without `includeSelectors`, or set `spec.selectorForm: matchExpressions` in the generator so kustomize leaves the selectors alone"),
            ));
        }
        if includes_selectors(kustomization, file)? {
            problems.push(problem(
                file,
                format!("`{file}` sets `labels` with `includeSelectors: true`, which kustomize adds to the pod selectors of every NetworkPolicy, changing which pods they select and admit"),
                format!("in `{file}`, remove `includeSelectors: true`, or set `spec.selectorForm: matchExpressions` in the generator so kustomize leaves the selectors alone"),
            ));
        }
    }
    Ok(problems)
}

/// The problems a kustomization would cause for cluster-scoped objects:
/// kustomize stamps `namespace:` on every kind it does not know to be
/// cluster-scoped, ClusterNetworkPolicy and its predecessors included, and
/// the API server then refuses them (or a tool in between drops them).
pub fn check_cluster(
    kustomization: &Value,
    file: &str,
    cluster: &[ClusterObject],
) -> Result<Vec<Error>, Error> {
    let Some(first) = cluster.first() else {
        return Ok(Vec::new());
    };
    let mut problems = Vec::new();
    for value in fields(kustomization, "namespace") {
        let ns = match value {
            Value::Null => continue,
            Value::String(s) => s.as_str(),
            _ => return Err(not_readable(file, "namespace")),
        };
        if ns.is_empty() {
            continue;
        }
        problems.push(problem(
            file,
            format!(
                "`{file}` sets `namespace: {ns}`, which kustomize would write into the cluster-scoped {} `{}`{}",
                first.kind(),
                first.name(),
                if cluster.len() > 1 {
                    format!(" and {} more cluster policies", cluster.len() - 1)
                } else {
                    String::new()
                }
            ),
            format!("kustomize does not know these kinds are cluster-scoped; remove `namespace:` from `{file}`, or move the generator into a kustomization without it"),
        ));
    }
    Ok(problems)
}

/// Whether a `labels` entry with pairs has `includeSelectors` true (in any
/// spelling YAML 1.1 reads as true).
fn includes_selectors(kustomization: &Value, file: &str) -> Result<bool, Error> {
    let mut found = false;
    for labels in fields(kustomization, "labels") {
        let entries = match labels {
            Value::Null => continue,
            Value::Sequence(entries) => entries,
            _ => return Err(not_readable(file, "labels")),
        };
        for entry in entries {
            let mut include = false;
            for v in fields(entry, "includeSelectors") {
                match yaml11_bool(v) {
                    Some(b) => include |= b,
                    None if v.is_null() => {}
                    None => return Err(not_readable(file, "labels.includeSelectors")),
                }
            }
            let pairs =
                fields(entry, "pairs").any(|p| p.as_mapping().is_some_and(|m| !m.is_empty()));
            found |= include && pairs;
        }
    }
    Ok(found)
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
        parse_kustomization(text, "k").unwrap()
    }

    fn problems(text: &str, form: SelectorForm) -> Vec<Error> {
        check(&k(text), "k", &[policy("web")], form).unwrap()
    }

    #[test]
    fn namespace_is_a_problem_only_when_it_moves_something() {
        assert!(problems("namespace: web", SelectorForm::MatchLabels).is_empty());
        let p = problems("namespace: prod", SelectorForm::MatchLabels);
        assert_eq!(p.len(), 1);
        assert!(
            p[0].message.contains("`web` into `prod`"),
            "{}",
            p[0].message
        );
    }

    #[test]
    fn selector_labels_are_problems_unless_match_expressions() {
        for text in [
            "commonLabels: {env: prod}",
            "labels: [{pairs: {env: prod}, includeSelectors: true}]",
            "labels: [{pairs: {env: prod}, includeSelectors: yes}]",
            "LABELS: [{PAIRS: {env: prod}, includeselectors: On}]",
        ] {
            assert_eq!(problems(text, SelectorForm::MatchLabels).len(), 1, "{text}");
            assert!(problems(text, SelectorForm::MatchExpressions).is_empty());
        }
        assert!(problems("labels: [{pairs: {env: prod}}]", SelectorForm::MatchLabels).is_empty());
    }

    #[test]
    fn namespace_moves_cilium_policies_too() {
        let cnp = crate::k8s::cilium::CiliumNetworkPolicy::new(
            ObjectMeta {
                name: Some("api".into()),
                namespace: Some("payments".into()),
                ..ObjectMeta::default()
            },
            crate::k8s::cilium::Spec::default(),
        );
        let found = check_with_cilium(
            &k("namespace: web"),
            "k",
            &[policy("web")],
            &[cnp],
            SelectorForm::MatchLabels,
        )
        .unwrap();
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.contains("`payments` into `web`"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn field_names_fold_as_go_folds_them() {
        assert!(same_field("nameſpace", "namespace"));
        assert!(same_field("NameSpace", "namespace"));
        assert!(!same_field("namespaces", "namespace"));
        assert!(!same_field("name_space", "namespace"));
    }

    #[test]
    fn settings_of_an_unexpected_type_are_errors() {
        for text in ["namespace: [prod]", "commonLabels: [a]", "labels: {a: b}"] {
            assert!(
                check(&k(text), "k", &[policy("web")], SelectorForm::MatchLabels).is_err(),
                "{text}"
            );
        }
    }
}
