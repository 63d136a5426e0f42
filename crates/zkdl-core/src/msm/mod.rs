//! Multi-scalar multiplication: the [`MsmBackend`] and [`FixedSet`] traits and the CPU
//! backend [`CpuMsm`].
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
//!
//! A backend prepares the fixed column generators once ([`MsmBackend::fix`]) as a
//! [`FixedSet`] that owns them with the backend's precomputations and runs the row MSMs
//! of commitments over them. The CPU's ([`CpuFixedSet`]) keeps shifted multiples of the
//! generators and a [`SubsetTable`] (bit planes against precomputed subset sums of blocks
//! of 12 bases), used when its cost model says so. Where the CPU has AVX-512 IFMA, the
//! batch-affine additions run eight at a time ([`crate::ifma`]): the subset table keeps
//! its points in that form, and larger reductions of arkworks' points are converted to it
//! and back.

mod batch_add;
mod fixed;
mod pippenger;
mod rows;
mod subset;

pub use fixed::{CpuFixedSet, ROW_SHIFTS, ROW_SHIFT_BITS};
pub use subset::{SubsetTable, SUBSET_BLOCK};

use ark_ec::AffineRepr;
use ark_ff::{PrimeField, Zero};
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
    /// The base set `bases` (the Hyrax column generators) prepared for the row MSMs of
    /// many commitments: the returned set owns the bases and whatever this backend keeps
    /// for them ([`CpuMsm`]: a [`CpuFixedSet`], with shifted multiples, a subset table and
    /// prefix sums; a device backend: tables resident on the device). Preparing must stay
    /// cheap (the verifier prepares its generators too): a set builds what it keeps on
    /// first use.
    fn fix(&self, bases: Vec<G1Affine>) -> std::sync::Arc<dyn FixedSet>;
}

/// A fixed base set prepared by an [`MsmBackend`] ([`MsmBackend::fix`]): the bases and
/// the backend's precomputations for them. Every result equals the naive sum over
/// [`Self::bases`], whatever is precomputed.
pub trait FixedSet: Send + Sync {
    /// The bases of the set.
    fn bases(&self) -> &[G1Affine];
    /// One MSM per row over bases `range` of the set: `scalars` holds rows of
    /// `range.len()` signed scalars each (the rows of a Hyrax commitment whose columns
    /// are those bases). A range outside the set is [`MsmError::RangeOutside`], an empty
    /// range or scalars that are not whole rows [`MsmError::LengthMismatch`].
    fn msm_i64_rows(&self, range: std::ops::Range<usize>, scalars: &[i64]) -> Result<Vec<G1Projective>, MsmError>;
    /// `sum_{j < 2^log_len} bases[j]` (the commitment of a row of ones), `None` when the
    /// set has fewer bases. The default sums them on every call.
    fn prefix_sum(&self, log_len: usize) -> Option<G1Projective> {
        let len = 1usize.checked_shl(u32::try_from(log_len).ok()?)?;
        Some(self.bases().get(..len)?.iter().fold(G1Projective::zero(), |acc, b| acc + b))
    }
    /// Builds ahead what the row MSMs over bases `range` would build on first use, for a
    /// caller about to run many of them. The default does nothing.
    fn prepare(&self, _range: std::ops::Range<usize>) {}
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
        if bases.is_empty() || !scalars.len().is_multiple_of(bases.len()) {
            return Err(MsmError::LengthMismatch { bases: bases.len(), scalars: scalars.len() });
        }
        Ok(msm_small_rows(bases, &[], None, scalars))
    }

    fn fix(&self, bases: Vec<G1Affine>) -> std::sync::Arc<dyn FixedSet> {
        std::sync::Arc::new(CpuFixedSet::new(bases))
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
