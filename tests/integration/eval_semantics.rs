//! NetworkPolicy semantics of the evaluator, one test per rule of the API.

use std::net::IpAddr;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use npc::eval::{Endpoint, NamedPort, Pod, PolicySet, PortRange, PortSet, Protocol};
use serde::Deserialize;

fn policies(yaml: &str) -> Vec<NetworkPolicy> {
    if yaml.trim().is_empty() {
        return Vec::new();
    }
    serde_yaml::Deserializer::from_str(yaml)
        .map(|doc| NetworkPolicy::deserialize(doc).unwrap())
        .collect()
}

fn set(yaml: &str) -> PolicySet {
    PolicySet::new(policies(yaml)).unwrap()
}

fn errors(yaml: &str) -> Vec<String> {
    match PolicySet::new(policies(yaml)) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

fn pod(namespace: &str, labels: &[(&str, &str)]) -> Endpoint {
    Endpoint::Pod(Pod::new(namespace, labels.iter().copied()))
}

fn pod_in(namespace: &str, ns_labels: &[(&str, &str)], labels: &[(&str, &str)]) -> Endpoint {
    let mut p = Pod::new(namespace, labels.iter().copied());
    p.namespace_labels = ns_labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Endpoint::Pod(p)
}

fn with_ports(endpoint: Endpoint, ports: &[(&str, Protocol, u16)]) -> Endpoint {
    let Endpoint::Pod(mut p) = endpoint else {
        panic!()
    };
    p.ports = ports
        .iter()
        .map(|(name, protocol, number)| NamedPort {
            name: name.to_string(),
            protocol: *protocol,
            number: *number,
        })
        .collect();
    Endpoint::Pod(p)
}

fn ip(text: &str) -> Endpoint {
    Endpoint::Ip(text.parse::<IpAddr>().unwrap())
}

fn tcp(set: &PolicySet, src: &Endpoint, dst: &Endpoint, port: u16) -> bool {
    set.evaluate(src, dst, Protocol::Tcp, port).allowed
}

/// `evaluate` and `allowed_ports` must agree; check it on every query.
fn ports(set: &PolicySet, src: &Endpoint, dst: &Endpoint) -> PortSet {
    let ports = set.allowed_ports(src, dst);
    for protocol in Protocol::ALL {
        for port in [1, 52, 53, 54, 79, 80, 81, 443, 8080, 9000, 65535] {
            assert_eq!(
                set.evaluate(src, dst, protocol, port).allowed,
                ports.contains(protocol, port),
                "{protocol} {port}: evaluate disagrees with allowed_ports {ports}"
            );
        }
    }
    ports
}

const DENY_INGRESS: &str = "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: a}
spec:
  podSelector: {}
  policyTypes: [Ingress]
";

#[test]
fn no_policy_allows_everything() {
    let s = set("");
    assert!(ports(&s, &pod("a", &[]), &pod("b", &[])).is_full());
    assert!(ports(&s, &ip("1.2.3.4"), &pod("b", &[])).is_full());
}

#[test]
fn ingress_isolation_denies_only_ingress() {
    let s = set(DENY_INGRESS);
    let (x, y) = (pod("a", &[("app", "x")]), pod("b", &[]));
    assert!(ports(&s, &y, &x).is_empty());
    assert!(
        ports(&s, &x, &y).is_full(),
        "egress of an ingress-isolated pod stays open"
    );
    assert!(ports(&s, &ip("10.0.0.1"), &x).is_empty());
    let v = s.evaluate(&y, &x, Protocol::Tcp, 80);
    assert!(v.ingress.isolated && !v.ingress.allowed && !v.egress.isolated);
    assert_eq!(v.ingress.selecting[0].to_string(), "a/deny");
}

#[test]
fn egress_isolation_denies_only_egress() {
    let s = set("
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: a}
spec:
  podSelector: {}
  policyTypes: [Egress]
");
    let (x, y) = (pod("a", &[]), pod("b", &[]));
    assert!(ports(&s, &x, &y).is_empty());
    assert!(ports(&s, &x, &ip("8.8.8.8")).is_empty());
    assert!(ports(&s, &y, &x).is_full());
}

#[test]
fn policy_applies_only_to_its_namespace_and_selected_pods() {
    let s = set("
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: a}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
");
    let client = pod("c", &[]);
    assert!(ports(&s, &client, &pod("a", &[("app", "db")])).is_empty());
    assert!(ports(&s, &client, &pod("a", &[("app", "web")])).is_full());
    assert!(ports(&s, &client, &pod("b", &[("app", "db")])).is_full());
}

#[test]
fn missing_policy_types_default_to_ingress_plus_egress_if_egress_rules() {
    let ingress_only = set("
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {}
  ingress: [{}]
");
    let (x, y) = (pod("a", &[]), pod("b", &[]));
    assert!(ports(&ingress_only, &y, &x).is_full());
    assert!(
        !ingress_only
            .evaluate(&x, &y, Protocol::Tcp, 1)
            .egress
            .isolated
    );

    // An "egress-only" policy without policyTypes isolates ingress too.
    let egress_rules = set("
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {}
  egress:
  - ports: [{port: 53, protocol: UDP}]
");
    assert!(ports(&egress_rules, &y, &x).is_empty());
    assert_eq!(
        ports(&egress_rules, &x, &y),
        PortSet::range(Protocol::Udp, 53, 53)
    );

    // `egress: []` is not an egress rule, and `policyTypes: []` is the default.
    let empty_egress = set("
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {}
  policyTypes: []
  egress: []
");
    assert!(ports(&empty_egress, &x, &y).is_full());
    assert!(ports(&empty_egress, &y, &x).is_empty());
}

#[test]
fn rules_of_a_direction_not_in_policy_types_are_ignored() {
    let s = set("
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  egress:
  - ports: [{port: 53}]
");
    assert!(ports(&s, &pod("a", &[]), &pod("b", &[])).is_full());
}

#[test]
fn both_sides_must_allow() {
    let s = set("
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: a}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: in, namespace: b}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - ports: [{port: 80}]
");
    let (x, y) = (pod("a", &[]), pod("b", &[]));
    assert_eq!(ports(&s, &x, &y), PortSet::range(Protocol::Tcp, 80, 80));
    let v = s.evaluate(&x, &y, Protocol::Tcp, 81);
    assert!(v.egress.allowed && !v.ingress.allowed && !v.allowed);
}

#[test]
fn policies_and_rules_are_ored() {
    let s = set("
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: one, namespace: a}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - ports: [{port: 80}]
  - ports: [{port: 443}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: two, namespace: a}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
  - ports: [{port: 8080}]
");
    let mut expected = PortSet::range(Protocol::Tcp, 80, 80);
    expected.insert(Protocol::Tcp, 443, 443);
    let other = pod("b", &[]);
    assert_eq!(ports(&s, &other, &pod("a", &[])), expected);
    expected.insert(Protocol::Tcp, 8080, 8080);
    assert_eq!(ports(&s, &other, &pod("a", &[("app", "web")])), expected);
    let v = s.evaluate(&other, &pod("a", &[("app", "web")]), Protocol::Tcp, 443);
    assert_eq!(v.ingress.selecting.len(), 2);
    assert_eq!(v.ingress.matched.len(), 1);
    assert_eq!(v.ingress.matched[0].to_string(), "a/one rule 1");
}

const PEERS: &str = "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: ops}}
      podSelector: {matchLabels: {app: mon}}
    - podSelector: {matchLabels: {app: web}}
";

#[test]
fn namespace_and_pod_selector_in_one_peer_are_anded() {
    let s = set(PEERS);
    let dst = pod("a", &[]);
    assert!(tcp(
        &s,
        &pod_in("ops", &[("team", "ops")], &[("app", "mon")]),
        &dst,
        80
    ));
    assert!(!tcp(
        &s,
        &pod_in("ops", &[("team", "ops")], &[("app", "other")]),
        &dst,
        80
    ));
    assert!(!tcp(
        &s,
        &pod_in("dev", &[("team", "dev")], &[("app", "mon")]),
        &dst,
        80
    ));
    let v = s.evaluate(
        &pod_in("ops", &[("team", "ops")], &[("app", "mon")]),
        &dst,
        Protocol::Tcp,
        80,
    );
    assert_eq!(v.ingress.matched[0].peer, Some(0));
}

#[test]
fn pod_selector_alone_means_the_policy_namespace() {
    let s = set(PEERS);
    let dst = pod("a", &[]);
    assert!(tcp(&s, &pod("a", &[("app", "web")]), &dst, 80));
    assert!(!tcp(&s, &pod("b", &[("app", "web")]), &dst, 80));
    let v = s.evaluate(&pod("a", &[("app", "web")]), &dst, Protocol::Tcp, 80);
    assert_eq!(v.ingress.matched[0].peer, Some(1));
}

#[test]
fn namespace_selector_alone_means_all_pods_of_matching_namespaces() {
    let s = set("
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from: [{namespaceSelector: {matchLabels: {team: ops}}}]
");
    let dst = pod("a", &[]);
    assert!(tcp(
        &s,
        &pod_in("ops", &[("team", "ops")], &[("any", "thing")]),
        &dst,
        80
    ));
    assert!(
        !tcp(&s, &pod("a", &[]), &dst, 80),
        "the policy's own namespace lacks the label"
    );
    assert!(!tcp(&s, &ip("10.0.0.1"), &dst, 80));
}

#[test]
fn empty_selectors_select_everything_in_scope() {
    let own = set("
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {}}]
");
    let dst = pod("a", &[]);
    assert!(tcp(&own, &pod("a", &[("x", "y")]), &dst, 80));
    assert!(!tcp(&own, &pod("b", &[]), &dst, 80));
    let all = set("
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from: [{namespaceSelector: {}}]
");
    assert!(tcp(&all, &pod("b", &[("x", "y")]), &dst, 80));
    assert!(
        !tcp(&all, &ip("10.0.0.1"), &dst, 80),
        "pod selectors never match addresses"
    );
}

#[test]
fn missing_or_empty_peers_match_everything_including_addresses() {
    for from in ["", "from: []"] {
        let s = set(&format!(
            "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: p, namespace: a}}
spec:
  podSelector: {{}}
  policyTypes: [Ingress, Egress]
  ingress:
  - ports: [{{port: 80}}]
    {from}
  egress:
  - ports: [{{port: 53, protocol: UDP}}]
    {}
",
            from.replace("from", "to")
        ));
        let x = pod("a", &[]);
        assert_eq!(
            ports(&s, &pod("b", &[]), &x),
            PortSet::range(Protocol::Tcp, 80, 80),
            "{from}"
        );
        assert_eq!(
            ports(&s, &ip("203.0.113.9"), &x),
            PortSet::range(Protocol::Tcp, 80, 80),
            "{from}"
        );
        assert_eq!(
            ports(&s, &ip("2001:db8::1"), &x),
            PortSet::range(Protocol::Tcp, 80, 80),
            "{from}"
        );
        assert_eq!(
            ports(&s, &x, &ip("1.1.1.1")),
            PortSet::range(Protocol::Udp, 53, 53),
            "{from}"
        );
        let v = s.evaluate(&pod("b", &[]), &x, Protocol::Tcp, 80);
        assert_eq!(v.ingress.matched[0].peer, None);
    }
}

#[test]
fn missing_or_empty_ports_match_every_port_of_every_protocol() {
    for ports_field in ["", "ports: []"] {
        let s = set(&format!(
            "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: p, namespace: a}}
spec:
  podSelector: {{}}
  policyTypes: [Ingress]
  ingress:
  - from: [{{podSelector: {{}}}}]
    {ports_field}
"
        ));
        assert!(
            ports(&s, &pod("a", &[]), &pod("a", &[])).is_full(),
            "{ports_field}"
        );
        assert!(
            ports(&s, &pod("b", &[]), &pod("a", &[])).is_empty(),
            "{ports_field}"
        );
    }
}

#[test]
fn match_expressions_operators() {
    let s = set("
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector:
        matchExpressions:
        - {key: tier, operator: In, values: [front, back]}
        - {key: env, operator: NotIn, values: [prod]}
        - {key: app, operator: Exists}
        - {key: legacy, operator: DoesNotExist}
");
    let dst = pod("a", &[]);
    let ok = |labels: &[(&str, &str)]| tcp(&s, &pod("a", labels), &dst, 80);
    assert!(
        ok(&[("tier", "front"), ("app", "x")]),
        "NotIn matches an absent key"
    );
    assert!(ok(&[("tier", "back"), ("app", "x"), ("env", "dev")]));
    assert!(!ok(&[("tier", "middle"), ("app", "x")]), "In");
    assert!(!ok(&[("app", "x")]), "In needs the key");
    assert!(
        !ok(&[("tier", "front"), ("app", "x"), ("env", "prod")]),
        "NotIn"
    );
    assert!(!ok(&[("tier", "front")]), "Exists");
    assert!(
        !ok(&[("tier", "front"), ("app", "x"), ("legacy", "")]),
        "DoesNotExist"
    );
}

#[test]
fn match_labels_and_match_expressions_are_anded() {
    let s = set("
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector:
    matchLabels: {app: db}
    matchExpressions: [{key: role, operator: In, values: [primary]}]
  policyTypes: [Ingress]
");
    let src = pod("b", &[]);
    assert!(ports(&s, &src, &pod("a", &[("app", "db"), ("role", "primary")])).is_empty());
    assert!(ports(&s, &src, &pod("a", &[("app", "db"), ("role", "replica")])).is_full());
    assert!(ports(&s, &src, &pod("a", &[("role", "primary")])).is_full());
}

#[test]
fn namespaces_carry_their_name_label() {
    let s = set("
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
");
    let dst = pod("a", &[]);
    assert!(tcp(&s, &pod("monitoring", &[]), &dst, 80));
    assert!(!tcp(&s, &pod("other", &[]), &dst, 80));
    assert!(!tcp(
        &s,
        &pod_in("other", &[("team", "monitoring")], &[]),
        &dst,
        80
    ));
}

const IP_BLOCKS: &str = "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16, 10.2.3.4/32]}
    - ipBlock: {cidr: 'fd00::/8', except: ['fd00:1::/32']}
  egress:
  - to:
    - ipBlock: {cidr: 0.0.0.0/0, except: [169.254.0.0/16]}
    ports: [{port: 443}]
  - to:
    - ipBlock: {cidr: 169.254.169.254/32}
    ports: [{port: 80}]
";

#[test]
fn ip_blocks_with_except_match_addresses() {
    let s = set(IP_BLOCKS);
    let x = pod("a", &[]);
    assert!(tcp(&s, &ip("10.9.9.9"), &x, 1));
    assert!(!tcp(&s, &ip("10.1.2.3"), &x, 1), "except");
    assert!(!tcp(&s, &ip("10.2.3.4"), &x, 1), "except /32");
    assert!(tcp(&s, &ip("10.2.3.5"), &x, 1));
    assert!(!tcp(&s, &ip("11.0.0.1"), &x, 1));
    assert!(tcp(&s, &ip("fd12::1"), &x, 1));
    assert!(!tcp(&s, &ip("fd00:1::1"), &x, 1), "IPv6 except");
    assert!(
        !tcp(&s, &ip("::ffff:10.9.9.9"), &x, 1),
        "a v6 address never matches a v4 block"
    );
    // Egress: an except only narrows its own peer; another peer may still allow.
    assert_eq!(
        ports(&s, &x, &ip("1.1.1.1")),
        PortSet::range(Protocol::Tcp, 443, 443)
    );
    assert!(ports(&s, &x, &ip("169.254.1.1")).is_empty());
    assert_eq!(
        ports(&s, &x, &ip("169.254.169.254")),
        PortSet::range(Protocol::Tcp, 80, 80)
    );
    assert!(
        ports(&s, &x, &ip("2001:db8::1")).is_empty(),
        "a v6 address never matches 0.0.0.0/0"
    );
}

#[test]
fn ip_blocks_never_match_pods() {
    let s = set(IP_BLOCKS);
    let x = pod("a", &[]);
    assert!(ports(&s, &pod("b", &[]), &x).is_empty());
    assert!(ports(&s, &x, &pod("b", &[])).is_empty());
}

#[test]
fn an_address_has_no_policies_of_its_own() {
    let s = set(IP_BLOCKS);
    let v = s.evaluate(&ip("10.9.9.9"), &pod("a", &[]), Protocol::Tcp, 5);
    assert!(!v.egress.isolated && v.egress.allowed && v.allowed);
    assert!(ports(&s, &ip("1.1.1.1"), &ip("2.2.2.2")).is_full());
}

#[test]
fn port_ranges_and_protocols() {
    let s = set("
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - ports:
    - port: 53
    - {port: 53, protocol: UDP}
    - {port: 8000, endPort: 8080, protocol: TCP}
    - {port: 9000, endPort: 9000, protocol: SCTP}
    - protocol: UDP
      port: 60000
      endPort: 65535
");
    let got = ports(&s, &pod("b", &[]), &pod("a", &[]));
    assert_eq!(
        got.ranges(Protocol::Tcp),
        [
            PortRange { start: 53, end: 53 },
            PortRange {
                start: 8000,
                end: 8080
            }
        ]
    );
    assert_eq!(
        got.ranges(Protocol::Udp),
        [
            PortRange { start: 53, end: 53 },
            PortRange {
                start: 60000,
                end: 65535
            }
        ]
    );
    assert_eq!(
        got.ranges(Protocol::Sctp),
        [PortRange {
            start: 9000,
            end: 9000
        }]
    );
    assert_eq!(
        got.to_string(),
        "TCP 53,8000-8080; UDP 53,60000-65535; SCTP 9000"
    );
}

#[test]
fn a_protocol_without_port_allows_every_port_of_it() {
    let s = set("
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - ports: [{protocol: SCTP}, {}]
");
    let got = ports(&s, &pod("b", &[]), &pod("a", &[]));
    assert_eq!(
        got,
        PortSet::all_of(Protocol::Sctp).union(&PortSet::all_of(Protocol::Tcp))
    );
}

const NAMED: &str = "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: in, namespace: a}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - ports: [{port: http}, {port: dns, protocol: UDP}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: b}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - ports: [{port: metrics}]
";

#[test]
fn named_ports_resolve_on_the_destination() {
    let s = set(NAMED);
    let server = with_ports(
        pod("a", &[]),
        &[
            ("http", Protocol::Tcp, 8080),
            ("dns", Protocol::Udp, 5353),
            ("dns-tcp", Protocol::Tcp, 5353),
        ],
    );
    let got = ports(&s, &pod("c", &[]), &server);
    assert_eq!(
        got,
        PortSet::range(Protocol::Tcp, 8080, 8080).union(&PortSet::range(Protocol::Udp, 5353, 5353))
    );
    let v = s.evaluate(&pod("c", &[]), &server, Protocol::Tcp, 8080);
    assert!(v.allowed);
}

#[test]
fn named_ports_need_a_matching_protocol_and_declaration() {
    let s = set(NAMED);
    let udp_http = with_ports(pod("a", &[]), &[("http", Protocol::Udp, 8080)]);
    assert!(
        ports(&s, &pod("c", &[]), &udp_http).is_empty(),
        "the rule's http is TCP"
    );
    assert!(
        ports(&s, &pod("c", &[]), &pod("a", &[])).is_empty(),
        "undeclared name matches nothing"
    );
}

#[test]
fn egress_named_ports_resolve_on_the_destination_not_the_source() {
    let s = set(NAMED);
    let client = with_ports(pod("b", &[]), &[("metrics", Protocol::Tcp, 1111)]);
    let target = with_ports(pod("c", &[]), &[("metrics", Protocol::Tcp, 9090)]);
    assert_eq!(
        ports(&s, &client, &target),
        PortSet::range(Protocol::Tcp, 9090, 9090)
    );
    assert!(ports(&s, &client, &pod("c", &[])).is_empty());
    assert!(
        ports(&s, &client, &ip("1.2.3.4")).is_empty(),
        "an address declares no named port"
    );
}

#[test]
fn matrix_agrees_with_pairwise_queries() {
    let s = set(&format!("{PEERS}---{NAMED}---{IP_BLOCKS}").replace("name: p, namespace: a}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]", "name: q, namespace: a}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress, Egress]"));
    let pods: Vec<Pod> = [
        pod("a", &[("app", "web")]),
        pod("a", &[]),
        pod_in("ops", &[("team", "ops")], &[("app", "mon")]),
        with_ports(pod("b", &[]), &[("metrics", Protocol::Tcp, 1111)]),
        with_ports(
            pod("c", &[]),
            &[
                ("metrics", Protocol::Tcp, 9090),
                ("http", Protocol::Tcp, 80),
            ],
        ),
        with_ports(pod("a", &[("app", "x")]), &[("http", Protocol::Tcp, 8080)]),
    ]
    .into_iter()
    .map(|e| match e {
        Endpoint::Pod(p) => p,
        Endpoint::Ip(_) | Endpoint::Name { .. } => unreachable!(),
    })
    .collect();
    let matrix = s.matrix(&pods);
    let mut distinct = std::collections::BTreeSet::new();
    for (i, a) in pods.iter().enumerate() {
        for (j, b) in pods.iter().enumerate() {
            let (ea, eb) = (Endpoint::Pod(a.clone()), Endpoint::Pod(b.clone()));
            assert_eq!(*matrix.get(i, j), s.allowed_ports(&ea, &eb), "{i} -> {j}");
            distinct.insert(matrix.get(i, j).to_string());
        }
    }
    assert!(distinct.len() >= 3, "{distinct:?}");
}

#[test]
fn invalid_policies_are_reported_not_panicked() {
    let got = errors(
        "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad, namespace: a}
spec:
  podSelector:
    matchExpressions: [{key: a, operator: Equals, values: [x]}, {key: b, operator: In}]
  policyTypes: [Ingress, Sideways]
  ingress:
  - from:
    - ipBlock: {cidr: 10.0.0.0/33}
    - ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/16, 10.0.0.0/8]}
    - {}
    - ipBlock: {cidr: 10.0.0.0/8}
      podSelector: {}
    ports:
    - {port: 90, endPort: 80}
    - {port: http, endPort: 80}
    - {endPort: 80}
    - {port: 0}
    - {port: 80, protocol: tcp}
    - {port: HTTP}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: nameless}
",
    );
    let expected = [
        "policy `a/bad`: spec.podSelector.matchExpressions[0]: unknown operator `Equals`",
        "policy `a/bad`: spec.podSelector.matchExpressions[1]: operator `In` needs at least one value",
        "policy `a/bad`: spec.policyTypes[1]: unknown policy type `Sideways`",
        "policy `a/bad`: spec.ingress[0].from[0].ipBlock.cidr: `10.0.0.0/33`: an IPv4 prefix length is at most 32",
        "policy `a/bad`: spec.ingress[0].from[1].ipBlock.except[0]: `11.0.0.0/16` is not strictly inside `10.0.0.0/8`",
        "policy `a/bad`: spec.ingress[0].from[1].ipBlock.except[1]: `10.0.0.0/8` is not strictly inside `10.0.0.0/8`",
        "policy `a/bad`: spec.ingress[0].from[2]: a peer needs",
        "policy `a/bad`: spec.ingress[0].from[3]: `ipBlock` cannot be combined",
        "policy `a/bad`: spec.ingress[0].ports[0].endPort: `endPort` 80 must be in 90..=65535",
        "policy `a/bad`: spec.ingress[0].ports[1].endPort: `endPort` cannot be used with a named port",
        "policy `a/bad`: spec.ingress[0].ports[2].endPort: `endPort` needs a numeric `port`",
        "policy `a/bad`: spec.ingress[0].ports[3].port: port `0` is not in 1..=65535",
        "policy `a/bad`: spec.ingress[0].ports[4].protocol: unknown protocol `tcp`",
        "policy `a/bad`: spec.ingress[0].ports[5].port: `HTTP` is not a valid port name",
        "policy `?/nameless`: metadata.namespace: a policy needs a namespace",
    ];
    assert_eq!(got.len(), expected.len(), "{got:#?}");
    for (g, e) in got.iter().zip(expected) {
        assert!(g.starts_with(e), "{g}\n  does not start with\n{e}");
    }
}
