//! # zkdl-verifier
//!
//! Verification of zkdl proofs. Depends on `zkdl-core` and `zkdl-circuit` only and
//! never panics on untrusted input: lints deny `unwrap`, `expect`, `panic` and
//! slice indexing in this crate's library code; every failure is a [`VerifyError`].

#![forbid(unsafe_code)]
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod chain;
pub mod relations;
pub mod training;

pub use chain::{verify_chain, ChainError, ChainOptions};
pub use relations::verify_relations;
pub use training::verify;

use thiserror::Error;

pub use zkdl_circuit::protocol::{Phase, FINAL};

/// Why a proof was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A round of the phase's batched sumcheck does not sum to the running claim.
    #[error("{phase}: sumcheck rejected: {source}")]
    Sumcheck { phase: Phase, source: zkdl_core::SumcheckError },
    /// An opening equation (a Hyrax opening, or a relation checked on commitments).
    #[error("{what}: opening rejected: {source}")]
    Opening { what: &'static str, source: zkdl_core::PcsError },
    /// The phase's final claim: the values sent do not give the value the sumcheck ends
    /// with, or `check` (the lookup's balance, a relation on commitments) fails.
    #[error("{phase}: {check}")]
    FinalClaim { phase: Phase, check: &'static str },
    #[error("bad parameters: {0}")]
    Params(&'static str),
    #[error("proof or statement has the wrong shape: {0}")]
    Shape(&'static str),
    #[error("the statement's circuit digest differs from the circuit's")]
    DigestMismatch,
}

impl From<zkdl_circuit::assemble::AssembleError> for VerifyError {
    fn from(e: zkdl_circuit::assemble::AssembleError) -> Self {
        use zkdl_circuit::assemble::AssembleError as A;
        match e {
            A::Params(p) => VerifyError::Params(p),
            A::Shape(s) => VerifyError::Shape(s),
            A::Commitment { what, source } => VerifyError::Opening { what, source },
            _ => VerifyError::Params("assembling the commitments"),
        }
    }
}
