//! A direct writer of block YAML for emitted policies: for the shapes npc
//! emits it writes the same bytes as `serde_yaml`, at a fraction of the cost
//! (the general serializer spent half of a build in its event emitter). It
//! declines any policy holding a value it cannot prove it writes the same
//! way (a scalar that would need quotes, a field npc never sets), and the
//! caller then falls back to `serde_yaml` for that policy.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::Resource as _;

/// A YAML value borrowing the policy's strings.
enum Node<'a> {
    Str(&'a str),
    Int(i32),
    Map(Vec<(&'a str, Node<'a>)>),
    Seq(Vec<Node<'a>>),
}

/// Appends one policy as a YAML document (no `---`); false, with `out`
/// unchanged, if the policy must go through the general serializer.
pub fn write_policy(out: &mut String, policy: &NetworkPolicy) -> bool {
    let start = out.len();
    let written = network_policy(policy).is_some_and(|node| match node {
        Node::Map(entries) if !entries.is_empty() => write_map(out, &entries, 0, false),
        _ => false,
    });
    if !written {
        out.truncate(start);
    }
    written
}

fn network_policy(p: &NetworkPolicy) -> Option<Node<'_>> {
    let mut m = vec![
        ("apiVersion", Node::Str(NetworkPolicy::API_VERSION)),
        ("kind", Node::Str(NetworkPolicy::KIND)),
        ("metadata", metadata(&p.metadata)?),
    ];
    if let Some(spec) = &p.spec {
        m.push(("spec", spec_node(spec)));
    }
    Some(Node::Map(m))
}

fn metadata(meta: &ObjectMeta) -> Option<Node<'_>> {
    // Only the fields npc sets; anything else goes the general way.
    let ObjectMeta {
        annotations,
        creation_timestamp: None,
        deletion_grace_period_seconds: None,
        deletion_timestamp: None,
        finalizers: None,
        generate_name: None,
        generation: None,
        labels,
        managed_fields: None,
        name,
        namespace,
        owner_references: None,
        resource_version: None,
        self_link: None,
        uid: None,
    } = meta
    else {
        return None;
    };
    let mut m = Vec::new();
    if let Some(a) = annotations {
        m.push(("annotations", string_map(a)));
    }
    if let Some(l) = labels {
        m.push(("labels", string_map(l)));
    }
    if let Some(n) = name {
        m.push(("name", Node::Str(n)));
    }
    if let Some(n) = namespace {
        m.push(("namespace", Node::Str(n)));
    }
    Some(Node::Map(m))
}

fn string_map(map: &BTreeMap<String, String>) -> Node<'_> {
    Node::Map(
        map.iter()
            .map(|(k, v)| (k.as_str(), Node::Str(v)))
            .collect(),
    )
}

fn strings(v: &[String]) -> Node<'_> {
    Node::Seq(v.iter().map(|s| Node::Str(s)).collect())
}

fn spec_node(spec: &NetworkPolicySpec) -> Node<'_> {
    let mut m = Vec::new();
    if let Some(egress) = &spec.egress {
        let rules = egress
            .iter()
            .map(|r| {
                let mut e = Vec::new();
                if let Some(p) = &r.ports {
                    e.push(("ports", Node::Seq(p.iter().map(port).collect())));
                }
                if let Some(to) = &r.to {
                    e.push(("to", Node::Seq(to.iter().map(peer).collect())));
                }
                Node::Map(e)
            })
            .collect();
        m.push(("egress", Node::Seq(rules)));
    }
    if let Some(ingress) = &spec.ingress {
        let rules = ingress
            .iter()
            .map(|r| {
                let mut e = Vec::new();
                if let Some(from) = &r.from {
                    e.push(("from", Node::Seq(from.iter().map(peer).collect())));
                }
                if let Some(p) = &r.ports {
                    e.push(("ports", Node::Seq(p.iter().map(port).collect())));
                }
                Node::Map(e)
            })
            .collect();
        m.push(("ingress", Node::Seq(rules)));
    }
    if let Some(sel) = &spec.pod_selector {
        m.push(("podSelector", label_selector(sel)));
    }
    if let Some(types) = &spec.policy_types {
        m.push(("policyTypes", strings(types)));
    }
    Node::Map(m)
}

