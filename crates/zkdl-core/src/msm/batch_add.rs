//! Batch-affine point additions (Montgomery's trick, one field inversion per batch): the
//! reduction of segments of points to their sums, the point forms it runs on, and the
//! sums of selected points (0/1 scalars).

use ark_ec::AffineRepr;
use ark_ff::{AdditiveGroup, Field, Zero};
use rayon::prelude::*;

use crate::ifma::P52;
use crate::{Fq, G1Affine, G1Projective};

/// The start of every segment of a counting sort (the prefix sums of `counts`) and the
/// total.
pub(super) fn segment_starts(counts: impl Iterator<Item = usize>) -> (Vec<usize>, usize) {
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

/// Sum of the selected bases: one chunk per thread, each summed with
/// [`sum_selected`].
pub(super) fn msm_bits_affine(bases: &[G1Affine], bits: &[bool]) -> G1Projective {
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

/// A point type the batch-affine reductions run on: arkworks' affine points, or the
/// 52-bit-limb form of the IFMA code ([`crate::ifma`]) in which a [`SubsetTable`] keeps
/// its blocks where the CPU has it.
///
/// [`SubsetTable`]: super::SubsetTable
pub(super) trait BatchPoint: Copy + Send + Sync {
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
pub(super) const IFMA_MIN_POINTS: usize = 256;

/// Reduce every segment of `pts` (consecutive runs given by `segs[i].1`) to a single
/// point with batch-affine pairwise additions, in place. Afterwards `pts[i]` is the
/// sum of segment `i` and every segment length is 1. Per level: a forward pass
/// classifies the pairs and chains their denominators, one inversion, a backward pass
/// turns the chain into each pair's inverse (field elements only), and a forward pass
/// adds the pairs, writing each sum over the points already read (writes never
/// overtake reads), so no points are copied besides the sums.
pub(super) fn reduce_segments(pts: &mut Vec<G1Affine>, segs: &mut [(u32, u32)]) {
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
