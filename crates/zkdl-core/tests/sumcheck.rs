//! Sumcheck engine: completeness for degrees 1..4 and n = 0..12, batching, the kernels
//! seam, and rejection of every kind of malformed or cheating proof.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ark_ff::{One, UniformRand, Zero};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use zkdl_core::mle::{eq_eval, DenseMle};
use zkdl_core::sumcheck::{
    self, CpuKernels, Kernels, LazyMle, ProductSum, Round, SumcheckInstance, SumcheckProof, Term,
};
use zkdl_core::transcript::{labels, Transcript};
use zkdl_core::{Fr, SumcheckError};

fn rand_mle(rng: &mut StdRng, n: usize) -> DenseMle {
    DenseMle::new((0..1usize << n).map(|_| Fr::rand(rng)).collect()).unwrap()
}

/// A combination of products of degree `d`: c0 * f0*...*f_{d-1} + c1 * f1 + c2 * f0*f1 (if d >= 2).
fn instance(rng: &mut StdRng, n: usize, d: usize) -> (Vec<DenseMle>, Vec<(Fr, Vec<usize>)>) {
    let mles: Vec<DenseMle> = (0..d.max(2)).map(|_| rand_mle(rng, n)).collect();
    let mut terms = vec![(Fr::rand(rng), (0..d).collect::<Vec<_>>()), (Fr::rand(rng), vec![1])];
    if d >= 2 {
        terms.push((Fr::rand(rng), vec![0, 1]));
    }
    (mles, terms)
}

fn eval_terms(mles: &[DenseMle], terms: &[(Fr, Vec<usize>)], point: &[Fr]) -> Fr {
    let evals: Vec<Fr> = mles.iter().map(|m| m.evaluate(point).unwrap()).collect();
    terms.iter().map(|(c, f)| *c * f.iter().map(|&k| evals[k]).product::<Fr>()).sum()
}

#[test]
fn complete_for_degrees_1_to_4_and_n_0_to_12() {
    let mut rng = StdRng::seed_from_u64(1);
    for d in 1..=4 {
        for n in 0..=12 {
            let (mles, terms) = instance(&mut rng, n, d);
            let mut ps = ProductSum::new(mles.clone(), terms.clone()).unwrap();
            assert_eq!(ps.degree(), d);
            let claim = ps.sum();
            let mut tp = Transcript::new(labels::TEST);
            let (proof, point) = sumcheck::prove(&mut ps, claim, &mut tp).unwrap();
            assert_eq!(proof.rounds.len(), n);
            let mut tv = Transcript::new(labels::TEST);
            let (vpoint, value) = sumcheck::verify(claim, n, d, &proof, &mut tv).unwrap();
            assert_eq!(vpoint, point);
            // discharge the final claim from the MLEs themselves
            assert_eq!(value, eval_terms(&mles, &terms, &point), "d={d} n={n}");
            // and from the instance's own final evaluations
            let fe = ps.final_evals();
            let from_final: Fr = terms.iter().map(|(c, f)| *c * f.iter().map(|&k| fe[k]).product::<Fr>()).sum();
            assert_eq!(value, from_final);
        }
    }
}

#[test]
fn eq_weighted_instance() {
    let mut rng = StdRng::seed_from_u64(2);
    for n in [0usize, 1, 5, 13] {
        let (mles, terms) = instance(&mut rng, n, 3);
        let r: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let mut ps = ProductSum::new(mles.clone(), terms.clone()).unwrap().with_eq(&r).unwrap();
        assert_eq!(ps.degree(), 4);
        let claim = ps.sum();
        let mut tp = Transcript::new(labels::TEST);
        let (proof, point) = sumcheck::prove(&mut ps, claim, &mut tp).unwrap();
        let mut tv = Transcript::new(labels::TEST);
        let (_, value) = sumcheck::verify(claim, n, 4, &proof, &mut tv).unwrap();
        let expected = eval_terms(&mles, &terms, &point) * eq_eval(&r, &point).unwrap();
        assert_eq!(value, expected);
    }
}

