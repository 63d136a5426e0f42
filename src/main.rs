//! The `zkdl` command line.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "zkdl", version, about = "Zero-knowledge proofs of neural-network training")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train one SGD step of a small MLP on synthetic data, prove its forward,
    /// backward and update relations on committed tensors, and verify them.
    Demo {
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match cli.command {
        Command::Demo { seed } => zkdl::demo::run(seed),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zkdl: error: {e}");
            ExitCode::from(2)
        }
    }
}
