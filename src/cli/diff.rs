//! `npc diff`: what applying the program's output would change in a cluster.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::flags::{self, Formats, FORMAT_DEPRECATED_HELP, OUTPUT_HELP, OUT_FILE_HELP};
use super::{
    compile_files, print_with, ColorChoice, DiagnosticArgs, Exit, Outcome, Reporter, Stop,
};
use crate::diff::{self, DiffOptions};
use crate::error::{Error, ErrorKind};
use crate::files::{self, MAX_MANIFEST_BYTES};
use crate::k8s::SOURCE_ANNOTATION;

pub const AFTER_HELP: &str = "\
Examples:
  kubectl get networkpolicy -A -o yaml | npc diff policies.npl --against -
  npc diff policies.npl --against deploy/netpol/        # a directory of YAML files
  npc diff policies.npl --against live.yaml -o json
  npc diff policies.npl --against live.yaml --semantic --inventory cluster.yaml

Both sides are normalized first (server fields dropped, API defaults applied,
unordered lists sorted), so only differences in meaning show. The
`npc.dev/source` annotation is ignored unless --source-annotations is given:
it changes whenever lines move. Policies not managed by npc in the namespaces
npc manages are listed as \"unmanaged, also in force\": NetworkPolicies add up,
so they still allow traffic.

Cluster policies (ClusterNetworkPolicy, AdminNetworkPolicy,
BaselineAdminNetworkPolicy) are compared by kind and name: npc's own that it
no longer writes are listed as removed, others as in force everywhere.

With --semantic, npc evaluates both policy sets and lists the flows whose
verdict changes (`+` newly allowed, `-` newly denied) between the endpoints the
program names, or between the pods of --inventory. A program's pod may declare
a named port at any number: a change found only when the destination declares
it at a number inside (or outside) a numbered range is listed with the
declaration (`c/* (declaring `http` as TCP 8000)`).

Exit codes:
  0  no differences
  1  differences
  2  the program has errors, or a usage or I/O error";

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// NPL files or directories of the program (`-` reads stdin)
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Deployed policies: a YAML file, a directory (recursive), or `-` for stdin
    #[arg(long, value_name = "PATH")]
    pub against: PathBuf,
    #[arg(short = 'o', long = "output", value_name = "FORMAT", help = OUTPUT_HELP,
          default_value = "human", value_parser = Formats::<ReportFormat>::default())]
    pub output: ReportFormat,
    #[arg(long, value_name = "FORMAT", hide = true, help = FORMAT_DEPRECATED_HELP,
          conflicts_with = "output", value_parser = Formats::<ReportFormat>::default())]
    pub format: Option<ReportFormat>,
    #[arg(long, value_name = "FILE", help = OUT_FILE_HELP)]
    pub out_file: Option<PathBuf>,
    /// Also compare the `npc.dev/source` annotation
    #[arg(long)]
    pub source_annotations: bool,
    /// Report connectivity changes (flows newly allowed or denied) instead of text
    #[arg(long)]
    pub semantic: bool,
    /// A cluster inventory: the output of `kubectl get namespaces,pods -A -o yaml`
    ///
    /// With --semantic: flows are judged between the inventory's pods.
    #[arg(long, value_name = "FILE", requires = "semantic")]
    pub inventory: Option<PathBuf>,
    #[command(flatten)]
    pub diagnostics: DiagnosticArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    Human,
    Json,
}

/// A `diff::Error` as an error: reading is I/O, the rest is bad input.
fn diff_error(e: &diff::Error) -> Error {
    match e {
        diff::Error::Read { path, .. } => Error::io(e.to_string()).in_file(path.clone()),
        diff::Error::Parse {
            origin,
            line,
            column,
            ..
        } => Error::new(ErrorKind::Config, e.to_string()).at(origin.clone(), *line, *column),
        diff::Error::Encode { .. } => Error::io(e.to_string()),
    }
}

