//! The pods no selector of a list selects, as NPL label sets.
//!
//! NPL isolates a namespace as a whole. A namespace whose policies isolate
//! only some pods in a direction is written isolated, plus an `allow` from
//! (or to) everything for the pods that no policy selects: the complement
//! of the union of the policies' podSelectors. The complement of one
//! selector is the OR of its negated entries (`k=v` → `k notin (v)`,
//! `k in (..)` → `k notin (..)`, `k` → `!k`, ...); of a union, the AND of
//! those ORs, multiplied out into label sets. Contradictory terms are
//! dropped; a product larger than [`MAX_TERMS`], or a term NPL cannot
//! write as one entry per key, gives up (the namespace stays unconvertible).

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// The most label sets one complement may take.
pub const MAX_TERMS: usize = 8;

/// A label set: what it requires of each key.
pub type Term = BTreeMap<String, Constraint>;

/// What a label set requires of one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Constraint {
    In(BTreeSet<String>),
    NotIn(BTreeSet<String>),
    Exists,
    Absent,
}

/// A selector's entries.
fn entries(sel: &LabelSelector) -> Option<Vec<(String, Constraint)>> {
    let mut out = Vec::new();
    for (k, v) in sel.match_labels.iter().flatten() {
        out.push((k.clone(), Constraint::In(BTreeSet::from([v.clone()]))));
    }
    for e in sel.match_expressions.iter().flatten() {
        let values: BTreeSet<String> = e.values.iter().flatten().cloned().collect();
        let c = match e.operator.as_str() {
            "In" => Constraint::In(values),
            "NotIn" => Constraint::NotIn(values),
            "Exists" => Constraint::Exists,
            "DoesNotExist" => Constraint::Absent,
            _ => return None,
        };
        out.push((e.key.clone(), c));
    }
    Some(out)
}

/// A term AND a selector, as one term; `None` when nothing satisfies
/// both or NPL cannot write it.
pub fn restrict(term: &Term, sel: Option<&LabelSelector>) -> Option<Term> {
    let mut out = term.clone();
    for (key, c) in sel.map_or_else(|| Some(Vec::new()), entries)? {
        let merged = match out.get(&key) {
            None => Some(c),
            Some(old) => and(old, &c).ok()?,
        };
        out.insert(key, merged?);
    }
    Some(out)
}

/// Whether no set of labels satisfies a selector (NPL refuses such a
/// label set; in a policy it selects nothing).
pub fn never_matches(sel: Option<&LabelSelector>) -> bool {
    let Some(list) = sel.and_then(entries) else {
        return false;
    };
    let mut term = Term::new();
    for (key, c) in list {
        let merged = match term.get(&key) {
            None => Ok(Some(c)),
            Some(old) => and(old, &c),
        };
        match merged {
            Ok(Some(m)) => {
                term.insert(key, m);
            }
            Ok(None) => return true,
            // Both hold together somewhere (`k` and `k notin (..)`).
            Err(()) => {}
        }
    }
    false
}

/// A term as an NPL label set.
pub fn render(term: &Term, value: &dyn Fn(&str) -> String) -> String {
    let entries: Vec<String> = term.iter().map(|(k, c)| entry(k, c, value)).collect();
    format!("{{{}}}", entries.join(", "))
}

/// The negations of a selector's entries (one of them must hold).
fn negations(sel: &LabelSelector) -> Option<Vec<(String, Constraint)>> {
    let mut out = Vec::new();
    for (k, v) in sel.match_labels.iter().flatten() {
        out.push((k.clone(), Constraint::NotIn(BTreeSet::from([v.clone()]))));
    }
    for e in sel.match_expressions.iter().flatten() {
        let values: BTreeSet<String> = e.values.iter().flatten().cloned().collect();
        let c = match e.operator.as_str() {
            "In" => Constraint::NotIn(values),
            "NotIn" => Constraint::In(values),
            "Exists" => Constraint::Absent,
            "DoesNotExist" => Constraint::Exists,
            _ => return None,
        };
        out.push((e.key.clone(), c));
    }
    Some(out)
}

