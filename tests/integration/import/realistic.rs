//! The realistic corpus (`tests/data/import-corpus/`): policy sets in the
//! shapes teams run (network-policy recipes, the Kubernetes docs, Online
//! Boutique, Bitnami charts, kube-prometheus, ingress-nginx, cert-manager,
//! Argo CD, Cilium and Calico demos, Bookinfo, platform baselines, and the
//! shapes import used to refuse). Every set is imported, checked as the
//! manifest corpus is (the evaluator, probe pods and nca), and measured:
//! how many convert exactly, the share of policies migrated with
//! `--keep-unconvertible`, and the statements written per input rule; no
//! statement may be written twice, and every statement and every endpoint
//! of a list must add flows.

use std::path::PathBuf;

use npc::import::{self, Settings};

use super::corpus::check;
use super::{evaluator_differences, read};
use crate::support::npc::root;

/// The sets of the corpus, in name order.
fn sets() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join("tests/data/import-corpus"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    out.sort();
    out
}

/// Splits a list of endpoints at its top-level commas.
fn items(list: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut depth, mut current) = (0i32, String::new());
    for c in list.chars() {
        match c {
            '{' | '(' => depth += 1,
            '}' | ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(current.trim().to_string());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    out.push(current.trim().to_string());
    out
}

/// The one-line `allow` statements of a program, by line index.
fn allows(text: &str) -> Vec<(usize, String)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("allow ") && l.contains(" -> "))
        .map(|(i, l)| (i, l.to_string()))
        .collect()
}

/// Variants of a program that each leave out one statement, or one
/// endpoint of a statement's list: what each leaves out, and the text.
fn narrowed(text: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let with = |i: usize, line: Option<String>| {
        let mut l: Vec<String> = lines.iter().map(|s| (*s).to_string()).collect();
        match line {
            Some(x) => l[i] = x,
            None => l[i] = String::new(),
        }
        l.join("\n") + "\n"
    };
    for (i, line) in allows(text) {
        out.push((format!("statement `{line}`"), with(i, None)));
        let Some((src, dst)) = line["allow ".len()..].split_once(" -> ") else {
            continue;
        };
        let (s, d) = (items(src), items(dst));
        for k in 0..s.len().min(if s.len() > 1 { s.len() } else { 0 }) {
            let rest: Vec<&str> = s
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != k)
                .map(|(_, x)| x.as_str())
                .collect();
            let l = format!("allow {} -> {dst}", rest.join(", "));
            out.push((format!("`{}` in `{line}`", s[k]), with(i, Some(l))));
        }
        for k in 0..d.len().min(if d.len() > 1 { d.len() } else { 0 }) {
            let rest: Vec<&str> = d
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != k)
                .map(|(_, x)| x.as_str())
                .collect();
            let l = format!("allow {src} -> {}", rest.join(", "));
            out.push((format!("`{}` in `{line}`", d[k]), with(i, Some(l))));
        }
    }
    out
}

