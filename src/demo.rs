//! `zkdl demo`: train a small MLP for a few SGD steps on built-in synthetic data in
//! fixed point, prove the training (`zkdl_prover::prove::prove_training`), verify the
//! proof (`zkdl_verifier::verify`), and show that the same proof is rejected against
//! other initial weights.

use std::time::Instant;

use ark_std::rand::{rngs::StdRng, SeedableRng};
use zkdl_circuit::CircuitSpec;
use zkdl_prover::data;
use zkdl_prover::prove::prove_training;
use zkdl_prover::train::{self, Batch};

/// Errors of the demo.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("training: {0}")]
    Train(#[from] zkdl_prover::train::TrainError),
    #[error("proving: {0}")]
    Prove(#[from] zkdl_prover::relations::ProveError),
    #[error("commitment: {0}")]
    Pcs(#[from] zkdl_core::PcsError),
    #[error("fixed point: {0}")]
    Fixed(#[from] zkdl_core::FixedPointError),
    #[error("verification failed: {0}")]
    Verify(#[from] zkdl_verifier::VerifyError),
    #[error("a proof against other initial weights was accepted")]
    CheatAccepted,
}

pub fn run(steps: usize, seed: u64) -> Result<(), DemoError> {
    let (batch, input, hidden, out) = (8usize, 16usize, 16usize, 4usize);
    let spec = CircuitSpec::mlp("demo", input, &[hidden], out, false, batch, steps);
    let fp = spec.fixed_point().map_err(zkdl_prover::train::TrainError::from)?;
    let set = data::synthetic(batch * steps, input, out, seed);
    let mut batches = Vec::with_capacity(steps);
    for t in 0..steps {
        let s = set.slice(t * batch, (t + 1) * batch);
        batches.push(Batch { x: fp.encode_slice(&s.x)?, y: fp.encode_slice(&s.y)? });
    }
    let w0 = train::init_weights(&spec, seed)?;

    let t0 = Instant::now();
    let plain = train::train_plain(&spec, &w0, &batches)?;
    let train_s = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let (statement, proof, w_final) = prove_training(&spec, &w0, &batches, &mut StdRng::seed_from_u64(seed))?;
    let prove_s = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    zkdl_verifier::verify(&spec, &statement, &proof)?;
    let verify_s = t0.elapsed().as_secs_f64();

    // The same proof against other initial weights must be rejected.
    let gens = zkdl_circuit::assemble::training_generators(&spec).map_err(zkdl_verifier::VerifyError::from)?;
    let mut other = w0.clone();
    if let Some(w) = other.layers.first_mut().and_then(|l| l.w.first_mut()) {
        *w += 1;
    }
    let mut cheat = statement.clone();
    let n = (input * hidden).trailing_zeros() as usize;
    if let (Some(slot), Some(layer)) = (cheat.w_initial.first_mut(), other.layers.first()) {
        let layout = zkdl_circuit::proof::training_layout(&spec).map_err(zkdl_prover::ProveError::Layout)?;
        *slot = layout.commit_statement(&gens, n, &layer.w)?;
    }
    let rejected = zkdl_verifier::training::verify_with(&gens, &spec, &cheat, &proof);
    // Verification with the generators already derived (what a verifier that checks
    // many proofs of one circuit pays per proof).
    let t0 = Instant::now();
    zkdl_verifier::training::verify_with(&gens, &spec, &statement, &proof)?;
    let verify_warm_s = t0.elapsed().as_secs_f64();
    let sz = proof.sizes();

    println!(
        "zkdl demo: {steps} SGD steps of a {input}-{hidden}-{out} ReLU MLP, batch {batch}, synthetic data, fixed point f={} Q={}",
        spec.fixed.frac_bits, spec.fixed.total_bits
    );
    println!("  final weights identical to plain fixed-point training: {}", plain == w_final);
    println!(
        "  train {train_s:.4} s | prove {prove_s:.2} s | verify {verify_s:.3} s ({verify_warm_s:.3} s with derived generators)"
    );
    println!(
        "  proof {} bytes: commitments {}, sumchecks {}, values {}, openings {}",
        sz.total, sz.commitments, sz.sumchecks, sz.values, sz.openings
    );
    println!("  proof: accepted");
    match rejected {
        Err(e) => println!("  same proof, other W(0): rejected ({e})"),
        Ok(()) => return Err(DemoError::CheatAccepted),
    }
    Ok(())
}
