//! # zkdl-core
//!
//! Math and cryptographic primitives of zkdl. Nothing here knows about neural
//! networks; the circuit, prover and verifier crates build on these pieces:
//!
//! - [`field`]: the scalar field `Fr` of BLS12-381 and the ONE fixed-point type
//!   ([`field::FixedPoint`]) used everywhere (`f64 <-> i64 <-> Fr`, checked).
//! - [`mle`]: dense multilinear extensions with one variable order (bit 0 of an
//!   index is the first variable, and binding always fixes the first free variable).
//! - [`transcript`]: the Fiat-Shamir transcript (a newtype over `merlin`), all labels
//!   in [`transcript::labels`].
//! - [`sumcheck`]: the ONE generic sumcheck engine (prover trait, batching, verifier).
//! - [`pcs`]: Hyrax-style multilinear polynomial commitments over BLS12-381 G1.
//! - [`msm`]: the [`msm::MsmBackend`] trait and the CPU backend tuned for the small
//!   scalars of quantized tensors.
//! - [`ifma`]: batch-affine G1 additions on AVX-512 IFMA (eight lanes), where the CPU
//!   has it; the only module with `unsafe` (the call into that code after the check).
//!
//! Library code of this crate never unwraps or panics on input (enforced by lints);
//! every fallible operation returns one of the typed errors of [`error`].

pub mod error;
pub mod field;
pub mod ifma;
pub mod mle;
pub mod msm;
pub mod pcs;
pub mod sumcheck;
pub mod transcript;

pub use ark_bls12_381::{Fq, Fr, G1Affine, G1Projective};
pub use error::{FixedPointError, MleError, MsmError, PcsError, SumcheckError};
