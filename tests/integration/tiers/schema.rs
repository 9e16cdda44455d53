//! The emitted cluster objects are objects the API server accepts: every
//! object of every corpus program and of random tier programs validates
//! against the JSON Schemas made from the CRDs (`tests/data/cluster-policy/`,
//! with Python's `jsonschema` from the test venv), and against the CRDs'
//! CEL rules, checked here. Priorities are unshared within a tier and in
//! the configured range; names are unique, stable and valid.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

use crate::support::npc::root;

/// Compiles a program that must compile.
pub fn compile(name: &str, text: &str) -> npc::Compilation {
    let c = npc::compile_str(name, text);
    assert!(
        !c.has_errors(),
        "{name}:\n{}",
        npc::render::human(&c.diagnostics, &c.sources, false)
    );
    c
}

fn json(c: &npc::Compilation) -> Vec<Value> {
    c.cluster_policies
        .iter()
        .map(|o| o.to_json().unwrap())
        .collect()
}

/// The CEL rules of the CRDs and the rules the API's text states, which
/// JSON Schema cannot: a port range's `start < end`, `isCIDR` on networks
/// (in canonical form: no host bits), no named port beside a `networks`
/// peer; and npc's own: a CIDR holds no other of its list.
pub fn cel_rules(object: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let name = object["metadata"]["name"].as_str().unwrap_or("?");
    for direction in ["ingress", "egress"] {
        for (i, rule) in object["spec"][direction]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let at = format!("{name} spec.{direction}[{i}]");
            let peers = rule["from"]
                .as_array()
                .into_iter()
                .chain(rule["to"].as_array())
                .flatten();
            let mut networks = false;
            for peer in peers {
                if let Some(list) = peer["networks"].as_array() {
                    networks = true;
                    for c in list {
                        let text = c.as_str().unwrap_or("");
                        match npc::k8s::Cidr::parse_strict(text) {
                            Ok(parsed) if parsed.to_string() == text => {}
                            _ => out.push(format!("{at}: `{text}` is not a CIDR")),
                        }
                    }
                }
            }
            let ports = rule["protocols"]
                .as_array()
                .into_iter()
                .chain(rule["ports"].as_array())
                .flatten();
            for p in ports {
                let named = p
                    .get("destinationNamedPort")
                    .or(p.get("namedPort"))
                    .is_some();
                if named && networks {
                    out.push(format!("{at}: a named port beside a `networks` peer"));
                }
                let ranges = ["tcp", "udp", "sctp"]
                    .iter()
                    .map(|k| &p[*k]["destinationPort"]["range"])
                    .chain([&p["portRange"]]);
                for r in ranges {
                    if let (Some(a), Some(b)) = (r["start"].as_i64(), r["end"].as_i64()) {
                        if a >= b {
                            out.push(format!("{at}: range {a}-{b} is not start < end"));
                        }
                    }
                }
            }
        }
    }
    out
}

/// Validates objects against the schema of their kind with `jsonschema`;
/// `false` when the venv is skipped.
pub fn validate(objects: &[Value]) -> bool {
    match schema_check(objects) {
        None => false,
        Some(Ok(())) => true,
        Some(Err(e)) => panic!("cluster objects do not validate:\n{e}"),
    }
}

/// The schema check's verdict; `None` when the venv is skipped.
pub fn schema_check(objects: &[Value]) -> Option<Result<(), String>> {
    let bin = crate::support::nca::venv_bin()?;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("objects.json");
    std::fs::write(&file, serde_json::to_string(objects).unwrap()).unwrap();
    let schemas = root().join("tests/data/cluster-policy");
    let o = Command::new(bin.join("python"))
        .args([
            "-c",
            "import json, sys, os, jsonschema\n\
             d = sys.argv[1]\n\
             kinds = {'ClusterNetworkPolicy': 'clusternetworkpolicy-v1alpha2', 'AdminNetworkPolicy': 'adminnetworkpolicy-v1alpha1', 'BaselineAdminNetworkPolicy': 'baselineadminnetworkpolicy-v1alpha1'}\n\
             schemas = {}\n\
             for k, f in kinds.items():\n\
             \x20   s = json.load(open(os.path.join(d, f + '.schema.json')))\n\
             \x20   jsonschema.Draft7Validator.check_schema(s)\n\
             \x20   schemas[k] = jsonschema.Draft7Validator(s)\n\
             bad = 0\n\
             for o in json.load(open(sys.argv[2])):\n\
             \x20   v = schemas.get(o.get('kind'))\n\
             \x20   if v is None:\n\
             \x20       print(o.get('kind'), 'has no schema'); bad += 1; continue\n\
             \x20   for e in v.iter_errors(o):\n\
             \x20       print(o['metadata'].get('name'), list(e.absolute_path), e.message); bad += 1\n\
             sys.exit(1 if bad else 0)",
        ])
        .arg(&schemas)
        .arg(&file)
        .output()
        .unwrap();
    if o.status.success() {
        Some(Ok(()))
    } else {
        Some(Err(format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )))
    }
}

