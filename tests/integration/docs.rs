//! The NPL shown in the README compiles and its expectations hold, so the
//! first thing a new user reads stays true.

#[test]
fn readme_npl_blocks_compile() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let blocks: Vec<&str> = readme
        .split("```npl\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap())
        .collect();
    assert!(!blocks.is_empty(), "the README has no NPL example");
    for block in blocks {
        let c = npc::compile_str("README.md", block);
        let text = npc::render::human(&c.diagnostics, &c.sources, false);
        assert!(
            c.diagnostics.is_empty(),
            "README example has diagnostics:\n{text}"
        );
        assert!(!c.policies.is_empty());
    }
}
