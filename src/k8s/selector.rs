//! Label selectors: one typed form for every module. A `LabelSelector` of an
//! API object is read once ([`Selector::from_api`], one behaviour for every
//! operator the API does not know), NPL label sets resolve to the same type,
//! and the algebra every reader needs lives here: matching, implication,
//! labels that satisfy a selector, complements, and the NPL text.
//!
//! The algebra is exact because the requirements of a selector constrain
//! each key independently: per key, the allowed values form a [`Domain`]
//! (whether the label may be absent, and a finite set of values or every
//! value but a finite set), and a selector is the AND of its keys' domains.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

use super::labels::Labels;
use super::names;
use super::text::escape_controls;

/// A label selector in canonical form: equal selectors are equal values.
/// No requirement matches every label set.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Selector {
    pub match_labels: Labels,
    pub expressions: BTreeSet<Requirement>,
}

/// One `matchExpressions` entry.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Requirement {
    pub key: String,
    pub operator: Operator,
    pub values: BTreeSet<String>,
}

/// The operators of a `matchExpressions` entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl Operator {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::In => "In",
            Operator::NotIn => "NotIn",
            Operator::Exists => "Exists",
            Operator::DoesNotExist => "DoesNotExist",
        }
    }

    /// An operator from its API spelling (case-sensitive, as the API server).
    pub fn from_api(text: &str) -> Option<Operator> {
        match text {
            "In" => Some(Operator::In),
            "NotIn" => Some(Operator::NotIn),
            "Exists" => Some(Operator::Exists),
            "DoesNotExist" => Some(Operator::DoesNotExist),
            _ => None,
        }
    }

    /// Whether the operator takes a list of values (`In`, `NotIn`).
    pub fn takes_values(self) -> bool {
        matches!(self, Operator::In | Operator::NotIn)
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an API selector was not read: the API server refuses the same.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectorError {
    pub place: SelectorPlace,
    pub kind: SelectorErrorKind,
}

/// Where in a `LabelSelector` an error is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectorPlace {
    MatchLabels,
    /// Index into `matchExpressions`.
    Expression(usize),
}

impl SelectorPlace {
    /// The field path below the selector's own (`.matchLabels`,
    /// `.matchExpressions[2]`).
    pub fn path(self) -> String {
        match self {
            SelectorPlace::MatchLabels => ".matchLabels".to_string(),
            SelectorPlace::Expression(i) => format!(".matchExpressions[{i}]"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SelectorErrorKind {
    /// An operator the API does not know.
    UnknownOperator(String),
    /// `In`/`NotIn` without values.
    NeedsValues(Operator),
    /// `Exists`/`DoesNotExist` with values.
    TakesNoValues(Operator),
    /// A `matchExpressions` entry without a key.
    MissingKey,
    /// A key that is not a label key.
    InvalidKey { key: String, why: String },
    /// A value that is not a label value; `key` is given for `matchLabels`.
    InvalidValue {
        key: Option<String>,
        value: String,
        why: String,
    },
}

impl fmt::Display for SelectorErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectorErrorKind::UnknownOperator(op) => write!(
                f,
                "unknown operator `{}` (expected In, NotIn, Exists or DoesNotExist)",
                escape_controls(op)
            ),
            SelectorErrorKind::NeedsValues(op) => {
                write!(f, "operator `{op}` needs at least one value")
            }
            SelectorErrorKind::TakesNoValues(op) => write!(f, "operator `{op}` takes no values"),
            SelectorErrorKind::MissingKey => f.write_str("`key` is missing or empty"),
            SelectorErrorKind::InvalidKey { key, why } => {
                write!(f, "`{}` is not a label key: {why}", escape_controls(key))
            }
            SelectorErrorKind::InvalidValue {
                key: Some(key),
                why,
                ..
            } => write!(
                f,
                "the value of `{}` is not a label value: {why}",
                escape_controls(key)
            ),
            SelectorErrorKind::InvalidValue {
                key: None,
                value,
                why,
            } => write!(
                f,
                "`{}` is not a label value: {why}",
                escape_controls(value)
            ),
        }
    }
}

impl Requirement {
    pub fn new(key: impl Into<String>, operator: Operator, values: BTreeSet<String>) -> Self {
        Requirement {
            key: key.into(),
            operator,
            values,
        }
    }

