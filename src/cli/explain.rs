//! `npc explain`: why one connection is allowed or denied.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::flags::{self, Formats, FORMAT_DEPRECATED_HELP, OUTPUT_HELP, OUT_FILE_HELP};
use super::{read_inputs, DiagnosticArgs, Exit, Outcome, Reporter, Stop};
use crate::error::Error;
use crate::verify::explain;

pub const AFTER_HELP: &str = "\
Examples:
  npc explain shop.npl 'web/frontend -> payments/api-server:8080'
  npc explain shop.npl 'web/frontend -> payments/postgres-primary:5432' -o json
  npc explain shop.npl 'web/frontend-7d9f -> payments/api-server:8080' --inventory cluster.yaml

The query is written like the endpoints of an `expect` line: `SRC -> DST[:PORTS]`,
with aliases of the program. Without --inventory the endpoints stand for
representative pods (docs/verify.md); with it, for the inventory's pods, and
`namespace/pod-name` names one pod (a pod name wins over `namespace/workload`).

Exit codes:
  0  the query was explained (whatever the verdict)
  1  the program or the query has errors
  2  usage or I/O error, or a malformed inventory";

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// NPL files or directories to compile together as one program
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The connection: `SRC -> DST[:PORTS]`
    #[arg(required = true, value_name = "QUERY")]
    pub query: String,
    /// A cluster inventory: the output of `kubectl get namespaces,pods -A -o yaml`
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,
    #[arg(short = 'o', long = "output", value_name = "FORMAT", help = OUTPUT_HELP,
          default_value = "human", value_parser = Formats::<ExplainFormat>::default())]
    pub output: ExplainFormat,
    #[arg(long, value_name = "FORMAT", hide = true, help = FORMAT_DEPRECATED_HELP,
          conflicts_with = "output", value_parser = Formats::<ExplainFormat>::default())]
    pub format: Option<ExplainFormat>,
    #[arg(long, value_name = "FILE", help = OUT_FILE_HELP)]
    pub out_file: Option<PathBuf>,
    #[command(flatten)]
    pub diagnostics: DiagnosticArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExplainFormat {
    Human,
    Json,
}

pub fn run(args: &ExplainArgs, reporter: &mut Reporter) -> Outcome {
    let format = flags::format(args.output, args.format, reporter);
    // `npc explain QUERY FILE`: the query was taken for a file.
    if let Some(query) = args
        .files
        .iter()
        .find(|f| f.to_string_lossy().contains("->") && !f.exists())
    {
        return Err(Error::usage(format!(
            "`{}` is a query, not a file: the files come first",
            query.display()
        ))
        .with_help(format!(
            "npc explain FILE... QUERY, e.g. `npc explain {} '{}'`",
            args.query,
            query.display()
        ))
        .into());
    }
    let inputs = read_inputs(&args.files, reporter)?;
    let inventory = super::load_inventory(args.inventory.as_deref())?;
    let explained = explain::explain(inputs, &args.query, inventory.as_ref());
    if reporter.diagnostics(&explained.diagnostics, &explained.sources) {
        return Err(Stop::Exit(Exit::Failed));
    }
    let Some(x) = explained.explanation else {
        return Err(Stop::Exit(Exit::Failed));
    };
    let text = match format {
        ExplainFormat::Human => explain::human(&x),
        ExplainFormat::Json => explain::json(&x),
    };
    flags::emit(&text, args.out_file.as_deref())?;
    Ok(Exit::Ok)
}
