//! Kustomize and KRM integration: npc as a `NetworkPolicyGenerator` exec
//! plugin (`generate`) and as a KRM function over a `ResourceList` (`krm`).
//!
//! ```text
//!  generator config ──config──▶ GeneratorConfig ──sources──▶ Inputs ──compile──▶ policies
//!        ──selector form──▶ policies ──traps (kustomization checks)──▶ YAML / ResourceList
//! ```

pub mod config;
pub mod krm;
pub mod selectors;
pub mod sources;
pub mod traps;

use std::path::Path;

use k8s_openapi::api::networking::v1::NetworkPolicy;

use crate::error::Error;
use crate::k8s::cluster_policy::ClusterObject;
use crate::Compilation;
use config::GeneratorConfig;

/// Reads YAML text that must hold one object (a generator config, a
/// kustomization, a ResourceList) the way Kubernetes tools read it: merge
/// keys resolved, a byte-order mark skipped, nesting bounded. A duplicate
/// key, a second document or invalid YAML is an error naming `file` (empty
/// documents around the one object are fine).
pub fn read_one_document(text: &str, file: &str) -> Result<serde_yaml::Value, Error> {
    let documents = crate::k8s::yaml::parse_documents(text).map_err(|e| {
        Error::config(format!("`{file}` is not valid YAML: {}", e.message))
            .at(file, e.line, e.column)
    })?;
    let mut objects = documents.into_iter().filter(|d| !d.is_null());
    let first = objects.next().unwrap_or(serde_yaml::Value::Null);
    if objects.next().is_some() {
        return Err(
            Error::config(format!("`{file}` holds more than one YAML document"))
                .in_file(file)
                .with_help("keep one object in the file; remove the documents after `---`"),
        );
    }
    Ok(first)
}

/// What one generator run produced.
#[derive(Debug)]
pub struct Generated {
    /// Sources and diagnostics; `policies` here are as `npc build` prints them.
    pub compilation: Compilation,
    /// The policies to hand to kustomize, in the configured selector form.
    /// Empty when the compilation failed.
    pub policies: Vec<NetworkPolicy>,
    /// The cluster-scoped objects of the tier blocks, handed over before
    /// the policies (kustomize leaves their selectors alone: it does not
    /// know the kinds). Empty when the compilation failed.
    pub cluster: Vec<ClusterObject>,
    /// The CiliumNetworkPolicies of DNS names (`set cni = cilium`), as
    /// written: kustomize knows no selector fields of this kind, so the
    /// selector form leaves them alone.
    pub cilium: Vec<crate::CiliumNetworkPolicy>,
}

/// Reads the sources of `config` below `root` and compiles them.
pub fn generate(config: &GeneratorConfig, root: &Path) -> Result<Generated, Error> {
    let inputs = sources::inputs(config, root)?;
    let compilation = crate::compile(inputs);
    let mut policies = compilation.policies.clone();
    selectors::apply(&mut policies, config.selector_form);
    let cluster = compilation.cluster_policies.clone();
    let cilium = compilation.cilium.clone();
    Ok(Generated {
        compilation,
        policies,
        cluster,
        cilium,
    })
}
