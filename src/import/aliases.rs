//! Aliases for the workload endpoints a program names more than twice:
//! `let frontend = boutique/frontend`, and `frontend` in the statements.
//!
//! Applied to the program's text before it is checked, so the equivalence
//! check covers it. Only `ns/name` endpoints are aliased; the alias is the
//! workload name, or `ns-name` when two namespaces share the name or the
//! name is a keyword or not an alias name.

use std::collections::{BTreeMap, BTreeSet};

use crate::syntax::KEYWORDS;

/// Uses before an endpoint gets an alias.
const MORE_THAN: usize = 2;

/// Splits at commas outside `{}`, `()` and `[]`.
fn split_top(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' | '(' | '[' => depth += 1,
            '}' | ')' | ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(text[start..].trim());
    out
}

/// An endpoint and its ports (`:...` outside brackets), apart.
fn endpoint_and_ports(item: &str) -> (&str, &str) {
    let mut depth = 0i32;
    for (i, c) in item.char_indices() {
        match c {
            '{' | '(' | '[' => depth += 1,
            '}' | ')' | ']' => depth -= 1,
            ':' if depth == 0 => return (&item[..i], &item[i..]),
            _ => {}
        }
    }
    (item, "")
}

/// `ns/name` with a plain workload name.
fn workload(endpoint: &str) -> Option<(&str, &str)> {
    let (ns, name) = endpoint.split_once('/')?;
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    };
    (plain(ns) && plain(name)).then_some((ns, name))
}

fn alias_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        && !KEYWORDS.contains(&text)
}

/// An `allow` line as its sources and its targets.
fn parts(line: &str) -> Option<(Vec<&str>, Vec<&str>)> {
    let rest = line.strip_prefix("allow ")?;
    let (sources, targets) = rest.split_once(" -> ")?;
    Some((split_top(sources), split_top(targets)))
}

/// The program with aliases for the workload endpoints used more than
/// twice, declared after the namespaces (before the first `# from` comment
/// of a statement or the first `allow`).
pub fn apply(text: &str) -> String {
    let mut uses: BTreeMap<String, usize> = BTreeMap::new();
    for line in text.lines() {
        let Some((sources, targets)) = parts(line) else {
            continue;
        };
        for item in sources.iter().chain(&targets) {
            let (endpoint, _) = endpoint_and_ports(item);
            if workload(endpoint).is_some() {
                *uses.entry(endpoint.to_string()).or_default() += 1;
            }
        }
    }
    let chosen: Vec<&String> = uses
        .iter()
        .filter(|(_, n)| **n > MORE_THAN)
        .map(|(e, _)| e)
        .collect();
    if chosen.is_empty() {
        return text.to_string();
    }
    let mut by_name: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &chosen {
        if let Some((_, name)) = workload(e) {
            *by_name.entry(name).or_default() += 1;
        }
    }
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    for e in &chosen {
        let Some((ns, name)) = workload(e) else {
            continue;
        };
        let short = name.to_string();
        let long = format!("{ns}-{name}");
        let pick = if by_name.get(name) == Some(&1) && alias_name(&short) {
            short
        } else {
            long
        };
        if alias_name(&pick) && taken.insert(pick.clone()) {
            names.insert((*e).clone(), pick);
        }
    }
    let lines: Vec<&str> = text.lines().collect();
    // Before the first `allow` and the comments right over it.
    let mut at = lines
        .iter()
        .position(|l| l.starts_with("allow "))
        .unwrap_or(lines.len());
    while at > 0 && lines[at - 1].starts_with('#') {
        at -= 1;
    }
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i == at {
            for (endpoint, alias) in &names {
                out.push_str(&format!("let {alias} = {endpoint}\n"));
            }
            out.push('\n');
        }
        match parts(line) {
            Some((sources, targets)) => {
                let swap = |item: &&str| -> String {
                    let (endpoint, ports) = endpoint_and_ports(item);
                    match names.get(endpoint) {
                        Some(alias) => format!("{alias}{ports}"),
                        None => (*item).to_string(),
                    }
                };
                let s: Vec<String> = sources.iter().map(swap).collect();
                let t: Vec<String> = targets.iter().map(swap).collect();
                out.push_str(&format!("allow {} -> {}\n", s.join(", "), t.join(", ")));
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_used_more_than_twice_get_aliases() {
        let text = "namespace a\n\n# from a/p\nallow a/web -> b/db:{80, 443}, [2001:db8::/32]:443\nallow a/web -> b/db:5432\nallow c/x, a/web -> b/{app=db, tier in (x, y)}\n";
        let out = apply(text);
        assert!(out.contains("let web = a/web\n\n# from a/p\n"), "{out}");
        assert!(
            out.contains("allow web -> b/db:{80, 443}, [2001:db8::/32]:443"),
            "{out}"
        );
        assert!(
            out.contains("allow c/x, web -> b/{app=db, tier in (x, y)}"),
            "{out}"
        );
        // Used twice only: no alias.
        assert!(!out.contains("let db"), "{out}");
        assert_eq!(apply("allow a/b -> c/d\n"), "allow a/b -> c/d\n");
    }
}
