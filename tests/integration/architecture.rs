//! Invariants of ARCHITECTURE.md that the source text shows: who reads a
//! NetworkPolicy's rules as raw API values, who spells label-selector
//! operators, and that the grammar has no recursive rule.
//!
//! The checks are textual (comments and string literals are left out of
//! the code searched), so they see field accesses and type names, not
//! types: a short allow-list says which files may, and why.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::support::npc::root;

/// Every `.rs` file under `src/`, with its path relative to the root
/// (`src/import/pairs.rs`), sorted.
fn sources() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = vec![root().join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((relative(&path), text));
            }
        }
    }
    out.sort();
    out
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/")
}

/// The code of a Rust file without its comments and without the contents
/// of its string and character literals (each replaced by a space, so
/// line numbers stay).
fn code(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let keep_lines = |s: &[char], out: &mut String| {
        for c in s {
            if *c == '\n' {
                out.push('\n');
            }
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let start = i;
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i = (i + 2).min(chars.len());
            keep_lines(&chars[start..i], &mut out);
        } else if c == 'r'
            && matches!(next, Some('"' | '#'))
            && !chars
                .get(i.wrapping_sub(1))
                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            // A raw string: r"..." or r#"..."#.
            let start = i;
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '"' && (0..hashes).all(|h| chars.get(j + 1 + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            keep_lines(&chars[start..j.min(chars.len())], &mut out);
            out.push(' ');
            i = j;
        } else if c == '"' {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(chars.len());
            keep_lines(&chars[start..i.min(chars.len())], &mut out);
            out.push(' ');
        } else if c == '\'' {
            // A character literal ('x', '\n', '\''), or a lifetime.
            let literal_end = match (next, chars.get(i + 2)) {
                (Some('\\'), _) => (i + 2..chars.len().min(i + 12)).find(|&j| chars[j] == '\''),
                (Some(_), Some('\'')) => Some(i + 2),
                _ => None,
            };
            match literal_end {
                Some(end) => {
                    out.push(' ');
                    i = end + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The places (`file:line: text`) in `code` where `found` says a line
/// breaks the rule.
fn places(file: &str, code: &str, found: impl Fn(&str) -> bool) -> Vec<String> {
    code.lines()
        .enumerate()
        .filter(|(_, line)| found(line))
        .map(|(n, line)| format!("{file}:{}: {}", n + 1, line.trim()))
        .collect()
}

/// Whether `line` reads the field `name` (`.name` not followed by `(`:
/// a method of the same name is not a field).
fn reads_field(line: &str, name: &str) -> bool {
    let needle = format!(".{name}");
    line.match_indices(&needle).any(|(at, _)| {
        let rest = &line[at + needle.len()..];
        let whole_word = !rest.starts_with(|c: char| c.is_alphanumeric() || c == '_');
        whole_word && !rest.trim_start().starts_with('(')
    })
}

/// `spec.ingress` / `spec.egress` (a NetworkPolicySpec's rules).
fn reads_spec_rules(line: &str) -> bool {
    let squeezed: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    [
        "spec.ingress",
        "spec.egress",
        "spec?.ingress",
        "spec?.egress",
    ]
    .iter()
    .any(|pattern| {
        squeezed.match_indices(pattern).any(|(at, _)| {
            let rest = &squeezed[at + pattern.len()..];
            !rest.starts_with(|c: char| c.is_alphanumeric() || c == '_')
        })
    })
}

/// What reads raw rules: a spec's `ingress`/`egress`, a peer's selectors
/// and ipBlock, a port's `endPort`, or the API types of rules, peers and
/// ports named.
fn reads_raw_rules(line: &str) -> bool {
    const FIELDS: [&str; 4] = ["ip_block", "namespace_selector", "pod_selector", "end_port"];
    const TYPES: [&str; 5] = [
        "NetworkPolicySpec",
        "NetworkPolicyIngressRule",
        "NetworkPolicyEgressRule",
        "NetworkPolicyPeer",
        "NetworkPolicyPort",
    ];
    reads_spec_rules(line)
        || FIELDS.iter().any(|f| reads_field(line, f))
        || TYPES.iter().any(|t| {
            line.match_indices(t).any(|(at, _)| {
                let before = line[..at].chars().next_back();
                let after = line[at + t.len()..].chars().next();
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                    && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
            })
        })
}

/// Who may read a NetworkPolicy's rules as raw API values, and why.
const RAW_RULE_READERS: [(&str, &str); 5] = [
    (
        "src/manifest/",
        "the one reader of existing manifests (`manifest::written`: rules as written)",
    ),
    (
        "src/eval/",
        "the evaluator compiles each policy once; every other reader uses its views",
    ),
    (
        "src/emit/",
        "builds the NetworkPolicy objects npc writes",
    ),
    (
        "src/kustomize/selectors.rs",
        "rewrites the selectors of the objects npc built, for Kustomize's label transformers",
    ),
    (
        "src/lint/traps.rs",
        "L002, L006, L010 and the DNS port check are about how a rule is written (a missing key is not `{}`), read through `manifest::written`",
    ),
];

#[test]
fn only_the_reader_and_the_evaluator_read_raw_rules() {
    let mut found = Vec::new();
    for (file, text) in sources() {
        if RAW_RULE_READERS
            .iter()
            .any(|(allowed, _)| file.starts_with(allowed))
        {
            continue;
        }
        found.extend(places(&file, &code(&text), reads_raw_rules));
    }
    assert!(
        found.is_empty(),
        "outside the manifest reader and the evaluator (and {}), rules, peers and ports are read through the evaluator's views (`eval::PolicyView`, `RuleView`, `PeerKind`, `PortEntry`), not from raw `spec.ingress`/`spec.egress`:\n{}",
        RAW_RULE_READERS[2..]
            .iter()
            .map(|(f, _)| *f)
            .collect::<Vec<_>>()
            .join(", "),
        found.join("\n")
    );
}

#[test]
fn only_k8s_spells_selector_operators() {
    let mut found = Vec::new();
    for (file, text) in sources() {
        if file.starts_with("src/k8s/") {
            continue;
        }
        found.extend(places(&file, &text, |line| {
            line.contains("\"NotIn\"") || line.contains("\"DoesNotExist\"")
        }));
    }
    assert!(
        found.is_empty(),
        "label-selector operators are read once, by `k8s::Selector::from_api`:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_sees_raw_reads_and_nothing_else() {
    let raw = r#"
        let rules = spec.egress.iter();
        if p.ip_block.is_some() {}
        fn f(p: &NetworkPolicyPeer) {}
        let end = port.end_port;
    "#;
    for line in raw.lines().filter(|l| !l.trim().is_empty()) {
        assert!(reads_raw_rules(line), "{line}");
    }
    let fine = r#"
        let a = verdict.egress.allowed;
        let s = view.pod_selector();
        let t = "spec.egress[2]";
        // spec.ingress in a comment
        let rules = seen.ingress;
    "#;
    for line in code(fine).lines() {
        assert!(!reads_raw_rules(line), "{line}");
    }
    assert!(!code("let c = '\"'; let s = \"spec.egress\";").contains("spec.egress"));
    assert!(code("fn f<'a>(x: &'a str) { x.pod_selector }").contains("pod_selector"));
}

/// The rules of a pest grammar and the rules each one names, read from its
/// text (comments and literals left out by [`code`], which reads pest's
/// `//`, `"…"` and `'…'` as Rust's).
fn grammar_rules(text: &str) -> BTreeMap<String, BTreeSet<String>> {
    let code = code(text);
    let mut bodies: Vec<(String, String)> = Vec::new();
    let mut rest = code.as_str();
    while let Some(eq) = rest.find('=') {
        let name = rest[..eq]
            .split_whitespace()
            .last()
            .unwrap_or("")
            .to_string();
        let after = &rest[eq + 1..];
        let open = after.find('{').expect("a rule body");
        let mut depth = 0;
        let mut end = open;
        for (i, c) in after.char_indices().skip(open) {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = i;
                break;
            }
        }
        bodies.push((name, after[open + 1..end].to_string()));
        rest = &after[end + 1..];
    }
    let names: BTreeSet<String> = bodies.iter().map(|(n, _)| n.clone()).collect();
    bodies
        .into_iter()
        .map(|(name, body)| {
            let called = body
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .filter(|w| names.contains(*w))
                .map(str::to_string)
                .collect();
            (name, called)
        })
        .collect()
}

/// A cycle of rules (each naming the next, the last naming the first), if
/// the grammar has one. The implicit `WHITESPACE` between tokens is not a
/// reference: pest runs it atomically, so nothing it calls skips
/// whitespace again (unless a rule is marked `!{`, which the caller
/// checks is never the case).
fn recursion(rules: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        rule: &str,
        rules: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|r| r == rule) {
            return Some(path[at..].to_vec());
        }
        if done.contains(rule) {
            return None;
        }
        path.push(rule.to_string());
        for next in &rules[rule] {
            if let Some(cycle) = visit(next, rules, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(rule.to_string());
        None
    }
    let mut done = BTreeSet::new();
    rules
        .keys()
        .find_map(|rule| visit(rule, rules, &mut Vec::new(), &mut done))
}

/// npc builds pest without its `std` feature, and so without pest's probe
/// of the remaining stack before every rule call (a sixteenth of a build's
/// instructions): the parser's depth is then bounded by the grammar alone,
/// whatever the input, only while no rule reaches itself. Blocks do not
/// nest, label sets and port sets hold no label sets or port sets.
#[test]
fn the_grammar_has_no_recursive_rule() {
    let text = std::fs::read_to_string(root().join("grammar/npl.pest")).unwrap();
    let rules = grammar_rules(&text);
    assert!(
        !code(&text).contains("!{"),
        "a `!{{` rule skips whitespace inside `WHITESPACE`'s own calls"
    );
    assert!(rules.len() > 50, "{} rules read", rules.len());
    assert!(rules["allow_stmt"].contains("target_list"));
    assert!(rules["label_key"].is_empty());
    if let Some(cycle) = recursion(&rules) {
        panic!(
            "grammar/npl.pest: `{}` reaches itself ({} -> {}); pest would need its \
             stack probe back (the `std` feature of pest and pest_derive in Cargo.toml), \
             and deep input a limit",
            cycle[0],
            cycle.join(" -> "),
            cycle[0]
        );
    }
}

#[test]
fn the_recursion_check_finds_cycles() {
    let direct = grammar_rules("a = { \"(\" ~ a? ~ \")\" }\nb = @{ 'a'..'z' }");
    assert_eq!(recursion(&direct), Some(vec!["a".to_string()]));
    let through = grammar_rules(
        "// c = { c }\nx = { y ~ \"x = { x }\" }\ny = _{ \"{\" ~ z* ~ \"}\" }\nz = { x | \"z\" }",
    );
    assert_eq!(
        recursion(&through),
        Some(vec!["x".into(), "y".into(), "z".into()])
    );
    let whitespace = grammar_rules("WHITESPACE = _{ \" \" | w }\nw = { \"#\" ~ v }\nv = { \"v\" }");
    assert_eq!(recursion(&whitespace), None);
    let through_whitespace =
        grammar_rules("WHITESPACE = _{ \" \" | w }\nw = { \"(\" ~ WHITESPACE }");
    assert_eq!(
        recursion(&through_whitespace),
        Some(vec!["WHITESPACE".into(), "w".into()])
    );
}