fn peer(p: &NetworkPolicyPeer) -> Node<'_> {
    let mut m = Vec::new();
    if let Some(IPBlock { cidr, except }) = &p.ip_block {
        let mut b = vec![("cidr", Node::Str(cidr.as_str()))];
        if let Some(e) = except {
            b.push(("except", strings(e)));
        }
        m.push(("ipBlock", Node::Map(b)));
    }
    if let Some(sel) = &p.namespace_selector {
        m.push(("namespaceSelector", label_selector(sel)));
    }
    if let Some(sel) = &p.pod_selector {
        m.push(("podSelector", label_selector(sel)));
    }
    Node::Map(m)
}

fn label_selector(sel: &LabelSelector) -> Node<'_> {
    let mut m = Vec::new();
    if let Some(exprs) = &sel.match_expressions {
        let items = exprs
            .iter()
            .map(|r| {
                let mut e = vec![
                    ("key", Node::Str(r.key.as_str())),
                    ("operator", Node::Str(r.operator.as_str())),
                ];
                if let Some(v) = &r.values {
                    e.push(("values", strings(v)));
                }
                Node::Map(e)
            })
            .collect();
        m.push(("matchExpressions", Node::Seq(items)));
    }
    if let Some(labels) = &sel.match_labels {
        m.push(("matchLabels", string_map(labels)));
    }
    Node::Map(m)
}

fn port(p: &NetworkPolicyPort) -> Node<'_> {
    let mut m = Vec::new();
    if let Some(end) = p.end_port {
        m.push(("endPort", Node::Int(end)));
    }
    match &p.port {
        Some(IntOrString::Int(n)) => m.push(("port", Node::Int(*n))),
        Some(IntOrString::String(s)) => m.push(("port", Node::Str(s))),
        None => {}
    }
    if let Some(proto) = &p.protocol {
        m.push(("protocol", Node::Str(proto)));
    }
    Node::Map(m)
}

