//! Row MSMs of small integers over the same bases (the rows of a Hyrax commitment): the
//! cost model choosing between windows of signed digits, one window over shifted bases
//! and bit planes over a [`SubsetTable`], and the grouped bucket reductions of the rows.

use ark_ec::AffineRepr;
use ark_ff::{AdditiveGroup, Zero};
use rayon::prelude::*;

use super::batch_add::{reduce_segments, segment_starts};
use super::pippenger::{choose_window, ifma_weight, signed_digits, weighted_bucket_sum, windows_needed};
use super::subset::{subset_rows, SubsetTable, SUBSET_BLOCK};
use super::ROW_SHIFT_BITS;
use crate::field::fr_from_i64;
use crate::{G1Affine, G1Projective};

/// Entries per group of rows in [`msm_small_rows`]: rows are bucketed together so that
/// one batch inversion serves all of a group's bucket additions.
pub(super) const ROW_GROUP_ENTRIES: usize = 1 << 14;

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
pub(super) fn msm_small_rows(
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
