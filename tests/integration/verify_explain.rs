//! `npc explain` on the shop example: the verdict and per-side trace, for
//! people and as JSON (reviewed snapshots).

use crate::support::npc::command;

fn explain(args: &[&str]) -> String {
    let o = command()
        .arg("explain")
        .arg("examples/shop.npl")
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn allowed_connection_names_the_rules_on_both_sides() {
    insta::assert_snapshot!(explain(&["web/frontend -> payments/api-server:8080"]));
}

#[test]
fn denied_connection_names_the_isolating_namespaces() {
    insta::assert_snapshot!(explain(&["web/frontend -> db:5432"]));
}

#[test]
fn named_port_and_label_set_source() {
    insta::assert_snapshot!(explain(&["{team=ops}/dashboard -> api:metrics"]));
}

#[test]
fn port_less_query_lists_the_allowed_ports() {
    insta::assert_snapshot!(explain(&["api -> world"]));
}

#[test]
fn json_has_the_same_content() {
    let out = explain(&["web/frontend -> payments/api-server:8080", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verdict"], "allowed");
    let check = &v["pairs"][0]["checks"][0];
    assert_eq!(check["egress"]["allowed_by"][0]["policy"], "web/frontend");
    assert_eq!(
        check["egress"]["allowed_by"][0]["lines"][0],
        "examples/shop.npl:16"
    );
    assert_eq!(
        check["ingress"]["allowed_by"][0]["policy"],
        "payments/api-server"
    );
    insta::assert_snapshot!(out);
}

/// The query is parsed as a query: text after it is an error, never more
/// program (this once answered "allowed" for a denied flow).
#[test]
fn a_query_cannot_smuggle_in_statements() {
    let o = crate::support::npc::npc(&[
        "explain",
        "examples/shop.npl",
        "web/frontend -> payments/postgres-primary:5432; allow web/frontend -> payments/postgres-primary:5432",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = crate::support::npc::stderr(&o);
    assert!(err.contains("[E001]") && err.contains("<query>"), "{err}");
    assert!(err.contains("the end of the query"), "{err}");
    assert!(crate::support::npc::stdout(&o).is_empty());
}

/// A range partly allowed is `partial`, not `denied`.
#[test]
fn a_partly_allowed_range_is_partial() {
    let out = explain(&["web/frontend -> payments/api-server:8000-9000"]);
    assert!(
        out.starts_with("web/frontend -> payments/api-server:8000-9000: partial\n"),
        "{out}"
    );
    let out = explain(&["web/frontend -> payments/api-server:8080-8080"]);
    assert!(out.contains(": allowed\n"), "{out}");
    let out = explain(&["web/frontend -> payments/api-server:9000-9100"]);
    assert!(out.contains(": denied\n"), "{out}");
}

/// Endpoints the program never mentions are pointed out: a typo should not
/// read as a real "denied".
#[test]
fn typos_in_a_query_are_pointed_out() {
    let out = explain(&["web/frotnend -> paymets/api-server:8080"]);
    assert!(out.contains("denied"), "{out}");
    assert!(
        out.contains("the source's label `app=frotnend` appears nowhere in the program (did you mean `frontend`?)"),
        "{out}"
    );
    assert!(
        out.contains("the destination's namespace `paymets` appears nowhere in the program (did you mean `payments`?)"),
        "{out}"
    );
    let out = explain(&["web/frontend -> payments/api-server:8080"]);
    assert!(!out.contains("appears nowhere"), "{out}");
}

/// The number a representative pod gives a named port is npc's own: explain,
/// `diff --semantic` and E029 show the name, never the number.
#[test]
fn named_ports_are_shown_by_name_never_by_their_stand_in_number() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("app.npl");
    std::fs::write(
        &one,
        "namespace web\nnamespace app\n\nallow web/frontend -> app/api:http\n",
    )
    .unwrap();
    let two = dir.path().join("app2.npl");
    std::fs::write(
        &two,
        "namespace web\nnamespace app\n\nallow web/frontend -> app/api:{http, 7070}\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let o = command().args(args).output().unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let (one, two) = (one.to_str().unwrap(), two.to_str().unwrap());
    let text = run(&["explain", one, "web/frontend -> app/api:http"]);
    assert!(
        text.contains("allowed between them: named port `http`\n"),
        "{text}"
    );
    assert!(text.contains("  named port `http`: allowed\n"), "{text}");
    let json = run(&["explain", one, "web/frontend -> app/api:http", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["pairs"][0]["checks"][0]["port"], serde_json::Value::Null);
    assert_eq!(v["pairs"][0]["checks"][0]["name"], "http");
    let yaml = dir.path().join("app.yaml");
    std::fs::write(&yaml, run(&["build", one])).unwrap();
    let diff = run(&[
        "diff",
        two,
        "--against",
        yaml.to_str().unwrap(),
        "--semantic",
    ]);
    assert!(
        diff.contains("+ web/frontend -> app/api: TCP 7070\n"),
        "{diff}"
    );
    let back = run(&[
        "diff",
        one,
        "--against",
        yaml.to_str().unwrap(),
        "--semantic",
    ]);
    assert!(back.starts_with("0 flow(s)"), "{back}");
    let mut all = String::new();
    for out in [&text, &json, &diff] {
        all.push_str(out);
    }
    for n in 49152..49160 {
        assert!(!all.contains(&n.to_string()), "{n} shown:\n{all}");
    }
    // A flow whose only change is the named port names it.
    let three = dir.path().join("app3.npl");
    std::fs::write(
        &three,
        "namespace web\nnamespace app\n\nallow web/frontend -> app/api:7070\n",
    )
    .unwrap();
    let yaml3 = dir.path().join("app3.yaml");
    std::fs::write(&yaml3, run(&["build", three.to_str().unwrap()])).unwrap();
    let diff = run(&[
        "diff",
        two,
        "--against",
        yaml3.to_str().unwrap(),
        "--semantic",
    ]);
    assert!(
        diff.contains("+ web/frontend -> app/api: named port `http`\n"),
        "{diff}"
    );
}
