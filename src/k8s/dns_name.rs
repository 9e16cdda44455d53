//! DNS names as destinations: a fully qualified name (`api.stripe.com`) or a
//! pattern whose first label is `*` (`*.s3.amazonaws.com`), as RFC 1123 and
//! Cilium's `matchName` / `matchPattern` read them. Names are
//! case-insensitive: they are kept in lower case, without the trailing dot
//! that may mark them in NPL.

use std::fmt;

use super::text::escape_controls;
use super::tld::TOP_LEVEL_DOMAINS;

/// The longest name, in characters, without its trailing dot.
pub const MAX_NAME: usize = 253;
/// The longest label.
pub const MAX_LABEL: usize = 63;
/// The domain of Services and pods in most clusters: names under it are
/// endpoints, not DNS names.
pub const CLUSTER_DOMAIN: &str = "cluster.local";

/// A DNS name or a one-label pattern, in lower case, without a trailing dot.
/// Ordered and compared by its text.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DnsName {
    text: String,
}

impl fmt::Debug for DnsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DnsName({})", self.text)
    }
}

impl fmt::Display for DnsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Why a text is not a DNS name: the reason in words, for a diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameError(pub String);

impl DnsName {
    /// Parses a name as NPL writes it: 2 to 127 labels of letters, digits
    /// and `-` (each 1–63 characters, not starting or ending with `-`), at
    /// most 253 characters, the last label not all digits; or `*.` followed
    /// by such a name of at least two labels. One trailing dot is dropped,
    /// letters are folded to lower case.
    pub fn parse(text: &str) -> Result<DnsName, NameError> {
        let bare = text.strip_suffix('.').unwrap_or(text);
        let (pattern, rest) = match bare.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, bare),
        };
        if bare.is_empty() {
            return Err(NameError("it is empty".to_string()));
        }
        if bare.len() > MAX_NAME {
            return Err(NameError(format!(
                "it has {} characters; at most {MAX_NAME} are allowed",
                bare.len()
            )));
        }
        let labels: Vec<&str> = rest.split('.').collect();
        if labels.len() < 2 {
            return Err(NameError(if pattern {
                "a pattern needs at least two labels after `*.` (`*.example.com`)".to_string()
            } else {
                "a DNS name has at least two labels (`example.com`)".to_string()
            }));
        }
        for label in &labels {
            label_ok(label)?;
        }
        if labels
            .last()
            .is_some_and(|l| l.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(NameError(
                "its last label is all digits, which no top-level domain is".to_string(),
            ));
        }
        Ok(DnsName {
            text: bare.to_ascii_lowercase(),
        })
    }

    /// The name in lower case, without a trailing dot (`*.` for a pattern).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether this is a pattern (`*.example.com`).
    pub fn is_pattern(&self) -> bool {
        self.text.starts_with("*.")
    }

    /// The labels, `*` first for a pattern.
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.text.split('.')
    }

    /// Whether a name lies in this one: equal names, or a pattern whose `*`
    /// stands for the name's first label (exactly one label, as Cilium's
    /// `matchPattern` reads a leading `*.`). A pattern lies in another only
    /// when they are equal.
    pub fn covers(&self, name: &DnsName) -> bool {
        if self == name {
            return true;
        }
        let Some(suffix) = self.text.strip_prefix('*') else {
            return false;
        };
        if name.is_pattern() {
            return false;
        }
        match name.text.split_once('.') {
            Some((first, rest)) => !first.is_empty() && suffix.strip_prefix('.') == Some(rest),
            None => false,
        }
    }

    /// Whether the name lies under `domain` (`cluster.local`): equal to it
    /// or ending in `.domain`.
    pub fn is_under(&self, domain: &str) -> bool {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        self.text == domain
            || self
                .text
                .strip_suffix(domain.as_str())
                .is_some_and(|head| head.ends_with('.'))
    }

    /// A name this pattern covers whose first label is none of `taken`'s
    /// first labels (for a representative of "any other name"); the name
    /// itself when it is not a pattern.
    pub fn instance(&self, taken: &[&DnsName]) -> DnsName {
        let Some(suffix) = self.text.strip_prefix('*') else {
            return self.clone();
        };
        let first_labels: Vec<&str> = taken
            .iter()
            .filter_map(|n| n.text.split('.').next())
            .collect();
        let label = (0..)
            .map(|i| {
                if i == 0 {
                    "other".to_string()
                } else {
                    format!("other-{i}")
                }
            })
            .find(|l| !first_labels.contains(&l.as_str()))
            .unwrap_or_else(|| "other".to_string());
        // `other-N` is at most 26 characters longer than `*`; a pattern near
        // the length limit keeps its shortest instance valid.
        let mut text = format!("{label}{suffix}");
        if text.len() > MAX_NAME {
            text = format!("x{suffix}");
        }
        DnsName { text }
    }
}

