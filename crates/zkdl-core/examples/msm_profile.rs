//! Profiling harness: repeats one MSM kind (`bits`, `i16`, `i32`) on 2^k points.
//! `cargo run --release -p zkdl-core --example msm_profile -- bits 18 20`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use ark_ec::{CurveGroup, PrimeGroup};
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use zkdl_core::msm::{CpuMsm, MsmBackend};
use zkdl_core::{Fr, G1Projective};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let kind = args.get(1).map(String::as_str).unwrap_or("bits");
    let log: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(18);
    let reps: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(10);
    let n = 1usize << log;
    let mut rng = StdRng::seed_from_u64(1);
    let g = G1Projective::generator();
    let h = g * Fr::from(7919u64);
    let mut acc = g * Fr::from(13u64);
    let proj: Vec<G1Projective> = (0..n)
        .map(|_| {
            acc += h;
            acc
        })
        .collect();
    let bases = G1Projective::normalize_batch(&proj);
    if kind == "fq" {
        use ark_ff::UniformRand;
        let a: Vec<zkdl_core::Fq> = (0..4096).map(|_| zkdl_core::Fq::rand(&mut rng)).collect();
        let mut out = a.clone();
        let t = std::time::Instant::now();
        for _ in 0..1000 {
            for i in 0..4096 {
                out[i] *= a[i];
            }
            let _ = std::hint::black_box(&out);
        }
        println!("Fq mul: {:.2} ns", t.elapsed().as_secs_f64() * 1e9 / 4096e3);
        let t = std::time::Instant::now();
        let mut x = a[0];
        for _ in 0..1000 {
            x = ark_ff::Field::inverse(&x).unwrap() + a[1];
        }
        let _ = std::hint::black_box(x);
        println!("Fq inverse: {:.2} us", t.elapsed().as_secs_f64() * 1e6 / 1000.0);
        return;
    }
    let t = std::time::Instant::now();
    for _ in 0..reps {
        match kind {
            "bits" => {
                let b: Vec<bool> = (0..n).map(|_| rng.gen()).collect();
                let _ = std::hint::black_box(CpuMsm.msm_bits(&bases, &b).unwrap());
            }
            "i16" => {
                let s: Vec<i64> = (0..n).map(|_| rng.gen_range(-(1i64 << 15)..(1i64 << 15))).collect();
                let _ = std::hint::black_box(CpuMsm.msm_i64(&bases, &s).unwrap());
            }
            _ => {
                let s: Vec<i64> = (0..n).map(|_| rng.gen_range(-(1i64 << 31)..(1i64 << 31))).collect();
                let _ = std::hint::black_box(CpuMsm.msm_i64(&bases, &s).unwrap());
            }
        }
    }
    println!("{kind} 2^{log}: {:.2} ms per msm", t.elapsed().as_secs_f64() * 1e3 / reps as f64);
}
