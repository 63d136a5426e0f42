//! Writes `crates/zkdl-circuit/data/training-generators.bin`: the first 4096 column
//! generators of the training proofs and `H`, `U`, derived by hash-to-curve, stored
//! uncompressed (`cargo run --release -p zkdl-circuit --example derive_generators`).

use ark_serialize::CanonicalSerialize;
use zkdl_circuit::assemble::GENERATORS_LABEL;
use zkdl_core::pcs::PrecomputedGenerators;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pre = PrecomputedGenerators::derive(GENERATORS_LABEL, 4096)?;
    let mut out = Vec::new();
    (pre.gens, pre.h, pre.u).serialize_uncompressed(&mut out)?;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/training-generators.bin");
    std::fs::write(&path, &out)?;
    println!("{} bytes written to {}", out.len(), path.display());
    Ok(())
}
