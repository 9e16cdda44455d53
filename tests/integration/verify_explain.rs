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
    let out = explain(&[
        "web/frontend -> payments/api-server:8080",
        "--format",
        "json",
    ]);
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
