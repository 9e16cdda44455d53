//! Kubernetes naming rules: DNS-1123 names, label keys and values, port names.
//! Each check returns the reason in words, for a diagnostic.

/// A DNS-1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
pub fn dns1123_label(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("it is empty".to_string());
    }
    if s.len() > 63 {
        return Err(format!(
            "it has {} characters; at most 63 are allowed",
            s.len()
        ));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(if c.is_ascii_uppercase() {
            "it has upper-case letters; names are lower case".to_string()
        } else {
            format!("`{c}` is not allowed; use lower-case letters, digits and `-`")
        });
    }
    if s.starts_with('-') || s.ends_with('-') {
        return Err("it must start and end with a letter or digit".to_string());
    }
    Ok(())
}

/// A DNS-1123 subdomain: dot-separated labels, at most 253 characters.
pub fn dns1123_subdomain(s: &str) -> Result<(), String> {
    if s.len() > 253 {
        return Err(format!(
            "it has {} characters; at most 253 are allowed",
            s.len()
        ));
    }
    for part in s.split('.') {
        dns1123_label(part).map_err(|e| format!("`{part}`: {e}"))?;
    }
    Ok(())
}

/// The name part of a label key, or a label value: at most 63 of
/// `[A-Za-z0-9._-]`, alphanumeric at both ends.
fn qualified_name_part(s: &str, what: &str) -> Result<(), String> {
    if s.len() > 63 {
        return Err(format!(
            "the {what} has {} characters; at most 63 are allowed",
            s.len()
        ));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!("`{c}` is not allowed in a {what}"));
    }
    let alnum_ends = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.chars().last().is_some_and(|c| c.is_ascii_alphanumeric());
    if !alnum_ends {
        return Err(format!(
            "a {what} must start and end with a letter or digit"
        ));
    }
    Ok(())
}

/// A label key: `[prefix/]name`.
pub fn label_key(s: &str) -> Result<(), String> {
    let (prefix, name) = match s.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    if let Some(prefix) = prefix {
        dns1123_subdomain(prefix)
            .map_err(|e| format!("the prefix is not a DNS subdomain ({e})"))?;
    }
    if name.is_empty() {
        return Err("the name part is empty".to_string());
    }
    qualified_name_part(name, "label name")
}

/// A label value: may be empty, else as a label name.
pub fn label_value(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Ok(());
    }
    qualified_name_part(s, "label value")
}

/// A named container port (IANA service name): 1–15 of `[a-z0-9-]`, at
/// least one letter, no `-` at either end and no `--`.
pub fn port_name(s: &str) -> Result<(), String> {
    if s.len() > 15 {
        return Err(format!(
            "it has {} characters; at most 15 are allowed",
            s.len()
        ));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(format!(
            "`{c}` is not allowed; use lower-case letters, digits and `-`"
        ));
    }
    if !s.chars().any(|c| c.is_ascii_lowercase()) {
        return Err("it needs at least one letter".to_string());
    }
    if s.starts_with('-') || s.ends_with('-') || s.contains("--") {
        return Err("`-` may not start or end it, nor appear twice in a row".to_string());
    }
    Ok(())
}

/// The closest candidate within a small edit distance, for "did you mean".
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_names() {
        assert!(dns1123_label("payments").is_ok());
        assert!(dns1123_label("a-1").is_ok());
        assert!(dns1123_label("Web").is_err());
        assert!(dns1123_label("-web").is_err());
        assert!(dns1123_label("web_1").is_err());
        assert!(dns1123_label(&"a".repeat(64)).is_err());
        assert!(dns1123_label(&"a".repeat(63)).is_ok());
    }

    #[test]
    fn label_keys_and_values() {
        assert!(label_key("app.kubernetes.io/name").is_ok());
        assert!(label_key("k8s-app").is_ok());
        assert!(label_key("Team_A.x").is_ok());
        assert!(label_key("-bad").is_err());
        assert!(label_key("UPPER.io/x").is_err());
        assert!(label_key("a/").is_err());
        assert!(label_value("").is_ok());
        assert!(label_value("v1.2_3").is_ok());
        assert!(label_value("v1.").is_err());
        assert!(label_value(&"v".repeat(64)).is_err());
    }

    #[test]
    fn port_names() {
        assert!(port_name("metrics").is_ok());
        assert!(port_name("http-2").is_ok());
        assert!(port_name("8080").is_err());
        assert!(port_name("a--b").is_err());
        assert!(port_name("averyveryverylongname").is_err());
        assert!(port_name("Metrics").is_err());
    }

    #[test]
    fn did_you_mean() {
        let names = ["api", "db", "frontend"];
        assert_eq!(closest("apj", names.iter().copied()), Some("api"));
        assert_eq!(closest("frontnd", names.iter().copied()), Some("frontend"));
        assert_eq!(closest("zzz", names.iter().copied()), None);
    }
}