    /// Whether the label value `value` (`None`: no such label) satisfies it.
    pub fn admits(&self, value: Option<&str>) -> bool {
        match self.operator {
            Operator::In => value.is_some_and(|v| self.values.contains(v)),
            Operator::NotIn => value.is_none_or(|v| !self.values.contains(v)),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
        }
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.admits(labels.get(&self.key).map(String::as_str))
    }

    /// The values of the label this requirement admits.
    pub fn domain(&self) -> Domain {
        match self.operator {
            Operator::In => Domain::values(self.values.clone()),
            Operator::NotIn => Domain {
                absent: true,
                values: Values::AllBut(self.values.clone()),
            },
            Operator::Exists => Domain {
                absent: false,
                values: Values::AllBut(BTreeSet::new()),
            },
            Operator::DoesNotExist => Domain {
                absent: true,
                values: Values::Only(BTreeSet::new()),
            },
        }
    }
}

/// The values one key of a label set may take under a selector.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Domain {
    /// The label may be missing.
    pub absent: bool,
    pub values: Values,
}

/// A finite set of label values, or every value but a finite set.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Values {
    Only(BTreeSet<String>),
    AllBut(BTreeSet<String>),
}

impl Domain {
    /// No constraint: absent or any value.
    pub fn any() -> Domain {
        Domain {
            absent: true,
            values: Values::AllBut(BTreeSet::new()),
        }
    }

    /// Present with one of these values.
    pub fn values(values: BTreeSet<String>) -> Domain {
        Domain {
            absent: false,
            values: Values::Only(values),
        }
    }

    pub fn admits(&self, value: Option<&str>) -> bool {
        match (value, &self.values) {
            (None, _) => self.absent,
            (Some(v), Values::Only(set)) => set.contains(v),
            (Some(v), Values::AllBut(set)) => !set.contains(v),
        }
    }

    pub fn is_empty(&self) -> bool {
        !self.absent && matches!(&self.values, Values::Only(s) if s.is_empty())
    }

    pub fn is_any(&self) -> bool {
        self.absent && matches!(&self.values, Values::AllBut(s) if s.is_empty())
    }

    /// Both constraints at once.
    pub fn and(&self, other: &Domain) -> Domain {
        let values = match (&self.values, &other.values) {
            (Values::Only(a), Values::Only(b)) => Values::Only(a & b),
            (Values::Only(a), Values::AllBut(b)) | (Values::AllBut(b), Values::Only(a)) => {
                Values::Only(a - b)
            }
            (Values::AllBut(a), Values::AllBut(b)) => Values::AllBut(a | b),
        };
        Domain {
            absent: self.absent && other.absent,
            values,
        }
    }

    /// Every value (or absence) this domain does not admit.
    pub fn not(&self) -> Domain {
        let values = match &self.values {
            Values::Only(a) => Values::AllBut(a.clone()),
            Values::AllBut(a) => Values::Only(a.clone()),
        };
        Domain {
            absent: !self.absent,
            values,
        }
    }

    /// Whether every value this domain admits, `other` admits too.
    pub fn within(&self, other: &Domain) -> bool {
        if self.absent && !other.absent {
            return false;
        }
        match (&self.values, &other.values) {
            (Values::Only(a), Values::Only(b)) => a.is_subset(b),
            (Values::Only(a), Values::AllBut(b)) => a.is_disjoint(b),
            (Values::AllBut(_), Values::Only(_)) => false,
            (Values::AllBut(a), Values::AllBut(b)) => b.is_subset(a),
        }
    }

