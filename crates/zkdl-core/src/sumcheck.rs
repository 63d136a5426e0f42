//! The ONE generic sumcheck engine of zkdl.
//!
//! A prover-side instance ([`SumcheckInstance`]) claims `sum_{x in {0,1}^n} g(x) = c`
//! for a polynomial `g` of individual degree at most `degree` in each variable. The
//! engine ([`prove_batched`] / [`verify_batched`]) runs any number of instances at once:
//! after all claims are in the transcript, one coefficient `rho_i` per instance is
//! drawn and the prover runs the sumcheck of `sum_i rho_i g_i`. Instances with fewer
//! variables than the largest are padded with dummy variables that come FIRST in
//! binding order, so instance `i` ends at the LAST `n_i` coordinates of the point.
//!
//! Round polynomials are sent as their evaluations at `0, 1, ..., D` (D the batch
//! degree). Variables are bound in the order of [`crate::mle`] (bit 0 first).
//!
//! **The verifier does not finish the job.** [`verify_batched`] returns a
//! [`BatchedClaim`]: a point and the value that `sum_i rho_i g_i(point_i)` must
//! have. The caller MUST discharge it: compute each `g_i` at its point from
//! evaluation claims on committed tensors (which end in polynomial-commitment
//! openings or in another relation's claims) and call [`BatchedClaim::check`].
//!
//! [`ProductSum`] is the instance used throughout zkdl: a linear combination of
//! products of dense MLEs, with an optional `eq(r, x)` weight.

use ark_ff::{AdditiveGroup, Field, One, Zero};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use rayon::prelude::*;

use crate::error::SumcheckError;
use crate::field::Fr;
use crate::mle::{eq_table, DenseMle};
use crate::transcript::{labels, Transcript};

/// Highest individual degree the engine handles (degree-4 products with an eq
/// weight need 5; the margin leaves room for lookups).
pub const MAX_DEGREE: usize = 8;

/// Prover side of one sumcheck claim.
pub trait SumcheckInstance: Send + Sync {
    /// Number of variables before any binding.
    fn num_vars(&self) -> usize;
    /// Individual degree of the summed polynomial in each variable.
    fn degree(&self) -> usize;
    /// Evaluations at `0, 1, ..., self.degree()` of the current round polynomial
    /// `g_j(X) = sum over the remaining free variables of g(r_0..r_{j-1}, X, ...)`.
    /// `claim` is the current running claim `g_{j-1}(r_{j-1})`, which an honest
    /// instance may use to obtain `g_j(1) = claim - g_j(0)`.
    fn round_evals(&self, claim: Fr) -> Vec<Fr>;
    /// Fix the current first free variable to `r`.
    fn bind(&mut self, r: Fr);
}

/// A sumcheck proof: the round polynomials as evaluations at `0..=degree`.
#[derive(Debug, Clone, Default, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct SumcheckProof {
    pub rounds: Vec<Vec<Fr>>,
}

/// What the verifier learns from a (batched) sumcheck; see the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchedClaim {
    /// The full point (length = the largest `num_vars` in the batch).
    pub point: Vec<Fr>,
    /// The value `sum_i rho_i g_i(point_i)` must equal.
    pub value: Fr,
    /// The batching coefficients `rho_i`.
    pub coeffs: Vec<Fr>,
    /// Each instance's number of variables.
    pub num_vars: Vec<usize>,
}

impl BatchedClaim {
    /// The point at which instance `i`'s polynomial must be evaluated: the last
    /// `num_vars[i]` coordinates of [`Self::point`].
    pub fn instance_point(&self, i: usize) -> Option<&[Fr]> {
        let n = *self.num_vars.get(i)?;
        self.point.get(self.point.len().checked_sub(n)?..)
    }

