//! Cluster policies in existing manifests: ClusterNetworkPolicy (v1alpha2)
//! and AdminNetworkPolicy / BaselineAdminNetworkPolicy (v1alpha1) read by
//! `npc analyze`, `npc lint` and `npc import`: tolerant where the API
//! server is (unknown fields W102), refused where a result would ignore
//! them (E105, E106), and analyzed in four steps.

use serde_json::Value;

use crate::support::npc::{npc_with_stdin, stderr, stdout};

const PODS: &str = "apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {tier: apps}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: shop}
spec:
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: db, ports: [{name: pg, containerPort: 5432}]}]}
";

const ADMIN_DENY_DB: &str = "apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: protect-db}
spec:
  tier: Admin
  priority: 5
  subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: db}}}}
  ingress:
  - name: no-direct-db
    action: Deny
    from: [{namespaces: {}}]
    protocols: [{destinationNamedPort: pg}]
";

fn json_analyze(input: &str) -> (Value, String) {
    let out = npc_with_stdin(&["analyze", "-", "-o", "json"], input);
    assert!(out.status.success(), "{}", stderr(&out));
    (serde_json::from_str(&stdout(&out)).unwrap(), stderr(&out))
}

/// The connection `src -> dst` (`ns/name`) of a JSON analysis.
fn conn<'a>(analysis: &'a Value, src: &str, dst: &str) -> Option<&'a Value> {
    let name = |v: &Value| {
        format!(
            "{}/{}",
            v["namespace"].as_str().unwrap_or(""),
            v["name"].as_str().unwrap_or("")
        )
    };
    analysis["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| name(&c["src"]) == src && name(&c["dst"]) == dst)
        .map(|c| &c["conn"])
}

#[test]
fn an_admin_deny_removes_what_no_namespace_policy_restricts() {
    let (without, _) = json_analyze(PODS);
    assert_eq!(
        conn(&without, "shop/web", "shop/db"),
        Some(&Value::from("all"))
    );
    let (with, err) = json_analyze(&format!("{PODS}---\n{ADMIN_DENY_DB}"));
    let db = conn(&with, "shop/web", "shop/db").unwrap();
    assert_eq!(
        db["TCP"],
        serde_json::json!([[1, 5431], [5433, 65535]]),
        "{with:#}"
    );
    assert_eq!(
        conn(&with, "shop/db", "shop/web"),
        Some(&Value::from("all"))
    );
    assert!(
        err.contains("2 workloads, 0 NetworkPolicies, 1 namespace, 1 cluster policy"),
        "{err}"
    );
}

#[test]
fn a_baseline_deny_is_overridden_where_a_namespace_policy_isolates() {
    let baseline = "apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  ingress:
  - action: Deny
    from: [{namespaces: {}}]
";
    let (denied, _) = json_analyze(&format!("{PODS}---\n{baseline}"));
    assert_eq!(conn(&denied, "shop/web", "shop/db"), None);
    assert_eq!(conn(&denied, "shop/db", "shop/web"), None);
    // Addresses are no ingress peer of a cluster policy: still open.
    let from_outside = denied["connections"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["src"]["kind"] == "External" && c["dst"]["name"] == "db");
    assert!(from_outside, "{denied:#}");
    let np = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 5432}]}]
";
    let (allowed, _) = json_analyze(&format!("{PODS}---\n{baseline}---\n{np}"));
    let db = conn(&allowed, "shop/web", "shop/db").unwrap();
    assert_eq!(db["TCP"], serde_json::json!([[5432, 5432]]), "{allowed:#}");
    assert_eq!(conn(&allowed, "shop/db", "shop/web"), None);
}

