//! Prove and verify SGD steps of the MNIST MLP 784-128-128-10 (batch 64) on the real
//! MNIST data when `../shared/data/mnist` exists, else on synthetic data of the same
//! shape. Prints the times, the proof size and the plain training time of a step.
//!
//! `cargo run --release -p zkdl-prover --example prove_mnist [-- STEPS]`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::time::Instant;

use ark_std::rand::{rngs::StdRng, SeedableRng};
use zkdl_circuit::CircuitSpec;
use zkdl_prover::data;
use zkdl_prover::prove::prove_training;
use zkdl_prover::train::{self, Batch};

fn main() {
    let steps: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(1);
    let mut spec = CircuitSpec::mlp("mnist-mlp", 784, &[128, 128], 10, false, 64, steps);
    spec.train.lr_shift = 9;
    let fp = spec.fixed_point().unwrap();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/mnist");
    let set = if dir.join("t10k-images-idx3-ubyte.gz").exists() {
        println!("data: MNIST from {}", dir.display());
        data::load_mnist_dir(&dir).unwrap()
    } else {
        println!("data: synthetic (../shared/data/mnist not found)");
        data::synthetic(64 * steps, 784, 10, 1)
    };
    let batches: Vec<Batch> = (0..steps)
        .map(|t| {
            let s = set.slice(64 * t, 64 * (t + 1));
            Batch { x: fp.encode_slice(&s.x).unwrap(), y: fp.encode_slice(&s.y).unwrap() }
        })
        .collect();
    let w0 = train::init_weights(&spec, 42).unwrap();
    let t0 = Instant::now();
    let plain = train::train_plain(&spec, &w0, &batches).unwrap();
    let train_s = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let (st, proof, wt) = prove_training(&spec, &w0, &batches, &mut StdRng::seed_from_u64(1)).unwrap();
    let prove_s = t0.elapsed().as_secs_f64();
    assert_eq!(plain, wt);
    let t0 = Instant::now();
    zkdl_verifier::verify(&spec, &st, &proof).unwrap();
    let verify_s = t0.elapsed().as_secs_f64();
    println!(
        "mnist-mlp 784-128-128-10, batch 64, {steps} step(s): plain fixed-point training {:.3} s/step, prove {:.1} s/step, verify {:.2} s, proof {} bytes",
        train_s / steps as f64,
        prove_s / steps as f64,
        verify_s,
        proof.sizes().total
    );
}
