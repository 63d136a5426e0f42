//! Fixed-point training: bit-identical plain vs traced paths, witness consistency,
//! and MNIST accuracy against the same model in f64 (skips without ../shared/data).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use zkdl_circuit::CircuitSpec;
use zkdl_core::field::FixedPoint;
use zkdl_prover::data::{self, Dataset};
use zkdl_prover::train::{self, argmax_rows, Batch, FloatModel};

fn batches(fp: &FixedPoint, d: &Dataset, batch: usize, steps: usize) -> Vec<Batch> {
    (0..steps)
        .map(|t| {
            let start = (t * batch) % (d.len() - batch + 1);
            let s = d.slice(start, start + batch);
            Batch { x: fp.encode_slice(&s.x).unwrap(), y: fp.encode_slice(&s.y).unwrap() }
        })
        .collect()
}

#[test]
fn plain_and_traced_training_agree_bit_for_bit() {
    for bias in [false, true] {
        let spec = CircuitSpec::mlp("t", 12, &[8, 6], 3, bias, 4, 5);
        let fp = spec.fixed_point().unwrap();
        let d = data::synthetic(64, 12, 3, 7);
        let bs = batches(&fp, &d, 4, 5);
        let w0 = train::init_weights(&spec, 1).unwrap();
        let plain = train::train_plain(&spec, &w0, &bs).unwrap();
        let (traced, traces) = train::train_traced(&spec, &w0, &bs).unwrap();
        assert_eq!(plain, traced);
        assert_ne!(plain, w0);
        assert_eq!(traces.len(), 5);
        // Witness relations hold (the integer semantics of the spec).
        let f = fp.frac_bits();
        for (t, tr) in traces.iter().enumerate() {
            for (l, lt) in tr.layers.iter().enumerate() {
                for ((z, q), r) in lt.z.iter().zip(&lt.zq).zip(&lt.zr) {
                    assert_eq!(z + (1i128 << (f - 1)), ((*q as i128) << f) + *r as i128, "step {t} layer {l}");
                    assert!((0..1i64 << f).contains(r));
                }
                let e = spec.train.lr_shift;
                for ((gw, dw), r) in lt.gw.iter().zip(&lt.dw).zip(&lt.dwr) {
                    assert_eq!(
                        gw * spec.train.lr_mantissa as i128 + (1i128 << (f + e - 1)),
                        ((*dw as i128) << (f + e)) + *r as i128
                    );
                }
                // ReLU on hidden layers, the identity on the last
                let hidden = l + 1 < tr.layers.len();
                for (a, q) in lt.a_out.iter().zip(&lt.zq) {
                    assert_eq!(*a, if hidden && *q < 0 { 0 } else { *q });
                }
            }
        }
    }
}

/// Exact SGD: the weights carry `2f + e` fractional bits and `W' = W - m A^T G`
/// holds exactly (no remainder); the result tracks f64 SGD from the same weights
/// more closely than the rounded update does.
#[test]
fn exact_updates_are_exact_and_track_f64_sgd() {
    let mut spec = CircuitSpec::mlp("t", 12, &[8, 6], 3, true, 4, 8);
    spec.train.lr_shift = 10;
    let fp = spec.fixed_point().unwrap();
    let d = data::synthetic(64, 12, 3, 7);
    let bs = batches(&fp, &d, 4, 8);
    let mut exact = spec.clone();
    exact.train.exact_update = true;
    let fw = exact.weight_frac_bits();
    assert_eq!(fw, 2 * 16 + 10);
    let w0 = train::init_weights(&exact, 1).unwrap();
    let (we, traces) = train::train_traced(&exact, &w0, &bs).unwrap();
    assert_eq!(we, train::train_plain(&exact, &w0, &bs).unwrap());
    for tr in &traces {
        for lt in &tr.layers {
            assert!(lt.dwr.is_empty());
            for (gw, dw) in lt.gw.iter().zip(&lt.dw) {
                assert_eq!(*dw as i128, gw * spec.train.lr_mantissa as i128);
            }
            for (z, q) in lt.z.iter().zip(&lt.zq) {
                let (qq, _) = zkdl_core::field::rescale_round(*z, fw);
                assert_eq!(qq, *q as i128, "forward rescale by 2^(2f+e)");
            }
        }
    }
    // both modes start from the same real weights (rounded to 2^-f)
    let (w0_r, w0_e) = (train::init_weights(&spec, 1).unwrap(), w0.clone());
    let we = train::train_plain(&exact, &w0_e, &bs).unwrap();
    let wr = train::train_plain(&spec, &w0_r, &bs).unwrap();
    let mut float = FloatModel::from_fixed(&spec, &w0_r).unwrap();
    let fe = FloatModel::from_fixed(&exact, &w0_e).unwrap();
    assert_eq!(float.w, fe.w, "the same real starting weights");
    float.train(&fp, &bs, 4);
    let err = |w: &train::Weights, s: &CircuitSpec| {
        let m = FloatModel::from_fixed(s, w).unwrap();
        m.w.iter().flatten().zip(float.w.iter().flatten()).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max)
    };
    let (e_exact, e_round) = (err(&we, &exact), err(&wr, &spec));
    assert!(e_exact < e_round, "exact {e_exact:e} vs rounded {e_round:e}");
}

