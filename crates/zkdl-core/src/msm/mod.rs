//! Multi-scalar multiplication: the [`MsmBackend`] trait and [`CpuMsm`].
//!
//! Quantized tensors give small scalars: signed values below `2^16..2^48` and 0/1 bit
//! planes. [`CpuMsm`] specialises for them with a Pippenger bucket method that uses
//! signed digits (one window suffices for 16-bit values) and accumulates buckets with
//! **batch-affine additions**: points of a bucket are sorted next to each other and
//! added pairwise level by level, one field inversion per level shared by all pairs
//! (Montgomery's trick), about 6 base-field multiplications per addition instead of
//! about 11 for a mixed Jacobian addition. Work is split by point count, not by
//! bucket, so skewed scalar distributions (all ones, mostly zeros) stay parallel.
//! Full-size field scalars take the same bucket phase over signed digits of their
//! canonical representatives (`msm_full_signed`: about 1.3x `ark_ec`'s MSM at 2^14-2^15).
//! The rows of a commitment over the fixed column generators may instead go through a
//! [`SubsetTable`] (bit planes against precomputed subset sums of blocks of 12 bases)
//! when its cost model says so. Where the CPU has AVX-512 IFMA, the batch-affine
//! additions run eight at a time ([`crate::ifma`]): the subset table keeps its points in
//! that form, and larger reductions of arkworks' points are converted to it and back.

mod batch_add;
mod pippenger;
mod rows;
mod subset;

pub use subset::{SubsetTable, SUBSET_BLOCK};

use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{AdditiveGroup, PrimeField, Zero};
use rayon::prelude::*;

use crate::error::MsmError;
use crate::field::{small_signed, Fr};
use crate::{G1Affine, G1Projective};
use batch_add::msm_bits_affine;
use pippenger::{msm_full, msm_small_signed};
use rows::msm_small_rows;

/// A multi-scalar-multiplication backend. Implementations must agree exactly with
/// `sum_i scalars[i] * bases[i]`; the CPU one is the reference for GPU twins.
pub trait MsmBackend: Send + Sync {
    /// Name for logs ("cpu", "cuda", ...).
    fn name(&self) -> &'static str;
    /// Arbitrary field scalars (small ones are detected and take the fast path).
    fn msm_fr(&self, bases: &[G1Affine], scalars: &[Fr]) -> Result<G1Projective, MsmError>;
    /// Signed 64-bit scalars (the full range of `i64`, including `i64::MIN`).
    fn msm_i64(&self, bases: &[G1Affine], scalars: &[i64]) -> Result<G1Projective, MsmError>;
    /// 0/1 scalars.
    fn msm_bits(&self, bases: &[G1Affine], bits: &[bool]) -> Result<G1Projective, MsmError>;
    /// One MSM per row: `scalars` holds rows of `bases.len()` signed scalars each (a
    /// Hyrax commitment's rows). The default runs [`Self::msm_i64`] per row.
    fn msm_i64_rows(&self, bases: &[G1Affine], scalars: &[i64]) -> Result<Vec<G1Projective>, MsmError> {
        if bases.is_empty() || !scalars.len().is_multiple_of(bases.len()) {
            return Err(MsmError::LengthMismatch { bases: bases.len(), scalars: scalars.len() });
        }
        scalars.chunks(bases.len()).map(|row| self.msm_i64(bases, row)).collect()
    }
    /// [`Self::msm_i64_rows`] over fixed bases (the Hyrax column generators) with what
    /// is precomputed for them ([`FixedBases`]: shifted multiples, a subset table): a
    /// backend may use the precomputations. The default ignores them.
    fn msm_i64_rows_fixed(&self, fixed: &FixedBases<'_>, scalars: &[i64]) -> Result<Vec<G1Projective>, MsmError> {
        self.msm_i64_rows(fixed.bases(), scalars)
    }
}

/// A range of a fixed base set (the Hyrax column generators) with the precomputations
/// known for the set: `shifted[k-1][i] = 2^(ROW_SHIFT_BITS k) set[i]` ([`shifted_bases`])
/// and a [`SubsetTable`]. The constructors check that they belong to the set.
#[derive(Debug, Clone)]
pub struct FixedBases<'a> {
    set: &'a [G1Affine],
    shifted: &'a [Vec<G1Affine>],
    table: Option<&'a SubsetTable>,
    range: std::ops::Range<usize>,
}

impl<'a> FixedBases<'a> {
    /// The whole set, nothing precomputed.
    pub fn new(set: &'a [G1Affine]) -> Self {
        Self { set, shifted: &[], table: None, range: 0..set.len() }
    }

    /// With shifted multiples of the set (each of the set's length).
    pub fn with_shifted(self, shifted: &'a [Vec<G1Affine>]) -> Result<Self, MsmError> {
        if let Some(s) = shifted.iter().find(|s| s.len() != self.set.len()) {
            return Err(MsmError::LengthMismatch { bases: self.set.len(), scalars: s.len() });
        }
        Ok(Self { shifted, ..self })
    }

