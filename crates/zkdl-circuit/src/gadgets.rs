//! Shapes and parameters of the gadgets, shared by prover and verifier (the relations
//! themselves and their proofs: [`crate::relations`]).
//!
//! Ranges (`0 <= v[x] + offset < 2^k`) are digits of at most 16 bits checked by LogUp
//! lookups, tied to the value by a linear relation (`RelationSet::range`). The sign bit
//! of a signed `Q`-bit value `z` is bit `Q - 1` of `z + 2^(Q-1)`: `[z >= 0]`, a
//! separate boolean tensor that zkReLU uses as its mask.

use zkdl_core::Fr;

/// Largest bit width of the range gadget.
pub const MAX_RANGE_BITS: u32 = 62;

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

impl RescaleSpec {
    /// The product `C` at a point from the rounded `Cq` and the remainder `R` there:
    /// `(2^shift Cq + R - 2^(shift-1)) / mult`; without a remainder (an exact product,
    /// `shift = 0`) `Cq / mult`. `None` for a remainder that does not fit the shift, or
    /// `mult = 0`.
    pub fn unround(&self, cq: Fr, rem: Option<Fr>) -> Option<Fr> {
        let inv = zkdl_core::field::fr_inverse(Fr::from(self.mult))?;
        let p = zkdl_core::field::fr_pow2(self.shift);
        let rounded = match rem {
            Some(rem) => rem - zkdl_core::field::fr_pow2(self.shift.checked_sub(1)?),
            None if self.shift == 0 => Fr::from(0u64),
            None => return None,
        };
        Some((p * cq + rounded) * inv)
    }

    /// The rounded product and remainder of the integer product `c`:
    /// `mult c + 2^(shift-1) = 2^shift Cq + R` (exact, `Cq = mult c`, for `shift = 0`).
    pub fn round(&self, c: i128) -> (i128, i128) {
        let (q, r) = zkdl_core::field::rescale_round(self.mult as i128 * c, self.shift);
        (q, r as i128)
    }
}

/// The cell of `z` on a grid of `2^w` cells of `2^shift` units centred on zero:
/// `(X, E)` with `U = floor(z / 2^shift)`, `X = clamp(U, -2^(w-1), 2^(w-1) - 1)` and
/// `E = U - X` (`w` in `1..=62`).
pub fn grid_cell(z: i64, shift: u32, w: u32) -> (i64, i64) {
    let u = z >> shift.min(63);
    let half = 1i64 << (w.clamp(1, 62) - 1);
    let x = u.clamp(-half, half - 1);
    (x, u - x)
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
