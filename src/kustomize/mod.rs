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

use std::fmt;
use std::path::Path;

use k8s_openapi::api::networking::v1::NetworkPolicy;

use crate::Compilation;
use config::GeneratorConfig;

/// A problem outside NPL source text (configuration, paths, kustomization
/// settings), with the fix in `help`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub help: Option<String>,
    /// The file the problem is about, when there is one.
    pub file: Option<String>,
}

impl Problem {
    pub fn new(message: impl Into<String>) -> Self {
        Problem {
            message: message.into(),
            help: None,
            file: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  = help: {help}")?;
        }
        Ok(())
    }
}

/// What one generator run produced.
#[derive(Debug)]
pub struct Generated {
    /// Sources and diagnostics; `policies` here are as `npc build` prints them.
    pub compilation: Compilation,
    /// The policies to hand to kustomize, in the configured selector form.
    /// Empty when the compilation failed.
    pub policies: Vec<NetworkPolicy>,
}

/// Reads the sources of `config` below `root` and compiles them.
pub fn generate(config: &GeneratorConfig, root: &Path) -> Result<Generated, Problem> {
    let inputs = sources::inputs(config, root)?;
    let compilation = crate::compile(inputs);
    let mut policies = compilation.policies.clone();
    selectors::apply(&mut policies, config.selector_form);
    Ok(Generated {
        compilation,
        policies,
    })
}
