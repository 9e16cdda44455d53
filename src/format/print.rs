//! Canonical text of single statements and their parts: endpoints, label sets, ports.

use std::cmp::Ordering;

use crate::source::Spanned;
use crate::syntax::ast::*;

/// One line for a statement that is not a namespace block or `deny`
/// (those are laid out by the caller); `None` for them.
pub(super) fn statement(stmt: &Statement) -> Option<String> {
    Some(match stmt {
        Statement::Namespace(_) | Statement::Tier(_) | Statement::Deny | Statement::Invalid(_) => {
            return None
        }
        Statement::TierRule(r) => {
            let side = r
                .side
                .as_ref()
                .map_or(String::new(), |s| format!("{} ", s.node.as_str()));
            format!(
                "{} {side}{} -> {}",
                r.action.node.as_str(),
                targets(&r.sources),
                targets(&r.destinations)
            )
        }
        Statement::Let(l) => format!("let {} = {}", l.name.node, targets(&l.targets)),
        Statement::Allow(a) => format!(
            "allow {} -> {}",
            targets(&a.sources),
            targets(&a.destinations)
        ),
        Statement::Expect(e) => format!(
            "expect {} {} -> {}",
            match e.verdict.node {
                Verdict::Allow => "allow",
                Verdict::Deny => "deny",
            },
            target(&e.source),
            target(&e.destination)
        ),
        Statement::Dns(Dns::None) => "dns none".to_string(),
        Statement::Dns(Dns::Servers(servers)) => format!("dns {}", targets(servers)),
        Statement::Scrape(s) => format!(
            "scrape {} -> {}{}",
            target(&s.source),
            pod_part(&s.pods),
            s.ports.as_ref().map_or(String::new(), |p| ports(p))
        ),
        Statement::Set(s) => format!("set {} = {}", s.key.node, setting_value(&s.value)),
        Statement::Include(path) => format!("include {}", quoted(path)),
        Statement::Isolate(iso) => {
            let mut out = match &iso.directions {
                IsolateDirections::None => "isolate none".to_string(),
                IsolateDirections::Directions(dirs) => {
                    let dirs: Vec<&str> = dirs
                        .iter()
                        .map(|d| match d.node {
                            Direction::Ingress => "ingress",
                            Direction::Egress => "egress",
                        })
                        .collect();
                    format!("isolate {}", dirs.join(", "))
                }
            };
            if let Some(only) = &iso.only {
                let sets: Vec<String> = only.node.iter().map(|s| pod_part(&s.node)).collect();
                out.push_str(&format!(" only {}", sets.join(", ")));
            }
            out
        }
        Statement::No(what) => match what.node {
            Carveout::Dns => "no dns".to_string(),
            Carveout::Scrape => "no scrape".to_string(),
        },
    })
}

/// `namespace NAME [labels {...}]`, without the block.
pub(super) fn namespace_header(decl: &NamespaceDecl) -> String {
    match &decl.labels {
        Some(labels) => format!("namespace {} labels {}", decl.name.node, label_set(labels)),
        None => format!("namespace {}", decl.name.node),
    }
}

fn targets(list: &[Spanned<Target>]) -> String {
    list.iter()
        .map(|t| target(t))
        .collect::<Vec<_>>()
        .join(", ")
}

fn target(t: &Target) -> String {
    let ports = t.ports.as_ref().map_or(String::new(), |p| ports(p));
    format!("{}{ports}", endpoint(&t.endpoint))
}

fn endpoint(e: &Endpoint) -> String {
    match e {
        Endpoint::Pods { namespace, pods } => {
            let ns = match &namespace.node {
                NamespacePart::Any => "*".to_string(),
                NamespacePart::Name(n) => n.clone(),
                NamespacePart::Labels(set) => label_set(set),
            };
            format!("{ns}/{}", pod_part(pods))
        }
        Endpoint::Ip { cidr, except } => match except.as_slice() {
            [] => cidr.node.clone(),
            [one] => format!("{} except {}", cidr.node, one.node),
            many => {
                let list: Vec<&str> = many.iter().map(|c| c.node.as_str()).collect();
                format!("{} except ({})", cidr.node, list.join(", "))
            }
        },
        Endpoint::World => "world".to_string(),
        Endpoint::Cluster => "cluster".to_string(),
        Endpoint::Alias(name) => name.clone(),
        // As written: the trailing dot may be what makes it a name.
        Endpoint::Name(name) => name.clone(),
        Endpoint::LocalPods(set) => label_set(set),
    }
}

fn pod_part(p: &PodPart) -> String {
    match p {
        PodPart::Any => "*".to_string(),
        PodPart::Name(n) => label_value(n),
        PodPart::Labels(set) => label_set(set),
    }
}

