//! Training proofs with the table activations: every one of them proves and verifies on a
//! small circuit (the trainer's fixed-point activation is the circuit's), circuit files
//! name them, and a witness whose gradient through the activation is off by one is
//! rejected.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ark_std::rand::{rngs::StdRng, SeedableRng};
use zkdl_circuit::activation::smooth::SmoothKind;
use zkdl_circuit::{Activation, CircuitSpec};
use zkdl_prover::prove::{check_traces, prove_training};
use zkdl_prover::train::{self, Batch, Weights};
use zkdl_verifier::training::{training_generators, verify};
use zkdl_verifier::Phase;

mod common;

fn setup(kind: SmoothKind, steps: usize) -> (CircuitSpec, Weights, Vec<Batch>) {
    let mut spec = CircuitSpec::mlp("act-test", 8, &[8], 4, true, 4, steps);
    spec.model.layers[0].activation = Activation::Smooth(kind);
    spec.validate().unwrap();
    let batches = common::synthetic_batches(&spec, steps, 11);
    (spec.clone(), train::init_weights(&spec, 3).unwrap(), batches)
}

/// Every table activation: a 2-step proof (3 steps for two of them: a padded dummy step
/// whose activation of zero is not zero) verifies, and its final weights are the
/// trainer's.
#[test]
fn every_table_activation_proves_and_verifies() {
    for kind in SmoothKind::ALL {
        let steps = if matches!(kind, SmoothKind::Sigmoid | SmoothKind::Gelu) { 3 } else { 2 };
        let (spec, w0, batches) = setup(kind, steps);
        let (st, proof, wt) = prove_training(&spec, &w0, &batches, &mut StdRng::seed_from_u64(1)).unwrap();
        assert_eq!(wt, train::train_plain(&spec, &w0, &batches).unwrap(), "{kind:?}");
        verify(&spec, &st, &proof).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
    }
}

/// Circuit files name the table activations, and a layer that would be padded is refused.
#[test]
fn circuit_files_name_table_activations() {
    let text = |act: &str, width: usize| {
        format!(
            "name = \"t\"\n[model]\ninput = 8\nlayers = [ {{ width = {width}, activation = \"{act}\" }}, \
             {{ width = 4, activation = \"identity\" }} ]\n[train]\nlr_mantissa = 1\nlr_shift = 8\n\
             batch = 4\nsteps = 1\nloss = \"mse\"\n"
        )
    };
    for kind in SmoothKind::ALL {
        let name = kind.function().name();
        let spec = CircuitSpec::from_toml_str(&text(name, 8)).unwrap();
        assert_eq!(spec.model.layers[0].activation, Activation::Smooth(kind));
        assert_eq!(CircuitSpec::from_toml_str(&spec.to_toml_string()).unwrap(), spec);
    }
    let e = CircuitSpec::from_toml_str(&text("gelu", 6)).unwrap_err().to_string();
    assert!(e.contains("power-of-two"), "{e}");
    let e = CircuitSpec::from_toml_str(&text("swishy", 8)).unwrap_err().to_string();
    assert!(e.contains("unknown activation") && e.contains("gelu_tanh"), "{e}");
}

/// A cheating witness: the gradient at the pre-activation off by one in one entry (its
/// rounded product with `f'(Z')` does not hold). The witness checker names it, and the
/// proof is rejected (layer 0's update reads that gradient: a product fails). The
/// activation's own tensors (cell, saturation, table row, output) are derived by the
/// prover from `Z'`; cheats on them are rejected at the relation level
/// (`tests/tables.rs`).
#[test]
fn a_wrong_gradient_through_the_activation_is_rejected() {
    let (spec, w0, batches) = setup(SmoothKind::Gelu, 2);
    let (_, traces) = train::train_traced(&spec, &w0, &batches).unwrap();
    let wt = train::train_plain(&spec, &w0, &batches).unwrap();
    let mut bad = traces.clone();
    bad[0].layers[0].g[3] += 1;
    let (w, e) = common::rejected(&spec, &w0, &wt, &batches, &bad);
    assert_eq!((w.step, w.index), (Some(0), 3), "{w}");
    assert!(matches!(e.phase(), Some(Phase::Matmul | Phase::Mask)), "{e}");
}

