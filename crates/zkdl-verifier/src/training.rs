//! `verify(spec, statement, proof)`: the aggregated proof of training (see
//! `zkdl_circuit::proof`): assembles the stacked commitments from the statement and
//! the proof, then verifies the relation set of `zkdl_circuit::proof::training_layout`.

pub use zkdl_circuit::assemble::{
    chain_is_derived, generator_vars, stored_generators, tensor_commitments, training_generators,
    training_generators_for, weight_chain, GENERATORS_LABEL,
};
use zkdl_circuit::proof::{absorb_statement, training_layout_for, Layouts, Statement, TrainingLayout, TrainingProof};
use zkdl_circuit::CircuitSpec;

use zkdl_core::pcs::{HyraxCommitment, HyraxGenerators};
use zkdl_core::transcript::{labels, Transcript};

use crate::relations::verify_relations_traced;
use crate::VerifyError;

/// Verify that the weights committed in `statement.w_final` result from
/// `spec.train.steps` SGD steps on the committed data from `statement.w_initial`.
pub fn verify(spec: &CircuitSpec, statement: &Statement, proof: &TrainingProof) -> Result<(), VerifyError> {
    spec.validate().map_err(|_| VerifyError::Params("invalid circuit"))?;
    if statement.digest != spec.digest() {
        return Err(VerifyError::DigestMismatch);
    }
    // both layouts once: the generators cover both, the statement names its own
    let layouts = Layouts::new(spec).map_err(VerifyError::Layout)?;
    let gens = training_generators_for(&layouts)?;
    verify_layout(&gens, spec, &layouts.into_layout(statement.initial_checked), statement, proof, None)
}

/// [`verify`] with generators derived by the caller (see [`generator_vars`]).
pub fn verify_with(
    gens: &HyraxGenerators,
    spec: &CircuitSpec,
    statement: &Statement,
    proof: &TrainingProof,
) -> Result<(), VerifyError> {
    verify_traced(gens, spec, statement, proof, None)
}

/// [`verify_with`], recording in `trace` the transcript's state after each phase of the
/// relation proof (to compare with the prover's: `zkdl_prover::Phases::trace`).
#[doc(hidden)]
pub fn verify_traced(
    gens: &HyraxGenerators,
    spec: &CircuitSpec,
    statement: &Statement,
    proof: &TrainingProof,
    trace: Option<&mut zkdl_circuit::protocol::Trace>,
) -> Result<(), VerifyError> {
    if statement.digest != spec.digest() {
        return Err(VerifyError::DigestMismatch);
    }
    let layout = training_layout_for(spec, statement.initial_checked).map_err(VerifyError::Layout)?;
    verify_layout(gens, spec, &layout, statement, proof, trace)
}

/// The verification itself, under the statement's layout (the caller checked the digest
/// and picked the layout by `statement.initial_checked`).
fn verify_layout(
    gens: &HyraxGenerators,
    spec: &CircuitSpec,
    layout: &TrainingLayout,
    statement: &Statement,
    proof: &TrainingProof,
    trace: Option<&mut zkdl_circuit::protocol::Trace>,
) -> Result<(), VerifyError> {
    let (nl, steps) = (spec.model.layers.len(), layout.steps);
    if statement.data.len() != steps {
        return Err(VerifyError::Shape("number of steps"));
    }
    if statement.w_initial.len() != nl || statement.w_final.len() != nl {
        return Err(VerifyError::Shape("number of layers in the statement"));
    }
    if statement.b_initial.len() != nl || statement.b_final.len() != nl {
        return Err(VerifyError::Shape("number of biases in the statement"));
    }
    if statement.s_initial.len() != nl || statement.s_final.len() != nl {
        return Err(VerifyError::Shape("number of slopes in the statement"));
    }
    if proof.w_mid.len() != nl || proof.b_mid.len() != nl || proof.s_mid.len() != nl {
        return Err(VerifyError::Shape("number of layers of intermediate weights"));
    }
    let per_layer = statement.b_initial.iter().zip(&statement.b_final).zip(&proof.b_mid);
    for (layer, ((bi, bf), bm)) in spec.model.layers.iter().zip(per_layer) {
        // intermediate counts are checked where the chains are assembled
        if layer.bias != bi.is_some() || layer.bias != bf.is_some() || (!layer.bias && !bm.is_empty()) {
            return Err(VerifyError::Shape("bias commitments"));
        }
    }
    let per_layer = statement.s_initial.iter().zip(&statement.s_final).zip(&proof.s_mid);
    for (layer, ((si, sf), sm)) in spec.model.layers.iter().zip(per_layer) {
        let prelu = layer.activation == zkdl_circuit::Activation::Prelu;
        if prelu != si.is_some() || prelu != sf.is_some() || (!prelu && !sm.is_empty()) {
            return Err(VerifyError::Shape("slope commitments"));
        }
    }
    if proof.tensors.len() != layout.num_proof_tensors() {
        return Err(VerifyError::Shape("number of tensor commitments"));
    }
    let comms = tensor_commitments(gens, layout, statement, proof)?;
    let refs: Vec<&HyraxCommitment> = comms.iter().collect();
    let mut t = Transcript::new(labels::TRAINING_DOMAIN);
    absorb_statement(&mut t, statement);
    verify_relations_traced(gens, &mut t, &layout.set, &refs, &proof.relations, layout, trace)
}
