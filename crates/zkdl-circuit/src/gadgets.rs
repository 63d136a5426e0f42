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

/// How the two operands of a matrix product are laid out (all tables row-major;
/// `C` is `2^li x 2^lk`, the contraction runs over `2^lj`):
/// - `NN`: `C[i,k] = sum_j X[i,j] Y[j,k]` (forward: `Z = A W`)
/// - `NT`: `C[i,k] = sum_j X[i,j] Y[k,j]` (backward: `GA = G W^T`)
/// - `TN`: `C[i,k] = sum_j X[j,i] Y[j,k]` (weight gradient: `GW = A^T G`)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatmulForm {
    NN,
    NT,
    TN,
}

/// Shape of a matrix product, dimensions as base-2 logarithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MatmulShape {
    pub form: MatmulForm,
    pub li: usize,
    pub lj: usize,
    pub lk: usize,
}

impl MatmulShape {
    pub fn x_vars(&self) -> usize {
        self.li + self.lj
    }
    pub fn y_vars(&self) -> usize {
        self.lj + self.lk
    }
    pub fn c_vars(&self) -> usize {
        self.li + self.lk
    }
    /// Row-major index of `X`'s entry `(i, j)` of the product.
    pub fn x_index(&self, i: usize, j: usize) -> usize {
        match self.form {
            MatmulForm::NN | MatmulForm::NT => (i << self.lj) | j,
            MatmulForm::TN => (j << self.li) | i,
        }
    }
    /// Row-major index of `Y`'s entry `(j, k)` of the product.
    pub fn y_index(&self, j: usize, k: usize) -> usize {
        match self.form {
            MatmulForm::NN | MatmulForm::TN => (j << self.lk) | k,
            MatmulForm::NT => (k << self.lj) | j,
        }
    }
    /// Point of `X`'s MLE for product indices `(r_i, r_j)` (column bits first).
    pub fn x_point(&self, r_i: &[Fr], r_j: &[Fr]) -> Vec<Fr> {
        match self.form {
            MatmulForm::NN | MatmulForm::NT => matrix_point(r_j, r_i),
            MatmulForm::TN => matrix_point(r_i, r_j),
        }
    }
    /// Point of `Y`'s MLE for product indices `(r_j, r_k)`.
    pub fn y_point(&self, r_j: &[Fr], r_k: &[Fr]) -> Vec<Fr> {
        match self.form {
            MatmulForm::NN | MatmulForm::TN => matrix_point(r_k, r_j),
            MatmulForm::NT => matrix_point(r_j, r_k),
        }
    }
}

/// Rescaling: `mult * C + 2^(shift-1) = 2^shift Cq + R`, `0 <= R < 2^shift`, `Cq` a
/// `total_bits`-bit signed value. Forward and backward: `mult = 1, shift = f`; the SGD
/// update: `mult = m, shift = f + e` (so `Cq = ΔW`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RescaleSpec {
    pub mult: u64,
    pub shift: u32,
    pub total_bits: u32,
}

/// The optional mask `Out = s ⊙ Cq`, with sign bits `s` read from a plane of a
/// committed bit-plane table: the range proof of this `Cq` (`OwnSign`, plane
/// `total_bits - 1`: zkReLU forward) or another layer's planes (`External`: the
/// backward pass reuses the forward sign bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MaskKind {
    None,
    OwnSign,
    External { plane: u32, plane_vars: usize },
}

/// The commitments of a rescaled matmul; `out` only with a mask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RescaledMatmulCommitments {
    pub x: HyraxCommitment,
    pub y: HyraxCommitment,
    pub cq: HyraxCommitment,
    pub rem: HyraxCommitment,
    pub out: Option<HyraxCommitment>,
    /// A bias vector `b` (`2^lk` entries, `NN` form only): the product becomes
    /// `C[i,k] = sum_j X[i,j] Y[j,k] + 2^shift b[k]`.
    pub bias: Option<HyraxCommitment>,
}

/// The masking part of a [`RescaledMatmulProof`].
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct MaskProof {
    pub out_val: Fr,
    pub open_out: HyraxOpening,
    pub hadamard: SumcheckProof,
    pub sign_val: Fr,
    pub open_sign: HyraxOpening,
    pub cq_r4: Fr,
    pub open_cq_r4: HyraxOpening,
}

