//! Verify a proof file from Rust: `cargo run --release --example verify_file -- proof.zkdl [REPS]`.
//! Prints the time to parse the file (points read and checked on the curve) and, with
//! `REPS`, the median of that many verifications with derived generators.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "proof.zkdl".to_string());
    let reps: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(0);
    let bytes = std::fs::read(&path)?;
    let t0 = std::time::Instant::now();
    let f = zkdl::circuit::file::ProofFile::from_bytes(&bytes)?;
    let parse_s = t0.elapsed().as_secs_f64();
    zkdl::verifier::verify(&f.spec, &f.statement, &f.proof)?;
    println!("{path}: accepted ({} steps of {}), parsed in {parse_s:.3} s", f.spec.train.steps, f.spec.name);
    if reps > 0 {
        let gens = zkdl::verifier::training::training_generators(&f.spec)?;
        let mut times = Vec::with_capacity(reps);
        for _ in 0..reps {
            let t0 = std::time::Instant::now();
            zkdl::verifier::training::verify_with(&gens, &f.spec, &f.statement, &f.proof)?;
            times.push(t0.elapsed().as_secs_f64());
        }
        times.sort_by(|a, b| a.total_cmp(b));
        println!("verify_with, {reps} runs: median {:.4} s, min {:.4} s", times[reps / 2], times[0]);
    }
    Ok(())
}
