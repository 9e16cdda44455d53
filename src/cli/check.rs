//! `npc check`: compile, verify every `expect` line, and optionally check
//! the program against a cluster inventory; prints no policies.

use std::path::PathBuf;

use clap::Args;

use super::{print, read_inputs, DiagnosticArgs, Exit, Outcome, Reporter, Stop};

pub const AFTER_HELP: &str = "\
Examples:
  npc check policies.npl
  kubectl get namespaces,pods -A -o yaml > cluster.yaml
  npc check policies.npl --inventory cluster.yaml

Every `expect` line is checked between representative endpoints (see
docs/verify.md). With --inventory it is also checked between every pair of
real pods its endpoints match, and selectors are checked against the pods:
W006 an endpoint matches no pod, W007 namespace labels differ from the
declaration, W008 a pod uses the host network, W009 a named port is declared
by no destination pod.

Exit codes:
  0  every expectation holds (warnings may have been printed)
  1  the program has errors or an expectation fails
  2  usage or I/O error, or a malformed inventory";

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// NPL files or directories to compile together as one program (`-` reads stdin)
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// A cluster inventory: the output of `kubectl get namespaces,pods -A -o yaml`
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,
    #[command(flatten)]
    pub diagnostics: DiagnosticArgs,
}

pub fn run(args: &CheckArgs, reporter: &mut Reporter) -> Outcome {
    let inputs = read_inputs(&args.files, reporter)?;
    let inventory = super::load_inventory(args.inventory.as_deref())?;
    let compilation = crate::compile(inputs);
    let mut diags = compilation.diagnostics.clone();
    if let (Some(inv), Some(program), false) =
        (&inventory, &compilation.program, compilation.has_errors())
    {
        let found = crate::verify::cluster::check_with(
            program,
            &compilation.policies,
            &compilation.cluster_policies,
            &compilation.cilium,
            &compilation.provenance,
            &compilation.sources,
            inv,
        );
        diags.extend(found);
        diags.sort_by_key(|d| (d.span.file, d.span.start(), d.severity()));
    }
    if reporter.diagnostics(&diags, &compilation.sources) {
        return Err(Stop::Exit(Exit::Failed));
    }
    let expectations = compilation
        .program
        .as_ref()
        .map_or(0, |p| p.expectations.len());
    let mut summary = format!(
        "{expectations} {} {}, {} {}",
        if expectations == 1 {
            "expectation"
        } else {
            "expectations"
        },
        if expectations == 1 { "holds" } else { "hold" },
        compilation.policies.len(),
        if compilation.policies.len() == 1 {
            "policy"
        } else {
            "policies"
        },
    );
    let cluster = compilation.cluster_policies.len();
    if cluster > 0 {
        summary.push_str(&format!(
            ", {cluster} cluster {}",
            if cluster == 1 { "policy" } else { "policies" }
        ));
    }
    if let Some(inv) = &inventory {
        summary.push_str(&format!(
            ", checked against {} pods in {} namespaces",
            inv.pods.len(),
            inv.namespaces.len()
        ));
    }
    print(&format!("{summary}\n"))?;
    Ok(Exit::Ok)
}
