//! Every page under `docs/errors/` is checked: its example produces its
//! code (and no other error), and its fix compiles without an error and
//! without that code.
//!
//! Page conventions (see `docs/errors/README.md`): the first ```npl block
//! after `## Example` is the example, the first after `## Fix` the fix; each
//! is the file `project/main.npl` in a fresh directory. A block whose info
//! string is `npl file=PATH` is written to `project/PATH` before compiling
//! the part of the page it appears in (before `## Fix`: the example and the
//! fix; after: the fix). A ```yaml inventory block makes the check run against that
//! cluster inventory, as `npc check --inventory` does. An example written
//! ```npl illustration is too small to report its code (the page names the
//! test that generates a real one); it must still compile without errors.

use std::path::{Path, PathBuf};

use npc::diagnostic::{codes, Diagnostic, Severity};

struct Part {
    program: String,
    /// ```npl illustration: too small to report the code; the page says
    /// which test generates a real example.
    illustration: bool,
    files: Vec<(String, String)>,
    inventory: Option<String>,
}

/// Fenced blocks in order: (info string, body).
fn blocks(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("```") {
        let after = &rest[start + 3..];
        let Some(nl) = after.find('\n') else { break };
        let info = after[..nl].trim().to_string();
        let body_start = &after[nl + 1..];
        let Some(end) = body_start.find("```") else {
            break;
        };
        out.push((info, body_start[..end].to_string()));
        rest = &body_start[end + 3..];
    }
    out
}

fn part(section: &str) -> Option<Part> {
    let mut part = Part {
        program: String::new(),
        illustration: false,
        files: Vec::new(),
        inventory: None,
    };
    let mut found = false;
    for (info, body) in blocks(section) {
        if (info == "npl" || info == "npl illustration") && !found {
            part.program = body;
            part.illustration = info == "npl illustration";
            found = true;
        } else if let Some(path) = info.strip_prefix("npl file=") {
            part.files.push((path.to_string(), body));
        } else if info == "yaml inventory" {
            part.inventory = Some(body);
        }
    }
    found.then_some(part)
}

/// Compiles a page part in a fresh directory; the diagnostics.
fn run(part: &Part, inventory: Option<&str>) -> Vec<Diagnostic> {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    for (path, text) in &part.files {
        let file = project.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    let main = project.join("main.npl");
    std::fs::write(&main, &part.program).unwrap();
    let c = npc::compile(vec![npc::load::Input {
        name: "main.npl".into(),
        path: Some(main),
        text: part.program.clone(),
    }]);
    let mut diags = c.diagnostics.clone();
    if let (Some(text), Some(program), false) = (inventory, &c.program, c.has_errors()) {
        let inv = npc::verify::inventory::parse("inventory.yaml", text).unwrap();
        diags.extend(npc::verify::cluster::check(
            program,
            &c.policies,
            &c.cilium,
            &c.provenance,
            &c.sources,
            &inv,
        ));
    }
    diags
}

/// Codes of manifest reading (`E1xx`, `W1xx`) and lint (`L`).
fn is_manifest_code(code: &str) -> bool {
    code.starts_with('L') || code.get(1..2) == Some("1")
}

fn pages() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/errors");
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "md")
                && p.file_name().is_some_and(|n| n != "README.md")
        })
        .collect();
    pages.sort();
    pages
}

#[test]
fn every_error_page_example_produces_its_code_and_its_fix_compiles() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let code = page.file_stem().unwrap().to_string_lossy().into_owned();
        let Some(catalogued) = codes::ALL.iter().find(|c| c.id == code) else {
            // Codes of other tools (lint) are checked by their own tests.
            continue;
        };
        if is_manifest_code(&code) {
            // Their examples are YAML manifests: `lint::cases` checks them.
            continue;
        }
        let text = std::fs::read_to_string(&page).unwrap();
        let (Some(example_at), Some(fix_at)) = (text.find("## Example"), text.find("## Fix"))
        else {
            failures.push(format!("{code}: no `## Example` and `## Fix` sections"));
            continue;
        };
        let (Some(example), Some(mut fix)) =
            (part(&text[example_at..fix_at]), part(&text[fix_at..]))
        else {
            failures.push(format!("{code}: no ```npl block in the example or the fix"));
            continue;
        };
        let inventory = example.inventory.as_deref();
        let got = run(&example, inventory);
        let ids = |d: &[Diagnostic], errors: bool| {
            d.iter()
                .filter(|d| !errors || d.severity() == Severity::Error)
                .map(|d| d.code.id)
                .collect::<Vec<_>>()
        };
        if !example.illustration && !got.iter().any(|d| d.code.id == code) {
            failures.push(format!(
                "{code}: the example reports {:?}",
                ids(&got, false)
            ));
        }
        let other_errors: Vec<&str> = ids(&got, true).into_iter().filter(|c| *c != code).collect();
        if !other_errors.is_empty() {
            failures.push(format!("{code}: the example also reports {other_errors:?}"));
        }
        // Files of the example section are there for the fix too.
        fix.files.splice(0..0, example.files.iter().cloned());
        let fixed = run(&fix, fix.inventory.as_deref().or(inventory));
        let fix_errors = ids(&fixed, true);
        if !fix_errors.is_empty() || fixed.iter().any(|d| d.code.id == code) {
            failures.push(format!("{code}: the fix reports {:?}", ids(&fixed, false)));
        }
        let _ = catalogued;
        checked += 1;
    }
    assert!(failures.is_empty(), "error pages:\n{}", failures.join("\n"));
    let npl_codes = codes::ALL
        .iter()
        .filter(|c| !is_manifest_code(c.id))
        .count();
    assert!(checked >= npl_codes, "checked {checked} pages");
}
