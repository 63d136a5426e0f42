//! zkdl: zero-knowledge proofs of neural-network training.
//!
//! This facade re-exports the workspace crates; the `zkdl` binary is the CLI.
pub use zkdl_circuit as circuit;
pub use zkdl_core as core;
pub use zkdl_prover as prover;
pub use zkdl_verifier as verifier;

pub mod cli;
pub mod demo;
