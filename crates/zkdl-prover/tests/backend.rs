//! The MSM backend is chosen once (on the generators) and reaches the MSMs of proving
//! and verifying: a wrapper backend (counting its calls, delegating to the CPU's) proves
//! byte for byte the proof the default backend proves, and verifies it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ark_serialize::CanonicalSerialize;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use zkdl_circuit::CircuitSpec;
use zkdl_core::error::MsmError;
use zkdl_core::field::Fr;
use zkdl_core::msm::{CpuMsm, FixedBases, MsmBackend};
use zkdl_core::{G1Affine, G1Projective};
use zkdl_prover::prove::{prove_training_with, ProveOptions};
use zkdl_prover::train;
use zkdl_prover::Phases;
use zkdl_verifier::training::{training_generators, verify_with};

/// Counts the calls of each kind, then runs them on [`CpuMsm`].
#[derive(Default)]
struct Counting {
    fr: AtomicUsize,
    small: AtomicUsize,
    rows: AtomicUsize,
}

impl Counting {
    fn calls(&self) -> [usize; 3] {
        [&self.fr, &self.small, &self.rows].map(|c| c.load(Ordering::Relaxed))
    }
}

impl MsmBackend for Counting {
    fn name(&self) -> &'static str {
        "counting"
    }
    fn msm_fr(&self, bases: &[G1Affine], scalars: &[Fr]) -> Result<G1Projective, MsmError> {
        self.fr.fetch_add(1, Ordering::Relaxed);
        CpuMsm.msm_fr(bases, scalars)
    }
    fn msm_i64(&self, bases: &[G1Affine], scalars: &[i64]) -> Result<G1Projective, MsmError> {
        self.small.fetch_add(1, Ordering::Relaxed);
        CpuMsm.msm_i64(bases, scalars)
    }
    fn msm_bits(&self, bases: &[G1Affine], bits: &[bool]) -> Result<G1Projective, MsmError> {
        self.small.fetch_add(1, Ordering::Relaxed);
        CpuMsm.msm_bits(bases, bits)
    }
    fn msm_i64_rows(&self, bases: &[G1Affine], scalars: &[i64]) -> Result<Vec<G1Projective>, MsmError> {
        self.rows.fetch_add(1, Ordering::Relaxed);
        CpuMsm.msm_i64_rows(bases, scalars)
    }
    fn msm_i64_rows_fixed(&self, fixed: &FixedBases<'_>, scalars: &[i64]) -> Result<Vec<G1Projective>, MsmError> {
        self.rows.fetch_add(1, Ordering::Relaxed);
        CpuMsm.msm_i64_rows_fixed(fixed, scalars)
    }
}

fn bytes(p: &impl CanonicalSerialize) -> Vec<u8> {
    let mut v = Vec::new();
    p.serialize_compressed(&mut v).unwrap();
    v
}

#[test]
fn a_wrapper_backend_proves_the_same_bytes_and_verifies() {
    let spec = CircuitSpec::mlp("backend", 8, &[8], 4, true, 4, 2);
    let batches = common::synthetic_batches(&spec, 2, 9);
    let w0 = train::init_weights(&spec, 2).unwrap();
    let prove = |options: ProveOptions<'_>| {
        let rng = &mut StdRng::seed_from_u64(6);
        prove_training_with(&spec, &w0, &batches, options, rng, &mut Phases::default()).unwrap()
    };
    let (st_cpu, p_cpu, _) = prove(ProveOptions::default());
    let counting = Arc::new(Counting::default());
    let options = ProveOptions { backend: Some(counting.clone()), ..ProveOptions::default() };
    let (st, p, _) = prove(options);
    assert_eq!((bytes(&st), bytes(&p)), (bytes(&st_cpu), bytes(&p_cpu)), "the backend changed the proof");
    // the commitments are rows of small integers (openings this small fold no round:
    // their MSMs are the verifier's)
    let [_, _, rows] = counting.calls();
    assert!(rows > 0, "calls: {:?}", counting.calls());

    // the verifier's MSMs (the openings' final check) run on the generators' backend
    let verifying = Arc::new(Counting::default());
    let gens = training_generators(&spec).unwrap().with_backend(verifying.clone());
    assert_eq!(gens.backend().name(), "counting");
    verify_with(&gens, &spec, &st, &p).unwrap();
    assert!(verifying.calls()[0] > 0, "{:?}", verifying.calls());
}
