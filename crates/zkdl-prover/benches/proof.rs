//! criterion: the proof of one batch update (prove and verify) for circuits/mnist-mlp.toml
//! and a reduced paper configuration (8 dense layers of width 256, batch 64).
//! `cargo bench -p zkdl-prover --bench proof` (minutes on 2 cores).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ark_std::rand::{rngs::StdRng, SeedableRng};
use criterion::{criterion_group, criterion_main, Criterion};
use zkdl_circuit::CircuitSpec;
use zkdl_prover::data;
use zkdl_prover::prove::prove_training;
use zkdl_prover::train::{self, Batch};

fn setup(spec: &CircuitSpec) -> (train::Weights, Vec<Batch>) {
    let fp = spec.fixed_point().unwrap();
    let dims = spec.dims();
    let b = spec.train.batch;
    let set = data::synthetic(b * spec.train.steps, dims[0], *dims.last().unwrap(), 1);
    let batches = (0..spec.train.steps)
        .map(|t| {
            let s = set.slice(t * b, (t + 1) * b);
            Batch { x: fp.encode_slice(&s.x).unwrap(), y: fp.encode_slice(&s.y).unwrap() }
        })
        .collect();
    (train::init_weights(spec, 1).unwrap(), batches)
}

fn bench_circuit(c: &mut Criterion, name: &str, spec: CircuitSpec) {
    let (w0, batches) = setup(&spec);
    let mut g = c.benchmark_group(name);
    g.sample_size(10);
    g.bench_function("prove one batch update", |bch| {
        bch.iter(|| prove_training(&spec, &w0, &batches, &mut StdRng::seed_from_u64(1)).unwrap())
    });
    let (st, proof, _) = prove_training(&spec, &w0, &batches, &mut StdRng::seed_from_u64(1)).unwrap();
    g.bench_function("verify", |bch| bch.iter(|| zkdl_verifier::verify(&spec, &st, &proof).unwrap()));
    g.finish();
}

fn proofs(c: &mut Criterion) {
    let mnist = CircuitSpec::from_toml_str(include_str!("../../../circuits/mnist-mlp.toml")).unwrap();
    bench_circuit(c, "mnist-mlp", mnist);
    // as circuits/paper-8x1024.toml, at width 256 (and with the rounded update, too)
    let mut paper256 = CircuitSpec::mlp("paper-8x256", 256, &[256; 7], 256, false, 64, 1);
    paper256.train.lr_shift = 10;
    paper256.train.exact_update = true;
    bench_circuit(c, "paper-8x256", paper256.clone());
    paper256.train.exact_update = false;
    bench_circuit(c, "paper-8x256-rounded", paper256);
}

criterion_group!(benches, proofs);
criterion_main!(benches);