pub fn run(args: &DiffArgs, reporter: &mut Reporter) -> Outcome {
    let format = flags::format(args.output, args.format, reporter);
    let stdin_twice =
        args.against.as_os_str() == "-" && args.files.iter().any(|f| f.as_os_str() == "-");
    if stdin_twice {
        return Err(
            Error::usage("only one of the program and `--against` can be read from stdin").into(),
        );
    }
    // Errors in the program are "trouble" here (2), as for `diff` itself.
    let compilation = match compile_files(&args.files, reporter) {
        Err(Stop::Exit(Exit::Failed)) => return Err(Stop::Exit(Exit::Usage)),
        other => other?,
    };
    let deployed = if args.against.as_os_str() == "-" {
        let text = files::read_stdin(MAX_MANIFEST_BYTES)?;
        diff::load_str("<stdin>", &text)
    } else {
        diff::load_path(&args.against)
    };
    let deployed = deployed.map_err(|e| diff_error(&e))?;
    if args.semantic {
        return semantic(args, format, &compilation, &deployed);
    }
    let options = DiffOptions {
        ignore_annotations: if args.source_annotations {
            Vec::new()
        } else {
            vec![SOURCE_ANNOTATION.to_string()]
        },
    };
    let report = diff::compare_all(
        &compilation.policies,
        &compilation.cluster_policies,
        &compilation.cilium,
        &deployed,
        &options,
    )
    .map_err(|e| diff_error(&e))?;
    let coloured = args.out_file.is_none();
    print_report(
        format,
        args.diagnostics.color,
        args.out_file.as_deref(),
        || diff::render_human(&report, coloured),
        || report.to_json(),
        report.has_differences(),
    )
}

/// Prints a report in the chosen format; exit 1 when it shows differences.
fn print_report(
    format: ReportFormat,
    color: ColorChoice,
    out_file: Option<&std::path::Path>,
    human: impl FnOnce() -> String,
    json: impl FnOnce() -> Result<String, diff::Error>,
    differs: bool,
) -> Outcome {
    match (format, out_file) {
        (ReportFormat::Human, None) => print_with(&human(), color)?,
        (ReportFormat::Human, Some(_)) => flags::emit(&human(), out_file)?,
        (ReportFormat::Json, _) => {
            let json = json().map_err(|e| diff_error(&e))?;
            flags::emit(&format!("{json}\n"), out_file)?;
        }
    }
    Ok(if differs { Exit::Failed } else { Exit::Ok })
}

/// `--semantic`: flows whose verdict changes, over the program's endpoints
/// or the inventory's pods.
fn semantic(
    args: &DiffArgs,
    format: ReportFormat,
    compilation: &crate::Compilation,
    deployed: &diff::Deployed,
) -> Outcome {
    use diff::semantic::Pods;
    let (endpoints, stand_ins, pods) = match super::load_inventory(args.inventory.as_deref())? {
        Some(inv) => (
            diff::semantic::inventory_endpoints(&inv),
            Vec::new(),
            Pods::AsDeclared,
        ),
        None => match compilation.program.as_ref() {
            Some(program) => {
                let list = diff::semantic::program_endpoint_list(program);
                let endpoints = list
                    .endpoints
                    .into_iter()
                    .map(|e| (e.name, e.endpoint))
                    .collect();
                (endpoints, list.named_ports, Pods::Representatives)
            }
            None => (Vec::new(), Vec::new(), Pods::Representatives),
        },
    };
    let report = diff::semantic::compare_all(
        &compilation.policies,
        &compilation.cluster_policies,
        &compilation.cilium,
        deployed,
        &endpoints,
        &stand_ins,
        pods,
    )
    .map_err(|e| diff_error(&e))?;
    print_report(
        format,
        ColorChoice::Never,
        args.out_file.as_deref(),
        || report.render_human(),
        || report.to_json(),
        report.has_differences(),
    )
}
