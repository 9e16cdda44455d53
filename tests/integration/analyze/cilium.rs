//! CiliumNetworkPolicies in existing manifests: read as far as the
//! evaluator models them (`endpointSelector`, egress to endpoints, CIDRs
//! and names on ports, DNS rules), refused field by field beyond (E106),
//! other Cilium kinds refused (E105); `npc analyze` lists the names each
//! workload may reach, in every text format.

use serde_json::Value;

use crate::support::npc::{npc, npc_with_stdin, root, stderr, stdout};

const API: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: pay}
spec:
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: api}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: pay}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web}]}
";

const NAMES: &str = "apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: api-names, namespace: pay}
spec:
  endpointSelector: {matchLabels: {app: api}}
  egress:
  - toEndpoints:
    - matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, k8s-app: kube-dns}
    toPorts:
    - ports: [{port: \"53\", protocol: UDP}, {port: \"53\", protocol: TCP}]
      rules: {dns: [{matchPattern: \"*\"}]}
  - toFQDNs: [{matchName: api.stripe.com}, {matchPattern: \"*.s3.amazonaws.com\"}]
    toPorts:
    - ports: [{port: \"443\", protocol: TCP}]
";

fn analyze(input: &str, format: &str) -> String {
    let out = npc_with_stdin(&["analyze", "-", "-o", format], input);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

#[test]
fn analyze_lists_the_names_a_workload_may_reach() {
    let input = format!("{API}---\n{NAMES}");
    let txt = analyze(&input, "txt");
    assert!(
        txt.contains("pay/api[Deployment] => api.stripe.com[Name] : TCP 443\n"),
        "{txt}"
    );
    assert!(
        txt.contains("pay/api[Deployment] => *.s3.amazonaws.com[Name] : TCP 443\n"),
        "{txt}"
    );
    // The policy isolates the egress of `api`: no address range but DNS.
    assert!(!txt.contains("pay/api[Deployment] => 0.0.0.0"), "{txt}");
    // `web` is open: every name on every port.
    assert!(
        txt.contains("pay/web[Deployment] => api.stripe.com[Name] : All Connections\n"),
        "{txt}"
    );
    let csv = analyze(&input, "csv");
    assert!(
        csv.contains("pay/api[Deployment],api.stripe.com[Name],TCP 443\n"),
        "{csv}"
    );
    let md = analyze(&input, "md");
    assert!(
        md.contains("| pay/api[Deployment] | api.stripe.com[Name] | TCP 443 |\n"),
        "{md}"
    );
    let json: Value = serde_json::from_str(&analyze(&input, "json")).unwrap();
    assert_eq!(
        json["names"],
        serde_json::json!(["*.s3.amazonaws.com", "api.stripe.com"])
    );
    let line = json["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["src"]["name"] == "api" && c["dst"]["name"] == "api.stripe.com")
        .unwrap();
    assert_eq!(line["dst"]["kind"], "Name");
    assert_eq!(line["conn"], serde_json::json!({"TCP": [[443, 443]]}));
    // Without CiliumNetworkPolicies there is no `names` key.
    let plain: Value = serde_json::from_str(&analyze(API, "json")).unwrap();
    assert!(plain.get("names").is_none(), "{plain:#}");
}

#[test]
fn an_ip_block_that_covers_every_address_reaches_the_names_too() {
    let np = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-out, namespace: pay}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]
    ports: [{port: 8443}]
  - to: [{ipBlock: {cidr: 0.0.0.0/0}}, {ipBlock: {cidr: '::/0'}}]
    ports: [{port: 443}]
";
    let txt = analyze(&format!("{API}---\n{NAMES}---\n{np}"), "txt");
    // 8443 only where the name's address lies outside 10.0.0.0/8: not
    // whatever address it resolves to.
    assert!(
        txt.contains("pay/web[Deployment] => api.stripe.com[Name] : TCP 443\n"),
        "{txt}"
    );
}

fn lint(input: &str) -> Vec<Value> {
    let out = npc_with_stdin(&["lint", "-", "-o", "json"], input);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", stderr(&out)))
}

#[test]
fn what_the_evaluator_does_not_model_is_refused_at_the_field() {
    for (field, extra) in [
        ("spec.ingress", "  ingress: [{fromEndpoints: [{}]}]\n"),
        (
            "spec.egressDeny",
            "  egressDeny: [{toCIDR: [192.0.2.0/24]}]\n",
        ),
        ("spec.egress[2].toEntities", "  - toEntities: [world]\n"),
    ] {
        let text = format!("{API}---\n{NAMES}{extra}");
        let found = lint(&text);
        assert_eq!(found.len(), 1, "{field}: {found:#?}");
        assert_eq!(found[0]["code"], "E106", "{field}");
        let message = found[0]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("`{field}` is not modelled")),
            "{message}"
        );
    }
    let http = NAMES.replace(
        "rules: {dns: [{matchPattern: \"*\"}]}",
        "rules: {http: [{method: GET}]}",
    );
    let found = lint(&format!("{API}---\n{http}"));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0]["message"].as_str().unwrap().contains("rules.http"));
    let named = NAMES.replace("port: \"443\"", "port: https");
    let found = lint(&format!("{API}---\n{named}"));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["code"], "E106");
    assert!(found[0]["message"]
        .as_str()
        .unwrap()
        .contains("named ports are not modelled"));
    let clusterwide = NAMES.replace(
        "kind: CiliumNetworkPolicy",
        "kind: CiliumClusterwideNetworkPolicy",
    );
    let found = lint(&format!("{API}---\n{clusterwide}"));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["code"], "E105");
}

#[test]
fn npc_reads_its_own_output_back() {
    for example in ["examples/saas-egress.yaml", "examples/guardrails.yaml"] {
        let path = root().join(example);
        let out = npc(&["lint", path.to_str().unwrap(), "-o", "json"]);
        assert!(out.status.success(), "{example}: {}", stderr(&out));
        let found: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
        assert!(found.is_empty(), "{example}: {found:#?}");
    }
}

#[test]
fn import_refuses_cilium_policies() {
    let out = npc_with_stdin(&["import", "-"], &format!("{API}---\n{NAMES}"));
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty());
    let err = stderr(&out);
    assert!(
        err.contains("[E105]") && err.contains("`pay/api-names` is not imported"),
        "{err}"
    );
}

#[test]
fn an_admin_deny_of_every_address_covers_the_names() {
    let deny = "apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: no-egress-out}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  egress:
  - action: Deny
    to: [{networks: [0.0.0.0/0, '::/0']}]
    protocols: [{tcp: {destinationPort: {number: 443}}}]
";
    let txt = analyze(&format!("{API}---\n{NAMES}---\n{deny}"), "txt");
    assert!(
        !txt.contains("pay/api[Deployment] => api.stripe.com[Name]"),
        "{txt}"
    );
    assert!(
        txt.contains("pay/web[Deployment] => api.stripe.com[Name] : TCP 1-442,444-65535,UDP 1-65535,SCTP 1-65535\n"),
        "{txt}"
    );
}
