//! zkdl: zero-knowledge proofs of neural-network training.
//!
//! This facade re-exports the workspace crates; the `zkdl` binary is the CLI.
//!
//! Verifying a proof file from Rust takes three lines:
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let bytes = std::fs::read("proof.zkdl")?;
//! let f = zkdl::circuit::file::ProofFile::from_bytes(&bytes)?;
//! zkdl::verifier::verify(&f.spec, &f.statement, &f.proof)?;
//! # Ok(())
//! # }
//! ```
//!
//! (`examples/verify_file.rs` is the same as a program.)

#![forbid(unsafe_code)]
pub use zkdl_circuit as circuit;
pub use zkdl_core as core;
pub use zkdl_prover as prover;
pub use zkdl_verifier as verifier;

pub mod bench;
pub mod checkpoint;
pub mod cli;
pub mod demo;
pub mod error;
