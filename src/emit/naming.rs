//! Policy names: readable, DNS-1123 valid, collision-free and stable: a name
//! depends only on the selector it governs, never on the rest of the program.

use crate::ir::{Operator, PodSet, Selector};

pub const DEFAULT_DENY: &str = "default-deny";
pub const ALLOW_DNS: &str = "allow-dns";
pub const ALL_PODS: &str = "all-pods";

/// Longest readable part before the hash suffix.
const MAX_READABLE: usize = 40;

/// The name of the policy for the pods a selector picks.
pub fn workload_policy_name(pods: &Selector, workload_label: &str) -> String {
    if pods.is_empty() {
        return ALL_PODS.to_string();
    }
    if pods.expressions.is_empty() && pods.match_labels.len() == 1 {
        if let Some(value) = pods.match_labels.get(workload_label) {
            // An empty value (a valid label value) is no name: it gets the
            // readable-and-hashed form below (`app-1a2b3c4d`).
            let clean = sanitize(value);
            if !value.is_empty()
                && &clean == value
                && ![DEFAULT_DENY, ALLOW_DNS, ALL_PODS].contains(&value.as_str())
            {
                return clean;
            }
        }
    }
    let readable = readable(pods);
    let readable = if readable.is_empty() {
        "pods".to_string()
    } else {
        readable
    };
    format!("{readable}-{:08x}", fnv1a(&canonical(pods)) as u32)
}

/// What the policy names of a pod set of `isolate ... only` end with
/// (`default-deny-db`): the alias it was written as, else the name of its
/// pods' policy (the workload name, or the label set's words and hash).
pub fn set_suffix(set: &PodSet, workload_label: &str) -> String {
    if let Some(alias) = &set.alias {
        let clean = sanitize(alias);
        if !clean.is_empty() {
            return clean;
        }
    }
    workload_policy_name(&set.pods, workload_label)
}

/// `tier-web-role-in-a-b` style words for a selector, cut to a readable length.
fn readable(pods: &Selector) -> String {
    let mut words: Vec<String> = Vec::new();
    for (k, v) in &pods.match_labels {
        words.push(short_key(k));
        words.push(v.clone());
    }
    for r in &pods.expressions {
        words.push(short_key(&r.key));
        words.push(
            match r.operator {
                Operator::In => "in",
                Operator::NotIn => "not",
                Operator::Exists => "exists",
                Operator::DoesNotExist => "absent",
            }
            .to_string(),
        );
        words.extend(r.values.iter().cloned());
    }
    let mut s = sanitize(&words.join("-"));
    if s.len() > MAX_READABLE {
        s.truncate(MAX_READABLE);
        s = s.trim_end_matches('-').to_string();
    }
    s
}

/// A key without its DNS prefix: `app.kubernetes.io/name` → `name`.
fn short_key(key: &str) -> String {
    key.rsplit('/').next().unwrap_or(key).to_string()
}

/// Lower case; every run of other characters becomes one `-`; no `-` at the ends.
fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// A selector as text that two different selectors never share.
fn canonical(pods: &Selector) -> String {
    let mut s = String::new();
    for (k, v) in &pods.match_labels {
        s.push_str(&format!("{k}={v};"));
    }
    for r in &pods.expressions {
        s.push_str(&format!("{} {} (", r.key, r.operator.as_str()));
        for v in &r.values {
            s.push_str(v);
            s.push(',');
        }
        s.push_str(");");
    }
    s
}

/// FNV-1a, 64 bit: stable across platforms and releases, unlike `std`'s hasher.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(pairs: &[(&str, &str)]) -> Selector {
        Selector {
            match_labels: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Selector::default()
        }
    }

    #[test]
    fn workload_names_are_the_workload() {
        assert_eq!(
            workload_policy_name(&sel(&[("app", "api-server")]), "app"),
            "api-server"
        );
        assert_eq!(
            workload_policy_name(&Selector::default(), "app"),
            "all-pods"
        );
    }

    #[test]
    fn other_selectors_get_a_stable_hash() {
        let a = workload_policy_name(&sel(&[("k8s-app", "kube-dns")]), "app");
        assert!(a.starts_with("k8s-app-kube-dns-"), "{a}");
        assert_eq!(
            a,
            workload_policy_name(&sel(&[("k8s-app", "kube-dns")]), "app")
        );
        // Sanitizing must not merge different selectors.
        let b = workload_policy_name(&sel(&[("app", "Web")]), "app");
        let c = workload_policy_name(&sel(&[("app", "web")]), "app");
        assert_ne!(b, c);
        // A workload called like a reserved policy does not take its name.
        assert_ne!(
            workload_policy_name(&sel(&[("app", "default-deny")]), "app"),
            DEFAULT_DENY
        );
    }

    #[test]
    fn an_empty_workload_value_gets_a_valid_stable_name() {
        let n = workload_policy_name(&sel(&[("app", "")]), "app");
        assert!(crate::k8s::names::policy_name(&n).is_ok(), "{n}");
        assert!(n.starts_with("app-"), "{n}");
        assert_eq!(n, workload_policy_name(&sel(&[("app", "")]), "app"));
        assert_ne!(n, workload_policy_name(&sel(&[("app", "app")]), "app"));
        let other = workload_policy_name(&sel(&[("tier", "")]), "tier");
        assert_ne!(n, other);
    }

    #[test]
    fn long_selectors_stay_short() {
        let long = "x".repeat(63);
        let n = workload_policy_name(&sel(&[("tier", &long), ("zone", &long)]), "app");
        assert!(n.len() <= MAX_READABLE + 9, "{n}");
    }
}
