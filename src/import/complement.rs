//! The pods no selector of a list selects, as NPL label sets.
//!
//! NPL isolates a namespace as a whole. A namespace whose policies isolate
//! only some pods in a direction is written isolated, plus an `allow` from
//! (or to) everything for the pods that no policy selects: the complement
//! of the union of the policies' podSelectors. The complement of one
//! selector is the OR of its negated entries (`k=v` → `k notin (v)`,
//! `k in (..)` → `k notin (..)`, `k` → `!k`, ...); of a union, the AND of
//! those ORs, multiplied out into label sets. Contradictory terms are
//! dropped, and so is every term another term subsumes (each step keeps
//! only the widest: the complement of four `{name: nX, instance: r}`
//! selectors is `{instance!=r}` and `{name notin (n1, .., n4)}`, two sets,
//! not sixteen); a product larger than [`MAX_TERMS`], or a term NPL cannot
//! write as one entry per key, gives up (the namespace stays unconvertible).

use crate::k8s::Selector;

/// The most label sets one complement may take.
pub const MAX_TERMS: usize = 8;

/// A label set (always one NPL can write).
pub type Term = Selector;

/// A term AND a selector, as one term; `None` when nothing satisfies
/// both.
pub fn restrict(term: &Term, sel: &Selector) -> Option<Term> {
    let both = term.and(sel);
    (!both.is_unsatisfiable()).then(|| simplified(&both))
}

/// A term as an NPL label set.
pub fn render(term: &Term) -> String {
    term.to_string()
}

/// One requirement set per key: each key's requirements merged into the
/// fewest that say the same (`k in (a, b)` and `k!=a` is `k=b`).
fn simplified(sel: &Selector) -> Selector {
    let domains = sel.domains();
    let merged = domains
        .iter()
        .map(|(k, d)| (*k, d.clone()))
        .collect::<Vec<_>>();
    Selector::from_domains(merged).unwrap_or_else(|| sel.clone())
}

/// The terms no other term of the list subsumes (of equal ones, the
/// first): their union is the union of the list.
pub fn widest(terms: Vec<Term>) -> Vec<Term> {
    let mut out: Vec<Term> = Vec::new();
    for (i, t) in terms.iter().enumerate() {
        let subsumed = terms
            .iter()
            .enumerate()
            .any(|(j, other)| j != i && t.implies(other) && (!other.implies(t) || j < i));
        if !subsumed {
            out.push(t.clone());
        }
    }
    out
}

/// The label sets whose union is every pod none of `selectors` selects;
/// `None` when that cannot be written in [`MAX_TERMS`] sets.
pub fn complement(selectors: &[&Selector]) -> Option<Vec<Term>> {
    let mut terms: Vec<Term> = vec![Selector::everything()];
    for sel in selectors {
        let options = sel.complement();
        let mut next: Vec<Term> = Vec::new();
        for term in &terms {
            for option in &options {
                let both = term.and(option);
                if both.is_unsatisfiable() {
                    continue;
                }
                let t = simplified(&both);
                if !next.contains(&t) {
                    next.push(t);
                }
            }
        }
        let next = widest(next);
        if next.len() > MAX_TERMS * 4 {
            return None;
        }
        terms = next;
    }
    let terms = needed(terms);
    if terms.len() > MAX_TERMS {
        return None;
    }
    Some(terms)
}

/// The most label sets [`covered`] multiplies out before it answers "no".
const MAX_COVER: usize = 256;

/// Whether every label set `term` matches, one of `others` matches too:
/// `term` AND the complement of each of `others` can match nothing. "No"
/// when that cannot be decided within [`MAX_COVER`] sets.
fn covered(term: &Term, others: &[&Term]) -> bool {
    let mut rest: Vec<Term> = vec![term.clone()];
    for other in others {
        let options = other.complement();
        let mut next: Vec<Term> = Vec::new();
        for t in &rest {
            for option in &options {
                let both = t.and(option);
                if !both.is_unsatisfiable() {
                    next.push(simplified(&both));
                }
            }
        }
        if next.is_empty() {
            return true;
        }
        if next.len() > MAX_COVER {
            return false;
        }
        rest = next;
    }
    false
}

