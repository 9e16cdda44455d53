//! `npc build`: compile NPL files and print or write the policies.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::flags::{self, Formats, FORMAT_DEPRECATED_HELP, OUTPUT_HELP, OUT_FILE_HELP};
use super::{DiagnosticArgs, Exit, Outcome, Reporter, Stop};
use crate::emit::output::{self, Format};
use crate::error::{Error, ErrorKind};
use crate::files::{self, Difference};
use crate::k8s::escape_controls;

pub const AFTER_HELP: &str = "\
Examples:
  npc build policies.npl                      # multi-document YAML on stdout
  npc build policies.npl -o json              # a JSON `List`
  npc build policies.npl --out-file netpol.yaml           # one file
  npc build policies/                         # every *.npl below the directory, as one program
  npc build policies.npl --out-dir deploy/netpol          # NAMESPACE.netpol.yaml per namespace + kustomization.yaml
  npc build policies.npl --out-dir deploy/netpol --check  # CI: fail if the directory is stale

Without --out-dir, output is sorted by namespace, name, then kind; the
cluster-scoped objects of `admin` and `baseline` blocks (ClusterNetworkPolicy)
come first, by tier then priority. With --out-dir, they go to `_cluster.yaml`
(no namespace can take that name), listed first in the kustomization. With --out-dir,
the directory changes only when the whole program compiles, and then as a
whole: the new output is staged next to it and swapped in, so a reader (or a
build that is killed) sees the old files or the new ones, never a mix. Files
npc did not write are left alone; a second build into the same directory at
the same time is refused.

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
    #[arg(
        short = 'o',
        long = "output",
        value_name = "FORMAT",
        default_value = "yaml",
        help = OUTPUT_HELP,
        long_help = "The output format, as kubectl's -o: `yaml` (multi-document) or `json` (a `List`)",
        value_parser = Formats::<OutputFormat>::with_directories()
    )]
    pub output: OutputFormat,
    #[arg(long, value_name = "FORMAT", hide = true, help = FORMAT_DEPRECATED_HELP,
          conflicts_with = "output", value_parser = Formats::<OutputFormat>::with_directories())]
    pub format: Option<OutputFormat>,
    #[arg(long, value_name = "FILE", help = OUT_FILE_HELP, conflicts_with = "out_dir")]
    pub out_file: Option<PathBuf>,
    /// Write NAMESPACE.netpol.yaml per namespace (_cluster.yaml for tier blocks) and a kustomization.yaml into DIR
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Write nothing; exit 1 if anything would change (for CI)
    ///
    /// With --out-dir: lists what differs from what would be written in DIR.
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

impl From<OutputFormat> for Format {
    fn from(f: OutputFormat) -> Format {
        match f {
            OutputFormat::Yaml => Format::Yaml,
            OutputFormat::Json => Format::Json,
        }
    }
}

pub fn run(args: &BuildArgs, reporter: &mut Reporter) -> Outcome {
    let inputs = super::read_inputs(&args.files, reporter)?;
    let format = Format::from(flags::format(args.output, args.format, reporter));
    // Each namespace's objects become text as soon as they are emitted
    // (`crate::compile_to`), and only the text is kept until the whole
    // program is known to compile (beyond a megabyte, in an unnamed
    // temporary file: `Listing::spilling`); then it is printed, or written
    // to the directory.
    let mut listing = output::Listing::spilling(format);
    let mut by_namespace: BTreeMap<String, String> = BTreeMap::new();
    let mut compilation = crate::compile_to(inputs, &mut |namespace, policies, names| {
        match &args.out_dir {
            None => listing.push(policies, names)?,
            Some(_) => {
                by_namespace.insert(
                    namespace.to_string(),
                    output::namespace_body(policies, names, format)?,
                );
            }
        }
        Ok(())
    })
    .map_err(|e| serialize_error(&e))?;
    if reporter.diagnostics(&compilation.diagnostics, &compilation.sources) {
        return Err(Stop::Exit(Exit::Failed));
    }
    let cluster = std::mem::take(&mut compilation.cluster_policies);
    // The process ends soon after: freeing every node of a large program
    // one by one costs time (about 3 % of a build) and frees nothing the OS
    // would not.
    std::mem::forget(compilation);
    let Some(dir) = &args.out_dir else {
        listing
            .prepend_cluster(&cluster)
            .map_err(|e| serialize_error(&e))?;
        flags::emit_with(args.out_file.as_deref(), |out| listing.write_to(out))?;
        return Ok(Exit::Ok);
    };
    let cluster_body = if cluster.is_empty() {
        None
    } else {
        Some(output::cluster_body(&cluster, format).map_err(|e| serialize_error(&e))?)
    };
    let files = output::directory_with(cluster_body, by_namespace, format);
    if args.check {
        return check_dir(args, dir, &files, reporter);
    }
    files::write_output_dir(dir, &files, &output::is_generated)?;
    Ok(Exit::Ok)
}

fn serialize_error(e: &str) -> Error {
    Error::io(format!("cannot serialize the policies: {e}"))
}

/// `--check`: lists what would change and fails if anything would.
fn check_dir(
    args: &BuildArgs,
    dir: &Path,
    files: &BTreeMap<String, String>,
    reporter: &mut Reporter,
) -> Outcome {
    let differences = files::check_output_dir(dir, files, &output::is_generated);
    if differences.is_empty() {
        return Ok(Exit::Ok);
    }
    let mut text = String::new();
    for d in &differences {
        let (what, path) = match d {
            Difference::Missing(p) => ("missing:", p),
            Difference::Changed(p) => ("changed:", p),
            Difference::Stale(p) => ("stale:", p),
            Difference::Leftover(p) => ("leftover:", p),
        };
        text.push_str(&format!(
            "{what:<9} {}\n",
            escape_controls(&path.display().to_string())
        ));
        if !reporter.is_human() {
            // One record per file, for annotations and code scanning.
            reporter.error(
                &Error::new(
                    ErrorKind::Check,
                    format!("{} {}", what.trim_end_matches(':'), path.display()),
                )
                .in_file(path.display().to_string()),
            );
        }
    }
    reporter.note(&text);
    Err(Error::new(
        ErrorKind::Check,
        format!("`{}` is out of date", dir.display()),
    )
    .with_help(format!("run `{}` and commit the result", rerun(args, dir)))
    .into())
}

/// The command that brings `dir` up to date: this one without `--check`.
fn rerun(args: &BuildArgs, dir: &Path) -> String {
    let quote = |p: &Path| {
        let s = p.display().to_string();
        let plain = s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+,:@".contains(c));
        if plain && !s.is_empty() {
            s
        } else {
            format!("'{}'", s.replace('\'', r"'\''"))
        }
    };
    let mut words = vec!["npc build".to_string()];
    words.extend(args.files.iter().map(|f| quote(f)));
    if args.output == OutputFormat::Json || args.format == Some(OutputFormat::Json) {
        words.push("-o json".to_string());
    }
    words.push(format!("--out-dir {}", quote(dir)));
    words.join(" ")
}
