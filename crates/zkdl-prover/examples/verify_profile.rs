//! Proves a small training run once and verifies it repeatedly (for profiling the
//! verifier): `cargo run --release -p zkdl-prover --example verify_profile -- [T] [reps]`.

use std::time::Instant;

use ark_std::rand::{rngs::StdRng, SeedableRng};
use zkdl_circuit::CircuitSpec;
use zkdl_prover::data;
use zkdl_prover::prove::prove_training;
use zkdl_prover::train::{self, Batch};
use zkdl_verifier::training::verify_with;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let steps = args.first().copied().unwrap_or(1);
    let reps = args.get(1).copied().unwrap_or(20);
    let spec = CircuitSpec::mlp("demo", 16, &[16], 4, false, 8, steps);
    let fp = spec.fixed_point()?;
    let set = data::synthetic(8 * steps, 16, 4, 1);
    let batches: Vec<Batch> = (0..steps)
        .map(|t| {
            let s = set.slice(8 * t, 8 * t + 8);
            Ok(Batch { x: fp.encode_slice(&s.x)?, y: fp.encode_slice(&s.y)? })
        })
        .collect::<Result<_, zkdl_core::FixedPointError>>()?;
    let w0 = train::init_weights(&spec, 1)?;
    let (st, proof, _) = prove_training(&spec, &w0, &batches, &mut StdRng::seed_from_u64(1))?;
    let t0 = Instant::now();
    let gens = zkdl_verifier::training::training_generators(&spec)?;
    println!("generators: {:.4} s", t0.elapsed().as_secs_f64());
    let t0 = Instant::now();
    for _ in 0..reps {
        verify_with(&gens, &spec, &st, &proof)?;
    }
    println!("verify (T = {steps}): {:.4} s per proof", t0.elapsed().as_secs_f64() / reps as f64);
    Ok(())
}