fn label_ok(label: &str) -> Result<(), NameError> {
    if label.is_empty() {
        return Err(NameError(
            "it has an empty label between two dots".to_string(),
        ));
    }
    let shown = escape_controls(label);
    if label.len() > MAX_LABEL {
        return Err(NameError(format!(
            "the label `{shown}` has {} characters; at most {MAX_LABEL} are allowed",
            label.len()
        )));
    }
    if let Some(c) = label
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        let c = escape_controls(c.encode_utf8(&mut [0; 4])).into_owned();
        return Err(NameError(if c == "*" {
            "`*` may only stand alone as the first label (`*.example.com`)".to_string()
        } else {
            format!("`{c}` is not allowed in a DNS name; use letters, digits and `-`")
        }));
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err(NameError(format!(
            "the label `{shown}` must start and end with a letter or digit"
        )));
    }
    Ok(())
}

/// Whether `label` (any case) is a top-level domain of the DNS root zone.
pub fn is_top_level_domain(label: &str) -> bool {
    let lower = label.to_ascii_lowercase();
    TOP_LEVEL_DOMAINS.binary_search(&lower.as_str()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> DnsName {
        DnsName::parse(s).unwrap()
    }

    #[test]
    fn names_are_folded_and_lose_their_trailing_dot() {
        assert_eq!(name("API.Stripe.com.").as_str(), "api.stripe.com");
        assert_eq!(name("*.S3.amazonaws.com").as_str(), "*.s3.amazonaws.com");
        assert!(name("*.s3.amazonaws.com.").is_pattern());
        assert!(!name("a.b").is_pattern());
    }

    #[test]
    fn malformed_names_are_refused_with_a_reason() {
        for (text, why) in [
            ("localhost", "at least two labels"),
            ("*.com", "at least two labels after `*.`"),
            ("1.2.3.4.5", "all digits"),
            ("a..b", "empty label"),
            ("-a.com", "start and end"),
            ("a-.com", "start and end"),
            ("a_b.com", "`_` is not allowed"),
            ("a.*.com", "`*` may only"),
            ("**.a.com", "`*` may only"),
            ("", "empty"),
            ("a.b..", "empty label"),
        ] {
            let err = DnsName::parse(text).unwrap_err().0;
            assert!(err.contains(why), "{text}: {err}");
        }
        let long_label = format!("{}.com", "a".repeat(64));
        assert!(DnsName::parse(&long_label).unwrap_err().0.contains("63"));
        let long = format!("{}com", "abcdefgh.".repeat(28));
        assert!(long.len() > 253);
        assert!(DnsName::parse(&long).unwrap_err().0.contains("253"));
        let just = format!("{}com", "a.".repeat(125));
        assert_eq!(just.len(), 253);
        assert!(DnsName::parse(&just).is_ok());
        // The last label may hold digits and letters, not digits only.
        assert!(DnsName::parse("a.b2").is_ok());
    }

    #[test]
    fn a_pattern_stands_for_exactly_one_label() {
        let p = name("*.s3.amazonaws.com");
        assert!(p.covers(&name("x.s3.amazonaws.com")));
        assert!(!p.covers(&name("a.b.s3.amazonaws.com")));
        assert!(!p.covers(&name("s3.amazonaws.com")));
        assert!(!p.covers(&name("x.s4.amazonaws.com")));
        assert!(p.covers(&p));
        assert!(!p.covers(&name("*.x.s3.amazonaws.com")));
        let n = name("api.stripe.com");
        assert!(n.covers(&n));
        assert!(!n.covers(&name("api.stripe.org")));
    }

    #[test]
    fn instances_avoid_the_names_given() {
        let p = name("*.example.com");
        let other = name("other.example.com");
        assert_eq!(p.instance(&[]).as_str(), "other.example.com");
        assert_eq!(p.instance(&[&other]).as_str(), "other-1.example.com");
        assert!(p.covers(&p.instance(&[&other])));
        assert_eq!(other.instance(&[]), other);
    }

    #[test]
    fn cluster_domain_and_top_level_domains() {
        assert!(name("api.payments.svc.cluster.local").is_under(CLUSTER_DOMAIN));
        assert!(name("*.svc.cluster.local").is_under(CLUSTER_DOMAIN));
        assert!(!name("notcluster.local.example").is_under(CLUSTER_DOMAIN));
        assert!(!name("xcluster.local").is_under(CLUSTER_DOMAIN));
        assert!(is_top_level_domain("com"));
        assert!(is_top_level_domain("IO"));
        assert!(!is_top_level_domain("v2"));
        assert!(!is_top_level_domain("local"));
        assert!(TOP_LEVEL_DOMAINS.windows(2).all(|w| w[0] < w[1]));
    }
}
