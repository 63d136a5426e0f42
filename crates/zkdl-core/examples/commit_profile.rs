//! Times Hyrax commits of small-integer tables:
//! `cargo run --release -p zkdl-core --example commit_profile`.
//! Part 1: the first commit (building the subset table's blocks), then 2^17 signed
//! entries of 1..32 bits, balanced split. Part 2: 2^18 unsigned 16-bit entries (range
//! digits) at 256-, 1024- and 4096-wide rows, per entry, on fresh generators: as the cost
//! model decides for the one table, then with the subset table built first.

use std::time::Instant;

use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use zkdl_core::pcs::{self, HyraxGenerators, Table};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n = 17;
    let gens = HyraxGenerators::new(b"zkdl/example/commit", 24)?;
    let mut rng = StdRng::seed_from_u64(1);
    // the first commit at a row width builds the subset table's blocks it needs
    let v: Vec<i64> = (0..1usize << n).map(|_| rng.gen_range(0..1i64 << 16)).collect();
    let t0 = Instant::now();
    pcs::commit(&gens, n, Table::Small(&v), None)?;
    let first = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    pcs::commit(&gens, n, Table::Small(&v), None)?;
    println!("2^{n} unsigned 16-bit entries: first commit {first:.4} s, then {:.4} s", t0.elapsed().as_secs_f64());
    for bits in [1u32, 8, 16, 32] {
        let v: Vec<i64> = (0..1usize << n).map(|_| rng.gen_range(-(1i64 << (bits - 1))..1i64 << (bits - 1))).collect();
        let t0 = Instant::now();
        for _ in 0..3 {
            pcs::commit(&gens, n, Table::Small(&v), None)?;
        }
        println!("2^{n} entries, {bits}-bit signed: {:.4} s per commit", t0.elapsed().as_secs_f64() / 3.0);
    }
    let n = 18;
    let v: Vec<i64> = (0..1usize << n).map(|_| rng.gen_range(0..1i64 << 16)).collect();
    // per width: as the cost model decides for this one table (it builds the subset
    // table's blocks only where this commitment alone pays for them), then with the
    // blocks built first, as the prover does when many rows use the width
    let gens = HyraxGenerators::new(b"zkdl/example/commit", 24)?;
    for col in [8usize, 10, 12] {
        for prepared in [false, true] {
            if prepared {
                let t0 = Instant::now();
                gens.prepare_columns(col);
                println!("  building the subset table for 2^{col} columns: {:.3} s", t0.elapsed().as_secs_f64());
            }
            pcs::commit_split(&gens, n, col, Table::Small(&v), None)?;
            let t0 = Instant::now();
            for _ in 0..5 {
                pcs::commit_split(&gens, n, col, Table::Small(&v), None)?;
            }
            let ns = t0.elapsed().as_secs_f64() / 5.0 / (1u64 << n) as f64 * 1e9;
            let how = if prepared { "table built" } else { "as decided" };
            println!("2^{n} unsigned 16-bit entries, rows of 2^{col} ({how}): {ns:.0} ns per entry");
        }
    }
    Ok(())
}
