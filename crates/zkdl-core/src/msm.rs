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

use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{AdditiveGroup, Field, PrimeField, Zero};
use rayon::prelude::*;

use crate::error::MsmError;
use crate::field::{fr_from_i64, small_signed, Fr};
use crate::ifma::P52;
use crate::{Fq, G1Affine, G1Projective};

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

/// The start of every segment of a counting sort (the prefix sums of `counts`) and the
/// total.
fn segment_starts(counts: impl Iterator<Item = usize>) -> (Vec<usize>, usize) {
    let mut total = 0usize;
    let starts = counts
        .map(|c| {
            let s = total;
            total += c;
            s
        })
        .collect();
    (starts, total)
}

/// Entries per group of rows in [`msm_small_rows`]: rows are bucketed together so that
/// one batch inversion serves all of a group's bucket additions.
const ROW_GROUP_ENTRIES: usize = 1 << 14;

/// Balanced signed digits (`|d| <= 2^(c-1)`) of a non-negative integer whose `c`-bit
/// window at bit `shift` is `window(shift)`, one per slot of `out`, low window first.
#[inline]
fn balanced_digits(c: u32, out: &mut [i32], window: impl Fn(u32) -> i64) {
    let half = 1i64 << (c - 1);
    let mut carry = 0i64;
    for (w, slot) in out.iter_mut().enumerate() {
        let raw = window(w as u32 * c) + carry;
        let (d, cy) = if raw > half { (raw - (1i64 << c), 1) } else { (raw, 0) };
        carry = cy;
        *slot = d as i32;
    }
}

/// Balanced signed digits of `s` in `out.len()` windows of `c` bits.
#[inline]
fn signed_digits(s: i64, c: u32, out: &mut [i32]) {
    let mask: u128 = (1u128 << c) - 1;
    let m = s.unsigned_abs() as u128;
    balanced_digits(c, out, |shift| if shift >= 128 { 0 } else { ((m >> shift) & mask) as i64 });
    if s < 0 {
        out.iter_mut().for_each(|d| *d = -*d);
    }
}

/// `digits[w][i]`: scalar `i`'s digit in window `w`, `fill(i, out)` writing scalar `i`'s
/// `windows` digits; computed in parallel chunks.
fn digits_by_window(n: usize, windows: usize, fill: impl Fn(usize, &mut [i32]) + Sync) -> Vec<Vec<i32>> {
    const CH: usize = 1 << 12;
    let cols: Vec<Vec<i32>> = (0..n.div_ceil(CH))
        .into_par_iter()
        .map(|ci| {
            let len = CH.min(n - ci * CH);
            let mut out = vec![0i32; windows * len];
            let mut tmp = vec![0i32; windows];
            for i in 0..len {
                fill(ci * CH + i, &mut tmp);
                for (w, d) in tmp.iter().enumerate() {
                    out[w * len + i] = *d;
                }
            }
            out
        })
        .collect();
    let mut digits = vec![vec![0i32; n]; windows];
    for (ci, col) in cols.iter().enumerate() {
        let len = col.len() / windows.max(1);
        for (w, dw) in digits.iter_mut().enumerate() {
            dw[ci * CH..ci * CH + len].copy_from_slice(&col[w * len..(w + 1) * len]);
        }
    }
    digits
}

/// The cost model of a window choice: one batch-affine addition per point and window
/// ([`ifma_weight`]: 0.55 on IFMA) plus about three additions' worth per bucket for the
/// running-sum reduction (projective).
fn window_cost(n: usize, c: usize, windows: usize) -> f64 {
    let points = ifma_weight(n, crate::ifma::available() && n >= IFMA_MIN_POINTS);
    windows as f64 * (points as f64 + 3.0 * (1u64 << (c - 1)) as f64)
}

