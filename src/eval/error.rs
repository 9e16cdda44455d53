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
    pub fn report(&mut self, path: &str, message: impl Into<String>) {
        self.errors.push(PolicyError {
            policy: self.policy.clone(),
            path: path.to_owned(),
            message: message.into(),
        });
    }
}
