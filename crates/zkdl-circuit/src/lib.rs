//! # zkdl-circuit
//!
//! What prover and verifier agree on: the specification of a training run (the
//! "circuit": architecture, fixed-point parameters, learning rate, batch, steps),
//! its validation, padded tensor shapes, a stable digest that binds proofs to the
//! exact circuit, the aggregated relation system ([`relations`]) and the layout of
//! the training proof over it ([`proof::training_layout`]).

#![forbid(unsafe_code)]

pub mod activation;
pub mod assemble;
pub mod dataset;
pub mod file;
pub mod gadgets;
pub mod loss;
pub mod proof;
pub mod protocol;
pub mod relations;
pub mod spec;
pub mod table;
mod toml_spec;
pub mod witness;

pub use gadgets::{MatmulForm, MatmulShape, RescaleSpec};
pub use spec::{Activation, CircuitSpec, FixedSpec, LayerSpec, Loss, ModelSpec, Normalize, SpecError, TrainSpec};
