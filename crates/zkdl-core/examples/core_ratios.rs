//! Prints the performance ratios of issue "Cryptographic core", measured side by
//! side in one process on the same inputs (runs of the two contenders alternate,
//! so drifting machine load hits both alike; medians are reported):
//!
//! - MSM over 2^k points: ours (`CpuMsm`) vs `ark_ec::VariableBaseMSM::msm`, for
//!   signed 16-bit, 0/1, signed 32-bit and full 255-bit scalars;
//! - sumcheck prover, degree 2 over 2^20 terms, vs the time of the field
//!   multiplications it must do (counted, times one measured `Fr` multiplication).
//!
//! Usage: `cargo run --release -p zkdl-core --example core_ratios [-- LOG2_MSM [LOG2_SUMCHECK [REPS]]]`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use ark_ec::{CurveGroup, PrimeGroup, VariableBaseMSM};
use ark_ff::UniformRand;
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use zkdl_core::field::fr_from_i64;
use zkdl_core::mle::DenseMle;
use zkdl_core::msm::{CpuMsm, MsmBackend};
use zkdl_core::sumcheck::{self, ProductSum};
use zkdl_core::transcript::{labels, Transcript};
use zkdl_core::{Fr, G1Affine, G1Projective};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn once<F: FnMut()>(f: &mut F) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

/// Alternating runs of `a` and `b`; medians of each.
fn duel<A: FnMut(), B: FnMut()>(reps: usize, mut a: A, mut b: B) -> (Duration, Duration) {
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        ta.push(once(&mut a));
        tb.push(once(&mut b));
    }
    (median(ta), median(tb))
}

