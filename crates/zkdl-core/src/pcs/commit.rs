//! Committing tables: [`commit`] / [`commit_split`] of field, small-integer and bit
//! tables, commitments derived from factors or from other commitments
//! ([`commit_tn_product`], [`commit_affine_combination`]), and the batched check that
//! commitments are those of integer tables ([`commits_to_i64`]).

use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::Zero;
use rayon::prelude::*;

use super::{checked_rows, split_vars, HyraxCommitment, HyraxGenerators, MAX_VARS};
use crate::error::PcsError;
use crate::field::Fr;
use crate::{G1Affine, G1Projective};

/// The scalars of a table to commit: field elements or small signed integers
/// (quantized tensors, which take the fast MSM path).
#[derive(Debug, Clone, Copy)]
pub enum Table<'a> {
    Field(&'a [Fr]),
    Small(&'a [i64]),
    /// 0/1 entries (sign bits, bit planes): committed like `Small`, one bit plane over
    /// the generators' subset table where built.
    Bits(&'a [bool]),
}

impl Table<'_> {
    fn len(&self) -> usize {
        match self {
            Table::Field(v) => v.len(),
            Table::Small(v) => v.len(),
            Table::Bits(v) => v.len(),
        }
    }
}

/// Commit to a table of `2^num_vars` values (shorter tables are NOT padded here:
/// the caller pads, so that padding is explicit). `blinds`, if given, has one
/// factor per row. The MSMs run on the generators' backend: the rows of small integers
/// and bits over its prepared column generators ([`HyraxGenerators::columns`]), rows of
/// field elements by [`MsmBackend::msm_fr`].
///
/// [`MsmBackend::msm_fr`]: crate::msm::MsmBackend::msm_fr
pub fn commit(
    gens: &HyraxGenerators,
    num_vars: usize,
    table: Table<'_>,
    blinds: Option<&[Fr]>,
) -> Result<HyraxCommitment, PcsError> {
    commit_split(gens, num_vars, split_vars(num_vars).1, table, blinds)
}

/// [`commit`] with an explicit number of column variables (`col_vars <= num_vars`).
/// A table stacked from `2^s` tables of `n` variables each (the stack index as the
/// last variables) committed with `col_vars = split_vars(n).1` has exactly the
/// concatenated rows of the parts' default commitments (see [`HyraxCommitment::concat`]).
pub fn commit_split(
    gens: &HyraxGenerators,
    num_vars: usize,
    col_vars: usize,
    table: Table<'_>,
    blinds: Option<&[Fr]>,
) -> Result<HyraxCommitment, PcsError> {
    let row_vars = checked_rows(num_vars, col_vars)?;
    if table.len() != 1usize << num_vars {
        return Err(PcsError::WrongTableLength { expected: 1usize << num_vars, got: table.len() });
    }
    let rows = 1usize << row_vars;
    if let Some(b) = blinds {
        if b.len() != rows {
            return Err(PcsError::WrongBlindCount { expected: rows, got: b.len() });
        }
    }
    let g = gens.cols(col_vars)?;
    let m = g.len();
    let msm = gens.backend();
    // Lengths are equal by construction, so the MSMs cannot fail.
    let mut proj: Vec<G1Projective> = match table {
        Table::Field(v) => {
            (0..rows).into_par_iter().map(|i| msm.msm_fr(g, &v[i * m..(i + 1) * m]).unwrap_or_default()).collect()
        }
        // all rows at once over the prepared generators: the backend shares work between rows
        Table::Small(v) => gens.columns().msm_i64_rows(0..m, v)?,
        Table::Bits(v) => {
            let v: Vec<i64> = v.par_iter().map(|&b| b as i64).collect();
            gens.columns().msm_i64_rows(0..m, &v)?
        }
    };
    if let Some(b) = blinds {
        proj.par_iter_mut().zip(b).for_each(|(c, bi)| *c += gens.h * bi);
    }
    Ok(HyraxCommitment { rows: G1Projective::normalize_batch(&proj) })
}

/// The commitment (column split `col_vars`, no blinding) of the `n x m` row-major
/// product `mult A^T G`, `A` of `k x n` and `G` of `k x m` (row-major), from the
/// factors: a product of rank `k` costs MSMs over `k (2^col_vars + n)` small scalars
/// when a Hyrax row holds whole product rows (each row of `G` committed against the
/// column generators once per position in a Hyrax row, then every row of the product as
/// a combination of those `k`-point sums with the scalars of `A`), `k (m + n m /
/// 2^col_vars)` when a product row spans several Hyrax rows, instead of `n m` entries. The points equal those of
/// [`commit_split`] on the product table (the group law is exact), which the prover
/// uses for the weights after an exact SGD update, `ΔW = m A^T G` of batch rank.
/// `m` and `2^col_vars` must divide one another (powers of two). The MSMs run on the
/// generators' backend.
pub fn commit_tn_product(
    gens: &HyraxGenerators,
    col_vars: usize,
    a: &[i64],
    g: &[i64],
    (k, n, m): (usize, usize, usize),
    mult: i64,
) -> Result<HyraxCommitment, PcsError> {
    let cols = 1usize << col_vars;
    let total = n.checked_mul(m).filter(|t| t.is_power_of_two() && t.trailing_zeros() as usize <= MAX_VARS);
    let total = total.ok_or(PcsError::TooManyVars { num_vars: MAX_VARS + 1, max: MAX_VARS })?;
    for (table, len) in [(a, k.checked_mul(n)), (g, k.checked_mul(m))] {
        if k == 0 || Some(table.len()) != len {
            return Err(PcsError::WrongTableLength { expected: len.unwrap_or(usize::MAX), got: table.len() });
        }
    }
    if !m.is_power_of_two() || total < cols {
        return Err(PcsError::TooManyVars { num_vars: col_vars, max: total.trailing_zeros() as usize });
    }
    gens.cols(col_vars)?; // enough generators
    let (msm, fixed) = (gens.backend(), gens.columns());
    let gm = g.iter().map(|&x| x.checked_mul(mult)).collect::<Option<Vec<i64>>>().ok_or(PcsError::ScalarOverflow)?;
    let affine = |v: Vec<G1Projective>| G1Projective::normalize_batch(&v);
    let rows: Vec<G1Projective> = if cols >= m {
        // a Hyrax row holds s = cols / m whole product rows: row r is
        // sum_{u < s} sum_b A[b, r s + u] H[u][b], H[u][b] = sum_j (mult G[b, j]) gen[u m + j]
        let s = cols / m;
        let mut h = Vec::with_capacity(s * k);
        for u in 0..s {
            let range = u * m..(u + 1) * m;
            h.extend(fixed.msm_i64_rows(range, &gm)?);
        }
        let h = affine(h);
        let nrows = n / s;
        let mut sc = vec![0i64; nrows * s * k];
        sc.par_chunks_mut(s * k).enumerate().for_each(|(r, row)| {
            for u in 0..s {
                for b in 0..k {
                    row[u * k + b] = a[b * n + r * s + u];
                }
            }
        });
        msm.msm_i64_rows(&h, &sc)?
    } else {
        // a product row spans nv = m / cols Hyrax rows: row (i, v) is
        // sum_b A[b, i] H_v[b], H_v[b] = sum_{j < cols} (mult G[b, v cols + j]) gen[j]
        let nv = m / cols;
        let mut at = vec![0i64; n * k];
        at.par_chunks_mut(k).enumerate().for_each(|(i, row)| {
            for (b, x) in row.iter_mut().enumerate() {
                *x = a[b * n + i];
            }
        });
        let mut out = vec![G1Projective::zero(); n * nv];
        for v in 0..nv {
            let mut gv = Vec::with_capacity(k * cols);
            for b in 0..k {
                gv.extend_from_slice(&gm[b * m + v * cols..b * m + (v + 1) * cols]);
            }
            let hv = affine(fixed.msm_i64_rows(0..cols, &gv)?);
            for (i, p) in msm.msm_i64_rows(&hv, &at)?.into_iter().enumerate() {
                out[i * nv + v] = p;
            }
        }
        out
    };
    Ok(HyraxCommitment { rows: affine(rows) })
}

/// Whether the unblinded commitments `parts[i].0` (`2^col_vars` columns each) are those of
/// the tables of small integers `parts[i].1`, checked on one combination of all their
/// rows with the weights `gamma` (one per row, in order, drawn after the commitments are
/// fixed: other tables pass with probability at most `1/|Fr|`):
/// `sum_r gamma_r C_r == sum_j (sum_r gamma_r M[r, j]) G_j`, two MSMs (of the rows, of
/// the `2^col_vars` generators) and one pass over the tables instead of committing again.
pub fn commits_to_i64(
    gens: &HyraxGenerators,
    col_vars: usize,
    parts: &[(&HyraxCommitment, &[i64])],
    gamma: &[Fr],
) -> Result<bool, PcsError> {
    let g = gens.cols(col_vars)?;
    let rows: Vec<G1Affine> = parts.iter().flat_map(|(c, _)| c.rows.iter().copied()).collect();
    if gamma.len() != rows.len() {
        return Err(PcsError::CombineMismatch { commitments: rows.len(), coefficients: gamma.len() });
    }
    let mut v = vec![Fr::zero(); g.len()];
    let mut at = 0usize;
    for (comm, table) in parts {
        let n = comm.rows.len();
        let len = n.saturating_mul(g.len());
        if table.len() != len {
            return Err(PcsError::WrongTableLength { expected: len, got: table.len() });
        }
        let w = gamma.get(at..at + n).ok_or(PcsError::CombineMismatch { commitments: n, coefficients: 0 })?;
        let part = crate::mle::combine_rows_i64(table, col_vars, w);
        v.iter_mut().zip(&part).for_each(|(x, y)| *x += y);
        at += n;
    }
    let msm = gens.backend();
    Ok(msm.msm_fr(&rows, gamma)? == msm.msm_fr(g, &v)?)
}

/// The commitment of `sum_k c_k T_k + constant` (every entry) from the (unblinded)
/// commitments of the `T_k`, all under the column split `col_vars`: row by row,
/// `sum_k c_k C_k[row] + constant * sum_{j < 2^col_vars} G_j`. The result is exactly
/// what [`commit_split`] gives for the combined table, at the cost of a few group
/// operations per row instead of an MSM: the prover derives the commitments of
/// tables that are linear in tables it has committed (weights after an update).
pub fn commit_affine_combination(
    gens: &HyraxGenerators,
    col_vars: usize,
    terms: &[(&HyraxCommitment, i64)],
    constant: i64,
) -> Result<HyraxCommitment, PcsError> {
    let rows = terms
        .first()
        .map(|(c, _)| c.rows.len())
        .ok_or(PcsError::CombineMismatch { commitments: 0, coefficients: 0 })?;
    if let Some((c, _)) = terms.iter().find(|(c, _)| c.rows.len() != rows) {
        return Err(PcsError::WrongRowCount { expected: rows, got: c.rows.len() });
    }
    // Small integer multiples by double-and-add over the magnitude's bits (a negative
    // coefficient as a field element would take all 255 bits).
    let times = |p: G1Projective, k: i64| {
        let m = p.mul_bigint([k.unsigned_abs()]);
        if k < 0 {
            -m
        } else {
            m
        }
    };
    let offset = if constant == 0 { G1Projective::zero() } else { times(gens.column_sum(col_vars)?, constant) };
    let proj: Vec<G1Projective> = (0..rows)
        .into_par_iter()
        .map(|i| {
            let mut acc = offset;
            for (c, k) in terms {
                match *k {
                    1 => acc += c.rows[i],
                    -1 => acc -= c.rows[i],
                    k => acc += times(c.rows[i].into_group(), k),
                }
            }
            acc
        })
        .collect();
    Ok(HyraxCommitment { rows: G1Projective::normalize_batch(&proj) })
}
