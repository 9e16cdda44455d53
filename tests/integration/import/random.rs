//! Random manifest sets from the analyze differential's generator: each
//! imports with equivalence proven (the evaluator over the universe, nca on
//! the two YAML sets over an inventory of workloads, representatives, and
//! probe pods declaring the named ports inside and outside every numbered
//! range), or names the namespaces it cannot express, whose evidence nca
//! confirms differs from the input. Every `expect` line written must hold
//! in nca's map of the program over the same pods.
//!
//! Environment: `NPC_IMPORT_CASES` (default 30), `NPC_IMPORT_SEED`.

use std::time::Instant;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use npc::import::{self, ImportError, Settings};

use super::{
    evaluator_differences, expectation_failures, inventory, merge, nca_compare, nca_differences,
    output, probe_differences, read,
};
use crate::analyze::differential::{Case, Rng};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Cases compared by one pair of nca runs.
const CASES_PER_RUN: usize = 5;

/// Unconvertible namespaces whose evidence is checked with nca, at most.
const EVIDENCE_CHECKS: usize = 3;

#[test]
fn random_manifest_sets_import_equivalent() {
    let seed = env_or("NPC_IMPORT_SEED", 20_261_127);
    let count = env_or("NPC_IMPORT_CASES", 30) as usize;
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut whole = 0;
    let mut partly = 0;
    let mut too_large = 0;
    let mut kept_namespaces = 0;
    let mut dropped = 0;
    let mut flows = 0;
    let mut batch_inputs: Vec<NetworkPolicy> = Vec::new();
    let mut batch_outputs: Vec<NetworkPolicy> = Vec::new();
    let mut batch_inventories = Vec::new();
    let mut batch_imports = Vec::new();
    let mut nca_runs = 0;
    let mut nca_pairs = 0;
    let mut evidence_checked = 0;
    let mut failures: Vec<String> = Vec::new();
    let mut reasons: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    let mut flush = |inputs: &mut Vec<NetworkPolicy>,
                     outputs: &mut Vec<NetworkPolicy>,
                     invs: &mut Vec<crate::support::nca::Inventory>,
                     imports: &mut Vec<import::Import>| {
        let inv = merge(std::mem::take(invs));
        if let Some((diffs, conn)) = nca_compare(inputs, outputs, &inv) {
            nca_runs += 2;
            nca_pairs += inv.pods.len() * inv.pods.len();
            assert!(
                diffs.is_empty(),
                "nca finds the imports differ from their inputs (NPC_IMPORT_SEED={seed}):\n{}",
                diffs
                    .iter()
                    .take(20)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            // Each case's namespaces are its own: its `expect` lines are
            // checked against the batch's map.
            for imported in imports.iter() {
                let wrong = expectation_failures(imported, &inv, &conn);
                assert!(
                    wrong.is_empty(),
                    "nca contradicts expect lines of an imported program (NPC_IMPORT_SEED={seed}):\n{}\n{}",
                    wrong.join("\n"),
                    imported.text
                );
            }
        }
        inputs.clear();
        outputs.clear();
        imports.clear();
    };
    for k in 0..count {
        let case = Case::random(&mut rng, k);
        let case_dir = dir.path().join(format!("case{k}"));
        std::fs::create_dir_all(&case_dir).unwrap();
        case.write(&mut rng, &case_dir, k);
        let manifests = read(&case_dir);
        if let Ok(keep) = std::env::var("NPC_IMPORT_DEBUG") {
            let to = std::path::Path::new(&keep).join(format!("case{k}"));
            std::fs::create_dir_all(&to).unwrap();
            for e in std::fs::read_dir(&case_dir).unwrap() {
                let e = e.unwrap();
                if e.path().is_file() {
                    std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
                }
            }
        }
        let imported = match import::import(&manifests, &Settings::default()) {
            Ok(i) => i,
            Err(ImportError::TooLarge) => {
                too_large += 1;
                continue;
            }
            Err(e) => {
                failures.push(format!("case {k}: {e}"));
                continue;
            }
        };
        if imported.unconvertible.is_empty() {
            whole += 1;
        } else {
            partly += 1;
        }
        kept_namespaces += imported.unconvertible.len();
        for u in &imported.unconvertible {
            if std::env::var("NPC_IMPORT_DEBUG").is_ok() {
                eprintln!(
                    "case {k} {}: {:?}\n{:?}",
                    u.namespace,
                    u.reasons,
                    u.differences.first()
                );
            }
            let why = u
                .reasons
                .first()
                .map_or("differing flows only".to_string(), |r| {
                    r.split_once(": ").map_or(r.clone(), |(_, w)| w.to_string())
                });
            let why: String = why
                .split_whitespace()
                .skip(3)
                .take(6)
                .collect::<Vec<_>>()
                .join(" ");
            *reasons.entry(why).or_insert(0usize) += 1;
        }
        dropped += imported.dropped.len();
        flows += imported.checked.flows;
        let input = manifests.policy_objects();
        let out = output(&imported);
        let (_, diffs) = evaluator_differences(&manifests, &input, &out, 5);
        if !diffs.is_empty() {
            failures.push(format!(
                "case {k}: the evaluator finds differences:\n{}",
                diffs.join("\n")
            ));
        }
        let probes = inventory(&manifests, &[&input, &out], "p", usize::MAX, usize::MAX);
        let diffs = probe_differences(&probes, &input, &out, 5);
        if !diffs.is_empty() {
            failures.push(format!(
                "case {k}: the evaluator finds differences for probe pods:\n{}",
                diffs.join("\n")
            ));
        }
        for u in &imported.unconvertible {
            if evidence_checked >= EVIDENCE_CHECKS {
                break;
            }
            let inv = inventory(&manifests, &[&input, &u.evidence], &format!("c{k}p"), 60, 1);
            if let Some(found) = nca_differences(&input, &u.evidence, &inv) {
                evidence_checked += 1;
                if found.is_empty() {
                    failures.push(format!(
                        "case {k}: namespace {} reported unconvertible, but nca finds no difference",
                        u.namespace
                    ));
                }
            }
        }
        batch_inventories.push(inventory(
            &manifests,
            &[&input, &out],
            &format!("c{k}p"),
            8,
            1,
        ));
        batch_inputs.extend(input);
        batch_outputs.extend(out);
        batch_imports.push(imported);
        if batch_inventories.len() == CASES_PER_RUN {
            flush(
                &mut batch_inputs,
                &mut batch_outputs,
                &mut batch_inventories,
                &mut batch_imports,
            );
        }
    }
    if !batch_inventories.is_empty() {
        flush(
            &mut batch_inputs,
            &mut batch_outputs,
            &mut batch_inventories,
            &mut batch_imports,
        );
    }
    eprintln!(
        "{count} random manifest sets (seed {seed}) in {:.1?}: {whole} imported whole, {partly} with \
         {kept_namespaces} namespaces kept unconverted, {too_large} too large to check; {dropped} statements \
         left out as adding no flow; {flows} flows checked by import; nca: {nca_runs} runs over {nca_pairs} \
         pod pairs, {evidence_checked} unconvertible namespaces confirmed",
        started.elapsed()
    );
    eprintln!("why namespaces were kept: {reasons:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(whole > 0, "no random set imported whole");
}
