//! Every CiliumNetworkPolicy npc emits is an object the API server accepts:
//! checked against (an excerpt of) Cilium's published CRD schema with
//! Python's `jsonschema` (`tests/data/cilium/`), closed so that an unknown
//! field fails, and for the shapes npc promises (one peer kind per rule, the
//! DNS rule first, names in lower case, the managed-by label and source
//! annotation).

use std::process::Command;

use npc::CiliumNetworkPolicy;
use serde_json::{json, Value};

use crate::support::npc::root;

/// Programs that emit CiliumNetworkPolicies: the corpus's, and every form
/// of a name, a DNS server, ports and sources.
fn programs() -> Vec<npc::load::Input> {
    let mut out = Vec::new();
    for dir in ["examples", "tests/cases/ok"] {
        let mut paths: Vec<_> = std::fs::read_dir(root().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "npl"))
            .collect();
        paths.sort();
        for p in paths {
            out.push(npc::load::Input {
                name: p.display().to_string(),
                text: std::fs::read_to_string(&p).unwrap(),
                path: Some(p),
            });
        }
    }
    let forms = [
        // Every port form toward names, many ports (split at 40 per entry).
        "set cni = cilium\nnamespace a\nallow a/x -> api.example.com:{1-100, 8443/udp, 9000/sctp, 53/any}, *.example.net, b.example.org:{1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31, 33, 35, 37, 39, 41, 43, 45, 47, 49, 51, 53, 55, 57, 59, 61, 63, 65, 67, 69, 71, 73, 75, 77, 79, 81, 83}",
        // DNS servers of every form: IPv4 and IPv6 addresses with except,
        // label sets with every operator, every namespace form.
        "set cni = cilium\ndns 10.0.0.0/8 except 10.1.0.0/16, [fd00::/64], kube-system/{k8s-app=kube-dns}, */{dns in (a, b), !legacy, tier notin (x), zone}, {team=ops, env!=prod}/*, cluster\nnamespace a\nallow a/{tier=web, role in (a, b)} -> API.Example.COM.:443",
        // Label-set sources over several namespaces, a prefix, a long
        // workload name.
        "set cni = cilium\nset name-prefix = team-a-\nnamespace a labels {t=1}\nnamespace b labels {t=1}\nallow {t=1}/a-very-long-workload-name-that-goes-on-and-on-for-a-while -> x.y.z.example.com\nallow */* -> *.svc.example.com:443",
        // A workload label with a prefix.
        "set cni = cilium\nset workload-label = app.kubernetes.io/name\nnamespace a\nallow a/api -> api.stripe.com:443",
    ];
    for (i, text) in forms.iter().enumerate() {
        out.push(npc::load::Input::from_str(format!("form-{i}.npl"), *text));
    }
    out
}

/// The CiliumNetworkPolicies of every program, as JSON, with where they
/// came from.
fn emitted() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for input in programs() {
        let name = input.name.clone();
        let c = npc::compile(vec![input]);
        assert!(
            !c.has_errors(),
            "{name}: {}",
            npc::render::human(&c.diagnostics, &c.sources, false)
        );
        for p in &c.cilium {
            out.push((
                format!("{name}: {}/{}", p.namespace(), p.name()),
                serde_json::to_value(p).unwrap(),
            ));
        }
        // The JSON `List` holds the same objects.
        let list: Value = serde_json::from_str(
            &npc::emit::output::render_all(
                &[],
                &c.policies,
                &c.cilium,
                npc::emit::output::Format::Json,
            )
            .unwrap(),
        )
        .unwrap();
        let items: Vec<&Value> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["kind"] == "CiliumNetworkPolicy")
            .collect();
        assert_eq!(items.len(), c.cilium.len(), "{name}");
        // The YAML reads back as the same objects.
        let yaml = npc::emit::output::to_yaml_with_cilium(&[], &c.cilium).unwrap();
        for (doc, p) in yaml.split("\n---\n").zip(&c.cilium) {
            let back: CiliumNetworkPolicy = serde_yaml::from_str(doc).unwrap();
            assert_eq!(&back, p, "{name}");
        }
    }
    assert!(
        out.len() >= 10,
        "too few CiliumNetworkPolicies: {}",
        out.len()
    );
    out
}

/// Validates objects against the schema, closed; the errors per object.
fn validate(objects: &[Value]) -> Option<Vec<Vec<String>>> {
    let Some(bin) = crate::support::nca::venv_bin() else {
        eprintln!("cilium_schema: the venv is skipped (NPC_SKIP_NCA): schema not checked");
        return None;
    };
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("objects.json");
    std::fs::write(&file, serde_json::to_string(objects).unwrap()).unwrap();
    let schema = root().join("tests/data/cilium/ciliumnetworkpolicy-v2.schema.json");
    let o = Command::new(bin.join("python"))
        .args([
            "-c",
            r#"
import ipaddress, json, sys, jsonschema

def close(node):
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node and node.get("type") == "object":
            node["additionalProperties"] = False
        for v in node.values():
            close(v)
    elif isinstance(node, list):
        for v in node:
            close(v)

schema = json.load(open(sys.argv[1]))
close(schema)
checker = jsonschema.FormatChecker()

@checker.checks("cidr", raises=ValueError)
def cidr(text):
    if "/" not in text:
        raise ValueError("no prefix length")
    ipaddress.ip_network(text, strict=False)
    return True

validator = jsonschema.Draft7Validator(schema, format_checker=checker)
out = []
for obj in json.load(open(sys.argv[2])):
    out.append(["%s: %s" % ("/".join(map(str, e.absolute_path)), e.message) for e in validator.iter_errors(obj)])
print(json.dumps(out))
"#,
        ])
        .arg(&schema)
        .arg(&file)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    Some(serde_json::from_slice(&o.stdout).unwrap())
}

