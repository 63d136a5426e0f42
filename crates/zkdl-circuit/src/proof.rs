//! The statement and proof of training (T steps of SGD on committed data), version 0:
//! every relation of every (step, layer) is proven by its own gadget instance; the
//! FAC4DNN aggregation (one stacked sumcheck per relation, batched openings) is the
//! next step and will change [`TrainingProof`], not [`Statement`].
//!
//! Shapes that are not powers of two are padded with zeros (batch rows and layer
//! widths). The proof shows that the padding of the statement's inputs (`W^(0)`, every
//! `X_t`, `Y_t`) is zero ([`crate::gadgets::ZeroPaddingProof`]); from zero inputs the
//! padded parts of every later tensor are forced to zero (or, for remainders, to the
//! rounding constant) by the relations themselves, so padding cannot change the result.
//! With a bias the batch must be a power of two (padded batch rows would receive the
//! bias); the bias vector's padding is proven zero like the weights'.

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
    /// Per layer with a bias: `b^(0)` and `b^(T)`.
    pub b_initial: Vec<Option<HyraxCommitment>>,
    pub b_final: Vec<Option<HyraxCommitment>>,
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
    /// With a bias: its update `Δb`, the rounding remainders and `b^(t+1)` (not on the
    /// last step).
    pub db: Option<HyraxCommitment>,
    pub dbr: Option<HyraxCommitment>,
    pub b_next: Option<HyraxCommitment>,
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
    /// Per layer with a bias: `Gb = 1^T G` rescaled into `Δb`, and `b^(t+1) = b^(t) - Δb`.
    pub bias_update: Vec<Option<RescaledMatmulProof>>,
    pub bias_chain: Vec<Option<LinearProof>>,
}

/// The proof of training.
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct TrainingProof {
    /// Zero padding of `W^(0)` per layer, then of `b^(0)` per layer with a bias, then of
    /// `X_t` and `Y_t` per step.
    pub padding: Vec<crate::gadgets::ZeroPaddingProof>,
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
    t.append_u64(labels::STATEMENT_COMMITMENT, s.b_initial.len() as u64);
    for c in s.b_initial.iter().chain(&s.b_final) {
        match c {
            Some(c) => t.append_points(labels::STATEMENT_COMMITMENT, &c.rows),
            None => t.append_u64(labels::STATEMENT_COMMITMENT, 0),
        }
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

/// Real and padded (power-of-two) shapes of a circuit's tensors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofDims {
    /// Real batch and widths `d_0..d_L`.
    pub batch: usize,
    pub dims: Vec<usize>,
    /// Base-2 logarithms of the padded batch and widths.
    pub lb: usize,
    pub log_dims: Vec<usize>,
}

fn log2_ceil(x: usize) -> usize {
    x.next_power_of_two().trailing_zeros() as usize
}

/// The shapes of `spec`'s tensors in a proof; refuses circuits proofs do not support.
pub fn proof_dims(spec: &CircuitSpec) -> Result<ProofDims, &'static str> {
    if spec.model.layers.iter().any(|l| l.bias) && !spec.train.batch.is_power_of_two() {
        return Err("proofs of layers with bias need a power-of-two batch");
    }
    let dims = spec.dims();
    Ok(ProofDims {
        batch: spec.train.batch,
        lb: log2_ceil(spec.train.batch),
        log_dims: dims.iter().map(|&d| log2_ceil(d)).collect(),
        dims,
    })
}
