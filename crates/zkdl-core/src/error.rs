//! Typed errors of zkdl-core. Every enum is `#[non_exhaustive]` and carries the
//! context (which round, which size) needed to understand a rejection.

use thiserror::Error;

/// Errors of fixed-point encoding and field conversions.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum FixedPointError {
    #[error("value {value} is not finite")]
    NotFinite { value: f64 },
    #[error("value {value} does not fit in {bits}-bit signed fixed point with {frac_bits} fractional bits")]
    OutOfRange { value: f64, bits: u32, frac_bits: u32 },
    #[error("integer {value} does not fit in {bits} signed bits")]
    IntOutOfRange { value: i128, bits: u32 },
    #[error("field element is not a signed 64-bit integer (neither x nor p - x is below 2^63)")]
    FieldNotSmall,
    #[error("fractional bits {frac_bits} out of range (must be at most {max})")]
    BadFracBits { frac_bits: u32, max: u32 },
}

/// Errors of multilinear extensions.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MleError {
    #[error("evaluation table has length {len}, which is not a power of two")]
    NotPowerOfTwo { len: usize },
    #[error("point has {got} coordinates but the MLE has {expected} variables")]
    PointLength { expected: usize, got: usize },
    #[error("{len} values do not fit in 2^{num_vars} evaluations")]
    TooManyValues { len: usize, num_vars: usize },
    #[error("too many variables: {num_vars}")]
    TooManyVars { num_vars: usize },
}

/// Errors of the sumcheck verifier (and prover-side misuse).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SumcheckError {
    #[error("proof has {got} rounds, expected {expected}")]
    WrongRoundCount { expected: usize, got: usize },
    #[error("round {round}: polynomial has {got} evaluations, expected {expected}")]
    WrongDegree { round: usize, expected: usize, got: usize },
    #[error("round {round}: g(0) + g(1) does not equal the running claim")]
    RoundSumMismatch { round: usize },
    #[error("final evaluation does not match the claimed evaluations")]
    FinalEvaluationMismatch,
    #[error("batch is empty")]
    EmptyBatch,
    #[error("instance {index} has {got} variables, more than the batch's {max}")]
    TooManyVars { index: usize, got: usize, max: usize },
    #[error("degree {degree} is not supported (at most {max})")]
    DegreeTooHigh { degree: usize, max: usize },
    #[error("{got} final evaluations given for {expected} instances")]
    WrongEvaluationCount { expected: usize, got: usize },
    #[error("sumcheck instance is inconsistent: {0}")]
    BadInstance(&'static str),
}

/// Errors of the Hyrax polynomial commitment.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PcsError {
    #[error("hash to curve failed for generator {index}")]
    HashToCurve { index: usize },
    #[error("{needed} column generators needed, only {have} derived")]
    NotEnoughGenerators { needed: usize, have: usize },
    #[error("commitment has {got} rows, expected {expected}")]
    WrongRowCount { expected: usize, got: usize },
    #[error("opening proof has {got} folding rounds, expected {expected}")]
    WrongRoundCount { expected: usize, got: usize },
    #[error("evaluation point has {got} coordinates, expected {expected}")]
    PointLength { expected: usize, got: usize },
    #[error("{got} values for a table of {expected}")]
    WrongTableLength { expected: usize, got: usize },
    #[error("{got} blinding factors for {expected} rows")]
    WrongBlindCount { expected: usize, got: usize },
    #[error("commitments and coefficients differ in number ({commitments} vs {coefficients}) or shape")]
    CombineMismatch { commitments: usize, coefficients: usize },
    #[error("opening proof does not verify")]
    OpeningRejected,
    #[error("folding challenge was zero (negligible probability)")]
    ZeroChallenge,
    #[error("too many variables: {num_vars} (at most {max})")]
    TooManyVars { num_vars: usize, max: usize },
    #[error("multi-scalar multiplication: {0}")]
    Msm(#[from] MsmError),
    #[error("a scalar times the multiplier overflows 64 bits")]
    ScalarOverflow,
}

/// Errors of multi-scalar multiplication.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MsmError {
    #[error("{bases} bases but {scalars} scalars")]
    LengthMismatch { bases: usize, scalars: usize },
    #[error("base range {start}..{end} outside a set of {len} bases")]
    RangeOutside { start: usize, end: usize, len: usize },
}
