//! Times Hyrax commits of small-integer tables: `cargo run --release -p zkdl-core --example commit_profile`.

use std::time::Instant;

use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use zkdl_core::msm::CpuMsm;
use zkdl_core::pcs::{self, HyraxGenerators, Table};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n = 17;
    let gens = HyraxGenerators::new(b"zkdl/example/commit", n)?;
    let mut rng = StdRng::seed_from_u64(1);
    for bits in [1u32, 8, 16, 32] {
        let v: Vec<i64> = (0..1usize << n).map(|_| rng.gen_range(-(1i64 << (bits - 1))..1i64 << (bits - 1))).collect();
        let t0 = Instant::now();
        for _ in 0..3 {
            pcs::commit(&gens, n, Table::Small(&v), None, &CpuMsm)?;
        }
        println!("2^{n} entries, {bits}-bit signed: {:.4} s per commit", t0.elapsed().as_secs_f64() / 3.0);
    }
    Ok(())
}
