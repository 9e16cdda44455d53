//! Input an attacker may have written: alias expansion, nesting, huge
//! tokens. Each must end in a diagnostic, quickly, never in a crash or an
//! exhausted machine.

use npc::diagnostic::Diagnostic;

use crate::support::npc::{npc, stderr, stdout};

fn codes(d: &[Diagnostic]) -> Vec<&str> {
    d.iter().map(|d| d.code.id).collect()
}

/// `let a1 = a0, a0` ... `let a30 = a29, a29` once took 6 GB and was
/// killed: aliases are sets, so every level holds one endpoint.
#[test]
fn doubling_aliases_do_not_explode() {
    let mut text = String::from("namespace web\nlet a0 = web/x\n");
    for i in 1..=30 {
        text.push_str(&format!("let a{i} = a{p}, a{p}\n", p = i - 1));
    }
    text.push_str("allow a30 -> web/y:80\nexpect allow web/x -> web/y:80\n");
    let c = npc::compile_str("laughs.npl", &text);
    assert!(!c.has_errors(), "{:?}", codes(&c.diagnostics));
    let y = c
        .policies
        .iter()
        .find(|p| p.metadata.name.as_deref() == Some("y"))
        .unwrap();
    let ingress = y.spec.as_ref().unwrap().ingress.as_ref().unwrap();
    assert_eq!(ingress[0].from.as_ref().unwrap().len(), 1);
}

/// Aliases of aliases that copy more than a million endpoints in all stop
/// with E031, once, at the use that crossed the line.
#[test]
fn alias_expansion_is_bounded() {
    let endpoints: Vec<String> = (0..1000).map(|i| format!("web/w{i}")).collect();
    let mut text = format!("namespace web\nlet big = {}\n", endpoints.join(", "));
    for _ in 0..1001 {
        text.push_str("allow big -> web/db:5432\n");
    }
    let c = npc::compile_str("big.npl", &text);
    let found = codes(&c.diagnostics);
    assert_eq!(
        found.iter().filter(|c| **c == "E031").count(),
        1,
        "{found:?}"
    );
    assert!(c.policies.is_empty());
}

/// A 10 MB identifier is echoed cut short, not whole.
#[test]
fn huge_tokens_are_echoed_cut_short() {
    let long = "x".repeat(1 << 20);
    for text in [
        format!("allow web/a -> {long}\n"),
        format!("allow web/a -> web/b:80 {long}\n"),
        format!("{long}\n"),
    ] {
        let c = npc::compile_str("long.npl", &text);
        assert!(c.has_errors());
        // The 1 MB line is not printed (nor underlined) either.
        let shown = npc::render::human(&c.diagnostics, &c.sources, false);
        assert!(shown.len() < 20_000, "{} bytes", shown.len());
        for d in &c.diagnostics {
            let all = format!("{} {:?} {:?} {:?}", d.message, d.primary, d.help, d.notes);
            assert!(all.len() < 2_000, "{}…", &all[..200]);
        }
    }
}

/// Blocks nested a million deep, or opened and never closed on every line,
/// end in syntax errors (the parser neither recurses without bound nor
/// rescans the rest of the file for every broken line).
#[test]
fn pathological_nesting_ends_in_syntax_errors() {
    for text in [
        "namespace a {\n".repeat(100_000) + &"}\n".repeat(100_000),
        "namespace a { allow x -> y\n".repeat(50_000),
        "allow a -> web/{x=y\n".repeat(50_000),
        format!("allow a -> web/{}", "{".repeat(1_000_000)),
        format!("allow a -> 10.0.0.0/8 except {}", "(".repeat(1_000_000)),
        format!("allow a -> b:{}", "{".repeat(1_000_000)),
        format!("namespace a labels {}", "{".repeat(1_000_000)),
    ] {
        let c = npc::compile_str("deep.npl", &text);
        assert!(codes(&c.diagnostics).contains(&"E001"));
        assert!(c.policies.is_empty());
    }
}

