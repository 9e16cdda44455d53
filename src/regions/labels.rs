use std::collections::{BTreeMap, BTreeSet};

use super::MAX_REGIONS;
use crate::k8s::selector::Selector;

/// A label value no selector mentions, for "any other value".
const OTHER_VALUE: &str = "other";

/// How far [`label_classes`] may go.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The most label assignments returned.
    pub classes: usize,
    /// The most assignments tried.
    pub steps: usize,
}

impl Limits {
    /// The bound of an expectation's regions.
    pub(super) const REGIONS: Limits = Limits {
        classes: MAX_REGIONS,
        steps: MAX_REGIONS * 16,
    };
}

/// Label assignments that satisfy `required`, one per combination of the
/// verdicts of `selectors` (and of `required`'s own tests). `fixed` labels
/// are set as given (a namespace's name). `None` past the limits.
pub fn label_classes(
    required: &Selector,
    selectors: &[&Selector],
    fixed: &BTreeMap<String, String>,
    limits: Limits,
) -> Option<Vec<BTreeMap<String, String>>> {
    // Every key some selector looks at, with the values it mentions.
    let mut keys: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for sel in selectors.iter().copied().chain([required]) {
        for (k, v) in &sel.match_labels {
            keys.entry(k).or_default().insert(v);
        }
        for r in &sel.expressions {
            keys.entry(&r.key)
                .or_default()
                .extend(r.values.iter().map(String::as_str));
        }
    }
    // The choices per key: fixed, or each mentioned value, another, none.
    let mut choices: Vec<(&str, Vec<Option<String>>)> = Vec::new();
    for (key, values) in keys {
        if let Some(v) = fixed.get(key) {
            choices.push((key, vec![Some(v.clone())]));
            continue;
        }
        if let Some(v) = required.match_labels.get(key) {
            choices.push((key, vec![Some(v.clone())]));
            continue;
        }
        let mut list: Vec<Option<String>> = values.iter().map(|v| Some((*v).to_string())).collect();
        let other = (0..=values.len())
            .map(|i| {
                if i == 0 {
                    OTHER_VALUE.to_string()
                } else {
                    format!("{OTHER_VALUE}-{i}")
                }
            })
            .find(|v| !values.contains(v.as_str()));
        list.extend(other.map(Some));
        list.push(None);
        choices.push((key, list));
    }
    let mut seen: BTreeSet<Vec<bool>> = BTreeSet::new();
    let mut out = Vec::new();
    let mut current: BTreeMap<String, String> = fixed.clone();
    let mut steps = 0usize;
    if enumerate(&choices, 0, &mut current, &mut |labels| {
        steps += 1;
        if steps > limits.steps {
            return false;
        }
        if !required.matches(labels) {
            return true;
        }
        let verdicts: Vec<bool> = selectors.iter().map(|s| s.matches(labels)).collect();
        if seen.insert(verdicts) {
            out.push(labels.clone());
        }
        out.len() <= limits.classes
    }) {
        Some(out)
    } else {
        None
    }
}

/// Calls `visit` with every assignment of the choices; stops (false) when
/// `visit` says so.
fn enumerate(
    choices: &[(&str, Vec<Option<String>>)],
    at: usize,
    current: &mut BTreeMap<String, String>,
    visit: &mut dyn FnMut(&BTreeMap<String, String>) -> bool,
) -> bool {
    let Some((key, values)) = choices.get(at) else {
        return visit(current);
    };
    for value in values {
        match value {
            Some(v) => current.insert((*key).to_string(), v.clone()),
            None => current.remove(*key),
        };
        if !enumerate(choices, at + 1, current, visit) {
            return false;
        }
    }
    current.remove(*key);
    true
}
