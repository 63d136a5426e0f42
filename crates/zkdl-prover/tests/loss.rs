//! Training proofs with softmax cross-entropy (`zkdl_circuit::loss`): honest proofs
//! verify (classes padded or not, with a table activation before), and a witness that
//! breaks one relation of the loss (the row maximum, a row sum, the reciprocal's
//! remainder, a probability) is named by the witness checker and rejected by the
//! verifier.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ark_std::rand::{rngs::StdRng, SeedableRng};
use zkdl_circuit::activation::smooth::SmoothKind;
use zkdl_circuit::{Activation, CircuitSpec, Loss};
use zkdl_prover::prove::{check_traces, prove_training};
use zkdl_prover::train::{self, Batch, StepTrace, Weights};
use zkdl_verifier::training::{training_generators, verify};
use zkdl_verifier::Phase;

mod common;

fn setup(classes: usize, steps: usize, activation: Activation, bias: bool) -> (CircuitSpec, Weights, Vec<Batch>) {
    let mut spec = CircuitSpec::mlp("ce-test", 8, &[8], classes, bias, 4, steps);
    spec.model.layers[0].activation = activation;
    spec.train.loss = Loss::SoftmaxCrossEntropy { classes };
    spec.validate().unwrap();
    let batches = common::synthetic_batches(&spec, steps, 5);
    (spec.clone(), train::init_weights(&spec, 9).unwrap(), batches)
}

/// Three classes (padded to four) and four (unpadded), ReLU or GELU before, with and
/// without biases: the proof verifies and its final weights are the trainer's.
#[test]
fn softmax_cross_entropy_proves_and_verifies() {
    let gelu = Activation::Smooth(SmoothKind::Gelu);
    for (classes, steps, act, bias) in [(3, 2, Activation::Relu, false), (4, 1, gelu, true), (3, 2, gelu, true)] {
        let (spec, w0, batches) = setup(classes, steps, act, bias);
        let (st, proof, wt) = prove_training(&spec, &w0, &batches, &mut StdRng::seed_from_u64(1)).unwrap();
        assert_eq!(wt, train::train_plain(&spec, &w0, &batches).unwrap());
        assert_ne!(wt, w0);
        verify(&spec, &st, &proof).unwrap_or_else(|e| panic!("{classes} classes, {act:?}: {e}"));
    }
}

/// Circuit files name the loss; it needs a power-of-two batch and number of steps.
#[test]
fn circuit_files_name_the_loss() {
    let text = |batch: usize, steps: usize| {
        format!(
            "name = \"t\"\n[model]\ninput = 8\nlayers = [ {{ width = 8, activation = \"relu\" }}, \
             {{ width = 10, activation = \"identity\" }} ]\n[train]\nlr_mantissa = 1\nlr_shift = 8\n\
             batch = {batch}\nsteps = {steps}\nloss = \"softmax_cross_entropy\"\n"
        )
    };
    let spec = CircuitSpec::from_toml_str(&text(4, 2)).unwrap();
    assert_eq!(spec.train.loss, Loss::SoftmaxCrossEntropy { classes: 10 });
    assert_eq!(CircuitSpec::from_toml_str(&spec.to_toml_string()).unwrap(), spec);
    for (b, t) in [(6, 2), (4, 3)] {
        let e = CircuitSpec::from_toml_str(&text(b, t)).unwrap_err().to_string();
        assert!(e.contains("power-of-two"), "{e}");
    }
    let mut mse = spec.clone();
    mse.train.loss = Loss::Mse;
    assert_ne!(mse.digest(), spec.digest());
    // every output a class; 2^(2f) in 64 bits and the exponential's span below Q
    let mut fewer = spec.clone();
    fewer.train.loss = Loss::SoftmaxCrossEntropy { classes: 9 };
    assert!(fewer.validate().unwrap_err().to_string().contains("all 10 outputs"));
    let mut wide = spec.clone();
    (wide.fixed.frac_bits, wide.fixed.total_bits) = (31, 40);
    assert!(wide.validate().unwrap_err().to_string().contains("frac_bits <= 30"));
    let mut narrow = spec.clone();
    (narrow.fixed.total_bits, narrow.train.update_bits, narrow.train.data_bits) = (21, 16, 21);
    assert!(narrow.validate().unwrap_err().to_string().contains("frac_bits + 6"));
}

