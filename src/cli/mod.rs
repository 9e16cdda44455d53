//! The command line: clap definitions, shared options and the exit-code policy.
//! One file per subcommand; each returns an [`Outcome`].
//!
//! Output on stdout goes through [`print`]: a reader that closes the pipe
//! early (`npc build | head`) ends the run quietly with exit 0, any other
//! write error is an I/O error (exit 2). Diagnostics and errors go through a
//! [`Reporter`] to stderr.

mod analyze;
mod build;
mod check;
mod completions;
mod diff;
mod explain;
pub mod flags;
mod fmt;
mod graph;
mod import;
mod kustomize;
mod lint;
mod lsp;
mod man;
pub mod report;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::error::{Error, ErrorKind};
use crate::files::{self, MAX_MANIFEST_BYTES, MAX_SOURCE_BYTES};
use crate::load::Input;
pub use report::Reporter;

/// Exit codes, the same for every subcommand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Success; warnings may have been printed.
    Ok = 0,
    /// The program has errors (or, for checks, differences were found).
    Failed = 1,
    /// Bad usage or an I/O error.
    Usage = 2,
}

/// Why a command stopped before the end of its work.
#[derive(Debug)]
pub enum Stop {
    /// An error to report (usage, I/O, configuration: exit 2; a failed
    /// check or a kustomization trap: exit 1).
    Error(Error),
    /// Diagnostics were reported already: end with this code.
    Exit(Exit),
    /// Whoever read standard output closed it: end quietly, exit 0.
    ClosedPipe,
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Error(e)
    }
}

impl From<files::ReadError> for Stop {
    fn from(e: files::ReadError) -> Self {
        Stop::Error(e.into())
    }
}

impl From<files::WriteError> for Stop {
    fn from(e: files::WriteError) -> Self {
        Stop::Error(write_error(&e))
    }
}

/// A write error as an I/O error with its help.
pub fn write_error(e: &files::WriteError) -> Error {
    let error = Error::io(e.to_string());
    match e.help() {
        Some(help) => error.with_help(help),
        None => error,
    }
}

/// What a command ends with.
pub type Outcome = Result<Exit, Stop>;

#[derive(Parser, Debug)]
#[command(
    name = "npc",
    version = VERSION,
    about = "The NetworkPolicy compiler: compiles NPL intent into Kubernetes NetworkPolicy YAML",
    long_about = "npc compiles a compact intent language (NPL) into standard networking.k8s.io/v1 \
NetworkPolicy objects. Each `allow` is written to both sides of the connection, every isolated \
namespace gets its DNS carve-out automatically, and every error points at the line that caused it.",
    after_help = "Example:\n  npc build policies.npl > policies.yaml\n\nRun `npc help build` for the options of a command.",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The version with the commit it was built from, when known (`build.rs`).
pub const VERSION: &str = env!("NPC_VERSION");

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Show the connectivity that existing manifests allow, between workloads and address ranges
    #[command(after_help = analyze::AFTER_HELP)]
    Analyze(analyze::AnalyzeArgs),
    /// Compile NPL files into NetworkPolicy (and CiliumNetworkPolicy) YAML or JSON
    #[command(after_help = build::AFTER_HELP)]
    Build(build::BuildArgs),
    /// Compile and verify every `expect` line, optionally against a cluster inventory
    #[command(after_help = check::AFTER_HELP)]
    Check(check::CheckArgs),
    /// Show what applying the program would change in deployed policies
    #[command(after_help = diff::AFTER_HELP)]
    Diff(diff::DiffArgs),
    /// Explain why one connection is allowed or denied
    #[command(after_help = explain::AFTER_HELP)]
    Explain(explain::ExplainArgs),
    /// Draw who may talk to whom: DOT, Mermaid or a self-contained HTML page
    #[command(after_help = graph::AFTER_HELP)]
    Graph(graph::GraphArgs),
    /// Write an NPL program for existing NetworkPolicies, proven to allow the same flows
    #[command(after_help = import::AFTER_HELP)]
    Import(import::ImportArgs),
    /// Rewrite NPL files in canonical form
    #[command(after_help = fmt::AFTER_HELP)]
    Fmt(fmt::FmtArgs),
    #[command(about = lint::about(), after_help = lint::after_help())]
    Lint(lint::LintArgs),
    /// Run npc as a kustomize generator plugin or KRM function
    #[command(after_help = kustomize::AFTER_HELP)]
    Kustomize(kustomize::KustomizeArgs),
    /// Run the language server for editors (Language Server Protocol on stdio)
    #[command(after_help = lsp::AFTER_HELP)]
    Lsp(lsp::LspArgs),
    /// Print a shell completion script
    #[command(after_help = completions::AFTER_HELP)]
    Completions(completions::CompletionsArgs),
    /// Print the manual page (roff)
    #[command(after_help = man::AFTER_HELP)]
    Man(man::ManArgs),
}