/// At 8 fractional bits the tables cover their range at one unit per cell (`s = 0`: the
/// pre-activation is its own cell, every digit of its range in `U`): proofs verify.
#[test]
fn one_unit_cells_prove_and_verify() {
    for kind in [SmoothKind::Tanh, SmoothKind::Gelu] {
        let mut spec = CircuitSpec::mlp("act-test-f8", 8, &[8], 4, true, 4, 2);
        spec.model.layers[0].activation = Activation::Smooth(kind);
        spec.fixed.frac_bits = 8;
        spec.validate().unwrap();
        let grid = zkdl_circuit::activation::smooth::Grid::new(kind.function(), spec.fixed_point().unwrap());
        assert_eq!(grid.s, 0, "{kind:?}");
        let batches = common::synthetic_batches(&spec, 2, 11);
        let w0 = train::init_weights(&spec, 3).unwrap();
        let (st, proof, _) = prove_training(&spec, &w0, &batches, &mut StdRng::seed_from_u64(1)).unwrap();
        verify(&spec, &st, &proof).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
    }
}

/// The arithmetic activations (sign bits, products, Elliott's division; no table):
/// padded and unpadded shapes with and without bias prove and verify; the trainer's final
/// weights are the proof's; a gradient through it off by one is named by the witness
/// checker and rejected.
#[test]
fn arithmetic_activations_prove_verify_and_reject_a_wrong_gradient() {
    for act in [Activation::LeakyRelu, Activation::Elliott] {
        for (din, hidden, out, batch, steps, bias) in [(8, 8, 4, 4, 2, true), (6, 5, 3, 3, 3, false)] {
            let mut spec = CircuitSpec::mlp("arith-test", din, &[hidden], out, bias, batch, steps);
            spec.model.layers[0].activation = act;
            spec.validate().unwrap();
            let batches = common::synthetic_batches(&spec, steps, 11);
            let w0 = train::init_weights(&spec, 3).unwrap();
            let (st, proof, wt) = prove_training(&spec, &w0, &batches, &mut StdRng::seed_from_u64(1)).unwrap();
            assert_eq!(wt, train::train_plain(&spec, &w0, &batches).unwrap());
            verify(&spec, &st, &proof).unwrap_or_else(|e| panic!("{act:?} {din}-{hidden}-{out}: {e}"));
        }
        let mut spec = CircuitSpec::mlp("arith-test", 8, &[8], 4, true, 4, 2);
        spec.model.layers[0].activation = act;
        let batches = common::synthetic_batches(&spec, 2, 11);
        let w0 = train::init_weights(&spec, 3).unwrap();
        let (_, traces) = train::train_traced(&spec, &w0, &batches).unwrap();
        // a pre-activation below zero: the slope's product (LeakyReLU) is exercised
        let below = traces[0].layers[0].zq.iter().position(|&z| z < 0).unwrap();
        let wt = train::train_plain(&spec, &w0, &batches).unwrap();
        let mut bad = traces.clone();
        bad[0].layers[0].g[below] += 1;
        let (w, e) = common::rejected(&spec, &w0, &wt, &batches, &bad);
        assert_eq!((w.step, w.index), (Some(0), below), "{act:?}: {w}");
        let phases = [Phase::Matmul, Phase::Mask, Phase::Linear, Phase::LinearOnCommitments];
        assert!(e.phase().is_some_and(|p| phases.contains(&p)), "{act:?}: {e}");
        // the circuit file names it
        let text = spec.to_toml_string();
        assert!(text.contains(&format!("\"{}\"", act.name())));
        assert_eq!(CircuitSpec::from_toml_str(&text).unwrap(), spec);
    }
}

/// Elliott's output is one forward value off: the division no longer holds (the witness
/// checker names it) and the proof is rejected.
#[test]
fn a_wrong_elliott_output_is_rejected() {
    let mut spec = CircuitSpec::mlp("elliott-test", 8, &[8], 4, false, 4, 2);
    spec.model.layers[0].activation = Activation::Elliott;
    let batches = common::synthetic_batches(&spec, 2, 11);
    let w0 = train::init_weights(&spec, 3).unwrap();
    let (_, traces) = train::train_traced(&spec, &w0, &batches).unwrap();
    let wt = train::train_plain(&spec, &w0, &batches).unwrap();
    let mut bad = traces.clone();
    bad[1].layers[0].a_out[2] += 1;
    let (w, e) = common::rejected(&spec, &w0, &wt, &batches, &bad);
    assert_eq!((w.step, w.index), (Some(1), 2), "{w}");
    // the next layer's product, which reads the output, is the first phase to meet it
    assert!(matches!(e.phase(), Some(Phase::Matmul | Phase::Mask)), "{e}");
}