    /// Discharge the claim: `evals[i]` is `g_i(instance_point(i))` as computed by the
    /// caller from (verified) evaluation claims.
    pub fn check(&self, evals: &[Fr]) -> Result<(), SumcheckError> {
        if evals.len() != self.coeffs.len() {
            return Err(SumcheckError::WrongEvaluationCount { expected: self.coeffs.len(), got: evals.len() });
        }
        let combined: Fr = self.coeffs.iter().zip(evals).map(|(c, e)| *c * e).sum();
        if combined != self.value {
            return Err(SumcheckError::FinalEvaluationMismatch);
        }
        Ok(())
    }
}

/// Absorbs the batch description and draws the batching coefficients. Shared by
/// prover and verifier so both sides cannot drift apart.
fn begin_batch(
    transcript: &mut Transcript,
    claims: &[(Fr, usize)],
    degree: usize,
) -> Result<(usize, Vec<Fr>), SumcheckError> {
    if claims.is_empty() {
        return Err(SumcheckError::EmptyBatch);
    }
    if degree > MAX_DEGREE {
        return Err(SumcheckError::DegreeTooHigh { degree, max: MAX_DEGREE });
    }
    let max_vars = claims.iter().map(|c| c.1).max().unwrap_or(0);
    transcript.append_u64(labels::SUMCHECK_BEGIN, claims.len() as u64);
    transcript.append_u64(labels::SUMCHECK_DEGREE, degree as u64);
    for (claim, n) in claims {
        transcript.append_u64(labels::SUMCHECK_NUM_VARS, *n as u64);
        transcript.append_scalar(labels::SUMCHECK_CLAIM, claim);
    }
    let coeffs = if claims.len() == 1 {
        vec![Fr::one()]
    } else {
        transcript.challenge_scalars(labels::SUMCHECK_BATCH_COEFF, claims.len())
    };
    Ok((max_vars, coeffs))
}

/// Proves `sum_x g_i(x) = claims[i]` for every instance, batched. Returns the
/// proof and the challenge point (length = the largest `num_vars`).
///
/// The claims are the prover's; a wrong claim gives a proof the verifier rejects.
pub fn prove_batched(
    instances: &mut [&mut dyn SumcheckInstance],
    claims: &[Fr],
    transcript: &mut Transcript,
) -> Result<(SumcheckProof, Vec<Fr>), SumcheckError> {
    if claims.len() != instances.len() {
        return Err(SumcheckError::WrongEvaluationCount { expected: instances.len(), got: claims.len() });
    }
    let degree = instances.iter().map(|i| i.degree()).max().unwrap_or(1).max(1);
    let desc: Vec<(Fr, usize)> = claims.iter().zip(instances.iter()).map(|(c, i)| (*c, i.num_vars())).collect();
    let (n, coeffs) = begin_batch(transcript, &desc, degree)?;
    let two_inv = Fr::from(2u64).inverse().ok_or(SumcheckError::BadInstance("2 is not invertible"))?;

    // Instance i's running claim starts at claim_i * 2^(dummy variables).
    let mut running: Vec<Fr> = claims
        .iter()
        .zip(instances.iter())
        .map(|(c, i)| *c * Fr::from(2u64).pow([(n - i.num_vars()) as u64]))
        .collect();
    let mut rounds = Vec::with_capacity(n);
    let mut point = Vec::with_capacity(n);
    for j in 0..n {
        // Instances are independent: their round polynomials (and below, their binds)
        // run in parallel, so many small instances keep every core busy.
        let per_instance: Vec<Vec<Fr>> = instances
            .par_iter()
            .zip(running.par_iter())
            .map(|(inst, run)| {
                if j < n - inst.num_vars() {
                    // The instance does not depend on this variable: constant claim / 2.
                    return Ok(vec![*run * two_inv; degree + 1]);
                }
                let e = inst.round_evals(*run);
                if e.len() != inst.degree() + 1 {
                    return Err(SumcheckError::BadInstance("round_evals returned the wrong number of evaluations"));
                }
                Ok(extend_evals(&e, degree))
            })
            .collect::<Result<_, _>>()?;
        let mut combined = vec![Fr::zero(); degree + 1];
        for (evals, c) in per_instance.iter().zip(&coeffs) {
            for (acc, e) in combined.iter_mut().zip(evals) {
                *acc += *c * e;
            }
        }
        transcript.append_scalars(labels::SUMCHECK_ROUND_POLY, &combined);
        let r = transcript.challenge_scalar(labels::SUMCHECK_CHALLENGE);
        instances.par_iter_mut().zip(running.par_iter_mut()).zip(per_instance.par_iter()).for_each(
            |((inst, run), evals)| {
                *run = interpolate(evals, r);
                if j >= n - inst.num_vars() {
                    inst.bind(r);
                }
            },
        );
        rounds.push(combined);
        point.push(r);
    }
    Ok((SumcheckProof { rounds }, point))
}

