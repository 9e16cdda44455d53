//! `npc build`: compile NPL files and print or write the policies.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::{compile_files, note, print, DiagnosticArgs, Exit, Outcome, Reporter, Stop};
use crate::emit::output::{self, Format};
use crate::error::{Error, ErrorKind};
use crate::files::{self, Difference};
use crate::k8s::escape_controls;

pub const AFTER_HELP: &str = "\
Examples:
  npc build policies.npl                      # multi-document YAML on stdout
  npc build policies.npl -o json              # a JSON `List`
  npc build policies/                         # every *.npl below the directory, as one program
  npc build policies.npl --out-dir deploy/netpol          # NAMESPACE.netpol.yaml per namespace + kustomization.yaml
  npc build policies.npl --out-dir deploy/netpol --check  # CI: fail if the directory is stale

Without --out-dir, output is sorted by namespace, name, then kind. With
--out-dir, the directory changes only when the whole program compiles, and
then as a whole: the new output is staged next to it and swapped in, so a
reader (or a build that is killed) sees the old files or the new ones, never
a mix. Files npc did not write are left alone; a second build into the same
directory at the same time is refused.

DNS names as destinations (`allow api -> api.stripe.com:443`) need
`set cni = cilium`: npc then also writes, per source pod set, a
CiliumNetworkPolicy (cilium.io/v2) with the names (`toFQDNs`) and the DNS rule
that makes Cilium learn their addresses (docs/names.md).

Exit codes:
  0  success (warnings may have been printed)
  1  the program has errors (with --check: the directory is out of date)
  2  usage or I/O error";

#[derive(Args, Debug)]
pub struct BuildArgs {
    /// NPL files or directories to compile together as one program (`-` reads stdin)
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format: `yaml` (multi-document) or `json` (a `List`), as kubectl's -o
    #[arg(
        short = 'o',
        long = "output",
        visible_alias = "format",
        value_name = "FORMAT",
        default_value = "yaml",
        value_parser = parse_format
    )]
    pub output: OutputFormat,
    /// Write NAMESPACE.netpol.yaml per namespace and a kustomization.yaml into DIR
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// With --out-dir: write nothing, exit 1 if DIR differs from what would be written
    #[arg(long, requires = "out_dir")]
    pub check: bool,
    #[command(flatten)]
    pub diagnostics: DiagnosticArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Yaml,
    Json,
}

/// `-o yaml|json`; anything else gets a hint, since `-o DIR` used to name
/// the output directory.
fn parse_format(value: &str) -> Result<OutputFormat, String> {
    match value {
        "yaml" => Ok(OutputFormat::Yaml),
        "json" => Ok(OutputFormat::Json),
        _ => Err(format!(
            "`{value}` is not an output format: -o takes `yaml` or `json`, as in kubectl\n\n  \
             help: to write one file per namespace into a directory, use `--out-dir {value}`"
        )),
    }
}

impl From<OutputFormat> for Format {
    fn from(f: OutputFormat) -> Format {
        match f {
            OutputFormat::Yaml => Format::Yaml,
            OutputFormat::Json => Format::Json,
        }
    }
}

pub fn run(args: &BuildArgs, reporter: &mut Reporter) -> Outcome {
    if args.output == OutputFormat::Yaml {
        return run_streaming(args, reporter);
    }
    let compilation = compile_files(&args.files, reporter)?;
    let format = Format::from(args.output);
    let outcome = write_output(args, &compilation, format);
    // The process ends right after: freeing every node of a large program
    // one by one costs about 8% of a build and frees nothing the OS would not.
    std::mem::forget(compilation);
    outcome
}

fn serialize_error(e: &str) -> Error {
    Error::io(format!("cannot serialize the policies: {e}"))
}

/// YAML, one namespace at a time (`crate::compile_to`): each namespace's
/// objects become text as soon as they are emitted, and only the text is
/// kept until the whole program is known to compile; then it is printed, or
/// written to the directory as before.
fn run_streaming(args: &BuildArgs, reporter: &mut Reporter) -> Outcome {
    let inputs = super::read_inputs(&args.files)?;
    let format = Format::Yaml;
    let mut stdout_text = String::new();
    let mut by_namespace: BTreeMap<String, String> = BTreeMap::new();
    let compilation = crate::compile_to(inputs, &mut |namespace, policies, names| {
        match &args.out_dir {
            None => {
                if !stdout_text.is_empty() {
                    stdout_text.push_str("---\n");
                }
                stdout_text.push_str(&output::to_yaml_with_cilium(policies, names)?);
            }
            Some(_) => {
                by_namespace.insert(
                    namespace.to_string(),
                    output::namespace_body_with_cilium(policies, names, format)?,
                );
            }
        }
        Ok(())
    })
    .map_err(|e| serialize_error(&e))?;
    if reporter.diagnostics(&compilation.diagnostics, &compilation.sources) {
        return Err(Stop::Exit(Exit::Failed));
    }
    // The process ends right after: freeing every node of a large program
    // one by one costs time and frees nothing the OS would not.
    std::mem::forget(compilation);
    let Some(dir) = &args.out_dir else {
        print(&stdout_text)?;
        return Ok(Exit::Ok);
    };
    let files = output::directory(by_namespace, format);
    if args.check {
        return check_dir(dir, &files);
    }
    files::write_output_dir(dir, &files, &output::is_generated)?;
    Ok(Exit::Ok)
}

fn write_output(args: &BuildArgs, compilation: &crate::Compilation, format: Format) -> Outcome {
    let Some(dir) = &args.out_dir else {
        let text = output::render_with_cilium(&compilation.policies, &compilation.cilium, format)
            .map_err(|e| serialize_error(&e))?;
        print(&text)?;
        return Ok(Exit::Ok);
    };
    let files = output::files_with_cilium(&compilation.policies, &compilation.cilium, format)
        .map_err(|e| serialize_error(&e))?;
    if args.check {
        return check_dir(dir, &files);
    }
    files::write_output_dir(dir, &files, &output::is_generated)?;
    Ok(Exit::Ok)
}

/// `--check`: lists what would change and fails if anything would.
fn check_dir(dir: &Path, files: &BTreeMap<String, String>) -> Outcome {
    let differences = files::check_output_dir(dir, files, &output::is_generated);
    if differences.is_empty() {
        return Ok(Exit::Ok);
    }
    let mut text = String::new();
    for d in &differences {
        let (what, path) = match d {
            Difference::Missing(p) => ("missing: ", p),
            Difference::Changed(p) => ("changed: ", p),
            Difference::Stale(p) => ("stale:   ", p),
            Difference::Leftover(p) => ("leftover:", p),
        };
        text.push_str(&format!(
            "{what} {}\n",
            escape_controls(&path.display().to_string())
        ));
    }
    note(&text);
    Err(Error::new(
        ErrorKind::Check,
        format!("`{}` is out of date", dir.display()),
    )
    .with_help(format!(
        "run `npc build ... --out-dir {}` and commit the result",
        dir.display()
    ))
    .into())
}