/// MLEs given as functions of the index (read in the first round, materialised by the
/// first bind) give the same proof and final evaluations as the dense ones, with and
/// without an eq weight, below and above the parallel threshold; integer tables too.
#[test]
fn lazy_mles_prove_as_dense_ones() {
    let mut rng = StdRng::seed_from_u64(4);
    for n in [0usize, 1, 5, 13] {
        for with_eq in [false, true] {
            let ints: Vec<i64> = (0..1i64 << n).map(|x| (x * 7919) % 65_537 - 30_000).collect();
            let (mut mles, terms) = instance(&mut rng, n, 3);
            mles[1] = DenseMle::new(ints.iter().map(|&v| zkdl_core::field::fr_from_i64(v)).collect()).unwrap();
            let evals: Vec<Vec<Fr>> = mles.iter().map(|m| m.evals().to_vec()).collect();
            let r: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            let lazy: Vec<LazyMle<'_>> = evals
                .iter()
                .enumerate()
                .map(|(k, e)| match k {
                    1 => LazyMle::from_i64(&ints).unwrap(),
                    _ => LazyMle::new(n, move |x| e[x]),
                })
                .collect();
            let mut dense = ProductSum::new(mles.clone(), terms.clone()).unwrap();
            let mut lazy = ProductSum::with_lazy(lazy, terms.clone()).unwrap();
            if with_eq {
                dense = dense.with_eq(&r).unwrap();
                lazy = lazy.with_eq(&r).unwrap();
            }
            let claim = dense.sum();
            assert_eq!(lazy.sum(), claim);
            let (pd, _) = sumcheck::prove(&mut dense, claim, &mut Transcript::new(labels::TEST)).unwrap();
            let (pl, _) = sumcheck::prove(&mut lazy, claim, &mut Transcript::new(labels::TEST)).unwrap();
            assert_eq!(pd, pl, "n={n} eq={with_eq}");
            assert_eq!(dense.final_evals(), lazy.final_evals());
        }
    }
    assert!(LazyMle::from_i64(&[1, 2, 3]).is_err(), "a table of 3 entries has no MLE");
}

/// Terms sharing one coefficient (taken out of the terms and applied once per round):
/// the same claims and final values as the polynomial itself.
#[test]
fn eq_weighted_instance_with_a_common_coefficient() {
    let mut rng = StdRng::seed_from_u64(5);
    for (n, nterms) in [(0usize, 1usize), (3, 1), (9, 2)] {
        let mles: Vec<DenseMle> = (0..2).map(|_| rand_mle(&mut rng, n)).collect();
        let c = Fr::rand(&mut rng);
        let terms: Vec<(Fr, Vec<usize>)> = [vec![0], vec![0, 1]].into_iter().take(nterms).map(|f| (c, f)).collect();
        let r: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let mut ps = ProductSum::new(mles.clone(), terms.clone()).unwrap().with_eq(&r).unwrap();
        let claim = ps.sum();
        let weights = zkdl_core::mle::eq_table(&r);
        let direct: Fr = (0..1usize << n)
            .map(|x| {
                let t: Fr = terms.iter().map(|(c, f)| *c * f.iter().map(|&k| mles[k].evals()[x]).product::<Fr>()).sum();
                t * weights[x]
            })
            .sum();
        assert_eq!(claim, direct);
        let degree = ps.degree();
        let (proof, point) = sumcheck::prove(&mut ps, claim, &mut Transcript::new(labels::TEST)).unwrap();
        let (_, value) = sumcheck::verify(claim, n, degree, &proof, &mut Transcript::new(labels::TEST)).unwrap();
        assert_eq!(value, eval_terms(&mles, &terms, &point) * eq_eval(&r, &point).unwrap());
        // a wrong claim is caught
        let mut ps = ProductSum::new(mles.clone(), terms.clone()).unwrap().with_eq(&r).unwrap();
        let bad = claim + Fr::one();
        let (proof, point) = sumcheck::prove(&mut ps, bad, &mut Transcript::new(labels::TEST)).unwrap();
        let checked = sumcheck::verify(bad, n, degree, &proof, &mut Transcript::new(labels::TEST))
            .map(|(_, v)| v == eval_terms(&mles, &terms, &point) * eq_eval(&r, &point).unwrap());
        assert!(!matches!(checked, Ok(true)), "n={n}: a wrong claim verified");
    }
}

