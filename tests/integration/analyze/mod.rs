//! `npc analyze` and the manifest reader under it: the corpus of
//! real-world-shaped manifests (`tests/data/manifests/`) against snapshots
//! and against nca reading the same files, the command line, and random
//! manifests against nca (`differential`).

mod cilium;
mod cli;
mod cluster;
mod compat;
pub mod corpus;
pub mod differential;
mod graph;
mod reader;
mod tolerant;