/// 65,535 single ports are one range, not a 15 MB policy over etcd's limit.
#[test]
fn consecutive_ports_become_one_range() {
    let ports: Vec<String> = (1..=65535).map(|p| p.to_string()).collect();
    let text = format!(
        "namespace web\nallow web/a -> web/b:{{{}}}\n",
        ports.join(", ")
    );
    let c = npc::compile_str("ports.npl", &text);
    assert!(!c.has_errors(), "{:?}", codes(&c.diagnostics));
    let b = c
        .policies
        .iter()
        .find(|p| p.metadata.name.as_deref() == Some("b"))
        .unwrap();
    let rule = &b.spec.as_ref().unwrap().ingress.as_ref().unwrap()[0];
    let ports = rule.ports.as_ref().unwrap();
    assert_eq!(ports.len(), 1);
    assert_eq!(ports[0].end_port, Some(65535));
}

/// A program with a thousand errors in one file and 150 in another.
fn many_errors(dir: &std::path::Path) -> (String, String) {
    let mut first = String::from("namespace web\n");
    for i in 0..1000 {
        first.push_str(&format!("allow web/a -> nope{i}:80\n"));
    }
    let mut second = String::new();
    for i in 0..150 {
        second.push_str(&format!("allow web/b -> gone{i}:80\n"));
    }
    let a = dir.join("a.npl");
    let b = dir.join("b.npl");
    std::fs::write(&a, first).unwrap();
    std::fs::write(&b, second).unwrap();
    (a.display().to_string(), b.display().to_string())
}

/// Diagnostics are capped per file, with a last one (W015) saying how many
/// more there are, in every error format: 400,000 errors once printed
/// 175 MB of JSON.
#[test]
fn diagnostics_are_capped_per_file() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = many_errors(dir.path());

    let out = npc(&["check", &a, &b, "--error-format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let records: Vec<serde_json::Value> = serde_json::from_str(&stderr(&out)).unwrap();
    for (file, shown, more) in [(&a, 100, "900 more errors"), (&b, 100, "50 more errors")] {
        let of_file: Vec<&serde_json::Value> = records
            .iter()
            .filter(|r| r["location"]["file"] == file.as_str())
            .collect();
        assert_eq!(of_file.len(), shown + 1, "{file}");
        let errors = of_file.iter().filter(|r| r["code"] == "E002").count();
        assert_eq!(errors, shown, "{file}");
        let last = of_file.last().unwrap();
        assert_eq!(last["code"], "W015", "{last}");
        let message = last["message"].as_str().unwrap();
        assert!(message.starts_with(more), "{message}");
    }

    let out = npc(&["check", &a, "--error-format", "human"]);
    let text = stderr(&out);
    assert_eq!(text.matches("[E002]").count(), 100);
    assert_eq!(text.matches("[W015]").count(), 1);
    assert!(
        text.contains("900 more errors"),
        "{}",
        &text[text.len() - 2000..]
    );

    let out = npc(&["check", &a, "--error-format", "sarif"]);
    let log: serde_json::Value = serde_json::from_str(&stderr(&out)).unwrap();
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 101);

    let out = npc(&["check", &a, "--error-format", "github"]);
    let text = stderr(&out);
    assert_eq!(text.lines().count(), 101);
    assert!(
        text.lines().last().unwrap().starts_with("::warning "),
        "{text}"
    );
}

/// `allow a0, ..., aN -> b0, ..., bM` in one namespace (every port: a
/// port list belongs to the one destination it follows).
fn lists(sources: usize, destinations: usize) -> String {
    let s: Vec<String> = (0..sources).map(|i| format!("web/a{i}")).collect();
    let d: Vec<String> = (0..destinations).map(|i| format!("web/b{i}")).collect();
    format!(
        "namespace web\nallow {} -> {}\n",
        s.join(", "),
        d.join(", ")
    )
}

