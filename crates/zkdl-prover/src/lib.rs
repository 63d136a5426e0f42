//! # zkdl-prover
//!
//! - [`train`]: fixed-point training in exact integer arithmetic, with the semantics
//!   of `zkdl_circuit::spec` (the witness of a training proof), and an `f64`
//!   reference with the same initialisation and batches.
//! - [`data`]: loading MNIST (IDX, gzip or not) and synthetic data.
//! - [`dataset`]: committing a dataset and checking a run's batches against it.
//! - [`relations`]: the prover of the aggregated relation system.
//! - [`prove`]: the proof of training.

#![forbid(unsafe_code)]

pub mod data;
pub mod dataset;
mod lookup;
pub mod phases;
pub mod prove;
pub mod relations;
pub mod train;

pub use phases::Phases;
pub use relations::ProveError;
