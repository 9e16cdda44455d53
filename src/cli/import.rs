//! `npc import`: existing NetworkPolicies → an NPL program, proven equivalent.

use std::path::{Path, PathBuf};

use clap::Args;

use super::analyze::{read, ManifestArgs};
use super::flags::{self, OUT_FILE_HELP};
use super::{DiagnosticArgs, Exit, Outcome, Reporter, Stop};
use crate::diagnostic::{codes, Code, Diagnostic, Severity};
use crate::error::{Error, ErrorKind};
use crate::files;
use crate::import::{self, thousands, Import, ImportError, Settings};
use crate::manifest::Manifests;

pub const AFTER_HELP: &str = "\
Examples:
  npc import deploy/ --out-file policies.npl                   # a directory of manifests
  kubectl get netpol,ns,deploy,sts,ds -A -o yaml | npc import - --out-file policies.npl
  npc import deploy/ --out-file policies.npl --keep-unconvertible unconverted.yaml
  npc build policies.npl > policies.yaml               # then review and diff

Each namespace with policies becomes a managed `namespace` with the
isolation its policies give it, each rule an `allow` with a `# from
ns/policy` comment, and the usual DNS rule the DNS carve-out. The program
is then compiled and compared with the input by the evaluator, port by
port, over the input's workloads and a representative pod or address of
every region the selectors and ipBlocks tell apart; it is written only if
the two allow exactly the same flows (`equivalent: N workloads, M flows
checked` on stderr). A namespace NPL cannot express exactly (E104: pods
isolated while the rest of the namespace is not, a rule whose other side is
isolated and does not admit it, ...) is named with the flows that differ;
with --keep-unconvertible its policies are left out of the program and
written unchanged to that file, and the check covers the program and the
kept policies together.

Named ports: a rule on one side that names a port (`grpc`) and a rule on
the other side that numbers it (`7070`) agree only for pods that declare
`grpc` as 7070. By default the check also tries pods with the workload's
labels that declare other ports, and such a namespace is unconvertible;
--assume-workload-ports proves the program for the input's own pods
(every pod labelled like a workload declares that workload's ports). See
docs/import.md.

Exit codes:
  0  the program (and the kept policies) were written, proven equivalent
  1  a namespace cannot be expressed exactly and --keep-unconvertible was not
     given, a manifest is malformed, or the check is too large (nothing written)
  2  usage or I/O error";

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Manifest files or directories; `-` reads stdin
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_name = "FILE", help = OUT_FILE_HELP)]
    pub out_file: Option<PathBuf>,
    #[arg(
        short = 'o',
        long = "output",
        value_name = "FILE",
        hide = true,
        help = "deprecated: use --out-file",
        conflicts_with = "out_file"
    )]
    pub output: Option<PathBuf>,
    /// Write the policies NPL cannot express unchanged to FILE (or
    /// DIR/unconvertible.yaml) and leave them out of the program
    #[arg(long, value_name = "FILE|DIR")]
    pub keep_unconvertible: Option<PathBuf>,
    /// The label `ns/name` endpoints stand for
    #[arg(long, value_name = "KEY", default_value = "app")]
    pub workload_label: String,
    /// Prove equivalence assuming every pod labelled like a workload of the
    /// input declares that workload's container ports (named ports)
    #[arg(long)]
    pub assume_workload_ports: bool,
    #[command(flatten)]
    pub input: ManifestArgs,
    #[command(flatten)]
    pub diagnostics: DiagnosticArgs,
}

