//! Named ports against numbered ports: a pod may declare a rule's named
//! port at any number, inside a numbered range of another rule or outside
//! every one. The equivalence check and the `expect` lines `npc import`
//! writes must hold for all of them, not only for numbers no rule names.

use npc::import::{self, Settings};
use npc::manifest::{self, Manifests};

use super::corpus::check;

fn read_str(text: &str) -> Manifests {
    let reading = manifest::load_str("input.yaml", text, &manifest::Options::default());
    assert!(!reading.has_errors(), "{:?}", reading.diagnostics);
    reading.manifests
}

/// The workload `b` declares no `http`, so the input lets `a`'s workload
/// reach it on nothing; a pod `app=b` that declares `http` is reachable.
/// `expect deny web/a -> web/b` would be a false proof.
const WORKLOAD_WITHOUT_THE_NAMED_PORT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: a, namespace: web}
spec:
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec: {containers: [{name: main, image: registry.invalid/a}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: b, namespace: web}
spec:
  selector: {matchLabels: {app: b}}
  template:
    metadata: {labels: {app: b}}
    spec: {containers: [{name: main, image: registry.invalid/b, ports: [{containerPort: 8080}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b-ingress, namespace: web}
spec:
  podSelector: {matchLabels: {app: b}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector: {matchLabels: {app: a}}
    ports:
    - port: http
";

#[test]
fn imported_expect_lines_hold_for_pods_that_declare_named_ports() {
    let manifests = read_str(WORKLOAD_WITHOUT_THE_NAMED_PORT);
    let imported = import::import(&manifests, &Settings::default()).unwrap();
    assert!(
        !imported.text.contains("expect deny web/a -> web/b"),
        "a pod `app=b` declaring `http` is reachable from `web/a`:\n{}",
        imported.text
    );
    // What the program says is still checked, by the evaluator and by nca
    // over pods that declare `http` at several numbers.
    check("workload-without-the-named-port", &manifests, &imported);
}
