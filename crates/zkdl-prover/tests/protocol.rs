//! The relation protocol walked by its two sides (`zkdl_circuit::protocol`): the
//! prover's and the verifier's transcripts agree after every phase, a changed message
//! makes them part at its phase, and parts of a proof that the walk does not read are
//! refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use ark_std::rand::{rngs::StdRng, SeedableRng};
use zkdl_circuit::proof::{Statement, TrainingProof};
use zkdl_circuit::protocol::Trace;
use zkdl_circuit::relations::PhaseProof;
use zkdl_circuit::CircuitSpec;
use zkdl_core::field::Fr;
use zkdl_core::pcs::HyraxGenerators;
use zkdl_prover::prove::{prove_training_with, ProveOptions};
use zkdl_prover::train;
use zkdl_prover::Phases;
use zkdl_verifier::training::{training_generators, verify_traced};
use zkdl_verifier::{Phase, VerifyError, FINAL};

struct Run {
    spec: CircuitSpec,
    gens: HyraxGenerators,
    statement: Statement,
    proof: TrainingProof,
    /// The prover's transcript after each phase.
    trace: Trace,
}

/// Two steps of an 8-8-4 MLP with biases, proven with the prover's trace on.
fn run() -> Run {
    let spec = CircuitSpec::mlp("protocol", 8, &[8], 4, true, 4, 2);
    let batches = common::synthetic_batches(&spec, 2, 5);
    let w0 = train::init_weights(&spec, 2).unwrap();
    let mut phases = Phases::default();
    phases.trace = Some(Vec::new());
    let (statement, proof, _) =
        prove_training_with(&spec, &w0, &batches, ProveOptions::default(), &mut StdRng::seed_from_u64(1), &mut phases)
            .unwrap();
    let gens = training_generators(&spec).unwrap();
    Run { spec, gens, statement, proof, trace: phases.trace.unwrap() }
}

impl Run {
    fn verify(&self, proof: &TrainingProof) -> (Result<(), VerifyError>, Trace) {
        let mut trace = Vec::new();
        let r = verify_traced(&self.gens, &self.spec, &self.statement, proof, Some(&mut trace));
        (r, trace)
    }

    /// The prover's trace before `phase`.
    fn before(&self, phase: Phase) -> &[(Phase, [u8; 32])] {
        let k = self.trace.iter().position(|(p, _)| *p == phase).unwrap();
        &self.trace[..k]
    }
}

#[test]
fn transcripts_agree_after_every_phase() {
    let r = run();
    let (res, trace) = r.verify(&r.proof);
    res.unwrap();
    let phases: Vec<Phase> = r.trace.iter().map(|x| x.0).collect();
    assert_eq!(
        phases,
        [
            Phase::Booleanity,
            Phase::Lookup,
            Phase::Matmul,
            Phase::MatmulAt,
            Phase::Mask,
            Phase::Linear,
            Phase::LinearOnCommitments,
            Phase::PaddingOnCommitments,
            Phase::Padding,
            Phase::VirtualTensor,
            Phase::ClaimReduction,
            Phase::Opening,
        ]
    );
    assert_eq!(trace, r.trace);
    // the phases on commitments absorb nothing; those that send something move it
    for w in r.trace.windows(2) {
        match w[1].0 {
            Phase::LinearOnCommitments | Phase::PaddingOnCommitments => assert_eq!(w[0].1, w[1].1),
            Phase::Lookup | Phase::Matmul | Phase::Mask | Phase::Linear | Phase::ClaimReduction | Phase::Opening => {
                assert_ne!(w[0].1, w[1].1, "{:?}", w[1].0)
            }
            _ => {}
        }
    }
}

fn rel(phase: Phase, relation: usize, tensor: &str, check: &'static str) -> VerifyError {
    VerifyError::Relation { phase, relation, tensor: tensor.into(), check }
}

#[test]
fn a_changed_message_parts_the_transcripts_at_its_phase() {
    let r = run();
    let one = Fr::from(1u64);
    type Edit = fn(&mut TrainingProof, Fr);
    let cases: [(Phase, Edit, VerifyError); 4] = [
        (
            Phase::Lookup,
            |p, d| p.relations.logup.layer1[0] += d,
            rel(Phase::Lookup, 0, "bits 0..16 of Inputs", "layer 1 does not give the root"),
        ),
        (
            Phase::Matmul,
            |p, d| p.relations.matmul.post[1] += d,
            VerifyError::FinalClaim { phase: Phase::Matmul, check: FINAL },
        ),
        (
            Phase::Linear,
            |p, d| p.relations.linear[0] += d,
            rel(Phase::Linear, 0, "Grad(1)", "the weighted sum is not zero"),
        ),
        (
            Phase::VirtualTensor,
            |p, d| p.relations.virtuals[0] += d,
            rel(Phase::VirtualTensor, 0, "Zq(0)", "its terms do not give the claimed value"),
        ),
    ];
    for (phase, edit, expected) in cases {
        let mut p = r.proof.clone();
        edit(&mut p, one);
        let (res, trace) = r.verify(&p);
        assert_eq!(res, Err(expected), "{phase}");
        // the verifier walked in step with the prover up to the phase it rejects
        assert_eq!(trace, r.before(phase), "{phase}");
    }
}

#[test]
fn unread_parts_of_a_proof_are_refused() {
    let r = run();
    let x = Fr::from(3u64);
    type Edit = fn(&mut TrainingProof, Fr);
    let cases: [(Edit, &str); 6] = [
        (|p, x| p.relations.booleanity.pre.push(x), "booleanity"),
        (|p, x| p.relations.padding.pre.push(x), "zero padding"),
        (|p, x| p.relations.openings.rows.pre.push(x), "claim reduction"),
        (|p, x| p.relations.logup.rounds.push(PhaseProof { post: vec![x], ..Default::default() }), "lookup"),
        (|p, _| p.relations.logup.rounds.push(PhaseProof::default()), "lookup"),
        (|p, x| p.relations.linear.push(x), "linear relation"),
    ];
    for (edit, what) in cases {
        let mut p = r.proof.clone();
        edit(&mut p, x);
        assert_eq!(r.verify(&p).0, Err(VerifyError::Shape(what)), "{what}");
    }
}
