//! `npc build`: compile NPL files and print or write the policies.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::{compile_files, usage_error, write_atomically, DiagnosticArgs, ExitCode, Stop};
use crate::emit::output::{self, Format, GENERATED_HEADER};
use crate::k8s::{MANAGED_BY_LABEL, MANAGED_BY_VALUE};

pub const AFTER_HELP: &str = "\
Examples:
  npc build policies.npl                   # multi-document YAML on stdout
  npc build policies.npl -o deploy/netpol  # one file per namespace + kustomization.yaml
  npc build policies.npl -o deploy/netpol --check   # CI: fail if the directory is stale
  npc build a.npl b.npl --format json      # a JSON `List`

Without -o, output is sorted by namespace, then name. With -o, the directory's
files are replaced only when the whole program compiles; files npc did not
write are left alone.

Exit codes:
  0  success (warnings may have been printed)
  1  the program has errors (with --check: the directory is out of date)
  2  usage or I/O error";

#[derive(Args, Debug)]
pub struct BuildArgs {
    /// NPL files to compile together as one program (`-` reads stdin)
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Write one file per namespace and a kustomization.yaml into DIR
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Yaml)]
    pub format: OutputFormat,
    /// With -o: write nothing, exit 1 if DIR differs from what would be written
    #[arg(long, requires = "output")]
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

pub fn run(args: &BuildArgs) -> ExitCode {
    if args.format == OutputFormat::Yaml {
        return run_streaming(args);
    }
    let compilation = match compile_files(&args.files, &args.diagnostics) {
        Ok(c) => c,
        Err(Stop::Usage) => return ExitCode::Usage,
        Err(Stop::Errors) => return ExitCode::Failed,
    };
    let format = Format::from(args.format);
    let code = write_output(args, &compilation, format);
    // The process ends right after: freeing every node of a large program
    // one by one costs about 8% of a build and frees nothing the OS would not.
    std::mem::forget(compilation);
    code
}

/// YAML, one namespace at a time (`crate::compile_to`): each namespace's
/// objects become text as soon as they are emitted, and only the text is
/// kept until the whole program is known to compile; then it is printed, or
/// written to the directory as before.
fn run_streaming(args: &BuildArgs) -> ExitCode {
    let inputs = match super::read_inputs(&args.files) {
        Ok(inputs) => inputs,
        Err(e) => return usage_error(&e),
    };
    let format = Format::Yaml;
    let mut stdout_text = String::new();
    let mut by_namespace: BTreeMap<String, String> = BTreeMap::new();
    let result = crate::compile_to(inputs, &mut |namespace, policies| {
        match &args.output {
            None => {
                if !stdout_text.is_empty() {
                    stdout_text.push_str("---\n");
                }
                stdout_text.push_str(&output::to_yaml(policies)?);
            }
            Some(_) => {
                by_namespace.insert(
                    namespace.to_string(),
                    output::namespace_file(policies, format)?,
                );
            }
        }
        Ok(())
    });
    let compilation = match result {
        Ok(c) => c,
        Err(e) => return usage_error(&format!("cannot serialize the policies: {e}")),
    };
    if args
        .diagnostics
        .report(&compilation.diagnostics, &compilation.sources)
    {
        return ExitCode::Failed;
    }
    // The process ends right after: freeing every node of a large program
    // one by one costs time and frees nothing the OS would not.
    std::mem::forget(compilation);
    match &args.output {
        None => {
            print!("{stdout_text}");
            ExitCode::Ok
        }
        Some(dir) => {
            let files = output::directory(by_namespace, format);
            if args.check {
                check_dir(dir, &files)
            } else {
                match write_dir(dir, &files) {
                    Ok(()) => ExitCode::Ok,
                    Err(e) => usage_error(&e),
                }
            }
        }
    }
}

fn write_output(args: &BuildArgs, compilation: &crate::Compilation, format: Format) -> ExitCode {
    match &args.output {
        None => match output::render(&compilation.policies, format) {
            Ok(text) => {
                print!("{text}");
                ExitCode::Ok
            }
            Err(e) => usage_error(&format!("cannot serialize the policies: {e}")),
        },
        Some(dir) => {
            let files = match output::files(&compilation.policies, format) {
                Ok(f) => f,
                Err(e) => return usage_error(&format!("cannot serialize the policies: {e}")),
            };
            if args.check {
                check_dir(dir, &files)
            } else {
                match write_dir(dir, &files) {
                    Ok(()) => ExitCode::Ok,
                    Err(e) => usage_error(&e),
                }
            }
        }
    }
}

/// Whether a file in the output directory was written by npc.
fn is_generated(path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str());
    if !matches!(ext, Some("yaml" | "yml" | "json")) {
        return false;
    }
    std::fs::read_to_string(path).is_ok_and(|t| {
        t.starts_with(GENERATED_HEADER)
            || (ext == Some("json")
                && t.contains(&format!("\"{MANAGED_BY_LABEL}\": \"{MANAGED_BY_VALUE}\"")))
    })
}

/// Generated files in `dir` that the new output no longer contains.
fn stale(dir: &Path, files: &BTreeMap<String, String>) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_none_or(|n| !files.contains_key(n))
        })
        .filter(|p| is_generated(p))
        .collect();
    out.sort();
    out
}

/// Writes every file through a temporary file and a rename, then removes
/// generated files that are no longer produced.
fn write_dir(dir: &Path, files: &BTreeMap<String, String>) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| {
        format!(
            "cannot create `{}`: {}",
            dir.display(),
            crate::load::io_reason(&e)
        )
    })?;
    for name in files.keys() {
        let path = dir.join(name);
        if path.exists() && !is_generated(&path) {
            return Err(format!(
                "`{}` exists and was not written by npc; move it away or choose another output directory",
                path.display()
            ));
        }
    }
    for (name, text) in files {
        write_atomically(&dir.join(name), text)?;
    }
    for path in stale(dir, files) {
        std::fs::remove_file(&path).map_err(|e| {
            format!(
                "cannot remove stale `{}`: {}",
                path.display(),
                crate::load::io_reason(&e)
            )
        })?;
    }
    Ok(())
}

/// `--check`: lists what would change and fails if anything would.
fn check_dir(dir: &Path, files: &BTreeMap<String, String>) -> ExitCode {
    let mut differences = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(existing) if &existing == text => {}
            Ok(_) => differences.push(format!("changed: {}", path.display())),
            Err(_) => differences.push(format!("missing: {}", path.display())),
        }
    }
    for path in stale(dir, files) {
        differences.push(format!("stale:   {}", path.display()));
    }
    if differences.is_empty() {
        ExitCode::Ok
    } else {
        for d in &differences {
            eprintln!("{d}");
        }
        eprintln!(
            "error: `{}` is out of date; run `npc build ... -o {}` and commit the result",
            dir.display(),
            dir.display()
        );
        ExitCode::Failed
    }
}