/// `{k=v, k2 in (a, b)}`: entries sorted by key, then operator, then
/// values; `in`/`notin` values sorted and deduplicated (a set either way).
fn label_set(set: &LabelSet) -> String {
    let mut entries: Vec<(&str, u8, Vec<&str>)> = set
        .entries
        .iter()
        .map(|e| {
            let (rank, values) = match &e.op {
                LabelOp::Eq(v) => (0, vec![v.node.as_str()]),
                LabelOp::NotEq(v) => (1, vec![v.node.as_str()]),
                LabelOp::In(vs) => (2, value_set(vs)),
                LabelOp::NotIn(vs) => (3, value_set(vs)),
                LabelOp::Exists => (4, Vec::new()),
                LabelOp::NotExists => (5, Vec::new()),
            };
            (e.key.node.as_str(), rank, values)
        })
        .collect();
    entries.sort();
    let text: Vec<String> = entries
        .into_iter()
        .map(|(key, rank, values)| {
            let values: Vec<String> = values.into_iter().map(label_value).collect();
            match rank {
                0 => format!("{key}={}", values.concat()),
                1 => format!("{key}!={}", values.concat()),
                2 => format!("{key} in ({})", values.join(", ")),
                3 => format!("{key} notin ({})", values.join(", ")),
                4 => key.to_string(),
                _ => format!("!{key}"),
            }
        })
        .collect();
    format!("{{{}}}", text.join(", "))
}

fn value_set(values: &[Spanned<String>]) -> Vec<&str> {
    let mut set: Vec<&str> = values.iter().map(|v| v.node.as_str()).collect();
    set.sort_unstable();
    set.dedup();
    set
}

/// `:80` or `:{80, 443, 53/udp}`: numbers by value, then ranges, then
/// names; deduplicated.
fn ports(list: &[Spanned<Port>]) -> String {
    let mut sorted: Vec<&Port> = list.iter().map(|p| &p.node).collect();
    sorted.sort_by(|a, b| port_order(a, b));
    sorted.dedup_by(|a, b| port_order(a, b) == Ordering::Equal);
    match sorted.as_slice() {
        [one] => format!(":{}", port(one)),
        many => {
            let text: Vec<String> = many.iter().map(|p| port(p)).collect();
            format!(":{{{}}}", text.join(", "))
        }
    }
}

fn port(p: &Port) -> String {
    let value = match &p.value {
        PortValue::Number(n) => n.node.clone(),
        PortValue::Range(range) => format!("{}-{}", range.0.node, range.1.node),
        PortValue::Named(name) => name.node.clone(),
    };
    match &p.protocol {
        Some(proto) => format!("{value}/{}", proto.node),
        None => value,
    }
}

/// Total order on ports as written: class (number, range, name), then
/// numeric value, then text (`080` after `80`), then protocol (none first).
/// Equal only when written alike.
fn port_order(a: &Port, b: &Port) -> Ordering {
    let class = |p: &Port| match p.value {
        PortValue::Number(_) => 0,
        PortValue::Range(..) => 1,
        PortValue::Named(_) => 2,
    };
    let texts = |p: &Port| -> Vec<String> {
        match &p.value {
            PortValue::Number(n) | PortValue::Named(n) => vec![n.node.clone()],
            PortValue::Range(range) => vec![range.0.node.clone(), range.1.node.clone()],
        }
    };
    let values = |p: &Port| -> Vec<(usize, String)> {
        match p.value {
            PortValue::Named(_) => Vec::new(),
            _ => texts(p).iter().map(|t| digits(t)).collect(),
        }
    };
    let protocol = |p: &Port| p.protocol.as_ref().map(|s| s.node.clone());
    class(a)
        .cmp(&class(b))
        .then_with(|| values(a).cmp(&values(b)))
        .then_with(|| texts(a).cmp(&texts(b)))
        .then_with(|| protocol(a).cmp(&protocol(b)))
}

/// A decimal number as (length, digits) without leading zeros, which sorts
/// by value at any length.
fn digits(n: &str) -> (usize, String) {
    let trimmed = n.trim_start_matches('0');
    (trimmed.len(), trimmed.to_string())
}

fn is_word(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// A label value: bare when it is a bare token, quoted otherwise (`""`).
fn label_value(v: &str) -> String {
    if is_word(v) {
        v.to_string()
    } else {
        quoted(v)
    }
}

/// A setting value: bare when it reads as a label key (`a.b/c`).
fn setting_value(v: &str) -> String {
    let bare = match v.split_once('/') {
        Some((prefix, name)) => is_word(prefix) && is_word(name),
        None => is_word(v),
    };
    if bare {
        v.to_string()
    } else {
        quoted(v)
    }
}

fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}