/// Single-instance convenience wrapper around [`prove_batched`].
pub fn prove(
    instance: &mut dyn SumcheckInstance,
    claim: Fr,
    transcript: &mut Transcript,
) -> Result<(SumcheckProof, Vec<Fr>), SumcheckError> {
    prove_batched(&mut [instance], &[claim], transcript)
}

/// Verifies a batched sumcheck of the claims `(claim_i, num_vars_i)` with batch
/// degree `degree`. On success returns the [`BatchedClaim`] that the caller MUST
/// discharge (see the module docs); on failure a typed error naming the round.
pub fn verify_batched(
    claims: &[(Fr, usize)],
    degree: usize,
    proof: &SumcheckProof,
    transcript: &mut Transcript,
) -> Result<BatchedClaim, SumcheckError> {
    let degree = degree.max(1);
    let (n, coeffs) = begin_batch(transcript, claims, degree)?;
    if proof.rounds.len() != n {
        return Err(SumcheckError::WrongRoundCount { expected: n, got: proof.rounds.len() });
    }
    let mut running = Fr::zero();
    for ((claim, nv), c) in claims.iter().zip(&coeffs) {
        // claim * 2^(n - nv) for the dummy variables
        let scale = Fr::from(2u64).pow([(n - nv) as u64]);
        running += *c * claim * scale;
    }
    let mut point = Vec::with_capacity(n);
    for (round, evals) in proof.rounds.iter().enumerate() {
        if evals.len() != degree + 1 {
            return Err(SumcheckError::WrongDegree { round, expected: degree + 1, got: evals.len() });
        }
        let (g0, g1) = match (evals.first(), evals.get(1)) {
            (Some(a), Some(b)) => (*a, *b),
            _ => return Err(SumcheckError::WrongDegree { round, expected: degree + 1, got: evals.len() }),
        };
        if g0 + g1 != running {
            return Err(SumcheckError::RoundSumMismatch { round });
        }
        transcript.append_scalars(labels::SUMCHECK_ROUND_POLY, evals);
        let r = transcript.challenge_scalar(labels::SUMCHECK_CHALLENGE);
        running = interpolate(evals, r);
        point.push(r);
    }
    Ok(BatchedClaim { point, value: running, coeffs, num_vars: claims.iter().map(|c| c.1).collect() })
}

/// Single-claim verification. Returns `(point, value)`: the caller MUST check that
/// the summed polynomial evaluates to `value` at `point`.
pub fn verify(
    claim: Fr,
    num_vars: usize,
    degree: usize,
    proof: &SumcheckProof,
    transcript: &mut Transcript,
) -> Result<(Vec<Fr>, Fr), SumcheckError> {
    let b = verify_batched(&[(claim, num_vars)], degree, proof, transcript)?;
    Ok((b.point, b.value))
}

/// `1 / prod_{j != i} (i - j)` for the nodes `0..d` (the Lagrange denominators).
fn lagrange_weights(d: usize) -> Vec<Fr> {
    (0..d)
        .map(|i| {
            let denom: Fr = (0..d).filter(|&j| j != i).map(|j| Fr::from(i as u64) - Fr::from(j as u64)).product();
            denom.inverse().unwrap_or_else(Fr::zero)
        })
        .collect()
}

