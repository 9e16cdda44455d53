//! Reading clusters as they are: the six ways `npc analyze` once differed
//! from netpol-analyzer on its own test inputs (IPv6 ranges nobody asked
//! for, host-network pods, ranges split at every ipBlock, an owner
//! reference without `kind`, a misspelled field, mirror pods and finished
//! Job pods), the pod IPs the Kubernetes e2e suite matches ipBlocks
//! against, and `--focus-namespace`.

use crate::support::npc::{npc, npc_with_stdin, root, stderr, stdout};

fn analyze(input: &str, extra: &[&str]) -> (String, String) {
    let mut args = vec!["analyze", "-"];
    args.extend_from_slice(extra);
    let out = npc_with_stdin(&args, input);
    assert!(out.status.success(), "{}", stderr(&out));
    (stdout(&out), stderr(&out))
}

const WEB: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web}]}
";

/// Cause 1: IPv6 ranges are shown only when the input mentions IPv6.
#[test]
fn ipv6_ranges_only_when_the_input_mentions_ipv6() {
    let (out, err) = analyze(WEB, &[]);
    assert!(!out.contains("::"), "{out}");
    assert!(
        out.contains("shop/web[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections"),
        "{out}"
    );
    assert!(
        err.contains("IPv6 ranges are not shown") && err.contains("--ip-family dual"),
        "{err}"
    );
    let (dual, err) = analyze(WEB, &["--ip-family", "dual"]);
    assert!(
        dual.contains("::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff[External]"),
        "{dual}"
    );
    assert!(!err.contains("IPv6 ranges are not shown"), "{err}");
    let (v6, _) = analyze(WEB, &["--ip-family", "ipv6"]);
    assert!(!v6.contains("0.0.0.0-"), "{v6}");
    // The JSON follows the same choice.
    let (json, _) = analyze(WEB, &["-o", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(json["external"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| !r["name"].as_str().unwrap().contains(':')));
    // An IPv6 ipBlock shows both families without being asked.
    let with_v6 = format!(
        "{WEB}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: out, namespace: shop}}
spec:
  podSelector: {{}}
  policyTypes: [Egress]
  egress: [{{to: [{{ipBlock: {{cidr: '2001:db8::/32'}}}}]}}]
"
    );
    let (out, err) = analyze(&with_v6, &[]);
    assert!(
        out.contains("shop/web[Deployment] => 2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff[External] : All Connections"),
        "{out}"
    );
    assert!(!err.contains("IPv6 ranges are not shown"), "{err}");
}

/// Cause 2: host-network pods are ordinary workloads in netpol-analyzer's
/// conventions, and left out with a note by default.
#[test]
fn host_network_pods_as_netpol_analyzer_lists_them() {
    let input = "apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-exporter, namespace: monitoring}
spec:
  template:
    metadata: {labels: {app: node-exporter}}
    spec: {hostNetwork: true, containers: [{name: e, image: e}]}
---
"
    .to_string()
        + WEB;
    let (out, err) = analyze(&input, &[]);
    assert!(!out.contains("node-exporter"), "{out}");
    assert!(err.contains("on the host network"), "{err}");
    let (out, _) = analyze(&input, &["--compat", "netpol-analyzer"]);
    assert!(
        out.contains(
            "monitoring/node-exporter[DaemonSet] => shop/web[Deployment] : All Connections"
        ),
        "{out}"
    );
}

/// Cause 3: adjacent ranges with the same connections of a pair are one
/// line; a line splits only where the verdict changes.
#[test]
fn adjacent_ranges_with_the_same_connections_are_one_line() {
    let input = format!(
        "{WEB}---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: api, namespace: shop}}
spec:
  template:
    metadata: {{labels: {{app: api}}}}
    spec: {{containers: [{{name: api, image: api}}]}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: api, namespace: shop}}
spec:
  podSelector: {{matchLabels: {{app: api}}}}
  policyTypes: [Ingress]
  ingress:
  - from: [{{ipBlock: {{cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}}}]
    ports: [{{port: 443}}]
  - from: [{{ipBlock: {{cidr: 10.0.0.0/8}}}}]
    ports: [{{port: 80}}]
"
    );
    let (out, _) = analyze(&input, &[]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "0.0.0.0-255.255.255.255[External] => shop/web[Deployment] : All Connections",
            "10.0.0.0-10.0.255.255[External] => shop/api[Deployment] : TCP 80,443",
            "10.1.0.0-10.1.255.255[External] => shop/api[Deployment] : TCP 80",
            "10.2.0.0-10.255.255.255[External] => shop/api[Deployment] : TCP 80,443",
            "shop/api[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections",
            "shop/api[Deployment] => shop/web[Deployment] : All Connections",
            "shop/web[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections",
        ],
        "{out}"
    );
}

const OWNERLESS_KIND: &str = "apiVersion: v1
kind: Pod
metadata:
  name: worker-6f7c9
  namespace: batch
  labels: {app: worker}
  ownerReferences: [{name: worker, controller: true}]
spec: {containers: [{name: w, image: w}]}
";

/// Cause 4: an owner reference without `kind` is read by its name (W103).
#[test]
fn an_owner_reference_without_kind_uses_the_name() {
    let (out, err) = analyze(OWNERLESS_KIND, &[]);
    assert!(
        out.contains("batch/worker[Unknown] => 0.0.0.0-255.255.255.255[External]"),
        "{out}"
    );
    assert!(
        err.contains("[W103]") && err.contains("has no `kind`") && !err.contains("E102"),
        "{err}"
    );
    let (out, _) = analyze(OWNERLESS_KIND, &["--compat", "netpol-analyzer"]);
    assert!(out.contains("batch/worker[Pod] =>"), "{out}");
    // The input holds an object of that name: the pod is reported as it.
    let with_owner = format!(
        "{OWNERLESS_KIND}---
apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: worker, namespace: batch}}
spec:
  template:
    metadata: {{labels: {{app: worker}}}}
    spec: {{containers: [{{name: w, image: w}}]}}
"
    );
    let (out, _) = analyze(&with_owner, &[]);
    assert!(out.contains("batch/worker[StatefulSet] =>"), "{out}");
    assert!(!out.contains("[Unknown]"), "{out}");
}

