//! Replays every saved fuzz input (`fuzz/corpus/TARGET/*`) through the same
//! entry points the fuzz targets call (`fuzz/surfaces.rs`), so every input a
//! fuzzer kept, and every crash fixed and saved there, keeps passing.
//! `scripts/fuzz.sh TARGET SECONDS` fuzzes longer (docs/testing.md).

#[allow(dead_code)]
#[path = "../../fuzz/surfaces.rs"]
mod surfaces;

use std::path::Path;

#[test]
fn every_saved_fuzz_input_passes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    for (target, surface) in surfaces::SURFACES {
        let dir = root.join(target);
        let mut inputs: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        inputs.sort();
        assert!(!inputs.is_empty(), "{target}: no seed corpus");
        for input in inputs {
            let data = std::fs::read(&input).unwrap();
            let outcome = std::panic::catch_unwind(|| surface(&data));
            assert!(outcome.is_ok(), "{target}: {} fails", input.display());
        }
    }
}