/// Evaluate at `r` the polynomial of degree `evals.len() - 1` given by its values
/// at `0, 1, ..., evals.len() - 1` (Lagrange interpolation). No inversion for up to
/// `MAX_DEGREE + 1` nodes: `L_i(r) = w_i prod_{j != i} (r - j)` with the constant
/// weights `w_i` cached and the products from prefix and suffix products.
pub fn interpolate(evals: &[Fr], r: Fr) -> Fr {
    static WEIGHTS: std::sync::OnceLock<Vec<Vec<Fr>>> = std::sync::OnceLock::new();
    let d = evals.len();
    if d == 0 {
        return Fr::zero();
    }
    let cached = WEIGHTS.get_or_init(|| (0..=MAX_DEGREE + 1).map(lagrange_weights).collect());
    let computed;
    let w: &[Fr] = match cached.get(d) {
        Some(w) => w,
        None => {
            computed = lagrange_weights(d);
            &computed
        }
    };
    let diffs: Vec<Fr> = (0..d).map(|j| r - Fr::from(j as u64)).collect();
    // suffix[i] = prod_{j > i} diffs[j]
    let mut suffix = vec![Fr::one(); d];
    for i in (0..d - 1).rev() {
        suffix[i] = suffix[i + 1] * diffs[i + 1];
    }
    let mut prefix = Fr::one();
    let mut acc = Fr::zero();
    for i in 0..d {
        acc += evals[i] * w[i] * prefix * suffix[i];
        prefix *= diffs[i];
    }
    acc
}

/// Extend evaluations at `0..=d` of a degree-`d` polynomial to `0..=degree`.
fn extend_evals(evals: &[Fr], degree: usize) -> Vec<Fr> {
    let mut out = evals.to_vec();
    for t in evals.len()..=degree {
        out.push(interpolate(evals, Fr::from(t as u64)));
    }
    out
}

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
#[derive(Debug, Clone)]
pub struct ProductSum<'a> {
    mles: Vec<Vec<Fr>>,
    /// Per MLE, until the first bind: the function giving its entries (its `mles`
    /// entry is empty meanwhile).
    lazy: Vec<Option<LazyMle<'a>>>,
    terms: Vec<Term>,
    num_vars: usize,
    cur_vars: usize,
    degree: usize,
    eq: Option<EqWeight>,
    /// The first round's sums computed by the caller ([`ProductSum::with_first_round`]).
    first: Option<FirstRound<'a>>,
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

/// An MLE over `num_vars` variables given by its entry at each hypercube index.
#[derive(Clone)]
pub struct LazyMle<'a> {
    num_vars: usize,
    at: std::sync::Arc<dyn Fn(usize) -> Fr + Send + Sync + 'a>,
    /// Set when the entries are an affine combination of integer tables: the first
    /// round may then sum integer monomials and the first bind reads the integers
    /// (see [`ProductSum`]).
    form: Option<IntForm<'a>>,
}

/// The entries `a + sum_k c_k v_k[x]` of tables `v_k` of small signed integers.
#[derive(Clone)]
struct IntForm<'a> {
    a: Fr,
    terms: std::sync::Arc<[(Fr, &'a [i64])]>,
    /// `|v_k[x]| < 2^bits`, found by one pass over the tables when first asked for
    /// (only the integer first round asks).
    bits: std::sync::OnceLock<u32>,
}

/// `(a, b, v, bits)`: the entries `a + b v[x]`, `|v[x]| < 2^bits`.
type Affine<'a> = (Fr, Fr, &'a [i64], u32);

