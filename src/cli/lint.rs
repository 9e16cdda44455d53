//! `npc lint`: coded findings (L001–L011) over existing manifests.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::analyze::{load, policy_set, ManifestArgs};
use super::{note, print, print_with, DiagnosticArgs, Exit, Outcome, Reporter, Stop};
use crate::diagnostic::Diagnostic;
use crate::error::Error;
use crate::lint::{self, Levels};
use crate::source::SourceMap;

pub const AFTER_HELP: &str = "\
Examples:
  npc lint deploy/
  kubectl get netpol,deploy,sts,ds,ns -A -o yaml | npc lint -
  npc lint deploy/ --deny L001 --allow L010
  npc lint deploy/ --format json > findings.json
  npc lint deploy/ --format sarif > npc.sarif      # GitHub code scanning

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

Findings go to stdout in the --format chosen (sarif for code scanning,
github for workflow annotations); usage and I/O errors to stderr in the
--error-format chosen.

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
    /// A SARIF 2.1.0 log, for code scanning
    Sarif,
    /// GitHub Actions workflow annotations
    Github,
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
    #[command(flatten)]
    pub input: ManifestArgs,
    #[command(flatten)]
    pub diagnostics: DiagnosticArgs,
}

/// The findings on stdout in the chosen format.
fn output(args: &LintArgs, diags: &[Diagnostic], sources: &SourceMap) -> Result<(), Stop> {
    let text = match args.format {
        LintFormat::Human => {
            let text = crate::render::human(diags, sources, true);
            return print_with(&text, args.diagnostics.color);
        }
        LintFormat::Json => crate::render::json(diags, sources),
        LintFormat::Sarif => crate::render::sarif(&crate::render::records(diags, sources)),
        LintFormat::Github => crate::render::github(&crate::render::records(diags, sources)),
    };
    print(&text)
}

pub fn run(args: &LintArgs, _reporter: &mut Reporter) -> Outcome {
    let levels = Levels {
        allow: args.allow.clone(),
        deny: args.deny.clone(),
    };
    let unknown = levels.unknown();
    if !unknown.is_empty() {
        let known: Vec<&str> = lint::codes().map(|c| c.id).collect();
        return Err(Stop::Error(
            Error::usage(format!("unknown lint code `{}`", unknown.join("`, `")))
                .with_help(format!("the lint codes are {}", known.join(", "))),
        ));
    }
    let loaded = load(&args.paths, &args.input, true)?;
    let manifests = &loaded.manifests;
    if loaded.has_errors() {
        output(args, &loaded.diagnostics, &manifests.sources)?;
        return Ok(Exit::Failed);
    }
    let set = policy_set(manifests)?;
    let mut diags = loaded.diagnostics.clone();
    diags.extend(levels.apply(lint::lint(manifests, &set)));
    // A file's summary of the findings left out stays its last.
    let summary = |d: &Diagnostic| d.code == crate::diagnostic::codes::MORE_NOT_SHOWN;
    diags.sort_by_key(|d| (d.span.file, summary(d), d.span.start, d.code.id));
    output(args, &crate::diagnostic::capped(&diags), &manifests.sources)?;
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    if args.format == LintFormat::Human {
        note(&format!(
            "{}; {errors} {}, {warnings} {}\n",
            manifests.summary(),
            if errors == 1 { "error" } else { "errors" },
            if warnings == 1 { "warning" } else { "warnings" }
        ));
    }
    if errors > 0 || (args.diagnostics.deny_warnings && warnings > 0) {
        Ok(Exit::Failed)
    } else {
        Ok(Exit::Ok)
    }
}
