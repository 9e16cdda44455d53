//! npc as a KRM function: reads a `ResourceList`, appends the generated
//! NetworkPolicies to `items` and reports diagnostics as `results`.

use std::path::Path;

use serde_yaml::{Mapping, Value};

use super::config::GeneratorConfig;
use super::{generate, traps};
use crate::diagnostic::{Diagnostic, Severity};
use crate::error::Error;
use crate::source::SourceMap;

/// The annotation that ties an item to the generator that made it, so a
/// re-run (`kpt fn render` writes its output back) replaces earlier output.
pub const GENERATOR_ANNOTATION: &str = "npc.dev/generator";

const PATH_ANNOTATIONS: [&str; 2] = [
    "internal.config.kubernetes.io/path",
    "config.kubernetes.io/path",
];

/// The outcome of one function run.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The `ResourceList` to print on stdout, or `None` when the input was
    /// not one (`errors` says why).
    pub output: Option<String>,
    /// The program's diagnostics and their sources, for people on stderr
    /// (they are also `results` of the ResourceList).
    pub diagnostics: Vec<Diagnostic>,
    pub sources: SourceMap,
    /// Configuration errors and kustomization traps, for stderr (also results).
    pub errors: Vec<Error>,
    /// Whether an error was reported (exit 1).
    pub failed: bool,
}

/// Runs the function on `input`; `root` is the directory `spec.sources` are
/// relative to. `deny_warnings` fails the run on warnings, as
/// `spec.warningsAsErrors` does.
pub fn run(input: &str, root: &Path, deny_warnings: bool) -> Outcome {
    let (mut list, items) = match parse_list(input) {
        Ok(parsed) => parsed,
        Err(e) => {
            return Outcome {
                errors: vec![e],
                failed: true,
                ..Outcome::default()
            }
        }
    };
    let mut out = Outcome::default();
    let mut results = Vec::new();
    let fn_config = list.get("functionConfig").cloned().unwrap_or(Value::Null);
    let mut new_items = None;
    match GeneratorConfig::from_value(&fn_config).and_then(|c| {
        let g = generate(&c, root)?;
        Ok((c, g))
    }) {
        Err(e) => {
            results.push(error_result(&e));
            out.errors.push(e);
            out.failed = true;
        }
        Ok((config, generated)) => {
            let c = generated.compilation;
            let deny = deny_warnings || config.warnings_as_errors;
            for d in &c.diagnostics {
                results.push(diagnostic_result(d, &c.sources, deny));
            }
            let mut failed = c.has_errors() || (deny && !c.diagnostics.is_empty());
            if !failed {
                for item in &items {
                    if item.get("kind").and_then(Value::as_str) != Some("Kustomization") {
                        continue;
                    }
                    let file = item_path(item).unwrap_or_else(|| "Kustomization".to_string());
                    let mut found = traps::check_with_cilium(
                        item,
                        &file,
                        &generated.policies,
                        &generated.cilium,
                        config.selector_form,
                    )
                    .unwrap_or_else(|e| vec![e]);
                    found.extend(
                        traps::check_cluster(item, &file, &generated.cluster)
                            .unwrap_or_else(|e| vec![e]),
                    );
                    for e in found {
                        results.push(error_result(&e));
                        out.errors.push(e);
                        failed = true;
                    }
                }
            }
            if !failed {
                match cluster_items(&generated.cluster, &config.name).and_then(|mut items| {
                    items.extend(policy_items(
                        &generated.policies,
                        &generated.cilium,
                        &config.name,
                    )?);
                    Ok(items)
                }) {
                    Ok(policies) => new_items = Some((config.name.clone(), policies)),
                    Err(e) => {
                        results.push(error_result(&e));
                        out.errors.push(e);
                        failed = true;
                    }
                }
            }
            out.diagnostics = c.diagnostics;
            out.sources = c.sources;
            out.failed = failed;
        }
    }
    let items = match new_items {
        None => items,
        Some((name, policies)) => items
            .into_iter()
            .filter(|i| !made_by(i, &name))
            .chain(policies)
            .collect(),
    };
    list.insert("items".into(), Value::Sequence(items));
    if results.is_empty() {
        list.remove("results");
    } else {
        list.insert("results".into(), Value::Sequence(results));
    }
    // Written value by value: items npc does not generate keep their
    // content exactly; only the quoting of their scalars may change.
    let list = Value::Mapping(list);
    out.output = Some(crate::k8s::yaml::to_string(
        &crate::k8s::yaml::Node::from_yaml(&list),
    ));
    out
}

/// The ResourceList on stdin and its items.
fn parse_list(input: &str) -> Result<(Mapping, Vec<Value>), Error> {
    let help = "run npc as a KRM function (`kpt fn eval --exec`, or a kustomize `generators:` entry with a `config.kubernetes.io/function` annotation); to render a generator config yourself, use `npc kustomize generate CONFIG`";
    let value = super::read_one_document(input, "<stdin>").map_err(|e| e.with_help(help))?;
    let Value::Mapping(map) = value else {
        return Err(Error::config("standard input is not a ResourceList").with_help(help));
    };
    if map.get("kind").and_then(Value::as_str) != Some("ResourceList") {
        return Err(Error::config(format!(
            "standard input is a `{}`, not a `ResourceList`",
            map.get("kind")
                .and_then(Value::as_str)
                .unwrap_or("<no kind>")
        ))
        .with_help(help));
    }
    let items = match map.get("items") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Sequence(items)) => items.clone(),
        Some(_) => return Err(Error::config("the ResourceList's `items` is not a list")
            .with_help(
                "`items` holds the resources as a YAML sequence (`items: []` when there are none)",
            )),
    };
    Ok((map, items))
}

