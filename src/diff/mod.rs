//! `npc diff`: what applying npc's output would change in a cluster.
//!
//! Pipeline: [`load`] reads the deployed objects (files, directories, stdin
//! text), [`normalize`] brings both sides to a canonical form, [`compare`]
//! classifies each object by namespace/name, and [`report`] renders the
//! result for humans (the JSON form is the serialized [`DiffReport`]).

pub mod compare;
pub mod load;
pub mod normalize;
pub mod report;
pub mod semantic;

use std::fmt;

pub use compare::{
    compare, compare_with_cilium, ChangedObject, DiffOptions, DiffReport, ObjectKey,
};
pub use load::{load_path, load_str, Deployed, DeployedPolicy};
pub use report::render_human;

/// Why the deployed objects could not be read or the report not written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// A file or directory could not be read.
    Read { path: String, message: String },
    /// A file is not valid YAML (or holds a value JSON cannot represent).
    Parse {
        origin: String,
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    },
    /// An object could not be encoded as YAML or JSON.
    Encode { message: String },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Read { path, message } => write!(f, "cannot read `{path}`: {message}"),
            Error::Parse {
                origin,
                line: Some(line),
                column,
                message,
            } => {
                write!(f, "invalid YAML in `{origin}` at line {line}")?;
                if let Some(column) = column {
                    write!(f, ", column {column}")?;
                }
                write!(f, ": {message}")
            }
            Error::Parse {
                origin, message, ..
            } => write!(f, "invalid YAML in `{origin}`: {message}"),
            Error::Encode { message } => write!(f, "cannot encode a policy: {message}"),
        }
    }
}

impl std::error::Error for Error {}
