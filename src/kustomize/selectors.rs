//! The `selectorForm: matchExpressions` rewrite: every `matchLabels` entry
//! `k: v` becomes the equivalent requirement `{key: k, operator: In, values: [v]}`.
//! kustomize's `commonLabels` (and `labels` with `includeSelectors`) only
//! extend selectors that already have `matchLabels`, so rewritten policies
//! keep selecting exactly the pods NPL names.

use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

use super::config::SelectorForm;

/// Rewrites the selectors of `policies` into `form`.
pub fn apply(policies: &mut [NetworkPolicy], form: SelectorForm) {
    if form == SelectorForm::MatchLabels {
        return;
    }
    for policy in policies {
        let Some(spec) = policy.spec.as_mut() else {
            continue;
        };
        if let Some(s) = spec.pod_selector.as_mut() {
            to_expressions(s);
        }
        for rule in spec.ingress.iter_mut().flatten() {
            rule.from.iter_mut().flatten().for_each(peer);
        }
        for rule in spec.egress.iter_mut().flatten() {
            rule.to.iter_mut().flatten().for_each(peer);
        }
    }
}

fn peer(p: &mut NetworkPolicyPeer) {
    if let Some(s) = p.pod_selector.as_mut() {
        to_expressions(s);
    }
    if let Some(s) = p.namespace_selector.as_mut() {
        to_expressions(s);
    }
}

fn to_expressions(selector: &mut LabelSelector) {
    let Some(labels) = selector.match_labels.take() else {
        return;
    };
    let mut requirements: Vec<LabelSelectorRequirement> = labels
        .into_iter()
        .map(|(key, value)| LabelSelectorRequirement {
            key,
            operator: "In".to_string(),
            values: Some(vec![value]),
        })
        .collect();
    requirements.extend(selector.match_expressions.take().unwrap_or_default());
    selector.match_expressions = if requirements.is_empty() {
        None
    } else {
        Some(requirements)
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_labels_become_in_requirements_before_existing_ones() {
        let mut s: LabelSelector = serde_json::from_str(
            r#"{"matchLabels": {"app": "api"}, "matchExpressions": [{"key": "tier", "operator": "Exists"}]}"#,
        )
        .unwrap();
        to_expressions(&mut s);
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"matchExpressions":[{"key":"app","operator":"In","values":["api"]},{"key":"tier","operator":"Exists"}]}"#
        );
        let mut empty = LabelSelector::default();
        to_expressions(&mut empty);
        assert_eq!(empty, LabelSelector::default());
    }
}