impl<'a> IntForm<'a> {
    /// The single-table form `(a, b, v, bits)`, if it is one.
    fn affine(&self) -> Option<Affine<'a>> {
        match *self.terms {
            [(b, v)] => Some((self.a, b, v, self.bits())),
            _ => None,
        }
    }

    /// The bit width bounding every table entry's magnitude.
    fn bits(&self) -> u32 {
        *self.bits.get_or_init(|| {
            let max = |t: &[i64]| t.par_iter().map(|v| v.unsigned_abs()).max().unwrap_or(0);
            64 - self.terms.iter().map(|(_, t)| max(t)).max().unwrap_or(0).leading_zeros()
        })
    }

    /// Entry `i` of the table bound at `r` in its first variable:
    /// `a + sum_k ((1 - r) c_k) v_k[2i] + (r c_k) v_k[2i+1]`, given the scaled
    /// coefficients `lo_hi[k] = ((1 - r) c_k, r c_k)`: one reduction per entry.
    fn bound_at(&self, lo_hi: &[(Fr, Fr)], i: usize) -> Fr {
        let mut acc = crate::field::LazySum::default();
        for ((_, v), (lo, hi)) in self.terms.iter().zip(lo_hi) {
            if let (Some(&x0), Some(&x1)) = (v.get(2 * i), v.get(2 * i + 1)) {
                acc.add(lo, x0);
                acc.add(hi, x1);
            }
        }
        self.a + acc.finish()
    }
}

/// The first round's accumulators over the pairs: the linear and the quadratic integer
/// monomials (see [`ProductSum::integer_first_round`]).
type FirstRoundSums = ([crate::field::LazySum; 4], [crate::field::LazySum; 3]);

impl<'a> LazyMle<'a> {
    /// The MLE whose entry at `x` (for `x < 2^num_vars`) is `at(x)`.
    pub fn new(num_vars: usize, at: impl Fn(usize) -> Fr + Send + Sync + 'a) -> Self {
        LazyMle { num_vars, at: std::sync::Arc::new(at), form: None }
    }

    /// A table of small signed integers.
    pub fn from_i64(table: &'a [i64]) -> Result<Self, SumcheckError> {
        Self::affine_i64(Fr::zero(), Fr::one(), table)
    }

    /// The entries `a + b v[x]` of a table `v` of small signed integers.
    pub fn affine_i64(a: Fr, b: Fr, table: &'a [i64]) -> Result<Self, SumcheckError> {
        use crate::field::fr_from_i64;
        if !table.len().is_power_of_two() {
            return Err(SumcheckError::BadInstance("table length is not a power of two"));
        }
        let num_vars = table.len().trailing_zeros() as usize;
        let mut m = match (a.is_zero(), b.is_one(), b == -Fr::one()) {
            (true, true, _) => Self::new(num_vars, move |x| fr_from_i64(table[x])),
            (_, _, true) => Self::new(num_vars, move |x| a - fr_from_i64(table[x])),
            _ => Self::new(num_vars, move |x| a + b * fr_from_i64(table[x])),
        };
        m.form = Some(IntForm { a, terms: std::sync::Arc::from([(b, table)]), bits: Default::default() });
        Ok(m)
    }

