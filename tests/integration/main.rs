//! npc's integration tests: one binary (linking npc once), one module per
//! area. They go through public entry points only: the library's stage
//! functions and the `npc` binary (`support::npc`).
//!
//! Run one area with `cargo test --test integration AREA::`, e.g.
//! `cargo test --test integration corpus::`.

// Test code: failing loudly is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod analyze;
mod architecture;
mod cilium_schema;
mod cli;
mod cli_conventions;
mod cli_flags;
mod cli_hostile;
mod cli_reads;
mod cli_stdout;
mod cli_writes;
mod contract;
mod corpus;
mod diff_compare;
mod diff_load;
mod diff_normalize;
mod diff_semantic;
mod docs;
mod error_pages;
mod eval_differential;
mod eval_semantics;
mod examples;
mod fmt_layout;
mod fmt_roundtrip;
mod fuzz_corpus;
mod gen;
mod graph;
mod hints;
mod import;
mod isolate_only;
mod kustomize;
mod kustomize_fn;
mod kustomize_traps;
mod limits;
mod lint;
mod lsp_edits;
mod lsp_incremental;
mod lsp_limits;
mod lsp_stdio;
mod names;
mod properties;
mod tiers;
mod verify_cli;
mod verify_expect;
mod verify_explain;
mod verify_inventory;