/// How diagnostics are printed.
#[derive(Args, Debug, Clone)]
pub struct DiagnosticArgs {
    /// Print diagnostics and errors for people, as a JSON array, as a SARIF
    /// 2.1.0 log, or as GitHub Actions annotations (all on stderr; at most
    /// 100 diagnostics per file, then one saying how many more)
    #[arg(long, value_enum, default_value_t = ErrorFormat::Human)]
    pub error_format: ErrorFormat,
    /// Colour diagnostics (`auto` honours NO_COLOR, CLICOLOR_FORCE and TERM=dumb)
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Treat warnings as errors (exit code 1)
    #[arg(long)]
    pub deny_warnings: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorFormat {
    Human,
    Json,
    Sarif,
    Github,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// The choice for an `anstream` stream: `auto` decides per stream from
    /// the terminal and the environment. `TERM=dumb` is decided here: the
    /// stream alone would colour a dumb terminal whenever `CI` is set.
    pub fn stream(self) -> anstream::ColorChoice {
        match self {
            ColorChoice::Auto if dumb_terminal() => anstream::ColorChoice::Never,
            ColorChoice::Auto => anstream::ColorChoice::Auto,
            ColorChoice::Always => anstream::ColorChoice::Always,
            ColorChoice::Never => anstream::ColorChoice::Never,
        }
    }
}

/// `TERM=dumb`, unless `CLICOLOR_FORCE` asks for colour all the same.
fn dumb_terminal() -> bool {
    let set = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty() && v != "0");
    std::env::var_os("TERM").is_some_and(|t| t == "dumb") && set("CLICOLOR_FORCE").is_none()
}

/// Prints command output (uncoloured) on stdout.
pub fn print(text: &str) -> Result<(), Stop> {
    print_with_writer(|out| out.write_all(text.as_bytes()))
}

/// Prints on stdout what `write` writes.
pub fn print_with_writer(
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), Stop> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    write(&mut out)
        .and_then(|()| out.flush())
        .map_err(|e| stdout_error(&e))
}

/// Prints command output on stdout, keeping its ANSI colours only if the
/// choice and the environment want them.
pub fn print_with(text: &str, color: ColorChoice) -> Result<(), Stop> {
    let mut out = anstream::AutoStream::new(std::io::stdout().lock(), color.stream());
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| stdout_error(&e))
}

/// A closed pipe ends the run quietly; anything else is an I/O error.
fn stdout_error(e: &std::io::Error) -> Stop {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Stop::ClosedPipe
    } else {
        Stop::Error(Error::write("to standard output", e))
    }
}

/// Reads the input files (`-` is stdin; a directory stands for every `*.npl`
/// file below it, sorted), each bounded in size.
pub fn read_inputs(files: &[PathBuf], reporter: &mut Reporter) -> Result<Vec<Input>, Error> {
    let mut inputs = Vec::new();
    for path in files {
        if path.as_os_str() == "-" {
            inputs.push(Input::from_str(
                "<stdin>",
                files::read_stdin(MAX_SOURCE_BYTES)?,
            ));
            continue;
        }
        for file in expand(path, reporter)? {
            let text = files::read_text(&file, MAX_SOURCE_BYTES)?;
            inputs.push(Input {
                name: file.display().to_string(),
                path: Some(file),
                text,
            });
        }
    }
    Ok(inputs)
}

/// A file as itself; a directory as the `*.npl` files below it, sorted.
/// A symbolic link below it that leads out of it is skipped, with a note.
pub fn expand(path: &Path, reporter: &mut Reporter) -> Result<Vec<PathBuf>, Error> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let files::Found {
        files: found,
        links_outside,
    } = files::files_under(path, &["npl"])?;
    for link in &links_outside {
        reporter.note(&format!("note: {}\n", files::skipped_link(link, path)));
    }
    if found.is_empty() {
        return Err(
            Error::usage(format!("`{}` holds no `.npl` file", path.display()))
                .with_help("pass NPL files, or a directory with `.npl` files below it"),
        );
    }
    Ok(found)
}

/// Reads and compiles the program, reporting its diagnostics.
pub fn compile_files(
    files: &[PathBuf],
    reporter: &mut Reporter,
) -> Result<crate::Compilation, Stop> {
    let inputs = read_inputs(files, reporter)?;
    let compilation = crate::compile(inputs);
    if reporter.diagnostics(&compilation.diagnostics, &compilation.sources) {
        return Err(Stop::Exit(Exit::Failed));
    }
    Ok(compilation)
}

/// Loads `--inventory` when given.
pub fn load_inventory(
    path: Option<&Path>,
) -> Result<Option<crate::verify::inventory::Inventory>, Error> {
    let Some(path) = path else {
        return Ok(None);
    };
    let name = path.display().to_string();
    let text = files::read_text(path, MAX_MANIFEST_BYTES)?;
    crate::verify::inventory::parse(&name, &text)
        .map(Some)
        .map_err(|e| Error::new(ErrorKind::Config, e).in_file(name))
}

