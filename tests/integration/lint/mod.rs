//! `npc lint`: one positive and one negative case per code
//! (`tests/data/lint/LNNN-positive.yaml`, `LNNN-negative.yaml`), with
//! snapshots of the human and JSON output; the corpus; levels and exit codes.

mod cases;
