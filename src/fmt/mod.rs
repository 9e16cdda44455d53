//! `npc fmt`: the canonical layout of NPL source, comments kept.
