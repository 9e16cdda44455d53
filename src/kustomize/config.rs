//! The `NetworkPolicyGenerator` configuration object that kustomize and KRM
//! runners hand to npc.

use serde::Deserialize;
use serde_yaml::Value;

use crate::error::Error;

pub const API_VERSION: &str = "npc.dev/v1alpha1";
pub const KIND: &str = "NetworkPolicyGenerator";

/// A parsed and validated generator configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratorConfig {
    /// `metadata.name`.
    pub name: String,
    /// NPL files, relative to the kustomization directory.
    pub sources: Vec<String>,
    /// Inline NPL text (`spec.source`).
    pub source: Option<String>,
    pub warnings_as_errors: bool,
    pub selector_form: SelectorForm,
}

/// How pod selectors are written in the generated policies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub enum SelectorForm {
    /// `matchLabels` (the same output as `npc build`).
    #[default]
    #[serde(rename = "matchLabels")]
    MatchLabels,
    /// `matchExpressions` with `In`: equivalent, and left alone by kustomize's
    /// `commonLabels` and `labels.includeSelectors`.
    #[serde(rename = "matchExpressions")]
    MatchExpressions,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    api_version: Option<String>,
    kind: Option<String>,
    #[serde(default)]
    metadata: RawMetadata,
    spec: Option<RawSpec>,
}

#[derive(Deserialize, Default)]
struct RawMetadata {
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawSpec {
    #[serde(default)]
    sources: Vec<String>,
    source: Option<String>,
    #[serde(default)]
    warnings_as_errors: bool,
    #[serde(default)]
    selector_form: SelectorForm,
}

const EXAMPLE: &str =
    "apiVersion: npc.dev/v1alpha1, kind: NetworkPolicyGenerator, spec.sources: [policies.npl]";

impl GeneratorConfig {
    /// Parses a configuration from the YAML text of `file`.
    pub fn from_yaml(text: &str, file: &str) -> Result<Self, Error> {
        let value = super::read_one_document(text, file)
            .map_err(|e| e.with_help(format!("write a YAML object like `{EXAMPLE}`")))?;
        Self::from_value(&value).map_err(|e| e.in_file(file))
    }

    /// Parses a configuration from a YAML value (e.g. a ResourceList's `functionConfig`).
    pub fn from_value(value: &Value) -> Result<Self, Error> {
        let raw: Raw = serde_yaml::from_value(value.clone()).map_err(|e| {
            Error::config(format!("invalid generator configuration: {e}"))
                .with_help(format!("write a YAML object like `{EXAMPLE}`; the `spec` fields are `sources`, `source`, `warningsAsErrors` and `selectorForm`"))
        })?;
        if raw.api_version.as_deref() != Some(API_VERSION) || raw.kind.as_deref() != Some(KIND) {
            return Err(Error::config(format!(
                "expected a `{API_VERSION}` `{KIND}`, found `{}` `{}`",
                raw.api_version.as_deref().unwrap_or("<no apiVersion>"),
                raw.kind.as_deref().unwrap_or("<no kind>")
            ))
            .with_help(format!("write a YAML object like `{EXAMPLE}`")));
        }
        let name = raw.metadata.name.unwrap_or_default();
        if name.is_empty() {
            return Err(Error::config("the generator configuration has no `metadata.name`")
                .with_help("add `metadata: {name: network-policies}`; kustomize needs it to tell generators apart"));
        }
        let Some(spec) = raw.spec else {
            return Err(Error::config(format!("generator `{name}` has no `spec`"))
                .with_help("add `spec: {sources: [policies.npl]}`"));
        };
        if spec.sources.is_empty() && spec.source.is_none() {
            return Err(
                Error::config(format!("generator `{name}` names no NPL source")).with_help(
                    "list files in `spec.sources`, or put the program inline in `spec.source: |`",
                ),
            );
        }
        Ok(GeneratorConfig {
            name,
            sources: spec.sources,
            source: spec.source,
            warnings_as_errors: spec.warnings_as_errors,
            selector_form: spec.selector_form,
        })
    }

    /// The name diagnostics and annotations use for the inline source.
    pub fn inline_name(&self) -> String {
        format!("{}/spec.source", self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_config() {
        let c = GeneratorConfig::from_yaml(
            "apiVersion: npc.dev/v1alpha1\nkind: NetworkPolicyGenerator\nmetadata: {name: np}\nspec:\n  sources: [a.npl]\n  warningsAsErrors: true\n  selectorForm: matchExpressions\n",
            "g.yaml",
        )
        .unwrap();
        assert_eq!(c.sources, vec!["a.npl".to_string()]);
        assert!(c.warnings_as_errors);
        assert_eq!(c.selector_form, SelectorForm::MatchExpressions);
    }

    #[test]
    fn rejects_unknown_spec_fields() {
        let e = GeneratorConfig::from_yaml(
            "apiVersion: npc.dev/v1alpha1\nkind: NetworkPolicyGenerator\nmetadata: {name: np}\nspec:\n  sources: [a.npl]\n  warningAsErrors: true\n",
            "g.yaml",
        )
        .unwrap_err();
        assert!(e.message.contains("warningAsErrors"), "{}", e.message);
    }

    #[test]
    fn rejects_other_kinds() {
        let e = GeneratorConfig::from_yaml(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
            "g.yaml",
        )
        .unwrap_err();
        assert!(e.message.contains("`v1` `ConfigMap`"), "{}", e.message);
    }
}
