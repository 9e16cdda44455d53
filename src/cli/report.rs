//! Where diagnostics and errors go: stderr, in the format `--error-format`
//! chose, coloured as `--color` and the environment (`NO_COLOR`,
//! `CLICOLOR_FORCE`, `TERM=dumb`) say. Human output is printed at once;
//! JSON, SARIF and GitHub annotations are collected and printed as one
//! document when the command ends.

use std::io::Write as _;

use super::{ColorChoice, DiagnosticArgs, ErrorFormat};
use crate::diagnostic::Diagnostic;
use crate::error::Error;
use crate::render::{self, Record};
use crate::source::SourceMap;

/// Collects and prints what a command reports.
#[derive(Debug)]
pub struct Reporter {
    format: ErrorFormat,
    color: ColorChoice,
    deny_warnings: bool,
    records: Vec<Record>,
}

impl Reporter {
    pub fn new(args: &DiagnosticArgs) -> Self {
        Reporter {
            format: args.error_format,
            color: args.color,
            deny_warnings: args.deny_warnings,
            records: Vec::new(),
        }
    }

    /// For commands without diagnostic options: human, coloured if the terminal is.
    pub fn plain() -> Self {
        Reporter::with_format(ErrorFormat::Human)
    }

    pub fn with_format(format: ErrorFormat) -> Self {
        Reporter {
            format,
            color: ColorChoice::Auto,
            deny_warnings: false,
            records: Vec::new(),
        }
    }

    pub fn deny_warnings(&mut self, deny: bool) {
        self.deny_warnings |= deny;
    }

    /// Reports diagnostics; true if they fail the run (an error, or a
    /// warning under `--deny-warnings`).
    pub fn diagnostics(&mut self, diags: &[Diagnostic], sources: &SourceMap) -> bool {
        let failed = diags.iter().any(|d| d.is_error() || self.deny_warnings);
        // At most `MAX_PER_FILE` per file, whoever collected them.
        let diags = crate::diagnostic::capped(diags);
        let diags = diags.as_ref();
        match self.format {
            ErrorFormat::Human => {
                if !diags.is_empty() {
                    self.stderr(&render::human(diags, sources, true));
                }
            }
            _ => self.records.extend(render::records(diags, sources)),
        }
        failed
    }

    /// Reports an error.
    pub fn error(&mut self, e: &Error) {
        match self.format {
            ErrorFormat::Human => self.stderr(&render::human_error(e, true)),
            _ => self.records.push(render::error_record(e)),
        }
    }

    /// Reports a warning about the command line (a deprecated spelling).
    pub fn warning(&mut self, e: &Error) {
        match self.format {
            ErrorFormat::Human => self.stderr(&render::human_warning(e, true)),
            _ => self.records.push(render::warning_record(e)),
        }
    }

    /// Prints a note for people (a summary, a hint) on stderr; in the
    /// machine formats stderr holds their one document only, so the note
    /// is left out.
    pub fn note(&mut self, text: &str) {
        if self.is_human() {
            self.stderr(text);
        }
    }

    /// Whether diagnostics are printed for people.
    pub fn is_human(&self) -> bool {
        self.format == ErrorFormat::Human
    }

    /// Prints what was collected (the JSON array and SARIF log even when
    /// empty, so a consumer always has a document to read).
    pub fn finish(self) {
        let text = match self.format {
            ErrorFormat::Human => return,
            ErrorFormat::Json => render::json_records(&self.records),
            ErrorFormat::Sarif => render::sarif(&self.records),
            ErrorFormat::Github => render::github(&self.records),
        };
        self.stderr(&text);
    }

    /// Writes to stderr, dropping the ANSI colours the choice and the
    /// environment do not want. A stderr that cannot be written is ignored:
    /// there is nowhere left to report it.
    fn stderr(&self, text: &str) {
        let mut err = anstream::AutoStream::new(std::io::stderr().lock(), self.color.stream());
        let _ = err.write_all(text.as_bytes());
        let _ = err.flush();
    }
}
