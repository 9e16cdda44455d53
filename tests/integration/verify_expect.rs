//! `expect` checking in `npc::compile`: every example's expectations hold,
//! each of them would catch the opposite verdict, and representatives are
//! chosen as docs/verify.md says (label-set namespaces, `except`, named ports).

use std::path::Path;

fn codes(c: &npc::Compilation) -> Vec<&'static str> {
    c.diagnostics.iter().map(|d| d.code.id).collect()
}

fn rendered(c: &npc::Compilation) -> String {
    npc::render::human(&c.diagnostics, &c.sources, false)
}

/// Compiles an example's text with its path, so that its includes resolve.
fn compile_at(path: &str, text: &str) -> npc::Compilation {
    npc::compile(vec![npc::load::Input {
        name: path.to_string(),
        path: Some(path.into()),
        text: text.to_string(),
    }])
}

fn examples() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "npl"))
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_example_expectation_holds() {
    let mut total = 0;
    for (name, text) in examples() {
        let c = compile_at(&name, &text);
        assert!(!codes(&c).contains(&"E029"), "{name}:\n{}", rendered(&c));
        assert!(!c.policies.is_empty(), "{name}");
        total += c.program.unwrap().expectations.len();
    }
    assert!(total >= 19, "the examples hold {total} expectations");
}

/// Flipping any example expectation (allow ↔ deny) must fail it, at its line:
/// the checker is not vacuous.
#[test]
fn every_flipped_example_expectation_fails() {
    let mut flipped = 0;
    for (name, text) in examples() {
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let opposite = if line.starts_with("expect allow ") {
                line.replacen("expect allow ", "expect deny ", 1)
            } else if line.starts_with("expect deny ") {
                line.replacen("expect deny ", "expect allow ", 1)
            } else {
                continue;
            };
            let mut changed: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            changed[i] = opposite;
            let c = compile_at(&name, &changed.join("\n"));
            let failures: Vec<_> = c
                .diagnostics
                .iter()
                .filter(|d| d.code.id == "E029")
                .collect();
            assert_eq!(failures.len(), 1, "{name}:{}:\n{}", i + 1, rendered(&c));
            let file = c.sources.get(failures[0].span.file).unwrap();
            assert_eq!(file.line_of(failures[0].span.start()), i + 1);
            assert!(c.policies.is_empty(), "a failed expectation emits nothing");
            flipped += 1;
        }
    }
    assert!(flipped >= 19);
}

#[test]
fn a_label_set_source_must_hold_in_every_managed_namespace_it_covers() {
    let c = npc::compile_str(
        "t.npl",
        "namespace a labels {team=ops}\nnamespace b labels {team=ops}\nnamespace c\n\
         allow a/x -> c/y:80\n\
         expect allow {team=ops}/x -> c/y:80\n",
    );
    let d = c.diagnostics.iter().find(|d| d.code.id == "E029").unwrap();
    let text = rendered(&c);
    assert!(text.contains("a pod in `b` with labels `app=x`"), "{text}");
    assert!(
        d.notes.iter().any(|n| n.starts_with("it fails for ")),
        "{text}"
    );
}

#[test]
fn a_label_set_that_covers_no_managed_namespace_stands_for_a_synthetic_one() {
    let c = npc::compile_str(
        "t.npl",
        "namespace c\nallow {team=ops}/* -> c/y:80\n\
         expect allow {team=ops}/x -> c/y:80\n\
         expect deny {team=dev}/x -> c/y:80\n",
    );
    assert!(!c.has_errors(), "{}", rendered(&c));
}

#[test]
fn an_address_representative_lies_outside_the_except_ranges() {
    // 10.0.0.0/9 is excluded; what is left, 10.128.0.0/9, is allowed, so
    // the deny fails with an address from there.
    let c = npc::compile_str(
        "t.npl",
        "namespace web\n\
         allow web/a -> 10.128.0.0/9:443\n\
         expect deny web/a -> 10.0.0.0/8 except 10.0.0.0/9:443\n",
    );
    let text = rendered(&c);
    assert!(codes(&c).contains(&"E029"), "{text}");
    assert!(text.contains("the address `10.128.0.1`"), "{text}");
    // ... and holds when the allowed part is excepted.
    let c = npc::compile_str(
        "t.npl",
        "namespace web\n\
         allow web/a -> 10.128.0.0/9:443\n\
         expect deny web/a -> 10.0.0.0/8 except 10.128.0.0/9:443\n",
    );
    assert!(!c.has_errors(), "{}", rendered(&c));
}