/// The same instance with dense and lazy MLEs under `eq(r, .)`: equal sums, proofs
/// byte for byte and final evaluations.
fn assert_lazy_proves_as_dense(
    dense: Vec<DenseMle>,
    lazy: Vec<LazyMle<'_>>,
    terms: Vec<(Fr, Vec<usize>)>,
    r: &[Fr],
    what: &str,
) {
    let mut d = ProductSum::new(dense, terms.clone()).unwrap().with_eq(r).unwrap();
    let mut l = ProductSum::with_lazy(lazy, terms).unwrap().with_eq(r).unwrap();
    let claim = d.sum();
    assert_eq!(l.sum(), claim, "{what}");
    let (pd, _) = sumcheck::prove(&mut d, claim, &mut Transcript::new(labels::TEST)).unwrap();
    let (pl, _) = sumcheck::prove(&mut l, claim, &mut Transcript::new(labels::TEST)).unwrap();
    assert_eq!(pd, pl, "{what}");
    assert_eq!(d.final_evals(), l.final_evals(), "{what}");
}

/// One or two affine integer MLEs `a + b v` under an eq weight: the first round summed
/// by integer arithmetic gives the same proof as dense field tables (unit, negated and
/// general affine forms, small and wide values, the latter falling back).
#[test]
fn affine_integer_first_round_proves_as_dense() {
    use ark_std::rand::Rng;
    use zkdl_core::field::fr_from_i64;
    let mut rng = StdRng::seed_from_u64(6);
    for n in [1usize, 2, 5, 13] {
        for (k, bits) in [(1usize, 16u32), (2, 16), (2, 29), (2, 40), (1, 61)] {
            let tables: Vec<Vec<i64>> = (0..k)
                .map(|_| (0..1usize << n).map(|_| rng.gen_range(-(1i64 << bits) + 1..1i64 << bits)).collect())
                .collect();
            let forms =
                [(Fr::zero(), Fr::one()), (Fr::rand(&mut rng), -Fr::one()), (Fr::rand(&mut rng), Fr::rand(&mut rng))];
            for (fa, fb) in forms {
                let c = Fr::rand(&mut rng);
                let r: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
                let dense: Vec<DenseMle> = tables
                    .iter()
                    .map(|t| DenseMle::new(t.iter().map(|&v| fa + fb * fr_from_i64(v)).collect()).unwrap())
                    .collect();
                let lazy: Vec<LazyMle<'_>> = tables.iter().map(|t| LazyMle::affine_i64(fa, fb, t).unwrap()).collect();
                let terms = vec![(c, (0..k).collect::<Vec<_>>())];
                assert_lazy_proves_as_dense(dense, lazy, terms, &r, &format!("n={n} k={k} bits={bits}"));
            }
        }
    }
}

