//! Carve-out passes (IR → IR): the rules every isolated namespace needs and
//! nobody should have to write, added as ordinary rules marked with their origin.
//! Default-deny itself is not a rule: it is each managed namespace's isolation,
//! emitted by `layout`.

pub mod dns;
pub mod scrape;
pub mod tier_dns;

use crate::ir::Program;

/// Runs every carve-out pass.
pub fn apply(program: &mut Program) {
    dns::apply(program);
    scrape::apply(program);
    tier_dns::apply(program);
}
