//! Failures that are not about NPL source text: bad usage, files that cannot
//! be read or written, generator configurations and kustomizations. One
//! typed value for all of them, printed only by `render` (human, JSON, SARIF
//! or GitHub annotations), beside the `Diagnostic`s of the program.

use std::fmt;

/// What kind of failure, for exit codes and machine-readable output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorKind {
    /// The command line is wrong.
    Usage,
    /// A file, standard input or standard output could not be read or written.
    Io,
    /// A generator configuration, ResourceList or other YAML input is invalid.
    Config,
    /// A kustomization setting would change what the policies allow.
    Kustomization,
    /// A check found what it looks for (`build --check`: stale output).
    Check,
}

impl ErrorKind {
    /// The stable name in JSON, SARIF (`ruleId`) and annotations.
    pub fn id(self) -> &'static str {
        match self {
            ErrorKind::Usage => "usage",
            ErrorKind::Io => "io",
            ErrorKind::Config => "config",
            ErrorKind::Kustomization => "kustomization",
            ErrorKind::Check => "check",
        }
    }

    /// A one-line summary, as the diagnostic codes have.
    pub fn summary(self) -> &'static str {
        match self {
            ErrorKind::Usage => "invalid command line",
            ErrorKind::Io => "input or output error",
            ErrorKind::Config => "invalid configuration or input",
            ErrorKind::Kustomization => "kustomization setting that changes the policies",
            ErrorKind::Check => "check failed",
        }
    }
}

/// Where an error is, as far as it is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    /// 1-based.
    pub line: Option<usize>,
    /// 1-based, in characters.
    pub column: Option<usize>,
}

/// A failure outside the program text, with the fix in `help`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub help: Option<String>,
    pub location: Option<Location>,
}

impl Error {
    /// Whether the error means "the check failed" (exit 1) rather than
    /// "the command could not run" (exit 2).
    pub fn is_failure(&self) -> bool {
        matches!(self.kind, ErrorKind::Kustomization | ErrorKind::Check)
    }

    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            help: None,
            location: None,
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Usage, message)
    }

    pub fn io(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Io, message)
    }

    pub fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config, message)
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The file the error is about.
    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        self.location = Some(Location {
            file: file.into(),
            line: None,
            column: None,
        });
        self
    }

    /// The file and, where known, the position the error is about.
    pub fn at(
        mut self,
        file: impl Into<String>,
        line: Option<usize>,
        column: Option<usize>,
    ) -> Self {
        self.location = Some(Location {
            file: file.into(),
            line,
            column,
        });
        self
    }

    /// An error writing `what` (a path, or "standard output").
    pub fn write(what: &str, e: &std::io::Error) -> Self {
        Error::io(format!("cannot write {what}: {}", io_reason(e)))
    }
}

impl fmt::Display for Error {
    /// The message alone, for logs and tests; `render` prints errors for people.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<crate::files::ReadError> for Error {
    fn from(e: crate::files::ReadError) -> Self {
        let name = e.name.clone();
        let error = Error::io(e.to_string());
        if name == "<stdin>" {
            error
        } else {
            error.in_file(name)
        }
    }
}

pub use crate::files::io_reason;