/// An affine combination of integer tables (`LazyMle::affine_combination_i64`, which
/// builds the lookup trees' layer above the leaves) proves byte for byte as its dense
/// table: alone under an eq weight (the integer first round) and times a dense MLE (the
/// generic first round), both binding from the integers; tables of different lengths are
/// an error.
#[test]
fn integer_combinations_prove_as_dense() {
    use ark_std::rand::Rng;
    use zkdl_core::field::fr_from_i64;
    let mut rng = StdRng::seed_from_u64(8);
    for n in [1usize, 4, 13] {
        for (k, bits) in [(1usize, 16u32), (3, 16), (4, 40)] {
            let tables: Vec<Vec<i64>> = (0..k)
                .map(|_| (0..1usize << n).map(|_| rng.gen_range(-(1i64 << bits) + 1..1i64 << bits)).collect())
                .collect();
            let refs: Vec<&[i64]> = tables.iter().map(|t| t.as_slice()).collect();
            let coeffs: Vec<Fr> = (0..k).map(|_| Fr::rand(&mut rng)).collect();
            let r: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            let other = rand_mle(&mut rng, n);
            for with_other in [false, true] {
                let (c, a) = (Fr::rand(&mut rng), if with_other { Fr::rand(&mut rng) } else { Fr::zero() });
                let comb =
                    (0..1usize << n).map(|x| a + (0..k).map(|j| coeffs[j] * fr_from_i64(tables[j][x])).sum::<Fr>());
                let dense_comb = DenseMle::new(comb.collect()).unwrap();
                let (dense, terms) = match with_other {
                    false => (vec![dense_comb], vec![(c, vec![0])]),
                    true => (vec![dense_comb, other.clone()], vec![(c, vec![0, 1]), (Fr::one(), vec![1])]),
                };
                let mut lazy = vec![LazyMle::affine_combination_i64(a, &refs, &coeffs).unwrap()];
                if with_other {
                    let o = other.evals().to_vec();
                    lazy.push(LazyMle::new(n, move |x| o[x]));
                }
                let what = format!("n={n} k={k} bits={bits} other={with_other}");
                assert_lazy_proves_as_dense(dense, lazy, terms, &r, &what);
            }
        }
    }
    let (a, b) = (vec![1i64, 2], vec![1i64, 2, 3, 4]);
    let one = Fr::one();
    assert!(LazyMle::affine_combination_i64(one, &[&a, &b], &[one, one]).is_err(), "tables of different lengths");
    assert!(LazyMle::affine_combination_i64(one, &[&a], &[one, one]).is_err(), "a coefficient without a table");
    assert!(LazyMle::affine_combination_i64(one, &[], &[]).is_err(), "no table");
}

#[test]
fn batched_instances_of_different_sizes_and_degrees() {
    let mut rng = StdRng::seed_from_u64(3);
    let sizes = [(6usize, 2usize), (3, 3), (0, 1), (6, 1)];
    let mut data = Vec::new();
    let mut instances = Vec::new();
    let mut claims = Vec::new();
    for &(n, d) in &sizes {
        let (mles, terms) = instance(&mut rng, n, d);
        let ps = ProductSum::new(mles.clone(), terms.clone()).unwrap();
        claims.push(ps.sum());
        instances.push(ps);
        data.push((mles, terms));
    }
    let mut refs: Vec<&mut dyn SumcheckInstance> =
        instances.iter_mut().map(|p| p as &mut dyn SumcheckInstance).collect();
    let mut tp = Transcript::new(labels::TEST);
    let (proof, _) = sumcheck::prove_batched(&mut refs, &claims, &mut tp).unwrap();
    let mut tv = Transcript::new(labels::TEST);
    let desc: Vec<(Fr, usize)> = claims.iter().zip(&sizes).map(|(c, s)| (*c, s.0)).collect();
    let bc = sumcheck::verify_batched(&desc, 3, &proof, &mut tv).unwrap();
    let evals: Vec<Fr> =
        (0..sizes.len()).map(|i| eval_terms(&data[i].0, &data[i].1, bc.instance_point(i).unwrap())).collect();
    bc.check(&evals).unwrap();
    // a wrong final evaluation of one instance is caught
    let mut bad = evals.clone();
    bad[2] += Fr::one();
    assert_eq!(bc.check(&bad), Err(SumcheckError::FinalEvaluationMismatch));
    assert!(bc.check(&evals[..3]).is_err());
    // a wrong claim for one instance is rejected
    let mut bad_desc = desc.clone();
    bad_desc[1].0 += Fr::one();
    let mut tv = Transcript::new(labels::TEST);
    assert!(sumcheck::verify_batched(&bad_desc, 3, &proof, &mut tv).is_err());
}

struct Fixture {
    mles: Vec<DenseMle>,
    terms: Vec<(Fr, Vec<usize>)>,
    claim: Fr,
    proof: SumcheckProof,
    n: usize,
    d: usize,
}