/// Runs npc under a limit of `mib` MiB of address space.
fn npc_within(mib: u64, args: &[&str]) -> std::process::Output {
    let mut script = format!("ulimit -v {} && exec \"$0\"", mib * 1024);
    for i in 1..=args.len() {
        script.push_str(&format!(" \"${i}\""));
    }
    std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_npc"))
        .args(args)
        .output()
        .unwrap()
}

/// Each source's policy lists every destination and each destination's
/// every source: 2,000 × 2,000 endpoints (42 KB) once took 1.77 GB and
/// wrote 141 MB of YAML; 5,000 × 5,000 passed 4 GB. A program whose
/// policies would hold more than the bound of peers ends in E033 at the
/// statement that writes the most, in little memory, whatever the command.
#[test]
fn lists_of_endpoints_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.npl");
    std::fs::write(&big, lists(2000, 2000)).unwrap();
    let big = big.display().to_string();
    for args in [
        vec!["build", big.as_str(), "--error-format", "json"],
        vec!["check", big.as_str(), "--error-format", "json"],
        vec![
            "explain",
            big.as_str(),
            "web/a0 -> web/b0:8080",
            "--error-format",
            "json",
        ],
        vec!["graph", big.as_str(), "--error-format", "json"],
    ] {
        let out = npc_within(512, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?}");
        let records: Vec<serde_json::Value> = serde_json::from_str(&stderr(&out)).unwrap();
        let found: Vec<&str> = records.iter().filter_map(|r| r["code"].as_str()).collect();
        assert_eq!(found, ["E033"], "{args:?}");
        assert_eq!(records[0]["location"]["line"], 2, "{args:?}");
    }
    // The same statement with a label set for each side compiles to two
    // one-peer rules.
    let c = npc::compile_str(
        "sets.npl",
        "namespace web\nallow web/{role=client} -> web/{role=server}:8080\n",
    );
    assert!(!c.has_errors());
}

/// Below the bound, lists compile as before: one egress rule per source's
/// policy naming every destination, one ingress rule per destination's
/// policy naming every source.
#[test]
fn lists_below_the_bound_compile_to_one_rule_per_side() {
    let c = npc::compile_str("lists.npl", &lists(300, 300));
    assert!(!c.has_errors(), "{:?}", codes(&c.diagnostics));
    // default-deny, allow-dns, 300 sources, 300 destinations.
    assert_eq!(c.policies.len(), 602);
    let a0 = c
        .policies
        .iter()
        .find(|p| p.metadata.name.as_deref() == Some("a0"))
        .unwrap();
    let egress = a0.spec.as_ref().unwrap().egress.as_ref().unwrap();
    assert_eq!(egress.len(), 1);
    let to = egress[0].to.as_ref().unwrap();
    assert_eq!(to.len(), 1);
    let values = to[0]
        .pod_selector
        .as_ref()
        .unwrap()
        .match_expressions
        .as_ref()
        .unwrap()[0]
        .values
        .as_ref()
        .unwrap();
    assert_eq!(values.len(), 300);
}

/// `npc graph` of 300 × 300 endpoints (5.8 KB) took 412 MB to draw 90,000
/// edges: more connections than a drawing holds are refused with a way out
/// (`--focus`, `--namespace`), and one endpoint's connections are drawn.
#[test]
fn a_graph_of_too_many_connections_is_refused_with_a_way_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lists.npl");
    std::fs::write(&path, lists(300, 300)).unwrap();
    let path = path.display().to_string();
    let out = npc_within(512, &["graph", &path, "--format", "html"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(
        err.contains("--focus") && err.contains("--focus-namespace"),
        "{err}"
    );
    let out = npc_within(
        512,
        &["graph", &path, "--format", "dot", "--focus", "web/a0"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let dot = stdout(&out);
    assert_eq!(dot.matches(" -> n").count(), 300 + 1, "{}", &dot[..2000]);
}
