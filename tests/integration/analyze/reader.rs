//! The manifest reader (`npc::manifest`): kinds, lists, owners, namespaces,
//! positions, and located errors for malformed input.

use npc::manifest::{self, Manifests, Options};

fn read(text: &str) -> manifest::Reading {
    manifest::load_str("input.yaml", text, &Options::default())
}

fn ids(m: &Manifests) -> Vec<String> {
    m.workloads.iter().map(|w| w.id.to_string()).collect()
}

fn line(m: &Manifests, span: npc::source::Span) -> usize {
    m.sources.get(span.file).unwrap().line_of(span.start())
}

#[test]
fn a_kubectl_dump_reports_pods_as_their_owners() {
    let path = crate::support::npc::root().join("tests/data/manifests/kubectl-list.yaml");
    let loaded = manifest::load(&[path], &Options::default()).unwrap();
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let m = &loaded.manifests;
    assert_eq!(
        ids(m),
        [
            "kube-system/coredns[Deployment]",
            "kube-system/node-agent[DaemonSet]",
            "shop/cart[Deployment]",
            "shop/cleanup[CronJob]",
            "shop/legacy-6c8f7[ReplicaSet]",
            "shop/redis[StatefulSet]",
            "shop/web[Deployment]",
        ]
    );
    let get = |id: &str| m.workloads.iter().find(|w| w.id.to_string() == id).unwrap();
    // Two web pods with the same labels are one shape, read from the pods
    // (with their pod-template-hash), not from the template.
    let web = get("shop/web[Deployment]");
    assert_eq!(web.shapes.len(), 1);
    assert_eq!(
        web.shapes[0]
            .shape
            .labels
            .get("pod-template-hash")
            .map(String::as_str),
        Some("7d9f8c6b5")
    );
    assert_eq!(web.shapes[0].shape.ports[0].name, "http");
    assert!(!web.inferred);
    // The Deployment's own object locates the workload.
    let text = &m.sources.get(web.origin.file).unwrap().text;
    assert_eq!(&text[web.origin.span.range()], "name: web");
    // StatefulSet pods differ by their pod-name label.
    assert_eq!(get("shop/redis[StatefulSet]").shapes.len(), 2);
    assert!(get("kube-system/node-agent[DaemonSet]").host_network());
    assert!(get("shop/legacy-6c8f7[ReplicaSet]").inferred);
    // The CronJob's finished Job pod stands for the CronJob (what ran),
    // without its address, which another pod may have now.
    assert_eq!(m.finished_pods, 0);
    let cleanup = get("shop/cleanup[CronJob]");
    assert!(cleanup.shapes.iter().any(|s| s.shape.ips.is_empty()));
    assert!(m.pods.iter().all(|p| p.name != "cleanup-29100560-p7x2d"));
    assert_eq!(m.skipped.get("v1/Service"), Some(&3));
    let shop = m.namespace("shop").unwrap();
    assert_eq!(shop.labels.get("team").map(String::as_str), Some("shop"));
    assert_eq!(m.policies.len(), 5);
    let web_policy = m.policies.iter().find(|p| p.name() == "web").unwrap();
    let span = web_policy.origin.field("spec.egress[1].to[0]");
    assert_eq!(&text[span.range()], "podSelector:");
    assert!(line(m, span) > line(m, web_policy.origin.span));
}