fn fixture(n: usize, d: usize) -> Fixture {
    let mut rng = StdRng::seed_from_u64(4 + n as u64);
    let (mles, terms) = instance(&mut rng, n, d);
    let mut ps = ProductSum::new(mles.clone(), terms.clone()).unwrap();
    let claim = ps.sum();
    let mut tp = Transcript::new(labels::TEST);
    let (proof, _) = sumcheck::prove(&mut ps, claim, &mut tp).unwrap();
    Fixture { mles, terms, claim, proof, n, d }
}

/// Verify and discharge; Ok only if everything holds.
fn full_verify(f: &Fixture, claim: Fr, proof: &SumcheckProof) -> Result<(), SumcheckError> {
    let mut tv = Transcript::new(labels::TEST);
    let (point, value) = sumcheck::verify(claim, f.n, f.d, proof, &mut tv)?;
    if value != eval_terms(&f.mles, &f.terms, &point) {
        return Err(SumcheckError::FinalEvaluationMismatch);
    }
    Ok(())
}

#[test]
fn rejects_wrong_claimed_sum() {
    let f = fixture(8, 3);
    assert!(full_verify(&f, f.claim, &f.proof).is_ok());
    assert!(matches!(
        full_verify(&f, f.claim + Fr::one(), &f.proof),
        Err(SumcheckError::RoundSumMismatch { round: 0 })
    ));
    // A prover that proves a wrong claim honestly-shaped is caught too.
    let mut ps = ProductSum::new(f.mles.clone(), f.terms.clone()).unwrap();
    let mut tp = Transcript::new(labels::TEST);
    let (proof, _) = sumcheck::prove(&mut ps, f.claim + Fr::one(), &mut tp).unwrap();
    assert!(full_verify(&f, f.claim + Fr::one(), &proof).is_err());
}

#[test]
fn rejects_corrupted_round_polynomial_in_each_round() {
    let f = fixture(7, 3);
    for round in 0..f.n {
        for k in 0..=f.d {
            let mut p = f.proof.clone();
            p.rounds[round][k] += Fr::one();
            let res = full_verify(&f, f.claim, &p);
            assert!(res.is_err(), "round {round} eval {k} accepted");
        }
        // adjust g(0) and g(1) so the round sum still matches: later checks catch it
        let mut p = f.proof.clone();
        p.rounds[round][0] += Fr::one();
        p.rounds[round][1] -= Fr::one();
        assert!(full_verify(&f, f.claim, &p).is_err(), "round {round} balanced change accepted");
    }
}

#[test]
fn rejects_swapped_rounds_and_wrong_round_counts() {
    let f = fixture(6, 2);
    for i in 0..f.n - 1 {
        let mut p = f.proof.clone();
        p.rounds.swap(i, i + 1);
        assert!(full_verify(&f, f.claim, &p).is_err());
    }
    let mut p = f.proof.clone();
    p.rounds.pop();
    assert_eq!(full_verify(&f, f.claim, &p), Err(SumcheckError::WrongRoundCount { expected: 6, got: 5 }));
    let mut p = f.proof.clone();
    p.rounds.push(vec![Fr::zero(); 3]);
    assert_eq!(full_verify(&f, f.claim, &p), Err(SumcheckError::WrongRoundCount { expected: 6, got: 7 }));
    let mut p = f.proof.clone();
    p.rounds[2].push(Fr::zero());
    assert!(matches!(full_verify(&f, f.claim, &p), Err(SumcheckError::WrongDegree { round: 2, .. })));
    let mut p = f.proof.clone();
    p.rounds[3].truncate(1);
    assert!(matches!(full_verify(&f, f.claim, &p), Err(SumcheckError::WrongDegree { round: 3, .. })));
    let mut p = f.proof.clone();
    p.rounds[0].clear();
    assert!(matches!(full_verify(&f, f.claim, &p), Err(SumcheckError::WrongDegree { round: 0, .. })));
}

