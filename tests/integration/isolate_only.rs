//! `isolate DIRS only PODSET {, PODSET}` (language contract §7.1): what the
//! policies select, how `expect` tells listed from unlisted pods, the
//! warnings, the formatter, `explain`, and `only` as an ordinary word
//! elsewhere. The connectivity itself is checked against nca by the
//! contract test (random programs with `only`, and the corpus case
//! `isolate-only`).

use std::collections::BTreeMap;

use npc::k8s::selector::Selector;

use crate::support::npc::command;

fn codes(c: &npc::Compilation) -> Vec<&'static str> {
    c.diagnostics.iter().map(|d| d.code.id).collect()
}

fn messages(c: &npc::Compilation, code: &str) -> Vec<String> {
    c.diagnostics
        .iter()
        .filter(|d| d.code.id == code)
        .map(|d| format!("{} / {}", d.message, d.notes.join(" / ")))
        .collect()
}

const DATA: &str = "namespace data {
  let primary = postgres-primary
  isolate ingress only primary, {tier=backend}
  isolate egress
}
allow web/frontend -> data/api:8080, data/{tier=backend}:9000
allow data/api -> data/postgres-primary:5432
scrape monitoring/prometheus -> {metrics=on}:9090
";

fn selector(p: &k8s_openapi::api::networking::v1::NetworkPolicy) -> Selector {
    let spec = p.spec.as_ref().unwrap();
    Selector::from_api_opt(spec.pod_selector.as_ref()).unwrap()
}

fn types(p: &k8s_openapi::api::networking::v1::NetworkPolicy) -> Vec<String> {
    p.spec
        .as_ref()
        .unwrap()
        .policy_types
        .clone()
        .unwrap_or_default()
}

/// Every policy of a limited direction selects its pods AND a listed set,
/// with that set's directions; the whole-namespace direction keeps
/// `default-deny` on `{}`; no policy selects a pod outside the sets for
/// ingress.
#[test]
fn every_ingress_policy_selects_a_listed_set() {
    let c = npc::compile_str("data.npl", DATA);
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    let primary = Selector::equals("app", "postgres-primary");
    let backend = Selector::equals("tier", "backend");
    let mut names = Vec::new();
    for p in &c.policies {
        let name = p.metadata.name.clone().unwrap();
        names.push(name.clone());
        let sel = selector(p);
        let t = types(p);
        if t.contains(&"Ingress".to_string()) {
            assert!(
                sel.implies(&primary) || sel.implies(&backend),
                "{name} selects pods outside the sets: {sel}"
            );
            assert_eq!(t, vec!["Ingress"], "{name}: the set's directions");
        } else {
            assert_eq!(t, vec!["Egress"], "{name}");
        }
    }
    for expected in [
        "default-deny",
        "default-deny-primary",
        "default-deny-tier-backend-56dc706d",
        "allow-dns",
        "api",
        "api-tier-backend-56dc706d",
        "postgres-primary-primary",
        "postgres-primary-tier-backend-56dc706d",
        "metrics-on-415bfd05-primary",
        "tier-backend-56dc706d-primary",
    ] {
        assert!(
            names.contains(&expected.to_string()),
            "{expected} not in {names:?}"
        );
    }
    // `api` gets no ingress policy of the set `primary`: the two workload
    // labels can never both match.
    assert!(!names.contains(&"api-primary".to_string()), "{names:?}");
    let deny = c
        .policies
        .iter()
        .find(|p| p.metadata.name.as_deref() == Some("default-deny"))
        .unwrap();
    assert!(selector(deny).is_empty());
    assert_eq!(types(deny), vec!["Egress"]);
}

