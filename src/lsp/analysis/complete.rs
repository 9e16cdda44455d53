//! Completion. The text being typed rarely parses, so the context at the
//! cursor is read from the grammar's tokens of the raw text
//! (`syntax::tokens`: what statement, what position in it), and the
//! candidates come from the language's keyword lists (`syntax`), the
//! program's index and the tokens of the file itself.

use std::collections::{BTreeMap, BTreeSet};

use super::CheckedProgram;
use crate::syntax::tokens::{is_word_char, lex as tokens, Token as Tok};
use crate::syntax::{
    BLOCK_KEYWORDS, CARVEOUTS, CNI_VALUES, ISOLATE_ONLY, ISOLATE_WORDS, PROTOCOLS, SETTINGS,
    STATEMENT_KEYWORDS, VERDICTS,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CompletionKind {
    Keyword,
    Namespace,
    Alias,
    Workload,
    LabelKey,
    LabelValue,
    Protocol,
    Setting,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    pub label: String,
    pub kind: CompletionKind,
    /// What to insert in place of the partial word.
    pub insert: String,
    pub detail: Option<String>,
}

/// What a setting does, for the completion's detail.
fn setting_detail(setting: &str) -> Option<&'static str> {
    match setting {
        "workload-label" => Some("the label a bare workload name selects on (default `app`)"),
        "name-prefix" => Some("prepended to every policy name (default empty)"),
        "cluster-policy-api" => Some(
            "`v1alpha2` (ClusterNetworkPolicy, the default) or `v1alpha1` (AdminNetworkPolicy and BaselineAdminNetworkPolicy)",
        ),
        "cluster-policy-priorities" => {
            Some("the priorities cluster policies take, `FIRST-LAST` (default `0-1000`)")
        }
        "cni" => Some("the CNI the policies are for: `generic` (default) or `cilium` (DNS names)"),
        _ => None,
    }
}

/// What a protocol means, for the completion's detail.
fn protocol_detail(protocol: &str) -> Option<&'static str> {
    match protocol {
        "tcp" => Some("TCP (the default)"),
        "udp" => Some("UDP"),
        "sctp" => Some("SCTP"),
        "any" => Some("TCP, UDP and SCTP"),
        _ => None,
    }
}

/// What a `{` opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bracket {
    Block,
    Labels,
    Ports,
    List,
}

/// Splits tokens into statements, tracking brackets. Returns the tokens of
/// the last (unfinished) statement, the bracket stack and whether the
/// statement is inside a namespace block (and which).
fn current_statement<'a>(toks: &[Tok<'a>]) -> (Vec<Tok<'a>>, Vec<Bracket>, Option<&'a str>) {
    let mut stack: Vec<Bracket> = Vec::new();
    let mut stmt: Vec<Tok<'a>> = Vec::new();
    let mut blocks: Vec<Option<&'a str>> = Vec::new();
    for &t in toks {
        let in_set = matches!(
            stack.last(),
            Some(Bracket::Labels | Bracket::Ports | Bracket::List)
        );
        match t {
            Tok::End if !in_set => stmt.clear(),
            Tok::End => {}
            Tok::Punct('{') => {
                let prev = stmt.last().copied();
                let kind = if prev == Some(Tok::Punct(':')) {
                    Bracket::Ports
                } else if stmt.first() == Some(&Tok::Word("namespace"))
                    && !matches!(prev, Some(Tok::Word("labels")))
                    && matches!(prev, Some(Tok::Word(_) | Tok::Punct('}')))
                {
                    Bracket::Block
                } else {
                    Bracket::Labels
                };
                stack.push(kind);
                if kind == Bracket::Block {
                    let name = match stmt.get(1) {
                        Some(Tok::Word(n)) => Some(*n),
                        _ => None,
                    };
                    blocks.push(name);
                    stmt.clear();
                } else {
                    stmt.push(t);
                }
            }
            Tok::Punct('(') | Tok::Punct('[') => {
                stack.push(Bracket::List);
                stmt.push(t);
            }
            Tok::Punct('}') | Tok::Punct(')') | Tok::Punct(']') => {
                if stack.pop() == Some(Bracket::Block) {
                    blocks.pop();
                    stmt.clear();
                } else {
                    stmt.push(t);
                }
            }
            t => stmt.push(t),
        }
    }
    let block = blocks.last().copied().flatten();
    (stmt, stack, block)
}

