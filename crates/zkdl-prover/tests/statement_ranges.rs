//! Cheating provers on the statement's inputs: data `X_t`, targets `Y_t`, initial
//! weights `W(0)` and biases `b(0)` outside the ranges the circuit declares. The
//! witness is made by training under a wider circuit (or by editing it), proven with
//! `prove_traces` under the narrower one, and every such proof is rejected, with the
//! relation that fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use ark_std::rand::{rngs::StdRng, SeedableRng};
use zkdl_circuit::witness::WitnessError;
use zkdl_circuit::CircuitSpec;
use zkdl_prover::prove::{check_initial_weights, check_traces, prove_traces};
use zkdl_prover::train::{self, Batch, Weights};
use zkdl_prover::ProveError;
use zkdl_verifier::training::{training_generators, verify_with};
use zkdl_verifier::{Phase, VerifyError};

fn batches(spec: &CircuitSpec, steps: usize) -> Vec<Batch> {
    common::synthetic_batches(spec, steps, 11)
}

/// Trains under `train_spec` from `w0` on `batches`, proves the traces under `spec`
/// (the circuit the verifier holds) and verifies.
fn cheat(train_spec: &CircuitSpec, spec: &CircuitSpec, w0: &Weights, batches: &[Batch]) -> Result<(), VerifyError> {
    let (wt, traces) = train::train_traced(train_spec, w0, batches).unwrap();
    let gens = training_generators(spec).unwrap();
    let (st, p) = prove_traces(&gens, spec, w0, &wt, batches, &traces, &mut StdRng::seed_from_u64(3)).unwrap();
    assert!(st.initial_checked && st.step_offset == 0);
    verify_with(&gens, spec, &st, &p)
}

/// The witness checker on the same witness: the relation it names first.
fn witness(train_spec: &CircuitSpec, spec: &CircuitSpec, w0: &Weights, batches: &[Batch]) -> WitnessError {
    let (wt, traces) = train::train_traced(train_spec, w0, batches).unwrap();
    let gens = training_generators(spec).unwrap();
    match check_traces(&gens, spec, w0, &wt, batches, &traces) {
        Err(ProveError::Witness(e)) => e,
        other => panic!("the witness checker passed a broken witness: {other:?}"),
    }
}

/// `(relation, tensor, step, index)` of a witness error.
fn named(e: &WitnessError) -> (&str, &str, Option<usize>, usize) {
    (e.relation.as_str(), e.tensor.as_str(), e.step, e.index)
}

/// The lookup argument's balance of the 16-bit table fails (table `index`).
fn multiset(index: usize) -> Result<(), VerifyError> {
    let tensor = "multiplicities of the 16-bit range table".into();
    Err(VerifyError::Relation { phase: Phase::Lookup, relation: index, tensor, check: "the multiset of a table" })
}

#[test]
fn honest_witness_passes_the_same_harness() {
    let spec = CircuitSpec::mlp("ranges", 8, &[8], 4, true, 4, 2);
    let w0 = train::init_weights(&spec, 1).unwrap();
    check_initial_weights(&spec, &w0).unwrap();
    cheat(&spec, &spec, &w0, &batches(&spec, 2)).unwrap();
    let (wt, traces) = train::train_traced(&spec, &w0, &batches(&spec, 2)).unwrap();
    let gens = training_generators(&spec).unwrap();
    check_traces(&gens, &spec, &w0, &wt, &batches(&spec, 2), &traces).unwrap();
}

#[test]
fn data_wider_than_data_bits_is_rejected() {
    // the verifier's circuit declares 16-bit features (|x| < 0.5); the witness has 16.0
    let wide = CircuitSpec::mlp("ranges", 8, &[8], 4, false, 4, 1);
    let mut spec = wide.clone();
    spec.train.data_bits = 16;
    let mut b = batches(&wide, 1);
    for v in b[0].x.iter_mut() {
        *v = (*v).clamp(-(1 << 15), (1 << 15) - 1);
    }
    let w0 = train::init_weights(&spec, 1).unwrap();
    cheat(&spec, &spec, &w0, &b).expect("features within 16 bits");
    b[0].x[3] = 1 << 20;
    assert!(train::train_traced(&spec, &w0, &b).is_err(), "the trainer refuses what the proof refuses");
    assert_eq!(cheat(&wide, &spec, &w0, &b), multiset(2));
    let e = witness(&wide, &spec, &w0, &b);
    assert_eq!(named(&e), ("lookup of 16 bits", "Inputs", Some(0), 3), "{e}");
    assert!(e.to_string().contains("1048576 + 32768 is outside [0, 2^16)"), "{e}");
}

