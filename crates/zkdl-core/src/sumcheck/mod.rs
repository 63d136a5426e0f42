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
//! products of dense MLEs, with an optional `eq(r, x)` weight. Its hot loops over dense
//! MLEs (round sums, binding) run on [`Kernels`], [`CpuKernels`] by default.

mod kernels;
mod lazy;
mod product;
mod round_sums;

pub use kernels::{CpuKernels, Kernels, Round};
pub use lazy::LazyMle;
pub use product::{ProductSum, Term};

use ark_ff::{Field, One, Zero};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use rayon::prelude::*;

use crate::error::SumcheckError;
use crate::field::Fr;
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
