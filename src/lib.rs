//! npc — the NetworkPolicy compiler.
pub mod diagnostic;
pub mod eval;
pub mod source;
pub mod syntax;