/// The generated policies as items, each marked with its generator.
fn policy_items(
    policies: &[k8s_openapi::api::networking::v1::NetworkPolicy],
    cilium: &[crate::CiliumNetworkPolicy],
    name: &str,
) -> Result<Vec<Value>, Error> {
    let serialize = |e: serde_yaml::Error| Error::io(format!("cannot serialize the policies: {e}"));
    let mark = |meta: &mut k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta| {
        meta.annotations
            .get_or_insert_with(Default::default)
            .insert(GENERATOR_ANNOTATION.to_string(), name.to_string());
    };
    crate::emit::output::objects(policies, cilium)
        .into_iter()
        .map(|object| match object {
            crate::emit::output::Object::NetworkPolicy(p) => {
                let mut p = p.clone();
                mark(&mut p.metadata);
                serde_yaml::to_value(&p).map_err(serialize)
            }
            crate::emit::output::Object::Cilium(p) => {
                let mut p = p.clone();
                mark(&mut p.metadata);
                serde_yaml::to_value(&p).map_err(serialize)
            }
        })
        .collect()
}

/// The cluster-scoped objects as items, each marked with its generator.
fn cluster_items(
    objects: &[crate::k8s::cluster_policy::ClusterObject],
    name: &str,
) -> Result<Vec<Value>, Error> {
    objects
        .iter()
        .map(|o| {
            let mut value = o
                .to_json()
                .map_err(|e| Error::io(format!("cannot serialize the policies: {e}")))?;
            if let Some(meta) = value.get_mut("metadata").and_then(|m| m.as_object_mut()) {
                let annotations = meta
                    .entry("annotations")
                    .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
                if let Some(map) = annotations.as_object_mut() {
                    map.insert(
                        GENERATOR_ANNOTATION.to_string(),
                        serde_json::Value::String(name.to_string()),
                    );
                }
            }
            serde_yaml::to_value(&value)
                .map_err(|e| Error::io(format!("cannot serialize the policies: {e}")))
        })
        .collect()
}

fn annotation<'a>(item: &'a Value, key: &str) -> Option<&'a str> {
    item.get("metadata")?.get("annotations")?.get(key)?.as_str()
}

/// Whether `item` is an earlier output of the generator `name`.
fn made_by(item: &Value, name: &str) -> bool {
    let kind = item.get("kind").and_then(Value::as_str);
    (kind == Some(crate::k8s::NETWORK_POLICY_KIND) || kind == Some(crate::k8s::cilium::KIND))
        && annotation(item, GENERATOR_ANNOTATION) == Some(name)
}

fn item_path(item: &Value) -> Option<String> {
    PATH_ANNOTATIONS
        .iter()
        .find_map(|k| annotation(item, k))
        .map(str::to_string)
}

fn mapping(entries: Vec<(&str, Value)>) -> Value {
    Value::Mapping(
        entries
            .into_iter()
            .map(|(k, v)| (Value::String(k.to_string()), v))
            .collect(),
    )
}

fn error_result(e: &Error) -> Value {
    let mut message = e.message.clone();
    if let Some(help) = &e.help {
        message.push_str(&format!(" (help: {help})"));
    }
    let mut entries = vec![
        ("message", Value::String(message)),
        ("severity", Value::String("error".into())),
    ];
    if let Some(location) = &e.location {
        entries.push((
            "file",
            mapping(vec![("path", Value::String(location.file.clone()))]),
        ));
    }
    mapping(entries)
}

/// A diagnostic as a KRM result. The spec's `file.index` counts objects in a
/// YAML file, not lines, so the line and column go into the message and `tags`.
fn diagnostic_result(d: &Diagnostic, sources: &SourceMap, deny_warnings: bool) -> Value {
    let file = sources.get(d.span.file);
    let name = file.map_or_else(|| "<unknown>".to_string(), |f| f.name.clone());
    let (line, column) = file.map_or((0, 0), |f| {
        (f.line_of(d.span.start()), f.column_of(d.span.start()))
    });
    let severity = match d.severity() {
        Severity::Error => "error",
        Severity::Warning if deny_warnings => "error",
        Severity::Warning => "warning",
    };
    let mut message = format!("{name}:{line}:{column}: {}: {}", d.code.id, d.message);
    if let Some(help) = &d.help {
        message.push_str(&format!(" (help: {help})"));
    }
    mapping(vec![
        ("message", Value::String(message)),
        ("severity", Value::String(severity.into())),
        ("file", mapping(vec![("path", Value::String(name))])),
        (
            "tags",
            mapping(vec![
                ("code", Value::String(d.code.id.into())),
                ("line", Value::String(line.to_string())),
                ("column", Value::String(column.to_string())),
            ]),
        ),
    ])
}
