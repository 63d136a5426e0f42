//! criterion benches of the cryptographic core (zkdl-core), against arkworks.
//!
//! - `msm/<kind>/<log n>`: ours (`CpuMsm`) vs `ark_ec::VariableBaseMSM::msm` on the
//!   same bases and scalars, kinds: full 255-bit, 32-bit, signed 16-bit, 0/1 (and
//!   0/1 as the rows of a Hyrax commitment over the fixed-base `SubsetTable`, its
//!   blocks built before timing).
//! - `sumcheck/deg<d>/<n>`: the generic prover for a product of d MLEs, n = 16..22.
//! - `hyrax/commit|open|verify/<n>`: Hyrax on 2^n small-integer entries; the
//!   commitment and opening sizes in bytes are printed once per size.
//!
//! Sizes can be narrowed with the environment: `ZKDL_BENCH_MSM_LOGS=12,16`,
//! `ZKDL_BENCH_SC_LOGS=16,18`, `ZKDL_BENCH_HYRAX_LOGS=16,20`.
//! Run: `cargo bench --bench core [-- FILTER]` (`cargo bench` runs it with the circuits).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ark_ec::{CurveGroup, PrimeGroup, VariableBaseMSM};
use ark_ff::UniformRand;
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use zkdl_core::field::fr_from_i64;
use zkdl_core::mle::DenseMle;
use zkdl_core::msm::{CpuMsm, MsmBackend};
use zkdl_core::pcs::{self, HyraxGenerators, Table};
use zkdl_core::sumcheck::{self, ProductSum};
use zkdl_core::transcript::{labels, Transcript};
use zkdl_core::{Fr, G1Affine, G1Projective};

fn logs(var: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(var)
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}

fn bases(n: usize, rng: &mut StdRng) -> Vec<G1Affine> {
    let g = G1Projective::generator();
    let step = g * Fr::rand(rng);
    let mut acc = g * Fr::rand(rng);
    let proj: Vec<G1Projective> = (0..n)
        .map(|_| {
            acc += step;
            acc
        })
        .collect();
    G1Projective::normalize_batch(&proj)
}

