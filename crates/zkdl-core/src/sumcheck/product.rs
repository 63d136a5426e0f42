//! [`ProductSum`]: the sumcheck instance of a linear combination of products of MLEs
//! ([`Term`]s), optionally weighted by a split `eq(r, x)`; its construction, round
//! polynomials and binding (the loops over dense MLEs on its [`Kernels`]).

use ark_ff::{AdditiveGroup, Field, One, Zero};
use rayon::prelude::*;

use super::kernels::{CpuKernels, Kernels, Round};
use super::lazy::LazyMle;
use super::round_sums::sums_generic;
use super::{interpolate, SumcheckInstance, MAX_DEGREE, PAR_CHUNK};
use crate::error::SumcheckError;
use crate::field::Fr;
use crate::mle::{eq_table, DenseMle};

/// One term of a [`ProductSum`]: `coeff * prod_{k in factors} f_k(x)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub coeff: Fr,
    pub factors: Vec<usize>,
}

/// `g(x) = sum_j coeff_j * prod_{k in factors_j} f_k(x)` over MLEs of equal size,
/// optionally multiplied by `eq(r, x)`. The workhorse instance of zkdl.
///
/// The eq weight is never materialised as an MLE: round `j` factors it as
/// `eq(r_<j, rho_<j) * eq(r_j, X) * eq(r_>j, x_>j)` (the split-eq technique), sums the
/// unweighted products against the table of `eq(r_>j, .)` (which shrinks by pairwise
/// sums from round to round), and multiplies the resulting degree-`d-1` polynomial by
/// the linear factor `eq(r_j, X)`: one evaluation point and one multiplication per
/// term fewer than an explicit eq factor.
///
/// An MLE may be given as a function of the hypercube index ([`LazyMle`], built with
/// [`ProductSum::with_lazy`]): the first round reads it through the function and the
/// first bind materialises it at half size, so a table of small integers enters the
/// sumcheck without a full-size field copy (the prover's memory peak).
///
/// The round sums and the binds over dense MLEs run on the instance's [`Kernels`]
/// ([`CpuKernels`] unless [`ProductSum::with_kernels`] chose others); lazy MLEs and a
/// first round summed by the caller stay on the CPU (see [`Kernels`]).
#[derive(Debug, Clone)]
pub struct ProductSum<'a> {
    pub(super) mles: Vec<Vec<Fr>>,
    /// Per MLE, until the first bind: the function giving its entries (its `mles`
    /// entry is empty meanwhile).
    pub(super) lazy: Vec<Option<LazyMle<'a>>>,
    pub(super) terms: Vec<Term>,
    pub(super) num_vars: usize,
    pub(super) cur_vars: usize,
    degree: usize,
    eq: Option<EqWeight>,
    /// The first round's sums computed by the caller ([`ProductSum::with_first_round`]).
    first: Option<FirstRound<'a>>,
    /// The kernels of the loops over dense MLEs (`None`: [`CpuKernels`]).
    kernels: Chosen,
}

/// The kernels a [`ProductSum`] runs on, `None` for [`CpuKernels`].
#[derive(Clone, Default)]
struct Chosen(Option<std::sync::Arc<dyn Kernels>>);

impl std::fmt::Debug for Chosen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.as_deref().map_or("cpu", |k| k.name()))
    }
}

/// `f(pts, w)`: what [`ProductSum`]'s first round would sum at the points `pts` under
/// the weights `w` (`sum_i w_i sum_t coeff_t prod_k f_k(pair i at pt)`), or `None`.
#[derive(Clone)]
struct FirstRound<'a>(std::sync::Arc<FirstRoundFn<'a>>);

/// The function of a [`FirstRound`].
type FirstRoundFn<'a> = dyn Fn(&[u64], &[Fr]) -> Option<Vec<Fr>> + Send + Sync + 'a;

impl std::fmt::Debug for FirstRound<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FirstRound")
    }
}

/// The split eq weight of a [`ProductSum`].
#[derive(Debug, Clone)]
struct EqWeight {
    point: Vec<Fr>,
    /// `eq(r_>j, .)` over the variables after the current one.
    rest: Vec<Fr>,
    /// `prod_{i<j} eq(r_i, rho_i)`.
    scale: Fr,
    /// The coefficient shared by every term, taken out of the terms (one
    /// multiplication per round instead of one per pair).
    common: Fr,
}

/// `eq(r, t) = r t + (1 - r)(1 - t)` for a field element `t`.
fn eq1(r: Fr, t: Fr) -> Fr {
    r * t + (Fr::one() - r) * (Fr::one() - t)
}

