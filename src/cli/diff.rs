//! `npc diff`: what applying the program's output would change in a cluster.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{compile_files, usage_error, DiagnosticArgs, ExitCode};
use crate::diff::{self, DiffOptions};
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
    /// NPL files of the program (`-` reads stdin)
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Deployed policies: a YAML file, a directory (recursive), or `-` for stdin
    #[arg(long, value_name = "PATH")]
    pub against: PathBuf,
    /// Report format
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
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

pub fn run(args: &DiffArgs) -> ExitCode {
    let stdin_twice =
        args.against.as_os_str() == "-" && args.files.iter().any(|f| f.as_os_str() == "-");
    if stdin_twice {
        return usage_error("only one of the program and `--against` can be read from stdin");
    }
    // Errors in the program are "trouble" here (2), as for `diff` itself.
    let Ok(compilation) = compile_files(&args.files, &args.diagnostics) else {
        return ExitCode::Usage;
    };
    let deployed = if args.against.as_os_str() == "-" {
        match super::read_stdin() {
            Ok(text) => diff::load_str("<stdin>", &text),
            Err(e) => return usage_error(&e),
        }
    } else {
        diff::load_path(&args.against)
    };
    let deployed = match deployed {
        Ok(d) => d,
        Err(e) => return usage_error(&e.to_string()),
    };
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
    let report = match diff::compare(&compilation.policies, &deployed, &options) {
        Ok(r) => r,
        Err(e) => return usage_error(&e.to_string()),
    };
    let color = args.diagnostics.color.for_stdout();
    print_report(
        args.format,
        || diff::render_human(&report, color),
        || report.to_json(),
        report.has_differences(),
    )
}

/// Prints a report in the chosen format; exit 1 when it shows differences.
fn print_report(
    format: ReportFormat,
    human: impl FnOnce() -> String,
    json: impl FnOnce() -> Result<String, diff::Error>,
    differs: bool,
) -> ExitCode {
    match format {
        ReportFormat::Human => print!("{}", human()),
        ReportFormat::Json => match json() {
            Ok(json) => println!("{json}"),
            Err(e) => return usage_error(&e.to_string()),
        },
    }
    if differs {
        ExitCode::Failed
    } else {
        ExitCode::Ok
    }
}

/// `--semantic`: flows whose verdict changes, over the program's endpoints
/// or the inventory's pods.
fn semantic(
    args: &DiffArgs,
    compilation: &crate::Compilation,
    deployed: &diff::Deployed,
) -> ExitCode {
    let endpoints = match super::load_inventory(args.inventory.as_deref()) {
        Ok(Some(inv)) => diff::semantic::inventory_endpoints(&inv),
        Ok(None) => compilation
            .program
            .as_ref()
            .map(diff::semantic::program_endpoints)
            .unwrap_or_default(),
        Err(code) => return code,
    };
    let report = match diff::semantic::compare(&compilation.policies, deployed, &endpoints) {
        Ok(r) => r,
        Err(e) => return usage_error(&e.to_string()),
    };
    print_report(
        args.format,
        || report.render_human(),
        || report.to_json(),
        report.has_differences(),
    )
}
