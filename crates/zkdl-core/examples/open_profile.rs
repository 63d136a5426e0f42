//! Times Hyrax openings of 2^9, 2^13, 2^17-entry tables: `cargo run --release -p zkdl-core --example open_profile`.

use ark_ff::UniformRand;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use std::time::Instant;
use zkdl_core::field::Fr;
use zkdl_core::pcs::{self, CommitmentRef, HyraxGenerators, Table};
use zkdl_core::transcript::Transcript;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let gens = HyraxGenerators::new(b"zkdl/example/open", 24)?;
    let mut rng = StdRng::seed_from_u64(1);
    for (n, c) in [(9usize, 5usize), (13, 8), (17, 10)] {
        let v: Vec<i64> = (0..1i64 << n).map(|i| i % 1000).collect();
        let f: Vec<Fr> = v.iter().map(|&x| Fr::from(x as u64)).collect();
        let comm = pcs::commit_split(&gens, n, c, Table::Small(&v), None)?;
        let point: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let t0 = Instant::now();
        for _ in 0..5 {
            let mut t = Transcript::new(b"x");
            pcs::open_split(&gens, n, c, &f, None, CommitmentRef::Single(&comm), &point, &mut t, &mut rng)?;
        }
        println!("open {n} {c}: {:?}", t0.elapsed() / 5);
    }
    Ok(())
}