    /// One value this domain admits (`None`: absence is the simplest
    /// choice, or nothing is admitted); `fresh` names values no selector
    /// mentions.
    fn witness(&self, fresh: &str) -> Option<Option<String>> {
        match &self.values {
            _ if self.absent => Some(None),
            Values::Only(set) => set.first().map(|v| Some(v.clone())),
            Values::AllBut(excluded) => Some(Some(fresh_value(fresh, excluded))),
        }
    }

    /// The requirements on `key` that say exactly this domain, or `None`
    /// when one label set cannot say it (absent or one of some values).
    pub fn requirements(&self, key: &str) -> Option<Vec<Requirement>> {
        let req = |op, values: &BTreeSet<String>| Requirement::new(key, op, values.clone());
        let none = BTreeSet::new();
        Some(match (&self.values, self.absent) {
            (Values::AllBut(a), true) if a.is_empty() => Vec::new(),
            (Values::AllBut(a), true) => vec![req(Operator::NotIn, a)],
            (Values::AllBut(a), false) if a.is_empty() => vec![req(Operator::Exists, &none)],
            (Values::AllBut(a), false) => {
                vec![req(Operator::Exists, &none), req(Operator::NotIn, a)]
            }
            (Values::Only(a), true) if a.is_empty() => vec![req(Operator::DoesNotExist, &none)],
            (Values::Only(_), true) => return None,
            (Values::Only(a), false) => vec![req(Operator::In, a)],
        })
    }
}

/// `fresh`, or `fresh-N`, whichever is not excluded.
fn fresh_value(fresh: &str, excluded: &BTreeSet<String>) -> String {
    (0..=excluded.len())
        .map(|i| {
            if i == 0 {
                fresh.to_string()
            } else {
                format!("{fresh}-{i}")
            }
        })
        .find(|v| !excluded.contains(v))
        .unwrap_or_else(|| fresh.to_string())
}

/// The value used for "some value" when a selector only asks that a label
/// exists (or is none of some values).
pub const ANY_VALUE: &str = "any";

impl Selector {
    /// The empty selector `{}`: matches every label set.
    pub fn everything() -> Selector {
        Selector::default()
    }