/// From this many pairs on, a round with an eq weight derives `s(1)` from the claim
/// (one field inversion) instead of summing it (a few multiplications per pair).
const DERIVE_MIN_PAIRS: usize = 64;

impl<'a> ProductSum<'a> {
    /// Build from MLEs (all with the same number of variables) and terms
    /// `(coeff, factor indices)`.
    pub fn new(mles: Vec<DenseMle>, terms: Vec<(Fr, Vec<usize>)>) -> Result<Self, SumcheckError> {
        let sizes: Vec<usize> = mles.iter().map(|m| m.num_vars()).collect();
        let lazy = vec![None; mles.len()];
        Self::from_parts(mles.into_iter().map(DenseMle::into_evals).collect(), lazy, &sizes, terms)
    }

    /// Build from lazy MLEs (all with the same number of variables) and terms.
    pub fn with_lazy(mles: Vec<LazyMle<'a>>, terms: Vec<(Fr, Vec<usize>)>) -> Result<Self, SumcheckError> {
        let sizes: Vec<usize> = mles.iter().map(|m| m.num_vars).collect();
        let dense = vec![Vec::new(); mles.len()];
        Self::from_parts(dense, mles.into_iter().map(Some).collect(), &sizes, terms)
    }

    /// Checks the sizes (`sizes[k]`: MLE `k`'s number of variables) and the terms.
    fn from_parts(
        mles: Vec<Vec<Fr>>,
        lazy: Vec<Option<LazyMle<'a>>>,
        sizes: &[usize],
        terms: Vec<(Fr, Vec<usize>)>,
    ) -> Result<Self, SumcheckError> {
        let num_vars = sizes.first().copied().unwrap_or(0);
        if sizes.iter().any(|&n| n != num_vars) {
            return Err(SumcheckError::BadInstance("MLEs of different sizes"));
        }
        if terms.iter().any(|(_, f)| f.iter().any(|&k| k >= sizes.len())) {
            return Err(SumcheckError::BadInstance("term refers to a missing MLE"));
        }
        let degree = terms.iter().map(|(_, f)| f.len()).max().unwrap_or(0).max(1);
        if degree > MAX_DEGREE {
            return Err(SumcheckError::DegreeTooHigh { degree, max: MAX_DEGREE });
        }
        Ok(Self {
            mles,
            lazy,
            terms: terms.into_iter().map(|(coeff, factors)| Term { coeff, factors }).collect(),
            num_vars,
            cur_vars: num_vars,
            degree,
            eq: None,
            first: None,
            kernels: Chosen::default(),
        })
    }

    /// The same instance, its round sums and binds over dense MLEs run on `kernels`.
    pub fn with_kernels(mut self, kernels: std::sync::Arc<dyn Kernels>) -> Self {
        self.kernels = Chosen(Some(kernels));
        self
    }

    /// The kernels of the instance's loops over dense MLEs.
    pub fn kernels(&self) -> &dyn Kernels {
        match &self.kernels.0 {
            Some(k) => k.as_ref(),
            None => &CpuKernels,
        }
    }

    /// Whether every MLE is a dense table (no lazy one is left).
    fn all_dense(&self) -> bool {
        self.lazy.iter().all(Option::is_none)
    }

    /// The sums over the current pairs of `sum_t coeff_t prod_t` at the points `pts`
    /// (small integers, ascending), weighted by `w[i]` per pair when given: on the
    /// kernels once every MLE is dense, else by the CPU's generic loop, which reads lazy
    /// MLEs. `None` when the kernels answer with another number of values.
    fn sums_at(&self, pts: &[u64], w: Option<&[Fr]>) -> Option<Vec<Fr>> {
        let half = (1usize << self.cur_vars) / 2;
        let at = match self.all_dense() {
            true => self.kernels().round_sums(&Round::new(&self.mles, &self.terms, w, half).ok()?, pts),
            false => sums_generic(&self.mles, &self.lazy, &self.terms, half, pts, w),
        };
        (at.len() == pts.len()).then_some(at)
    }

    /// Entry `x` of MLE `k` at the current binding.
    fn value(&self, k: usize, x: usize) -> Fr {
        match self.lazy.get(k).and_then(|l| l.as_ref()) {
            Some(l) => (l.at)(x),
            None => self.mles.get(k).and_then(|m| m.get(x)).copied().unwrap_or_else(Fr::zero),
        }
    }