/// Expectations are universal: every pod or address an endpoint can denote,
/// not one representative. Each of these once held on a single sample.
#[test]
fn expectations_hold_for_every_pod_and_address_they_denote() {
    let fails = |program: &str, counterexample: &str| {
        let c = npc::compile_str("t.npl", program);
        let text = rendered(&c);
        assert!(codes(&c).contains(&"E029"), "{program}\n{text}");
        assert!(
            text.contains(counterexample),
            "{counterexample} in:\n{text}"
        );
    };
    // Any namespace: the pod `app=x` in an undeclared namespace is allowed.
    fails(
        "namespace web\nallow other/x -> web/a:80\nexpect deny */x -> web/a:80\n",
        "a pod in `other`",
    );
    // Any address of 10.0.0.0/8: 10.1.0.0/16 is allowed.
    fails(
        "namespace web\nallow 10.1.0.0/16 -> web/a:80\nexpect deny 10.0.0.0/8 -> web/a:80\n",
        "the address `10.1.0.1`",
    );
    // `world` is IPv6 too.
    fails(
        "namespace web\nallow [2001:db8::/32] -> web/a:80\nexpect deny world -> web/a:80\n",
        "the address `2001:db8::1`",
    );
    // Any pod of `web`: those labelled tier=x are allowed.
    fails(
        "namespace web\nnamespace db\nallow web/{tier=x} -> db/pg:5432\nexpect deny web/* -> db/pg:5432\n",
        "with labels `tier=x`",
    );
    // Any pod `app=a` also carries other labels: those with tier=legacy are not allowed.
    fails(
        "namespace web\nnamespace db\nallow web/a -> db/{app=pg, tier!=legacy}:5432\nexpect allow web/a -> db/pg:5432\n",
        "`app=pg, tier=legacy`",
    );
    // A destination may declare a named port at the port asked about.
    fails(
        "namespace web\nallow web/a -> web/b:http\nexpect deny web/a -> web/b:9090\n",
        "declares container port `http` as TCP 9090",
    );
    // And they hold when they do hold.
    for program in [
        "namespace web\nallow other/x -> web/a:80\nexpect deny web/x -> web/a:80\nexpect allow other/x -> web/a:80\n",
        "namespace web\nallow 10.1.0.0/16 -> web/a:80\nexpect deny 10.0.0.0/8 except 10.1.0.0/16 -> web/a:80\nexpect allow 10.1.2.0/24 -> web/a:80\n",
        "namespace web\nnamespace db\nallow web/{tier=x} -> db/pg:5432\nexpect deny web/{tier=y} -> db/pg:5432\nexpect allow web/{tier=x, app=q} -> db/pg:5432\n",
        "namespace web\nallow web/a -> web/b:http\nexpect deny web/a -> web/b:9090/udp\nexpect allow web/a -> web/b:http\n",
    ] {
        let c = npc::compile_str("t.npl", program);
        assert!(!c.has_errors(), "{program}\n{}", rendered(&c));
    }
}

/// An `expect` without ports is about every port of every pod the
/// destination can denote, and a pod may declare any named port the rules
/// use: `expect deny` must fail when such a pod is reachable (it held on
/// pods that declare no port, while `npc check --inventory` found the real
/// pod reachable).
#[test]
fn a_port_less_deny_covers_pods_that_declare_the_rules_named_ports() {
    for (program, expected) in [
        (
            "namespace web\nallow web/a -> web/b:http\nexpect deny web/a -> web/b\n",
            "to be denied on every port, but named port `http` is allowed",
        ),
        (
            "namespace web\nallow web/a -> web/{tier=x}:metrics/udp\nexpect deny web/a -> web/*\n",
            "to be denied on every port, but named port `metrics` (UDP) is allowed",
        ),
        (
            "namespace web\nnamespace db\nallow web/a -> db/*:{5432, sql}\nexpect deny web/a -> db/pg:1-5431\n",
            "the destination declares container port `sql` as TCP",
        ),
    ] {
        let c = npc::compile_str("t.npl", program);
        let text = rendered(&c);
        assert!(codes(&c).contains(&"E029"), "{program}\n{text}");
        assert!(
            text.contains(expected),
            "{program}\n{text}"
        );
    }
    // It still holds where no rule reaches the destination, named or not.
    for program in [
        "namespace web\nallow web/a -> web/b:http\nexpect deny web/b -> web/a\nexpect deny web/c -> web/b\n",
        "namespace web\nallow web/a -> web/b:http\nexpect deny web/a -> web/b:http/udp\n",
    ] {
        let c = npc::compile_str("t.npl", program);
        assert!(!c.has_errors(), "{program}\n{}", rendered(&c));
    }
}

