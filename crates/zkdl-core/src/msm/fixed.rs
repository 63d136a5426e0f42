//! [`CpuFixedSet`]: the CPU backend's prepared base set (the Hyrax column generators) and
//! its precomputations, each built on first use.

use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{AdditiveGroup, Zero};
use rayon::prelude::*;

use super::rows::msm_small_rows;
use super::{FixedSet, SubsetTable};
use crate::error::MsmError;
use crate::{G1Affine, G1Projective};

/// The digit width of the shifted multiples of a [`CpuFixedSet`].
pub const ROW_SHIFT_BITS: u32 = 8;
/// How many shifted multiples of its bases a [`CpuFixedSet`] keeps: with the bases
/// themselves they reach scalars of four 8-bit digits (magnitudes up to about `2^31`).
pub const ROW_SHIFTS: usize = 3;

/// [`CpuMsm`]'s prepared base set ([`MsmBackend::fix`]). Beside the bases it keeps, each
/// built on first use:
/// - the shifted multiples `2^8 b`, `2^16 b`, `2^24 b` of every base `b` ([`ROW_SHIFTS`]
///   sets of [`ROW_SHIFT_BITS`] doublings): a row of small integers then takes one
///   window of signed 8-bit digits over them;
/// - a [`SubsetTable`] (bit planes against the subset sums of blocks of bases; a block
///   is built on first use, or ahead by [`FixedSet::prepare`]);
/// - the prefix sums `sum_{j < 2^c} b_j` ([`FixedSet::prefix_sum`]).
///
/// Preparing a set copies nothing but the bases and builds nothing; the row MSMs pick
/// their method by one cost model (`rows.rs`) among those the set offers.
///
/// [`CpuMsm`]: super::CpuMsm
/// [`MsmBackend::fix`]: super::MsmBackend::fix
pub struct CpuFixedSet {
    /// The subset table, which owns the bases.
    table: SubsetTable,
    /// How many of the shifted multiples the row MSMs use.
    shifts: usize,
    /// Whether the row MSMs may use [`Self::table`].
    use_table: bool,
    shifted: std::sync::OnceLock<Vec<Vec<G1Affine>>>,
    prefix_sums: std::sync::OnceLock<Vec<G1Projective>>,
}

impl std::fmt::Debug for CpuFixedSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CpuFixedSet")
            .field("bases", &self.table.bases().len())
            .field("shifts", &self.shifts)
            .field("use_table", &self.use_table)
            .finish()
    }
}

impl CpuFixedSet {
    /// The set of `bases`, every method of the row MSMs available.
    pub fn new(bases: Vec<G1Affine>) -> Self {
        Self::with_methods(bases, ROW_SHIFTS, true)
    }

    /// The set of `bases` whose row MSMs use only the first `shifts` shifted multiples (at
    /// most [`ROW_SHIFTS`]) and the subset table only when `table` (without it, the cost
    /// model may still build a table over the bases for one call): the methods one by
    /// one, for tests and measurements.
    pub fn with_methods(bases: Vec<G1Affine>, shifts: usize, table: bool) -> Self {
        Self {
            table: SubsetTable::from_vec(bases, crate::ifma::available()),
            shifts: shifts.min(ROW_SHIFTS),
            use_table: table,
            shifted: std::sync::OnceLock::new(),
            prefix_sums: std::sync::OnceLock::new(),
        }
    }

    /// The subset table over the bases.
    pub fn table(&self) -> &SubsetTable {
        &self.table
    }
}

impl FixedSet for CpuFixedSet {
    fn bases(&self) -> &[G1Affine] {
        self.table.bases()
    }

    fn msm_i64_rows(&self, range: std::ops::Range<usize>, scalars: &[i64]) -> Result<Vec<G1Projective>, MsmError> {
        let set = self.table.bases();
        let outside = MsmError::RangeOutside { start: range.start, end: range.end, len: set.len() };
        let bases = set.get(range.clone()).ok_or(outside)?;
        if bases.is_empty() || !scalars.len().is_multiple_of(bases.len()) {
            return Err(MsmError::LengthMismatch { bases: bases.len(), scalars: scalars.len() });
        }
        let shifted: Vec<&[G1Affine]> = match self.shifts {
            0 => Vec::new(),
            k => self
                .shifted
                .get_or_init(|| shifted_bases(set))
                .iter()
                .take(k)
                .filter_map(|s| s.get(range.clone()))
                .collect(),
        };
        let table = self.use_table.then_some((&self.table, range.start));
        Ok(msm_small_rows(bases, &shifted, table, scalars))
    }

    fn prefix_sum(&self, log_len: usize) -> Option<G1Projective> {
        let sums = self.prefix_sums.get_or_init(|| {
            let mut out = Vec::new();
            let mut acc = G1Projective::zero();
            for (j, g) in self.table.bases().iter().enumerate() {
                acc += g;
                if (j + 1).is_power_of_two() {
                    out.push(acc);
                }
            }
            out
        });
        sums.get(log_len).copied()
    }

    fn prepare(&self, range: std::ops::Range<usize>) {
        if self.use_table {
            self.table.prepare(range);
        }
    }
}

/// `[2^8 b, 2^16 b, 2^24 b]` for the bases `b` (the shifted multiples of a
/// [`CpuFixedSet`]).
fn shifted_bases(bases: &[G1Affine]) -> Vec<Vec<G1Affine>> {
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