    /// `{key=value}`.
    pub fn equals(key: impl Into<String>, value: impl Into<String>) -> Selector {
        Selector {
            match_labels: Labels::from([(key.into(), value.into())]),
            expressions: BTreeSet::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.expressions.is_empty()
    }

    /// Reads an API object's selector; every key, value and expression the
    /// API server would refuse is an error (every reader reports them the
    /// same way), and what is refused is left out.
    pub fn from_api(sel: &LabelSelector) -> Result<Selector, Vec<SelectorError>> {
        let mut out = Selector::everything();
        let mut errors = Vec::new();
        for (key, value) in sel.match_labels.iter().flatten() {
            let kind = if let Err(why) = names::label_key(key) {
                SelectorErrorKind::InvalidKey {
                    key: key.clone(),
                    why,
                }
            } else if let Err(why) = names::label_value(value) {
                SelectorErrorKind::InvalidValue {
                    key: Some(key.clone()),
                    value: value.clone(),
                    why,
                }
            } else {
                out.match_labels.insert(key.clone(), value.clone());
                continue;
            };
            errors.push(SelectorError {
                place: SelectorPlace::MatchLabels,
                kind,
            });
        }
        for (i, e) in sel.match_expressions.iter().flatten().enumerate() {
            match requirement_from_api(e) {
                Ok(r) => {
                    out.expressions.insert(r);
                }
                Err(kind) => errors.push(SelectorError {
                    place: SelectorPlace::Expression(i),
                    kind,
                }),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// As [`Selector::from_api`] for an optional selector: a missing one
    /// selects everything.
    pub fn from_api_opt(sel: Option<&LabelSelector>) -> Result<Selector, Vec<SelectorError>> {
        sel.map_or_else(|| Ok(Selector::everything()), Selector::from_api)
    }

    /// The API form: `matchLabels` and `matchExpressions`, each omitted when
    /// empty.
    pub fn to_api(&self) -> LabelSelector {
        self.clone().into_api()
    }

    /// [`Selector::to_api`], moving the labels and values.
    pub fn into_api(self) -> LabelSelector {
        LabelSelector {
            match_labels: (!self.match_labels.is_empty()).then(|| self.match_labels.into_map()),
            match_expressions: (!self.expressions.is_empty()).then(|| {
                self.expressions
                    .into_iter()
                    .map(|r| LabelSelectorRequirement {
                        operator: r.operator.as_str().to_string(),
                        values: r
                            .operator
                            .takes_values()
                            .then(|| r.values.into_iter().collect()),
                        key: r.key,
                    })
                    .collect()
            }),
        }
    }

    /// Whether a set of labels satisfies this selector.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.matches_with(|k| labels.get(k).map(String::as_str))
    }

    /// Whether the labels given by `get` satisfy this selector.
    pub fn matches_with<'a>(&self, get: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| get(k) == Some(v.as_str()))
            && self.expressions.iter().all(|r| r.admits(get(&r.key)))
    }

    /// Every key the selector constrains.
    pub fn keys(&self) -> BTreeSet<&str> {
        self.match_labels
            .keys()
            .map(String::as_str)
            .chain(self.expressions.iter().map(|r| r.key.as_str()))
            .collect()
    }

    /// What the selector allows for each key it constrains.
    pub fn domains(&self) -> BTreeMap<&str, Domain> {
        let mut out: BTreeMap<&str, Domain> = BTreeMap::new();
        let requirements = self
            .match_labels
            .iter()
            .map(|(k, v)| (k.as_str(), Domain::values(BTreeSet::from([v.clone()]))))
            .chain(
                self.expressions
                    .iter()
                    .map(|r| (r.key.as_str(), r.domain())),
            );
        for (key, domain) in requirements {
            let merged = match out.get(key) {
                Some(old) => old.and(&domain),
                None => domain,
            };
            out.insert(key, merged);
        }
        out
    }

    /// The domain of one key (everything when the selector says nothing of it).
    pub fn domain(&self, key: &str) -> Domain {
        self.domains().remove(key).unwrap_or_else(Domain::any)
    }

    /// Whether no set of labels satisfies the selector.
    pub fn is_unsatisfiable(&self) -> bool {
        self.domains().values().any(Domain::is_empty)
    }

    /// Whether every label set this selector matches, `other` matches too.
    /// Exact: keys are constrained independently.
    pub fn implies(&self, other: &Selector) -> bool {
        let mine = self.domains();
        if mine.values().any(Domain::is_empty) {
            return true;
        }
        other.domains().iter().all(|(key, want)| {
            mine.get(key)
                .map_or_else(|| Domain::any().within(want), |have| have.within(want))
        })
    }

    /// Both selectors at once.
    pub fn and(&self, other: &Selector) -> Selector {
        let mut out = self.clone();
        for (k, v) in &other.match_labels {
            match out.match_labels.get(k) {
                Some(old) if old != v => {
                    // Two values for one key: keep both as requirements so
                    // the result stays unsatisfiable, as the AND is.
                    out.expressions.insert(Requirement::new(
                        k.clone(),
                        Operator::In,
                        BTreeSet::from([v.clone()]),
                    ));
                }
                _ => {
                    out.match_labels.insert(k.clone(), v.clone());
                }
            }
        }
        out.expressions.extend(other.expressions.iter().cloned());
        out
    }

    /// The labels a pod needs to be matched, and nothing more: for each key,
    /// absence where absence is allowed, else a value the selector names, else
    /// a value it does not mention (`any`). `None` if nothing matches.
    pub fn satisfying_labels(&self) -> Option<BTreeMap<String, String>> {
        let mut labels = BTreeMap::new();
        for (key, domain) in self.domains() {
            if domain.is_empty() {
                return None;
            }
            if let Some(value) = domain.witness(ANY_VALUE)? {
                labels.insert(key.to_string(), value);
            }
        }
        Some(labels)
    }

    /// Label sets whose union matches exactly the label sets this selector
    /// does not match (the complement): for each key the selector
    /// constrains, in key order, the label sets that break its constraint
    /// (one, or two where the key must be absent or take one of some
    /// values). The empty selector's complement is empty.
    pub fn complement(&self) -> Vec<Selector> {
        let mut out = Vec::new();
        for (key, domain) in self.domains() {
            let not = domain.not();
            if not.is_empty() {
                continue;
            }
            let alternatives = match not.requirements(key) {
                Some(one) => vec![one],
                None => {
                    let Values::Only(values) = &not.values else {
                        continue;
                    };
                    vec![
                        vec![Requirement::new(
                            key,
                            Operator::DoesNotExist,
                            BTreeSet::new(),
                        )],
                        vec![Requirement::new(key, Operator::In, values.clone())],
                    ]
                }
            };
            for requirements in alternatives {
                let sel = Selector {
                    match_labels: Labels::new(),
                    expressions: requirements.into_iter().collect(),
                };
                out.push(sel.canonical());
            }
        }
        out
    }

    /// A selector from per-key domains; `None` when one label set cannot
    /// say them.
    pub fn from_domains<'a>(
        domains: impl IntoIterator<Item = (&'a str, Domain)>,
    ) -> Option<Selector> {
        let mut sel = Selector::everything();
        for (key, domain) in domains {
            sel.expressions.extend(domain.requirements(key)?);
        }
        Some(sel.canonical())
    }

    /// The same selector with single-valued `In`s written as `matchLabels`
    /// (equal meaning, one spelling).
    pub fn canonical(mut self) -> Selector {
        let singles: Vec<Requirement> = self
            .expressions
            .iter()
            .filter(|r| {
                r.operator == Operator::In
                    && r.values.len() == 1
                    && !self.match_labels.contains_key(&r.key)
            })
            .cloned()
            .collect();
        for r in singles {
            if let Some(v) = r.values.first() {
                if !self.match_labels.contains_key(&r.key) {
                    self.match_labels.insert(r.key.clone(), v.clone());
                    self.expressions.remove(&r);
                }
            }
        }
        self
    }
}

fn requirement_from_api(e: &LabelSelectorRequirement) -> Result<Requirement, SelectorErrorKind> {
    if e.key.is_empty() {
        return Err(SelectorErrorKind::MissingKey);
    }
    if let Err(why) = names::label_key(&e.key) {
        return Err(SelectorErrorKind::InvalidKey {
            key: e.key.clone(),
            why,
        });
    }
    let values: BTreeSet<String> = e.values.iter().flatten().cloned().collect();
    if let Some((value, why)) = values
        .iter()
        .find_map(|v| names::label_value(v).err().map(|why| (v, why)))
    {
        return Err(SelectorErrorKind::InvalidValue {
            key: None,
            value: value.clone(),
            why,
        });
    }
    let operator = Operator::from_api(&e.operator)
        .ok_or_else(|| SelectorErrorKind::UnknownOperator(e.operator.clone()))?;
    match (operator.takes_values(), values.is_empty()) {
        (true, true) => Err(SelectorErrorKind::NeedsValues(operator)),
        (false, false) => Err(SelectorErrorKind::TakesNoValues(operator)),
        _ => Ok(Requirement::new(e.key.clone(), operator, values)),
    }
}

/// A label value as NPL writes it: bare when the grammar reads it back as
/// the same value, quoted otherwise (the empty value, for one).
pub fn npl_value(text: &str) -> String {
    let bare = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && text.starts_with(|c: char| c.is_ascii_alphanumeric())
        && text.ends_with(|c: char| c.is_ascii_alphanumeric());
    if bare {
        text.to_string()
    } else {
        let mut out = String::with_capacity(text.len() + 2);
        out.push('"');
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => out.push_str(&c.escape_default().to_string()),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }
}

/// The NPL label set: `{tier=backend, env in (a, b), !canary}`; `{}` for
/// the empty selector. Single-valued `In`/`NotIn` are written `k=v`/`k!=v`.
impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        let mut first = true;
        let mut sep = |f: &mut fmt::Formatter<'_>| {
            if first {
                first = false;
                Ok(())
            } else {
                f.write_str(", ")
            }
        };
        for (k, v) in &self.match_labels {
            sep(f)?;
            write!(f, "{k}={}", npl_value(v))?;
        }
        for r in &self.expressions {
            sep(f)?;
            write!(f, "{r}")?;
        }
        f.write_str("}")
    }
}

