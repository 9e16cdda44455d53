//! `npc diff`: what applying the program's output would change in a cluster.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::ColorChoice;

use super::{compile_files, print, print_with, DiagnosticArgs, Exit, Outcome, Reporter, Stop};
use crate::diff::{self, DiffOptions};
use crate::error::{Error, ErrorKind};
use crate::files::{self, MAX_MANIFEST_BYTES};
use crate::k8s::SOURCE_ANNOTATION;

pub const AFTER_HELP: &str = "\
Examples:
  kubectl get networkpolicy -A -o yaml | npc diff policies.npl --against -
  npc diff policies.npl --against deploy/netpol/        # a directory of YAML files
  npc diff policies.npl --against live.yaml --format json
  npc diff policies.npl --against live.yaml --semantic --inventory cluster.yaml

Both sides are normalized first (server fields dropped, API defaults applied,
unordered lists sorted), so only differences in meaning show. The
`npc.dev/source` annotation is ignored unless --source-annotations is given:
it changes whenever lines move. Policies not managed by npc in the namespaces
npc manages are listed as \"unmanaged, also in force\": NetworkPolicies add up,
so they still allow traffic.

With --semantic, npc evaluates both policy sets and lists the flows whose
verdict changes (`+` newly allowed, `-` newly denied) between the endpoints the
program names, or between the pods of --inventory.

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
    /// Report format (`-o`, as in kubectl)
    #[arg(short = 'o', long = "format", visible_alias = "output", value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
    /// Also compare the `npc.dev/source` annotation
    #[arg(long)]
    pub source_annotations: bool,
    /// Report connectivity changes (flows newly allowed or denied) instead of text
    #[arg(long)]
    pub semantic: bool,
    /// With --semantic: judge flows between these pods (`kubectl get namespaces,pods -A -o yaml`)
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
        return semantic(args, &compilation, &deployed);
    }
    let options = DiffOptions {
        ignore_annotations: if args.source_annotations {
            Vec::new()
        } else {
            vec![SOURCE_ANNOTATION.to_string()]
        },
    };
    let report = diff::compare_with_cilium(
        &compilation.policies,
        &compilation.cilium,
        &deployed,
        &options,
    )
    .map_err(|e| diff_error(&e))?;
    print_report(
        args.format,
        args.diagnostics.color,
        || diff::render_human(&report, true),
        || report.to_json(),
        report.has_differences(),
    )
}

/// Prints a report in the chosen format; exit 1 when it shows differences.
fn print_report(
    format: ReportFormat,
    color: super::ColorChoice,
    human: impl FnOnce() -> String,
    json: impl FnOnce() -> Result<String, diff::Error>,
    differs: bool,
) -> Outcome {
    match format {
        ReportFormat::Human => print_with(&human(), color)?,
        ReportFormat::Json => {
            let json = json().map_err(|e| diff_error(&e))?;
            print(&format!("{json}\n"))?;
        }
    }
    Ok(if differs { Exit::Failed } else { Exit::Ok })
}

/// `--semantic`: flows whose verdict changes, over the program's endpoints
/// or the inventory's pods.
fn semantic(
    args: &DiffArgs,
    compilation: &crate::Compilation,
    deployed: &diff::Deployed,
) -> Outcome {
    let endpoints = match super::load_inventory(args.inventory.as_deref())? {
        Some(inv) => diff::semantic::inventory_endpoints(&inv),
        None => compilation
            .program
            .as_ref()
            .map(diff::semantic::program_endpoints)
            .unwrap_or_default(),
    };
    let report = diff::semantic::compare_with_cilium(
        &compilation.policies,
        &compilation.cilium,
        deployed,
        &endpoints,
    )
    .map_err(|e| diff_error(&e))?;
    print_report(
        args.format,
        ColorChoice::Never,
        || report.render_human(),
        || report.to_json(),
        report.has_differences(),
    )
}
