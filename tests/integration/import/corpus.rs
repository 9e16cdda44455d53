//! The corpora both ways: `build(import(Y))` for every manifest input Y,
//! `import(build(P))` for every corpus program P.

use std::path::{Path, PathBuf};

use k8s_openapi::api::networking::v1::NetworkPolicy;
use npc::import::{self, Import, Settings};
use npc::manifest;
use serde_json::json;

use super::{
    evaluator_differences, expectation_failures, inventory, nca_compare, nca_differences, output,
    probe_differences, read,
};
use crate::analyze::corpus::{inputs, label};
use crate::support::npc::root;

/// The snapshot of an import: the program, then what was left out.
fn summary(imported: &Import, manifests: &manifest::Manifests) -> String {
    let mut text = imported.text.clone();
    text.push_str("\n----- left out\n");
    for u in &imported.unconvertible {
        let names: Vec<String> = u
            .policies
            .iter()
            .filter_map(|id| manifests.policy(*id))
            .map(|p| p.key())
            .collect();
        text.push_str(&format!(
            "unconvertible {}: {}\n",
            u.namespace,
            names.join(", ")
        ));
        for r in &u.reasons {
            text.push_str(&format!("  reason: {r}\n"));
        }
        for d in &u.differences {
            text.push_str(&format!(
                "  {} -> {}: input {}, program {}\n",
                d.src, d.dst, d.input, d.program
            ));
        }
    }
    for id in &imported.dropped {
        text.push_str(&format!("dropped: {id:?}\n"));
    }
    let c = imported.checked;
    text.push_str(&format!(
        "checked: {} workloads, {} pods, {} addresses, {} flows\n",
        c.workloads, c.pods, c.addresses, c.flows
    ));
    text
}

fn snapshot(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path("../snapshots");
    settings.bind(|| insta::assert_snapshot!(name, text));
}

/// Checks one import both by the evaluator and by nca: the program and the
/// kept policies allow what the input allows; every unconvertible
/// namespace's evidence really differs.
pub(super) fn check(
    name: &str,
    manifests: &manifest::Manifests,
    imported: &Import,
) -> (usize, usize) {
    let input = manifests.policy_objects();
    assert_eq!(
        npc::format::format(&imported.text).unwrap(),
        imported.text,
        "{name}: the imported program is not fmt-clean"
    );
    let out = output(imported);
    // Applied together, no kept policy may replace one of the program's.
    let mut names = std::collections::BTreeSet::new();
    for p in &out {
        assert!(
            names.insert((p.metadata.namespace.clone(), p.metadata.name.clone())),
            "{name}: two policies named {:?}/{:?}",
            p.metadata.namespace,
            p.metadata.name
        );
    }
    let (flows, diffs) = evaluator_differences(manifests, &input, &out, 10);
    assert!(
        diffs.is_empty(),
        "{name}: the evaluator finds differences:\n{}",
        diffs.join("\n")
    );
    let probes = inventory(manifests, &[&input, &out], "p", usize::MAX, usize::MAX);
    let diffs = probe_differences(&probes, &input, &out, 10);
    assert!(
        diffs.is_empty(),
        "{name}: the evaluator finds differences for probe pods:\n{}",
        diffs.join("\n")
    );
    let mut nca_pairs = 0;
    let inv = inventory(manifests, &[&input, &out], "p", 60, 40);
    if let Some((diffs, conn)) = nca_compare(&input, &out, &inv) {
        nca_pairs = inv.pods.len() * inv.pods.len();
        assert!(
            diffs.is_empty(),
            "{name}: nca finds differences:\n{}",
            diffs.join("\n")
        );
        let wrong = expectation_failures(imported, &inv, &conn);
        assert!(
            wrong.is_empty(),
            "{name}: nca contradicts expect lines of the program:\n{}",
            wrong.join("\n")
        );
        for u in &imported.unconvertible {
            let inv = inventory(manifests, &[&input, &u.evidence], "p", 200, 40);
            let found = nca_differences(&input, &u.evidence, &inv).unwrap();
            assert!(
                !found.is_empty(),
                "{name}: namespace {} was reported unconvertible, but nca finds no difference",
                u.namespace
            );
        }
    }
    (flows, nca_pairs)
}