/// Row-wise MSMs over the same bases (the rows of a Hyrax commitment). Rows are
/// processed in groups: every (row, window, bucket) of a group is one segment of a
/// single [`reduce_segments`] call, so the batch inversions of the bucket additions
/// are shared by the whole group instead of paid per short row; then each row's
/// windows are reduced by running sums and doublings.
///
/// With `shifted` bases (`shifted[k-1][i] = 2^(8k) G_i`), a scalar of `w <= 1 +
/// shifted.len()` balanced 8-bit digits puts digit `k` on `2^(8k) G_i`: ONE window of
/// 128 buckets over `w` times the points, so each row pays one bucket reduction and no
/// doublings, and a zero scalar costs nothing. The scalars are centred (`sum_i s_i G_i =
/// sum_i (s_i - k) G_i + k sum_i G_i`) when that saves digits: unsigned 16-bit digits
/// take two windows instead of three, but the zeros of a sparse table (padding, ReLU
/// outputs, MNIST pixels) would no longer be free, so the cheaper of the two is taken.
///
/// With a subset `table` (and the position of `bases` in its set), the scalars may
/// instead be offset by their minimum and summed by bit planes ([`SubsetTable`]) when
/// that costs fewer additions: the exact count (one per block and plane with a bit set)
/// is summed from the scalars in one pass.
fn msm_small_rows(
    bases: &[G1Affine],
    shifted: &[&[G1Affine]],
    table: Option<(&SubsetTable, usize)>,
    scalars: &[i64],
) -> Vec<G1Projective> {
    let m = bases.len();
    if m == 0 {
        return Vec::new();
    }
    let rows = scalars.len() / m;
    let (lo, hi, nnz, or) = scalars
        .par_iter()
        .fold(
            || (i64::MAX, i64::MIN, 0usize, 0u64),
            |(a, b, n, o), &s| (a.min(s), b.max(s), n + (s != 0) as usize, o | s as u64),
        )
        .reduce(|| (i64::MAX, i64::MIN, 0, 0), |(a, b, n, o), (c, d, k, p)| (a.min(c), b.max(d), n + k, o | p));
    if rows == 0 || nnz == 0 {
        return vec![G1Projective::zero(); rows];
    }
    // A common factor 2^z of every scalar (weights at a finer scale than their values'
    // precision) is taken out and restored by z doublings per row.
    let z = or.trailing_zeros();
    let reduced: Vec<i64>;
    let (scalars, lo, hi) = match z {
        0 => (scalars, lo, hi),
        _ => {
            reduced = scalars.par_iter().map(|&s| s >> z).collect();
            (&reduced[..], lo >> z, hi >> z)
        }
    };
    let centre = ((lo as i128 + hi as i128) / 2) as i64;
    let centred_mag = (hi as i128 - centre as i128).max(centre as i128 - lo as i128) as u64;
    let max_mag = lo.unsigned_abs().max(hi.unsigned_abs());
    let windows = |mag: u64| windows_needed(mag, ROW_SHIFT_BITS);
    let fits = |mag: u64| windows(mag) <= 1 + shifted.len();
    // Costs in bucket additions: one per non-zero digit, plus the reductions (about
    // three additions per bucket and row, see `window_cost`).
    let nnz_centred = if centre != 0 { scalars.par_iter().filter(|&&s| s != centre).count() } else { nnz };
    // The digits' batch-affine additions count 0.55 where they run on IFMA, the bucket
    // reductions (projective) 1.
    let ifma = crate::ifma::available();
    let reduce = |c: u32, w: usize| (rows * w * 3) << (c - 1);
    let one_window = |n: usize, mag: u64| {
        ifma_weight(n.saturating_mul(windows(mag)), ifma).saturating_add(reduce(ROW_SHIFT_BITS, 1))
    };
    let any_window = |n: usize, mag: u64| {
        let (c, w) = choose_window(m, mag);
        ifma_weight(n.saturating_mul(w), ifma).saturating_add(reduce(c, w))
    };
    let mut options = vec![(any_window(nnz, max_mag), 0, max_mag, RowMethod::Windows)];
    if centre != 0 {
        options.push((any_window(nnz_centred, centred_mag), centre, centred_mag, RowMethod::Windows));
    }
    if fits(max_mag) {
        options.push((one_window(nnz, max_mag), 0, max_mag, RowMethod::OneWindow(windows(max_mag))));
    }
    if centre != 0 && fits(centred_mag) {
        options.push((
            one_window(nnz_centred, centred_mag),
            centre,
            centred_mag,
            RowMethod::OneWindow(windows(centred_mag)),
        ));
    }
    // bit planes of `s - lo` (below 2^48, so that the offset cannot overflow), over the
    // given table or, for bases without one, a table built for this call
    let span = (hi as i128 - lo as i128) as u128;
    if span < 1 << 48 {
        let planes = u128::BITS - span.leading_zeros();
        let (start, missing) = match table {
            Some((t, start)) => (start, t.missing(start / SUBSET_BLOCK..(start + m).div_ceil(SUBSET_BLOCK)).len()),
            None => (0, m.div_ceil(SUBSET_BLOCK)),
        };
        // a block not built yet costs an addition per entry (a caller that commits many
        // rows of one width builds the blocks first, `SubsetTable::prepare`)
        let ifma = table.map_or_else(crate::ifma::available, |t| t.0.is_ifma());
        let cost = subset_cost(start, m, planes, |i| (scalars[i] - lo) as u64, rows, missing, ifma);
        options.push((cost, lo, span as u64, RowMethod::Subset(table.map(|t| t.0), start, planes)));
    }
    let (_, centre, mag, method) =
        options.into_iter().min_by_key(|o| o.0).unwrap_or((0, 0, max_mag, RowMethod::Windows));
    let mut out = match method {
        RowMethod::Subset(t, start, planes) => {
            let value = |i: usize| (scalars[i] - centre) as u64;
            match t {
                Some(t) => subset_rows(t, start, m, rows, planes, value),
                None => subset_rows(&SubsetTable::new(bases), 0, m, rows, planes, value),
            }
        }
        RowMethod::OneWindow(w) if w > 1 => {
            // Row r of the widened problem: digit k of every scalar on 2^(8k) G.
            let mut ext: Vec<G1Affine> = Vec::with_capacity(w * m);
            ext.extend_from_slice(bases);
            for sh in shifted.iter().take(w - 1) {
                ext.extend_from_slice(sh);
            }
            let mut digits = vec![0i64; w * scalars.len()];
            digits.par_chunks_mut(w * m).zip(scalars.par_chunks(m)).for_each(|(d, row)| {
                let mut tmp = [0i32; 8];
                for (i, &s) in row.iter().enumerate() {
                    let ds = &mut tmp[..w];
                    signed_digits(s - centre, ROW_SHIFT_BITS, ds);
                    for (k, &dk) in ds.iter().enumerate() {
                        d[k * m + i] = dk as i64;
                    }
                }
            });
            msm_small_rows_uncentred(&ext, &digits, 1u64 << (ROW_SHIFT_BITS - 1))
        }
        _ if centre != 0 => {
            let centred: Vec<i64> = scalars.par_iter().map(|&s| s - centre).collect();
            msm_small_rows_uncentred(bases, &centred, mag)
        }
        _ => msm_small_rows_uncentred(bases, scalars, mag),
    };
    if centre != 0 {
        let sum: G1Projective = bases.iter().map(|b| b.into_group()).sum();
        let offset = sum * fr_from_i64(centre);
        out.par_iter_mut().for_each(|r| *r += offset);
    }
    if z > 0 {
        out.par_iter_mut().for_each(|r| (0..z).for_each(|_| _ = r.double_in_place()));
    }
    out
}

/// How [`msm_small_rows`] sums its rows.
enum RowMethod<'a> {
    /// Windows of signed digits, one bucket reduction per window and row.
    Windows,
    /// The digits of every scalar on shifted bases, one window.
    OneWindow(usize),
    /// Bit planes over a subset table (at the bases' position in its set, planes); without
    /// one, over a table of the bases built for the call.
    Subset(Option<&'a SubsetTable>, usize, u32),
}