#[test]
fn lists_typed_lists_json_and_other_kinds() {
    let loaded = read(
        "\
apiVersion: v1
kind: PodList
items:
- metadata: {name: a, namespace: x, labels: {app: a}}
  spec: {containers: [{name: c, ports: [{name: web, containerPort: 80}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicyList
items:
- metadata: {name: p, namespace: x}
  spec: {podSelector: {}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
---
just: a mapping
---
apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata: {name: i}
",
    );
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let m = &loaded.manifests;
    assert_eq!(ids(m), ["x/a[Pod]"]);
    assert_eq!(m.policies.len(), 1);
    assert_eq!(m.skipped.get("v1/ConfigMap"), Some(&1));
    assert_eq!(m.skipped.get("(not a Kubernetes object)"), Some(&1));
    assert_eq!(m.skipped.get("networking.k8s.io/v1beta1/Ingress"), Some(&1));
    let json = read(
        r#"{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "d"}, "spec": {"template": {"metadata": {"labels": {"app": "d"}}}}}]}"#,
    );
    assert_eq!(ids(&json.manifests), ["default/d[Deployment]"]);
}

#[test]
fn missing_namespaces_are_default_or_the_given_one() {
    let text = "\
apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec: {template: {metadata: {labels: {app: j}}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p}
spec: {podSelector: {}}
";
    let m = read(text).manifests;
    assert_eq!(ids(&m), ["default/j[Job]"]);
    assert_eq!(m.policies[0].namespace(), "default");
    let options = Options {
        default_namespace: "team-a".into(),
        ..Options::default()
    };
    let m = manifest::load_str("in.yaml", text, &options).manifests;
    assert_eq!(ids(&m), ["team-a/j[Job]"]);
    assert_eq!(m.policies[0].namespace(), "team-a");
    // Namespaces named by objects exist, with their name label.
    let ns = m.namespace("team-a").unwrap();
    assert!(ns.origin.is_none());
    assert_eq!(
        ns.labels
            .get("kubernetes.io/metadata.name")
            .map(String::as_str),
        Some("team-a")
    );
}

#[test]
fn owner_chains_stop_and_cycles_do_not_hang() {
    let m = read(
        "\
apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: x
  labels: {app: p}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: rs, controller: true}]
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: rs
  namespace: x
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: rs2, controller: true}]
spec: {template: {metadata: {labels: {app: p}}}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: rs2
  namespace: x
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: rs, controller: true}]
spec: {template: {metadata: {labels: {app: q}}}}
",
    )
    .manifests;
    // Whatever the cycle yields, it terminates and reports the pod once.
    let with_pod: Vec<_> = m
        .workloads
        .iter()
        .filter(|w| {
            w.shapes
                .iter()
                .any(|s| s.shape.labels.get("app").map(String::as_str) == Some("p"))
        })
        .collect();
    assert_eq!(with_pod.len(), 1, "{:?}", ids(&m));
}

#[test]
fn malformed_input_is_located_and_skipped() {
    let loaded = read(
        "\
apiVersion: v1
kind: Namespace
metadata: {name: ok}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: bad-labels, namespace: x}
spec:
  template:
    metadata:
      labels:
        app: true
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad-cidr, namespace: x}
spec:
  podSelector: {}
  ingress:
  - from:
    - ipBlock: {cidr: 10.0.0.300/8}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad-type, namespace: x}
spec:
  podSelector: {}
  ingress:
  - ports:
    - port: [80]
---
key: [unclosed
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: after, namespace: x}
spec: {template: {metadata: {labels: {app: after}}}}
",
    );
    let m = &loaded.manifests;
    let found: Vec<(String, usize, String)> = loaded
        .diagnostics
        .iter()
        .map(|d| (d.code.id.to_string(), line(m, d.span), d.message.clone()))
        .collect();
    assert_eq!(found.len(), 4, "{found:#?}");
    assert_eq!(found[0].0, "E102");
    assert_eq!(found[0].1, 11, "{found:?}");
    assert!(
        found[0].2.contains("`spec.template.metadata.labels`"),
        "{}",
        found[0].2
    );
    assert_eq!(found[1].0, "E103");
    assert_eq!(found[1].1, 21);
    assert!(
        found[1].2.contains("spec.ingress[0].from[0].ipBlock.cidr"),
        "{}",
        found[1].2
    );
    assert_eq!(found[2].0, "E102");
    assert_eq!(found[2].1, 30, "{found:?}");
    assert!(
        found[2].2.contains("`spec.ingress[0].ports[0].port`"),
        "{}",
        found[2].2
    );
    assert_eq!(found[3].0, "E101");
    assert!(found[3].2.starts_with("document 5 "), "{}", found[3].2);
    // What parsed is kept; the document after the broken one is read.
    assert_eq!(ids(m), ["x/after[Deployment]"]);
    assert!(m.namespace("ok").is_some());
    assert!(m.policies.is_empty());
}

