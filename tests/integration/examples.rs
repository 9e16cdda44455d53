//! Every example's compiled output is checked in next to it
//! (`examples/NAME.yaml`); this test fails when the compiler's output
//! differs. After an intended change, regenerate with
//! `NPC_BLESS=1 cargo test --test integration examples::` and review the diff.

use std::path::Path;

#[test]
fn checked_in_output_is_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bless = std::env::var_os("NPC_BLESS").is_some();
    let mut stale = Vec::new();
    let mut count = 0;
    let mut entries: Vec<_> = std::fs::read_dir(root.join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "npl"))
    {
        count += 1;
        let name = format!("examples/{}", path.file_name().unwrap().to_string_lossy());
        let c = npc::compile(vec![npc::load::Input {
            name: name.clone(),
            path: Some(path.clone()),
            text: std::fs::read_to_string(&path).unwrap(),
        }]);
        assert!(!c.has_errors(), "{name} does not compile");
        let yaml = npc::emit::output::render_all(
            &c.cluster_policies,
            &c.policies,
            &c.cilium,
            npc::emit::output::Format::Yaml,
        )
        .unwrap();
        let golden = path.with_extension("yaml");
        let current = std::fs::read_to_string(&golden).unwrap_or_default();
        if current != yaml {
            if bless {
                std::fs::write(&golden, &yaml).unwrap();
            } else {
                let diff = similar::TextDiff::from_lines(&current, &yaml)
                    .unified_diff()
                    .header(&golden.display().to_string(), "compiler output")
                    .to_string();
                stale.push(diff);
            }
        }
    }
    assert!(count >= 4, "examples are missing");
    assert!(
        stale.is_empty(),
        "checked-in example output is stale (run `NPC_BLESS=1 cargo test --test integration examples::` and review):\n{}",
        stale.join("\n")
    );
}
