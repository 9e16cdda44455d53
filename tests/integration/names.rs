//! DNS names as destinations (LANGUAGE.md §7.3) through the public entry
//! points: the binary's outputs, `expect` verdicts and their
//! counterexamples, `explain`, `graph`, `diff`, the manifest readers, the
//! editor's hover.

use crate::support::npc::{npc, npc_with_stdin};

const PROGRAM: &str = "set cni = cilium
namespace payments
let api = payments/api
allow api -> api.stripe.com:443, *.s3.amazonaws.com:443
";

fn compile(text: &str) -> npc::Compilation {
    npc::compile_str("names.npl", text)
}

fn messages(c: &npc::Compilation) -> Vec<String> {
    c.diagnostics
        .iter()
        .map(|d| {
            let mut text = format!("{}: {}", d.code.id, d.message);
            for n in &d.notes {
                text.push_str(&format!("\n  {n}"));
            }
            text
        })
        .collect()
}

#[test]
fn expectations_read_names_as_regions_of_world() {
    let holds = |line: &str| {
        let c = compile(&format!("{PROGRAM}{line}\n"));
        assert!(!c.has_errors(), "{line}: {:?}", messages(&c));
    };
    let fails = |line: &str, counterexample: &str| {
        let c = compile(&format!("{PROGRAM}{line}\n"));
        let found = messages(&c);
        let e029: Vec<&String> = found.iter().filter(|m| m.starts_with("E029")).collect();
        assert_eq!(e029.len(), 1, "{line}: {found:?}");
        assert!(e029[0].contains(counterexample), "{line}: {}", e029[0]);
    };
    holds("expect allow api -> api.stripe.com:443");
    holds("expect allow api -> API.Stripe.COM.:443");
    holds("expect deny api -> api.stripe.com:80");
    holds("expect allow api -> x.s3.amazonaws.com:443");
    holds("expect deny api -> a.b.s3.amazonaws.com:443");
    holds("expect deny api -> example.com:443");
    holds("expect deny payments/other -> api.stripe.com:443");
    holds("expect allow api -> *.s3.amazonaws.com:443");
    // Names lie in world, and possibly in any CIDR: the name is the
    // counterexample.
    fails(
        "expect deny api -> world:443",
        "the name `api.stripe.com` (resolved to",
    );
    fails(
        "expect deny api -> 10.0.0.0/8:443",
        "the name `api.stripe.com` (resolved to `10.0.0.1`)",
    );
    fails(
        "expect deny api -> x.s3.amazonaws.com:443",
        "the name `x.s3.amazonaws.com`",
    );
    fails("expect allow api -> world:443", "the address `8.8.8.8`");
    // A name may resolve into an allowed block, and outside one.
    let c = compile(
        "set cni = cilium\nnamespace payments\nallow payments/api -> 10.0.0.0/8:443\nexpect deny payments/api -> api.stripe.com:443\nexpect allow payments/api -> api.stripe.com:443\n",
    );
    let found = messages(&c);
    assert!(
        found.iter().any(|m| m.starts_with("E029")
            && m.contains("to be denied")
            && m.contains("resolved to `10.0.0.1`")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|m| m.starts_with("E029")
            && m.contains("to be allowed")
            && m.contains("resolved to `8.8.8.8`")),
        "{found:?}"
    );
}

#[test]
fn without_the_cni_setting_names_are_refused_and_nothing_is_written() {
    let text = "namespace payments\nallow payments/api -> api.stripe.com:443\n";
    let o = npc_with_stdin(&["build", "-"], text);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("[E052]"), "{err}");
    assert!(err.contains("set cni = cilium"), "{err}");
    // An `expect` line may name a name without it: an address outside the
    // cluster, allowed by address rules only.
    let c = compile("namespace payments\nallow payments/api -> world:443\nexpect allow payments/api -> api.stripe.com:443\n");
    assert!(!c.has_errors(), "{:?}", messages(&c));
    assert!(c.cilium.is_empty());
}

