//! Verifier of the aggregated relation system: the checking [`Role`] of the protocol
//! described in `zkdl_circuit::protocol`. It reads every message from the proof,
//! verifies every sumcheck and opening, and fails with the phase where a check fails.
//! Whatever the walk did not read must be empty: a proof has exactly one encoding.

use std::collections::HashSet;

use zkdl_circuit::protocol::{self, Batch, Check, Context, Message, Outcome, Phase, ProtocolError, Role, Slot, Trace};
use zkdl_circuit::relations::{RelationProof, RelationSet, TensorDecl};
use zkdl_circuit::witness::{ByIndex, Names};
use zkdl_core::field::Fr;
use zkdl_core::pcs::{self, HyraxCommitment, HyraxGenerators, MsmCheck};
use zkdl_core::sumcheck;
use zkdl_core::transcript::Transcript;

use crate::VerifyError;

pub use zkdl_circuit::protocol::lookup::identity_mle;

impl From<ProtocolError> for VerifyError {
    fn from(e: ProtocolError) -> Self {
        match e {
            ProtocolError::Params(p) => VerifyError::Params(p),
            ProtocolError::Set(e) => VerifyError::Set(e),
            ProtocolError::Shape(phase) => VerifyError::Shape(phase.name()),
            ProtocolError::Opening { phase, source } => VerifyError::Opening { phase, source },
            _ => VerifyError::Params("the protocol"),
        }
    }
}

/// The phase whose messages live at `slot`.
fn phase_of(slot: Slot) -> Phase {
    match slot {
        Slot::Booleanity => Phase::Booleanity,
        Slot::Roots | Slot::Layer1 | Slot::LookupRound(_) | Slot::Tuples => Phase::Lookup,
        Slot::Matmul => Phase::Matmul,
        Slot::MatmulAt => Phase::MatmulAt,
        Slot::Mask => Phase::Mask,
        Slot::Linear => Phase::Linear,
        Slot::Padding => Phase::Padding,
        Slot::Virtual => Phase::VirtualTensor,
        Slot::Columns | Slot::Rows => Phase::ClaimReduction,
    }
}

/// The verifier's side: reads `proof`.
struct Verifier<'a> {
    gens: &'a HyraxGenerators,
    comms: &'a [&'a HyraxCommitment],
    proof: &'a RelationProof,
    sent: HashSet<Slot>,
    summed: HashSet<Slot>,
    checks: Vec<MsmCheck>,
    trace: Option<&'a mut Trace>,
    names: &'a dyn Names,
}

impl Role for Verifier<'_> {
    type Error = VerifyError;
    const CHECKS: bool = true;

    fn end(&mut self, phase: Phase, t: &Transcript) {
        if let Some(trace) = self.trace.as_deref_mut() {
            trace.push((phase, t.fingerprint()));
        }
    }

    fn send(&mut self, slot: Slot, n: usize, _msg: Message<'_>) -> Result<Vec<Fr>, VerifyError> {
        let shape = VerifyError::Shape(phase_of(slot).name());
        let v = self.proof.values(slot).ok_or(shape.clone())?;
        if v.len() != n || !self.sent.insert(slot) {
            return Err(shape);
        }
        Ok(v.clone())
    }

    fn sumcheck(
        &mut self,
        slot: Slot,
        _batch: Batch<'_>,
        sums: &[(Fr, usize)],
        degree: usize,
        n_post: usize,
        t: &mut Transcript,
    ) -> Result<Outcome, VerifyError> {
        let phase = phase_of(slot);
        let shape = VerifyError::Shape(phase.name());
        let p = self.proof.phase(slot).ok_or(shape.clone())?;
        if p.post.len() != n_post || !self.summed.insert(slot) {
            return Err(shape);
        }
        if sums.is_empty() {
            return if p.sumcheck.rounds.is_empty() { Ok(Outcome::default()) } else { Err(shape) };
        }
        let bc = sumcheck::verify_batched(sums, degree, &p.sumcheck, t)
            .map_err(|source| VerifyError::Sumcheck { phase, source })?;
        Ok(Outcome { point: bc.point.clone(), post: p.post.clone(), pending: Some(bc) })
    }

    fn check(&mut self, check: Check, holds: bool) -> Result<(), VerifyError> {
        match (holds, check.relation) {
            (true, _) => Ok(()),
            (false, None) => Err(VerifyError::FinalClaim { phase: check.phase, check: check.what }),
            (false, Some((relation, tensor))) => Err(VerifyError::Relation {
                phase: check.phase,
                relation,
                tensor: self.names.name(tensor),
                check: check.what,
            }),
        }
    }

    fn open(
        &mut self,
        index: usize,
        decl: TensorDecl,
        parts: &[(usize, Fr)],
        point: &[Fr],
        value: Fr,
        t: &mut Transcript,
    ) -> Result<(), VerifyError> {
        let (phase, what) = (Phase::Opening, Phase::Opening.name());
        let opening = self.proof.openings.openings.get(index).ok_or(VerifyError::Shape("number of openings"))?;
        let mut terms = Vec::with_capacity(parts.len());
        for &(tensor, beta) in parts {
            terms.push((*self.comms.get(tensor).ok_or(VerifyError::Shape(what))?, beta));
        }
        let comm = pcs::CommitmentRef::Combination(&terms);
        let check = pcs::verify_terms(self.gens, decl.vars, decl.col_vars, comm, point, value, opening, t)
            .map_err(|source| VerifyError::Opening { phase, source })?;
        self.checks.push(check);
        Ok(())
    }

    fn close(&mut self, openings: usize, gamma: &[Fr]) -> Result<(), VerifyError> {
        if self.proof.openings.openings.len() != openings {
            return Err(VerifyError::Shape("number of openings"));
        }
        // nothing the walk did not read: no lookup round beyond those walked (not even
        // an empty one), and no unread values in any other part
        let rounds = self.summed.iter().filter(|s| matches!(s, Slot::LookupRound(_))).count();
        if self.proof.logup.rounds.len() != rounds {
            return Err(VerifyError::Shape(Phase::Lookup.name()));
        }
        for slot in Slot::all(self.proof) {
            let unread_values = !self.sent.contains(&slot) && self.proof.values(slot).is_some_and(|v| !v.is_empty());
            let unread_phase = !self.summed.contains(&slot)
                && self.proof.phase(slot).is_some_and(|p| !p.sumcheck.rounds.is_empty() || !p.post.is_empty());
            if unread_values || unread_phase {
                return Err(VerifyError::Shape(phase_of(slot).name()));
            }
        }
        MsmCheck::check_all(self.gens.backend(), &self.checks, gamma)
            .map_err(|source| VerifyError::Opening { phase: Phase::Opening, source })
    }
}