#[test]
fn a_policy_defined_twice_keeps_the_later_one_with_a_warning() {
    let doc = |port: u16| {
        format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: x}}\nspec:\n  podSelector: {{}}\n  ingress: [{{ports: [{{port: {port}}}]}}]\n"
        )
    };
    let loaded = read(&format!("{}---\n{}", doc(80), doc(443)));
    assert_eq!(loaded.diagnostics.len(), 1);
    assert_eq!(loaded.diagnostics[0].code.id, "W101");
    assert!(!loaded.has_errors());
    let p = &loaded.manifests.policies[0];
    let ingress = p.object.spec.as_ref().unwrap().ingress.as_ref().unwrap();
    let port = ingress[0].ports.as_ref().unwrap()[0].port.clone();
    assert_eq!(
        port,
        Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(443))
    );
}

#[test]
fn without_field_positions_only_files_with_problems_are_located() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {on: true}\n";
    let options = Options {
        field_positions: false,
        ..Options::default()
    };
    let loaded = manifest::load_str("in.yaml", text, &options);
    // The diagnostic still points at the field: the file was read again.
    assert_eq!(line(&loaded.manifests, loaded.diagnostics[0].span), 5);
    let clean = manifest::load_str(
        "in.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n",
        &options,
    );
    assert!(clean.manifests.workloads[0].origin.fields.root().is_none());
}

#[test]
fn dumps_keep_their_pods_and_count_every_kind() {
    let path = crate::support::npc::root().join("tests/data/manifests/kubectl-list.yaml");
    let m = manifest::load(&[path], &Options::default())
        .unwrap()
        .manifests;
    let pods: Vec<String> = m
        .pods
        .iter()
        .map(|p| {
            format!(
                "{}/{} as {}",
                p.namespace,
                p.name,
                m.workload(p.workload).unwrap().id
            )
        })
        .collect();
    assert!(
        pods.contains(&"shop/web-7d9f8c6b5-x2kqp as shop/web[Deployment]".to_string()),
        "{pods:#?}"
    );
    assert!(pods.contains(&"shop/legacy-6c8f7-jx2pq as shop/legacy-6c8f7[ReplicaSet]".to_string()));
    assert!(pods.contains(
        &"kube-system/node-agent-4kq8z as kube-system/node-agent[DaemonSet]".to_string()
    ));
    // The finished job pod is left out.
    assert_eq!(pods.len(), 9, "{pods:#?}");
    assert_eq!(m.kinds.get("apps/v1/ReplicaSet"), Some(&4));
    assert_eq!(m.kinds.get("v1/Pod"), Some(&10));
    assert_eq!(m.kinds.get("networking.k8s.io/v1/NetworkPolicy"), Some(&5));
}

#[test]
fn kinds_without_api_version_are_read_in_their_usual_group() {
    let m = read("kind: List\nitems:\n- kind: Pod\n  metadata: {name: p, namespace: x}\n- kind: Widget\n  metadata: {name: w}\n").manifests;
    assert_eq!(ids(&m), ["x/p[Pod]"]);
    assert_eq!(m.skipped.get("(not a Kubernetes object)"), Some(&1));
}

#[test]
fn unreadable_paths_are_errors_of_their_own() {
    let e = manifest::load(&["no/such/dir".into()], &Options::default()).unwrap_err();
    assert!(e.to_string().contains("no/such/dir"), "{e}");
}

#[test]
fn hostile_input_never_panics() {
    for text in [
        "[".repeat(50_000),
        "a: &a [*a]\n".to_string(),
        "- ".repeat(10_000),
        "kind: List\napiVersion: v1\nitems: 3\n".to_string(),
        "kind: List\napiVersion: v1\nitems: [3, null, [], {kind: Pod}]\n".to_string(),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: [x]}\n".to_string(),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, ownerReferences: 7}\n".to_string(),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{ports: [{name: x, containerPort: 70000}]}]}\n".to_string(),
        "\u{feff}\u{feff}---\n\t{}".to_string(),
        format!("{}\n", "x".repeat(100_000)),
    ] {
        let loaded = read(&text);
        for d in &loaded.diagnostics {
            let len = loaded.manifests.sources.get(d.span.file).unwrap().text.len();
            assert!(d.span.start() <= d.span.end() && d.span.end() <= len, "{d:?}");
        }
    }
}