    /// The entries `a + sum_k coeffs[k] tables[k][x]` of tables of small signed integers
    /// (at least one, all of one power-of-two length).
    pub fn affine_combination_i64(a: Fr, tables: &[&'a [i64]], coeffs: &[Fr]) -> Result<Self, SumcheckError> {
        let len = tables.first().map_or(0, |t| t.len());
        if !len.is_power_of_two() || tables.iter().any(|t| t.len() != len) || coeffs.len() != tables.len() {
            return Err(SumcheckError::BadInstance("combined tables of different or non-power-of-two lengths"));
        }
        let terms: std::sync::Arc<[(Fr, &'a [i64])]> = coeffs.iter().copied().zip(tables.iter().copied()).collect();
        let (ts, cs) = (tables.to_vec(), coeffs.to_vec());
        let mut m = Self::new(len.trailing_zeros() as usize, move |x| a + crate::mle::combine_i64_at(&ts, &cs, x));
        m.form = Some(IntForm { a, terms, bits: Default::default() });
        Ok(m)
    }

    pub fn num_vars(&self) -> usize {
        self.num_vars
    }
}

impl std::fmt::Debug for LazyMle<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LazyMle({} vars)", self.num_vars)
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

/// The point "infinity" of [`ProductSum::sums_dense`]: the leading coefficient.
const INFINITY: u64 = u64::MAX;

/// Most MLEs and points of the dense fast path ([`ProductSum::sums_dense`]).
const FAST_MLES: usize = 8;
const FAST_PTS: usize = 4;

/// Pairs per parallel work item.
const PAR_CHUNK: usize = 1 << 11;

/// `work` over `0..n` (pairs of a sumcheck round) in chunks of `PAR_CHUNK`, in
/// parallel when longer than one chunk, the partial results combined by `merge` (with
/// `empty` its identity). The one parallel loop of the round sums, shared with callers
/// that sum a first round themselves ([`ProductSum::with_first_round`]).
pub fn par_chunks<T: Send>(
    n: usize,
    empty: impl Fn() -> T + Sync + Send,
    work: impl Fn(std::ops::Range<usize>) -> T + Sync,
    merge: impl Fn(T, T) -> T + Sync + Send,
) -> T {
    if n <= PAR_CHUNK {
        return work(0..n);
    }
    (0..n).into_par_iter().step_by(PAR_CHUNK).map(|s| work(s..(s + PAR_CHUNK).min(n))).reduce(empty, merge)
}

/// [`par_chunks`] of the integer first round's accumulators.
fn par_sum(n: usize, work: impl Fn(std::ops::Range<usize>) -> FirstRoundSums + Sync) -> FirstRoundSums {
    let merge = |mut a: FirstRoundSums, b: FirstRoundSums| {
        a.0.iter_mut().zip(&b.0).for_each(|(x, y)| x.merge(y));
        a.1.iter_mut().zip(&b.1).for_each(|(x, y)| x.merge(y));
        a
    };
    par_chunks(n, Default::default, work, merge)
}

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
        })
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

    /// [`Self::sums_at`] by integer arithmetic, in the first round of a single product of
    /// one or two affine integer MLEs (`a_k + b_k v_k`): with `x_t = x_0 + t (x_1 - x_0)`
    /// per pair, `sum_i w_i prod_k (a_k + b_k x_t)` expands into inner products of the
    /// weights with integer monomials of the pairs (one [`LazySum`] term each, no field
    /// multiplication per pair). `w` is the first round's eq table `eq(r_>0, .)`, whose
    /// entries sum to one. `None` where it does not apply.
    fn integer_first_round(&self, pts: &[u64], w: &[Fr]) -> Option<Vec<Fr>> {
        use crate::field::LazySum;
        if self.cur_vars != self.num_vars || self.num_vars == 0 || self.terms.len() != 1 {
            return None;
        }
        let term = self.terms.first()?;
        let half = (1usize << self.cur_vars) / 2;
        if w.len() != half {
            return None;
        }
        let forms: Option<Vec<&IntForm<'_>>> =
            term.factors.iter().map(|&k| self.lazy.get(k)?.as_ref()?.form.as_ref()).collect();
        let forms = forms?;
        if forms.iter().any(|f| f.terms.iter().any(|(_, v)| v.len() != 2 * half)) {
            return None;
        }
        if let [f] = forms.as_slice() {
            return Self::linear_first_round(f, term.coeff, pts, w);
        }
        let factors: Option<Vec<Affine<'_>>> = forms.iter().map(|f| f.affine()).collect();
        let factors = factors?;
        // per factor sum w x_0 and sum w x_1, and for two factors sum w x_0 y_0,
        // sum w (x_0 dy + y_0 dx), sum w dx dy; the weights (an eq table) sum to one
        let (lin, quad): FirstRoundSums = match factors.as_slice() {
            [(_, _, x, bx), (_, _, y, by)] if *bx < 30 && *by < 30 => {
                let work = |r: std::ops::Range<usize>| -> FirstRoundSums {
                    let (mut l, mut q) = ([LazySum::default(); 4], [LazySum::default(); 3]);
                    for i in r {
                        let wi = &w[i];
                        let (x0, x1, y0, y1) = (x[2 * i], x[2 * i + 1], y[2 * i], y[2 * i + 1]);
                        let (dx, dy) = (x1 - x0, y1 - y0);
                        l[0].add(wi, x0);
                        l[1].add(wi, x1);
                        l[2].add(wi, y0);
                        l[3].add(wi, y1);
                        q[0].add(wi, x0 * y0);
                        q[1].add(wi, x0 * dy + y0 * dx);
                        q[2].add(wi, dx * dy);
                    }
                    (l, q)
                };
                par_sum(half, work)
            }
            _ => return None,
        };
        let [x0, x1, y0, y1] = lin.map(|l| l.finish());
        let [q0, q1, q2] = quad.map(|q| q.finish());
        let out = pts
            .iter()
            .map(|&t| {
                let tf = Fr::from(t);
                let xt = x0 + tf * (x1 - x0);
                let v = match factors.as_slice() {
                    [(a1, b1, ..), (a2, b2, ..)] => {
                        let yt = y0 + tf * (y1 - y0);
                        let xyt = q0 + tf * (q1 + tf * q2);
                        *a1 * *a2 + *a1 * *b2 * yt + *a2 * *b1 * xt + *b1 * *b2 * xyt
                    }
                    _ => Fr::zero(),
                };
                term.coeff * v
            })
            .collect();
        Some(out)
    }

