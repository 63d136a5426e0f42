//! The backends are chosen once and reach the work of proving and verifying: the MSM
//! backend on the generators, the sumcheck kernels through `ProveOptions`. Wrappers
//! (counting their calls, delegating to the CPU's) prove byte for byte the proof the
//! defaults prove, and it verifies.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ark_serialize::CanonicalSerialize;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use zkdl_circuit::CircuitSpec;
use zkdl_core::error::MsmError;
use zkdl_core::field::Fr;
use zkdl_core::msm::{CpuMsm, FixedSet, MsmBackend};
use zkdl_core::sumcheck::{CpuKernels, Kernels, Round};
use zkdl_core::{G1Affine, G1Projective};
use zkdl_prover::prove::{prove_training_with, ProveOptions};
use zkdl_prover::train;
use zkdl_prover::Phases;
use zkdl_verifier::training::{training_generators, verify_with};

/// Calls of one kind, shared by a backend and the sets it prepares.
type Count = Arc<AtomicUsize>;

fn bump(c: &Count) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// Counts the calls of each kind, then runs them on [`CpuMsm`]; the sets it prepares
/// wrap the CPU's and count their row MSMs.
#[derive(Default)]
struct Counting {
    fr: Count,
    small: Count,
    rows: Count,
    fixed_rows: Count,
}

impl Counting {
    fn calls(&self) -> [usize; 4] {
        [&self.fr, &self.small, &self.rows, &self.fixed_rows].map(|c| c.load(Ordering::Relaxed))
    }
}

impl MsmBackend for Counting {
    fn name(&self) -> &'static str {
        "counting"
    }
    fn msm_fr(&self, bases: &[G1Affine], scalars: &[Fr]) -> Result<G1Projective, MsmError> {
        bump(&self.fr);
        CpuMsm.msm_fr(bases, scalars)
    }
    fn msm_i64(&self, bases: &[G1Affine], scalars: &[i64]) -> Result<G1Projective, MsmError> {
        bump(&self.small);
        CpuMsm.msm_i64(bases, scalars)
    }
    fn msm_bits(&self, bases: &[G1Affine], bits: &[bool]) -> Result<G1Projective, MsmError> {
        bump(&self.small);
        CpuMsm.msm_bits(bases, bits)
    }
    fn msm_i64_rows(&self, bases: &[G1Affine], scalars: &[i64]) -> Result<Vec<G1Projective>, MsmError> {
        bump(&self.rows);
        CpuMsm.msm_i64_rows(bases, scalars)
    }
    fn fix(&self, bases: Vec<G1Affine>) -> Arc<dyn FixedSet> {
        Arc::new(CountingSet { inner: CpuMsm.fix(bases), rows: self.fixed_rows.clone() })
    }
}

/// The CPU's prepared set, its row MSMs counted.
struct CountingSet {
    inner: Arc<dyn FixedSet>,
    rows: Count,
}

impl FixedSet for CountingSet {
    fn bases(&self) -> &[G1Affine] {
        self.inner.bases()
    }
    fn msm_i64_rows(&self, range: Range<usize>, scalars: &[i64]) -> Result<Vec<G1Projective>, MsmError> {
        bump(&self.rows);
        self.inner.msm_i64_rows(range, scalars)
    }
    fn prefix_sum(&self, log_len: usize) -> Option<G1Projective> {
        self.inner.prefix_sum(log_len)
    }
    fn prepare(&self, range: Range<usize>) {
        self.inner.prepare(range)
    }
}

/// Counts the kernel calls of each kind, then runs them on [`CpuKernels`].
#[derive(Default)]
struct CountingKernels {
    sums: AtomicUsize,
    leading: AtomicUsize,
    binds: AtomicUsize,
}

impl CountingKernels {
    fn calls(&self) -> [usize; 3] {
        [&self.sums, &self.leading, &self.binds].map(|c| c.load(Ordering::Relaxed))
    }
}

