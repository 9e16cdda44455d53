//! `npc fmt`: rewrite NPL files in canonical form.

use std::path::PathBuf;

use clap::Args;

use super::{usage_error, write_atomically, DiagnosticArgs, ExitCode};
use crate::source::{SourceFile, SourceMap};

pub const AFTER_HELP: &str = "\
Examples:
  npc fmt policies.npl teams/*.npl   # rewrite in place
  npc fmt --check examples/*.npl     # CI: list files that are not formatted
  npc fmt - < policies.npl           # editors: stdin to stdout

Formatting never changes meaning: spacing, one statement per line, two-space
indentation in blocks, label and port sets in a stable order. Comments are
kept. A file with syntax errors is reported and left untouched.

Exit codes:
  0  success (with --check: every file is formatted)
  1  a file has syntax errors (with --check: or is not formatted)
  2  usage or I/O error";

#[derive(Args, Debug)]
pub struct FmtArgs {
    /// NPL files to format; `-` formats stdin to stdout
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Write nothing; list the files that would change and exit 1 if any
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub diagnostics: DiagnosticArgs,
}

pub fn run(args: &FmtArgs) -> ExitCode {
    let mut failed = false;
    for path in &args.files {
        let stdin = path.as_os_str() == "-";
        let text = if stdin {
            match super::read_stdin() {
                Ok(t) => t,
                Err(e) => return usage_error(&e),
            }
        } else {
            match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => {
                    return usage_error(&format!(
                        "cannot read `{}`: {}",
                        path.display(),
                        crate::load::io_reason(&e)
                    ))
                }
            }
        };
        let name = if stdin {
            "<stdin>".to_string()
        } else {
            path.display().to_string()
        };
        let formatted = match crate::format::format(&text) {
            Ok(f) => f,
            Err(diags) => {
                let mut sources = SourceMap::default();
                sources.add(SourceFile::new(name, None, text.clone()));
                args.diagnostics.report(&diags.sorted(), &sources);
                failed = true;
                if stdin {
                    print!("{text}");
                }
                continue;
            }
        };
        if stdin {
            print!("{}", if args.check { &text } else { &formatted });
            if args.check && formatted != text {
                eprintln!("<stdin> is not formatted");
                failed = true;
            }
        } else if formatted != text {
            if args.check {
                println!("{}", path.display());
                failed = true;
            } else if let Err(e) = write_atomically(path, &formatted) {
                return usage_error(&e);
            }
        }
    }
    if failed {
        ExitCode::Failed
    } else {
        ExitCode::Ok
    }
}
