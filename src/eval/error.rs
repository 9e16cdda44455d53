//! Errors found while reading NetworkPolicy objects into a policy set.

use std::fmt;

/// One problem in one policy, located by a JSON-path-like field path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    /// `namespace/name` of the policy (`?` for a missing field).
    pub policy: String,
    /// Where in the object, e.g. `spec.ingress[0].from[1].ipBlock.cidr`.
    pub path: String,
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "policy `{}`: {}: {}",
            self.policy, self.path, self.message
        )
    }
}

/// Every problem found in a list of policies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyErrors(pub Vec<PolicyError>);

impl fmt::Display for PolicyErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PolicyErrors {}

/// Collects errors for one policy while it is being compiled.
pub(crate) struct ErrorSink<'a> {
    pub policy: String,
    pub errors: &'a mut Vec<PolicyError>,
}

impl ErrorSink<'_> {
    pub fn report(&mut self, path: impl fmt::Display, message: impl Into<String>) {
        self.errors.push(PolicyError {
            policy: self.policy.clone(),
            path: path.to_string(),
            message: message.into(),
        });
    }
}

/// A field path written only when an error is reported (valid policies,
/// the common case, never format one): `spec.ingress[0].from[2]`.
#[derive(Clone, Copy)]
pub(crate) enum Path<'a> {
    /// `parent.field[index]` (no parent: `field[index]`).
    Item(Option<&'a Path<'a>>, &'static str, usize),
    /// `parent.field`.
    Field(&'a Path<'a>, &'static str),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Item(None, field, i) => write!(f, "{field}[{i}]"),
            Path::Item(Some(parent), field, i) => write!(f, "{parent}.{field}[{i}]"),
            Path::Field(parent, field) => write!(f, "{parent}.{field}"),
        }
    }
}
