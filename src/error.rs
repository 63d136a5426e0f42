//! The errors of the command line.

use std::path::PathBuf;

use zkdl_circuit::file::FileError;

/// Errors of the CLI: each prints as one line and exits with status 2.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {reason}")]
    Circuit { path: String, reason: String },
    #[error("--data {spec}: {reason}")]
    Data { spec: String, reason: String },
    #[error("{path}: {source}")]
    File { path: PathBuf, source: FileError },
    #[error("training: {0}")]
    Train(#[from] zkdl_prover::train::TrainError),
    #[error("proving: {0}")]
    Prove(#[from] zkdl_prover::ProveError),
    #[error("checkpoint {path}: {reason}")]
    Checkpoint { path: PathBuf, reason: String },
    #[error("dataset {path}: {reason}")]
    Dataset { path: PathBuf, reason: String },
}