#[test]
fn manifest_corpus_imports_equivalent() {
    let mut flows = 0;
    let mut nca_pairs = 0;
    let mut all = inputs();
    let mut own: Vec<PathBuf> = std::fs::read_dir(root().join("tests/data/import"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    own.sort();
    all.extend(own);
    for input in all {
        let manifests = read(&input);
        let imported = import::import(&manifests, &Settings::default()).unwrap();
        let name = match input.strip_prefix(root().join("tests/data/import")) {
            Ok(rest) => format!("import-{}", rest.with_extension("").display()),
            Err(_) => format!("import-{}", label(&input).replace('/', "-")),
        };
        snapshot(&name, &summary(&imported, &manifests));
        let (f, n) = check(&name, &manifests, &imported);
        flows += f;
        nca_pairs += n;
    }
    eprintln!(
        "manifest corpus: {flows} flows compared by the evaluator, {nca_pairs} pod pairs by nca"
    );
}

/// Every corpus program (`examples/`, `tests/cases/ok/`).
fn programs() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["examples", "tests/cases/ok"] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "npl"))
            .collect();
        found.sort();
        out.extend(found);
    }
    out
}

/// Programs with DNS names compile to CiliumNetworkPolicies too, which the
/// manifest reader reads and `npc import` refuses (E105) rather than prove
/// a program from the NetworkPolicies alone as if they were all: true for
/// such a program, after checking that its whole output is read and that
/// import refuses each CiliumNetworkPolicy.
fn refuses_cilium_output(path: &Path) -> bool {
    let c = npc::compile(vec![npc::load::Input::from_file(path).unwrap()]);
    if c.cilium.is_empty() {
        return false;
    }
    let text = npc::emit::output::to_yaml_with_cilium(&c.policies, &c.cilium).unwrap();
    let reading = manifest::load_str("built.yaml", &text, &manifest::Options::default());
    assert!(
        !reading.has_errors(),
        "{}: {:?}",
        path.display(),
        reading.diagnostics
    );
    assert_eq!(
        reading.manifests.cilium.len(),
        c.cilium.len(),
        "{}",
        path.display()
    );
    let out = crate::support::npc::npc_with_stdin(&["import", "-"], &text);
    let err = crate::support::npc::stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{}: {err}", path.display());
    assert_eq!(
        err.matches("[E105]").count(),
        c.cilium.len(),
        "{}: {err}",
        path.display()
    );
    true
}

/// A program's policies, with its managed namespaces as `Namespace`
/// objects carrying their declared labels, as manifests.
fn as_manifests(path: &Path) -> (manifest::Manifests, Vec<NetworkPolicy>) {
    let compilation = npc::compile(vec![npc::load::Input::from_file(path).unwrap()]);
    assert!(
        !compilation.has_errors(),
        "{}: {:?}",
        path.display(),
        compilation.diagnostics
    );
    let program = compilation.program.unwrap();
    let mut docs: Vec<String> = Vec::new();
    let yaml =
        |v: &serde_json::Value| npc::k8s::yaml::to_string(&npc::k8s::yaml::Node::from_json(v));
    for ns in program.namespaces.values() {
        docs.push(yaml(&json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": ns.name, "labels": ns.labels}})));
    }
    for p in &compilation.policies {
        docs.push(yaml(&serde_json::to_value(p).unwrap()));
    }
    let reading = manifest::load_str(
        "built.yaml",
        &docs.join("---\n"),
        &manifest::Options::default(),
    );
    assert!(
        !reading.has_errors(),
        "{}: {:?}",
        path.display(),
        reading.diagnostics
    );
    (reading.manifests, compilation.policies)
}

#[test]
fn corpus_programs_round_trip() {
    let mut converted = 0;
    let mut partly = Vec::new();
    for path in programs() {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if refuses_cilium_output(&path) {
            continue;
        }
        let (manifests, built) = as_manifests(&path);
        let imported = import::import(&manifests, &Settings::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        snapshot(
            &format!("import-program-{name}"),
            &summary(&imported, &manifests),
        );
        // The import compiles to the connectivity of the original program.
        let out = output(&imported);
        let (_, diffs) = evaluator_differences(&manifests, &built, &out, 10);
        assert!(
            diffs.is_empty(),
            "{name}: import(build(P)) differs from P:\n{}",
            diffs.join("\n")
        );
        check(&name, &manifests, &imported);
        if imported.unconvertible.is_empty() {
            converted += 1;
        } else {
            partly.push(name);
        }
    }
    eprintln!(
        "corpus programs: {converted} imported whole, {} with namespaces kept unconverted: {partly:?}",
        partly.len()
    );
}