/// Names written in the text: namespaces, aliases, workloads per namespace,
/// label keys with their values.
#[derive(Default)]
struct Vocabulary {
    namespaces: BTreeSet<String>,
    declared: BTreeSet<String>,
    aliases: BTreeSet<String>,
    workloads: BTreeMap<String, BTreeSet<String>>,
    labels: BTreeMap<String, BTreeSet<String>>,
}

fn starts_lower(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
}

impl Vocabulary {
    fn from_tokens(toks: &[Tok<'_>]) -> Vocabulary {
        let mut v = Vocabulary::default();
        let mut first: Option<&str> = None;
        let mut at_start = true;
        for (i, t) in toks.iter().enumerate() {
            let next = |k: usize| toks.get(i + k).copied();
            if at_start {
                first = match t {
                    Tok::Word(w) => Some(w),
                    _ => None,
                };
            }
            at_start = matches!(t, Tok::End | Tok::Punct('{') | Tok::Punct('}'));
            let Tok::Word(w) = *t else { continue };
            let prev = i.checked_sub(1).and_then(|p| toks.get(p)).copied();
            match (prev, next(1), next(2)) {
                (_, Some(Tok::Word(n)), _) if w == "namespace" && first == Some("namespace") => {
                    v.declared.insert(n.to_string());
                    v.namespaces.insert(n.to_string());
                }
                (_, Some(Tok::Word(n)), _) if w == "let" && first == Some("let") => {
                    v.aliases.insert(n.to_string());
                }
                (Some(p), Some(Tok::Punct('/')), Some(Tok::Word(pod)))
                    if p != Tok::Punct(':') && starts_lower(w) && !w.contains('.') =>
                {
                    v.namespaces.insert(w.to_string());
                    v.workloads
                        .entry(w.to_string())
                        .or_default()
                        .insert(pod.to_string());
                }
                (Some(p), Some(Tok::Punct('/')), _) if p != Tok::Punct(':') && starts_lower(w) => {
                    v.namespaces.insert(w.to_string());
                }
                (
                    Some(Tok::Punct('{' | ',')),
                    Some(Tok::Punct('=') | Tok::NotEq),
                    Some(Tok::Word(val)),
                ) if !matches!(first, Some("let" | "set")) => {
                    v.labels
                        .entry(w.to_string())
                        .or_default()
                        .insert(val.to_string());
                }
                (Some(Tok::Punct('{' | ',')), Some(Tok::Punct('=') | Tok::NotEq), _) => {
                    v.labels.entry(w.to_string()).or_default();
                }
                (
                    Some(Tok::Punct('{' | ',')),
                    Some(Tok::Word("in" | "notin")),
                    Some(Tok::Punct('(')),
                ) => {
                    let values = v.labels.entry(w.to_string()).or_default();
                    for t in toks.iter().skip(i + 3) {
                        match t {
                            Tok::Word(val) => {
                                values.insert(val.to_string());
                            }
                            Tok::Punct(',') | Tok::End => {}
                            _ => break,
                        }
                    }
                }
                _ => {}
            }
        }
        v
    }

    fn merge(&mut self, other: Vocabulary) {
        self.namespaces.extend(other.namespaces);
        self.declared.extend(other.declared);
        self.aliases.extend(other.aliases);
        for (ns, w) in other.workloads {
            self.workloads.entry(ns).or_default().extend(w);
        }
        for (k, vs) in other.labels {
            self.labels.entry(k).or_default().extend(vs);
        }
    }

    fn merge_index(&mut self, index: &super::index::Index) {
        for (_, ns) in &index.namespace_refs {
            self.namespaces.insert(ns.clone());
        }
        self.declared.extend(index.namespaces.keys().cloned());
        self.aliases
            .extend(index.aliases.iter().map(|a| a.name.clone()));
        for (ns, w) in &index.workloads {
            self.workloads
                .entry(ns.clone())
                .or_default()
                .extend(w.iter().cloned());
        }
        for (k, vs) in &index.labels {
            self.labels
                .entry(k.clone())
                .or_default()
                .extend(vs.iter().cloned());
        }
    }
}

fn item(label: &str, kind: CompletionKind, detail: Option<&str>) -> Completion {
    Completion {
        label: label.to_string(),
        kind,
        insert: label.to_string(),
        detail: detail.map(str::to_string),
    }
}

impl CheckedProgram {
    /// Completions at `offset` of `text` (the file's current text), with the
    /// byte range of the partial word they replace.
    pub fn completions(&self, text: &str, offset: usize) -> ((usize, usize), Vec<Completion>) {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = text.get(..offset).unwrap_or("");
        let word_start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| is_word_char(*c))
            .last()
            .map_or(offset, |(i, _)| i);
        let mut vocab = Vocabulary::from_tokens(&tokens(text));
        vocab.merge_index(self.index());
        for other in &self.unparsed {
            vocab.merge(Vocabulary::from_tokens(&tokens(other)));
        }
        let toks = tokens(before.get(..word_start).unwrap_or(""));
        let (stmt, stack, block) = current_statement(&toks);
        let items = complete(&stmt, &stack, block, &vocab);
        ((word_start, offset), items)
    }
}