#[test]
fn rejects_wrong_final_evaluation() {
    let f = fixture(5, 4);
    let mut tv = Transcript::new(labels::TEST);
    let (point, value) = sumcheck::verify(f.claim, f.n, f.d, &f.proof, &mut tv).unwrap();
    let honest = eval_terms(&f.mles, &f.terms, &point);
    assert_eq!(value, honest);
    // another table for one MLE: the discharged claim no longer matches
    let mut other = f.mles.clone();
    let mut e = other[0].evals().to_vec();
    e[3] += Fr::one();
    other[0] = DenseMle::new(e).unwrap();
    assert_ne!(value, eval_terms(&other, &f.terms, &point));
}

#[test]
fn serialized_proof_tampering_is_an_error_not_a_panic() {
    let f = fixture(6, 3);
    let mut bytes = Vec::new();
    f.proof.serialize_compressed(&mut bytes).unwrap();
    for pos in 0..bytes.len() {
        let mut b = bytes.clone();
        b[pos] ^= 0x5a;
        match SumcheckProof::deserialize_compressed(&b[..]) {
            Err(_) => {}
            Ok(p) => assert!(full_verify(&f, f.claim, &p).is_err(), "byte {pos}"),
        }
    }
    for cut in 0..bytes.len() {
        assert!(SumcheckProof::deserialize_compressed(&bytes[..cut]).is_err());
    }
}

#[test]
fn interpolation_is_exact() {
    let mut rng = StdRng::seed_from_u64(9);
    // g(X) = 3X^3 + X + 7
    let g = |x: Fr| Fr::from(3u64) * x * x * x + x + Fr::from(7u64);
    let evals: Vec<Fr> = (0..4u64).map(|t| g(Fr::from(t))).collect();
    for _ in 0..10 {
        let r = Fr::rand(&mut rng);
        assert_eq!(sumcheck::interpolate(&evals, r), g(r));
    }
    assert_eq!(sumcheck::interpolate(&evals, Fr::from(2u64)), g(Fr::from(2u64)));
    // every degree, cached weights and beyond: random coefficients, random points and nodes
    for d in 1..=14usize {
        let coeffs: Vec<Fr> = (0..d).map(|_| Fr::rand(&mut rng)).collect();
        let p = |x: Fr| coeffs.iter().rev().fold(Fr::zero(), |acc, c| acc * x + c);
        let evals: Vec<Fr> = (0..d as u64).map(|t| p(Fr::from(t))).collect();
        for x in [Fr::rand(&mut rng), Fr::zero(), Fr::from(d as u64 - 1), Fr::from(d as u64 + 3)] {
            assert_eq!(sumcheck::interpolate(&evals, x), p(x), "{d} nodes");
        }
    }
    assert_eq!(sumcheck::interpolate(&[], Fr::one()), Fr::zero());
}

/// Kernels of one of three kinds: the CPU's, counted; the CPU's without the leading
/// coefficient (the trait's default); or broken (one value too few per round).
struct TestKernels {
    broken: bool,
    leading: bool,
    calls: std::sync::atomic::AtomicUsize,
}