/// Unshared priorities per tier, within the range; names valid and unique.
pub fn priorities_and_names(c: &npc::Compilation) -> Vec<String> {
    let program = c.program.as_ref().unwrap();
    let (first, last) = program.settings.cluster_policy_priorities;
    let mut out = Vec::new();
    let mut seen: BTreeMap<&str, BTreeSet<i32>> = BTreeMap::new();
    let mut names = BTreeSet::new();
    for o in &c.cluster_policies {
        let tier = match o.tier().unwrap() {
            npc::ir::Tier::Admin => "admin",
            npc::ir::Tier::Baseline => "baseline",
        };
        if o.kind() != "BaselineAdminNetworkPolicy" {
            let p = o.priority();
            if p < i32::from(first) || p > i32::from(last) {
                out.push(format!("{}: priority {p} outside {first}-{last}", o.name()));
            }
            if !seen.entry(tier).or_default().insert(p) {
                out.push(format!("{}: priority {p} shared in {tier}", o.name()));
            }
        }
        if npc::k8s::names::policy_name(o.name()).is_err() {
            out.push(format!("`{}` is not a valid name", o.name()));
        }
        if !names.insert((o.kind(), o.name().to_string())) {
            out.push(format!("`{}` is given twice", o.name()));
        }
        let labels = &o.metadata().labels;
        if labels
            .as_ref()
            .and_then(|l| l.get("app.kubernetes.io/managed-by"))
            .map(String::as_str)
            != Some("npc")
        {
            out.push(format!("{}: no managed-by label", o.name()));
        }
        if o.metadata()
            .annotations
            .as_ref()
            .and_then(|a| a.get("npc.dev/source"))
            .is_none_or(|s| s.is_empty())
        {
            out.push(format!("{}: no source annotation", o.name()));
        }
    }
    out
}

