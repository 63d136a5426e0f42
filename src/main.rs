//! The `zkdl` command line.

#![forbid(unsafe_code)]

// See Cargo.toml: glibc's malloc retains the prover's freed tables.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "zkdl", version, about = "Zero-knowledge proofs of neural-network training")]
struct Cli {
    /// Worker threads (default: all cores).
    #[arg(long, global = true)]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

/// Circuit and data options of `train` and `prove`.
#[derive(clap::Args)]
struct RunArgs {
    /// Circuit file (default: the built-in circuits/tiny.toml).
    #[arg(long)]
    circuit: Option<PathBuf>,
    /// Data: `synthetic`, `mnist:DIR`, `uci:DIR` or `csv:FILE`.
    #[arg(long, default_value = "synthetic")]
    data: String,
    /// Target column of `csv:` data.
    #[arg(long)]
    target: Option<String>,
    /// Number of SGD steps (default: the circuit's).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=4096))]
    steps: Option<u64>,
    /// Seed of the initial weights (and of synthetic data).
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

impl RunArgs {
    fn options(&self) -> zkdl::cli::RunOptions<'_> {
        zkdl::cli::RunOptions {
            circuit: self.circuit.as_deref(),
            data: &self.data,
            target: self.target.as_deref(),
            steps: self.steps.map(|s| s as usize),
            seed: self.seed,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Train a small MLP for a few SGD steps on built-in synthetic data, prove the
    /// training, and verify the proof.
    Demo {
        /// Number of SGD steps.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
        steps: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Plain fixed-point training: loss per step, test accuracy or RMSE at the end.
    Train {
        #[command(flatten)]
        run: RunArgs,
    },
    /// Train in fixed point, prove the training, write the proof file.
    Prove {
        #[command(flatten)]
        run: RunArgs,
        /// Output file.
        #[arg(long, default_value = "proof.zkdl")]
        out: PathBuf,
        /// Also write the trained weights (safetensors, float32).
        #[arg(long)]
        weights_out: Option<PathBuf>,
        /// Also write a checkpoint (exact weights, statement, steps so far) from which
        /// `--resume` proves the next chunk of the run.
        #[arg(long)]
        checkpoint_out: Option<PathBuf>,
        /// Prove the next chunk of a run: start from this checkpoint's weights, on the
        /// batches after its steps, `W(0)`'s commitment taken from its statement (same
        /// circuit and step count).
        #[arg(long)]
        resume: Option<PathBuf>,
        /// The committed dataset (`zkdl commit-data`) whose rows the batches are: the
        /// data is checked against it, and the proof names it.
        #[arg(long)]
        dataset: Option<PathBuf>,
        /// Before committing, evaluate every relation on the integer witness and stop
        /// with the first that fails (relation, tensor, step, entry): for debugging a
        /// circuit.
        #[arg(long)]
        check_witness: bool,
    },
    /// Commit to the training rows of the data (as `prove` encodes them for this
    /// circuit) and write the public dataset file for `prove --dataset`.
    CommitData {
        #[command(flatten)]
        run: RunArgs,
        /// Output file.
        #[arg(long, default_value = "data.zkdc")]
        out: PathBuf,
    },
    /// Benchmark one circuit: plain f32 and fixed-point steps, proving per phase,
    /// verifying, proof size, peak memory.
    Bench {
        #[command(flatten)]
        run: RunArgs,
        /// Prove this many times and report the median run.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1000))]
        prove_runs: u64,
        /// Also prove a second chunk of the run that takes W(0)'s commitment from the
        /// first proof (as a training run proven in chunks does) and report its time.
        #[arg(long)]
        continued: bool,
        #[arg(long)]
        json: bool,
    },
    /// Verify a proof file, or a training run proven in chunks (the files in order:
    /// each must start from the weights the one before ends with): exit 0 accepted, 1
    /// rejected, 2 bad input.
    Verify {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Refuse the proofs unless they are about this circuit file's circuit.
        #[arg(long)]
        circuit: Option<PathBuf>,
        /// Accept a first proof that continues a run (its W(0) not range-checked in
        /// it): the caller vouches for the weights it starts from.
        #[arg(long)]
        trust_initial: bool,
        /// Check that the batches of every proof are this committed dataset's rows at
        /// the schedule's positions for its steps.
        #[arg(long)]
        dataset: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Show what a proof file holds.
    Inspect {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("zkdl: error: {e}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    if let Some(n) = cli.threads {
        if let Err(e) = rayon::ThreadPoolBuilder::new().num_threads(n).build_global() {
            return fail(format!("--threads {n}: {e}"));
        }
    }
    match cli.command {
        Command::Demo { steps, seed } => {
            zkdl::demo::run(steps as usize, seed).map_or_else(fail, |()| ExitCode::SUCCESS)
        }
        Command::Train { run } => zkdl::cli::train_cmd(&run.options()).map_or_else(fail, |()| ExitCode::SUCCESS),
        Command::Prove { run, out, weights_out, checkpoint_out, resume, dataset, check_witness } => {
            let files = zkdl::cli::ProveFiles {
                out: &out,
                weights_out: weights_out.as_deref(),
                checkpoint_out: checkpoint_out.as_deref(),
                resume: resume.as_deref(),
                dataset: dataset.as_deref(),
                check_witness,
            };
            zkdl::cli::prove(&run.options(), &files).map_or_else(fail, |()| ExitCode::SUCCESS)
        }
        Command::Bench { run, prove_runs, continued, json } => {
            zkdl::bench::bench_cmd(&run.options(), prove_runs as usize, continued, json)
                .map_or_else(fail, |()| ExitCode::SUCCESS)
        }
        Command::CommitData { run, out } => {
            zkdl::cli::commit_data(&run.options(), &out).map_or_else(fail, |()| ExitCode::SUCCESS)
        }
        Command::Verify { files, circuit, trust_initial, dataset, json } => {
            match zkdl::cli::verify(&files, circuit.as_deref(), trust_initial, dataset.as_deref(), json) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::from(1),
                Err(e) => fail(e),
            }
        }
        Command::Inspect { file, json } => zkdl::cli::inspect(&file, json).map_or_else(fail, |()| ExitCode::SUCCESS),
    }
}
