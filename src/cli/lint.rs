//! `npc lint`: coded findings (the rules of `lint::RULES`) over existing manifests.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::analyze::{load, ManifestArgs};
use super::flags::{self, Formats, FORMAT_DEPRECATED_HELP, OUTPUT_HELP, OUT_FILE_HELP};
use super::{print_with, DiagnosticArgs, Exit, Outcome, Reporter, Stop};
use crate::diagnostic::Diagnostic;
use crate::error::Error;
use crate::lint::{self, Levels};
use crate::source::SourceMap;

/// The one-line description of `npc lint` (`npc --help`), with the range
/// of the rules' codes.
pub fn about() -> String {
    let first = lint::RULES.first().map_or("", |r| r.code.id);
    let last = lint::RULES.last().map_or("", |r| r.code.id);
    format!("Report NetworkPolicy mistakes in existing manifests ({first}-{last})")
}

/// `npc lint --help`'s examples, rules and exit codes; the rules as
/// `lint::RULES` defines them.
pub fn after_help() -> String {
    let mut rules = String::new();
    for r in lint::RULES {
        let text = format!("{} [{}]", r.description.replace('`', ""), r.name);
        rules.push_str(&wrapped(&format!("  {}  ", r.code.id), &text, 80));
    }
    format!(
        "\
Examples:
  npc lint deploy/
  kubectl get netpol,deploy,sts,ds,ns -A -o yaml | npc lint -
  npc lint deploy/ --deny L001 --allow half-world
  npc lint deploy/ -o json > findings.json
  npc lint deploy/ -o sarif --out-file npc.sarif   # GitHub code scanning

Findings (warnings unless --deny makes them errors; --deny and --allow take
a code or its [name]):
{rules}Each code has a page under docs/errors/. See docs/analyze.md.

Findings go to stdout (or --out-file) in the format -o chose (sarif for
code scanning, github for workflow annotations); usage and I/O errors to
stderr in the --error-format chosen.

Exit codes:
  0  no finding is an error (warnings may have been printed)
  1  a finding is an error (--deny, --deny-warnings), or a manifest is malformed
  2  usage or I/O error"
    )
}

/// `text` after `lead`, broken at spaces into lines of at most `width`
/// columns, the lines after the first indented like the text.
fn wrapped(lead: &str, text: &str, width: usize) -> String {
    let indent = " ".repeat(lead.chars().count());
    let mut out = lead.to_string();
    let mut column = out.chars().count();
    let mut first = true;
    for word in text.split(' ') {
        let len = word.chars().count();
        if !first && column + 1 + len > width {
            out.push('\n');
            out.push_str(&indent);
            column = indent.len();
        } else if !first {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += len;
        first = false;
    }
    out.push('\n');
    out
}

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
    #[arg(short = 'o', long = "output", value_name = "FORMAT", help = OUTPUT_HELP,
          default_value = "human", value_parser = Formats::<LintFormat>::default())]
    pub output: LintFormat,
    #[arg(long, value_name = "FORMAT", hide = true, help = FORMAT_DEPRECATED_HELP,
          conflicts_with = "output", value_parser = Formats::<LintFormat>::default())]
    pub format: Option<LintFormat>,
    #[arg(long, value_name = "FILE", help = OUT_FILE_HELP)]
    pub out_file: Option<PathBuf>,
    /// Report this code's findings as errors (repeatable; a code or a rule's name)
    #[arg(long, value_name = "CODE")]
    pub deny: Vec<String>,
    /// Do not report this code (repeatable; a code or a rule's name)
    #[arg(long, value_name = "CODE")]
    pub allow: Vec<String>,
    #[command(flatten)]
    pub input: ManifestArgs,
    #[command(flatten)]
    pub diagnostics: DiagnosticArgs,
}

/// The findings on stdout in the chosen format.
fn output(
    args: &LintArgs,
    format: LintFormat,
    diags: &[Diagnostic],
    sources: &SourceMap,
) -> Result<(), Stop> {
    let text = match format {
        LintFormat::Human if args.out_file.is_none() => {
            let text = crate::render::human(diags, sources, true);
            return print_with(&text, args.diagnostics.color);
        }
        LintFormat::Human => crate::render::human(diags, sources, false),
        LintFormat::Json => crate::render::json(diags, sources),
        LintFormat::Sarif => crate::render::sarif(&crate::render::records(diags, sources)),
        LintFormat::Github => crate::render::github(&crate::render::records(diags, sources)),
    };
    flags::emit(&text, args.out_file.as_deref())
}

pub fn run(args: &LintArgs, reporter: &mut Reporter) -> Outcome {
    let format = flags::format(args.output, args.format, reporter);
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
    if format == LintFormat::Human {
        reporter.note(&manifests.notes());
    }
    if loaded.has_errors() {
        output(args, format, &loaded.diagnostics, &manifests.sources)?;
        return Ok(Exit::Failed);
    }
    let mut diags = loaded.diagnostics.clone();
    diags.extend(levels.apply(lint::lint(manifests)));
    // A file's summary of the findings left out stays its last.
    let summary = |d: &Diagnostic| d.code == crate::diagnostic::codes::MORE_NOT_SHOWN;
    diags.sort_by_key(|d| (d.span.file, summary(d), d.span.start(), d.code.id));
    output(
        args,
        format,
        &crate::diagnostic::capped(&diags),
        &manifests.sources,
    )?;
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    if format == LintFormat::Human {
        reporter.note(&format!(
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