impl TestKernels {
    fn new(broken: bool, leading: bool) -> std::sync::Arc<Self> {
        std::sync::Arc::new(TestKernels { broken, leading, calls: Default::default() })
    }
    fn calls(&self) -> usize {
        self.calls.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Kernels for TestKernels {
    fn name(&self) -> &'static str {
        "test"
    }
    fn round_sums(&self, round: &Round<'_>, pts: &[u64]) -> Vec<Fr> {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut v = CpuKernels.round_sums(round, pts);
        if self.broken {
            v.pop();
        }
        v
    }
    fn round_leading(&self, round: &Round<'_>) -> Option<[Fr; 2]> {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        CpuKernels.round_leading(round).filter(|_| self.leading)
    }
    fn bind(&self, mles: &mut [Vec<Fr>], r: Fr) {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        CpuKernels.bind(mles, r)
    }
}

/// Instances on other kernels prove the CPU's proof (dense and lazy MLEs, with and
/// without an eq weight, quadratic rounds with and without the leading coefficient), and
/// kernels that answer with the wrong number of values are an error, not a panic.
#[test]
fn kernels_prove_the_cpu_proof() {
    let mut rng = StdRng::seed_from_u64(21);
    let prove = |ps: &mut ProductSum<'_>| {
        let claim = ps.sum();
        sumcheck::prove(ps, claim, &mut Transcript::new(labels::TEST)).map(|(p, _)| (p, ps.final_evals()))
    };
    for n in [1usize, 6, 13] {
        for (d, eq) in [(1, false), (2, true), (3, false), (3, true)] {
            let (mles, terms) = instance(&mut rng, n, d);
            let r: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            let build = |lazy: bool| {
                let ps = match lazy {
                    false => ProductSum::new(mles.clone(), terms.clone()).unwrap(),
                    true => {
                        let lazy: Vec<LazyMle<'_>> = mles
                            .iter()
                            .map(|m| {
                                let v = m.evals().to_vec();
                                LazyMle::new(n, move |x| v[x])
                            })
                            .collect();
                        ProductSum::with_lazy(lazy, terms.clone()).unwrap()
                    }
                };
                if eq {
                    ps.with_eq(&r).unwrap()
                } else {
                    ps
                }
            };
            for lazy in [false, true] {
                let want = prove(&mut build(lazy)).unwrap();
                for leading in [true, false] {
                    let k = TestKernels::new(false, leading);
                    let mut ps = build(lazy).with_kernels(k.clone());
                    assert_eq!(ps.kernels().name(), "test");
                    assert_eq!(prove(&mut ps).unwrap(), want, "n {n} d {d} eq {eq} lazy {lazy} leading {leading}");
                    assert!(k.calls() > 0 || (lazy && n == 1), "n {n}: the kernels were not called");
                }
                let mut ps = build(lazy).with_kernels(TestKernels::new(true, true));
                let got = prove(&mut ps);
                if !(lazy && n == 1) {
                    assert!(matches!(got, Err(SumcheckError::BadInstance(_))), "n {n} d {d} eq {eq} lazy {lazy}");
                }
            }
        }
    }
    assert_eq!(ProductSum::new(vec![rand_mle(&mut rng, 2)], vec![]).unwrap().kernels().name(), "cpu");
}

/// A round's shapes are checked before any kernel sees them.
#[test]
fn rounds_check_their_shapes() {
    let mles = vec![vec![Fr::one(); 8], vec![Fr::one(); 8]];
    let terms = vec![Term { coeff: Fr::one(), factors: vec![0, 1] }];
    let w = vec![Fr::one(); 4];
    let round = Round::new(&mles, &terms, Some(&w), 4).unwrap();
    assert_eq!((round.pairs(), round.mles().len(), round.terms().len()), (4, 2, 1));
    assert_eq!(CpuKernels.round_sums(&round, &[0, 1, 2]), vec![Fr::from(4u64); 3]);
    assert!(Round::new(&mles, &terms, Some(&w), 5).is_err(), "tables shorter than the pairs");
    assert!(Round::new(&mles, &terms, Some(&w[..3]), 4).is_err(), "weights shorter than the pairs");
    assert!(Round::new(&mles, &terms, None, usize::MAX).is_err(), "pairs past the address space");
    let missing = vec![Term { coeff: Fr::one(), factors: vec![0, 2] }];
    assert!(Round::new(&mles, &missing, None, 4).is_err(), "a factor naming no MLE");
    let high = vec![Term { coeff: Fr::one(), factors: vec![0; sumcheck::MAX_DEGREE + 1] }];
    assert!(Round::new(&mles, &high, None, 4).is_err(), "a term above the highest degree");
    // binding halves every table
    let mut bound = mles.clone();
    CpuKernels.bind(&mut bound, Fr::from(3u64));
    assert!(bound.iter().all(|m| m.len() == 4 && m.iter().all(|x| x.is_one())));
}
