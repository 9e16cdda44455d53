//! Helpers shared by integration tests; each test binary uses a subset.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod nca;