#[test]
fn bad_shapes_are_errors() {
    let spec = CircuitSpec::mlp("t", 4, &[4], 2, true, 2, 1);
    let w0 = train::init_weights(&spec, 1).unwrap();
    let bad = Batch { x: vec![0; 7], y: vec![0; 4] };
    assert!(train::train_plain(&spec, &w0, &[bad]).is_err());
}

#[test]
fn updates_wider_than_update_bits_are_refused() {
    let mut spec = CircuitSpec::mlp("t", 12, &[8], 3, true, 4, 2);
    spec.train.lr_shift = 1;
    spec.train.update_bits = 3;
    let fp = spec.fixed_point().unwrap();
    let bs = batches(&fp, &data::synthetic(16, 12, 3, 7), 4, 2);
    let w0 = train::init_weights(&spec, 1).unwrap();
    let err = train::train_plain(&spec, &w0, &bs).unwrap_err().to_string();
    assert!(err.contains("update_bits") && err.contains("3 signed bits"), "{err}");
    spec.train.update_bits = 32;
    assert!(train::train_plain(&spec, &w0, &bs).is_ok());
}

fn mnist_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/mnist");
    dir.join("t10k-images-idx3-ubyte.gz").exists().then_some(dir)
}

#[test]
fn mnist_fixed_point_accuracy_matches_f64() {
    let Some(dir) = mnist_dir() else {
        eprintln!("SKIP: ../shared/data/mnist not found; MNIST accuracy test skipped");
        return;
    };
    let all = data::load_mnist_dir(&dir).unwrap();
    assert_eq!(all.len(), 10_000);
    assert_eq!(&all.labels.as_ref().unwrap()[..10], &[7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    let train_set = all.slice(0, 8000);
    let test_set = all.slice(8000, 10_000);
    let epochs = 2;
    let batch = 64;
    let steps = epochs * (8000 / batch);
    let mut spec = CircuitSpec::mlp("mnist-mlp", 784, &[128, 128], 10, true, batch, steps);
    spec.train.lr_mantissa = 1;
    spec.train.lr_shift = 9; // eta = 2^-9 on the summed loss (about 0.125 per mean-loss step)
    let fp = spec.fixed_point().unwrap();
    let bs = train_set.batches(&fp, batch, steps).unwrap();
    let w0 = train::init_weights(&spec, 42).unwrap();
    let mut float = FloatModel::from_fixed(&spec, &w0).unwrap();
    float.train(&fp, &bs, batch);
    let labels = test_set.labels.as_ref().unwrap();
    let n = test_set.len();
    let xq = fp.encode_slice(&test_set.x).unwrap();
    let xf: Vec<f64> = xq.iter().map(|&v| fp.decode(v)).collect();
    let out_float = float.predict(&xf, n);
    let acc = |pred: Vec<usize>| {
        pred.iter().zip(labels).filter(|(p, l)| **p == **l as usize).count() as f64 / n as f64 * 100.0
    };
    let acc_float = acc(argmax_rows(&out_float, 10));
    assert!(acc_float > 85.0, "f64 model did not learn: {acc_float}");
    // the rounded update and exact SGD, from the same real initial weights
    for exact in [false, true] {
        let mut spec = spec.clone();
        spec.train.exact_update = exact;
        let w0 = train::init_weights(&spec, 42).unwrap();
        let wt = train::train_plain(&spec, &w0, &bs).unwrap();
        let out_fixed = train::predict(&spec, &wt, &xq, n).unwrap();
        let acc_fixed = acc(argmax_rows(&out_fixed, 10));
        let fm = FloatModel::from_fixed(&spec, &wt).unwrap();
        let dist = fm.w.iter().flatten().zip(float.w.iter().flatten()).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        println!(
            "MNIST 784-128-128-10, batch {batch}, {steps} steps, exact_update = {exact}: fixed-point test accuracy \
             {acc_fixed:.2}%, f64 {acc_float:.2}%; largest weight difference to f64 {dist:.2e}"
        );
        assert!((acc_fixed - acc_float).abs() <= 2.0, "fixed {acc_fixed} vs f64 {acc_float} (exact: {exact})");
    }
}

/// The f64-GEMM products equal the `i128` loops exactly: random entries of every width up
/// to 31 bits (the extremes `+-(2^31 - 1)` included, where the f64 sums are largest),
/// zeros, odd shapes, and entries of 2^31 and beyond (which take the `i128` loops).
#[test]
fn exact_gemm_matches_the_i128_loops() {
    use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
    use train::{matmul, matmul_at, matmul_at_i128, matmul_bt, matmul_bt_i128, matmul_i128};
    let mut rng = StdRng::seed_from_u64(9);
    let lim = (1i64 << 31) - 1;
    for (n, k, m, bits) in [(3, 5, 4, 8), (7, 64, 9, 16), (16, 300, 5, 31), (1, 1, 1, 31), (5, 33, 2, 40)] {
        let mut draw = |len: usize| -> Vec<i64> {
            (0..len)
                .map(|i| match i % 7 {
                    0 => 0,
                    1 if bits == 31 => lim,
                    2 if bits == 31 => -lim,
                    _ => rng.gen_range(-(1i64 << (bits - 1))..(1i64 << (bits - 1))),
                })
                .collect()
        };
        let (a, b) = (draw(n * k), draw(k * m));
        assert_eq!(matmul(&a, &b, n, k, m), matmul_i128(&a, &b, n, k, m), "{n}x{k}x{m}, {bits} bits");
        let bt = draw(m * k);
        assert_eq!(matmul_bt(&a, &bt, n, k, m), matmul_bt_i128(&a, &bt, n, k, m), "bt {n}x{k}x{m}");
        let (at, b2) = (draw(k * n), draw(k * m));
        assert_eq!(matmul_at(&at, &b2, k, n, m), matmul_at_i128(&at, &b2, k, n, m), "at {n}x{k}x{m}");
    }
    // a small factor against a wide one (weights of 58 bits with exact SGD), both orders,
    // limbs of 16 to 32 bits, the wide one up to the extremes of i64
    for (n, k, m, wide_a, sb, top) in [
        (4, 64, 8, false, 20, 1i64 << 57),
        (8, 64, 4, true, 20, 1 << 57),
        (3, 1024, 5, false, 20, 1 << 57),
        (3, 1024, 5, false, 10, i64::MAX),
        (4, 1024, 3, true, 26, i64::MAX),
    ] {
        let small = |len: usize, rng: &mut StdRng| -> Vec<i64> {
            (0..len).map(|i| if i == 0 { 1 << sb } else { rng.gen_range(-(1 << sb)..1 << sb) }).collect()
        };
        let wide = |len: usize, rng: &mut StdRng| -> Vec<i64> {
            (0..len)
                .map(|i| match i % 5 {
                    0 => top,
                    1 => -top - (top == i64::MAX) as i64,
                    _ => rng.gen_range(-(1i64 << 57)..1 << 57),
                })
                .collect()
        };
        let (a, b) = if wide_a {
            (wide(n * k, &mut rng), small(k * m, &mut rng))
        } else {
            (small(n * k, &mut rng), wide(k * m, &mut rng))
        };
        assert_eq!(matmul(&a, &b, n, k, m), matmul_i128(&a, &b, n, k, m), "wide {n}x{k}x{m}");
        let bt: Vec<i64> = (0..m * k).map(|i| b[(i % k) * m + i / k]).collect();
        assert_eq!(matmul_bt(&a, &bt, n, k, m), matmul_bt_i128(&a, &bt, n, k, m), "wide bt {n}x{k}x{m}");
        let at: Vec<i64> = (0..k * n).map(|i| a[(i % n) * k + i / n]).collect();
        assert_eq!(matmul_at(&at, &b, k, n, m), matmul_at_i128(&at, &b, k, n, m), "wide at {n}x{k}x{m}");
    }
    // all entries at the extreme: every partial sum at its largest
    let (n, k, m) = (2, 1024, 3);
    let a = vec![-lim; n * k];
    let b = vec![lim; k * m];
    assert_eq!(matmul(&a, &b, n, k, m), matmul_i128(&a, &b, n, k, m));
    assert_eq!(matmul(&a, &b, n, k, m)[0], -(lim as i128) * lim as i128 * k as i128);
}
