//! Label selectors of policies, read through the one typed form
//! (`k8s::Selector`), with every key, value and expression the API server
//! refuses reported at its path.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::error::ErrorSink;
pub(crate) use crate::k8s::Selector;

/// The selector at `path`; what the API refuses is reported and left out
/// (the policy is then refused as a whole, so nothing is evaluated with it).
pub(crate) fn compile(
    selector: &LabelSelector,
    path: impl std::fmt::Display,
    sink: &mut ErrorSink<'_>,
) -> Selector {
    match Selector::from_api(selector) {
        Ok(s) => s,
        Err(errors) => {
            for e in errors {
                sink.report(format!("{path}{}", e.place.path()), e.kind.to_string());
            }
            Selector::everything()
        }
    }
}