#[test]
fn networks_split_the_external_ranges() {
    let deny = "apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: no-docs-net}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  egress: [{action: Deny, to: [{networks: [192.0.2.0/24]}]}]
";
    let out = npc_with_stdin(&["analyze", "-"], &format!("{PODS}---\n{deny}"));
    let text = stdout(&out);
    assert!(
        text.contains("shop/web[Deployment] => 0.0.0.0-192.0.1.255[External] : All Connections"),
        "{text}"
    );
    assert!(
        text.contains(
            "shop/web[Deployment] => 192.0.3.0-255.255.255.255[External] : All Connections"
        ),
        "{text}"
    );
    assert!(!text.contains("192.0.2.0-"), "{text}");
}

fn lint_codes(input: &str, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["lint", "-", "-o", "json"];
    args.extend_from_slice(extra);
    let out = npc_with_stdin(&args, input);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", stderr(&out)))
}

#[test]
fn unknown_fields_warn_and_invalid_fields_are_refused_at_the_field() {
    let typo = ADMIN_DENY_DB.replace("    action: Deny", "    action: Deny\n    protocol: []");
    let found = lint_codes(&format!("{PODS}---\n{typo}"), &[]);
    let w102: Vec<&Value> = found.iter().filter(|d| d["code"] == "W102").collect();
    assert_eq!(w102.len(), 1, "{found:#?}");
    assert!(
        w102[0]["message"].as_str().unwrap().contains("`protocol`"),
        "{found:#?}"
    );
    assert!(
        w102[0]["help"].as_str().unwrap().contains("protocols"),
        "{found:#?}"
    );

    let nodes = "apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: to-nodes}
spec:
  tier: Baseline
  priority: 3
  subject: {namespaces: {}}
  egress:
  - action: Deny
    to: [{nodes: {matchLabels: {role: infra}}}]
";
    let found = lint_codes(&format!("{PODS}---\n{nodes}"), &[]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["code"], "E106");
    assert!(found[0]["message"]
        .as_str()
        .unwrap()
        .contains("spec.egress[0].to[0]"));
    // The `to:` line of the rule: after the pods, the `---` and nine lines.
    let line = PODS.lines().count() + 1 + 10;
    assert_eq!(found[0]["location"]["line"], line, "{found:#?}");

    let wrong_type = ADMIN_DENY_DB.replace("priority: 5", "priority: five");
    let found = lint_codes(&format!("{PODS}---\n{wrong_type}"), &[]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["code"], "E102");
    assert!(found[0]["message"]
        .as_str()
        .unwrap()
        .contains("spec.priority"));

    let version = ADMIN_DENY_DB.replace("v1alpha2", "v1alpha1");
    let found = lint_codes(&format!("{PODS}---\n{version}"), &[]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["code"], "E105");
    assert!(found[0]["help"]
        .as_str()
        .unwrap()
        .contains("policy.networking.k8s.io/v1alpha2"));
}

#[test]
fn a_cluster_policy_defined_twice_keeps_the_later_definition() {
    let later = ADMIN_DENY_DB.replace("action: Deny", "action: Accept");
    let found = lint_codes(&format!("{PODS}---\n{ADMIN_DENY_DB}---\n{later}"), &[]);
    assert!(found.iter().any(|d| d["code"] == "W101"), "{found:#?}");
    let out = npc_with_stdin(
        &["analyze", "-", "-o", "json"],
        &format!("{PODS}---\n{ADMIN_DENY_DB}---\n{later}"),
    );
    let analysis: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        conn(&analysis, "shop/web", "shop/db"),
        Some(&Value::from("all"))
    );
}

#[test]
fn import_refuses_cluster_policies_even_when_keeping_going() {
    for extra in [&[][..], &["--keep-going"][..]] {
        let mut args = vec!["import", "-"];
        args.extend_from_slice(extra);
        let out = npc_with_stdin(&args, &format!("{PODS}---\n{ADMIN_DENY_DB}"));
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(stdout(&out).is_empty(), "nothing is written");
        let err = stderr(&out);
        assert!(
            err.contains("[E105]") && err.contains("`protect-db` is not imported"),
            "{err}"
        );
    }
}