/// The additions [`subset_rows`] makes for the scalars `value(i) < 2^planes` over bases
/// `start..start + m`: one per (row, block, plane) with a bit set and `2^12` per block
/// not built yet (`missing`), both weighted by [`ifma_weight`] where the table is in the
/// IFMA form, and about 2.5 for each row's doubling and addition per plane (projective).
fn subset_cost(
    start: usize,
    m: usize,
    planes: u32,
    value: impl Fn(usize) -> u64 + Sync,
    rows: usize,
    missing: usize,
    ifma: bool,
) -> usize {
    let k = SUBSET_BLOCK;
    let selected: usize = (0..rows)
        .into_par_iter()
        .map(|r| {
            let mut n = 0usize;
            let mut i = 0usize;
            while i < m {
                let end = m.min(i + k - (start + i) % k);
                let or = (i..end).fold(0u64, |a, j| a | value(r * m + j));
                n += or.count_ones() as usize;
                i = end;
            }
            n
        })
        .sum();
    ifma_weight(selected.saturating_add(missing << SUBSET_BLOCK), ifma).saturating_add(rows * planes as usize * 5 / 2)
}

/// A count of batch-affine additions in the cost models' unit: 0.55 where they run on
/// IFMA (`ifma`; measured about 1.8x faster, `ifma_profile`), else 1.
fn ifma_weight(additions: usize, ifma: bool) -> usize {
    match ifma {
        true => additions / 20 * 11,
        false => additions,
    }
}

/// [`msm_small_rows`] without centring, for scalars of magnitude at most `max_mag`.
fn msm_small_rows_uncentred(bases: &[G1Affine], scalars: &[i64], max_mag: u64) -> Vec<G1Projective> {
    let m = bases.len();
    let rows = scalars.len() / m;
    if max_mag == 0 {
        return vec![G1Projective::zero(); rows];
    }
    let (c, windows) = choose_window(m, max_mag);
    let nb = 1usize << (c - 1);
    let group = (ROW_GROUP_ENTRIES / m).clamp(1, rows.div_ceil(rayon::current_num_threads().max(1)).max(1));
    scalars
        .par_chunks(group * m)
        .flat_map_iter(|chunk| {
            let g_rows = chunk.len() / m;
            // digits[(r * windows + w) * m + i]
            let mut digits = vec![0i32; g_rows * windows * m];
            let mut tmp = vec![0i32; windows];
            for r in 0..g_rows {
                for i in 0..m {
                    signed_digits(chunk[r * m + i], c, &mut tmp);
                    for (w, d) in tmp.iter().enumerate() {
                        digits[(r * windows + w) * m + i] = *d;
                    }
                }
            }
            // Counting sort per (row, window) by bucket |d| - 1.
            let nseg = g_rows * windows;
            let mut counts = vec![0u32; nseg * nb];
            for (sw, dig) in digits.chunks(m).enumerate() {
                for &d in dig {
                    if d != 0 {
                        counts[sw * nb + (d.unsigned_abs() - 1) as usize] += 1;
                    }
                }
            }
            let (mut starts, total) = segment_starts(counts.iter().map(|&c| c as usize));
            let mut pts = vec![G1Affine::identity(); total];
            for (sw, dig) in digits.chunks(m).enumerate() {
                for (i, &d) in dig.iter().enumerate() {
                    if d != 0 {
                        let slot = &mut starts[sw * nb + (d.unsigned_abs() - 1) as usize];
                        pts[*slot] = if d < 0 { -bases[i] } else { bases[i] };
                        *slot += 1;
                    }
                }
            }
            let mut segs: Vec<(u32, u32)> =
                counts.iter().enumerate().filter(|(_, &n)| n > 0).map(|(k, &n)| (k as u32, n)).collect();
            reduce_segments(&mut pts, &mut segs);
            // pts[k] is now the sum of bucket segs[k]; split by (row, window).
            let mut out = vec![G1Projective::zero(); g_rows];
            let mut k = 0usize;
            for sw in 0..nseg {
                let lo = (sw * nb) as u32;
                let hi = lo + nb as u32;
                let start = k;
                while k < segs.len() && segs[k].0 < hi {
                    k += 1;
                }
                let local: Vec<(u32, u32)> = segs[start..k].iter().map(|&(b, n)| (b - lo, n)).collect();
                let ws = weighted_bucket_sum(&local, &pts[start..k]);
                let (r, w) = (sw / windows, sw % windows);
                // windows combine as sum_w 2^(c w) ws_w
                let mut v = ws;
                for _ in 0..(c as usize * w) {
                    v.double_in_place();
                }
                out[r] += v;
            }
            out.into_iter()
        })
        .collect()
}

/// Sum of the selected bases: one chunk per thread, each summed with
/// [`sum_selected`].
fn msm_bits_affine(bases: &[G1Affine], bits: &[bool]) -> G1Projective {
    let n = bits.len();
    if n == 0 {
        return G1Projective::zero();
    }
    let threads = rayon::current_num_threads().max(1);
    let chunk = n.div_ceil(threads).max(4 * LANES);
    bases
        .par_chunks(chunk)
        .zip(bits.par_chunks(chunk))
        .map(|(bs, bits)| sum_selected(bs.iter().zip(bits).filter(|(_, &b)| b).map(|(p, _)| p)))
        .sum()
}

/// Lanes per batch in [`sum_selected`]: one field inversion is shared by this many
/// affine additions.
const LANES: usize = 1024;

