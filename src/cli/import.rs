//! `npc import`: existing NetworkPolicies → an NPL program, proven equivalent.

use std::path::{Path, PathBuf};

use clap::Args;

use super::analyze::{read, ManifestArgs};
use super::flags::{self, OUT_FILE_HELP};
use super::{DiagnosticArgs, Exit, Outcome, Reporter, Stop};
use crate::error::{Error, ErrorKind};
use crate::files;
use crate::import::{self, thousands, ImportError, Settings};

pub const AFTER_HELP: &str = "\
Examples:
  npc import deploy/ --out-file policies.npl                   # a directory of manifests
  kubectl get netpol,ns,deploy,sts,ds -A -o yaml | npc import - --out-file policies.npl
  npc import deploy/ --out-file policies.npl --keep-unconvertible unconverted.yaml
  npc build policies.npl > policies.yaml               # then review and diff

Each namespace with policies becomes a managed `namespace` with the
isolation its policies give it (`isolate ingress only db` when they
select some pods only), each rule an `allow` with a `# from
ns/policy` comment, and the usual DNS rule the DNS carve-out. The program
is then compiled and compared with the input by the evaluator, port by
port, over the input's workloads and a representative pod or address of
every region the selectors and ipBlocks tell apart; it is written only if
the two allow exactly the same flows (`equivalent: N workloads, M flows
checked` on stderr). A namespace NPL cannot express exactly (E104: pods
isolated while the rest of the namespace is not, a rule whose other side is
isolated and does not admit it, ...) is named with the flows that differ;
with --keep-unconvertible only the policies whose rules the program cannot
write are left out of it and written unchanged to that file (the program
writes the rest of their namespace), and the check covers the program and
the kept policies together. When a kept policy has the name of one the
program writes, the program says `set name-prefix = npc-`.

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

/// The file the kept policies go to.
fn kept_path(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join("unconvertible.yaml")
    } else {
        path.to_path_buf()
    }
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
    let refused = import::refused_kinds(manifests);
    if !refused.is_empty() {
        reporter.diagnostics(&refused, &manifests.sources);
        return Ok(Exit::Failed);
    }
    let human = reporter.is_human();
    let settings = Settings {
        workload_label: args.workload_label.clone(),
        assume_workload_ports: args.assume_workload_ports,
    };
    let keep = args.keep_unconvertible.is_some();
    let report =
        import::import_with_diagnostics(manifests, &settings, keep).map_err(|e| match e {
            ImportError::TooLarge => Error::new(ErrorKind::Check, e.to_string())
                .with_help("import the namespaces a few at a time (`kubectl get -n NS`)"),
            ImportError::Internal(_) => Error::new(ErrorKind::Check, e.to_string())
                .with_help("nothing was written; please report this input"),
        })?;
    let (imported, diags) = (report.import, report.diagnostics);
    if reporter.diagnostics(&diags, &manifests.sources) {
        return Err(Stop::Exit(Exit::Failed));
    }
    if let (Some(path), false) = (&args.keep_unconvertible, imported.kept.is_empty()) {
        let yaml = imported.kept_yaml().map_err(Error::config)?;
        files::write_file(&kept_path(path), &yaml, None)?;
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