fn corpus() -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for dir in ["examples", "tests/cases/ok"] {
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "npl") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_emitted_cluster_object_is_valid() {
    let mut objects = Vec::new();
    let mut failures = Vec::new();
    let mut compiled = Vec::new();
    for path in corpus() {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path
            .strip_prefix(root())
            .unwrap_or(&path)
            .display()
            .to_string();
        let c = npc::compile(vec![npc::load::Input {
            name: name.clone(),
            path: Some(path.clone()),
            text,
        }]);
        assert!(!c.has_errors(), "{name}");
        compiled.push((name, c));
    }
    // The contract's random programs that carry tier blocks, the first 60.
    let mut random = 0;
    for seed in 0..1000 {
        if random == 60 {
            break;
        }
        let text = crate::contract::random_program(seed);
        if text.contains("admin {") || text.contains("baseline {") {
            random += 1;
            compiled.push((
                format!("random-{seed}"),
                compile(&format!("random-{seed}.npl"), &text),
            ));
        }
    }
    let with_tiers = compiled
        .iter()
        .filter(|(_, c)| !c.cluster_policies.is_empty())
        .count();
    assert!(with_tiers >= 40, "only {with_tiers} programs with tiers");
    for (name, c) in &compiled {
        for o in json(c) {
            failures.extend(cel_rules(&o).into_iter().map(|f| format!("{name}: {f}")));
            objects.push(o);
        }
        failures.extend(
            priorities_and_names(c)
                .into_iter()
                .map(|f| format!("{name}: {f}")),
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let kinds: BTreeSet<&str> = objects.iter().filter_map(|o| o["kind"].as_str()).collect();
    assert_eq!(kinds.len(), 3, "every kind is checked: {kinds:?}");
    if !validate(&objects) {
        eprintln!("NPC_SKIP_NCA=1: the cluster policy schemas were NOT checked");
    }
}

/// The schema check is not vacuous: it rejects what the API server would.
#[test]
fn the_schemas_reject_what_the_api_rejects() {
    let good = serde_json::json!({
        "apiVersion": "policy.networking.k8s.io/v1alpha2",
        "kind": "ClusterNetworkPolicy",
        "metadata": {"name": "x"},
        "spec": {"tier": "Admin", "priority": 3, "subject": {"namespaces": {}},
                 "egress": [{"action": "Deny", "to": [{"networks": ["10.0.0.0/8"]}]}]}
    });
    let Some(result) = schema_check(std::slice::from_ref(&good)) else {
        return;
    };
    result.unwrap();
    let mutations: Vec<(&str, Mutation)> = vec![
        (
            "priority 1001",
            Box::new(|v| v["spec"]["priority"] = 1001.into()),
        ),
        ("tier", Box::new(|v| v["spec"]["tier"] = "Platform".into())),
        (
            "two subjects",
            Box::new(|v| v["spec"]["subject"]["pods"] = serde_json::json!({"podSelector": {}})),
        ),
        (
            "no peers",
            Box::new(|v| v["spec"]["egress"][0]["to"] = serde_json::json!([])),
        ),
        (
            "action",
            Box::new(|v| v["spec"]["egress"][0]["action"] = "Allow".into()),
        ),
        (
            "26 rules",
            Box::new(|v| {
                let rule = v["spec"]["egress"][0].clone();
                v["spec"]["egress"] = Value::Array(vec![rule; 26]);
            }),
        ),
        (
            "26 networks",
            Box::new(|v| {
                v["spec"]["egress"][0]["to"][0]["networks"] = Value::Array(
                    (0..26)
                        .map(|i| Value::String(format!("10.{i}.0.0/16")))
                        .collect(),
                );
            }),
        ),
        (
            "a namespace",
            Box::new(|v| v["metadata"]["namespace"] = "web".into()),
        ),
        (
            "an unknown field",
            Box::new(|v| v["spec"]["egress"][0]["ports"] = serde_json::json!([])),
        ),
        (
            "port 0",
            Box::new(|v| {
                v["spec"]["egress"][0]["protocols"] =
                    serde_json::json!([{"tcp": {"destinationPort": {"number": 0}}}])
            }),
        ),
        (
            "two protocols in one",
            Box::new(
                |v| v["spec"]["egress"][0]["protocols"] = serde_json::json!([{"tcp": {"destinationPort": {"number": 80}}, "udp": {"destinationPort": {"number": 80}}}]),
            ),
        ),
    ];
    for (what, mutate) in mutations {
        let mut bad = good.clone();
        mutate(&mut bad);
        let result = schema_check(&[bad]).unwrap();
        assert!(result.is_err(), "the schema accepts {what}");
    }
    // CEL rules, checked in Rust.
    let mut range = good.clone();
    range["spec"]["egress"][0]["to"] = serde_json::json!([{"namespaces": {}}]);
    range["spec"]["egress"][0]["protocols"] =
        serde_json::json!([{"tcp": {"destinationPort": {"range": {"start": 80, "end": 80}}}}]);
    assert_eq!(cel_rules(&range).len(), 1);
    let mut named = good.clone();
    named["spec"]["egress"][0]["protocols"] = serde_json::json!([{"destinationNamedPort": "http"}]);
    assert_eq!(cel_rules(&named).len(), 1);
    let mut host = good;
    host["spec"]["egress"][0]["to"][0]["networks"] = serde_json::json!(["10.0.0.1/8"]);
    assert_eq!(cel_rules(&host).len(), 1);
}

/// A change to an object that the schema must refuse.
type Mutation = Box<dyn Fn(&mut Value)>;
