//! The command line: clap definitions, shared options and the exit-code policy.
//! One file per subcommand; each returns an [`ExitCode`].

mod build;
mod check;
mod diff;
mod explain;
mod fmt;
mod graph;
mod kustomize;

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::diagnostic::Diagnostic;
use crate::load::Input;
use crate::source::SourceMap;

/// Exit codes, the same for every subcommand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    /// Success; warnings may have been printed.
    Ok = 0,
    /// The program has errors (or, for checks, differences were found).
    Failed = 1,
    /// Bad usage or an I/O error.
    Usage = 2,
}

#[derive(Parser, Debug)]
#[command(
    name = "npc",
    version,
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

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Compile NPL files into NetworkPolicy YAML or JSON
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
    /// Rewrite NPL files in canonical form
    #[command(after_help = fmt::AFTER_HELP)]
    Fmt(fmt::FmtArgs),
    /// Run npc as a kustomize generator plugin or KRM function
    #[command(after_help = kustomize::AFTER_HELP)]
    Kustomize(kustomize::KustomizeArgs),
}

/// How diagnostics are printed.
#[derive(Args, Debug, Clone)]
pub struct DiagnosticArgs {
    /// Print diagnostics for people (`human`) or as a JSON array on stderr (`json`)
    #[arg(long, value_enum, default_value_t = ErrorFormat::Human)]
    pub error_format: ErrorFormat,
    /// Colour diagnostics
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
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    fn enabled(self, terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => terminal && std::env::var_os("NO_COLOR").is_none(),
        }
    }

    pub fn for_stderr(self) -> bool {
        self.enabled(std::io::stderr().is_terminal())
    }

    pub fn for_stdout(self) -> bool {
        self.enabled(std::io::stdout().is_terminal())
    }
}

impl DiagnosticArgs {
    /// Prints diagnostics to stderr; true if they fail the run.
    pub fn report(&self, diags: &[Diagnostic], sources: &SourceMap) -> bool {
        if !diags.is_empty() || self.error_format == ErrorFormat::Json {
            let text = match self.error_format {
                ErrorFormat::Human => crate::render::human(diags, sources, self.color.for_stderr()),
                ErrorFormat::Json => crate::render::json(diags, sources),
            };
            eprint!("{text}");
        }
        diags.iter().any(|d| d.is_error() || self.deny_warnings)
    }
}

/// Reads the input files (`-` is stdin). An unreadable file is a usage error.
pub fn read_inputs(files: &[PathBuf]) -> Result<Vec<Input>, String> {
    let mut inputs = Vec::new();
    for path in files {
        if path.as_os_str() == "-" {
            inputs.push(Input::from_str("<stdin>", read_stdin()?));
            continue;
        }
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "cannot read `{}`: {}",
                path.display(),
                crate::load::io_reason(&e)
            )
        })?;
        inputs.push(Input {
            name: path.display().to_string(),
            path: Some(path.clone()),
            text,
        });
    }
    Ok(inputs)
}

/// Why a command stopped before doing its work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// An input could not be read (already printed).
    Usage,
    /// The program has errors, or warnings under `--deny-warnings` (already printed).
    Errors,
}

/// Reads and compiles the program, printing its diagnostics.
pub fn compile_files(
    files: &[PathBuf],
    diagnostics: &DiagnosticArgs,
) -> Result<crate::Compilation, Stop> {
    let inputs = read_inputs(files).map_err(|e| {
        usage_error(&e);
        Stop::Usage
    })?;
    let compilation = crate::compile(inputs);
    if diagnostics.report(&compilation.diagnostics, &compilation.sources) {
        return Err(Stop::Errors);
    }
    Ok(compilation)
}

/// Loads `--inventory` when given; a malformed file is a usage error (printed).
pub fn load_inventory(
    path: Option<&std::path::Path>,
) -> Result<Option<crate::verify::inventory::Inventory>, ExitCode> {
    path.map(crate::verify::inventory::load)
        .transpose()
        .map_err(|e| usage_error(&e))
}

/// All of standard input as text.
pub fn read_stdin() -> Result<String, String> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
        .map_err(|e| format!("cannot read standard input: {}", crate::load::io_reason(&e)))?;
    Ok(text)
}

/// Replaces a file through a temporary file in the same directory and a
/// rename, so readers never see a partly written file.
pub fn write_atomically(path: &std::path::Path, text: &str) -> Result<(), String> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.npc-tmp"));
    let io = |p: &std::path::Path, e: std::io::Error| {
        format!(
            "cannot write `{}`: {}",
            p.display(),
            crate::load::io_reason(&e)
        )
    };
    std::fs::write(&tmp, text).map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io(path, e))
}

/// Prints a usage or I/O error and gives its exit code.
pub fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::Usage
}

/// Parses the arguments and runs the command.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::Usage
            } else {
                ExitCode::Ok
            };
        }
    };
    match cli.command {
        Command::Build(args) => build::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Kustomize(args) => kustomize::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Fmt(args) => fmt::run(&args),
        Command::Graph(args) => graph::run(&args),
    }
}