/// The terms less those the union of the others covers (from the last):
/// every label set left is needed.
pub fn needed(mut terms: Vec<Term>) -> Vec<Term> {
    let mut i = terms.len();
    while i > 0 {
        i -= 1;
        let Some(term) = terms.get(i) else { continue };
        let others: Vec<&Term> = terms
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, t)| t)
            .collect();
        if covered(term, &others) {
            terms.remove(i);
        }
    }
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(yaml: &str) -> Selector {
        let api: k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector =
            serde_yaml::from_str(yaml).unwrap();
        Selector::from_api(&api).unwrap()
    }

    fn text(terms: &[Term]) -> Vec<String> {
        terms.iter().map(render).collect()
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
    fn subsumed_label_sets_are_left_out() {
        // The chart pattern: one policy per component, each selecting its
        // name and the release's instance.
        let selectors: Vec<Selector> = ["n1", "n2", "n3", "n4"]
            .iter()
            .map(|n| sel(&format!("matchLabels: {{name: {n}, instance: r}}")))
            .collect();
        let refs: Vec<&Selector> = selectors.iter().collect();
        assert_eq!(
            text(&complement(&refs).unwrap()),
            ["{instance!=r}", "{name notin (n1, n2, n3, n4)}"]
        );
        let three = complement(&refs[..3]).unwrap();
        assert_eq!(three.len(), 2);
        // Equal terms keep one; a term beside a wider one goes.
        let a = Selector::equals("k", "v");
        assert_eq!(
            widest(vec![a.clone(), Selector::everything(), a.clone()]),
            [Selector::everything()]
        );
        assert_eq!(widest(vec![a.clone(), a.clone()]), [a]);
    }

    #[test]
    fn label_sets_the_others_cover_together_are_left_out() {
        // {k!=a} and {k=a} cover {j=b} together, though neither alone.
        let terms = vec![
            sel("matchExpressions: [{key: k, operator: NotIn, values: [a]}]"),
            Selector::equals("j", "b"),
            Selector::equals("k", "a"),
        ];
        assert_eq!(text(&needed(terms.clone())), ["{k!=a}", "{k=a}"]);
        // Two charts' components: every label set left is needed.
        let keycloak = sel("matchLabels: {name: keycloak, instance: sso, component: keycloak}");
        let postgres = sel("matchLabels: {name: postgresql, instance: sso, component: primary}");
        let terms = complement(&[&keycloak, &postgres]).unwrap();
        for (i, t) in terms.iter().enumerate() {
            let others: Vec<&Term> = terms
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, t)| t)
                .collect();
            assert!(!covered(t, &others), "{t} is covered by the others");
        }
        // ... and together they are still the complement.
        for labels in [
            vec![
                ("name", "keycloak"),
                ("instance", "sso"),
                ("component", "keycloak"),
            ],
            vec![
                ("name", "postgresql"),
                ("instance", "sso"),
                ("component", "primary"),
            ],
        ] {
            let l = labels
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect();
            assert!(!terms.iter().any(|t| t.matches(&l)));
        }
        for labels in [
            vec![("name", "keycloak")],
            vec![("instance", "other")],
            vec![],
        ] {
            let l = labels
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect();
            assert!(terms.iter().any(|t| t.matches(&l)));
        }
    }

    #[test]
    fn contradictions_never_match() {
        assert!(sel(
            "matchLabels: {app: a}\nmatchExpressions: [{key: app, operator: In, values: [b]}]"
        )
        .is_unsatisfiable());
        assert!(!sel(
            "matchExpressions: [{key: app, operator: Exists}, {key: app, operator: NotIn, values: [b]}]"
        )
        .is_unsatisfiable());
        assert!(!Selector::everything().is_unsatisfiable());
        let term = complement(&[&sel("matchLabels: {app: db}")])
            .unwrap()
            .remove(0);
        assert!(restrict(&term, &sel("matchLabels: {app: db}")).is_none());
        assert_eq!(
            text(&[restrict(&term, &sel("matchLabels: {tier: web}")).unwrap()]),
            ["{tier=web, app!=db}"]
        );
    }
}
