//! What several test files share.

#![allow(clippy::unwrap_used, dead_code)]

use zkdl_circuit::CircuitSpec;
use zkdl_prover::data;
use zkdl_prover::train::Batch;

/// `steps` batches of `spec`'s batch size of synthetic data (generated with `seed`),
/// encoded in `spec`'s fixed point.
pub fn synthetic_batches(spec: &CircuitSpec, steps: usize, seed: u64) -> Vec<Batch> {
    let fp = spec.fixed_point().unwrap();
    let (b, din, dout) = (spec.train.batch, spec.model.input_dim, *spec.dims().last().unwrap());
    data::synthetic(b * steps, din, dout, seed).batches(&fp, b, steps).unwrap()
}

/// A cheating prover's (padded) traces `bad`: the witness checker's error on them, and the
/// verifier's on the proof made from them (panics where either accepts).
pub fn rejected(
    spec: &CircuitSpec,
    w0: &zkdl_prover::train::Weights,
    wt: &zkdl_prover::train::Weights,
    batches: &[Batch],
    bad: &[zkdl_prover::train::StepTrace],
) -> (zkdl_circuit::witness::WitnessError, zkdl_verifier::VerifyError) {
    use ark_std::rand::SeedableRng;
    let gens = zkdl_verifier::training::training_generators(spec).unwrap();
    let witness = match zkdl_prover::prove::check_traces(&gens, spec, w0, wt, batches, bad) {
        Err(zkdl_prover::ProveError::Witness(e)) => e,
        other => panic!("the witness checker passed a broken witness: {other:?}"),
    };
    let rng = &mut ark_std::rand::rngs::StdRng::seed_from_u64(4);
    let (st, p) = zkdl_prover::prove::prove_traces(&gens, spec, w0, wt, batches, bad, rng).unwrap();
    let Err(e) = zkdl_verifier::training::verify_with(&gens, spec, &st, &p) else { panic!("the verifier accepted") };
    (witness, e)
}
