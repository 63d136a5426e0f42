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
//! Full-size field scalars go to `ark_ec::VariableBaseMSM`.

use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{AdditiveGroup, Field, PrimeField, Zero};
use rayon::prelude::*;

use crate::error::MsmError;
use crate::field::{small_signed, Fr};
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
            None => Ok(G1Projective::msm_unchecked(bases, scalars)),
        }
    }

    fn msm_i64(&self, bases: &[G1Affine], scalars: &[i64]) -> Result<G1Projective, MsmError> {
        check_len(bases.len(), scalars.len())?;
        Ok(msm_small_signed(bases, scalars))
    }

    fn msm_bits(&self, bases: &[G1Affine], bits: &[bool]) -> Result<G1Projective, MsmError> {
        check_len(bases.len(), bits.len())?;
        // One window with a single bucket: digit 1 for set bits.
        let entries: Vec<u32> = bits
            .iter()
            .enumerate()
            .filter(|(_, &b)| b)
            .map(|(i, _)| i as u32)
            .collect();
        let counts = vec![entries.len()];
        Ok(bucket_window(bases, &entries, &counts))
    }
}

/// Cost model for the window size `c` (signed digits in `(-2^(c-1), 2^(c-1)]`):
/// one batch-affine addition per non-zero digit plus about three additions' worth
/// per bucket for the running-sum reduction.
fn choose_window(n: usize, bits: u32) -> u32 {
    let mut best = (f64::INFINITY, 1u32);
    for c in 1..=20u32 {
        // signed recoding needs one extra bit of headroom
        let windows = (bits + 1).div_ceil(c).max(1) as f64;
        let buckets = (1u64 << (c - 1)) as f64;
        let cost = windows * (n as f64 + 3.0 * buckets);
        if cost < best.0 {
            best = (cost, c);
        }
    }
    best.1
}