fn bench_msm(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(1);
    let all = logs("ZKDL_BENCH_MSM_LOGS", &[12, 14, 16, 18, 20]);
    let max = all.iter().copied().max().unwrap_or(12);
    let b = bases(1 << max, &mut rng);
    let mut group = c.benchmark_group("msm");
    group.sample_size(10);
    for &log in &all {
        let n = 1usize << log;
        let b = &b[..n];
        let s16: Vec<i64> = (0..n).map(|_| rng.gen_range(-(1i64 << 15)..(1i64 << 15))).collect();
        let s32: Vec<i64> = (0..n).map(|_| rng.gen_range(-(1i64 << 31)..(1i64 << 31))).collect();
        let bits: Vec<bool> = (0..n).map(|_| rng.gen()).collect();
        let full: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        for (kind, s) in [("i16", &s16), ("i32", &s32)] {
            let fr: Vec<Fr> = s.iter().map(|&x| fr_from_i64(x)).collect();
            group.bench_with_input(BenchmarkId::new(format!("{kind}/ours"), log), &log, |bch, _| {
                bch.iter(|| CpuMsm.msm_i64(b, s).unwrap())
            });
            group.bench_with_input(BenchmarkId::new(format!("{kind}/arkworks"), log), &log, |bch, _| {
                bch.iter(|| G1Projective::msm(b, &fr).unwrap())
            });
        }
        let fr_bits: Vec<Fr> = bits.iter().map(|&x| Fr::from(x as u64)).collect();
        group.bench_with_input(BenchmarkId::new("bits/ours", log), &log, |bch, _| {
            bch.iter(|| CpuMsm.msm_bits(b, &bits).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("bits/arkworks", log), &log, |bch, _| {
            bch.iter(|| G1Projective::msm(b, &fr_bits).unwrap())
        });
        let table = zkdl_core::msm::SubsetTable::new(b);
        let bits64: Vec<u64> = bits.iter().map(|&x| x as u64).collect();
        let row = 1usize << log.div_ceil(2);
        table.msm_rows(0, row, &bits64).unwrap();
        group.bench_with_input(BenchmarkId::new("bits/ours_subset_table_rows", log), &log, |bch, _| {
            bch.iter(|| table.msm_rows(0, row, &bits64).unwrap())
        });
        {
            group.bench_with_input(BenchmarkId::new("full/ours", log), &log, |bch, _| {
                bch.iter(|| CpuMsm.msm_fr(b, &full).unwrap())
            });
            group.bench_with_input(BenchmarkId::new("full/arkworks", log), &log, |bch, _| {
                bch.iter(|| G1Projective::msm(b, &full).unwrap())
            });
        }
    }
    group.finish();
}

fn bench_sumcheck(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(2);
    let mut group = c.benchmark_group("sumcheck");
    group.sample_size(10);
    for &log in &logs("ZKDL_BENCH_SC_LOGS", &[16, 18, 20, 22]) {
        for d in [2usize, 3] {
            let mles: Vec<DenseMle> = (0..d)
                .map(|_| DenseMle::new((0..1usize << log).map(|_| Fr::rand(&mut rng)).collect()).unwrap())
                .collect();
            let proto = ProductSum::new(mles, vec![(Fr::from(1u64), (0..d).collect())]).unwrap();
            let claim = proto.sum();
            group.bench_with_input(BenchmarkId::new(format!("deg{d}"), log), &log, |bch, _| {
                bch.iter_batched(
                    || proto.clone(),
                    |mut ps| {
                        let mut t = Transcript::new(labels::TEST);
                        sumcheck::prove(&mut ps, claim, &mut t).unwrap()
                    },
                    criterion::BatchSize::LargeInput,
                )
            });
        }
    }
    group.finish();
}

fn bench_hyrax(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(3);
    let all = logs("ZKDL_BENCH_HYRAX_LOGS", &[12, 16, 20]);
    let gens = HyraxGenerators::new(b"zkdl/bench", all.iter().copied().max().unwrap_or(12)).unwrap();
    let mut group = c.benchmark_group("hyrax");
    group.sample_size(10);
    for &n in &all {
        let table: Vec<i64> = (0..1usize << n).map(|_| rng.gen_range(-(1i64 << 15)..(1i64 << 15))).collect();
        let fr: Vec<Fr> = table.iter().map(|&x| fr_from_i64(x)).collect();
        let point: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let (cs, os) = pcs::sizes(n);
        println!("hyrax n={n}: commitment {cs} bytes, opening {os} bytes");
        group.bench_with_input(BenchmarkId::new("commit_i16", n), &n, |bch, _| {
            bch.iter(|| pcs::commit(&gens, n, Table::Small(&table), None).unwrap())
        });
        let comm = pcs::commit(&gens, n, Table::Small(&table), None).unwrap();
        group.bench_with_input(BenchmarkId::new("open", n), &n, |bch, _| {
            bch.iter(|| {
                let mut t = Transcript::new(labels::TEST);
                pcs::open(&gens, n, &fr, None, &comm, &point, &mut t, &mut StdRng::seed_from_u64(0)).unwrap()
            })
        });
        let mut t = Transcript::new(labels::TEST);
        let (value, proof) = pcs::open(&gens, n, &fr, None, &comm, &point, &mut t, &mut rng).unwrap();
        group.bench_with_input(BenchmarkId::new("verify", n), &n, |bch, _| {
            bch.iter(|| {
                let mut t = Transcript::new(labels::TEST);
                pcs::verify(&gens, n, &comm, &point, value, &proof, &mut t).unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_msm, bench_sumcheck, bench_hyrax);
criterion_main!(benches);