#[test]
fn realistic_corpus_imports_exactly_and_readably() {
    let mut converted = Vec::new();
    let mut refused = Vec::new();
    let (mut policies, mut migrated, mut migrated_assuming) = (0usize, 0usize, 0usize);
    let (mut statements, mut input_rules) = (0usize, 0usize);
    let mut duplicates = Vec::new();
    let mut needless = Vec::new();
    let all = sets();
    assert!(all.len() >= 30, "the corpus has {} sets", all.len());
    for path in &all {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let manifests = read(path);
        let imported = import::import(&manifests, &Settings::default()).unwrap();
        // Correctness first: the program with the kept policies is the
        // input, by the evaluator, probe pods and nca.
        check(&name, &manifests, &imported);
        let kept = imported.kept.len();
        policies += manifests.policies.len();
        migrated += manifests.policies.len() - kept;
        // What E104's help suggests for named against numbered ports.
        let flagged = if kept > 0 {
            let assumed = Settings {
                assume_workload_ports: true,
                ..Settings::default()
            };
            import::import(&manifests, &assumed).unwrap().kept.len()
        } else {
            0
        };
        migrated_assuming += manifests.policies.len() - flagged;
        if imported.unconvertible.is_empty() {
            converted.push(name.clone());
        } else {
            refused.push(name.clone());
        }
        let written = allows(&imported.text);
        statements += written.len();
        input_rules += manifests
            .policies
            .iter()
            .filter(|p| {
                !imported
                    .kept
                    .iter()
                    .any(|k| k.metadata == p.object.metadata)
            })
            .map(|p| {
                p.object.spec.as_ref().map_or(0, |s| {
                    s.ingress.as_ref().map_or(0, Vec::len) + s.egress.as_ref().map_or(0, Vec::len)
                })
            })
            .sum::<usize>();
        // An `expect allow` names a port worth naming: never port 1 (a
        // rule on every port is sampled at a declared or common port).
        for line in imported.text.lines() {
            assert!(
                !(line.starts_with("expect allow") && line.ends_with(":1")),
                "{name}: `{line}`"
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        for (_, line) in &written {
            if !seen.insert(line.clone()) {
                duplicates.push(format!("{name}: `{line}`"));
            }
        }
        // Every statement, and every endpoint of a list, adds flows: the
        // program without it is no longer the input.
        let input = manifests.policy_objects();
        for (what, text) in narrowed(&imported.text) {
            let compilation = npc::compile_str("narrowed.npl", &text);
            if compilation.has_errors() {
                continue;
            }
            let mut out = compilation.policies;
            out.extend(imported.kept.iter().cloned());
            let (_, diffs) = evaluator_differences(&manifests, &input, &out, 1);
            if diffs.is_empty() {
                needless.push(format!("{name}: {what}"));
            }
        }
    }
    let ratio = statements as f64 / input_rules.max(1) as f64;
    eprintln!(
        "realistic corpus: {} of {} sets converted exactly (refused: {}); {migrated} of {policies} policies migrated with --keep-unconvertible ({:.1}%), {migrated_assuming} with --assume-workload-ports too; {statements} statements for {input_rules} input rules ({ratio:.2} per rule); {} duplicate statements, {} needless statements or endpoints",
        converted.len(),
        all.len(),
        refused.join(", "),
        100.0 * migrated as f64 / policies.max(1) as f64,
        duplicates.len(),
        needless.len()
    );
    for d in duplicates.iter().chain(&needless) {
        eprintln!("  {d}");
    }
    assert!(converted.len() >= 28, "converted only {converted:?}");
    assert!(
        migrated * 100 >= policies * 95,
        "{migrated} of {policies} migrated"
    );
    assert!(
        migrated_assuming * 100 >= policies * 95,
        "{migrated_assuming} of {policies} migrated with --assume-workload-ports"
    );
    assert!(
        duplicates.is_empty(),
        "duplicate statements: {duplicates:?}"
    );
    // Every statement, and every endpoint of a list, adds flows.
    assert!(
        needless.is_empty(),
        "needless statements or endpoints: {needless:?}"
    );
    assert!(
        statements <= 2 * input_rules,
        "{statements} statements for {input_rules} input rules"
    );
}

/// A namespace where only some pods are restricted (`role=db` in
/// `default`) is imported as `isolate ... only`, and the imported
/// program's build warns only about what is true: the listed pods, not the
/// whole namespace, lose their outbound connections (W011), and DNS is off
/// for the egress-isolated pods only (W001).
#[test]
fn partly_isolated_namespace_imports_as_isolate_only_with_true_warnings() {
    let path = root().join("tests/data/import-corpus/28-only-db-restricted.yaml");
    let manifests = read(&path);
    let imported = import::import(&manifests, &Settings::default()).unwrap();
    assert!(
        imported
            .text
            .contains("  isolate ingress, egress only {role=db}\n"),
        "{}",
        imported.text
    );
    assert!(!imported.text.contains("open for"), "{}", imported.text);
    let compilation = npc::compile_str("imported.npl", &imported.text);
    assert!(!compilation.has_errors());
    let mut warnings: Vec<(&str, String)> = compilation
        .diagnostics
        .iter()
        .map(|d| (d.code.id, d.message.clone()))
        .collect();
    warnings.sort();
    assert_eq!(
        warnings,
        vec![
            (
                "W001",
                "the egress-isolated pods of `default` get no DNS".to_string()
            ),
            (
                "W011",
                "`default` is a namespace Kubernetes itself uses, and the egress of some of its pods is isolated".to_string()
            ),
        ]
    );
}
