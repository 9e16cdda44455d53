//! Named ports against numbered ports: a pod may declare a rule's named
//! port at any number, inside a numbered range of another rule or outside
//! every one. The equivalence check and the `expect` lines `npc import`
//! writes must hold for all of them, not only for numbers no rule names.

use npc::eval::{Endpoint, NamedPort, Pod, PolicySet, Protocol};
use npc::import::{self, Settings};
use npc::manifest::{self, Manifests};

use super::corpus::check;
use super::output;

fn read_str(text: &str) -> Manifests {
    let reading = manifest::load_str("input.yaml", text, &manifest::Options::default());
    assert!(!reading.has_errors(), "{:?}", reading.diagnostics);
    reading.manifests
}

/// Namespace `a` may send to anything on the named port `http`; namespace
/// `c` admits anything on 8000-8100. A pod of `c` declaring `http` as 8005
/// is reachable from `a` on 8005; declaring it elsewhere, it is not. No NPL
/// `allow` says that (one port list writes both sides).
const HTTP_AGAINST_A_RANGE: &str = "\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a-egress, namespace: a}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - ports:
    - port: http
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: c-ingress, namespace: c}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - ports:
    - port: 8000
      endPort: 8100
";

fn pod(namespace: &str, ports: &[(&str, u16)]) -> Endpoint {
    let mut pod = Pod::new(namespace, [("app", "x")]);
    pod.ports = ports
        .iter()
        .map(|(name, number)| NamedPort {
            name: (*name).to_string(),
            protocol: Protocol::Tcp,
            number: *number,
        })
        .collect();
    Endpoint::Pod(pod)
}

#[test]
fn a_named_port_inside_a_numbered_range_is_never_claimed_equivalent() {
    let manifests = read_str(HTTP_AGAINST_A_RANGE);
    let imported = import::import(&manifests, &Settings::default()).unwrap();
    let input = PolicySet::from_slice(&manifests.policy_objects()).unwrap();
    let program = PolicySet::from_slice(&output(&imported)).unwrap();
    // Checked by hand, whatever the universe holds: inside the range,
    // outside it, and not declared.
    for dst in [
        pod("c", &[("http", 8005)]),
        pod("c", &[("http", 8000)]),
        pod("c", &[("http", 8100)]),
        pod("c", &[("http", 8101)]),
        pod("c", &[("http", 40000)]),
        pod("c", &[]),
    ] {
        let src = pod("a", &[]);
        assert_eq!(
            input.allowed_ports(&src, &dst),
            program.allowed_ports(&src, &dst),
            "{dst:?}:\n{}",
            imported.text
        );
    }
    assert!(
        !imported.unconvertible.is_empty(),
        "no namespace kept, yet no `allow` can say this:\n{}",
        imported.text
    );
    check("http-against-a-range", &manifests, &imported);
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
