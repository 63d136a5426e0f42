//! The zkDL paper's configuration (circuits/paper-8x1024.toml: 8 layers of width 1024,
//! batch 64): `cargo run --release --example bench_paper [-- STEPS]`. The same as
//! `zkdl bench --circuit circuits/paper-8x1024.toml`; minutes and several GiB on 2 cores,
//! not run in CI.

// The allocator of the `zkdl` binary (see Cargo.toml).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let steps = std::env::args().nth(1).and_then(|s| s.parse().ok());
    let circuit = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("circuits/paper-8x1024.toml");
    let opts = zkdl::cli::RunOptions { circuit: Some(&circuit), data: "synthetic", target: None, steps, seed: 1 };
    let r = zkdl::bench::run(&opts, 1, false)?;
    zkdl::bench::print_table(&r);
    Ok(())
}