/// Random programs (the contract test's generator) with random `expect`
/// lines: every line npc proves must hold, by npc's evaluator, between every
/// pair of pods of the contract's synthetic cluster, whose probe pods declare
/// the program's named ports inside and outside every numbered port and
/// range. (The contract test checks the same lines with nca.)
#[test]
fn proven_random_expectations_hold_for_pods_that_declare_named_ports() {
    use crate::contract::{inventory, random, with_proven_expectations};
    use crate::support::nca::{self, Connectivity};
    let mut proved = 0;
    let mut failures = Vec::new();
    for seed in 0..150u64 {
        let text = random::program(seed);
        let text = with_proven_expectations(&text, random::expectation_candidates(seed, &text));
        let c = npc::compile_str("random.npl", &text);
        assert!(!c.has_errors(), "{text}\n{}", rendered(&c));
        let program = c.program.as_ref().unwrap();
        proved += program.expectations.len();
        let inv = inventory::build(program);
        let mut set = npc::eval::PolicySet::new(c.policies.clone()).unwrap();
        set.add_cluster(&c.cluster_policies).unwrap();
        set.extend_cilium(&c.cilium).unwrap();
        let by_evaluator = Connectivity {
            pods: inv.npc_matrix(&set),
            addresses: Vec::new(),
        };
        let wrong = nca::expectation_failures(program, &inv, &by_evaluator, 3);
        if !wrong.is_empty() {
            failures.push(format!("seed {seed}:\n{text}\n{}", wrong.join("\n")));
        }
    }
    assert!(proved >= 150, "only {proved} expectations proved");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_named_port_is_given_a_number_no_rule_names() {
    // The representative's `metrics` port must not land on 49152, which a
    // numeric rule allows: the expectation must fail.
    let c = npc::compile_str(
        "t.npl",
        "namespace apps\nallow apps/a -> apps/b:49152\nexpect allow apps/a -> apps/b:metrics\n",
    );
    let text = rendered(&c);
    assert!(codes(&c).contains(&"E029"), "{text}");
    // The number the representative gives `metrics` is npc's own: shown
    // by name, never by number.
    assert!(text.contains("allowed between them: TCP 49152\n"), "{text}");
    assert!(
        text.contains("no ingress rule allows named port `metrics`"),
        "{text}"
    );
    assert!(!text.contains("49153"), "{text}");
    let c = npc::compile_str(
        "t.npl",
        "namespace apps\nallow apps/a -> apps/b:metrics\nexpect allow apps/a -> apps/b:metrics\nexpect deny apps/a -> apps/b:metrics/udp\n",
    );
    assert!(!c.has_errors(), "{}", rendered(&c));
}

#[test]
fn ranges_are_decided_exactly_not_by_sampling() {
    // Only the last port of the range is missing.
    let c = npc::compile_str(
        "t.npl",
        "namespace apps\nallow apps/a -> apps/b:{1000-1998, 2000}\nexpect allow apps/a -> apps/b:1000-2000\nexpect deny apps/a -> apps/b:1999\n",
    );
    let d: Vec<_> = c
        .diagnostics
        .iter()
        .filter(|d| d.code.id == "E029")
        .collect();
    assert_eq!(d.len(), 1, "{}", rendered(&c));
    assert!(
        d[0].message.ends_with("but TCP 1999 is denied"),
        "{}",
        d[0].message
    );
}

#[test]
fn port_less_expectations_mean_every_port_or_none() {
    let ok = npc::compile_str(
        "t.npl",
        "namespace apps\nallow apps/a -> apps/b\nexpect allow apps/a -> apps/b\nexpect deny apps/b -> apps/a\n",
    );
    assert!(!ok.has_errors(), "{}", rendered(&ok));
    let partial = npc::compile_str(
        "t.npl",
        "namespace apps\nallow apps/a -> apps/b:53/udp\nexpect deny apps/a -> apps/b\n",
    );
    let d = partial
        .diagnostics
        .iter()
        .find(|d| d.code.id == "E029")
        .unwrap();
    assert!(
        d.message.ends_with("but UDP 53 is allowed"),
        "{}",
        d.message
    );
}

#[test]
fn expectations_are_not_checked_when_the_program_has_other_errors() {
    let c = npc::compile_str(
        "t.npl",
        "namespace apps\nallow apps/a -> apps/b:70000\nexpect allow apps/a -> apps/b:80\n",
    );
    assert_eq!(codes(&c), vec!["E006"]);
}
