//! `npc graph`: the allowed connectivity of a program as DOT, Mermaid or HTML.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{print, read_inputs, DiagnosticArgs, Exit, Outcome, Reporter, Stop};
use crate::diagnostic::codes;
use crate::error::Error;
use crate::graph::{self, select::Selection};

pub const AFTER_HELP: &str = "\
Examples:
  npc graph shop.npl | dot -Tsvg > shop.svg       a Graphviz picture (dot is the default)
  npc graph shop.npl --format html -o shop.html   one page that opens offline
  npc graph shop.npl --format mermaid             a flowchart for Markdown
  npc graph shop.npl --namespace payments         what payments reaches, what reaches it
  npc graph shop.npl --focus web/frontend         the connections of one endpoint

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
  2  usage or I/O error, a --namespace or --focus the graph does not have,
     or more connections than a drawing holds";

#[derive(Args, Debug)]
pub struct GraphArgs {
    /// NPL files to compile together as one program
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
    /// Only the connections of the endpoints in this namespace (repeatable)
    #[arg(long = "namespace", value_name = "NS")]
    pub namespaces: Vec<String>,
    /// Only the connections of this endpoint, e.g. `web/frontend` (repeatable)
    #[arg(long, value_name = "ENDPOINT")]
    pub focus: Vec<String>,
    /// Write to this file instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub diagnostics: DiagnosticArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphFormat {
    Dot,
    Mermaid,
    Html,
}

pub fn run(args: &GraphArgs, reporter: &mut Reporter) -> Outcome {
    let inputs = read_inputs(&args.files)?;
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
        namespaces: args.namespaces.clone(),
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
                "draw part of the program: the connections of some namespaces (`--namespace NS`) or endpoints (`--focus NS/NAME`)",
            )))
        }
    };
    let text = match args.format {
        GraphFormat::Dot => graph::dot::render(&shown),
        GraphFormat::Mermaid => graph::mermaid::render(&shown),
        GraphFormat::Html => graph::html::render(&shown),
    };
    // A file is written through a temporary file and a rename: a reader
    // never sees a partial file, and no symlink at the name is followed.
    match &args.output {
        Some(path) => crate::files::write_file(path, &text, None)?,
        None => print(&text)?,
    }
    Ok(if failed { Exit::Failed } else { Exit::Ok })
}