/// Proves the (padded) traces after `cheat`, expecting the witness checker to name a
/// relation containing `named` and the verifier to reject in one of `phases`.
fn rejected(cheat: impl Fn(&mut StepTrace), named: &str, phases: &[Phase]) {
    let (spec, w0, batches) = setup(3, 2, Activation::Relu, false);
    let pd = zkdl_circuit::proof::proof_dims(&spec).unwrap();
    let padded = zkdl_prover::prove::pad_spec(&spec, &pd);
    let w0 = zkdl_prover::prove::pad_weights(&w0, &pd);
    let batches: Vec<Batch> = batches.iter().map(|b| zkdl_prover::prove::pad_batch(b, &pd)).collect();
    let (wt, traces) = train::train_traced(&padded, &w0, &batches).unwrap();
    let gens = training_generators(&spec).unwrap();
    check_traces(&gens, &spec, &w0, &wt, &batches, &traces).unwrap();
    let mut bad = traces.clone();
    cheat(&mut bad[1]);
    let (w, e) = common::rejected(&spec, &w0, &wt, &batches, &bad);
    assert!(w.to_string().contains(named), "{w}");
    assert!(e.phase().is_some_and(|ph| phases.contains(&ph)), "{e}");
}

fn loss(t: &mut StepTrace) -> &mut zkdl_circuit::loss::SoftmaxTrace {
    t.loss.as_mut().unwrap()
}

/// A shift above the row maximum (every `D` still `>= 0`, none of them zero): the
/// selector's product with `D` is not zero.
#[test]
fn a_shift_above_the_row_maximum_is_rejected() {
    rejected(
        |t| {
            let l = loss(t);
            l.max[1] += 1;
            for j in 4..7 {
                l.max_broadcast[j] += 1;
                l.shift[j] += 1;
            }
        },
        "Loss(Shift)",
        &[Phase::Mask],
    );
}

/// A shift below the row maximum: some `D` is negative (its digits do not add up to
/// it; the exponential of the changed `D` also changes the row sum, which the
/// verifier's matmul phase meets first).
#[test]
fn a_shift_below_the_row_maximum_is_rejected() {
    rejected(
        |t| {
            let l = loss(t);
            l.max[1] -= 1;
            for j in 4..7 {
                l.max_broadcast[j] -= 1;
                l.shift[j] -= 1;
            }
        },
        "Loss(Shift)",
        &[Phase::Matmul, Phase::Linear, Phase::LinearOnCommitments],
    );
}

/// A row sum off by one.
#[test]
fn a_wrong_row_sum_is_rejected() {
    rejected(|t| loss(t).sum[2] += 1, "Loss(Sum)", &[Phase::Matmul]);
}

/// The reciprocal's remainder off by one; and the reciprocal one unit lower with its
/// remainder a whole row sum higher, so that `s v + r = 2^(2f)` holds but `r < s`
/// does not (the slack's digits do not add up to it; the unchanged broadcast of the
/// reciprocal, which the verifier's matmul phase meets first, no longer matches).
#[test]
fn a_wrong_division_remainder_is_rejected() {
    rejected(|t| loss(t).reciprocal_rem[0] += 1, "Loss(Reciprocal", &[Phase::Mask]);
    rejected(
        |t| {
            let l = loss(t);
            l.reciprocal[0] -= 1;
            l.reciprocal_rem[0] += l.sum[0];
        },
        "range of 19 bits: Derived(Virtual",
        &[Phase::Matmul, Phase::Linear, Phase::LinearOnCommitments],
    );
}

/// A probability off by one: its rounded product is wrong.
#[test]
fn a_wrong_probability_is_rejected() {
    rejected(|t| loss(t).prob[5] += 1, "Loss(Prob)", &[Phase::Mask]);
}
