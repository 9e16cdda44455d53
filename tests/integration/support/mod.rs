//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod lsp_client;
pub mod nca;
pub mod npc;