#[test]
fn emitted_cilium_policies_validate_against_the_crd_schema() {
    let objects = emitted();
    let values: Vec<Value> = objects.iter().map(|(_, v)| v.clone()).collect();
    let Some(results) = validate(&values) else {
        return;
    };
    let failures: Vec<String> = objects
        .iter()
        .zip(&results)
        .filter(|(_, errors)| !errors.is_empty())
        .map(|((name, _), errors)| format!("{name}:\n  {}", errors.join("\n  ")))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The check fails on what the API server would refuse or prune: it is no
/// check that cannot fail.
#[test]
fn the_schema_check_catches_wrong_fields_and_values() {
    let (_, good) = emitted().into_iter().next().unwrap();
    let mut wrong = Vec::new();
    let mut variant = |f: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        f(&mut v);
        wrong.push(v);
    };
    variant(&|v| {
        let rules = v["spec"]["egress"].as_array_mut().unwrap();
        let last = rules.last_mut().unwrap();
        let fqdns = last.as_object_mut().unwrap().remove("toFQDNs").unwrap();
        last["toFqdns"] = fqdns;
    });
    variant(&|v| v["spec"]["egress"][0]["toPorts"][0]["ports"][0]["protocol"] = json!("udp"));
    variant(&|v| v["spec"]["egress"][0]["toPorts"][0]["ports"][0]["port"] = json!(53));
    variant(&|v| {
        let last = v["spec"]["egress"]
            .as_array_mut()
            .unwrap()
            .last_mut()
            .unwrap();
        last["toFQDNs"][0] = json!({"matchName": "a.com", "matchPattern": "*.a.com"});
    });
    variant(&|v| {
        let last = v["spec"]["egress"]
            .as_array_mut()
            .unwrap()
            .last_mut()
            .unwrap();
        last["toFQDNs"][0] = json!({"matchName": "https://a.com/"});
    });
    variant(&|v| v["spec"]["egress"][0]["toPorts"][0]["rules"] = json!({"dns": [{}]}));
    variant(&|v| {
        v["spec"]
            .as_object_mut()
            .unwrap()
            .remove("endpointSelector");
    });
    variant(&|v| v["spec"]["egress"] = json!([{"toCIDRSet": [{"cidr": "10.0.0.1"}]}]));
    let Some(results) = validate(&wrong) else {
        return;
    };
    for (i, errors) in results.iter().enumerate() {
        assert!(!errors.is_empty(), "variant {i} passed the schema check");
    }
}

/// What npc promises beyond the schema.
#[test]
fn emitted_cilium_policies_have_the_promised_shape() {
    for (name, v) in emitted() {
        assert_eq!(v["apiVersion"], "cilium.io/v2", "{name}");
        assert_eq!(v["kind"], "CiliumNetworkPolicy", "{name}");
        let meta = &v["metadata"];
        assert_eq!(
            meta["labels"]["app.kubernetes.io/managed-by"], "npc",
            "{name}"
        );
        assert!(meta["annotations"]["npc.dev/source"].is_string(), "{name}");
        let policy_name = meta["name"].as_str().unwrap();
        assert!(npc::k8s::names::policy_name(policy_name).is_ok(), "{name}");
        let rules = v["spec"]["egress"].as_array().unwrap();
        let mut dns = 0;
        let mut names = 0;
        for (i, rule) in rules.iter().enumerate() {
            let peers: Vec<&str> = ["toEndpoints", "toCIDRSet", "toFQDNs"]
                .into_iter()
                .filter(|k| rule.get(*k).is_some())
                .collect();
            assert_eq!(peers.len(), 1, "{name}: rule {i} has {peers:?}");
            if peers[0] == "toFQDNs" {
                names += 1;
                for f in rule["toFQDNs"].as_array().unwrap() {
                    let text = f["matchName"].as_str().or(f["matchPattern"].as_str());
                    let text = text.unwrap();
                    assert_eq!(text, text.to_ascii_lowercase(), "{name}");
                    assert!(!text.ends_with('.'), "{name}");
                }
                continue;
            }
            // Every rule before the names is the DNS rule, on 53 UDP and TCP.
            assert_eq!(names, 0, "{name}: a DNS rule after the names");
            dns += 1;
            assert_eq!(
                rule["toPorts"],
                json!([{"ports": [{"port": "53", "protocol": "UDP"}, {"port": "53", "protocol": "TCP"}],
                        "rules": {"dns": [{"matchPattern": "*"}]}}]),
                "{name}"
            );
        }
        assert!(dns >= 1, "{name}: no DNS rule");
        assert!(names >= 1, "{name}: no names");
    }
}
