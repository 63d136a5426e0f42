//! Verify a proof file from Rust: `cargo run --release --example verify_file -- proof.zkdl`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "proof.zkdl".to_string());
    let bytes = std::fs::read(&path)?;
    let f = zkdl::circuit::file::ProofFile::from_bytes(&bytes)?;
    zkdl::verifier::verify(&f.spec, &f.statement, &f.proof)?;
    println!("{path}: accepted ({} steps of {})", f.spec.train.steps, f.spec.name);
    Ok(())
}