// ------------------------------------------------------------------ writing

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// Block mapping with keys at column `col`; with `inline_first` the first
/// key follows a `- ` already written.
fn write_map(
    out: &mut String,
    entries: &[(&str, Node<'_>)],
    col: usize,
    inline_first: bool,
) -> bool {
    for (i, (key, value)) in entries.iter().enumerate() {
        if !(plain(key) && key.len() <= MAX_SIMPLE_KEY) {
            return false;
        }
        if i > 0 || !inline_first {
            indent(out, col);
        }
        push_plain(out, key);
        out.push(':');
        let ok = match value {
            Node::Map(m) if m.is_empty() => {
                out.push_str(" {}\n");
                true
            }
            Node::Seq(s) if s.is_empty() => {
                out.push_str(" []\n");
                true
            }
            Node::Map(m) => {
                out.push('\n');
                write_map(out, m, col + 2, false)
            }
            // A sequence in a mapping is not indented further.
            Node::Seq(s) => {
                out.push('\n');
                write_seq(out, s, col)
            }
            scalar => {
                out.push(' ');
                write_scalar(out, scalar)
            }
        };
        if !ok {
            return false;
        }
    }
    true
}

fn write_seq(out: &mut String, items: &[Node<'_>], col: usize) -> bool {
    for item in items {
        indent(out, col);
        out.push_str("- ");
        let ok = match item {
            Node::Map(m) if m.is_empty() => {
                out.push_str("{}\n");
                true
            }
            Node::Map(m) => write_map(out, m, col + 2, true),
            // Never emitted by npc; not worth the rules.
            Node::Seq(_) => false,
            scalar => write_scalar(out, scalar),
        };
        if !ok {
            return false;
        }
    }
    true
}

/// A plain scalar, single-quoted where YAML 1.1 readers would take it for
/// something else (`yes`, `on`, `y`): see `output::yaml11_safe`.
fn push_plain(out: &mut String, s: &str) {
    if super::output::yaml11_special(s) {
        out.push('\'');
        out.push_str(s);
        out.push('\'');
    } else {
        out.push_str(s);
    }
}

fn write_scalar(out: &mut String, node: &Node<'_>) -> bool {
    match node {
        Node::Str(s) if plain(s) => {
            push_plain(out, s);
            out.push('\n');
            true
        }
        // `'true'`, `'8080'`: strings that would read as something else.
        Node::Str(s) if reads_as_other(s) => {
            out.push('\'');
            out.push_str(s);
            out.push_str("'\n");
            true
        }
        Node::Int(n) => {
            let _ = writeln!(out, "{n}");
            true
        }
        _ => false,
    }
}

/// Strings that `serde_yaml` single-quotes because, plain, they would read
/// as a boolean, null or integer (a subset: other numbers go the general way).
fn reads_as_other(s: &str) -> bool {
    matches!(
        s,
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" | "null" | "Null" | "NULL"
    ) || (!s.is_empty() && s.len() <= 63 && s.bytes().all(|b| b.is_ascii_digit()))
}

/// Longer keys are written as complex keys (`? key`) by libyaml.
const MAX_SIMPLE_KEY: usize = 128;

/// Whether `serde_yaml` writes this string as a plain scalar, decided
/// conservatively: a letter or `/` first (so never a number, and never an
/// indicator), or a CIDR, then only `[A-Za-z0-9._/-]`, `:` not before a space or the
/// end, `,`, and single spaces not before `#` or the end; and not a word
/// that reads as a boolean or null.
pub(crate) fn plain(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(&first) = b.first() else {
        return false;
    };
    // A digit or `:` first only with a `/` (CIDRs: `10.0.0.0/8`, `::/0`),
    // which no number contains.
    let cidr_like = (first.is_ascii_digit() || first == b':') && b.contains(&b'/');
    if !(first.is_ascii_alphabetic() || first == b'/' || cidr_like) {
        return false;
    }
    if matches!(
        s,
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" | "null" | "Null" | "NULL"
    ) {
        return false;
    }
    b.iter().enumerate().all(|(i, &c)| {
        let next = b.get(i + 1).copied();
        match c {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'_' | b'-' | b'/' | b',' => true,
            b':' => next.is_some_and(|n| n != b' '),
            b' ' => next.is_some_and(|n| n != b' ' && n != b'#'),
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::plain;

    /// Every string the fast path writes plain, `serde_yaml` writes plain too.
    #[test]
    fn plain_scalars_agree_with_serde_yaml() {
        let cases = [
            "app",
            "TCP",
            "kube-system",
            "app.kubernetes.io/name",
            "a:b",
            "/tmp/x.npl:3, /tmp/y.npl:4",
            "x.npl:12",
            "a b",
            "Web",
            "y",
            "no",
            "on",
            "inf",
            "nan",
            "e10",
            "x-",
            "a,b",
            "a/b/c",
            "10.0.0.0/8",
            "::/0",
            "2001:db8::/32",
            "192.0.2.7/32",
            "1/",
            ":/",
        ];
        for s in cases {
            assert!(plain(s), "{s}");
            let y = serde_yaml::to_string(&s).unwrap();
            assert_eq!(y, format!("{s}\n"), "{s}");
        }
        for s in ["true", "False", "NULL", "8080", "0123", "1"] {
            assert!(super::reads_as_other(s), "{s}");
            let y = serde_yaml::to_string(&s).unwrap();
            assert_eq!(y, format!("'{s}'\n"), "{s}");
        }
        for s in [
            "", "true", "Null", "8080", "0x1", "-a", ".inf", "a: b", "a:", "a #b", "a ", " a",
            "a\tb", "é", "a'b", "a\"b", "*a", "&a", "!a", "%a", "@a", "`a", "a  b", "?a",
            "10.0.0.1", ":a",
        ] {
            assert!(!plain(s), "{s}");
        }
    }
}
