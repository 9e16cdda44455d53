//! Fuzz target: the `lsp_framing` input surface (see `surfaces.rs`).
#![no_main]

#[allow(dead_code)]
#[path = "../surfaces.rs"]
mod surfaces;

libfuzzer_sys::fuzz_target!(|data: &[u8]| surfaces::lsp_framing(data));