fn row(name: &str, ours: Duration, ark: Duration) {
    println!(
        "{:<26} {:>10.2}ms {:>10.2}ms {:>7.2}x",
        name,
        ours.as_secs_f64() * 1e3,
        ark.as_secs_f64() * 1e3,
        ark.as_secs_f64() / ours.as_secs_f64()
    );
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let log_msm = args.first().copied().unwrap_or(18);
    let log_sc = args.get(1).copied().unwrap_or(20);
    let reps = args.get(2).copied().unwrap_or(9);
    let mut rng = StdRng::seed_from_u64(42);
    println!("threads: {}", rayon::current_num_threads());

    // ---- MSM
    let n = 1usize << log_msm;
    let g = G1Projective::generator();
    let step = g * Fr::rand(&mut rng);
    let mut acc = g * Fr::rand(&mut rng);
    let base_proj: Vec<G1Projective> = (0..n)
        .map(|_| {
            acc += step;
            acc
        })
        .collect();
    let bases: Vec<G1Affine> = G1Projective::normalize_batch(&base_proj);
    println!("\nMSM over 2^{log_msm} points, {reps} alternating runs each, medians; ratio = arkworks / ours");
    println!("{:<26} {:>12} {:>12} {:>8}", "scalars", "ours", "arkworks", "ratio");

    let s16: Vec<i64> = (0..n).map(|_| rng.gen_range(-(1i64 << 15)..(1i64 << 15))).collect();
    let s32: Vec<i64> = (0..n).map(|_| rng.gen_range(-(1i64 << 31)..(1i64 << 31))).collect();
    let bits: Vec<bool> = (0..n).map(|_| rng.gen()).collect();
    for (name, s) in [("signed 16-bit (i64 in)", &s16), ("signed 32-bit (i64 in)", &s32)] {
        let fr: Vec<Fr> = s.iter().map(|&x| fr_from_i64(x)).collect();
        assert_eq!(CpuMsm.msm_i64(&bases, s).unwrap(), G1Projective::msm(&bases, &fr).unwrap());
        let (o, a) = duel(
            reps,
            || {
                let _ = std::hint::black_box(CpuMsm.msm_i64(&bases, s).unwrap());
            },
            || {
                let _ = std::hint::black_box(G1Projective::msm(&bases, &fr).unwrap());
            },
        );
        row(name, o, a);
    }
    {
        let fr: Vec<Fr> = bits.iter().map(|&x| Fr::from(x as u64)).collect();
        assert_eq!(CpuMsm.msm_bits(&bases, &bits).unwrap(), G1Projective::msm(&bases, &fr).unwrap());
        let (o, a) = duel(
            reps,
            || {
                let _ = std::hint::black_box(CpuMsm.msm_bits(&bases, &bits).unwrap());
            },
            || {
                let _ = std::hint::black_box(G1Projective::msm(&bases, &fr).unwrap());
            },
        );
        row("0/1 (bool in)", o, a);
        let (o, a) = duel(
            reps,
            || {
                let _ = std::hint::black_box(CpuMsm.msm_bits(&bases, &bits).unwrap());
            },
            || {
                let _ = std::hint::black_box(G1Projective::msm_u1(&bases, &bits));
            },
        );
        row("0/1 vs ark msm_u1(bool)", o, a);
        // the same bits as the rows of a Hyrax commitment (2^ceil(n/2) columns) over the
        // fixed-base subset table, against one arkworks MSM of them all
        let table = zkdl_core::msm::SubsetTable::new(&bases);
        let bits64: Vec<u64> = bits.iter().map(|&x| x as u64).collect();
        let width = 1usize << log_msm.div_ceil(2);
        let t0 = Instant::now();
        let rows = table.msm_rows(0, width, &bits64).unwrap();
        let build = t0.elapsed();
        assert_eq!(rows.len(), bits.len() / width);
        let (o, a) = duel(
            reps,
            || {
                let _ = std::hint::black_box(table.msm_rows(0, width, &bits64).unwrap());
            },
            || {
                let _ = std::hint::black_box(G1Projective::msm(&bases, &fr).unwrap());
            },
        );
        row("0/1 rows, subset table", o, a);
        println!("{:<26} {:>10.2}ms (first use: blocks built)", "  subset table rows", build.as_secs_f64() * 1e3);
        let fr16: Vec<Fr> = s16.iter().map(|&x| fr_from_i64(x)).collect();
        let (o, a) = duel(
            reps,
            || {
                let _ = std::hint::black_box(CpuMsm.msm_fr(&bases, &fr16).unwrap());
            },
            || {
                let _ = std::hint::black_box(G1Projective::msm(&bases, &fr16).unwrap());
            },
        );
        row("signed 16-bit (Fr in)", o, a);
    }
    {
        let fr: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let (o, a) = duel(
            reps.min(3),
            || {
                let _ = std::hint::black_box(CpuMsm.msm_fr(&bases, &fr).unwrap());
            },
            || {
                let _ = std::hint::black_box(G1Projective::msm(&bases, &fr).unwrap());
            },
        );
        row("full 255-bit (Fr in)", o, a);
        if std::env::var("ZKDL_BIAS").is_ok() {
            let (o, a) = duel(
                reps.min(3),
                || {
                    let _ = std::hint::black_box(G1Projective::msm(&bases, &fr).unwrap());
                },
                || {
                    let _ = std::hint::black_box(CpuMsm.msm_fr(&bases, &fr).unwrap());
                },
            );
            row("full, order swapped (ark|ours)", o, a);
        }
    }

    // ---- Sumcheck degree 2
    let m = 1usize << log_sc;
    let a: Vec<Fr> = (0..m).map(|_| Fr::rand(&mut rng)).collect();
    let b: Vec<Fr> = (0..m).map(|_| Fr::rand(&mut rng)).collect();
    let k = 1usize << 16;
    let mut out = vec![Fr::from(0u64); k];
    let mle_a = DenseMle::new(a.clone()).unwrap();
    let mle_b = DenseMle::new(b.clone()).unwrap();
    let proto = ProductSum::new(vec![mle_a, mle_b], vec![(Fr::from(1u64), vec![0, 1])]).unwrap();
    let claim = proto.sum();
    // One Fr multiplication: throughput over independent products, single thread;
    // alternated with the prover (whose input clone is timed and subtracted).
    let (mul_t, prove_t) = duel(
        reps,
        || {
            for i in 0..k {
                out[i] = a[i] * b[i];
            }
            std::hint::black_box(&out);
        },
        || {
            let mut ps = proto.clone();
            let mut t = Transcript::new(labels::TEST);
            let _ = std::hint::black_box(sumcheck::prove(&mut ps, claim, &mut t).unwrap());
        },
    );
    let clone_t = median(
        (0..reps)
            .map(|_| {
                once(&mut || {
                    let _ = std::hint::black_box(proto.clone());
                })
            })
            .collect(),
    );
    let one_mul = mul_t.as_secs_f64() / k as f64;
    let prove_s = prove_t.saturating_sub(clone_t).as_secs_f64();
    // Multiplications a degree-2 prover must do: per pair of each round, g(0) and g(2)
    // (1 product each; g(1) = claim - g(0)) and binding both tables (1 each).
    let muls = 4 * (m - 1);
    println!("\nSumcheck prover, degree 2 (product of two MLEs), 2^{log_sc} terms");
    println!("one Fr multiplication (1 thread): {:.2} ns", one_mul * 1e9);
    println!("required multiplications: 4 * (2^{log_sc} - 1) = {muls} -> {:.2} ms", muls as f64 * one_mul * 1e3);
    println!("prover time ({} threads): {:.2} ms", rayon::current_num_threads(), prove_s * 1e3);
    println!("ratio prover / multiplications: {:.2}x (bar: <= 2x)", prove_s / (muls as f64 * one_mul));
}
