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
    /// An opening equation of the phase (the combined Hyrax openings, or a combination
    /// of commitments that cannot be formed).
    #[error("{phase}: opening rejected: {source}")]
    Opening { phase: Phase, source: zkdl_core::PcsError },
    /// The commitments named by the statement and the proof cannot be assembled.
    #[error("{what}: {source}")]
    Commitment { what: &'static str, source: zkdl_core::PcsError },
    /// The phase's batched sumcheck ends in a value the values sent after it do not give.
    #[error("{phase}: {check}")]
    FinalClaim { phase: Phase, check: &'static str },
    /// One relation of the phase, checked alone, fails: its index among the relation
    /// set's relations of that kind and the tensor it is about (named by the training
    /// layout where the proof is one of training).
    #[error("{phase}, relation {relation} on {tensor}: {check}")]
    Relation { phase: Phase, relation: usize, tensor: String, check: &'static str },
    #[error("bad parameters: {0}")]
    Params(&'static str),
    /// The relation set to verify against is not well formed.
    #[error("the relation set: {0}")]
    Set(zkdl_circuit::relations::SetError),
    /// The circuit has no training layout.
    #[error("the circuit: {0}")]
    Layout(zkdl_circuit::proof::LayoutError),
    #[error("proof or statement has the wrong shape: {0}")]
    Shape(&'static str),
    #[error("the statement's circuit digest differs from the circuit's")]
    DigestMismatch,
}

/// How a proof was rejected ([`VerifyError::how`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// A round of a sumcheck does not sum to the running claim.
    RoundSum,
    /// A sumcheck's final value is not what the values sent after it give.
    FinalClaim,
    /// One relation checked alone fails.
    Relation,
    /// An opening equation fails.
    Opening,
    /// The proof's shape or encoding (counts, lengths, parts that do not belong).
    Encoding,
    /// The statement does not belong to the circuit.
    Statement,
    /// The circuit or the parameters cannot be verified.
    Circuit,
}

impl VerifyError {
    /// The phase of the relation proof that rejects, where it is one.
    pub fn phase(&self) -> Option<Phase> {
        match self {
            VerifyError::Sumcheck { phase, .. }
            | VerifyError::Opening { phase, .. }
            | VerifyError::FinalClaim { phase, .. }
            | VerifyError::Relation { phase, .. } => Some(*phase),
            _ => None,
        }
    }

    /// How the proof was rejected.
    pub fn how(&self) -> Rejection {
        use zkdl_core::SumcheckError as S;
        match self {
            VerifyError::Sumcheck { source: S::RoundSumMismatch { .. }, .. } => Rejection::RoundSum,
            VerifyError::Sumcheck { .. } | VerifyError::Shape(_) | VerifyError::Commitment { .. } => {
                Rejection::Encoding
            }
            VerifyError::FinalClaim { .. } => Rejection::FinalClaim,
            VerifyError::Relation { .. } => Rejection::Relation,
            VerifyError::Opening { .. } => Rejection::Opening,
            VerifyError::DigestMismatch => Rejection::Statement,
            VerifyError::Params(_) | VerifyError::Set(_) | VerifyError::Layout(_) => Rejection::Circuit,
        }
    }
}

impl From<zkdl_circuit::assemble::AssembleError> for VerifyError {
    fn from(e: zkdl_circuit::assemble::AssembleError) -> Self {
        use zkdl_circuit::assemble::AssembleError as A;
        match e {
            A::Params(p) => VerifyError::Params(p),
            A::Layout(e) => VerifyError::Layout(e),
            A::Shape(s) => VerifyError::Shape(s),
            A::Commitment { what, source } => VerifyError::Commitment { what, source },
            _ => VerifyError::Params("assembling the commitments"),
        }
    }
}
