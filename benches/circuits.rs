//! criterion: the proof of one batch update and its verification, for every circuit in
//! `circuits/` (one step on synthetic data of the circuit's shapes, the first chunk of a
//! run: initial weights range-checked), and the plain fixed-point training step beside
//! it for the ratio.
//!
//! Run: `cargo bench --bench circuits [-- FILTER]` (`FILTER` a circuit name, e.g.
//! `mnist-mlp`; paper-8x1024 takes minutes on 2 cores).

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

fn bench_circuit(c: &mut Criterion, spec: CircuitSpec) {
    let mut spec = spec;
    spec.train.steps = 1;
    let (w0, batches) = setup(&spec);
    let mut g = c.benchmark_group(spec.name.clone());
    g.sample_size(10);
    g.bench_function("plain fixed-point step", |bch| {
        bch.iter(|| {
            let mut w = w0.clone();
            train::train_step(&spec, &mut w, &batches[0], 0, false).unwrap()
        })
    });
    g.bench_function("prove one batch update", |bch| {
        bch.iter(|| prove_training(&spec, &w0, &batches, &mut StdRng::seed_from_u64(1)).unwrap())
    });
    let (st, proof, _) = prove_training(&spec, &w0, &batches, &mut StdRng::seed_from_u64(1)).unwrap();
    g.bench_function("verify", |bch| bch.iter(|| zkdl_verifier::verify(&spec, &st, &proof).unwrap()));
    g.finish();
}

fn circuits(c: &mut Criterion) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("circuits");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    for path in files {
        let spec = CircuitSpec::from_toml_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        bench_circuit(c, spec);
    }
}

criterion_group!(benches, circuits);
criterion_main!(benches);