#[test]
fn targets_wider_than_the_fixed_point_are_rejected() {
    // one layer, trained at Q = 48 with a tiny learning rate so that only the target
    // (and the loss gradient it makes) leaves the Q = 32 ranges
    let mut wide = CircuitSpec::mlp("ranges", 8, &[], 4, false, 4, 1);
    wide.train.lr_shift = 32;
    let spec = wide.clone();
    wide.fixed.total_bits = 48;
    wide.train.data_bits = 48;
    let mut b = batches(&spec, 1);
    b[0].y[1] = 1 << 40;
    let w0 = train::init_weights(&spec, 1).unwrap();
    assert!(train::train_traced(&spec, &w0, &b).is_err(), "the trainer refuses a 41-bit target");
    spec.validate().unwrap();
    let err = cheat(&wide, &spec, &w0, &b).unwrap_err();
    let (phase, tensor, check) = (Phase::LinearOnCommitments, "Targets".into(), "the combined commitment is not zero");
    assert_eq!(err, VerifyError::Relation { phase, relation: 1, tensor, check }, "{err}");
    let e = witness(&wide, &spec, &w0, &b);
    assert_eq!(named(&e), ("range of 32 bits", "Targets", Some(0), 1), "{e}");
}

#[test]
fn initial_weights_wider_than_init_bits_are_rejected() {
    for exact in [false, true] {
        let mut spec = CircuitSpec::mlp("ranges", 8, &[8], 4, false, 4, 1);
        spec.train.exact_update = exact;
        let shift = spec.weight_frac_bits() - spec.fixed.frac_bits;
        let b = batches(&spec, 1);
        let w0 = train::init_weights(&spec, 1).unwrap();
        cheat(&spec, &spec, &w0, &b).unwrap();
        // W(0)[1, 0] = 2^shift 2^15: one past the largest 16-bit value
        let mut bad = w0.clone();
        let at = bad.layers[0].d_out;
        bad.layers[0].w[at] = (1i64 << 15) << shift;
        let refused = check_initial_weights(&spec, &bad).unwrap_err();
        assert!(matches!(refused, ProveError::InitialWeight { layer: 0, index: 8, .. }), "{refused}");
        assert_eq!(cheat(&spec, &spec, &bad, &b), multiset(2), "exact_update = {exact}");
        let e = witness(&spec, &spec, &bad, &b);
        assert_eq!(named(&e), ("lookup of 16 bits", "InitialWeights(0)", None, 8), "{e}");
        // the lowest 16-bit value is accepted
        bad.layers[0].w[at] = -(1i64 << 15) << shift;
        cheat(&spec, &spec, &bad, &b).unwrap();
    }
    // the audit's example: W(0)[0, 0] = 2^40 under Q = 32 (and W(T)[0, 0] = 2^40 too)
    let mut spec = CircuitSpec::mlp("ranges", 8, &[8], 4, false, 4, 1);
    spec.train.lr_shift = 32;
    let mut wide = spec.clone();
    wide.fixed.total_bits = 48;
    wide.train.data_bits = 48;
    wide.train.update_bits = 48;
    let b = batches(&spec, 1);
    let mut w0 = train::init_weights(&spec, 1).unwrap();
    w0.layers[0].w[0] = 1 << 40;
    assert!(cheat(&wide, &spec, &w0, &b).is_err());
}

#[test]
fn initial_biases_wider_than_the_fixed_point_are_rejected() {
    let mut spec = CircuitSpec::mlp("ranges", 8, &[8], 4, true, 4, 1);
    spec.train.lr_shift = 32;
    let mut wide = spec.clone();
    wide.fixed.total_bits = 48;
    wide.train.data_bits = 48;
    let b = batches(&spec, 1);
    let mut w0 = train::init_weights(&spec, 1).unwrap();
    w0.layers[1].b.as_mut().unwrap()[2] = 1 << 33;
    assert!(matches!(check_initial_weights(&spec, &w0), Err(ProveError::InitialWeight { layer: 1, index: 2, .. })));
    let err = cheat(&wide, &spec, &w0, &b).unwrap_err();
    let (phase, tensor, check) =
        (Phase::LinearOnCommitments, "InitialBias(1)".into(), "the combined commitment is not zero");
    assert_eq!(err, VerifyError::Relation { phase, relation: 7, tensor, check }, "{err}");
    let e = witness(&wide, &spec, &w0, &b);
    // checked in tensor order, the bias's output (column 2 of Z'(1)) leaves its range first
    assert_eq!(named(&e), ("range of 32 bits", "Zq(1)", Some(0), 2), "{e}");
}