    /// [`Self::integer_first_round`] for a single factor `a + sum_k c_k v_k`: per table
    /// `sum_i w_i v_k[2i]` and `sum_i w_i v_k[2i+1]` (the odd entries only where a point
    /// other than 0 is asked for), each a [`LazySum`] (integer multiples of the weights),
    /// combined once: `g(t) = coeff (a + sum_k c_k (s_k0 + t (s_k1 - s_k0)))`.
    fn linear_first_round(f: &IntForm<'_>, coeff: Fr, pts: &[u64], w: &[Fr]) -> Option<Vec<Fr>> {
        use crate::field::LazySum;
        if f.bits() >= 62 {
            return None;
        }
        let nt = f.terms.len();
        let odd = pts.iter().any(|&t| t != 0);
        let half = w.len();
        let work = |r: std::ops::Range<usize>| -> Vec<[LazySum; 2]> {
            let mut acc = vec![[LazySum::default(); 2]; nt];
            for ((_, v), a) in f.terms.iter().zip(acc.iter_mut()) {
                // (lengths checked by the caller: `v` has `2 w.len()` entries)
                let v = v.get(2 * r.start..2 * r.end).unwrap_or(&[]);
                let w = w.get(r.clone()).unwrap_or(&[]);
                for (pair, wi) in v.chunks_exact(2).zip(w) {
                    a[0].add(wi, pair[0]);
                    if odd {
                        a[1].add(wi, pair[1]);
                    }
                }
            }
            acc
        };
        let merge = |mut a: Vec<[LazySum; 2]>, b: Vec<[LazySum; 2]>| {
            a.iter_mut().zip(&b).for_each(|(x, y)| {
                x[0].merge(&y[0]);
                x[1].merge(&y[1]);
            });
            a
        };
        let sums = par_chunks(half, || vec![[LazySum::default(); 2]; nt], work, merge);
        if sums.len() != nt {
            return None;
        }
        let (mut x0, mut x1) = (Fr::zero(), Fr::zero());
        for ((c, _), s) in f.terms.iter().zip(&sums) {
            x0 += *c * s[0].finish();
            x1 += *c * s[1].finish();
        }
        // the weights sum to one: the constant contributes `a`
        Some(pts.iter().map(|&t| coeff * (f.a + x0 + Fr::from(t) * (x1 - x0))).collect())
    }

