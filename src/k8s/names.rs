//! Kubernetes naming rules: DNS-1123 names, label keys and values, port
//! names, policy names. Each check returns the reason in words, for a
//! diagnostic (the offending text escaped: it may be a control character).

use super::text::escape_controls;

/// A character of a name, as a message shows it.
fn shown(c: char) -> String {
    escape_controls(c.encode_utf8(&mut [0; 4])).into_owned()
}

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
            format!(
                "`{}` is not allowed; use lower-case letters, digits and `-`",
                shown(c)
            )
        });
    }
    if s.starts_with('-') || s.ends_with('-') {
        return Err("it must start and end with a letter or digit".to_string());
    }
    Ok(())
}

/// A DNS-1123 subdomain, as Kubernetes checks it (`IsDNS1123Subdomain`):
/// at most 253 characters, dot-separated parts of lower-case letters, digits
/// and `-` that start and end with a letter or digit. Unlike a label, a part
/// may be longer than 63 characters.
pub fn dns1123_subdomain(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("it is empty".to_string());
    }
    if s.len() > 253 {
        return Err(format!(
            "it has {} characters; at most 253 are allowed",
            s.len()
        ));
    }
    for part in s.split('.') {
        if part.is_empty() {
            return Err("it has an empty part between dots".to_string());
        }
        let why = if let Some(c) = part
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            if c.is_ascii_uppercase() {
                "it has upper-case letters; names are lower case".to_string()
            } else {
                format!(
                    "`{}` is not allowed; use lower-case letters, digits, `-` and `.`",
                    shown(c)
                )
            }
        } else if part.starts_with('-') || part.ends_with('-') {
            "it must start and end with a letter or digit".to_string()
        } else {
            continue;
        };
        return Err(format!("`{}`: {why}", escape_controls(part)));
    }
    Ok(())
}

/// A NetworkPolicy name (`ValidateNetworkPolicyName`): a DNS-1123 subdomain.
pub fn policy_name(s: &str) -> Result<(), String> {
    dns1123_subdomain(s)
}

/// A prefix every policy name can start with: lower-case letters, digits and
/// `-`, starting with a letter or digit, short enough to leave room.
pub fn policy_name_prefix(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Ok(());
    }
    if s.len() > 200 {
        return Err(format!(
            "it has {} characters; at most 200 leave room for the policy names",
            s.len()
        ));
    }
    if !s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric()) {
        return Err("it must start with a letter or digit".to_string());
    }
    match s
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        Some(c) => Err(format!(
            "`{}` is not allowed; use lower-case letters, digits and `-`",
            shown(c)
        )),
        None => Ok(()),
    }
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
        return Err(format!("`{}` is not allowed in a {what}", shown(c)));
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
            "`{}` is not allowed; use lower-case letters, digits and `-`",
            shown(c)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_names_are_subdomains() {
        assert!(policy_name(&"a".repeat(70)).is_ok());
        assert!(policy_name(&"a".repeat(253)).is_ok());
        assert!(policy_name(&"a".repeat(254)).is_err());
        assert!(policy_name("a.b-c").is_ok());
        assert!(policy_name("a..b").is_err());
        assert!(policy_name("-a").is_err());
        assert!(policy_name_prefix("platform-netpol-").is_ok());
        assert!(policy_name_prefix("-x").is_err());
        assert!(policy_name_prefix("X-").is_err());
    }

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
}