/// PReLU with learned slopes: padded and unpadded shapes, with and without bias, prove
/// and verify; the slopes move and the statement commits to the trainer's final ones.
#[test]
fn prelu_learns_its_slopes_under_proof() {
    for (din, hidden, out, batch, steps, bias) in [(8, 8, 4, 4, 2, true), (6, 5, 3, 3, 3, false)] {
        let mut spec = CircuitSpec::mlp("prelu-test", din, &[hidden], out, bias, batch, steps);
        spec.model.layers[0].activation = Activation::Prelu;
        spec.validate().unwrap();
        let batches = common::synthetic_batches(&spec, steps, 11);
        let w0 = train::init_weights(&spec, 3).unwrap();
        assert_eq!(w0.layers[0].slope.as_ref().unwrap()[0], 1 << 14, "initial slope 1/4");
        let (st, proof, wt) = prove_training(&spec, &w0, &batches, &mut StdRng::seed_from_u64(1)).unwrap();
        assert_eq!(wt, train::train_plain(&spec, &w0, &batches).unwrap());
        assert_ne!(wt.layers[0].slope, w0.layers[0].slope, "the slopes learn");
        assert!(st.s_initial[0].is_some() && st.s_initial[1].is_none());
        verify(&spec, &st, &proof).unwrap_or_else(|e| panic!("{din}-{hidden}-{out}: {e}"));
    }
}

/// A slope update off by one, with the slopes after it following (the chain holds):
/// the update's product is rejected.
#[test]
fn a_prelu_slope_update_off_by_one_is_rejected() {
    let mut spec = CircuitSpec::mlp("prelu-test", 8, &[8], 4, false, 4, 2);
    spec.model.layers[0].activation = Activation::Prelu;
    let batches = common::synthetic_batches(&spec, 2, 11);
    let w0 = train::init_weights(&spec, 3).unwrap();
    let (mut wt, traces) = train::train_traced(&spec, &w0, &batches).unwrap();
    let gens = training_generators(&spec).unwrap();
    check_traces(&gens, &spec, &w0, &wt, &batches, &traces).unwrap();
    let mut bad = traces.clone();
    bad[0].layers[0].ds[1] += 1;
    bad[1].layers[0].w_before.slope.as_mut().unwrap()[1] -= 1;
    wt.layers[0].slope.as_mut().unwrap()[1] -= 1;
    let (w, e) = common::rejected(&spec, &w0, &wt, &batches, &bad);
    assert!(w.relation.contains("Ds(0)") && w.step == Some(0), "{w}");
    assert!(matches!(e.phase(), Some(Phase::Matmul)), "{e}");
}

/// PReLU's slopes chain across chunks like the weights: the second chunk starts from
/// the first one's `alpha^(T)` commitment and the two verify as a chain; a second chunk
/// given other slopes than the first statement commits to is refused before proving.
#[test]
fn prelu_slopes_chain_across_chunks() {
    use zkdl_prover::prove::{prove_training_with, ProveOptions};
    use zkdl_prover::Phases;
    use zkdl_verifier::chain::Chunk;
    let mut spec = CircuitSpec::mlp("prelu-chunks", 8, &[8], 4, true, 4, 1);
    spec.model.layers[0].activation = Activation::Prelu;
    let batches = common::synthetic_batches(&spec, 2, 11);
    let w0 = train::init_weights(&spec, 3).unwrap();
    let (st1, p1, w1) = prove_training(&spec, &w0, &batches[..1], &mut StdRng::seed_from_u64(1)).unwrap();
    let cont = |w: &Weights| {
        let opts = ProveOptions::after(&st1);
        prove_training_with(&spec, w, &batches[1..], opts, &mut StdRng::seed_from_u64(2), &mut Phases::default())
    };
    let (st2, p2, w2) = cont(&w1).unwrap();
    assert_eq!(st2.s_initial, st1.s_final);
    assert_eq!(w2, train::train_plain(&spec, &w0, &batches).unwrap());
    let chunks =
        [Chunk { spec: &spec, statement: &st1, proof: &p1 }, Chunk { spec: &spec, statement: &st2, proof: &p2 }];
    assert_eq!(zkdl_verifier::verify_chain(&chunks, &Default::default()), Ok((0, 2)));
    let mut other = w1.clone();
    other.layers[0].slope.as_mut().unwrap()[2] += 1;
    let e = cont(&other).map(|_| ()).unwrap_err().to_string();
    assert!(e.contains("does not commit"), "{e}");
}

