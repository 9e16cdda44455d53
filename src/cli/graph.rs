//! `npc graph`: the allowed connectivity of a program as DOT, Mermaid or HTML.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::flags::{
    self, FormatOrFile, Formats, FormatsOrFile, FORMAT_DEPRECATED_HELP, OUTPUT_HELP, OUT_FILE_HELP,
};
use super::{read_inputs, DiagnosticArgs, Exit, Outcome, Reporter, Stop};
use crate::diagnostic::codes;
use crate::error::Error;
use crate::graph::{self, select::Selection};

pub const AFTER_HELP: &str = "\
Examples:
  npc graph shop.npl | dot -Tsvg > shop.svg            a Graphviz picture (dot is the default)
  npc graph shop.npl -o html --out-file shop.html      one page that opens offline
  npc graph shop.npl -o mermaid                        a flowchart for Markdown
  npc graph shop.npl --focus-namespace payments        what payments reaches, what reaches it
  npc graph shop.npl --focus web/frontend              the connections of one endpoint

Nodes are the endpoints the program names, grouped by namespace: workloads
(`web/frontend`), label sets (`web/{tier=db}`), any pod of a namespace
(`web/*`), namespaces chosen by labels (`{team=ops}/*`) and address ranges.
An edge is a connection the emitted policies allow, with every allowed port;
solid edges come from `allow` statements, dashed ones from the DNS carve-out,
dotted ones from `scrape`. `expect` lines are bold dashed edges, green when
they hold, red when they fail. A node marked `open` has a direction no policy
isolates: connections there need no rule and are not drawn. In the HTML page,
click a node for its ingress and egress, an edge for the `npc explain` trace.

A drawing holds at most 50,000 connections; draw a larger program in parts
with --namespace and --focus.

Exit codes:
  0  the graph was written
  1  the program has errors (nothing written), or an `expect` line fails
     (the graph is written and marks it)
  2  usage or I/O error, a --focus-namespace or --focus the graph does not have,
     or more connections than a drawing holds";

#[derive(Args, Debug)]
pub struct GraphArgs {
    /// NPL files to compile together as one program
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[arg(short = 'o', long = "output", value_name = "FORMAT", help = OUTPUT_HELP,
          default_value = "dot", value_parser = FormatsOrFile::<GraphFormat>::default())]
    pub output: FormatOrFile<GraphFormat>,
    #[arg(long, value_name = "FORMAT", hide = true, help = FORMAT_DEPRECATED_HELP,
          value_parser = Formats::<GraphFormat>::default())]
    pub format: Option<GraphFormat>,
    #[arg(long, value_name = "FILE", help = OUT_FILE_HELP)]
    pub out_file: Option<PathBuf>,
    /// Only the connections of the endpoints in this namespace (repeatable)
    #[arg(long, value_name = "NS")]
    pub focus_namespace: Vec<String>,
    #[arg(
        long = "namespace",
        value_name = "NS",
        hide = true,
        help = "deprecated: use --focus-namespace"
    )]
    pub namespace: Vec<String>,
    /// Only the connections of this endpoint, e.g. `web/frontend`
    ///
    /// Repeatable.
    #[arg(long, value_name = "ENDPOINT")]
    pub focus: Vec<String>,
    #[command(flatten)]
    pub diagnostics: DiagnosticArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphFormat {
    Dot,
    Mermaid,
    Html,
}

/// The format and the file, from `-o`, `--out-file` and the deprecated
/// spellings.
fn destination(
    args: &GraphArgs,
    reporter: &mut Reporter,
) -> Result<(GraphFormat, Option<PathBuf>), Stop> {
    let (mut format, mut file) = match &args.output {
        FormatOrFile::Format(f) => (*f, None),
        FormatOrFile::File(path) => {
            let name = path.display();
            reporter.warning(
                &Error::usage(format!(
                    "`-o {name}` names a file: -o is the output format now (dot, mermaid, html)"
                ))
                .with_help(format!(
                    "use `--out-file {name}`; -o FILE goes away in the next release"
                )),
            );
            (GraphFormat::Dot, Some(path.clone()))
        }
    };
    if let Some(f) = args.format {
        // `--format html -o shop.html`, the old spelling, still works.
        if !matches!(
            args.output,
            FormatOrFile::File(_) | FormatOrFile::Format(GraphFormat::Dot)
        ) {
            return Err(Error::usage("both `-o` and `--format` give the format")
                .with_help("give `-o FORMAT` alone")
                .into());
        }
        format = flags::format(f, Some(f), reporter);
    }
    if let Some(out) = &args.out_file {
        if file.is_some() {
            return Err(
                Error::usage("both `-o FILE` and `--out-file` name the file")
                    .with_help("give `--out-file FILE` alone")
                    .into(),
            );
        }
        file = Some(out.clone());
    }
    Ok((format, file))
}

pub fn run(args: &GraphArgs, reporter: &mut Reporter) -> Outcome {
    let (format, out_file) = destination(args, reporter)?;
    if !args.namespace.is_empty() {
        flags::deprecated(
            reporter,
            "`--namespace` in `npc graph`",
            "`--focus-namespace`",
        );
    }
    let inputs = read_inputs(&args.files, reporter)?;
    let compilation = crate::compile(inputs);
    let failed = reporter.diagnostics(&compilation.diagnostics, &compilation.sources);
    // Only failing `expect` lines still give a graph (that marks them).
    let only_expectations = compilation
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .all(|d| d.code == codes::EXPECTATION_FAILED);
    if failed && (!compilation.has_errors() || !only_expectations) {
        return Err(Stop::Exit(Exit::Failed));
    }
    let title: Vec<String> = args.files.iter().map(|f| f.display().to_string()).collect();
    let selection = Selection {
        namespaces: args
            .focus_namespace
            .iter()
            .chain(&args.namespace)
            .cloned()
            .collect(),
        focus: args.focus.clone(),
    };
    let shown = match graph::build::build_selected(&compilation, &title.join(" "), &selection) {
        Ok(g) => g,
        Err(graph::build::Error::NotCompiled) => return Err(Stop::Exit(Exit::Failed)),
        Err(graph::build::Error::Unevaluable(why)) => {
            return Err(Stop::Error(Error::new(
                crate::error::ErrorKind::Check,
                format!("the emitted policies cannot be evaluated: {why}"),
            )));
        }
        Err(graph::build::Error::Selection(e)) => return Err(Stop::Error(Error::usage(e.to_string()))),
        Err(graph::build::Error::TooLarge(e)) => {
            return Err(Stop::Error(Error::usage(e.to_string()).with_help(
                "draw part of the program: the connections of some namespaces (`--focus-namespace NS`) or endpoints (`--focus NS/NAME`)",
            )))
        }
    };
    let text = match format {
        GraphFormat::Dot => graph::dot::render(&shown),
        GraphFormat::Mermaid => graph::mermaid::render(&shown),
        GraphFormat::Html => graph::html::render(&shown),
    };
    flags::emit(&text, out_file.as_deref())?;
    Ok(if failed { Exit::Failed } else { Exit::Ok })
}