/// Pippenger with signed digits over `i64` scalars.
fn msm_small_signed(bases: &[G1Affine], scalars: &[i64]) -> G1Projective {
    let n = scalars.len();
    if n == 0 {
        return G1Projective::zero();
    }
    let max_mag = scalars.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
    if max_mag == 0 {
        return G1Projective::zero();
    }
    let bits = 64 - max_mag.leading_zeros();
    let c = choose_window(n, bits);
    // Number of windows so that the final carry is absorbed.
    let windows = (bits + 1).div_ceil(c).max(1) as usize;
    let half = 1i64 << (c - 1);
    let mask: u128 = (1u128 << c) - 1;

    // digits[w * n + i] = signed digit of scalar i in window w (|d| <= 2^(c-1)).
    let mut digits = vec![0i32; windows * n];
    {
        let cols: Vec<Vec<i32>> = scalars
            .par_iter()
            .map(|&s| {
                let neg = s < 0;
                let m = s.unsigned_abs() as u128;
                let mut carry = 0i64;
                let mut out = Vec::with_capacity(windows);
                for w in 0..windows {
                    let raw = ((m >> (w as u32 * c)) & mask) as i64 + carry;
                    let (d, cy) = if raw > half { (raw - (1i64 << c), 1) } else { (raw, 0) };
                    carry = cy;
                    out.push(if neg { -d as i32 } else { d as i32 });
                }
                out
            })
            .collect();
        for (i, col) in cols.iter().enumerate() {
            for (w, d) in col.iter().enumerate() {
                digits[w * n + i] = *d;
            }
        }
    }

    let nb = 1usize << (c - 1);
    let mut window_sums = Vec::with_capacity(windows);
    for w in 0..windows {
        let dig = &digits[w * n..(w + 1) * n];
        // Counting sort by bucket |d| - 1; the entry keeps the point index and the sign
        // in the top bit.
        let mut counts = vec![0usize; nb];
        for &d in dig {
            if d != 0 {
                counts[(d.unsigned_abs() - 1) as usize] += 1;
            }
        }
        let mut starts = Vec::with_capacity(nb);
        let mut acc = 0usize;
        for &cnt in &counts {
            starts.push(acc);
            acc += cnt;
        }
        let mut entries = vec![0u32; acc];
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
    // Bucket id of every entry position (by prefix sums), chunked.
    let threads = rayon::current_num_threads().max(1);
    let nchunks = (threads * 4).min(total.div_ceil(256)).max(1);
    let chunk_len = total.div_ceil(nchunks);
    // For each chunk, its first bucket: found by walking the counts once.
    let mut chunk_first_bucket = Vec::with_capacity(nchunks);
    {
        let mut b = 0usize;
        let mut seen = 0usize; // entries in buckets < b
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
            // Running-sum reduction over buckets lo..=hi of this chunk, from the top.
            let Some(&(lo, _)) = segs.first() else {
                return G1Projective::zero();
            };
            let mut running = G1Projective::zero();
            let mut acc = G1Projective::zero();
            let mut next_bucket: Option<u32> = None;
            for (&(bkt, _), p) in segs.iter().zip(pts.iter()).rev() {
                if let Some(nb) = next_bucket {
                    // empty buckets between bkt and nb add `running` (nb - bkt - 1) times
                    let gap = nb - bkt - 1;
                    if gap > 0 {
                        acc += running * Fr::from(gap as u64);
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
        })
        .sum()
}

/// Reduce every segment of `pts` (consecutive runs given by `segs[i].1`) to a single
/// point with batch-affine pairwise additions. Afterwards `pts[i]` is the sum of
/// segment `i` and every segment length is 1.
fn reduce_segments(pts: &mut Vec<G1Affine>, segs: &mut [(u32, u32)]) {
    let mut scratch_d: Vec<Fq> = Vec::new();
    let mut scratch_p: Vec<Fq> = Vec::new();
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    let mut sums: Vec<G1Affine> = Vec::new();
    loop {
        pairs.clear();
        let mut off = 0u32;
        for &(_, len) in segs.iter() {
            for j in 0..len / 2 {
                pairs.push((off + 2 * j, off + 2 * j + 1));
            }
            off += len;
        }
        if pairs.is_empty() {
            break;
        }
        batch_add(pts, &pairs, &mut sums, &mut scratch_d, &mut scratch_p);
        // Rebuild the flat array: per segment, its pair sums then its odd leftover.
        let mut next = Vec::with_capacity(pts.len() - pairs.len());
        let mut off = 0usize;
        let mut pair_idx = 0usize;
        for seg in segs.iter_mut() {
            let len = seg.1 as usize;
            let np = len / 2;
            next.extend_from_slice(&sums[pair_idx..pair_idx + np]);
            pair_idx += np;
            if len % 2 == 1 {
                next.push(pts[off + len - 1]);
            }
            off += len;
            seg.1 = (np + len % 2) as u32;
        }
        *pts = next;
    }
}

/// `sums[k] = pts[a_k] + pts[b_k]` for every pair, with one shared inversion.
/// Handles the identity, doubling and `P + (-P)`.
fn batch_add(
    pts: &[G1Affine],
    pairs: &[(u32, u32)],
    sums: &mut Vec<G1Affine>,
    dens: &mut Vec<Fq>,
    prefix: &mut Vec<Fq>,
) {
    dens.clear();
    prefix.clear();
    sums.clear();
    let mut acc = Fq::ONE;
    for &(a, b) in pairs {
        let p = &pts[a as usize];
        let q = &pts[b as usize];
        let d = if p.is_zero() || q.is_zero() {
            Fq::ONE
        } else if p.x == q.x {
            if p.y == q.y && !p.y.is_zero() {
                p.y.double()
            } else {
                Fq::ONE
            }
        } else {
            q.x - p.x
        };
        dens.push(d);
        prefix.push(acc);
        acc *= d;
    }
    // acc is a product of non-zero elements, so it is invertible.
    let mut inv = acc.inverse().unwrap_or(Fq::ZERO);
    sums.resize(pairs.len(), G1Affine::identity());
    for k in (0..pairs.len()).rev() {
        let inv_k = inv * prefix[k];
        inv *= dens[k];
        let (a, b) = pairs[k];
        let p = &pts[a as usize];
        let q = &pts[b as usize];
        sums[k] = if p.is_zero() {
            *q
        } else if q.is_zero() {
            *p
        } else if p.x == q.x {
            if p.y == q.y && !p.y.is_zero() {
                // doubling: lambda = 3 x^2 / (2 y)   (a = 0 for BLS12-381 G1)
                let xx = p.x.square();
                let lambda = (xx.double() + xx) * inv_k;
                let x3 = lambda.square() - p.x.double();
                let y3 = lambda * (p.x - x3) - p.y;
                G1Affine::new_unchecked(x3, y3)
            } else {
                G1Affine::identity()
            }
        } else {
            let lambda = (q.y - p.y) * inv_k;
            let x3 = lambda.square() - p.x - q.x;
            let y3 = lambda * (p.x - x3) - p.y;
            G1Affine::new_unchecked(x3, y3)
        };
    }
}

/// Batch-normalise projective points to affine.
pub fn to_affine_batch(points: &[G1Projective]) -> Vec<G1Affine> {
    G1Projective::normalize_batch(points)
}

/// The naive reference: `sum_i s_i * P_i` by double-and-add, one term at a time.
pub fn naive_msm(bases: &[G1Affine], scalars: &[Fr]) -> G1Projective {
    let mut acc = G1Projective::zero();
    for (b, s) in bases.iter().zip(scalars) {
        acc += b.mul_bigint(s.into_bigint());
    }
    acc
}
