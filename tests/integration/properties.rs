//! Invariants over arbitrary input: the compiler never panics, bad input
//! always yields a located diagnostic and no output, and output is deterministic.

use proptest::prelude::*;

const VOCABULARY: &[&str] = &[
    "namespace",
    "labels",
    "isolate",
    "ingress",
    "egress",
    "none",
    "let",
    "allow",
    "expect",
    "deny",
    "dns",
    "scrape",
    "set",
    "include",
    "no",
    "world",
    "cluster",
    "except",
    "in",
    "notin",
    "web",
    "api",
    "a",
    "app",
    "tier",
    "x-1",
    "->",
    "/",
    ":",
    ",",
    ";",
    "=",
    "!=",
    "!",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "*",
    "\n",
    "\n",
    " ",
    " ",
    "80",
    "0",
    "65536",
    "8000-8100",
    "udp",
    "any",
    "10.0.0.0/8",
    "192.0.2.7",
    "::1",
    "2001:db8::/32",
    "\"\"",
    "\"x y\"",
    "#c",
    "\\\n",
    "workload-label",
    "name-prefix",
    "\"../x.npl\"",
    "é",
    "\t",
];

fn tokens() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(VOCABULARY), 0..60).prop_map(|t| t.join(" "))
}

fn check(text: &str) {
    let c = npc::compile_str("prop.npl", text);
    if c.has_errors() {
        assert!(c.policies.is_empty(), "errors but output");
        for d in &c.diagnostics {
            let file = c
                .sources
                .get(d.span.file)
                .expect("diagnostic names a loaded file");
            assert!(
                d.span.start() <= d.span.end() && d.span.end() <= file.text.len(),
                "span out of range: {d:?}"
            );
            assert!(
                file.text.is_char_boundary(d.span.start())
                    && file.text.is_char_boundary(d.span.end())
            );
        }
        // Rendering must not panic either.
        let _ = npc::render::human(&c.diagnostics, &c.sources, false);
        let _ = npc::render::json(&c.diagnostics, &c.sources);
    } else {
        let yaml = npc::emit::output::to_yaml_all(&c.cluster_policies, &c.policies).unwrap();
        let again = npc::compile_str("prop.npl", text);
        let again =
            npc::emit::output::to_yaml_all(&again.cluster_policies, &again.policies).unwrap();
        assert_eq!(yaml, again, "output is not deterministic");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        check(&text);
    }

    #[test]
    fn token_soup_never_panics(text in tokens()) {
        check(&text);
    }

    #[test]
    fn mutated_examples_never_panic(seed in any::<u64>(), edits in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(VOCABULARY)), 1..6)) {
        let examples = ["examples/shop.npl", "examples/ports.npl", "tests/cases/ok/selectors.npl", "tests/cases/ok/blocks.npl"];
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(examples[(seed % 4) as usize]);
        let mut text = std::fs::read_to_string(path).unwrap();
        for (at, token) in edits {
            let mut i = at.index(text.len() + 1);
            while !text.is_char_boundary(i) { i -= 1; }
            if seed % 2 == 0 {
                text.insert_str(i, token);
            } else {
                let mut end = (i + token.len()).min(text.len());
                while !text.is_char_boundary(end) { end -= 1; }
                text.replace_range(i..end, "");
            }
        }
        check(&text);
    }
}

#[test]
fn every_error_has_a_located_diagnostic() {
    let c = npc::compile_str("x.npl", "namespace web\nallow web/a -> web/b:99999\n");
    assert!(c.has_errors());
    let d = &c.diagnostics[0];
    assert_eq!(c.sources.snippet(d.span), "99999");
}

#[test]
fn output_is_independent_of_unrelated_statements() {
    // Names are stable: adding an unrelated namespace does not rename or
    // change the policies of another.
    let base = "namespace web\nallow web/a -> web/{tier=x}:80\n";
    let more = "namespace web\nnamespace other\nallow other/q -> other/r:9\nallow web/a -> web/{tier=x}:80\n";
    let names = |t: &str| -> Vec<String> {
        npc::compile_str("x.npl", t)
            .policies
            .iter()
            .filter(|p| p.metadata.namespace.as_deref() == Some("web"))
            .map(|p| p.metadata.name.clone().unwrap())
            .collect()
    };
    assert_eq!(names(base), names(more));
}