/// The `--error-format` of the command line, read before clap parses it, so
/// that a usage error is reported in the format asked for.
fn error_format_in(args: &[String]) -> ErrorFormat {
    let mut value = None;
    for (i, a) in args.iter().enumerate() {
        if let Some(v) = a.strip_prefix("--error-format=") {
            value = Some(v.to_string());
        } else if a == "--error-format" {
            value = args.get(i + 1).cloned();
        }
    }
    value
        .and_then(|v| ErrorFormat::from_str(&v, false).ok())
        .unwrap_or(ErrorFormat::Human)
}

/// The `--color` of the command line, read before clap parses it, so that
/// help and usage errors are coloured as asked.
fn color_in(args: &[String]) -> ColorChoice {
    let mut value = None;
    for (i, a) in args.iter().enumerate() {
        if let Some(v) = a.strip_prefix("--color=") {
            value = Some(v.to_string());
        } else if a == "--color" {
            value = args.get(i + 1).cloned();
        }
    }
    value
        .and_then(|v| ColorChoice::from_str(&v, false).ok())
        .unwrap_or(ColorChoice::Auto)
}

/// A clap error as an error record: its first line, the rest as help.
fn usage_error(e: &clap::Error) -> Error {
    let text = e.render().to_string();
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let message = lines
        .next()
        .unwrap_or("invalid command line")
        .trim_start_matches("error: ")
        .to_string();
    let rest: Vec<&str> = lines.map(str::trim).collect();
    let error = Error::usage(message);
    if rest.is_empty() {
        error
    } else {
        error.with_help(rest.join(" "))
    }
}

/// The clap command, for completions and the manual.
pub fn command() -> clap::Command {
    Cli::command()
}

/// Parses the arguments and runs the command.
pub fn run() -> Exit {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Coloured only for a terminal, as --color and the environment say.
            let color = color_in(&args);
            let text = e.render().ansi().to_string();
            if !e.use_stderr() {
                // --help and --version: clap's own text on stdout.
                return match print_with(&text, color) {
                    Err(Stop::Error(err)) => {
                        Reporter::plain().error(&err);
                        Exit::Usage
                    }
                    _ => Exit::Ok,
                };
            }
            let format = error_format_in(&args);
            if format == ErrorFormat::Human {
                let mut err = anstream::AutoStream::new(std::io::stderr().lock(), color.stream());
                let _ = err.write_all(text.as_bytes());
                let _ = err.flush();
            } else {
                let mut reporter = Reporter::with_format(format);
                reporter.error(&usage_error(&e));
                reporter.finish();
            }
            return Exit::Usage;
        }
    };
    let (reporter, outcome) = match &cli.command {
        Command::Analyze(a) => with(&a.diagnostics, |r| analyze::run(a, r)),
        Command::Build(a) => with(&a.diagnostics, |r| build::run(a, r)),
        Command::Check(a) => with(&a.diagnostics, |r| check::run(a, r)),
        Command::Explain(a) => with(&a.diagnostics, |r| explain::run(a, r)),
        Command::Diff(a) => with(&a.diagnostics, |r| diff::run(a, r)),
        Command::Fmt(a) => with(&a.diagnostics, |r| fmt::run(a, r)),
        Command::Kustomize(a) => return kustomize::run(a),
        Command::Graph(a) => with(&a.diagnostics, |r| graph::run(a, r)),
        Command::Import(a) => with(&a.diagnostics, |r| import::run(a, r)),
        Command::Lint(a) => with(&a.diagnostics, |r| lint::run(a, r)),
        Command::Lsp(a) => plain(|_| lsp::run(a)),
        Command::Completions(a) => plain(|_| completions::run(a)),
        Command::Man(a) => plain(|_| man::run(a)),
    };
    finish(reporter, outcome)
}

fn with(args: &DiagnosticArgs, f: impl FnOnce(&mut Reporter) -> Outcome) -> (Reporter, Outcome) {
    let mut reporter = Reporter::new(args);
    let outcome = f(&mut reporter);
    (reporter, outcome)
}

fn plain(f: impl FnOnce(&mut Reporter) -> Outcome) -> (Reporter, Outcome) {
    let mut reporter = Reporter::plain();
    let outcome = f(&mut reporter);
    (reporter, outcome)
}

/// Reports how a command ended and gives its exit code.
pub fn finish(mut reporter: Reporter, outcome: Outcome) -> Exit {
    let exit = match outcome {
        Ok(exit) | Err(Stop::Exit(exit)) => exit,
        Err(Stop::ClosedPipe) => Exit::Ok,
        Err(Stop::Error(e)) => {
            reporter.error(&e);
            if e.is_failure() {
                Exit::Failed
            } else {
                Exit::Usage
            }
        }
    };
    reporter.finish();
    exit
}
