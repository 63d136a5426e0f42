//! zkdl: zero-knowledge proofs of neural-network training.
//!
//! This facade re-exports the workspace crates; the `zkdl` binary is the CLI.
pub use zkdl_core as core;

pub mod demo;