/// One E104 per namespace left unconverted; `ported`: the namespaces that
/// would convert if pods labelled like a workload declared its ports.
fn unconvertible(
    imported: &Import,
    manifests: &Manifests,
    keep: bool,
    ported: &std::collections::BTreeSet<String>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for u in &imported.unconvertible {
        let Some(first) = u.policies.first().map(|i| &manifests.policies[*i]) else {
            continue;
        };
        let names: Vec<String> = u
            .policies
            .iter()
            .map(|i| format!("`{}`", manifests.policies[*i].name()))
            .collect();
        let mut d = Diagnostic::new(
            codes::UNCONVERTIBLE,
            first.origin.span,
            format!(
                "the policies of namespace `{}` cannot be written in NPL exactly",
                u.namespace
            ),
        )
        .with_primary(if names.len() == 1 {
            "its only policy".to_string()
        } else {
            format!("one of its {} policies: {}", names.len(), names.join(", "))
        });
        for i in u.policies.iter().skip(1) {
            let p = &manifests.policies[*i];
            d = d.with_secondary(p.origin.span, format!("`{}`", p.key()));
        }
        let assumable = ported.contains(&u.namespace);
        if assumable {
            // The blame of the rounds that follow is beside the point.
            d = d.with_note(
                "a rule names a container port that the rule on the other side gives by number: the two agree only for pods that declare that name at that number, and the check also tries pods with the same labels that declare other ports",
            );
        }
        let reasons = if assumable { &[][..] } else { &u.reasons[..] };
        let mut said = std::collections::BTreeSet::new();
        for r in reasons.iter().filter(|r| said.insert(r.as_str())) {
            d = d.with_note(r.clone());
        }
        let differences = if assumable {
            &[][..]
        } else {
            &u.differences[..]
        };
        for f in differences {
            d = d.with_note(format!(
                "{} -> {}: the input allows {}, the program would allow {}",
                f.src, f.dst, f.input, f.program
            ));
        }
        d = if keep {
            let mut d = d.with_help(
                "these policies are written unchanged beside the program (--keep-unconvertible)",
            );
            d.code = Code {
                severity: Severity::Warning,
                ..d.code
            };
            d
        } else if assumable {
            d.with_help(
                "pass `--assume-workload-ports` to prove the program for pods that declare their workload's container ports (every pod of the input does), or `--keep-unconvertible FILE` to keep these policies as they are (docs/import.md)",
            )
        } else {
            d.with_help(
                "pass `--keep-unconvertible FILE` to keep these policies as they are beside the program (docs/import.md)",
            )
        };
        out.push(d);
    }
    out
}

/// The file the kept policies go to.
fn kept_path(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join("unconvertible.yaml")
    } else {
        path.to_path_buf()
    }
}

/// The kept policies as multi-document YAML.
fn kept_yaml(imported: &Import) -> Result<String, Stop> {
    let mut docs = Vec::new();
    for p in &imported.kept {
        // As written, less what the API server fills in (a dump's
        // `resourceVersion` would make a later apply conflict).
        let mut p = p.clone();
        let m = &mut p.metadata;
        m.uid = None;
        m.resource_version = None;
        m.generation = None;
        m.creation_timestamp = None;
        m.managed_fields = None;
        m.self_link = None;
        if let Some(a) = m.annotations.as_mut() {
            a.remove("kubectl.kubernetes.io/last-applied-configuration");
            if a.is_empty() {
                m.annotations = None;
            }
        }
        let value = serde_json::to_value(&p)
            .map_err(|e| Stop::Error(Error::config(format!("cannot write a policy: {e}"))))?;
        docs.push(crate::k8s::yaml::to_string(
            &crate::k8s::yaml::Node::from_json(&value),
        ));
    }
    Ok(docs.join("---\n"))
}

/// One E105 per cluster policy and CiliumNetworkPolicy of the input:
/// import writes neither `admin` and `baseline` blocks nor names.
fn cluster_policies_refused(manifests: &Manifests) -> Vec<Diagnostic> {
    let cilium = manifests.cilium.iter().map(|p| {
        Diagnostic::new(
            codes::UNREAD_POLICY_KIND,
            p.origin.span,
            format!(
                "CiliumNetworkPolicy `{}` is not imported: a program without it would not be equivalent",
                crate::k8s::escape_controls(&p.key())
            ),
        )
        .with_primary("not imported")
        .with_note("`npc import` writes namespace blocks from NetworkPolicies; Cilium enforces its policies together with them, so the proof of equivalence would ignore what they allow")
        .with_help("import the NetworkPolicies without Cilium's policies and write egress to names as `allow` statements with `set cni = cilium`; `npc analyze` reads both together")
    });
    let cluster = manifests
        .cluster
        .iter()
        .map(|p| {
            Diagnostic::new(
                codes::UNREAD_POLICY_KIND,
                p.origin.span,
                format!(
                    "{} `{}` is not imported: a program without it would not be equivalent",
                    p.object.kind(),
                    crate::k8s::escape_controls(p.object.name())
                ),
            )
            .with_primary("not imported")
            .with_note("`npc import` writes namespace blocks from NetworkPolicies; cluster policies decide before them (admin tier) and after them (baseline tier), so the proof of equivalence would ignore what they allow or deny")
            .with_help("import the NetworkPolicies without the cluster policies (a file or directory of their own) and write the cluster policies as `admin` and `baseline` blocks by hand; `npc analyze` reads both together")
        });
    cluster.chain(cilium).collect()
}

