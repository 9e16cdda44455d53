//! npc — the NetworkPolicy compiler.
pub mod diagnostic;
pub mod source;
pub mod syntax;
