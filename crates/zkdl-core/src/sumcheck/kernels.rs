//! [`Kernels`]: the hot loops of a [`ProductSum`] over dense MLEs behind one seam, and
//! [`CpuKernels`], the CPU's (rayon), the default and the reference.

use rayon::prelude::*;

use super::round_sums::{sums_dense, sums_generic, INFINITY};
use super::{Term, MAX_DEGREE, PAR_CHUNK};
use crate::error::SumcheckError;
use crate::field::Fr;

/// The hot loops of a [`ProductSum`] whose MLEs are dense tables: the sums of a round
/// polynomial over the pairs of the current variable, and the binding of that variable.
/// Implementations must agree exactly with [`CpuKernels`] (field arithmetic is exact, so
/// any order of summation gives the same values, and the proof the same bytes).
///
/// Chosen once by the caller that builds the instances ([`ProductSum::with_kernels`];
/// the prover's `ProveOptions`). What stays on the CPU whatever the kernels: instances
/// while they have lazy MLEs ([`LazyMle`]: read through a function, until the first
/// bind), a first round summed by the caller ([`ProductSum::with_first_round`]) or from
/// integers, the eq weight's table (folded by pairwise sums after each bind), the claimed
/// sum ([`ProductSum::sum`]) and the final values.
///
/// [`ProductSum`]: super::ProductSum
/// [`ProductSum::with_kernels`]: super::ProductSum::with_kernels
/// [`ProductSum::with_first_round`]: super::ProductSum::with_first_round
/// [`ProductSum::sum`]: super::ProductSum::sum
/// [`LazyMle`]: super::LazyMle
pub trait Kernels: Send + Sync {
    /// Name for logs ("cpu", "cuda", ...).
    fn name(&self) -> &'static str;
    /// The round's sums at the points `pts` (small integers, ascending): one value per
    /// point, `sum_{i < pairs} w_i sum_t coeff_t prod_{k in factors_t} (lo_k + x (hi_k -
    /// lo_k))` at `x = pts[p]`, with `(lo_k, hi_k)` entries `2i`, `2i + 1` of MLE `k` and
    /// `w_i = 1` without weights (see [`Round`]).
    fn round_sums(&self, round: &Round<'_>, pts: &[u64]) -> Vec<Fr>;
    /// The round's sum at 0 and its leading coefficient in the current variable (`sum_i
    /// w_i sum_t coeff_t prod_k (hi_k - lo_k)` over the terms with the most factors), for
    /// a caller that derives the other values of the round polynomial from them. `None`
    /// where the kernels do not compute it (the default): the caller asks
    /// [`Self::round_sums`] for points instead.
    fn round_leading(&self, _round: &Round<'_>) -> Option<[Fr; 2]> {
        None
    }
    /// Binds the current (first free) variable of every MLE to `r`: entry `i` becomes
    /// `m[2i] + r (m[2i+1] - m[2i])`, and every MLE half as long.
    fn bind(&self, mles: &mut [Vec<Fr>], r: Fr);
}

/// One round of a [`ProductSum`] over dense MLEs, as the [`Kernels`] see it: the MLEs at
/// the current binding (pair `i < pairs` is entries `2i`, `2i + 1` of each: the current
/// variable at 0 and 1), the terms `coeff * prod_{k in factors} f_k`, and per pair an
/// optional weight (the eq weight's table over the variables after the current one).
/// [`Round::new`] checks the shapes, so kernels may index within them.
///
/// [`ProductSum`]: super::ProductSum
#[derive(Debug, Clone, Copy)]
pub struct Round<'a> {
    mles: &'a [Vec<Fr>],
    terms: &'a [Term],
    weights: Option<&'a [Fr]>,
    pairs: usize,
}

impl<'a> Round<'a> {
    /// A round over `pairs` pairs: every MLE has at least `2 pairs` entries, the weights
    /// (when given) at least `pairs`, every factor of a term names an MLE and no term has
    /// more than [`MAX_DEGREE`] factors.
    pub fn new(
        mles: &'a [Vec<Fr>],
        terms: &'a [Term],
        weights: Option<&'a [Fr]>,
        pairs: usize,
    ) -> Result<Self, SumcheckError> {
        let len = pairs.checked_mul(2).ok_or(SumcheckError::BadInstance("too many pairs"))?;
        if mles.iter().any(|m| m.len() < len) || weights.is_some_and(|w| w.len() < pairs) {
            return Err(SumcheckError::BadInstance("a round's tables are shorter than its pairs"));
        }
        if terms.iter().any(|t| t.factors.len() > MAX_DEGREE || t.factors.iter().any(|&k| k >= mles.len())) {
            return Err(SumcheckError::BadInstance("term refers to a missing MLE"));
        }
        Ok(Self { mles, terms, weights, pairs })
    }

    /// The dense MLEs at the current binding.
    pub fn mles(&self) -> &'a [Vec<Fr>] {
        self.mles
    }

    /// The terms.
    pub fn terms(&self) -> &'a [Term] {
        self.terms
    }

    /// The weight of each pair, if any.
    pub fn weights(&self) -> Option<&'a [Fr]> {
        self.weights
    }

    /// The number of pairs summed over.
    pub fn pairs(&self) -> usize {
        self.pairs
    }
}

/// The CPU's kernels (rayon): a fast path with the per-pair values in fixed-size arrays
/// for up to 8 MLEs and 4 points, a generic loop otherwise; the pairs in chunks of
/// [`par_chunks`], the MLEs bound in parallel when long.
///
/// [`par_chunks`]: super::par_chunks
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuKernels;

impl Kernels for CpuKernels {
    fn name(&self) -> &'static str {
        "cpu"
    }

    fn round_sums(&self, round: &Round<'_>, pts: &[u64]) -> Vec<Fr> {
        sums_dense(round, pts).unwrap_or_else(|| {
            let dense = vec![None; round.mles().len()];
            sums_generic(round.mles(), &dense, round.terms(), round.pairs(), pts, round.weights())
        })
    }

    fn round_leading(&self, round: &Round<'_>) -> Option<[Fr; 2]> {
        match sums_dense(round, &[0, INFINITY])?.as_slice() {
            &[at0, leading] => Some([at0, leading]),
            _ => None,
        }
    }

    fn bind(&self, mles: &mut [Vec<Fr>], r: Fr) {
        let half = mles.iter().map(|m| m.len() / 2).max().unwrap_or(0);
        let bind_one = |m: &mut Vec<Fr>| crate::mle::fold_pairs(m, |a, b| a + r * (b - a));
        if half > PAR_CHUNK {
            mles.par_iter_mut().for_each(bind_one);
        } else {
            mles.iter_mut().for_each(bind_one);
        }
    }
}
