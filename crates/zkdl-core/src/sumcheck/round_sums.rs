//! The CPU's round sums of a [`ProductSum`]: the sums over the current pairs of its terms
//! at small integer points, by a dense fast path or the generic loop (which also reads
//! lazy MLEs).
//!
//! [`ProductSum`]: super::ProductSum

use ark_ff::{AdditiveGroup, One, Zero};

use super::kernels::Round;
use super::lazy::LazyMle;
use super::{par_chunks, Term, MAX_DEGREE};
use crate::field::Fr;

/// The point "infinity" of [`sums_dense`]: the leading coefficient.
pub(super) const INFINITY: u64 = u64::MAX;

/// Most MLEs and points of the dense fast path ([`sums_dense`]).
const FAST_MLES: usize = 8;
const FAST_PTS: usize = 4;

/// The sums of `round` at `pts` with the per-pair values in fixed-size arrays: no heap
/// indexing in the hot loop. A last point [`INFINITY`] asks for the leading coefficient.
/// `None` for more than [`FAST_MLES`] MLEs or [`FAST_PTS`] points, or points that do not
/// ascend.
pub(super) fn sums_dense(round: &Round<'_>, pts: &[u64]) -> Option<Vec<Fr>> {
    let (half, w) = (round.pairs(), round.weights());
    let nm = round.mles().len();
    let npts = pts.len();
    if nm == 0
        || nm > FAST_MLES
        || npts == 0
        || npts > FAST_PTS
        || round.mles().iter().any(|m| m.len() < 2 * half)
        || w.is_some_and(|w| w.len() < half)
    {
        return None;
    }
    // steps[p]: additions of the difference from point p - 1 to point p; a last point
    // INFINITY asks for the leading coefficient: the differences themselves, and only
    // the terms of the most factors
    let inf = pts.last() == Some(&INFINITY);
    let finite = if inf { &pts[..npts - 1] } else { pts };
    let mut steps = [0u64; FAST_PTS];
    let mut prev = 0u64;
    for (s, &p) in steps.iter_mut().zip(finite) {
        *s = p.checked_sub(prev)?;
        prev = p;
    }
    let top = round.terms().iter().map(|t| t.factors.len()).max().unwrap_or(0);
    let mut terms: Vec<(Option<Fr>, [usize; MAX_DEGREE], usize)> = Vec::with_capacity(round.terms().len());
    for t in round.terms() {
        let mut f = [0usize; MAX_DEGREE];
        f.get_mut(..t.factors.len())?.copy_from_slice(&t.factors);
        terms.push(((!t.coeff.is_one()).then_some(t.coeff), f, t.factors.len()));
    }
    let mles: Vec<&[Fr]> = round.mles().iter().map(|m| &m[..2 * half]).collect();
    let work = |range: std::ops::Range<usize>| -> [Fr; FAST_PTS] {
        let mut acc = [Fr::zero(); FAST_PTS];
        let mut vals = [[Fr::zero(); FAST_MLES]; FAST_PTS];
        for i in range {
            for (k, m) in mles.iter().enumerate() {
                let (lo, hi) = (m[2 * i], m[2 * i + 1]);
                let diff = hi - lo;
                if inf {
                    vals[npts - 1][k] = diff;
                }
                let mut cur = lo;
                for (p, &s) in steps[..finite.len()].iter().enumerate() {
                    match s {
                        0 => {}
                        1 => cur += diff,
                        2 => cur += diff.double(),
                        _ => (0..s).for_each(|_| cur += diff),
                    }
                    vals[p][k] = cur;
                }
            }
            for (p, (slot, v)) in acc[..npts].iter_mut().zip(&vals).enumerate() {
                let leading = inf && p == npts - 1;
                let mut inner = Fr::zero();
                for (coeff, f, len) in &terms {
                    if leading && *len < top {
                        continue;
                    }
                    let mut prod = match f[..*len].split_first() {
                        None => Fr::one(),
                        Some((&f0, rest)) => rest.iter().fold(v[f0], |acc, &k| acc * v[k]),
                    };
                    if let Some(c) = coeff {
                        prod *= c;
                    }
                    inner += prod;
                }
                match w {
                    Some(w) => *slot += inner * w[i],
                    None => *slot += inner,
                }
            }
        }
        acc
    };
    let merge = |mut a: [Fr; FAST_PTS], b: [Fr; FAST_PTS]| {
        a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        a
    };
    let acc = par_chunks(half, || [Fr::zero(); FAST_PTS], work, merge);
    Some(acc[..npts].to_vec())
}

