//! MNIST test accuracy of every hidden activation, fixed point against the same model in
//! `f64`: the 784-128-128-10 MLP of circuits/mnist-mlp.toml (exact SGD, batch 64, learning
//! rate 2^-9 on the summed loss), two epochs over the first 8,000 test-set images,
//! evaluated on the last 2,000, from the same initial weights. The loss is MSE on one-hot
//! targets, or with `--ce` softmax cross-entropy (circuits/mnist-mlp-ce.toml; 256 steps,
//! its number of steps a power of two).
//!
//!     cargo run --release -p zkdl-prover --example activation_accuracy [-- [--ce] ACTIVATION...]
//!
//! Reads ../shared/data/mnist (the repository's sibling folder); says so and exits where it
//! is absent. Prints one Markdown row per activation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Instant;

use zkdl_circuit::activation::smooth::SmoothKind;
use zkdl_circuit::{Activation, CircuitSpec, Loss};
use zkdl_prover::data;
use zkdl_prover::train::{self, argmax_rows, FloatModel};

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/mnist");
    if !dir.join("t10k-images-idx3-ubyte.gz").exists() {
        eprintln!("../shared/data/mnist not found: nothing to measure");
        return;
    }
    let all = data::load_mnist_dir(&dir).unwrap();
    let (train_set, test_set) = (all.slice(0, 8000), all.slice(8000, 10_000));
    let mut wanted: Vec<String> = std::env::args().skip(1).collect();
    let ce = wanted.iter().any(|a| a == "--ce");
    wanted.retain(|a| a != "--ce");
    let (batch, steps) = (64, if ce { 256 } else { 2 * (8000 / 64) });
    let mut acts =
        vec![Activation::Relu, Activation::LeakyRelu, Activation::Prelu, Activation::AbRelu, Activation::Elliott];
    acts.extend(SmoothKind::ALL.iter().map(|&k| Activation::Smooth(k)));
    acts.retain(|a| wanted.is_empty() || wanted.iter().any(|w| w == a.name()));
    println!("| activation | loss | fixed point | f64 | seconds |");
    println!("| --- | --- | --- | --- | --- |");
    for act in acts {
        let start = Instant::now();
        let mut spec = CircuitSpec::mlp("mnist-mlp", 784, &[128, 128], 10, false, batch, steps);
        spec.train.lr_mantissa = 1;
        spec.train.lr_shift = 9;
        spec.train.exact_update = true;
        if ce {
            spec.train.loss = Loss::SoftmaxCrossEntropy { classes: 10 };
        }
        for l in spec.model.layers.iter_mut().take(2) {
            l.activation = act;
        }
        spec.validate().unwrap();
        let fp = spec.fixed_point().unwrap();
        let bs = train_set.batches(&fp, batch, steps).unwrap();
        let w0 = train::init_weights(&spec, 42).unwrap();
        let mut float = FloatModel::from_fixed(&spec, &w0).unwrap();
        float.train(&fp, &bs, batch);
        let wt = train::train_plain(&spec, &w0, &bs).unwrap();
        let labels = test_set.labels.as_ref().unwrap();
        let n = test_set.len();
        let xq = fp.encode_slice(&test_set.x).unwrap();
        let xf: Vec<f64> = xq.iter().map(|&v| fp.decode(v)).collect();
        let acc = |pred: Vec<usize>| {
            pred.iter().zip(labels).filter(|(p, l)| **p == **l as usize).count() as f64 / n as f64 * 100.0
        };
        let fixed = acc(argmax_rows(&train::predict(&spec, &wt, &xq, n).unwrap(), 10));
        let float = acc(argmax_rows(&float.predict(&xf, n), 10));
        let (name, loss, secs) = (act.name(), spec.train.loss.name(), start.elapsed().as_secs_f64());
        println!("| {name} | {loss} | {fixed:.2}% | {float:.2}% | {secs:.0} |");
    }
}
