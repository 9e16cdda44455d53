//! `npc lint`: coded findings (L001–L011) over existing manifests.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::analyze::{load, policy_set, ManifestArgs};
use super::{usage_error, ColorChoice, ExitCode};
use crate::diagnostic::Diagnostic;
use crate::lint::{self, Levels};
use crate::source::{FileId, SourceFile, SourceMap};

pub const AFTER_HELP: &str = "\
Examples:
  npc lint deploy/
  kubectl get netpol,deploy,sts,ds,ns -A -o yaml | npc lint -
  npc lint deploy/ --deny L001 --allow L010
  npc lint deploy/ --format json > findings.json

Findings (warnings unless --deny makes them errors):
  L001  egress isolated without DNS on UDP and TCP 53 (the DNS trap)
  L002  a lone namespaceSelector and a lone podSelector where one peer was meant
  L003  a policy that selects no workload
  L004  a peer that matches no workload
  L005  a named port that no destination declares
  L006  port 53 without a protocol (TCP only)
  L007  a policy or peer aimed at host-network pods
  L008  a policy that adds no connection (shadowed by others)
  L009  an allow-all hidden in a rule
  L010  0.0.0.0/0 without ::/0, or the reverse
  L011  a connection allowed on one side only
Each code has a page under docs/errors/. See docs/analyze.md.

Exit codes:
  0  no finding is an error (warnings may have been printed)
  1  a finding is an error (--deny, --deny-warnings), or a manifest is malformed
  2  usage or I/O error";

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LintFormat {
    /// For people, with the YAML lines
    Human,
    /// A JSON array, as `--error-format json` prints diagnostics
    Json,
}

#[derive(Args, Debug)]
pub struct LintArgs {
    /// Manifest files or directories; `-` reads stdin
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format of the findings (on stdout)
    #[arg(long, value_enum, default_value_t = LintFormat::Human)]
    pub format: LintFormat,
    /// Report this code's findings as errors (repeatable)
    #[arg(long, value_name = "CODE")]
    pub deny: Vec<String>,
    /// Do not report this code (repeatable)
    #[arg(long, value_name = "CODE")]
    pub allow: Vec<String>,
    /// Treat every finding as an error (exit code 1)
    #[arg(long)]
    pub deny_warnings: bool,
    /// Colour the human format
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    #[command(flatten)]
    pub input: ManifestArgs,
}

fn print(args: &LintArgs, diags: &[Diagnostic], sources: &SourceMap) {
    match args.format {
        LintFormat::Human => {
            let color = args.color.for_stdout();
            for d in diags {
                let slim = slim(sources, d);
                print!(
                    "{}",
                    crate::render::human(std::slice::from_ref(d), &slim, color)
                );
            }
        }
        LintFormat::Json => print!("{}", crate::render::json(diags, sources)),
    }
}

/// The sources with the text of only the files a diagnostic points into:
/// the human renderer copies every file it is given, once per diagnostic,
/// which costs seconds for thousands of findings over hundreds of files.
fn slim(sources: &SourceMap, d: &Diagnostic) -> SourceMap {
    let used: Vec<FileId> = std::iter::once(d.span.file)
        .chain(d.secondary.iter().map(|s| s.span.file))
        .collect();
    let mut out = SourceMap::default();
    for (id, file) in sources.files() {
        let text = if used.contains(&id) {
            file.text.as_str()
        } else {
            ""
        };
        out.add(SourceFile::new(file.name.clone(), file.path.clone(), text));
    }
    out
}

pub fn run(args: &LintArgs) -> ExitCode {
    let levels = Levels {
        allow: args.allow.clone(),
        deny: args.deny.clone(),
    };
    let unknown = levels.unknown();
    if !unknown.is_empty() {
        let known: Vec<&str> = lint::codes().map(|c| c.id).collect();
        return usage_error(&format!(
            "unknown lint code `{}` (the codes are {})",
            unknown.join("`, `"),
            known.join(", ")
        ));
    }
    let loaded = match load(&args.paths, &args.input, true) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let manifests = &loaded.manifests;
    if loaded.has_errors() {
        print(args, &loaded.diagnostics, &manifests.sources);
        return ExitCode::Failed;
    }
    let set = match policy_set(manifests) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut diags = loaded.diagnostics.clone();
    diags.extend(levels.apply(lint::lint(manifests, &set)));
    diags.sort_by_key(|d| (d.span.file, d.span.start, d.code.id));
    print(args, &diags, &manifests.sources);
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    if args.format == LintFormat::Human {
        eprintln!(
            "{}; {errors} {}, {warnings} {}",
            manifests.summary(),
            if errors == 1 { "error" } else { "errors" },
            if warnings == 1 { "warning" } else { "warnings" }
        );
    }
    if errors > 0 || (args.deny_warnings && warnings > 0) {
        ExitCode::Failed
    } else {
        ExitCode::Ok
    }
}
