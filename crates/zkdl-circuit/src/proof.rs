//! The statement and proof of training (T steps of SGD on committed data), version 0:
//! every relation of every (step, layer) is proven by its own gadget instance; the
//! FAC4DNN aggregation (one stacked sumcheck per relation, batched openings) is the
//! next step and will change [`TrainingProof`], not [`Statement`].
//!
//! Supported circuits: power-of-two dimensions and batch, no bias (the verifier and
//! prover refuse others with a clear error; padding and bias are future work).

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use zkdl_core::pcs::{HyraxCommitment, HyraxOpening};
use zkdl_core::transcript::{labels, Transcript};
use zkdl_core::Fr;

use crate::gadgets::RescaledMatmulProof;
use crate::spec::CircuitSpec;

/// What a proof is about: the circuit (by digest) and the public commitments.
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Statement {
    pub digest: [u8; 32],
    /// Per step: commitments to the input batch `X_t` and targets `Y_t`.
    pub data: Vec<(HyraxCommitment, HyraxCommitment)>,
    /// Per layer: `W^(0)` and `W^(T)`.
    pub w_initial: Vec<HyraxCommitment>,
    pub w_final: Vec<HyraxCommitment>,
}

/// Proof that a linear combination of committed tensors of one shape vanishes
/// (checked at a random point, one batched opening).
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct LinearProof {
    pub values: Vec<Fr>,
    pub opening: HyraxOpening,
}

/// The commitments of one layer in one step.
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct LayerCommitments {
    /// Rescaled pre-activation `Z'` and remainders `R`.
    pub zq: HyraxCommitment,
    pub rem: HyraxCommitment,
    /// Activation `A = s ⊙ Z'` (hidden layers only).
    pub act: Option<HyraxCommitment>,
    /// Gradient at the layer output `G_l`.
    pub g: HyraxCommitment,
    /// `GA'` and its remainders (layers after the first).
    pub gaq: Option<HyraxCommitment>,
    pub gar: Option<HyraxCommitment>,
    /// Weight update `ΔW` and its rounding remainders.
    pub dw: HyraxCommitment,
    pub dwr: HyraxCommitment,
    /// `W^(t+1)` (all steps but the last; the last one's is in the statement).
    pub w_next: Option<HyraxCommitment>,
}

/// The proof of one step.
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct StepProof {
    pub layers: Vec<LayerCommitments>,
    pub forward: Vec<RescaledMatmulProof>,
    pub loss: LinearProof,
    /// For layers `L-1` down to `1`.
    pub backward: Vec<RescaledMatmulProof>,
    pub update: Vec<RescaledMatmulProof>,
    pub weights: Vec<LinearProof>,
}

/// The proof of training.
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct TrainingProof {
    pub steps: Vec<StepProof>,
}

/// Absorb the statement (after the protocol domain): digest, then every commitment.
pub fn absorb_statement(t: &mut Transcript, s: &Statement) {
    t.append_message(labels::STATEMENT_DIGEST, &s.digest);
    t.append_u64(labels::STATEMENT_COMMITMENT, s.data.len() as u64);
    for (x, y) in &s.data {
        t.append_points(labels::STATEMENT_COMMITMENT, &x.rows);
        t.append_points(labels::STATEMENT_COMMITMENT, &y.rows);
    }
    t.append_u64(labels::STATEMENT_COMMITMENT, s.w_initial.len() as u64);
    for c in s.w_initial.iter().chain(&s.w_final) {
        t.append_points(labels::STATEMENT_COMMITMENT, &c.rows);
    }
}

/// Absorb one step's layer commitments.
pub fn absorb_step(t: &mut Transcript, layers: &[LayerCommitments]) {
    t.append_u64(labels::STEP_COMMITMENT, layers.len() as u64);
    for l in layers {
        let all = [
            Some(&l.zq),
            Some(&l.rem),
            l.act.as_ref(),
            Some(&l.g),
            l.gaq.as_ref(),
            l.gar.as_ref(),
            Some(&l.dw),
            Some(&l.dwr),
            l.w_next.as_ref(),
        ];
        for c in all {
            match c {
                Some(c) => t.append_points(labels::STEP_COMMITMENT, &c.rows),
                None => t.append_u64(labels::STEP_COMMITMENT, 0),
            }
        }
    }
}

/// Log-dimensions `(log B, log d_0, ..., log d_L)` of a circuit that proofs support.
pub fn proof_dims(spec: &CircuitSpec) -> Result<(usize, Vec<usize>), &'static str> {
    if !spec.train.batch.is_power_of_two() {
        return Err("proofs need a power-of-two batch (padding is not implemented yet)");
    }
    let mut dims = Vec::new();
    for d in spec.dims() {
        if !d.is_power_of_two() {
            return Err("proofs need power-of-two layer widths (padding is not implemented yet)");
        }
        dims.push(d.trailing_zeros() as usize);
    }
    if spec.model.layers.iter().any(|l| l.bias) {
        return Err("proofs of layers with bias are not implemented yet");
    }
    Ok((spec.train.batch.trailing_zeros() as usize, dims))
}
