//! A training run proven in chunks: every proof verified, and consecutive proofs bound
//! to each other (the same circuit, the next steps, the weights the previous one ends
//! with, the same dataset), optionally every batch checked against the committed
//! dataset (`zkdl_circuit::dataset`).

use thiserror::Error;
use zkdl_circuit::dataset::{check_batches, DatasetCommitment, DatasetError};
use zkdl_circuit::proof::{Statement, TrainingProof};
use zkdl_circuit::CircuitSpec;

use crate::VerifyError;

/// One proof of a chain.
#[derive(Debug, Clone, Copy)]
pub struct Chunk<'a> {
    pub spec: &'a CircuitSpec,
    pub statement: &'a Statement,
    pub proof: &'a TrainingProof,
}

/// What a chain is checked against.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChainOptions<'a> {
    /// Accept a first proof that continues a run (its `W(0)` not range-checked in it):
    /// the caller vouches for the weights it starts from.
    pub trust_initial: bool,
    /// The committed dataset and its digest: every proof must name it, and every batch
    /// must be its rows at the schedule's positions.
    pub dataset: Option<(&'a DatasetCommitment, [u8; 32])>,
}

/// Why a chain was rejected. Proofs are numbered from 1, in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ChainError {
    #[error("no proof given")]
    Empty,
    #[error("proof {index}: {source}")]
    Proof { index: usize, source: VerifyError },
    #[error(
        "proof 1 proves steps {first}..{end}, a continued chunk whose W(0) it does not range-check: the proofs of steps 0..{first} must come before it"
    )]
    MissingPredecessor { first: u64, end: u64 },
    #[error("proofs {} and {} do not chain: they are about different circuits", .index.saturating_sub(1), .index)]
    OtherCircuit { index: usize },
    #[error("proofs {} and {} do not chain: the second is not the chunk of steps that follows the first (steps {expected}.. expected, {found}.. found{})", .index.saturating_sub(1), .index, if *.first_chunk { ", a first chunk" } else { "" })]
    NotNext { index: usize, expected: u64, found: u64, first_chunk: bool },
    #[error("proofs {} and {} do not chain: the second does not start from the weights the first ends with", .index.saturating_sub(1), .index)]
    Weights { index: usize },
    #[error("proofs {} and {} do not chain: they name different datasets", .index.saturating_sub(1), .index)]
    OtherDataset { index: usize },
    #[error("proof {index}: dataset: {source}")]
    Batches { index: usize, source: DatasetError },
}

/// Steps `first..end` of the run that a statement proves.
pub fn step_range(s: &Statement) -> (u64, u64) {
    (s.step_offset, s.step_offset.saturating_add(s.data.len() as u64))
}

/// Binds consecutive proofs of `chunks` (the cheap checks first) and verifies each (see
/// the module docs).
/// Returns the steps `first..end` the chain proves.
pub fn verify_chain(chunks: &[Chunk<'_>], opts: &ChainOptions<'_>) -> Result<(u64, u64), ChainError> {
    let first = chunks.first().ok_or(ChainError::Empty)?;
    if !first.statement.initial_checked && !opts.trust_initial {
        let (first, end) = step_range(first.statement);
        return Err(ChainError::MissingPredecessor { first, end });
    }
    let mut prev: Option<&Chunk<'_>> = None;
    for (k, c) in chunks.iter().enumerate() {
        let index = k + 1;
        if let Some(p) = prev {
            let (a, b) = (p.statement, c.statement);
            let expected = step_range(a).1;
            if p.spec.digest() != c.spec.digest() {
                return Err(ChainError::OtherCircuit { index });
            }
            if b.initial_checked || b.step_offset != expected {
                let first_chunk = b.initial_checked;
                return Err(ChainError::NotNext { index, expected, found: b.step_offset, first_chunk });
            }
            if a.w_final != b.w_initial || a.b_final != b.b_initial || a.s_final != b.s_initial {
                return Err(ChainError::Weights { index });
            }
            if a.dataset != b.dataset {
                return Err(ChainError::OtherDataset { index });
            }
        }
        crate::verify(c.spec, c.statement, c.proof).map_err(|source| ChainError::Proof { index, source })?;
        if let Some((d, digest)) = &opts.dataset {
            check_batches(c.spec, c.statement, d, digest).map_err(|source| ChainError::Batches { index, source })?;
        }
        prev = Some(c);
    }
    let end = chunks.last().map_or(0, |c| step_range(c.statement).1);
    Ok((step_range(first.statement).0, end))
}