/// The regions of an `expect` endpoint split listed from unlisted pods: a
/// universal verdict about `data/other` fails both ways, because a pod of
/// `other` with `tier=backend` is isolated and one without is not.
#[test]
fn expectations_tell_listed_from_unlisted_pods() {
    let outcome = |line: &str| {
        let c = npc::compile_str("data.npl", &format!("{DATA}{line}\n"));
        codes(&c)
    };
    assert!(outcome("expect allow ext/x -> data/other:5432").contains(&"E029"));
    assert!(outcome("expect deny ext/x -> data/other:5432").contains(&"E029"));
    assert!(!outcome("expect allow ext/x -> data/{app=other, !tier}:5432").contains(&"E029"));
    assert!(!outcome("expect deny ext/x -> data/{app=other, tier=backend}:5432").contains(&"E029"));
    assert!(
        !outcome("expect allow web/frontend -> data/{app=other, tier=backend}:9000")
            .contains(&"E029")
    );
    assert!(!outcome("expect deny ext/x -> data/postgres-primary:5432").contains(&"E029"));
    assert!(!outcome("expect allow data/api -> data/postgres-primary:5432").contains(&"E029"));
}

/// An `allow` toward pods that meet no listed set writes nothing (W002),
/// where the whole-namespace program would write a rule.
#[test]
fn allow_toward_unlisted_pods_writes_nothing() {
    let c = npc::compile_str(
        "w.npl",
        "namespace data {\n  isolate ingress only db\n}\nallow ext/a -> data/cache:6379\n",
    );
    assert!(codes(&c).contains(&"W002"), "{:?}", c.diagnostics);
    let names: Vec<String> = c
        .policies
        .iter()
        .map(|p| p.metadata.name.clone().unwrap())
        .collect();
    assert_eq!(names, vec!["default-deny-db"]);
}

/// W011 and W001 speak of the listed pods when egress is limited.
#[test]
fn warnings_about_egress_speak_of_the_listed_pods() {
    let c = npc::compile_str(
        "w.npl",
        "namespace default {\n  isolate egress only batch\n  no dns\n}\n",
    );
    let w011 = messages(&c, "W011");
    assert_eq!(w011.len(), 1, "{:?}", c.diagnostics);
    assert!(w011[0].contains("some of its pods"), "{w011:?}");
    assert!(w011[0].contains("the other pods keep theirs"), "{w011:?}");
    let w001 = messages(&c, "W001");
    assert!(
        w001[0].contains("egress-isolated pods of `default`"),
        "{w001:?}"
    );
    // Without `only` the v1 wording stays.
    let c = npc::compile_str("w.npl", "namespace default {\n  no dns\n}\n");
    assert!(messages(&c, "W011")[0].contains("and its egress is isolated"));
    assert!(messages(&c, "W001")[0].starts_with("pods in `default` get no DNS"));
}

/// The isolation rules of a body: one `isolate` per direction.
#[test]
fn isolate_statements_per_direction() {
    let ok = npc::compile_str(
        "a.npl",
        "namespace a {\n  isolate ingress\n  isolate egress only db\n}\n",
    );
    assert!(!ok.has_errors(), "{:?}", ok.diagnostics);
    let ns = &ok.program.as_ref().unwrap().namespaces["a"];
    assert!(ns.isolation.ingress && ns.isolation.egress);
    assert_eq!(ns.only.len(), 1);
    assert!(ns.only[0].isolation.egress && !ns.only[0].isolation.ingress);
    for (text, code) in [
        ("isolate ingress only db\n  isolate ingress", "E028"),
        ("isolate ingress\n  isolate none", "E035"),
        ("isolate none\n  isolate egress only db", "E035"),
        ("isolate none only db", "E036"),
    ] {
        let c = npc::compile_str("a.npl", &format!("namespace a {{\n  {text}\n}}\n"));
        assert_eq!(codes(&c), vec![code], "{text}");
    }
    // The same set for both directions is one set, isolated both ways.
    let c = npc::compile_str(
        "a.npl",
        "namespace a {\n  isolate ingress only db\n  isolate egress only {app=db}\n}\n",
    );
    let ns = &c.program.as_ref().unwrap().namespaces["a"];
    assert_eq!(ns.only.len(), 1);
    assert!(ns.only[0].isolation.ingress && ns.only[0].isolation.egress);
    let deny: Vec<_> = c
        .policies
        .iter()
        .filter(|p| p.metadata.name.as_deref() == Some("default-deny-db"))
        .collect();
    assert_eq!(types(deny[0]), vec!["Ingress", "Egress"]);
}