const MISSPELLED: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: web
        ports: [{containerport: 8080, name: http}]
";

/// Cause 5: a misspelled field is ignored with a warning that names the
/// field it resembles; the analysis, lint and import go on.
#[test]
fn a_misspelled_field_is_ignored_with_a_warning() {
    let (out, err) = analyze(MISSPELLED, &[]);
    assert!(out.contains("shop/web[Deployment] =>"), "{out}");
    assert!(
        err.contains("[W102]")
            && err.contains("unknown field `containerport`")
            && err.contains("did you mean `containerPort`?"),
        "{err}"
    );
    assert!(!err.contains("E102"), "{err}");
    let lint = npc_with_stdin(&["lint", "-", "-o", "json"], MISSPELLED);
    assert_eq!(lint.status.code(), Some(0), "{}", stderr(&lint));
    let found: Vec<serde_json::Value> = serde_json::from_slice(&lint.stdout).unwrap();
    assert!(found.iter().any(|d| d["code"] == "W102"), "{found:?}");
    let import = npc_with_stdin(&["import", "-"], MISSPELLED);
    assert_eq!(import.status.code(), Some(0), "{}", stderr(&import));
    assert!(stderr(&import).contains("[W102]"), "{}", stderr(&import));
}

/// Cause 6: a mirror pod (owned by its Node) is a Pod, and the pods of a
/// finished Job stand for the Job.
#[test]
fn mirror_pods_are_pods_and_finished_job_pods_their_job() {
    let input = "apiVersion: v1
kind: Pod
metadata:
  name: etcd-minikube
  namespace: kube-system
  labels: {component: etcd}
  ownerReferences: [{apiVersion: v1, kind: Node, name: minikube, uid: n1, controller: true}]
spec: {containers: [{name: etcd, image: etcd}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: report-28391-x7k2p
  namespace: batch
  labels: {app: report}
  ownerReferences: [{apiVersion: batch/v1, kind: Job, name: report-28391, uid: j1, controller: true}]
spec: {containers: [{name: r, image: r}]}
status: {phase: Succeeded}
---
apiVersion: v1
kind: Pod
metadata: {name: one-off, namespace: batch, labels: {app: one-off}}
spec: {containers: [{name: o, image: o}]}
status: {phase: Failed}
";
    let (out, err) = analyze(input, &[]);
    assert!(out.contains("kube-system/etcd-minikube[Pod] =>"), "{out}");
    assert!(!out.contains("[Node]"), "{out}");
    assert!(out.contains("batch/report-28391[Job] =>"), "{out}");
    assert!(!out.contains("one-off"), "{out}");
    assert!(err.contains("left out 1 finished pod"), "{err}");
}

fn pod(name: &str, app: &str, ip: Option<&str>) -> String {
    let status = ip.map_or_else(String::new, |ip| {
        format!("status: {{phase: Running, podIP: {ip}, podIPs: [{{ip: {ip}}}]}}\n")
    });
    format!(
        "---
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: x, labels: {{app: {app}}}}}
spec: {{containers: [{{name: c, image: c}}]}}
{status}"
    )
}