/// Verify every relation of `set` over the committed tensors `comms` (one per
/// declared tensor, in order). The transcript must already hold whatever the
/// relations' meaning depends on (the statement); this absorbs `set` and `comms`.
pub fn verify_relations(
    gens: &HyraxGenerators,
    t: &mut Transcript,
    set: &RelationSet,
    comms: &[&HyraxCommitment],
    p: &RelationProof,
) -> Result<(), VerifyError> {
    verify_relations_traced(gens, t, set, comms, p, &ByIndex, None)
}

/// [`verify_relations`] with the set's tensors named by `names` in errors, recording in
/// `trace` the transcript's state after each phase.
pub fn verify_relations_traced(
    gens: &HyraxGenerators,
    t: &mut Transcript,
    set: &RelationSet,
    comms: &[&HyraxCommitment],
    p: &RelationProof,
    names: &dyn Names,
    trace: Option<&mut Trace>,
) -> Result<(), VerifyError> {
    set.validate().map_err(VerifyError::Set)?;
    if comms.len() != set.tensors.len() {
        return Err(VerifyError::Shape("number of tensor commitments"));
    }
    for (i, (c, d)) in comms.iter().zip(&set.tensors).enumerate() {
        if !set.is_virtual(i) && c.rows.len() != 1usize << (d.vars - d.col_vars) {
            return Err(VerifyError::Shape("rows of a tensor commitment"));
        }
    }
    let mut role = Verifier::new(gens, comms, p, names, trace);
    protocol::run(&mut role, t, &Context { gens, set, comms })
}

impl<'a> Verifier<'a> {
    fn new(
        gens: &'a HyraxGenerators,
        comms: &'a [&'a HyraxCommitment],
        proof: &'a RelationProof,
        names: &'a dyn Names,
        trace: Option<&'a mut Trace>,
    ) -> Self {
        let (sent, summed) = (HashSet::new(), HashSet::new());
        Verifier { gens, comms, proof, sent, summed, checks: Vec::new(), trace, names }
    }
}

/// The claim reduction and openings alone for the claims `(tensor, point, value)` on
/// the committed tensors of `set`: for tests of the reduction with chosen, possibly
/// false, claims.
#[doc(hidden)]
pub fn verify_claim_reduction(
    gens: &HyraxGenerators,
    t: &mut Transcript,
    set: &RelationSet,
    comms: &[&HyraxCommitment],
    claims: &[(usize, Vec<Fr>, Fr)],
    p: &zkdl_circuit::relations::OpeningProof,
) -> Result<(), VerifyError> {
    let claims: Vec<protocol::Claim> = claims
        .iter()
        .map(|(tensor, point, value)| protocol::Claim { tensor: *tensor, point: point.clone(), value: *value })
        .collect();
    let proof = RelationProof { openings: p.clone(), ..Default::default() };
    let mut role = Verifier::new(gens, comms, &proof, &ByIndex, None);
    protocol::reduce(&mut role, t, &Context { gens, set, comms }, &claims)
}