/// Both constraints on one key as one; `Err` when NPL cannot write it as
/// one entry, `Ok(None)` when nothing satisfies both.
fn and(a: &Constraint, b: &Constraint) -> Result<Option<Constraint>, ()> {
    use Constraint::{Absent, Exists, In, NotIn};
    let non_empty = |s: BTreeSet<String>| (!s.is_empty()).then_some(In(s));
    Ok(match (a, b) {
        (In(x), In(y)) => non_empty(x.intersection(y).cloned().collect()),
        (NotIn(x), NotIn(y)) => Some(NotIn(x.union(y).cloned().collect())),
        (In(x), NotIn(y)) | (NotIn(y), In(x)) => non_empty(x.difference(y).cloned().collect()),
        (Exists, In(x)) | (In(x), Exists) => Some(In(x.clone())),
        (Exists, Exists) => Some(Exists),
        (Absent, Absent) | (Absent, NotIn(_)) | (NotIn(_), Absent) => Some(Absent),
        (Absent, In(_) | Exists) | (In(_) | Exists, Absent) => None,
        (Exists, NotIn(_)) | (NotIn(_), Exists) => return Err(()),
    })
}

fn entry(key: &str, c: &Constraint, value: &dyn Fn(&str) -> String) -> String {
    let list = |s: &BTreeSet<String>| s.iter().map(|v| value(v)).collect::<Vec<_>>().join(", ");
    match c {
        Constraint::In(s) if s.len() == 1 => format!("{key}={}", list(s)),
        Constraint::In(s) => format!("{key} in ({})", list(s)),
        Constraint::NotIn(s) if s.len() == 1 => format!("{key}!={}", list(s)),
        Constraint::NotIn(s) => format!("{key} notin ({})", list(s)),
        Constraint::Exists => key.to_string(),
        Constraint::Absent => format!("!{key}"),
    }
}

/// The label sets whose union is every pod none of `selectors` selects;
/// `None` when that cannot be written in [`MAX_TERMS`] sets.
pub fn complement(selectors: &[&LabelSelector]) -> Option<Vec<Term>> {
    let mut terms: Vec<BTreeMap<String, Constraint>> = vec![BTreeMap::new()];
    for sel in selectors {
        let options = negations(sel)?;
        let mut next = Vec::new();
        for term in &terms {
            for (key, c) in &options {
                let mut t = term.clone();
                let merged = match t.get(key) {
                    None => Some(c.clone()),
                    Some(old) => and(old, c).ok()?,
                };
                if let Some(m) = merged {
                    t.insert(key.clone(), m);
                    if !next.contains(&t) {
                        next.push(t);
                    }
                }
            }
        }
        if next.len() > MAX_TERMS * 4 {
            return None;
        }
        terms = next;
    }
    if terms.len() > MAX_TERMS {
        return None;
    }
    Some(terms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(yaml: &str) -> LabelSelector {
        serde_yaml::from_str(yaml).unwrap()
    }

    fn text(terms: &[Term]) -> Vec<String> {
        terms
            .iter()
            .map(|t| render(t, &|v| v.to_string()))
            .collect()
    }

    #[test]
    fn complement_of_a_union_is_the_product_of_negations() {
        let a = sel("matchLabels: {app: db}");
        let b = sel("matchExpressions: [{key: tier, operator: In, values: [web]}]");
        assert_eq!(text(&complement(&[&a]).unwrap()), ["{app!=db}"]);
        assert_eq!(
            text(&complement(&[&a, &b]).unwrap()),
            ["{app!=db, tier!=web}"]
        );
        let c = sel("matchLabels: {app: db, tier: back}");
        assert_eq!(
            text(&complement(&[&c]).unwrap()),
            ["{app!=db}", "{tier!=back}"]
        );
        // `k` and `!k` cancel: the complement of `{k}` and `{!k}` is empty.
        let has = sel("matchExpressions: [{key: k, operator: Exists}]");
        let lacks = sel("matchExpressions: [{key: k, operator: DoesNotExist}]");
        assert!(complement(&[&has, &lacks]).unwrap().is_empty());
    }

    #[test]
    fn contradictions_never_match() {
        assert!(never_matches(Some(&sel(
            "matchLabels: {app: a}\nmatchExpressions: [{key: app, operator: In, values: [b]}]"
        ))));
        assert!(!never_matches(Some(&sel(
            "matchExpressions: [{key: app, operator: Exists}, {key: app, operator: NotIn, values: [b]}]"
        ))));
        assert!(!never_matches(None));
        let term = complement(&[&sel("matchLabels: {app: db}")])
            .unwrap()
            .remove(0);
        assert!(restrict(&term, Some(&sel("matchLabels: {app: db}"))).is_none());
        assert_eq!(
            text(&[restrict(&term, Some(&sel("matchLabels: {tier: web}"))).unwrap()]),
            ["{app!=db, tier=web}"]
        );
    }
}
