//! `npc analyze --compat netpol-analyzer` against netpol-analyzer's own
//! conventions: inputs in the shapes of its public test inputs
//! (`tests/data/netpol-analyzer/`, each with the list netpol-analyzer
//! prints for it and the list npc prints by default). The compat mode
//! prints the same set of lines; the default differs only by the
//! conventions docs/analyze.md lists.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::support::npc::{npc, root, stderr, stdout};

fn cases() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join("tests/data/netpol-analyzer"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

fn lines(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn run(case: &Path, extra: &[&str]) -> BTreeSet<String> {
    let input = case.join("input.yaml");
    let mut args = vec!["analyze", input.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = npc(&args);
    assert!(out.status.success(), "{}: {}", case.display(), stderr(&out));
    lines(&stdout(&out))
}

fn expected(case: &Path, file: &str) -> BTreeSet<String> {
    lines(&std::fs::read_to_string(case.join(file)).unwrap())
}

fn compare(case: &Path, got: &BTreeSet<String>, want: &BTreeSet<String>, mode: &str) {
    let missing: Vec<_> = want.difference(got).collect();
    let extra: Vec<_> = got.difference(want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{} ({mode}):\nmissing {missing:#?}\nextra {extra:#?}",
        case.display()
    );
}

#[test]
fn compat_mode_prints_netpol_analyzers_lines() {
    let cases = cases();
    assert!(cases.len() >= 4, "{cases:?}");
    for case in &cases {
        let got = run(case, &["--compat", "netpol-analyzer"]);
        compare(case, &got, &expected(case, "netpol-analyzer.txt"), "compat");
    }
}

#[test]
fn default_mode_differs_only_by_the_documented_conventions() {
    for case in &cases() {
        let got = run(case, &[]);
        compare(case, &got, &expected(case, "npc.txt"), "default");
    }
}