fn client_egress(peer: &str) -> String {
    format!(
        "---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: client-egress, namespace: x}}
spec:
  podSelector: {{matchLabels: {{app: client}}}}
  policyTypes: [Egress]
  egress: [{{to: [{{ipBlock: {peer}}}]}}]
"
    )
}

/// The Kubernetes e2e suite's ipBlock cases: with pod IPs in the input an
/// ipBlock matches the pods whose IP it covers (an egress ipBlock of one
/// pod's /32; a CIDR whose `except` is one pod's IP); without them it
/// matches no pod, and a note says the traffic depends on pod IPs.
#[test]
fn ipblocks_match_pods_whose_ips_the_input_gives() {
    let pods = [
        pod("client", "client", Some("10.1.0.10")),
        pod("server-a", "server", Some("10.1.0.20")),
        pod("server-b", "other", Some("10.1.0.30")),
    ]
    .concat();
    let (out, err) = analyze(
        &(pods.clone() + &client_egress("{cidr: 10.1.0.20/32}")),
        &[],
    );
    assert!(
        out.contains("x/client[Pod] => x/server-a[Pod] : All Connections"),
        "{out}"
    );
    assert!(!out.contains("x/client[Pod] => x/server-b[Pod]"), "{out}");
    assert!(!err.contains("may cover pod addresses"), "{err}");
    let except = client_egress("{cidr: 10.1.0.0/24, except: [10.1.0.20/32]}");
    let (out, _) = analyze(&(pods.clone() + &except), &[]);
    assert!(!out.contains("x/client[Pod] => x/server-a[Pod]"), "{out}");
    assert!(
        out.contains("x/client[Pod] => x/server-b[Pod] : All Connections"),
        "{out}"
    );
    // netpol-analyzer never matches an ipBlock with a pod.
    let (out, _) = analyze(
        &(pods + &client_egress("{cidr: 10.1.0.20/32}")),
        &["--compat", "netpol-analyzer"],
    );
    assert!(!out.contains("x/client[Pod] => x/server-a[Pod]"), "{out}");
    // Without pod IPs: no pod matches, and a note says why.
    let unknown = [
        pod("client", "client", None),
        pod("server-a", "server", None),
    ]
    .concat()
        + &client_egress("{cidr: 10.1.0.0/24}");
    let (out, err) = analyze(&unknown, &[]);
    assert!(!out.contains("x/client[Pod] => x/server-a[Pod]"), "{out}");
    assert!(
        err.contains("ipBlocks `10.1.0.0/24` in `x/client-egress` may cover pod addresses"),
        "{err}"
    );
}

/// `--focus-namespace NS` keeps the connections with an end in NS.
#[test]
fn focus_namespace_keeps_the_connections_of_a_namespace() {
    let recipe = "tests/data/manifests/recipes/allow-from-namespace.yaml";
    let out = npc(&["analyze", recipe, "--focus-namespace", "monitoring"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.is_empty());
    assert!(text.lines().all(|l| l.contains("monitoring/")), "{text}");
    assert!(
        text.contains("monitoring/prometheus[StatefulSet] => api/server[Deployment] : TCP 9090"),
        "{text}"
    );
    let out = npc(&["analyze", recipe, "--focus-namespace", "monitorin"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no namespace `monitorin` in the input (did you mean `monitoring`?)"),
        "{}",
        stderr(&out)
    );
    assert!(root().join(recipe).exists());
}