    /// [`Self::sums_at`] for dense MLEs only (every round after the first), with the
    /// per-pair values in fixed-size arrays: no heap indexing in the hot loop. `None`
    /// for more than [`FAST_MLES`] MLEs or [`FAST_PTS`] points.
    fn sums_dense(&self, pts: &[u64], w: Option<&[Fr]>) -> Option<Vec<Fr>> {
        let half = (1usize << self.cur_vars) / 2;
        let nm = self.mles.len();
        let npts = pts.len();
        if nm == 0
            || nm > FAST_MLES
            || npts == 0
            || npts > FAST_PTS
            || self.lazy.iter().any(Option::is_some)
            || self.mles.iter().any(|m| m.len() < 2 * half)
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
        let top = self.terms.iter().map(|t| t.factors.len()).max().unwrap_or(0);
        let mut terms: Vec<(Option<Fr>, [usize; MAX_DEGREE], usize)> = Vec::with_capacity(self.terms.len());
        for t in &self.terms {
            let mut f = [0usize; MAX_DEGREE];
            f.get_mut(..t.factors.len())?.copy_from_slice(&t.factors);
            terms.push(((!t.coeff.is_one()).then_some(t.coeff), f, t.factors.len()));
        }
        let mles: Vec<&[Fr]> = self.mles.iter().map(|m| &m[..2 * half]).collect();
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

    /// The sums over the current pairs of `sum_t coeff_t prod_t` at the points `pts`
    /// (small integers), weighted by `w[i]` per pair when given (once per pair and
    /// point, after the terms are combined; unit coefficients cost no multiplication).
    fn sums_at(&self, pts: &[u64], w: Option<&[Fr]>) -> Vec<Fr> {
        self.sums_dense(pts, w).unwrap_or_else(|| self.sums_generic(pts, w))
    }

    /// [`Self::sums_at`] for any instance (lazy MLEs, many MLEs or points).
    fn sums_generic(&self, pts: &[u64], w: Option<&[Fr]>) -> Vec<Fr> {
        let half = (1usize << self.cur_vars) / 2;
        let nm = self.mles.len();
        let npts = pts.len();
        let unit: Vec<bool> = self.terms.iter().map(|t| t.coeff.is_one()).collect();
        let only_zero = pts == [0];
        let work = |range: std::ops::Range<usize>| -> Vec<Fr> {
            let mut acc = vec![Fr::zero(); npts];
            let mut vals = vec![Fr::zero(); nm * npts];
            for i in range {
                for (k, (m, lazy)) in self.mles.iter().zip(&self.lazy).enumerate() {
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
                    for (t, &one) in self.terms.iter().zip(&unit) {
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
            let at = self.sums_at(&pts, None);
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
        let quad_inf = match derive && dh == 2 && self.lazy.iter().all(Option::is_none) {
            true => self.sums_dense(&[0, INFINITY], Some(&e.rest)),
            false => None,
        };
        let leading = quad_inf.is_some();
        let at = match quad_inf {
            Some(v) => v,
            None => self
                .first
                .as_ref()
                .filter(|_| self.cur_vars == self.num_vars)
                .and_then(|f| (f.0)(&pts, &e.rest))
                .filter(|v| v.len() == pts.len())
                .or_else(|| self.integer_first_round(&pts, &e.rest))
                .unwrap_or_else(|| self.sums_at(&pts, Some(&e.rest))),
        };
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ark_ff::UniformRand;
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
                    for pts in point_sets {
                        for weights in [None, Some(w.as_slice())] {
                            let fast = inst.sums_dense(pts, weights).unwrap();
                            assert_eq!(fast, inst.sums_generic(pts, weights), "n {n}, pts {pts:?}");
                        }
                    }
                    // the leading coefficient: the top finite difference over top!
                    let top = terms.iter().map(|t| t.1.len()).max().unwrap();
                    let at: Vec<u64> = (0..=top as u64).collect();
                    for weights in [None, Some(w.as_slice())] {
                        let mut diffs = inst.sums_generic(&at, weights);
                        for level in 0..top {
                            for q in 0..top - level {
                                diffs[q] = diffs[q + 1] - diffs[q];
                            }
                        }
                        let fact: u64 = (1..=top as u64).product();
                        let want = diffs[0] * Fr::from(fact).inverse().unwrap();
                        let got = inst.sums_dense(&[0, INFINITY], weights).unwrap();
                        assert_eq!(got[1], want, "n {n}, leading coefficient");
                        assert_eq!(got[0], inst.sums_generic(&[0], weights)[0]);
                    }
                    if inst.cur_vars > 1 {
                        inst.bind(Fr::rand(&mut rng));
                    }
                }
            }
        }
    }
}