impl Kernels for CountingKernels {
    fn name(&self) -> &'static str {
        "counting"
    }
    fn round_sums(&self, round: &Round<'_>, pts: &[u64]) -> Vec<Fr> {
        self.sums.fetch_add(1, Ordering::Relaxed);
        CpuKernels.round_sums(round, pts)
    }
    fn round_leading(&self, round: &Round<'_>) -> Option<[Fr; 2]> {
        self.leading.fetch_add(1, Ordering::Relaxed);
        CpuKernels.round_leading(round)
    }
    fn bind(&self, mles: &mut [Vec<Fr>], r: Fr) {
        self.binds.fetch_add(1, Ordering::Relaxed);
        CpuKernels.bind(mles, r)
    }
}

/// Kernels that leave the leading coefficient to the caller (the trait's default): the
/// instances evaluate those rounds at points instead, to the same values.
struct NoLeading;

impl Kernels for NoLeading {
    fn name(&self) -> &'static str {
        "no-leading"
    }
    fn round_sums(&self, round: &Round<'_>, pts: &[u64]) -> Vec<Fr> {
        CpuKernels.round_sums(round, pts)
    }
    fn bind(&self, mles: &mut [Vec<Fr>], r: Fr) {
        CpuKernels.bind(mles, r)
    }
}

fn bytes(p: &impl CanonicalSerialize) -> Vec<u8> {
    let mut v = Vec::new();
    p.serialize_compressed(&mut v).unwrap();
    v
}

#[test]
fn wrapper_backends_prove_the_same_bytes_and_verify() {
    let spec = CircuitSpec::mlp("backend", 8, &[8], 4, true, 4, 2);
    let batches = common::synthetic_batches(&spec, 2, 9);
    let w0 = train::init_weights(&spec, 2).unwrap();
    let prove = |options: ProveOptions<'_>| {
        let rng = &mut StdRng::seed_from_u64(6);
        let (st, p, _) = prove_training_with(&spec, &w0, &batches, options, rng, &mut Phases::default()).unwrap();
        (st, p)
    };
    let (st_cpu, p_cpu) = prove(ProveOptions::default());
    let cpu = (bytes(&st_cpu), bytes(&p_cpu));

    // the MSM backend
    let counting = Arc::new(Counting::default());
    let (st, p) = prove(ProveOptions { backend: Some(counting.clone()), ..ProveOptions::default() });
    assert!((bytes(&st), bytes(&p)) == cpu, "the MSM backend changed the proof");
    // the commitments are rows of small integers over the prepared column generators
    // (openings this small fold no round: their MSMs are the verifier's)
    let [_, _, _, fixed_rows] = counting.calls();
    assert!(fixed_rows > 0, "calls: {:?}", counting.calls());

    // the sumcheck kernels: round sums, leading coefficients and binds all reach them
    let kernels = Arc::new(CountingKernels::default());
    let (st, p) = prove(ProveOptions { kernels: Some(kernels.clone()), ..ProveOptions::default() });
    assert!((bytes(&st), bytes(&p)) == cpu, "the sumcheck kernels changed the proof");
    assert!(kernels.calls().iter().all(|&c| c > 0), "calls: {:?}", kernels.calls());

    // both at once, and kernels without the leading coefficient
    let both = ProveOptions {
        backend: Some(Arc::new(Counting::default())),
        kernels: Some(Arc::new(NoLeading)),
        ..ProveOptions::default()
    };
    let (st, p) = prove(both);
    assert!((bytes(&st), bytes(&p)) == cpu, "the backends changed the proof");

    // the verifier's MSMs (the openings' final check) run on the generators' backend
    let verifying = Arc::new(Counting::default());
    let gens = training_generators(&spec).unwrap().with_backend(verifying.clone());
    assert_eq!(gens.backend().name(), "counting");
    verify_with(&gens, &spec, &st_cpu, &p_cpu).unwrap();
    assert!(verifying.calls()[0] > 0, "{:?}", verifying.calls());
}
