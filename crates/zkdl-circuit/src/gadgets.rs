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

/// Proof of one dense ReLU layer's forward pass on committed tensors:
/// `Z = A_in W` (matmul, never committed), `Z + 2^(f-1) = 2^f Z' + R` with
/// `0 <= R < 2^f` and `Z'` a `Q`-bit value, `A_out = s ⊙ Z'` with `s = [Z' >= 0]`
/// taken from the bit planes of `Z' + 2^(Q-1)` (plane `Q - 1`).
///
/// Transcript order: (caller) commitments of `A_in`, `W`, `Z'`, `R`, `A_out`; range
/// proofs of `R` and `Z'`; challenge `r`; `Z'(r)`, `R(r)` opened; the verifier
/// derives the claim `Z(r) = 2^f Z'(r) + R(r) - 2^(f-1)` and checks it with the matmul
/// sumcheck, which ends in `A_in(r_row, r_j)` and `W(r_j, r_col)` (opened);
/// challenge `r'`; `A_out(r')` opened; the ReLU sumcheck
/// `A_out(r') = sum_x eq(r', x) s(x) Z'(x)` ends in `s(r4)` (an opening of the
/// planes at `(r4, bits(Q-1))`) and `Z'(r4)` (opened).
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct ReluLayerProof {
    pub r_range: RangeProof,
    pub zq_range: RangeProof,
    pub zq_r: Fr,
    pub open_zq_r: HyraxOpening,
    pub rem_r: Fr,
    pub open_rem_r: HyraxOpening,
    pub matmul: SumcheckProof,
    pub a_in_val: Fr,
    pub open_a_in: HyraxOpening,
    pub w_val: Fr,
    pub open_w: HyraxOpening,
    pub a_out_val: Fr,
    pub open_a_out: HyraxOpening,
    pub relu: SumcheckProof,
    pub sign_val: Fr,
    pub open_sign: HyraxOpening,
    pub zq_r4: Fr,
    pub open_zq_r4: HyraxOpening,
}

/// Shape of a dense layer: batch `B = 2^lb`, `d_in = 2^ld`, `d_out = 2^lk`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerShape {
    pub lb: usize,
    pub ld: usize,
    pub lk: usize,
}

/// Commitments a verifier holds for one dense ReLU layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReluLayerCommitments {
    pub a_in: HyraxCommitment,
    pub w: HyraxCommitment,
    pub zq: HyraxCommitment,
    pub rem: HyraxCommitment,
    pub a_out: HyraxCommitment,
}

/// The point `j ++ i` at which a row-major matrix's MLE is evaluated for
/// row point `i` and column point `j` (column bits are the first variables).
pub fn matrix_point(col: &[Fr], row: &[Fr]) -> Vec<Fr> {
    col.iter().chain(row).copied().collect()
}

/// `(0/1 bits of j, little-endian, as field elements)` over `vars` variables.
pub fn index_bits(j: usize, vars: usize) -> Vec<Fr> {
    (0..vars).map(|b| Fr::from(((j >> b) & 1) as u64)).collect()
}

/// Absorb the layer statement (shape, fixed point, commitments) into the transcript.
/// Shared by prover and verifier so both sides cannot drift apart.
pub fn absorb_relu_layer(
    t: &mut zkdl_core::transcript::Transcript,
    shape: LayerShape,
    frac_bits: u32,
    total_bits: u32,
    c: &ReluLayerCommitments,
) {
    use zkdl_core::transcript::labels;
    t.append_u64(labels::LAYER_BEGIN, shape.lb as u64);
    t.append_u64(labels::LAYER_BEGIN, shape.ld as u64);
    t.append_u64(labels::LAYER_BEGIN, shape.lk as u64);
    t.append_u64(labels::LAYER_BEGIN, frac_bits as u64);
    t.append_u64(labels::LAYER_BEGIN, total_bits as u64);
    for comm in [&c.a_in, &c.w, &c.zq, &c.rem, &c.a_out] {
        t.append_points(labels::LAYER_COMMITMENT, &comm.rows);
    }
}