/// The sum of the points `pts` with `LANES` affine accumulators: each step adds the
/// next `LANES` points into the accumulators with one shared inversion (each input
/// point is read once, accumulators stay in cache), then the accumulators are
/// reduced pairwise. Montgomery's trick runs as two interleaved product chains
/// (even and odd lanes) so that its serial multiplications overlap in the CPU.
fn sum_selected<'a>(mut pts: impl Iterator<Item = &'a G1Affine>) -> G1Projective {
    let mut acc: Vec<G1Affine> = Vec::with_capacity(LANES);
    for p in pts.by_ref().take(LANES) {
        acc.push(*p);
    }
    let mut kinds = vec![0u8; LANES];
    let mut dens = vec![Fq::ONE; LANES];
    let mut prefix = vec![Fq::ONE; LANES];
    let mut batch: Vec<&G1Affine> = Vec::with_capacity(LANES);
    if acc.len() == LANES {
        loop {
            batch.clear();
            batch.extend(pts.by_ref().take(LANES));
            if batch.is_empty() {
                break;
            }
            let mut chain = [Fq::ONE; 2];
            for (j, &q) in batch.iter().enumerate() {
                let (k, d) = classify(&acc[j], q);
                kinds[j] = k;
                dens[j] = d;
                prefix[j] = chain[j & 1];
                chain[j & 1] *= d;
            }
            let inv_total = (chain[0] * chain[1]).inverse().unwrap_or(Fq::ZERO);
            let mut inv = [inv_total * chain[1], inv_total * chain[0]];
            for j in (0..batch.len()).rev() {
                let c = j & 1;
                let inv_j = inv[c] * prefix[j];
                inv[c] *= dens[j];
                acc[j] = finish_add(kinds[j], &acc[j], batch[j], inv_j);
            }
        }
    }
    if acc.is_empty() {
        return G1Projective::zero();
    }
    let mut segs = [(0u32, acc.len() as u32)];
    reduce_segments(&mut acc, &mut segs);
    acc.first().map_or_else(G1Projective::zero, |p| p.into_group())
}

/// Bases per block of a [`SubsetTable`].
pub const SUBSET_BLOCK: usize = 12;

/// A point type the batch-affine reductions run on: arkworks' affine points, or the
/// 52-bit-limb form of the IFMA code ([`crate::ifma`]) in which a [`SubsetTable`] keeps
/// its blocks where the CPU has it.
trait BatchPoint: Copy + Send + Sync {
    fn identity() -> Self;
    fn from_affine(p: &G1Affine) -> Self;
    fn to_affine(&self) -> G1Affine;
    /// Every segment of `pts` to its sum (see [`reduce_segments`]).
    fn reduce(pts: &mut Vec<Self>, segs: &mut [(u32, u32)]);
    /// The sums of the segments of the points `src` refers to.
    fn reduce_refs(src: &[&Self], segs: &mut [(u32, u32)]) -> Vec<Self>;
}

impl BatchPoint for G1Affine {
    fn identity() -> Self {
        G1Affine::identity()
    }
    fn from_affine(p: &G1Affine) -> Self {
        *p
    }
    fn to_affine(&self) -> G1Affine {
        *self
    }
    fn reduce(pts: &mut Vec<Self>, segs: &mut [(u32, u32)]) {
        reduce_segments(pts, segs)
    }
    fn reduce_refs(src: &[&Self], segs: &mut [(u32, u32)]) -> Vec<Self> {
        let mut pts: Vec<Self> = src.iter().map(|p| **p).collect();
        reduce_segments(&mut pts, segs);
        pts
    }
}

impl BatchPoint for P52 {
    fn identity() -> Self {
        P52::IDENTITY
    }
    fn from_affine(p: &G1Affine) -> Self {
        P52::from_affine(p)
    }
    fn to_affine(&self) -> G1Affine {
        P52::to_affine(self)
    }
    fn reduce(pts: &mut Vec<Self>, segs: &mut [(u32, u32)]) {
        crate::ifma::reduce_segments(pts, segs)
    }
    fn reduce_refs(src: &[&Self], segs: &mut [(u32, u32)]) -> Vec<Self> {
        crate::ifma::reduce_refs(src, segs)
    }
}

/// A fixed-base table over a base set (the Hyrax column generators), "four Russians"
/// style: for every block of [`SUBSET_BLOCK`] consecutive bases, the sums of all
/// `2^SUBSET_BLOCK` subsets of the block (entry `idx` is the sum of the bases whose bit
/// is set in `idx`). A row MSM of non-negative scalars below `2^b` is then `sum_p 2^p
/// S_p` with `S_p` the sum, over the blocks, of the entry selected by bit `p` of the
/// block's scalars: one addition per bit plane and block (`b / 12` per scalar for dense
/// scalars) instead of one per scalar and 8-bit digit, and no bucket reduction. A block
/// is built on its first use (`2^12` batch-affine additions), so a base set whose
/// prefix alone is used pays only for that prefix. Where the CPU has AVX-512 IFMA
/// ([`crate::ifma::available`]) the blocks hold the IFMA form of their points and every
/// addition on them runs eight at a time.
#[derive(Debug, Clone)]
pub struct SubsetTable {
    bases: Vec<G1Affine>,
    blocks: Blocks,
}

/// The blocks of a [`SubsetTable`], in one of the two point forms.
#[derive(Debug, Clone)]
enum Blocks {
    Affine(Vec<std::sync::OnceLock<Vec<G1Affine>>>),
    Ifma(Vec<std::sync::OnceLock<Vec<P52>>>),
}

impl SubsetTable {
    /// A table over `bases` (no block is built yet), in the IFMA form where the CPU has it.
    pub fn new(bases: &[G1Affine]) -> Self {
        Self::with_form(bases, crate::ifma::available())
    }

    /// A table over `bases` in the IFMA form (`ifma`; where the CPU lacks it, its additions
    /// go through arkworks one at a time, slowly) or as arkworks' points: for tests and
    /// side-by-side measurements.
    pub fn with_form(bases: &[G1Affine], ifma: bool) -> Self {
        let n = bases.len().div_ceil(SUBSET_BLOCK);
        let blocks = match ifma {
            true => Blocks::Ifma((0..n).map(|_| std::sync::OnceLock::new()).collect()),
            false => Blocks::Affine((0..n).map(|_| std::sync::OnceLock::new()).collect()),
        };
        Self { bases: bases.to_vec(), blocks }
    }

    /// Whether the blocks are in the IFMA form.
    pub fn is_ifma(&self) -> bool {
        matches!(self.blocks, Blocks::Ifma(_))
    }

    /// The set the table is built over.
    pub fn bases(&self) -> &[G1Affine] {
        &self.bases
    }

    /// Builds the blocks that cover bases `range` (those not built yet), for a caller
    /// about to use them many times: the MSMs charge a block not built yet to the call
    /// that would build it, and take other methods when that call alone does not pay.
    pub fn prepare(&self, range: std::ops::Range<usize>) {
        if range.start < range.end {
            let blocks = range.start / SUBSET_BLOCK..range.end.div_ceil(SUBSET_BLOCK);
            match &self.blocks {
                Blocks::Affine(c) => _ = build_blocks(&self.bases, c, blocks),
                Blocks::Ifma(c) => _ = build_blocks(&self.bases, c, blocks),
            }
        }
    }

