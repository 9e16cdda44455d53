//! npc — the NetworkPolicy compiler.
pub mod diagnostic;
pub mod diff;
pub mod fmt;
pub mod source;
pub mod syntax;
