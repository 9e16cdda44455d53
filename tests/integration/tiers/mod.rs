//! Cluster guardrails (`admin` and `baseline` blocks): the emitted objects
//! against the API's schema and rules, an independent evaluator of the API
//! text (`oracle`) against npc's, over random objects and over cases from
//! the shapes of the upstream conformance tests; the same objects written
//! as YAML and read by `npc analyze` against the same verdicts.

pub mod conformance;
pub mod differential;
pub mod manifests;
pub mod oracle;
pub mod schema;
