//! Signed-digit Pippenger: balanced digits and their windows, the window-size cost model,
//! the bucket phase by batch-affine additions, and the MSMs of small integer and full
//! field scalars built on it.

use ark_ec::VariableBaseMSM;
use ark_ff::{AdditiveGroup, PrimeField, Zero};
use rayon::prelude::*;

use super::batch_add::{reduce_segments, segment_starts, IFMA_MIN_POINTS};
use crate::field::Fr;
use crate::{G1Affine, G1Projective};

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
pub(super) fn signed_digits(s: i64, c: u32, out: &mut [i32]) {
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

/// A count of batch-affine additions in the cost models' unit: 0.55 where they run on
/// IFMA (`ifma`; measured about 1.8x faster, `ifma_profile`), else 1.
pub(super) fn ifma_weight(additions: usize, ifma: bool) -> usize {
    match ifma {
        true => additions / 20 * 11,
        false => additions,
    }
}

/// Number of signed-digit windows of `c` bits needed for magnitudes up to `max_mag`:
/// `w` balanced digits in `(-2^(c-1), 2^(c-1)]` represent exactly the integers of
/// absolute value at most `2^(c-1) (2^(cw) - 1) / (2^c - 1)`.
pub(super) fn windows_needed(max_mag: u64, c: u32) -> usize {
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
pub(super) fn choose_window(n: usize, max_mag: u64) -> (u32, usize) {
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
pub(super) fn msm_small_signed(bases: &[G1Affine], scalars: &[i64]) -> G1Projective {
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
pub(super) fn msm_full(bases: &[G1Affine], scalars: &[Fr]) -> G1Projective {
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
pub(super) fn weighted_bucket_sum(segs: &[(u32, u32)], pts: &[G1Affine]) -> G1Projective {
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