#[test]
fn every_output_form_carries_both_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("p.npl");
    std::fs::write(&src, PROGRAM).unwrap();
    let src = src.display().to_string();
    let yaml = npc(&["build", &src]);
    assert!(yaml.status.success());
    let yaml = String::from_utf8(yaml.stdout).unwrap();
    let kinds: Vec<&str> = yaml
        .lines()
        .filter_map(|l| l.strip_prefix("kind: "))
        .collect();
    // Namespace, name, kind: `api` (Cilium) before `api`? No NetworkPolicy
    // is named `api` here; `allow-dns` < `api` < `default-deny`.
    assert_eq!(
        kinds,
        ["NetworkPolicy", "CiliumNetworkPolicy", "NetworkPolicy"],
        "{yaml}"
    );
    let json = npc(&["build", &src, "-o", "json"]);
    let list: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items[1]["kind"], "CiliumNetworkPolicy");
    assert_eq!(items[1]["apiVersion"], "cilium.io/v2");
    assert_eq!(
        items[1]["spec"]["egress"][1]["toFQDNs"][0]["matchPattern"],
        "*.s3.amazonaws.com"
    );
    assert_eq!(
        items[1]["spec"]["egress"][1]["toPorts"][0]["ports"][0]["port"],
        "443"
    );
    let out = dir.path().join("out");
    let o = npc(&["build", &src, "--out-dir", &out.display().to_string()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let file = std::fs::read_to_string(out.join("payments.netpol.yaml")).unwrap();
    assert!(file.contains("kind: CiliumNetworkPolicy"), "{file}");
    assert_eq!(
        file.trim_start_matches(npc::emit::output::GENERATED_HEADER)
            .trim_start(),
        yaml.trim_start()
    );
    // `npc diff` compares both kinds: unchanged, then one name more.
    let o = npc(&["diff", &src, "--against", &out.display().to_string()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    std::fs::write(
        dir.path().join("p.npl"),
        format!("{PROGRAM}allow api -> api.example.com:443\n"),
    )
    .unwrap();
    let o = npc(&["diff", &src, "--against", &out.display().to_string()]);
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("~ payments/api (CiliumNetworkPolicy)"),
        "{text}"
    );
    assert!(text.contains("+    - matchName: api.example.com"), "{text}");
    let o = npc(&[
        "diff",
        "--semantic",
        &src,
        "--against",
        &out.display().to_string(),
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("+ payments/api -> api.example.com: TCP 443"),
        "{text}"
    );
}

#[test]
fn explain_and_graph_read_the_cilium_policies() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("p.npl");
    std::fs::write(&src, PROGRAM).unwrap();
    let src = src.display().to_string();
    let o = npc(&["explain", &src, "payments/api -> api.stripe.com:443"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(text.contains("allowed"), "{text}");
    assert!(
        text.contains("payments/api (CiliumNetworkPolicy)"),
        "{text}"
    );
    let o = npc(&["explain", &src, "payments/api -> api.stripe.com:80"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("denied"), "{text}");
    let o = npc(&["graph", &src, "--format", "mermaid"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(text.contains("api.stripe.com"), "{text}");
}

#[test]
fn manifest_readers_read_cilium_policies_and_import_refuses_them() {
    let c = compile(PROGRAM);
    let text = npc::emit::output::to_yaml_with_cilium(&c.policies, &c.cilium).unwrap();
    let analyzed = npc_with_stdin(&["analyze", "-"], &text);
    let out = String::from_utf8_lossy(&analyzed.stdout);
    assert_eq!(analyzed.status.code(), Some(0), "{out}");
    // The policies alone: the pods are the representative of the
    // policies' selectors, which `analyze` does not invent; the reading is
    // what is checked here.
    let err = String::from_utf8_lossy(&analyzed.stderr);
    assert!(err.contains("1 CiliumNetworkPolicy"), "{err}");
    let linted = npc_with_stdin(&["lint", "-", "-o", "json"], &text);
    assert_eq!(linted.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&linted.stdout).trim(), "[]");
    let imported = npc_with_stdin(&["import", "-"], &text);
    let err = String::from_utf8_lossy(&imported.stderr);
    assert_eq!(imported.status.code(), Some(1), "{err}");
    assert!(err.contains("[E105]"), "{err}");
    assert!(err.contains("CiliumNetworkPolicy `payments/api"), "{err}");
}

#[test]
fn the_editor_shows_the_cilium_rule_of_a_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.npl");
    std::fs::write(&path, PROGRAM).unwrap();
    struct Disk;
    impl npc::lsp::analysis::Files for Disk {
        fn read(&self, path: &std::path::Path) -> Result<String, npc::files::ReadError> {
            npc::files::read_text(path, 1 << 20)
        }
    }
    let path = path.canonicalize().unwrap();
    let analysis = npc::lsp::analysis::analyze(&path, "p.npl", &Disk);
    let at = PROGRAM.find("api.stripe.com").unwrap() + 2;
    let hover = analysis.hover(&path, at).unwrap();
    assert!(hover.markdown.contains("toFQDNs"), "{}", hover.markdown);
    assert!(
        hover.markdown.contains("matchName: api.stripe.com"),
        "{}",
        hover.markdown
    );
    let at = PROGRAM.find("allow").unwrap() + 1;
    let hover = analysis.hover(&path, at).unwrap();
    assert!(
        hover
            .markdown
            .contains("payments/api (CiliumNetworkPolicy)"),
        "{}",
        hover.markdown
    );
}

#[test]
fn the_formatter_keeps_names_as_written() {
    let text = "set cni = cilium\nnamespace web {\n  allow a -> api.stripe.com.:443\n}\nallow web/a -> API.Example.ORG, *.s3.amazonaws.com\n";
    let formatted = npc::format::format(text).unwrap();
    assert_eq!(formatted, text);
}
