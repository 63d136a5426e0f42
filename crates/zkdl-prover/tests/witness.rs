//! The witness checker (`zkdl_circuit::witness`) on training witnesses: the honest one
//! passes; an entry changed in a product, a mask, a remainder or an update is named by
//! relation, tensor, step and entry.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use zkdl_circuit::witness::WitnessError;
use zkdl_circuit::CircuitSpec;
use zkdl_prover::data;
use zkdl_prover::prove::check_traces;
use zkdl_prover::train::{self, Batch, LayerTrace, StepTrace};
use zkdl_prover::ProveError;
use zkdl_verifier::training::training_generators;

fn run(tamper: &dyn Fn(&mut [StepTrace])) -> Result<(), WitnessError> {
    let spec = CircuitSpec::mlp("witness", 8, &[8], 4, false, 4, 2);
    let fp = spec.fixed_point().unwrap();
    let d = data::synthetic(8, 8, 4, 3);
    let batches: Vec<Batch> = (0..2)
        .map(|t| {
            let s = d.slice(4 * t, 4 * t + 4);
            Batch { x: fp.encode_slice(&s.x).unwrap(), y: fp.encode_slice(&s.y).unwrap() }
        })
        .collect();
    let w0 = train::init_weights(&spec, 1).unwrap();
    let (wt, mut traces) = train::train_traced(&spec, &w0, &batches).unwrap();
    tamper(&mut traces);
    let gens = training_generators(&spec).unwrap();
    match check_traces(&gens, &spec, &w0, &wt, &batches, &traces) {
        Ok(()) => Ok(()),
        Err(ProveError::Witness(e)) => Err(e),
        Err(e) => panic!("{e}"),
    }
}

fn layer(t: &mut [StepTrace], step: usize, l: usize) -> &mut LayerTrace {
    &mut t[step].layers[l]
}

#[test]
fn broken_entries_are_named() {
    run(&|_| {}).unwrap();
    // Z'(0) one larger at step 1 where it is negative (the ReLU mask still holds: sign
    // 0, output 0): the forward product
    let at = std::cell::Cell::new(usize::MAX);
    let e = run(&|t| {
        let zq = &mut layer(t, 1, 0).zq;
        let i = zq.iter().position(|&v| v < -1).unwrap();
        zq[i] += 1;
        at.set(i);
    })
    .unwrap_err();
    assert!(e.relation.starts_with("matmul 0 (Zq(0) from Inputs and WeightsBefore(0))"), "{e}");
    assert_eq!((e.tensor.as_str(), e.step, e.index), ("Zq(0)", Some(1), at.get()), "{e}");
    // the activation after ReLU changed where the sign is 1 or 0: the mask
    let e = run(&|t| layer(t, 0, 0).a_out[2] += 3).unwrap_err();
    assert!(e.relation.starts_with("mask Act(0)"), "{e}");
    assert_eq!((e.step, e.index), (Some(0), 2), "{e}");
    // a remainder out of its range
    let e = run(&|t| layer(t, 0, 1).zr[0] = -1).unwrap_err();
    assert_eq!(
        (e.relation.as_str(), e.tensor.as_str(), e.step, e.index),
        ("lookup of 16 bits", "Rem(1)", Some(0), 0),
        "{e}"
    );
    // the weight update of layer 1 at step 1: its product
    let e = run(&|t| layer(t, 1, 1).dw[4] += 1).unwrap_err();
    assert!(e.relation.contains("Dw(1)"), "{e}");
    assert_eq!((e.step, e.index), (Some(1), 4), "{e}");
}
