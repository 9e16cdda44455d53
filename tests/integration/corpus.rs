//! The corpus, one snapshot per program: warnings for `examples/` and
//! `tests/cases/ok/`, emitted YAML for `tests/cases/ok/` (examples keep
//! theirs in `examples/NAME.yaml`), rendered diagnostics for
//! `tests/cases/err/`. Each `err` file is named after the code it must
//! produce (`E006-port-range.npl` must report `E006`).

use std::path::{Path, PathBuf};

fn compile(path: &Path) -> npc::Compilation {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let name = path
        .strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string();
    npc::compile(vec![npc::load::Input {
        name,
        path: Some(path.to_path_buf()),
        text: std::fs::read_to_string(path).unwrap(),
    }])
}

fn diagnostics(c: &npc::Compilation) -> String {
    npc::render::human(&c.diagnostics, &c.sources, false)
}

fn files(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "npl"))
        .collect();
    out.sort();
    out
}

fn snapshot_name(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

#[test]
fn ok_programs_compile() {
    let mut all = files("examples");
    all.extend(files("tests/cases/ok"));
    assert!(all.len() >= 8);
    for path in all {
        let c = compile(&path);
        assert!(!c.has_errors(), "{}:\n{}", path.display(), diagnostics(&c));
        let yaml = npc::emit::output::render_all(
            &c.cluster_policies,
            &c.policies,
            &c.cilium,
            npc::emit::output::Format::Yaml,
        )
        .unwrap();
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_suffix(
            path.parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned(),
        );
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| {
            insta::assert_snapshot!(
                format!("{}-warnings", snapshot_name(&path)),
                diagnostics(&c)
            );
            // Examples keep their output next to them (examples.rs).
            if !path.starts_with(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")) {
                insta::assert_snapshot!(snapshot_name(&path), yaml);
                // The resolved IR, carve-outs applied: what the later stages see.
                insta::assert_snapshot!(
                    format!("{}-ir", snapshot_name(&path)),
                    format!("{:#?}", c.program.as_ref().unwrap())
                );
            }
        });
    }
}

#[test]
fn err_programs_report_their_code() {
    let all = files("tests/cases/err");
    assert!(all.len() >= 30);
    for path in all {
        let c = compile(&path);
        let name = snapshot_name(&path);
        let code = name.split('-').next().unwrap();
        assert!(
            c.diagnostics.iter().any(|d| d.code.id == code),
            "{} does not report {code}:\n{}",
            path.display(),
            diagnostics(&c)
        );
        if code.starts_with('E') {
            assert!(c.has_errors(), "{name}");
            assert!(
                c.policies.is_empty(),
                "{name}: a failed build must emit nothing"
            );
        } else {
            assert!(
                !c.has_errors(),
                "{name}: a warning case must compile:\n{}",
                diagnostics(&c)
            );
        }
        for d in &c.diagnostics {
            assert!(d.span.end() >= d.span.start(), "{name}: bad span");
            // Lower case, except acronyms (`DNS`) and the product name `NetworkPolicy`.
            let mut chars = d.message.chars();
            let (a, b) = (chars.next().unwrap(), chars.next().unwrap_or(' '));
            let capitalized = a.is_uppercase() && b.is_lowercase();
            assert!(
                !capitalized || d.message.starts_with("NetworkPolicy"),
                "{name}: message starts upper-case: {}",
                d.message
            );
            assert!(
                !d.message.ends_with('.'),
                "{name}: message ends with a period: {}",
                d.message
            );
            assert!(d.help.is_some(), "{name}: {} has no help", d.code.id);
        }
        let mut settings = insta::Settings::clone_current();
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| insta::assert_snapshot!(name, diagnostics(&c)));
    }
}

/// Codes reported only by `npc check --inventory`, tested in `verify_inventory.rs`.
const INVENTORY_ONLY: &[&str] = &["W006", "W007", "W008", "W009"];

/// Every code in the catalogue has an `err` case and a documentation page.
#[test]
fn every_code_is_tested_and_documented() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cases: Vec<String> = files("tests/cases/err")
        .iter()
        .map(|p| snapshot_name(p))
        .collect();
    for code in npc::diagnostic::codes::ALL {
        let doc = root.join("docs/errors").join(format!("{}.md", code.id));
        assert!(doc.exists(), "{} has no page at {}", code.id, doc.display());
        // The inventory checks (W006-W009) need a cluster inventory, which
        // err cases do not have: verify_inventory.rs. E031 needs a program
        // too large for a case file: limits.rs generates it, and E033 and
        // W015 (more than 100 diagnostics in a file) too; E034 is the
        // language server's (lsp_limits.rs). Manifest
        // reading and import (E1xx, W1xx) and lint (L) codes have cases of
        // their own: `analyze::reader`, `import::` and `lint::`.
        let manifests = code.id.starts_with('L') || code.id[1..].starts_with('1');
        let generated = ["E031", "E033", "E034", "W015"];
        if generated.contains(&code.id) || INVENTORY_ONLY.contains(&code.id) || manifests {
            continue;
        }
        assert!(
            cases.iter().any(|c| c.starts_with(code.id)),
            "{} has no case in tests/cases/err",
            code.id
        );
    }
}