/// One entry of an NPL label set.
impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = || {
            self.values
                .iter()
                .map(|v| npl_value(v))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let key = &self.key;
        match self.operator {
            Operator::In if self.values.len() == 1 => write!(f, "{key}={}", list()),
            Operator::In => write!(f, "{key} in ({})", list()),
            Operator::NotIn if self.values.len() == 1 => write!(f, "{key}!={}", list()),
            Operator::NotIn => write!(f, "{key} notin ({})", list()),
            Operator::Exists => f.write_str(key),
            Operator::DoesNotExist => write!(f, "!{key}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(yaml: &str) -> LabelSelector {
        serde_yaml::from_str(yaml).unwrap()
    }

    fn sel(yaml: &str) -> Selector {
        Selector::from_api(&api(yaml)).unwrap()
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reads_every_operator_and_refuses_what_the_api_refuses() {
        let s = sel("matchLabels: {app: db}\nmatchExpressions: [{key: t, operator: In, values: [a, b]}, {key: x, operator: NotIn, values: [c]}, {key: e, operator: Exists}, {key: d, operator: DoesNotExist}]");
        assert_eq!(s.to_string(), "{app=db, !d, e, t in (a, b), x!=c}");
        let err = Selector::from_api(&api("matchExpressions: [{key: a, operator: Exists}, {key: t, operator: in, values: [a]}, {key: t, operator: In}, {key: t, operator: Exists, values: [a]}]")).unwrap_err();
        let kinds: Vec<(SelectorPlace, SelectorErrorKind)> =
            err.into_iter().map(|e| (e.place, e.kind)).collect();
        assert_eq!(
            kinds,
            [
                (
                    SelectorPlace::Expression(1),
                    SelectorErrorKind::UnknownOperator("in".into())
                ),
                (
                    SelectorPlace::Expression(2),
                    SelectorErrorKind::NeedsValues(Operator::In)
                ),
                (
                    SelectorPlace::Expression(3),
                    SelectorErrorKind::TakesNoValues(Operator::Exists)
                ),
            ]
        );
        let err = Selector::from_api(&api("matchLabels: {\"a/b/c\": x, ok: \"a b\"}\nmatchExpressions: [{key: \"\", operator: Exists}]")).unwrap_err();
        let text: Vec<String> = err
            .iter()
            .map(|e| format!("{}: {}", e.place.path(), e.kind))
            .collect();
        assert_eq!(text.len(), 3);
        assert!(
            text[0].starts_with(".matchLabels: `a/b/c` is not a label key"),
            "{text:?}"
        );
        assert!(
            text[1].starts_with(".matchLabels: the value of `ok` is not a label value"),
            "{text:?}"
        );
        assert_eq!(text[2], ".matchExpressions[0]: `key` is missing or empty");
    }

    #[test]
    fn api_round_trip() {
        let s = sel("matchLabels: {app: db}\nmatchExpressions: [{key: t, operator: In, values: [b, a]}, {key: e, operator: Exists}]");
        assert_eq!(Selector::from_api(&s.to_api()).unwrap(), s);
        assert_eq!(Selector::everything().to_api(), LabelSelector::default());
    }

    #[test]
    fn matching() {
        let s = sel("matchLabels: {app: db}\nmatchExpressions: [{key: t, operator: NotIn, values: [x]}, {key: c, operator: DoesNotExist}]");
        assert!(s.matches(&labels(&[("app", "db")])));
        assert!(s.matches(&labels(&[("app", "db"), ("t", "y")])));
        assert!(!s.matches(&labels(&[("app", "db"), ("t", "x")])));
        assert!(!s.matches(&labels(&[("app", "db"), ("c", "")])));
        assert!(!s.matches(&labels(&[])));
    }

    #[test]
    fn implication_is_exact_per_key() {
        let db = sel("matchLabels: {app: db}");
        let any_app = sel("matchExpressions: [{key: app, operator: Exists}]");
        let not_web = sel("matchExpressions: [{key: app, operator: NotIn, values: [web]}]");
        let db_or_web = sel("matchExpressions: [{key: app, operator: In, values: [db, web]}]");
        assert!(db.implies(&any_app));
        assert!(db.implies(&not_web));
        assert!(db.implies(&db_or_web));
        assert!(db.implies(&Selector::everything()));
        assert!(!any_app.implies(&db));
        assert!(
            !not_web.implies(&any_app),
            "absent app is not web, yet has no app"
        );
        assert!(!db_or_web.implies(&not_web));
        let never =
            sel("matchLabels: {app: db}\nmatchExpressions: [{key: app, operator: DoesNotExist}]");
        assert!(never.is_unsatisfiable());
        assert!(never.implies(&db_or_web));
        assert!(!Selector::everything().implies(&db));
    }

    #[test]
    fn satisfying_labels_are_minimal_and_match() {
        let s = sel("matchLabels: {app: db}\nmatchExpressions: [{key: t, operator: In, values: [b, a]}, {key: e, operator: Exists}, {key: x, operator: NotIn, values: [any]}, {key: y, operator: Exists}, {key: y, operator: NotIn, values: [any, any-1]}]");
        let l = s.satisfying_labels().unwrap();
        assert_eq!(
            l,
            labels(&[("app", "db"), ("t", "a"), ("e", "any"), ("y", "any-2")])
        );
        assert!(s.matches(&l));
        let never = sel("matchExpressions: [{key: t, operator: In, values: [a]}, {key: t, operator: NotIn, values: [a]}]");
        assert_eq!(never.satisfying_labels(), None);
    }

    #[test]
    fn complements_partition_the_label_space() {
        let s = sel("matchLabels: {app: db}\nmatchExpressions: [{key: e, operator: Exists}, {key: t, operator: NotIn, values: [a, b]}]");
        let c = s.complement();
        let text: Vec<String> = c.iter().map(ToString::to_string).collect();
        assert_eq!(text, ["{app!=db}", "{!e}", "{t in (a, b)}"]);
        let universe = ["", "db", "a", "b", "z"];
        for app in universe {
            for e in universe {
                for t in universe {
                    let mut l = BTreeMap::new();
                    for (k, v) in [("app", app), ("e", e), ("t", t)] {
                        if !v.is_empty() {
                            l.insert(k.to_string(), v.to_string());
                        }
                    }
                    assert_ne!(s.matches(&l), c.iter().any(|x| x.matches(&l)), "{l:?}");
                }
            }
        }
        // `!k or k in (a)` is two label sets.
        let text = |s: Selector| {
            s.complement()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(text(sel("matchExpressions: [{key: k, operator: NotIn, values: [a]}, {key: k, operator: Exists}]")), ["{!k}", "{k=a}"]);
        assert_eq!(
            text(sel(
                "matchExpressions: [{key: k, operator: In, values: [a]}]"
            )),
            ["{k!=a}"]
        );
        assert_eq!(
            text(sel(
                "matchExpressions: [{key: k, operator: NotIn, values: [a]}]"
            )),
            ["{k=a}"]
        );
        assert!(Selector::everything().complement().is_empty());
    }

    #[test]
    fn npl_text_quotes_what_the_grammar_would_not_read_back() {
        let s = Selector::equals("app", "");
        assert_eq!(s.to_string(), "{app=\"\"}");
        assert_eq!(Selector::everything().to_string(), "{}");
        assert_eq!(npl_value("a.b_c-d"), "a.b_c-d");
        assert_eq!(npl_value("-a"), "\"-a\"");
        assert_eq!(npl_value("a\u{1b}b"), "\"a\\u{1b}b\"");
    }
}
