//! # zkdl-circuit
//!
//! What prover and verifier agree on: the specification of a training run (the
//! "circuit": architecture, fixed-point parameters, learning rate, batch, steps),
//! its validation, padded tensor shapes, and a stable digest that binds proofs to
//! the exact circuit.

pub mod gadgets;
pub mod proof;
pub mod spec;

pub use gadgets::{MaskKind, MatmulForm, MatmulShape, RescaleSpec, RescaledMatmulCommitments};
pub use spec::{Activation, CircuitSpec, FixedSpec, LayerSpec, Loss, ModelSpec, SpecError, TrainSpec};