/// A pod set is an alias of this namespace's pods if one has the name
/// (defined before the statement), else a workload: E037 for aliases that
/// are not pods of the namespace.
#[test]
fn pod_sets_resolve_aliases_before_workloads() {
    let c = npc::compile_str(
        "a.npl",
        "namespace a {\n  let db = {tier=data}\n  isolate ingress only db\n}\n",
    );
    let ns = &c.program.as_ref().unwrap().namespaces["a"];
    assert_eq!(ns.only[0].pods, Selector::equals("tier", "data"));
    assert_eq!(ns.only[0].alias.as_deref(), Some("db"));
    assert!(c
        .policies
        .iter()
        .any(|p| p.metadata.name.as_deref() == Some("default-deny-db")));
    // Defined after the statement: `db` is the workload.
    let c = npc::compile_str(
        "a.npl",
        "namespace a {\n  isolate ingress only db\n  let db = {tier=data}\n}\n",
    );
    let ns = &c.program.as_ref().unwrap().namespaces["a"];
    assert_eq!(ns.only[0].pods, Selector::equals("app", "db"));
    for alias in ["b/db", "a/db:5432", "10.0.0.0/8", "a/db, a/cache"] {
        let c = npc::compile_str(
            "a.npl",
            &format!(
                "namespace b\nlet db = {alias}\nnamespace a {{\n  isolate ingress only db\n}}\n"
            ),
        );
        assert_eq!(codes(&c), vec!["E037"], "{alias}");
    }
}

/// `only` is a keyword only after `isolate`'s directions: an alias, a
/// namespace and a workload may be called `only`.
#[test]
fn only_stays_a_name_elsewhere() {
    let c = npc::compile_str(
        "a.npl",
        "namespace only {\n  isolate ingress only only\n}\nlet only = only/only\nallow ext/a -> only:80\n",
    );
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    assert!(c
        .policies
        .iter()
        .any(|p| p.metadata.name.as_deref() == Some("only-only")));
}

/// The formatter writes the canonical form, and reads it back the same.
#[test]
fn formatter_writes_the_canonical_form() {
    let text = "namespace a {\n  isolate   ingress ,egress   only  db ,{ tier = b },\"x-y\"\n}\n";
    let o = command()
        .args(["fmt", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(text.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    let out = String::from_utf8(o.stdout).unwrap();
    assert_eq!(
        out,
        "namespace a {\n  isolate ingress, egress only db, {tier=b}, x-y\n}\n",
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let again = npc::compile_str("a.npl", &out);
    let first = npc::compile_str("a.npl", text);
    assert_eq!(
        again.program.as_ref().unwrap().namespaces,
        first
            .program
            .as_ref()
            .unwrap()
            .namespaces
            .iter()
            .map(|(k, v)| {
                let mut v = v.clone();
                // Spans differ between the two texts; the rest may not.
                v.span = again.program.as_ref().unwrap().namespaces[k].span;
                for (s, t) in v
                    .only
                    .iter_mut()
                    .zip(&again.program.as_ref().unwrap().namespaces[k].only)
                {
                    s.span = t.span;
                }
                (k.clone(), v)
            })
            .collect::<BTreeMap<_, _>>()
    );
}

/// `npc explain` names the set's policies on the isolated side, and says
/// that an unlisted pod is not isolated.
#[test]
fn explain_names_the_sets_policies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.npl");
    std::fs::write(&path, DATA).unwrap();
    let explain = |query: &str| {
        let o = command()
            .arg("explain")
            .arg(&path)
            .arg(query)
            .output()
            .unwrap();
        String::from_utf8(o.stdout).unwrap() + &String::from_utf8_lossy(&o.stderr)
    };
    let listed = explain("ext/x -> data/postgres-primary:5432");
    assert!(listed.contains("default-deny-primary"), "{listed}");
    let unlisted = explain("ext/x -> data/{app=cache, !tier}:5432");
    assert!(unlisted.contains("not isolated"), "{unlisted}");
    assert!(!unlisted.contains("default-deny-primary"), "{unlisted}");
}