/// ABReLU (the row's mean subtracted, proven forward and backward): a padded batch and
/// padded steps, and a bias, prove and verify with the trainer's weights; an output or a
/// gradient through it off by one is named by the witness checker and rejected; a width
/// that is not a power of two is refused.
#[test]
fn abrelu_proves_its_row_means() {
    for (batch, steps, bias) in [(3, 3, false), (4, 2, true)] {
        let mut spec = CircuitSpec::mlp("abrelu-test", 6, &[8], 3, bias, batch, steps);
        spec.model.layers[0].activation = Activation::AbRelu;
        spec.validate().unwrap();
        let batches = common::synthetic_batches(&spec, steps, 11);
        let w0 = train::init_weights(&spec, 3).unwrap();
        let (st, proof, wt) = prove_training(&spec, &w0, &batches, &mut StdRng::seed_from_u64(1)).unwrap();
        assert_eq!(wt, train::train_plain(&spec, &w0, &batches).unwrap());
        verify(&spec, &st, &proof).unwrap_or_else(|e| panic!("batch {batch}: {e}"));
    }
    let mut spec = CircuitSpec::mlp("abrelu-test", 8, &[8], 4, false, 4, 2);
    spec.model.layers[0].activation = Activation::AbRelu;
    let batches = common::synthetic_batches(&spec, 2, 11);
    let w0 = train::init_weights(&spec, 3).unwrap();
    let (_, traces) = train::train_traced(&spec, &w0, &batches).unwrap();
    let wt = train::train_plain(&spec, &w0, &batches).unwrap();
    type Cheat = fn(&mut zkdl_prover::train::StepTrace);
    let cheats: [(Cheat, usize); 2] = [(|t| t.layers[0].a_out[5] += 1, 5), (|t| t.layers[0].g[6] -= 1, 6)];
    for (cheat, index) in cheats {
        let mut bad = traces.clone();
        cheat(&mut bad[1]);
        let (w, e) = common::rejected(&spec, &w0, &wt, &batches, &bad);
        assert_eq!((w.step, w.index), (Some(1), index), "{w}");
        let phases = [Phase::Matmul, Phase::Mask, Phase::Linear, Phase::LinearOnCommitments];
        assert!(e.phase().is_some_and(|p| phases.contains(&p)), "{e}");
    }
    let mut odd = CircuitSpec::mlp("abrelu-test", 8, &[6], 4, false, 4, 2);
    odd.model.layers[0].activation = Activation::AbRelu;
    assert!(odd.validate().unwrap_err().to_string().contains("power-of-two width"));
}

/// Parameters the arithmetic activations cannot hold are refused before training: Elliott
/// beyond 60 bits of `2^f z`, PReLU beyond 32-bit values, slopes on a layer that is not
/// PReLU (or missing, or the wrong length), a table activation whose span passes `Q`.
#[test]
fn unsupported_activation_parameters_are_refused() {
    let base = CircuitSpec::mlp("limits", 8, &[8], 4, false, 4, 1);
    let with = |act: Activation, f: u32, q: u32| {
        let mut s = base.clone();
        s.model.layers[0].activation = act;
        (s.fixed.frac_bits, s.fixed.total_bits) = (f, q);
        (s.train.update_bits, s.train.data_bits) = (q.min(16), q);
        s.validate().map_err(|e| e.to_string())
    };
    assert!(with(Activation::Elliott, 16, 48).unwrap_err().contains("<= 60"));
    with(Activation::Elliott, 16, 40).unwrap();
    assert!(with(Activation::Prelu, 16, 40).unwrap_err().contains("<= 32"));
    assert!(with(Activation::Smooth(SmoothKind::Gelu), 16, 20).unwrap_err().contains("span"));
    let mut spec = base.clone();
    spec.model.layers[0].activation = Activation::Prelu;
    let batches = common::synthetic_batches(&spec, 1, 11);
    let mut w0 = train::init_weights(&spec, 3).unwrap();
    w0.layers[1].slope = Some(vec![1 << 14; 4]);
    let e = prove_training(&spec, &w0, &batches, &mut StdRng::seed_from_u64(1)).map(|_| ()).unwrap_err();
    assert!(e.to_string().contains("PReLU layers"), "{e}");
    w0.layers[1].slope = None;
    w0.layers[0].slope.as_mut().unwrap().pop();
    let e = prove_training(&spec, &w0, &batches, &mut StdRng::seed_from_u64(1)).map(|_| ()).unwrap_err();
    assert!(e.to_string().contains("one per unit"), "{e}");
    w0.layers[0].slope = Some(vec![1 << 40; 8]);
    let e = prove_training(&spec, &w0, &batches, &mut StdRng::seed_from_u64(1)).map(|_| ()).unwrap_err();
    assert!(matches!(e, zkdl_prover::ProveError::Slope { layer: 0, index: 0, .. }), "{e}");
}