    /// The blocks of `range` not built yet.
    fn missing(&self, range: std::ops::Range<usize>) -> Vec<usize> {
        match &self.blocks {
            Blocks::Affine(c) => missing_blocks(c, range),
            Blocks::Ifma(c) => missing_blocks(c, range),
        }
    }

    /// `sum_i scalars[r m + i] * bases[start + i]` for every row `r` of `m` scalars
    /// (`m = scalars.len() / rows`): the rows of a Hyrax commitment whose columns are
    /// bases `start..start + m` of the set.
    pub fn msm_rows(&self, start: usize, m: usize, scalars: &[u64]) -> Result<Vec<G1Projective>, MsmError> {
        if m == 0 || !scalars.len().is_multiple_of(m) {
            return Err(MsmError::LengthMismatch { bases: m, scalars: scalars.len() });
        }
        if start.checked_add(m).is_none_or(|end| end > self.bases.len()) {
            return Err(MsmError::RangeOutside { start, end: start.saturating_add(m), len: self.bases.len() });
        }
        let top = scalars.par_iter().copied().reduce(|| 0, |a, b| a | b);
        let planes = u64::BITS - top.leading_zeros();
        Ok(subset_rows(self, start, m, scalars.len() / m, planes, |i| scalars[i]))
    }
}

fn missing_blocks<T>(cells: &[std::sync::OnceLock<Vec<T>>], range: std::ops::Range<usize>) -> Vec<usize> {
    range.filter(|&b| cells.get(b).is_some_and(|c| c.get().is_none())).collect()
}

/// Pairs per batch of additions when [`build_blocks`] builds blocks.
const BUILD_BATCH: usize = 1 << 13;

/// Blocks `range` of a table over `bases`, built where missing: the missing blocks in
/// chunks (one per thread), each chunk level by level (`t[2^j + i] = t[i] + G_j`), the
/// additions of a level in batches of about [`BUILD_BATCH`] pairs over its blocks, one
/// inversion each.
fn build_blocks<'t, T: BatchPoint>(
    bases: &[G1Affine],
    cells: &'t [std::sync::OnceLock<Vec<T>>],
    range: std::ops::Range<usize>,
) -> Vec<&'t [T]> {
    let missing = missing_blocks(cells, range.clone());
    let chunk = missing.len().div_ceil(rayon::current_num_threads().max(1)).max(1);
    missing.par_chunks(chunk).for_each(|bs| {
        let sets: Vec<Vec<T>> = bs
            .iter()
            .map(|&b| {
                let g = bases.get(b * SUBSET_BLOCK..((b + 1) * SUBSET_BLOCK).min(bases.len())).unwrap_or_default();
                g.iter().map(T::from_affine).collect()
            })
            .collect();
        let mut tables: Vec<Vec<T>> = sets.iter().map(|g| vec![T::identity(); 1 << g.len()]).collect();
        let mut pts = Vec::with_capacity(2 * BUILD_BATCH + (2 << SUBSET_BLOCK));
        let mut segs = Vec::with_capacity(BUILD_BATCH + (1 << SUBSET_BLOCK));
        let mut dest = Vec::with_capacity(BUILD_BATCH + (1 << SUBSET_BLOCK));
        // the pairs in batches of about BUILD_BATCH (one inversion each, a few MB)
        let flush =
            |tables: &mut [Vec<T>], pts: &mut Vec<T>, segs: &mut Vec<(u32, u32)>, dest: &mut Vec<(usize, usize)>| {
                T::reduce(pts, segs);
                for (s, &(t, i)) in pts.iter().zip(dest.iter()) {
                    if let Some(slot) = tables.get_mut(t).and_then(|t| t.get_mut(i)) {
                        *slot = *s;
                    }
                }
                pts.clear();
                segs.clear();
                dest.clear();
            };
        for j in 0..SUBSET_BLOCK {
            let half = 1usize << j;
            // t[2^j] = G_j, t[2^j + i] = t[i] + G_j for 0 < i < 2^j
            for (ti, g) in sets.iter().enumerate() {
                let (Some(gj), Some(t)) = (g.get(j), tables.get_mut(ti)) else { continue };
                if let Some(slot) = t.get_mut(half) {
                    *slot = *gj;
                }
                for (i, p) in t.iter().enumerate().take(half).skip(1) {
                    pts.extend([*p, *gj]);
                    segs.push((segs.len() as u32, 2));
                    dest.push((ti, half + i));
                }
                if segs.len() >= BUILD_BATCH {
                    flush(&mut tables, &mut pts, &mut segs, &mut dest);
                }
            }
            flush(&mut tables, &mut pts, &mut segs, &mut dest);
        }
        for (&b, t) in bs.iter().zip(tables) {
            if let Some(cell) = cells.get(b) {
                let _ = cell.set(t);
            }
        }
    });
    range.map(|b| cells.get(b).and_then(|c| c.get()).map_or(&[][..], |t| t.as_slice())).collect()
}

/// Entries per group of rows in [`subset_rows`] (more than [`ROW_GROUP_ENTRIES`]: a
/// group's segments are shorter, `m / 12` points, so its later levels of additions
/// would otherwise share an inversion among few pairs).
const SUBSET_GROUP_ENTRIES: usize = 1 << 16;

/// [`SubsetTable::msm_rows`] for scalars `value(i) < 2^planes` (`i < rows m`, bases
/// `start..start + m` of the table's set, which the caller checked), over the table's
/// blocks in their form.
fn subset_rows(
    table: &SubsetTable,
    start: usize,
    m: usize,
    rows: usize,
    planes: u32,
    value: impl Fn(usize) -> u64 + Sync,
) -> Vec<G1Projective> {
    if rows == 0 || m == 0 || planes == 0 {
        return vec![G1Projective::zero(); rows];
    }
    let blocks = start / SUBSET_BLOCK..(start + m - 1) / SUBSET_BLOCK + 1;
    match &table.blocks {
        Blocks::Affine(c) => subset_rows_over(&build_blocks(&table.bases, c, blocks), start, m, rows, planes, value),
        Blocks::Ifma(c) => subset_rows_over(&build_blocks(&table.bases, c, blocks), start, m, rows, planes, value),
    }
}

