//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod nca;
pub mod npc;