    /// With a subset table built over the same set.
    pub fn with_table(self, table: &'a SubsetTable) -> Result<Self, MsmError> {
        if !std::ptr::eq(table.bases(), self.set) && table.bases() != self.set {
            return Err(MsmError::ForeignPrecomputation);
        }
        Ok(Self { table: Some(table), ..self })
    }

    /// Restricted to `range` of the set.
    pub fn range(self, range: std::ops::Range<usize>) -> Result<Self, MsmError> {
        if range.start > range.end || range.end > self.set.len() {
            return Err(MsmError::RangeOutside { start: range.start, end: range.end, len: self.set.len() });
        }
        Ok(Self { range, ..self })
    }

    /// The bases of the MSMs: the range of the set.
    pub fn bases(&self) -> &'a [G1Affine] {
        self.set.get(self.range.clone()).unwrap_or_default()
    }

    /// The shifted multiples of [`Self::bases`].
    pub fn shifted(&self) -> Vec<&'a [G1Affine]> {
        self.shifted.iter().filter_map(|s| s.get(self.range.clone())).collect()
    }

    /// The subset table and the position of [`Self::bases`] in its set.
    pub fn table(&self) -> Option<(&'a SubsetTable, usize)> {
        self.table.map(|t| (t, self.range.start))
    }
}

/// The digit width of the precomputed bases of [`MsmBackend::msm_i64_rows_fixed`].
pub const ROW_SHIFT_BITS: u32 = 8;
/// How many shifted base sets [`shifted_bases`] makes: with the bases themselves they
/// reach scalars of four 8-bit digits (magnitudes up to about `2^31`).
pub const ROW_SHIFTS: usize = 3;

/// `[2^8 b, 2^16 b, 2^24 b]` for the bases `b` (the `shifted` sets of
/// [`MsmBackend::msm_i64_rows_fixed`]).
pub fn shifted_bases(bases: &[G1Affine]) -> Vec<Vec<G1Affine>> {
    let mut sets: Vec<Vec<G1Affine>> = Vec::with_capacity(ROW_SHIFTS);
    for _ in 0..ROW_SHIFTS {
        let prev = sets.last().map_or(bases, |v| v.as_slice());
        let proj: Vec<G1Projective> = prev
            .par_iter()
            .map(|b| {
                let mut p = b.into_group();
                for _ in 0..ROW_SHIFT_BITS {
                    p.double_in_place();
                }
                p
            })
            .collect();
        sets.push(G1Projective::normalize_batch(&proj));
    }
    sets
}

/// The CPU backend (rayon).
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuMsm;

fn check_len(bases: usize, scalars: usize) -> Result<(), MsmError> {
    if bases != scalars {
        return Err(MsmError::LengthMismatch { bases, scalars });
    }
    Ok(())
}

impl MsmBackend for CpuMsm {
    fn name(&self) -> &'static str {
        "cpu"
    }

    fn msm_fr(&self, bases: &[G1Affine], scalars: &[Fr]) -> Result<G1Projective, MsmError> {
        check_len(bases.len(), scalars.len())?;
        // Cheap early exit for full-size scalars: a few samples decide most inputs.
        if scalars.iter().step_by((scalars.len() / 32).max(1)).any(|x| small_signed(x).is_none()) {
            return Ok(msm_full(bases, scalars));
        }
        let small: Option<Vec<i64>> = scalars.par_iter().map(small_signed).collect();
        match small {
            Some(v) => {
                if v.iter().all(|&x| x == 0 || x == 1) {
                    let bits: Vec<bool> = v.iter().map(|&x| x == 1).collect();
                    self.msm_bits(bases, &bits)
                } else {
                    self.msm_i64(bases, &v)
                }
            }
            None => Ok(msm_full(bases, scalars)),
        }
    }

    fn msm_i64(&self, bases: &[G1Affine], scalars: &[i64]) -> Result<G1Projective, MsmError> {
        check_len(bases.len(), scalars.len())?;
        Ok(msm_small_signed(bases, scalars))
    }

    fn msm_bits(&self, bases: &[G1Affine], bits: &[bool]) -> Result<G1Projective, MsmError> {
        check_len(bases.len(), bits.len())?;
        Ok(msm_bits_affine(bases, bits))
    }

    fn msm_i64_rows(&self, bases: &[G1Affine], scalars: &[i64]) -> Result<Vec<G1Projective>, MsmError> {
        self.msm_i64_rows_fixed(&FixedBases::new(bases), scalars)
    }

    fn msm_i64_rows_fixed(&self, fixed: &FixedBases<'_>, scalars: &[i64]) -> Result<Vec<G1Projective>, MsmError> {
        let bases = fixed.bases();
        if bases.is_empty() || !scalars.len().is_multiple_of(bases.len()) {
            return Err(MsmError::LengthMismatch { bases: bases.len(), scalars: scalars.len() });
        }
        Ok(msm_small_rows(bases, &fixed.shifted(), fixed.table(), scalars))
    }
}

/// The naive reference: `sum_i s_i * P_i` by double-and-add, one term at a time.
pub fn naive_msm(bases: &[G1Affine], scalars: &[Fr]) -> G1Projective {
    let mut acc = G1Projective::zero();
    for (b, s) in bases.iter().zip(scalars) {
        acc += b.mul_bigint(s.into_bigint());
    }
    acc
}
