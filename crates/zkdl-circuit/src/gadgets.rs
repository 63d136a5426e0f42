//! Proof types of the gadgets, shared by prover and verifier.
//!
//! The range gadget shows that every entry of a committed vector `v` (a table of
//! `2^n` entries, committed with Hyrax) satisfies `0 <= v[x] + offset < 2^k`, by
//! bit decomposition (DESIGN §3, as zkDL's zkReLU does):
//!
//! - the prover commits the bit planes as ONE stacked table
//!   `B(x, j) = bit j of (v[x] + offset)`, `j < 2^ceil(log2 k)` (planes `j >= k` are
//!   zero), with the plane index as the LAST variables;
//! - booleanity: `sum_{x,j} eq(rho, (x, j)) B(x,j) (B(x,j) - 1) = 0` by sumcheck
//!   (degree 3), ending in a claim `B(r1)`;
//! - recomposition at a random `r2`: `v~(r2) + offset = sum_j w(j) B~(r2, j)` with
//!   `w(j) = 2^j` for `j < k` and 0 otherwise, by a sumcheck over `j` (degree 2),
//!   ending in a claim `B(r2, r3)`;
//! - the three evaluation claims `B(r1)`, `B(r2, r3)`, `v(r2)` are opened.
//!
//! The sign bit of a signed `Q`-bit value `z` is plane `Q - 1` of `z + 2^(Q-1)`:
//! `[z >= 0]`. zkReLU uses exactly that plane.

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use zkdl_core::pcs::{HyraxCommitment, HyraxOpening};
use zkdl_core::sumcheck::SumcheckProof;
use zkdl_core::Fr;

/// Largest bit width of the range gadget.
pub const MAX_RANGE_BITS: u32 = 62;

/// Number of plane-index variables for `k` planes: `ceil(log2 k)`.
pub fn plane_vars(k: u32) -> usize {
    (k.max(1) as usize).next_power_of_two().trailing_zeros() as usize
}

/// A range proof for one committed vector.
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct RangeProof {
    /// Commitment to the stacked bit planes (`n + plane_vars(k)` variables).
    pub bits: HyraxCommitment,
    /// Booleanity sumcheck and the claimed `B(r1)` with its opening.
    pub booleanity: SumcheckProof,
    pub b_r1: Fr,
    pub open_b_r1: HyraxOpening,
    /// The claimed `v(r2)` with its opening.
    pub v_r2: Fr,
    pub open_v_r2: HyraxOpening,
    /// Recomposition sumcheck over the plane index and the claimed `B(r2, r3)`.
    pub recomposition: SumcheckProof,
    pub b_r23: Fr,
    pub open_b_r23: HyraxOpening,
}