/// The sums over the pairs `i < half` of `sum_t coeff_t prod_t` at the points `pts`
/// (small integers, ascending), weighted by `w[i]` per pair when given (once per pair and
/// point, after the terms are combined; unit coefficients cost no multiplication), for
/// any MLEs: dense ones (`mles[k]`, at least `2 half` entries) or lazy ones (`lazy[k]`
/// set; `lazy` has one entry per MLE), many MLEs or points. The terms' factors name MLEs,
/// and `w` has at least `half` entries.
pub(super) fn sums_generic(
    mles: &[Vec<Fr>],
    lazy: &[Option<LazyMle<'_>>],
    terms: &[Term],
    half: usize,
    pts: &[u64],
    w: Option<&[Fr]>,
) -> Vec<Fr> {
    let nm = mles.len();
    let npts = pts.len();
    let unit: Vec<bool> = terms.iter().map(|t| t.coeff.is_one()).collect();
    let only_zero = pts == [0];
    let work = |range: std::ops::Range<usize>| -> Vec<Fr> {
        let mut acc = vec![Fr::zero(); npts];
        let mut vals = vec![Fr::zero(); nm * npts];
        for i in range {
            for (k, (m, lazy)) in mles.iter().zip(lazy).enumerate() {
                let v = &mut vals[k * npts..(k + 1) * npts];
                if only_zero {
                    // g(0) alone (an eq-weighted round of degree 2): the low entries
                    v[0] = match lazy {
                        None => m[2 * i],
                        Some(l) => (l.at)(2 * i),
                    };
                    continue;
                }
                let (lo, hi) = match lazy {
                    None => (m[2 * i], m[2 * i + 1]),
                    Some(l) => ((l.at)(2 * i), (l.at)(2 * i + 1)),
                };
                let diff = hi - lo;
                // pts ascend from 0; consecutive points step by adding `diff`
                let mut cur = lo;
                let mut at = 0u64;
                for (slot, &p) in v.iter_mut().zip(pts) {
                    while at < p {
                        cur += diff;
                        at += 1;
                    }
                    *slot = cur;
                }
            }
            let wi = w.map(|w| w[i]);
            for (p, slot) in acc.iter_mut().enumerate() {
                let mut inner = Fr::zero();
                for (t, &one) in terms.iter().zip(&unit) {
                    let mut prod = match t.factors.split_first() {
                        None => Fr::one(),
                        Some((&f0, rest)) => {
                            let mut prod = vals[f0 * npts + p];
                            for &k in rest {
                                prod *= vals[k * npts + p];
                            }
                            prod
                        }
                    };
                    if !one {
                        prod *= t.coeff;
                    }
                    inner += prod;
                }
                match wi {
                    Some(wi) => *slot += inner * wi,
                    None => *slot += inner,
                }
            }
        }
        acc
    };
    let merge = |mut a: Vec<Fr>, b: Vec<Fr>| {
        a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        a
    };
    par_chunks(half, || vec![Fr::zero(); npts], work, merge)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::mle::DenseMle;
    use crate::sumcheck::{CpuKernels, Kernels, ProductSum, SumcheckInstance};
    use ark_ff::{Field, UniformRand};
    use ark_std::rand::{rngs::StdRng, SeedableRng};

    /// The dense fast path and the generic loop agree: unit and general coefficients,
    /// points with steps of 0 to 3, with and without weights, below and above the
    /// parallel chunk, after a bind as well.
    #[test]
    fn dense_fast_path_matches_the_generic_sums() {
        let mut rng = StdRng::seed_from_u64(7);
        let shapes: Vec<Vec<(Fr, Vec<usize>)>> = vec![
            vec![(Fr::one(), vec![0, 2]), (Fr::one(), vec![1, 3])],
            vec![(Fr::from(5u64), vec![0, 1, 2]), (-Fr::one(), vec![3])],
            vec![(Fr::rand(&mut rng), vec![0, 0, 1, 2]), (Fr::one(), vec![])],
        ];
        let point_sets: [&[u64]; 4] = [&[0], &[0, 2], &[0, 1, 2, 3], &[0, 3, 4]];
        for n in [1usize, 5, 13] {
            for terms in &shapes {
                let mles: Vec<DenseMle> = (0..4)
                    .map(|_| DenseMle::new((0..1usize << n).map(|_| Fr::rand(&mut rng)).collect()).unwrap())
                    .collect();
                let mut inst = ProductSum::new(mles, terms.clone()).unwrap();
                for _ in 0..2 {
                    let half = (1usize << inst.cur_vars) / 2;
                    let w: Vec<Fr> = (0..half).map(|_| Fr::rand(&mut rng)).collect();
                    let round = |w| Round::new(&inst.mles, &inst.terms, w, half).unwrap();
                    let generic = |pts: &[u64], w| sums_generic(&inst.mles, &inst.lazy, &inst.terms, half, pts, w);
                    for pts in point_sets {
                        for weights in [None, Some(w.as_slice())] {
                            let fast = sums_dense(&round(weights), pts).unwrap();
                            assert_eq!(fast, generic(pts, weights), "n {n}, pts {pts:?}");
                            assert_eq!(fast, CpuKernels.round_sums(&round(weights), pts), "n {n}, pts {pts:?}");
                        }
                    }
                    // the leading coefficient: the top finite difference over top!
                    let top = terms.iter().map(|t| t.1.len()).max().unwrap();
                    let at: Vec<u64> = (0..=top as u64).collect();
                    for weights in [None, Some(w.as_slice())] {
                        let mut diffs = generic(&at, weights);
                        for level in 0..top {
                            for q in 0..top - level {
                                diffs[q] = diffs[q + 1] - diffs[q];
                            }
                        }
                        let fact: u64 = (1..=top as u64).product();
                        let want = diffs[0] * Fr::from(fact).inverse().unwrap();
                        let got = CpuKernels.round_leading(&round(weights)).unwrap();
                        assert_eq!(got[1], want, "n {n}, leading coefficient");
                        assert_eq!(got[0], generic(&[0], weights)[0]);
                    }
                    if inst.cur_vars > 1 {
                        inst.bind(Fr::rand(&mut rng));
                    }
                }
            }
        }
    }
}
