//! Side by side: the subset table's blocks and row MSMs in arkworks' point form and in
//! the IFMA form (`cargo run --release -p zkdl-core --example ifma_profile [ifma|affine|both]`).

use std::time::Instant;

use ark_ec::{CurveGroup, PrimeGroup};
use ark_ff::UniformRand;
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use zkdl_core::msm::SubsetTable;
use zkdl_core::{Fr, G1Projective};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let which = std::env::args().nth(1).unwrap_or_else(|| "both".into());
    let mut rng = StdRng::seed_from_u64(1);
    let m = 1usize << 12;
    let g = G1Projective::generator();
    // a random start and step (cheap to make; generic points for the additions)
    let (start, step) = (g * Fr::rand(&mut rng), g * Fr::rand(&mut rng));
    let bases = G1Projective::normalize_batch(
        &(0..m)
            .scan(start, |p, _| {
                *p += step;
                Some(*p)
            })
            .collect::<Vec<_>>(),
    );
    let s: Vec<u64> = (0..1usize << 19).map(|_| rng.gen_range(0..1u64 << 12)).collect();
    println!("IFMA on this CPU: {}", zkdl_core::ifma::available());
    for round in 0..2 {
        for ifma in [false, true] {
            if (which == "ifma" && !ifma) || (which == "affine" && ifma) {
                continue;
            }
            let t = SubsetTable::with_form(&bases, ifma);
            let t0 = Instant::now();
            t.prepare(0..m);
            let build = t0.elapsed().as_secs_f64();
            let t0 = Instant::now();
            for _ in 0..3 {
                std::hint::black_box(t.msm_rows(0, m, &s)?);
            }
            let rows_s = t0.elapsed().as_secs_f64() / 3.0;
            println!(
                "round {round} {}: build {m} columns {build:.3} s; 2^19 12-bit entries {:.1} ns per entry",
                if ifma { "IFMA  " } else { "affine" },
                rows_s * 1e9 / s.len() as f64
            );
        }
    }
    Ok(())
}
