//! The benchmark generator (`examples/gen.rs`) prints programs that compile
//! without errors or warnings, for every shape the benchmarks use and a few
//! odd ones, and the same seed always gives the same program.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
#[path = "../examples/gen.rs"]
mod gen;

fn check(namespaces: usize, workloads: usize, seed: u64) {
    let text = gen::generate(namespaces, workloads, seed);
    let c = npc::compile_str("gen.npl", &text);
    let problems: Vec<String> = c
        .diagnostics
        .iter()
        .map(|d| format!("{d:?}"))
        .take(5)
        .collect();
    assert!(
        c.diagnostics.is_empty(),
        "{namespaces} x {workloads} (seed {seed}) has diagnostics: {problems:#?}"
    );
    assert!(!c.policies.is_empty());
}

#[test]
fn generated_programs_compile_cleanly() {
    for (n, w, seed) in [
        (1, 1, 1),
        (1, 10, 1),
        (3, 4, 7),
        (9, 7, 3),
        (10, 10, 1),
        (17, 13, 5),
        (100, 10, 1),
        (100, 25, 2),
    ] {
        check(n, w, seed);
    }
}

#[test]
fn the_generator_is_deterministic() {
    assert_eq!(gen::generate(20, 10, 9), gen::generate(20, 10, 9));
    assert_ne!(gen::generate(20, 10, 9), gen::generate(20, 10, 10));
}

#[test]
fn a_thousand_namespaces_is_about_the_advertised_size() {
    let text = gen::generate(1000, 10, 1);
    let lines = text.lines().count();
    assert!((20_000..30_000).contains(&lines), "{lines} lines");
}