/// Proof of `Out = s ⊙ rescale(X ⊛ Y)` on committed tensors (the product itself is
/// never committed).
///
/// Transcript order: statement ([`absorb_rescaled_matmul`]); range proofs of `R`
/// (`shift` bits) and `Cq` (`total_bits` bits, offset `2^(total_bits-1)`); challenge
/// `r` over `C`; `Cq(r)`, `R(r)` opened and `C(r) = (2^shift Cq(r) + R(r) - 2^(shift-1))
/// / mult` derived; the matmul sumcheck (degree 2, over `j`) ends in `X(..)`, `Y(..)`
/// (opened); with a mask: challenge `r'`, `Out(r')` opened, the Hadamard sumcheck
/// `Out(r') = sum_x eq(r', x) s(x) Cq(x)` (degree 3) ends in `s(r4)` (opened on the
/// planes at `(r4, bits of the plane)`) and `Cq(r4)` (opened).
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct RescaledMatmulProof {
    pub rem_range: RangeProof,
    pub cq_range: RangeProof,
    pub cq_r: Fr,
    pub open_cq_r: HyraxOpening,
    pub rem_r: Fr,
    pub open_rem_r: HyraxOpening,
    pub matmul: SumcheckProof,
    pub x_val: Fr,
    pub open_x: HyraxOpening,
    pub y_val: Fr,
    pub open_y: HyraxOpening,
    pub mask: Option<MaskProof>,
    /// With a bias: `b(r_k)` and its opening.
    pub bias: Option<(Fr, HyraxOpening)>,
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

/// Absorb the statement (shape, rescaling, mask, commitments). Shared by prover and
/// verifier so both sides cannot drift apart.
pub fn absorb_rescaled_matmul(
    t: &mut zkdl_core::transcript::Transcript,
    shape: MatmulShape,
    rescale: RescaleSpec,
    mask: MaskKind,
    c: &RescaledMatmulCommitments,
    external_planes: Option<&HyraxCommitment>,
) {
    use zkdl_core::transcript::labels;
    let form = match shape.form {
        MatmulForm::NN => 0,
        MatmulForm::NT => 1,
        MatmulForm::TN => 2,
    };
    for v in [form, shape.li as u64, shape.lj as u64, shape.lk as u64] {
        t.append_u64(labels::LAYER_BEGIN, v);
    }
    for v in [rescale.mult, rescale.shift as u64, rescale.total_bits as u64] {
        t.append_u64(labels::LAYER_BEGIN, v);
    }
    let (kind, plane, pv) = match mask {
        MaskKind::None => (0u64, 0u64, 0u64),
        MaskKind::OwnSign => (1, 0, 0),
        MaskKind::External { plane, plane_vars } => (2, plane as u64, plane_vars as u64),
    };
    for v in [kind, plane, pv] {
        t.append_u64(labels::LAYER_BEGIN, v);
    }
    t.append_u64(labels::LAYER_BEGIN, c.bias.is_some() as u64);
    for comm in
        [&c.x, &c.y, &c.cq, &c.rem].into_iter().chain(c.out.as_ref()).chain(c.bias.as_ref()).chain(external_planes)
    {
        t.append_points(labels::LAYER_COMMITMENT, &comm.rows);
    }
}

/// Proof that a committed row-major matrix (`2^row_vars x 2^col_vars`) is zero outside
/// its top-left `rows x cols` block: `sum_x eq(rho, x) P(x) T(x) = 0` with `P` the
/// padding indicator (degree-3 sumcheck), ending in `T(r)` (opened); the verifier
/// evaluates `P~(r) = 1 - I_cols~(r_col) I_rows~(r_row)` itself.
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct ZeroPaddingProof {
    pub sumcheck: SumcheckProof,
    pub value: Fr,
    pub opening: HyraxOpening,
}

/// The padding indicator table of a `2^row_vars x 2^col_vars` matrix whose real block
/// is `rows x cols`: 1 outside the block, 0 inside.
pub fn padding_indicator(rows: usize, cols: usize, row_vars: usize, col_vars: usize) -> Vec<Fr> {
    let (nr, nc) = (1usize << row_vars, 1usize << col_vars);
    let mut out = vec![Fr::from(1u64); nr * nc];
    for i in 0..rows.min(nr) {
        for j in 0..cols.min(nc) {
            out[i * nc + j] = Fr::from(0u64);
        }
    }
    out
}

/// `P~(r)` of [`padding_indicator`] at `r = (r_col, r_row)`, in `O(2^col_vars + 2^row_vars)`.
pub fn padding_indicator_eval(rows: usize, cols: usize, row_vars: usize, col_vars: usize, r: &[Fr]) -> Option<Fr> {
    if r.len() != row_vars + col_vars {
        return None;
    }
    let (r_col, r_row) = r.split_at(col_vars);
    let ic: Fr = zkdl_core::mle::eq_table(r_col).iter().take(cols).sum();
    let ir: Fr = zkdl_core::mle::eq_table(r_row).iter().take(rows).sum();
    Some(Fr::from(1u64) - ic * ir)
}
