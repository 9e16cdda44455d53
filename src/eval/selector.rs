//! Label selectors (`matchLabels` and `matchExpressions`), compiled once.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::error::ErrorSink;
use crate::k8s::{escape_controls, names};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

/// The AND of a selector's requirements; no requirement selects everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Selector {
    requirements: Vec<Requirement>,
}

impl Selector {
    /// The empty selector `{}`: matches every label set.
    pub fn everything() -> Selector {
        Selector::default()
    }

    /// Compiles a selector; keys and values the API server refuses (an
    /// empty or missing key, `a/b/c`, a value with a space) are reported.
    pub fn compile(selector: &LabelSelector, path: &str, sink: &mut ErrorSink<'_>) -> Selector {
        let mut requirements = Vec::new();
        for (key, value) in selector.match_labels.iter().flatten() {
            let here = format!("{path}.matchLabels");
            if let Err(why) = names::label_key(key) {
                sink.report(
                    &here,
                    format!("`{}` is not a label key: {why}", escape_controls(key)),
                );
                continue;
            }
            if let Err(why) = names::label_value(value) {
                sink.report(
                    &here,
                    format!("the value of `{key}` is not a label value: {why}"),
                );
                continue;
            }
            requirements.push(Requirement::Equals(key.clone(), value.clone()));
        }
        for (i, expr) in selector.match_expressions.iter().flatten().enumerate() {
            let here = format!("{path}.matchExpressions[{i}]");
            let values = expr.values.clone().unwrap_or_default();
            let key = expr.key.clone();
            if key.is_empty() {
                sink.report(&here, "`key` is missing or empty");
                continue;
            }
            if let Err(why) = names::label_key(&key) {
                let shown = escape_controls(&key);
                sink.report(&here, format!("`{shown}` is not a label key: {why}"));
                continue;
            }
            if let Some(bad) = values.iter().find(|v| names::label_value(v).is_err()) {
                let why = names::label_value(bad).err().unwrap_or_default();
                sink.report(
                    &here,
                    format!("`{}` is not a label value: {why}", escape_controls(bad)),
                );
                continue;
            }
            let requirement = match expr.operator.as_str() {
                "In" | "NotIn" if values.is_empty() => {
                    sink.report(
                        &here,
                        format!("operator `{}` needs at least one value", expr.operator),
                    );
                    continue;
                }
                "Exists" | "DoesNotExist" if !values.is_empty() => {
                    sink.report(
                        &here,
                        format!("operator `{}` takes no values", expr.operator),
                    );
                    continue;
                }
                "In" => Requirement::In(key, values),
                "NotIn" => Requirement::NotIn(key, values),
                "Exists" => Requirement::Exists(key),
                "DoesNotExist" => Requirement::DoesNotExist(key),
                other => {
                    sink.report(
                        &here,
                        format!("unknown operator `{other}` (expected In, NotIn, Exists or DoesNotExist)"),
                    );
                    continue;
                }
            };
            requirements.push(requirement);
        }
        Selector { requirements }
    }

    /// Whether the selector matches the labels given by `get`.
    pub fn matches_with<'a>(&self, get: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.requirements.iter().all(|r| match r {
            Requirement::Equals(k, v) => get(k) == Some(v.as_str()),
            Requirement::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Requirement::NotIn(k, vs) => get(k).is_none_or(|x| vs.iter().all(|v| v != x)),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::DoesNotExist(k) => get(k).is_none(),
        })
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.matches_with(|k| labels.get(k).map(String::as_str))
    }
}