pub fn run(args: &ImportArgs, reporter: &mut Reporter) -> Outcome {
    if let Some(path) = &args.output {
        flags::deprecated(
            reporter,
            "`-o FILE` in `npc import`",
            &format!("`--out-file {}`", path.display()),
        );
    }
    crate::k8s::names::label_key(&args.workload_label).map_err(|why| {
        Error::usage(format!("`--workload-label {}`: {why}", args.workload_label))
            .with_help("give a label key such as `app` or `app.kubernetes.io/name`")
    })?;
    // Field positions: E104 points at each policy's name.
    let loaded = read(&args.paths, &args.input, true, reporter)?;
    let manifests = &loaded.manifests;
    // Import writes namespace policies only: a program proven equivalent
    // to the NetworkPolicies alone would be wrong wherever a cluster
    // policy decides. Refused, with --keep-going too.
    let refused = cluster_policies_refused(manifests);
    if !refused.is_empty() {
        reporter.diagnostics(&refused, &manifests.sources);
        return Ok(Exit::Failed);
    }
    let human = reporter.is_human();
    let settings = Settings {
        workload_label: args.workload_label.clone(),
        assume_workload_ports: args.assume_workload_ports,
    };
    let imported = import::import(manifests, &settings).map_err(|e| match e {
        ImportError::TooLarge => Error::new(ErrorKind::Check, e.to_string())
            .with_help("import the namespaces a few at a time (`kubectl get -n NS`)"),
        ImportError::Internal(_) => Error::new(ErrorKind::Check, e.to_string())
            .with_help("nothing was written; please report this input"),
    })?;
    let keep = args.keep_unconvertible.is_some();
    // Would the assumption about named ports make a difference? Say so.
    let mut ported = std::collections::BTreeSet::new();
    if !imported.unconvertible.is_empty() && !settings.assume_workload_ports {
        let assumed = Settings {
            assume_workload_ports: true,
            ..settings.clone()
        };
        if let Ok(other) = import::import(manifests, &assumed) {
            let still: std::collections::BTreeSet<&str> = other
                .unconvertible
                .iter()
                .map(|u| u.namespace.as_str())
                .collect();
            ported.extend(
                imported
                    .unconvertible
                    .iter()
                    .filter(|u| !still.contains(u.namespace.as_str()))
                    .map(|u| u.namespace.clone()),
            );
        }
    }
    let diags = unconvertible(&imported, manifests, keep, &ported);
    if reporter.diagnostics(&diags, &manifests.sources) {
        return Err(Stop::Exit(Exit::Failed));
    }
    if let (Some(path), false) = (&args.keep_unconvertible, imported.kept.is_empty()) {
        files::write_file(&kept_path(path), &kept_yaml(&imported)?, None)?;
    }
    flags::emit(
        &imported.text,
        args.out_file.as_deref().or(args.output.as_deref()),
    )?;
    if human {
        let c = imported.checked;
        let mut line =
            format!(
            "equivalent: {} {}, {} flows checked ({} pods and {} addresses compared, every port)",
            thousands(c.workloads),
            if c.workloads == 1 { "workload" } else { "workloads" },
            thousands(c.flows),
            thousands(c.pods),
            thousands(c.addresses),
        );
        if !imported.kept.is_empty() {
            line.push_str(&format!(
                "; {} {} kept unconverted",
                imported.kept.len(),
                if imported.kept.len() == 1 {
                    "policy"
                } else {
                    "policies"
                }
            ));
        }
        reporter.note(&format!("{line}\n"));
        if args.assume_workload_ports {
            reporter.note("note: proven for pods labelled like a workload of the input that declare its container ports (--assume-workload-ports); `npc diff --semantic` does not assume it\n");
        }
    }
    Ok(Exit::Ok)
}