fn complete(
    stmt: &[Tok<'_>],
    stack: &[Bracket],
    block: Option<&str>,
    vocab: &Vocabulary,
) -> Vec<Completion> {
    use CompletionKind as K;
    let last = stmt.last().copied();
    match stack.last() {
        Some(Bracket::Labels) => return label_completions(stmt, false, vocab),
        // `key in (a, b` inside a label set: values of the key.
        Some(Bracket::List) => return label_completions(stmt, true, vocab),
        Some(Bracket::Ports) | None | Some(Bracket::Block) => {}
    }
    if last == Some(Tok::Punct('/')) {
        let port = stmt.len() >= 3
            && (stack.last() == Some(&Bracket::Ports)
                || stmt.get(stmt.len() - 3) == Some(&Tok::Punct(':')));
        if port {
            return PROTOCOLS
                .iter()
                .map(|p| item(p, K::Protocol, protocol_detail(p)))
                .collect();
        }
        if let Some(Tok::Word(ns)) = stmt.get(stmt.len().wrapping_sub(2)) {
            let mut out: Vec<Completion> = vocab
                .workloads
                .get(*ns)
                .into_iter()
                .flatten()
                .map(|w| {
                    item(
                        w,
                        K::Workload,
                        Some(&format!("pods labelled with workload `{w}` in `{ns}`")),
                    )
                })
                .collect();
            out.push(item("*", K::Keyword, Some("every pod of the namespace")));
            return out;
        }
        return Vec::new();
    }
    if stack.last() == Some(&Bracket::Ports) || last == Some(Tok::Punct(':')) {
        return Vec::new();
    }
    let keyword = match stmt.first() {
        None => {
            let words = if block.is_some() {
                BLOCK_KEYWORDS
            } else {
                STATEMENT_KEYWORDS
            };
            return words.iter().map(|w| item(w, K::Keyword, None)).collect();
        }
        Some(Tok::Word(w)) => *w,
        Some(_) => return Vec::new(),
    };
    let n = stmt.len();
    match keyword {
        "set" if n == 1 => SETTINGS
            .iter()
            .map(|s| item(s, K::Setting, setting_detail(s)))
            .collect(),
        "set" if n == 3 && stmt.get(1) == Some(&Tok::Word("cni")) => CNI_VALUES
            .iter()
            .map(|v| item(v, K::Keyword, None))
            .collect(),
        // After `only`, the sets are pod parts: workloads of the block's
        // namespace, and aliases.
        "isolate" if stmt.contains(&Tok::Word(ISOLATE_ONLY)) => match last {
            Some(Tok::Punct(',')) | Some(Tok::Word(ISOLATE_ONLY)) => only_sets(vocab, block),
            _ => Vec::new(),
        },
        "isolate" if n == 1 || last == Some(Tok::Punct(',')) => ISOLATE_WORDS
            .iter()
            .map(|w| item(w, K::Keyword, None))
            .collect(),
        // `isolate ingress only ...`: `only` after the directions.
        "isolate"
            if matches!(last, Some(Tok::Word("ingress" | "egress")))
                && stmt.get(1) != Some(&Tok::Word("none")) =>
        {
            vec![item(
                ISOLATE_ONLY,
                K::Keyword,
                Some("isolate the listed pod sets only"),
            )]
        }
        "no" if n == 1 => CARVEOUTS
            .iter()
            .map(|w| item(w, K::Keyword, None))
            .collect(),
        "expect" if n == 1 => VERDICTS.iter().map(|w| item(w, K::Keyword, None)).collect(),
        "namespace" if n == 1 => vocab
            .namespaces
            .difference(&vocab.declared)
            .map(|ns| item(ns, K::Namespace, Some("used but not declared")))
            .collect(),
        "namespace" if n == 2 => vec![item("labels", K::Keyword, None)],
        "allow" | "dns" | "scrape" | "expect" | "let" => {
            let endpoint_position = match last {
                Some(Tok::Punct(',') | Tok::Arrow | Tok::Punct('=')) => true,
                Some(Tok::Word(w)) => {
                    n == 1 || (keyword == "expect" && n == 2 && matches!(w, "allow" | "deny"))
                }
                _ => false,
            };
            if !endpoint_position
                || (keyword == "let"
                    && last != Some(Tok::Punct('='))
                    && last != Some(Tok::Punct(',')))
            {
                return Vec::new();
            }
            let mut out = endpoint_completions(block, vocab);
            if keyword == "dns" && n == 1 {
                out.push(item("none", K::Keyword, Some("no DNS carve-out anywhere")));
            }
            out
        }
        _ => Vec::new(),
    }
}

/// The pod sets `isolate ... only` takes: aliases and the workloads of the
/// block's namespace (a label set is completed inside its braces).
fn only_sets(vocab: &Vocabulary, block: Option<&str>) -> Vec<Completion> {
    use CompletionKind as K;
    let mut out: Vec<Completion> = vocab
        .aliases
        .iter()
        .map(|a| item(a, K::Alias, Some("alias")))
        .collect();
    if let Some(ns) = block {
        for w in vocab.workloads.get(ns).into_iter().flatten() {
            if !vocab.aliases.contains(w) {
                out.push(item(w, K::Workload, Some(&format!("workload of `{ns}`"))));
            }
        }
    }
    out
}

fn endpoint_completions(block: Option<&str>, vocab: &Vocabulary) -> Vec<Completion> {
    use CompletionKind as K;
    let mut out = Vec::new();
    for a in &vocab.aliases {
        out.push(item(a, K::Alias, Some("alias")));
    }
    for ns in &vocab.namespaces {
        let managed = vocab.declared.contains(ns);
        out.push(Completion {
            label: format!("{ns}/"),
            kind: K::Namespace,
            insert: format!("{ns}/"),
            detail: Some(
                if managed {
                    "managed namespace"
                } else {
                    "namespace"
                }
                .to_string(),
            ),
        });
    }
    if let Some(ns) = block {
        for w in vocab.workloads.get(ns).into_iter().flatten() {
            if !vocab.aliases.contains(w) {
                out.push(item(w, K::Workload, Some(&format!("workload of `{ns}`"))));
            }
        }
    }
    out.push(item(
        "world",
        K::Keyword,
        Some("every address, IPv4 and IPv6"),
    ));
    out.push(item(
        "cluster",
        K::Keyword,
        Some("every pod in every namespace"),
    ));
    out.push(item("*/", K::Keyword, Some("pods in every namespace")));
    out
}

fn label_completions(stmt: &[Tok<'_>], in_list: bool, vocab: &Vocabulary) -> Vec<Completion> {
    use CompletionKind as K;
    // The label entry being written: tokens since the last `{` or `,` at
    // this bracket level (a `(` list belongs to the entry).
    let mut depth = usize::from(in_list);
    let mut start = stmt.len();
    for (i, t) in stmt.iter().enumerate().rev() {
        match t {
            Tok::Punct(')') => depth += 1,
            Tok::Punct('(') if depth > 0 => depth -= 1,
            Tok::Punct('(') => {}
            Tok::Punct('{') if depth == 0 => {
                start = i + 1;
                break;
            }
            Tok::Punct(',') if depth == 0 => {
                start = i + 1;
                break;
            }
            _ => {}
        }
    }
    let entry = stmt.get(start..).unwrap_or(&[]);
    let values_of = |key: &str| -> Vec<Completion> {
        vocab
            .labels
            .get(key)
            .into_iter()
            .flatten()
            .map(|v| item(v, K::LabelValue, Some(&format!("a value of `{key}`"))))
            .collect()
    };
    match entry {
        [] | [Tok::Punct('!')] => vocab
            .labels
            .keys()
            .map(|k| item(k, K::LabelKey, Some("label key")))
            .collect(),
        [Tok::Word(k), Tok::Punct('=') | Tok::NotEq] => values_of(k),
        [Tok::Word(k), Tok::Word("in" | "notin"), Tok::Punct('('), rest @ ..]
            if rest.last().is_none_or(|t| *t == Tok::Punct(',')) =>
        {
            values_of(k)
        }
        [Tok::Word(_)] => ["in", "notin"]
            .iter()
            .map(|w| item(w, K::Keyword, None))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(text: &str) -> Vec<String> {
        let toks = tokens(text);
        let (stmt, stack, block) = current_statement(&toks);
        let vocab = Vocabulary::from_tokens(&tokens(PROGRAM));
        complete(&stmt, &stack, block, &vocab)
            .into_iter()
            .map(|c| c.label)
            .collect()
    }

    const PROGRAM: &str = "namespace web\nnamespace payments labels {tier=backend}\nlet api = payments/api-server\nallow web/frontend -> api:8080\nallow {team=ops}/* -> payments/{tier=backend, env in (prod, stage)}\n";

    #[test]
    fn statement_start_gives_keywords() {
        assert!(labels("namespace web\n").contains(&"allow".to_string()));
        assert_eq!(
            labels("namespace web {\n  "),
            vec!["isolate", "no", "let", "allow", "expect"]
        );
    }

    #[test]
    fn endpoints_after_allow_and_arrow() {
        let after_allow = labels("allow ");
        assert!(after_allow.contains(&"api".to_string()));
        assert!(after_allow.contains(&"payments/".to_string()));
        assert!(after_allow.contains(&"world".to_string()));
        assert_eq!(labels("allow web/frontend -> "), after_allow);
        assert!(labels("allow web/frontend ").is_empty());
    }

    #[test]
    fn only_after_isolate_directions_then_pod_sets() {
        assert_eq!(
            labels("namespace payments {\n  isolate ingress "),
            vec!["only"]
        );
        assert_eq!(
            labels("namespace payments {\n  isolate ingress, egress "),
            vec!["only"]
        );
        assert!(labels("namespace payments {\n  isolate none ").is_empty());
        let sets = labels("namespace payments {\n  isolate ingress only ");
        assert!(sets.contains(&"api".to_string()), "{sets:?}");
        assert!(!sets.contains(&"world".to_string()), "{sets:?}");
        assert_eq!(
            labels("namespace payments {\n  isolate ingress only api, "),
            sets
        );
    }

    #[test]
    fn workloads_after_a_namespace() {
        assert_eq!(labels("allow web/"), vec!["frontend", "*"]);
    }

    #[test]
    fn protocols_after_a_port() {
        assert_eq!(
            labels("allow a -> b:53/"),
            vec!["tcp", "udp", "sctp", "any"]
        );
        assert_eq!(
            labels("allow a -> b:{80, 53/"),
            vec!["tcp", "udp", "sctp", "any"]
        );
    }

    #[test]
    fn label_keys_and_values() {
        assert_eq!(labels("allow web/{"), vec!["env", "team", "tier"]);
        assert_eq!(labels("allow web/{tier="), vec!["backend"]);
        assert_eq!(
            labels("allow web/{a=b, env in (prod, "),
            vec!["prod", "stage"]
        );
    }

    #[test]
    fn settings_after_set() {
        assert_eq!(
            labels("set "),
            vec![
                "workload-label",
                "name-prefix",
                "cluster-policy-api",
                "cluster-policy-priorities",
                "cni"
            ]
        );
        assert_eq!(labels("set cni = "), vec!["generic", "cilium"]);
    }

    #[test]
    fn undeclared_namespaces_after_namespace() {
        // `ops` is never written as a namespace name; `payments` is declared.
        assert!(labels("namespace ").is_empty());
        let vocab = Vocabulary::from_tokens(&tokens("allow a/b -> c/d\nnamespace a\n"));
        let toks = tokens("namespace ");
        let (stmt, stack, block) = current_statement(&toks);
        let got: Vec<String> = complete(&stmt, &stack, block, &vocab)
            .into_iter()
            .map(|c| c.label)
            .collect();
        assert_eq!(got, vec!["c"]);
    }
}