    /// The first round of the eq-weighted instance summed by `f(pts, w)` (its contract:
    /// `FirstRound`; `w` is the table `eq(r_>0, .)`, whose entries sum to one), for
    /// MLEs with a structure the engine does not know (the lookup trees' layer above
    /// the leaves, from the integers). Where `f` returns `None` the engine sums itself.
    pub fn with_first_round(mut self, f: impl Fn(&[u64], &[Fr]) -> Option<Vec<Fr>> + Send + Sync + 'a) -> Self {
        self.first = Some(FirstRound(std::sync::Arc::new(f)));
        self
    }

    /// Multiply every term by `eq(point, x)`.
    pub fn with_eq(mut self, point: &[Fr]) -> Result<Self, SumcheckError> {
        if point.len() != self.num_vars || self.cur_vars != self.num_vars || self.eq.is_some() {
            return Err(SumcheckError::BadInstance("eq point length differs from the number of variables"));
        }
        let inner = self.terms.iter().map(|t| t.factors.len()).max().unwrap_or(0);
        if inner + 1 > MAX_DEGREE {
            return Err(SumcheckError::DegreeTooHigh { degree: inner + 1, max: MAX_DEGREE });
        }
        let rest = eq_table(point.get(1..).unwrap_or(&[]));
        // a coefficient shared by every term is applied once per round, not per pair
        let common = match self.terms.split_first() {
            Some((t0, others)) if others.iter().all(|t| t.coeff == t0.coeff) && !t0.coeff.is_zero() => t0.coeff,
            _ => Fr::one(),
        };
        if !common.is_one() {
            self.terms.iter_mut().for_each(|t| t.coeff = Fr::one());
        }
        self.eq = Some(EqWeight { point: point.to_vec(), rest, scale: Fr::one(), common });
        self.degree = inner + 1;
        Ok(self)
    }

    /// The sum over the hypercube (the honest claim).
    pub fn sum(&self) -> Fr {
        let size = 1usize << self.cur_vars;
        let weights: Option<Vec<Fr>> = self.eq.as_ref().map(|e| {
            let j = self.num_vars - self.cur_vars;
            eq_table(e.point.get(j..).unwrap_or(&[])).into_iter().map(|w| w * e.scale * e.common).collect()
        });
        let term_sum = |t: &Term| -> Fr {
            let s: Fr = (0..size)
                .into_par_iter()
                .map(|x| {
                    let p = t.factors.iter().fold(Fr::one(), |acc, &k| acc * self.value(k, x));
                    weights.as_ref().map_or(p, |w| p * w[x])
                })
                .sum();
            t.coeff * s
        };
        self.terms.iter().map(term_sum).sum()
    }

    /// After all rounds: the value of every MLE at the challenge point, then (with an
    /// eq weight) `eq(r, point)` last. Before the last round, the first entries.
    pub fn final_evals(&self) -> Vec<Fr> {
        let mut out: Vec<Fr> = (0..self.mles.len()).map(|k| self.value(k, 0)).collect();
        if let Some(e) = &self.eq {
            out.push(e.scale);
        }
        out
    }

    pub fn has_eq(&self) -> bool {
        self.eq.is_some()
    }
}

