//! # zkdl-prover
//!
//! - [`train`]: fixed-point training in exact integer arithmetic, with the semantics
//!   of `zkdl_circuit::spec` (the witness of a training proof), and an `f64`
//!   reference with the same initialisation and batches.
//! - [`data`]: loading MNIST (IDX, gzip or not) and synthetic data.

pub mod data;
pub mod matmul;
pub mod prove;
pub mod range;
pub mod train;