/// [`subset_rows`] over the blocks that cover bases `start..start + m`. Rows are
/// processed in groups: every (row, plane) of a group is one segment of a single
/// reduction, then each row combines its planes by doublings (Horner).
fn subset_rows_over<T: BatchPoint>(
    blocks: &[&[T]],
    start: usize,
    m: usize,
    rows: usize,
    planes: u32,
    value: impl Fn(usize) -> u64 + Sync,
) -> Vec<G1Projective> {
    let k = SUBSET_BLOCK;
    let b0 = start / k;
    let nb = blocks.len();
    let np = planes as usize;
    let group = (SUBSET_GROUP_ENTRIES / m).clamp(1, rows.div_ceil(rayon::current_num_threads().max(1)).max(1));
    (0..rows.div_ceil(group))
        .into_par_iter()
        .flat_map_iter(|gi| {
            let r0 = gi * group;
            let g_rows = group.min(rows - r0);
            // idx[(r nb + b) np + p]: the subset of block b selected by bit p of row r
            let mut idx = vec![0u16; g_rows * nb * np];
            for r in 0..g_rows {
                let base = (r0 + r) * m;
                for i in 0..m {
                    let mut v = value(base + i);
                    let pos = start + i;
                    let (b, q) = (pos / k - b0, pos % k);
                    let slot = &mut idx[(r * nb + b) * np..(r * nb + b + 1) * np];
                    while v != 0 {
                        slot[v.trailing_zeros() as usize] |= 1 << q;
                        v &= v - 1;
                    }
                }
            }
            // segment (r, p): the selected entries of every block
            let mut counts = vec![0u32; g_rows * np];
            for (rb, sel) in idx.chunks(np).enumerate() {
                let r = rb / nb;
                for (p, &x) in sel.iter().enumerate() {
                    counts[r * np + p] += (x != 0) as u32;
                }
            }
            let (mut starts, total) = segment_starts(counts.iter().map(|&c| c as usize));
            // the selected entries, block by block (the first level of additions reads
            // them in the table)
            let identity = T::identity();
            let mut refs = vec![&identity; total];
            for (b, block) in blocks.iter().enumerate() {
                for r in 0..g_rows {
                    let sel = &idx[(r * nb + b) * np..(r * nb + b + 1) * np];
                    for (p, &x) in sel.iter().enumerate() {
                        if x != 0 {
                            let slot = &mut starts[r * np + p];
                            refs[*slot] = &block[x as usize];
                            *slot += 1;
                        }
                    }
                }
            }
            let mut segs: Vec<(u32, u32)> =
                counts.iter().enumerate().filter(|(_, &n)| n > 0).map(|(s, &n)| (s as u32, n)).collect();
            let pts = T::reduce_refs(&refs, &mut segs);
            let mut sums = vec![None; g_rows * np];
            for (&(s, _), p) in segs.iter().zip(&pts) {
                sums[s as usize] = Some(p.to_affine());
            }
            sums.chunks(np)
                .map(|row| {
                    let mut acc = G1Projective::zero();
                    for s in row.iter().rev() {
                        acc.double_in_place();
                        if let Some(p) = s {
                            acc += p;
                        }
                    }
                    acc
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Number of signed-digit windows of `c` bits needed for magnitudes up to `max_mag`:
/// `w` balanced digits in `(-2^(c-1), 2^(c-1)]` represent exactly the integers of
/// absolute value at most `2^(c-1) (2^(cw) - 1) / (2^c - 1)`.
fn windows_needed(max_mag: u64, c: u32) -> usize {
    let mut w = 1usize;
    loop {
        let cw = c as u128 * w as u128;
        if cw >= 127 {
            return w;
        }
        let x = (1u128 << (c - 1)) * ((1u128 << cw) - 1) / ((1u128 << c) - 1);
        if (max_mag as u128) <= x {
            return w;
        }
        w += 1;
    }
}

/// Cost model for the window size `c`: one batch-affine addition per non-zero
/// digit plus about three additions' worth per bucket for the running-sum reduction.
fn choose_window(n: usize, max_mag: u64) -> (u32, usize) {
    let mut best = (f64::INFINITY, 1u32, 1usize);
    for c in 1..=20u32 {
        let windows = windows_needed(max_mag, c);
        let cost = window_cost(n, c as usize, windows);
        if cost < best.0 {
            best = (cost, c, windows);
        }
    }
    (best.1, best.2)
}

/// Pippenger with signed digits over `i64` scalars.
fn msm_small_signed(bases: &[G1Affine], scalars: &[i64]) -> G1Projective {
    let n = scalars.len();
    if n == 0 {
        return G1Projective::zero();
    }
    let max_mag = scalars.par_iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
    if max_mag == 0 {
        return G1Projective::zero();
    }
    let (c, windows) = choose_window(n, max_mag);
    let digits = digits_by_window(n, windows, |i, out| signed_digits(scalars[i], c, out));
    pippenger_from_digits(bases, &digits, c)
}

/// Below this many points `ark_ec`'s MSM is faster than [`msm_full_signed`] (batch
/// inversions need long batches): `core_ratios` measured 0.55x at 2^8, 0.64x at 2^10,
/// 1.06x at 2^12, 1.29x at 2^14 and 1.31x at 2^15 for ours against `ark_ec`.
const FULL_MSM_MIN: usize = 1 << 12;

/// Full field scalars: `ark_ec`'s MSM for short inputs, ours from [`FULL_MSM_MIN`] on.
fn msm_full(bases: &[G1Affine], scalars: &[Fr]) -> G1Projective {
    if scalars.len() < FULL_MSM_MIN {
        G1Projective::msm_unchecked(bases, scalars)
    } else {
        msm_full_signed(bases, scalars)
    }
}

/// Pippenger over full field scalars: balanced signed `c`-bit digits of the canonical
/// representatives, then the batch-affine bucket phase of the small-scalar path
/// (about 6 base-field multiplications per bucket addition instead of about 11 for
/// the mixed additions of `ark_ec`'s MSM).
fn msm_full_signed(bases: &[G1Affine], scalars: &[Fr]) -> G1Projective {
    let n = scalars.len().min(bases.len());
    if n == 0 {
        return G1Projective::zero();
    }
    let bits = Fr::MODULUS_BIT_SIZE as usize;
    // windows of c bits plus one for the final carry; ~3 additions' worth per bucket
    let (c, windows) = (4..=20usize)
        .map(|c| (c, bits.div_ceil(c) + 1))
        .min_by(|&(c1, w1), &(c2, w2)| window_cost(n, c1, w1).total_cmp(&window_cost(n, c2, w2)))
        .unwrap_or((12, bits.div_ceil(12) + 1));
    let digits = digits_by_window(n, windows, |i, out| {
        let limbs = scalars[i].into_bigint().0;
        balanced_digits(c as u32, out, |shift| window_bits(&limbs, shift as usize, c) as i64);
    });
    pippenger_from_digits(&bases[..n], &digits, c as u32)
}

/// Bits `start..start + len` (`len <= 32`) of a little-endian 256-bit integer.
#[inline]
fn window_bits(limbs: &[u64; 4], start: usize, len: usize) -> u64 {
    let (li, off) = (start / 64, start % 64);
    let lo = limbs.get(li).copied().unwrap_or(0) >> off;
    let hi = if off + len > 64 && off > 0 { limbs.get(li + 1).copied().unwrap_or(0) << (64 - off) } else { 0 };
    (lo | hi) & ((1u64 << len) - 1)
}

/// Pippenger's bucket phase over balanced signed digits (`digits[w][i]` is scalar `i`'s
/// digit in window `w`, `|d| <= 2^(c-1)`): buckets by batch-affine additions
/// ([`bucket_window`]), windows combined by doublings.
fn pippenger_from_digits(bases: &[G1Affine], digits: &[Vec<i32>], c: u32) -> G1Projective {
    let windows = digits.len();
    let nb = 1usize << (c - 1);
    let mut window_sums = Vec::with_capacity(windows);
    for dig in digits {
        // Counting sort by bucket |d| - 1; an entry is the point index with the sign
        // in bit 31.
        let mut counts = vec![0usize; nb];
        for &d in dig {
            if d != 0 {
                counts[(d.unsigned_abs() - 1) as usize] += 1;
            }
        }
        let (mut starts, total) = segment_starts(counts.iter().copied());
        let mut entries = vec![0u32; total];
        for (i, &d) in dig.iter().enumerate() {
            if d != 0 {
                let b = (d.unsigned_abs() - 1) as usize;
                let sign = if d < 0 { 1u32 << 31 } else { 0 };
                entries[starts[b]] = i as u32 | sign;
                starts[b] += 1;
            }
        }
        window_sums.push(bucket_window(bases, &entries, &counts));
    }
    let mut res = G1Projective::zero();
    for ws in window_sums.iter().rev() {
        for _ in 0..c {
            res.double_in_place();
        }
        res += ws;
    }
    res
}

/// `sum_b (b + 1) * (sum of the signed points of bucket b)` where `entries` holds the
/// points sorted by bucket (`counts[b]` of them for bucket `b`), each as a point index
/// with the sign in bit 31. Work is split into chunks of equal point count; each chunk
/// reduces its (partial) buckets with batch-affine additions and returns its part
/// of the weighted sum, which is linear, so chunk boundaries may cut buckets.
fn bucket_window(bases: &[G1Affine], entries: &[u32], counts: &[usize]) -> G1Projective {
    let total = entries.len();
    if total == 0 {
        return G1Projective::zero();
    }
    let threads = rayon::current_num_threads().max(1);
    let nchunks = (threads * 4).min(total.div_ceil(1024)).max(1);
    let chunk_len = total.div_ceil(nchunks);
    // For each chunk, its first bucket and the number of entries before that bucket.
    let mut chunk_first_bucket = Vec::with_capacity(nchunks);
    {
        let mut b = 0usize;
        let mut seen = 0usize;
        for k in 0..nchunks {
            let start = k * chunk_len;
            while b < counts.len() && seen + counts[b] <= start {
                seen += counts[b];
                b += 1;
            }
            chunk_first_bucket.push((b, seen));
        }
    }
    (0..nchunks)
        .into_par_iter()
        .map(|k| {
            let start = k * chunk_len;
            let end = ((k + 1) * chunk_len).min(total);
            if start >= end {
                return G1Projective::zero();
            }
            let (first_bucket, seen) = chunk_first_bucket[k];
            // Segments: (bucket, len) of this chunk, in bucket order.
            let mut segs: Vec<(u32, u32)> = Vec::new();
            let mut pos = start;
            let mut b = first_bucket;
            let mut bucket_start = seen;
            while pos < end && b < counts.len() {
                let bucket_end = bucket_start + counts[b];
                let seg_end = bucket_end.min(end);
                if seg_end > pos {
                    segs.push((b as u32, (seg_end - pos) as u32));
                    pos = seg_end;
                }
                bucket_start = bucket_end;
                b += 1;
            }
            let mut pts: Vec<G1Affine> = entries[start..end]
                .iter()
                .map(|&e| {
                    let p = bases[(e & !(1u32 << 31)) as usize];
                    if e >> 31 == 1 {
                        -p
                    } else {
                        p
                    }
                })
                .collect();
            reduce_segments(&mut pts, &mut segs);
            weighted_bucket_sum(&segs, &pts)
        })
        .sum()
}

/// `sum_i (bucket_i + 1) * pts[i]` for buckets in ascending order (running sums
/// from the top; runs of empty buckets cost one small scalar multiplication).
fn weighted_bucket_sum(segs: &[(u32, u32)], pts: &[G1Affine]) -> G1Projective {
    let Some(&(lo, _)) = segs.first() else {
        return G1Projective::zero();
    };
    let mut running = G1Projective::zero();
    let mut acc = G1Projective::zero();
    let mut next_bucket: Option<u32> = None;
    for (&(bkt, _), p) in segs.iter().zip(pts.iter()).rev() {
        if let Some(nb) = next_bucket {
            let gap = nb - bkt;
            if gap > 1 {
                acc += running * Fr::from((gap - 1) as u64);
            }
        }
        running += p;
        acc += running;
        next_bucket = Some(bkt);
    }
    // acc = sum_b (b - lo + 1) B_b ; add lo * S
    if lo > 0 {
        acc += running * Fr::from(lo as u64);
    }
    acc
}

#[inline(always)]
fn fq_is_zero(a: &Fq) -> bool {
    // Montgomery form of zero is the all-zero limb vector.
    a.0 .0.iter().all(|&l| l == 0)
}

/// The identity of `G1Affine` is encoded as `(0, 0)` for BLS12-381.
#[inline(always)]
fn is_identity(p: &G1Affine) -> bool {
    fq_is_zero(&p.x) && fq_is_zero(&p.y)
}

const ADD_GENERIC: u8 = 0;
const ADD_LEFT_ID: u8 = 1; // p is the identity: result q
const ADD_RIGHT_ID: u8 = 2; // q is the identity: result p
const ADD_DOUBLE: u8 = 3;
const ADD_CANCEL: u8 = 4;

/// Classify `p + q` and return the denominator to invert (1 for special cases).
#[inline(always)]
fn classify(p: &G1Affine, q: &G1Affine) -> (u8, Fq) {
    let d = q.x - p.x;
    if !fq_is_zero(&d) {
        if is_identity(p) {
            return (ADD_LEFT_ID, Fq::ONE);
        }
        if is_identity(q) {
            return (ADD_RIGHT_ID, Fq::ONE);
        }
        return (ADD_GENERIC, d);
    }
    if is_identity(p) {
        return (ADD_LEFT_ID, Fq::ONE);
    }
    // x = 0 is also the curve point (0, +-2) of order 3 (received points are checked on
    // the curve, not in G1): beside the identity (0, 0) it is not a cancellation
    if is_identity(q) {
        return (ADD_RIGHT_ID, Fq::ONE);
    }
    if p.y == q.y && !fq_is_zero(&p.y) {
        (ADD_DOUBLE, p.y.double())
    } else {
        (ADD_CANCEL, Fq::ONE)
    }
}

/// `p + q` given the kind and the inverse of the denominator from [`classify`].
#[inline(always)]
fn finish_add(kind: u8, p: &G1Affine, q: &G1Affine, inv: Fq) -> G1Affine {
    match kind {
        ADD_GENERIC => {
            let lambda = (q.y - p.y) * inv;
            let x3 = lambda.square() - p.x - q.x;
            let y3 = lambda * (p.x - x3) - p.y;
            G1Affine::new_unchecked(x3, y3)
        }
        ADD_LEFT_ID => *q,
        ADD_RIGHT_ID => *p,
        ADD_DOUBLE => {
            // lambda = 3 x^2 / (2 y)   (a = 0 for BLS12-381 G1)
            let xx = p.x.square();
            let lambda = (xx.double() + xx) * inv;
            let x3 = lambda.square() - p.x.double();
            let y3 = lambda * (p.x - x3) - p.y;
            G1Affine::new_unchecked(x3, y3)
        }
        _ => G1Affine::identity(),
    }
}

/// Points from which [`reduce_segments`] converts to the IFMA form (where the CPU has it).
const IFMA_MIN_POINTS: usize = 256;

/// Reduce every segment of `pts` (consecutive runs given by `segs[i].1`) to a single
/// point with batch-affine pairwise additions, in place. Afterwards `pts[i]` is the
/// sum of segment `i` and every segment length is 1. Per level: a forward pass
/// classifies the pairs and chains their denominators, one inversion, a backward pass
/// turns the chain into each pair's inverse (field elements only), and a forward pass
/// adds the pairs, writing each sum over the points already read (writes never
/// overtake reads), so no points are copied besides the sums.
fn reduce_segments(pts: &mut Vec<G1Affine>, segs: &mut [(u32, u32)]) {
    // eight additions at a time where the CPU has IFMA (the conversions pay from a few
    // hundred points on)
    if pts.len() >= IFMA_MIN_POINTS && crate::ifma::reduce_affine(pts, segs) {
        return;
    }
    let mut kinds: Vec<u8> = Vec::new();
    let mut dens: Vec<Fq> = Vec::new();
    let mut prefix: Vec<Fq> = Vec::new();
    loop {
        kinds.clear();
        dens.clear();
        prefix.clear();
        // Forward: denominators and prefix products, pairs (2j, 2j+1) of each segment.
        let mut acc = Fq::ONE;
        let mut off = 0usize;
        for &(_, len) in segs.iter() {
            let len = len as usize;
            for j in 0..len / 2 {
                let (k, d) = classify(&pts[off + 2 * j], &pts[off + 2 * j + 1]);
                kinds.push(k);
                dens.push(d);
                prefix.push(acc);
                acc *= d;
            }
            off += len;
        }
        let np = kinds.len();
        if np == 0 {
            break;
        }
        // acc is a product of non-zero elements, so it is invertible.
        let mut inv = acc.inverse().unwrap_or(Fq::ZERO);
        // Backward: each pair's inverse, in place of its denominator.
        for (d, p) in dens.iter_mut().zip(&prefix).rev() {
            let dk = *d;
            *d = inv * p;
            inv *= dk;
        }
        // Forward: the sums, compacted in place.
        let mut w = 0usize;
        let mut r = 0usize;
        let mut k = 0usize;
        for seg in segs.iter_mut() {
            let len = seg.1 as usize;
            let half = len / 2;
            for j in 0..half {
                let sum = finish_add(kinds[k], &pts[r + 2 * j], &pts[r + 2 * j + 1], dens[k]);
                pts[w] = sum;
                w += 1;
                k += 1;
            }
            if len % 2 == 1 {
                pts[w] = pts[r + len - 1];
                w += 1;
            }
            r += len;
            seg.1 = (half + len % 2) as u32;
        }
        pts.truncate(w);
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