impl SumcheckInstance for ProductSum<'_> {
    fn num_vars(&self) -> usize {
        self.num_vars
    }

    fn degree(&self) -> usize {
        self.degree
    }

    fn round_evals(&self, claim: Fr) -> Vec<Fr> {
        let d = self.degree;
        let Some(e) = &self.eq else {
            // g(0), g(2..=d) directly; g(1) = claim - g(0).
            let pts: Vec<u64> = std::iter::once(0).chain(2..=d as u64).collect();
            let Some(at) = self.sums_at(&pts, None) else { return Vec::new() };
            let mut out = Vec::with_capacity(d + 1);
            out.push(at[0]);
            out.push(claim - at[0]);
            out.extend_from_slice(&at[1..]);
            return out;
        };
        // Split eq: g(X) = scale * eq(r_j, X) * s(X), s of degree d - 1.
        let j = self.num_vars - self.cur_vars;
        let rj = e.point.get(j).copied().unwrap_or_else(Fr::zero);
        let dh = d - 1;
        let one_minus = Fr::one() - rj;
        // s(1) from the claim when possible (one inversion), else directly; short
        // rounds evaluate it directly, which is cheaper than the inversion.
        let half = (1usize << self.cur_vars) / 2;
        let scale = e.scale * e.common;
        let derive = half >= DERIVE_MIN_PAIRS && !rj.is_zero() && !scale.is_zero();
        let pts: Vec<u64> =
            if derive { std::iter::once(0).chain(2..=dh as u64).collect() } else { (0..=dh as u64).collect() };
        // a quadratic s of dense tables: s(0) and its leading coefficient s(inf) (products
        // of the pairs' differences, no extrapolated values), s(2) = 2 s(1) - s(0) + 2 s(inf)
        let quad_inf = match derive && dh == 2 && self.all_dense() {
            true => Round::new(&self.mles, &self.terms, Some(&e.rest), half)
                .ok()
                .and_then(|round| self.kernels().round_leading(&round))
                .map(|v| v.to_vec()),
            false => None,
        };
        let leading = quad_inf.is_some();
        let at = match quad_inf {
            Some(v) => Some(v),
            None => self
                .first
                .as_ref()
                .filter(|_| self.cur_vars == self.num_vars)
                .and_then(|f| (f.0)(&pts, &e.rest))
                .filter(|v| v.len() == pts.len())
                .or_else(|| self.integer_first_round(&pts, &e.rest))
                .or_else(|| self.sums_at(&pts, Some(&e.rest))),
        };
        // (kernels that answer with another number of values: no round, which the engine
        // reports as a bad instance)
        let Some(at) = at else { return Vec::new() };
        let mut s_vals = Vec::with_capacity(dh + 1);
        if derive {
            let s0 = at[0];
            let inv = (scale * rj).inverse().unwrap_or_else(Fr::zero);
            let s1 = (claim - scale * one_minus * s0) * inv;
            s_vals.push(s0);
            s_vals.push(s1);
            match (leading, at.get(1)) {
                (true, Some(&s_inf)) => s_vals.push((s1 - s0 + s_inf).double() + s0),
                _ => s_vals.extend_from_slice(&at[1..]),
            }
        } else {
            s_vals = at;
        }
        s_vals.truncate(dh + 1);
        (0..=d as u64)
            .map(|t| {
                let tf = Fr::from(t);
                let st = if (t as usize) <= dh { s_vals[t as usize] } else { interpolate(&s_vals, tf) };
                scale * eq1(rj, tf) * st
            })
            .collect()
    }

    fn bind(&mut self, r: Fr) {
        if self.cur_vars == 0 {
            return;
        }
        if self.all_dense() {
            match &self.kernels.0 {
                Some(k) => k.bind(&mut self.mles, r),
                None => CpuKernels.bind(&mut self.mles, r),
            }
        } else {
            self.bind_lazy(r);
        }
        if let Some(e) = &mut self.eq {
            let j = self.num_vars - self.cur_vars;
            e.scale *= eq1(e.point.get(j).copied().unwrap_or_else(Fr::zero), r);
            // eq(r_>j+1, .) from eq(r_>j, .): sum over the next variable.
            if e.rest.len() == 1 {
                e.rest.push(Fr::zero());
            }
            crate::mle::fold_pairs(&mut e.rest, |a, b| a + b);
        }
        self.cur_vars -= 1;
    }
}

impl ProductSum<'_> {
    /// The first bind while lazy MLEs are left (on the CPU): a lazy MLE is read through
    /// its function once more and stored bound, a dense one folded.
    fn bind_lazy(&mut self, r: Fr) {
        let half = (1usize << self.cur_vars) / 2;
        let bind_one = |m: &mut Vec<Fr>, lazy: &mut Option<LazyMle<'_>>| match lazy.take() {
            // a lazy MLE is read through its function once more and stored bound
            Some(l) => {
                let lo_hi: Vec<(Fr, Fr)> = match &l.form {
                    Some(form) => form.terms.iter().map(|(c, _)| (*c - r * c, r * c)).collect(),
                    None => Vec::new(),
                };
                let f = |i: usize| match &l.form {
                    // integer tables: one reduction per entry, no field multiplication
                    Some(form) => form.bound_at(&lo_hi, i),
                    None => {
                        let a = (l.at)(2 * i);
                        a + r * ((l.at)(2 * i + 1) - a)
                    }
                };
                *m = if half > PAR_CHUNK {
                    (0..half).into_par_iter().map(f).collect()
                } else {
                    (0..half).map(f).collect()
                };
            }
            None => crate::mle::fold_pairs(m, |a, b| a + r * (b - a)),
        };
        if half > PAR_CHUNK {
            self.mles.par_iter_mut().zip(self.lazy.par_iter_mut()).for_each(|(m, l)| bind_one(m, l));
        } else {
            self.mles.iter_mut().zip(self.lazy.iter_mut()).for_each(|(m, l)| bind_one(m, l));
        }
    }
}
