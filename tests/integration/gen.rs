//! The benchmark generator (`npc-gen`, `benches/gen/`) prints programs that compile
//! without errors or warnings, for every shape the benchmarks use and a few
//! odd ones, and the same seed always gives the same program.

use npc_gen::{generate, generate_shape, Shape};

fn check(namespaces: usize, workloads: usize, seed: u64) {
    check_shape(Shape::Mixed, namespaces, workloads, seed);
}

fn check_shape(shape: Shape, namespaces: usize, workloads: usize, seed: u64) {
    let text = generate_shape(shape, namespaces, workloads, seed);
    let c = npc::compile_str("gen.npl", &text);
    let problems: Vec<String> = c
        .diagnostics
        .iter()
        .map(|d| format!("{d:?}"))
        .take(5)
        .collect();
    assert!(
        c.diagnostics.is_empty(),
        "{} {namespaces} x {workloads} (seed {seed}) has diagnostics: {problems:#?}",
        shape.name()
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
fn other_shapes_compile_cleanly() {
    for shape in [Shape::FanOut, Shape::Cdk8s] {
        for (n, w, seed) in [
            (1, 1, 1),
            (1, 10, 1),
            (2, 3, 2),
            (8, 10, 1),
            (9, 7, 3),
            (40, 10, 1),
        ] {
            check_shape(shape, n, w, seed);
        }
    }
}

#[test]
fn the_generator_is_deterministic() {
    for shape in Shape::ALL {
        let a = generate_shape(shape, 20, 10, 9);
        assert_eq!(a, generate_shape(shape, 20, 10, 9));
        assert_eq!(Shape::parse(shape.name()), Some(shape));
    }
    assert_ne!(generate(20, 10, 9), generate(20, 10, 10));
}

/// The fan-out shape's label-set source reaches about one namespace in
/// seven, and every workload of the admitting namespaces.
#[test]
fn fan_out_sources_match_a_seventh_of_the_namespaces() {
    let text = generate_shape(Shape::FanOut, 70, 10, 1);
    let zone1 = text
        .lines()
        .filter(|l| l.starts_with("namespace ") && l.contains("zone=z1}"))
        .count();
    assert_eq!(zone1, 10);
    let fan_out = text
        .lines()
        .filter(|l| l.starts_with("allow {zone=z"))
        .count();
    assert!(fan_out > 600, "{fan_out} fan-out rules");
}

#[test]
fn a_thousand_namespaces_is_about_the_advertised_size() {
    let text = generate(1000, 10, 1);
    let lines = text.lines().count();
    assert!((20_000..30_000).contains(&lines), "{lines} lines");
}

/// `to_yaml` writes what the general serializer writes, in content: every
/// document reads back (as YAML 1.2) as the policy it came from. Where the
/// serializer would leave a YAML 1.1 scalar plain (`yes`, `1_000`), only the
/// quoting differs; elsewhere the bytes are the same.
fn same_yaml_as_serde(c: &npc::Compilation) {
    let got = npc::emit::output::to_yaml(&c.policies).unwrap();
    let documents: Vec<&str> = got.split("---\n").collect();
    assert_eq!(documents.len(), c.policies.len());
    for (doc, policy) in documents.iter().zip(&c.policies) {
        let back: k8s_openapi::api::networking::v1::NetworkPolicy =
            serde_yaml::from_str(doc).unwrap();
        assert_eq!(&back, policy, "{doc}");
        let serde = serde_yaml::to_string(policy).unwrap();
        let quoting_only =
            |a: &str, b: &str| a.replace(['\'', '"'], "") == b.replace(['\'', '"'], "");
        assert!(
            *doc == serde || quoting_only(doc, &serde),
            "differs from serde_yaml beyond quoting:\n{doc}\n---\n{serde}"
        );
    }
}

#[test]
fn yaml_output_is_the_general_serializers() {
    same_yaml_as_serde(&npc::compile_str("gen.npl", &generate(60, 12, 4)));
    let long_key = format!("{}.example.com/k", vec!["a".repeat(60); 3].join("."));
    let odd = format!(
        r#"
set workload-label = app.kubernetes.io/name
namespace odd labels {{flag="true", n="8080", hex="0x1f", empty="", dotted=a.b, {long_key}=v}}
allow odd/{{a="true", b="", c="123", d=x-y}} -> odd/{{e in (null, "1.5", x), f notin (no, yes), g, !h}}:{{http, 80-90/udp}}
allow {{flag="true"}}/* -> odd/{{app.kubernetes.io/name="0123"}}:8080
allow {{{long_key}=v}}/Web -> odd/x
allow odd/x -> 10.0.0.0/8 except (10.1.0.0/16, 10.2.0.0/16), [2001:db8::/32], world:443
"#
    );
    let c = npc::compile_str("odd.npl", &odd);
    assert!(!c.has_errors(), "{:#?}", c.diagnostics);
    same_yaml_as_serde(&c);
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "npl") {
            let text = std::fs::read_to_string(&path).unwrap();
            let c = npc::compile(vec![npc::load::Input {
                name: path.display().to_string(),
                path: Some(path.clone()),
                text,
            }]);
            assert!(!c.has_errors(), "{}", path.display());
            same_yaml_as_serde(&c);
        }
    }
}

/// `compile_to` (what `npc build` runs: one namespace at a time) hands out
/// exactly the policies `compile` returns, in the same order, with the same
/// diagnostics (and provenance, when it checks `expect` lines), for the
/// corpus and every generator shape, errors included.
#[test]
fn streaming_build_equals_compile() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut inputs: Vec<npc::load::Input> = Vec::new();
    for dir in ["examples", "tests/cases/ok", "tests/cases/err"] {
        let mut paths: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "npl"))
            .collect();
        paths.sort();
        for path in paths {
            inputs.push(npc::load::Input {
                name: path.display().to_string(),
                text: std::fs::read_to_string(&path).unwrap(),
                path: Some(path),
            });
        }
    }
    for shape in Shape::ALL {
        inputs.push(npc::load::Input::from_str(
            "gen.npl",
            generate_shape(shape, 40, 10, 2),
        ));
    }
    for input in inputs {
        let name = input.name.clone();
        let whole = npc::compile(vec![input.clone()]);
        let mut streamed = Vec::new();
        let mut streamed_cilium = Vec::new();
        let mut namespaces = Vec::new();
        let c = npc::compile_to(vec![input], &mut |ns, policies, names| {
            assert!(policies
                .iter()
                .all(|p| p.metadata.namespace.as_deref() == Some(ns)));
            assert!(names.iter().all(|p| p.namespace() == ns));
            namespaces.push(ns.to_string());
            streamed.extend_from_slice(policies);
            streamed_cilium.extend_from_slice(names);
            Ok(())
        })
        .unwrap();
        assert_eq!(c.diagnostics, whole.diagnostics, "{name}");
        assert!(c.policies.is_empty());
        if whole.has_errors() {
            continue;
        }
        assert_eq!(streamed, whole.policies, "{name}");
        assert_eq!(streamed_cilium, whole.cilium, "{name}");
        // The origins of the rules are kept only for the `expect` lines
        // (and the tier statements, checked against the `allow` lines).
        let checked = c
            .program
            .as_ref()
            .is_some_and(|p| !p.expectations.is_empty() || !p.tiers.is_empty());
        if checked {
            assert_eq!(c.provenance, whole.provenance, "{name}");
        } else {
            assert!(c.provenance.policies.is_empty(), "{name}");
        }
        let mut sorted = namespaces.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, namespaces, "{name}: each namespace once, in order");
    }
}
