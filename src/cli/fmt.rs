//! `npc fmt`: rewrite NPL files in canonical form.

use std::path::PathBuf;

use clap::Args;

use super::{print, DiagnosticArgs, Exit, Outcome, Reporter};
use crate::error::{Error, ErrorKind};
use crate::files::{self, MAX_SOURCE_BYTES};
use crate::k8s::escape_controls;
use crate::source::{SourceFile, SourceMap};

pub const AFTER_HELP: &str = "\
Examples:
  npc fmt policies.npl teams/*.npl   # rewrite in place
  npc fmt policies/                  # every *.npl below the directory
  npc fmt --check examples/*.npl     # CI: show what would change, as a diff
  npc fmt - < policies.npl           # editors: stdin to stdout

Formatting never changes meaning: spacing, one statement per line, two-space
indentation in blocks, label and port sets in a stable order. Comments are
kept. A file with syntax errors is reported and left untouched. A file is
rewritten like an editor saves it: through a symlink to its target, with its
permissions, and in place when it has more than one hard link.

Exit codes:
  0  success (with --check: every file is formatted)
  1  a file has syntax errors (with --check: or is not formatted)
  2  usage or I/O error";

#[derive(Args, Debug)]
pub struct FmtArgs {
    /// NPL files or directories to format; `-` formats stdin to stdout
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Write nothing; exit 1 if anything would change (for CI)
    ///
    /// Prints a unified diff of what would change.
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub diagnostics: DiagnosticArgs,
}

pub fn run(args: &FmtArgs, reporter: &mut Reporter) -> Outcome {
    let mut failed = false;
    let mut unformatted = false;
    for arg in &args.files {
        let stdin = arg.as_os_str() == "-";
        let paths = if stdin {
            vec![arg.clone()]
        } else {
            super::expand(arg, reporter)?
        };
        for path in paths {
            let (name, text) = if stdin {
                ("<stdin>".to_string(), files::read_stdin(MAX_SOURCE_BYTES)?)
            } else {
                let text = files::read_text(&path, MAX_SOURCE_BYTES)?;
                (path.display().to_string(), text)
            };
            let formatted = match crate::format::format(&text) {
                Ok(f) => f,
                Err(diags) => {
                    let mut sources = SourceMap::default();
                    sources.add(SourceFile::new(name, None, text.clone()));
                    reporter.diagnostics(&diags.sorted(), &sources);
                    failed = true;
                    if stdin {
                        print(&text)?;
                    }
                    continue;
                }
            };
            if stdin && !args.check {
                print(&formatted)?;
            } else if formatted != text {
                if args.check {
                    print(&unified_diff(&name, &text, &formatted))?;
                    failed = true;
                    unformatted = true;
                    if !reporter.is_human() {
                        reporter.error(
                            &Error::new(ErrorKind::Check, format!("`{name}` is not formatted"))
                                .in_file(name.clone())
                                .with_help(format!("run `npc fmt {name}`")),
                        );
                    }
                } else {
                    files::rewrite_file(&path, &formatted)?;
                }
            }
        }
    }
    if unformatted {
        reporter.note("some files are not formatted; run `npc fmt` on them\n");
    }
    Ok(if failed { Exit::Failed } else { Exit::Ok })
}

/// What formatting would change, as a unified diff (`--- a/FILE`, `+++ b/FILE`).
/// The unified diff of a file and its formatted text, each line with its
/// control characters escaped (a line of the file could drive the terminal
/// otherwise; a carriage return shows as `\r`).
fn unified_diff(name: &str, old: &str, new: &str) -> String {
    let diff = similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string();
    diff.split_inclusive('\n')
        .map(|line| match line.strip_suffix('\n') {
            Some(body) => format!("{}\n", escape_controls(body)),
            None => escape_controls(line).into_owned(),
        })
        .collect()
}
