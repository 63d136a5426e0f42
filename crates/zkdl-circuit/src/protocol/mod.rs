//! The relation proof's protocol, described once.
//!
//! Every phase of the proof of a [`RelationSet`] is written here, once: which
//! challenges it draws (one label each), which values it sends and when they enter
//! the transcript, which batched sumcheck it runs (instances, variables, degree,
//! claimed sums), how the value each instance ends with follows from the values sent
//! after it, and which evaluation claims it leaves for the claim reduction.
//!
//! The two sides of the proof are two [`Role`]s walking this description:
//! `zkdl_prover::relations` produces every message from the witness, and
//! `zkdl_verifier::relations` reads them from the proof and checks them. A role never
//! touches the transcript except inside a sumcheck or an opening (both shared code of
//! `zkdl-core`), so both sides absorb and draw the same things in the same order by
//! construction.
//!
//! Phases, in transcript order (after the statement, the relation set and every
//! tensor commitment are absorbed): [`Phase::Booleanity`], [`Phase::Lookup`]
//! ([`lookup`]), [`Phase::Matmul`], [`Phase::MatmulAt`], [`Phase::Mask`],
//! [`Phase::Linear`], [`Phase::LinearOnCommitments`], [`Phase::PaddingOnCommitments`],
//! [`Phase::Padding`], [`Phase::VirtualTensor`], [`Phase::ClaimReduction`] and
//! [`Phase::Opening`] ([`reduction`]).
//!
//! This module reads untrusted proofs (through the verifier's role): no indexing,
//! unwrap or panic.

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod lookup;
pub mod reduction;

use ark_ff::AdditiveGroup;
use thiserror::Error;
use zkdl_core::field::{fr_from_i64, Fr};
use zkdl_core::mle::eq_eval;
use zkdl_core::pcs::{self, HyraxCommitment, HyraxGenerators};
use zkdl_core::sumcheck::BatchedClaim;
use zkdl_core::transcript::{labels, Transcript};

use crate::relations::{absorb_relations, RelationProof, RelationSet, TensorDecl};

/// The `check` of a failed final claim at the end of a sumcheck.
pub const FINAL: &str = "final evaluation does not match";

/// A phase of the relation proof, in transcript order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    Booleanity,
    Lookup,
    Matmul,
    MatmulAt,
    Mask,
    Linear,
    LinearOnCommitments,
    PaddingOnCommitments,
    Padding,
    VirtualTensor,
    ClaimReduction,
    Opening,
}

impl Phase {
    /// The phase's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Booleanity => "booleanity",
            Phase::Lookup => "lookup",
            Phase::Matmul => "matmul",
            Phase::MatmulAt => "matmul at a weight point",
            Phase::Mask => "mask",
            Phase::Linear => "linear relation",
            Phase::LinearOnCommitments => "linear relation on commitments",
            Phase::PaddingOnCommitments => "zero padding on commitments",
            Phase::Padding => "zero padding",
            Phase::VirtualTensor => "virtual tensor",
            Phase::ClaimReduction => "claim reduction",
            Phase::Opening => "combined opening",
        }
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a phase's messages live in a [`RelationProof`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Slot {
    Booleanity,
    /// The roots of the LogUp trees.
    Roots,
    /// Layer 1 of the LogUp trees.
    Layer1,
    /// The batched sumcheck of the LogUp trees deeper than `k` (`k >= 1`).
    LookupRound(usize),
    /// The columns of the lookups of several columns at their leaf points.
    Tuples,
    Matmul,
    MatmulAt,
    Mask,
    Linear,
    Padding,
    Virtual,
    Columns,
    Rows,
}

impl Slot {
    /// Every slot of `proof`, the lookup rounds as many as it carries.
    pub fn all(proof: &RelationProof) -> Vec<Slot> {
        let mut v = vec![
            Slot::Booleanity,
            Slot::Roots,
            Slot::Layer1,
            Slot::Tuples,
            Slot::Matmul,
            Slot::MatmulAt,
            Slot::Mask,
            Slot::Linear,
            Slot::Padding,
            Slot::Virtual,
            Slot::Columns,
            Slot::Rows,
        ];
        v.extend((1..=proof.logup.rounds.len()).map(Slot::LookupRound));
        v
    }
}

impl RelationProof {
    /// The values sent at `slot` outside a sumcheck (`None`: a missing lookup round).
    pub fn values(&self, slot: Slot) -> Option<&Vec<Fr>> {
        Some(match slot {
            Slot::Roots => &self.logup.roots,
            Slot::Layer1 => &self.logup.layer1,
            Slot::Tuples => &self.logup.tuples,
            Slot::Linear => &self.linear,
            Slot::Virtual => &self.virtuals,
            _ => &self.phase(slot)?.pre,
        })
    }

    /// Mutable [`Self::values`] (the lookup rounds grow as needed).
    pub fn values_mut(&mut self, slot: Slot) -> Option<&mut Vec<Fr>> {
        Some(match slot {
            Slot::Roots => &mut self.logup.roots,
            Slot::Layer1 => &mut self.logup.layer1,
            Slot::Tuples => &mut self.logup.tuples,
            Slot::Linear => &mut self.linear,
            Slot::Virtual => &mut self.virtuals,
            _ => &mut self.phase_mut(slot)?.pre,
        })
    }

    /// The sumcheck and the values after it at `slot` (`None` where the slot has none).
    pub fn phase(&self, slot: Slot) -> Option<&crate::relations::PhaseProof> {
        match slot {
            Slot::Booleanity => Some(&self.booleanity),
            Slot::LookupRound(k) => self.logup.rounds.get(k.checked_sub(1)?),
            Slot::Matmul => Some(&self.matmul),
            Slot::MatmulAt => Some(&self.matmul_at),
            Slot::Mask => Some(&self.mask),
            Slot::Padding => Some(&self.padding),
            Slot::Columns => Some(&self.openings.columns),
            Slot::Rows => Some(&self.openings.rows),
            Slot::Roots | Slot::Layer1 | Slot::Tuples | Slot::Linear | Slot::Virtual => None,
        }
    }

    /// Mutable [`Self::phase`] (the lookup rounds grow as needed).
    pub fn phase_mut(&mut self, slot: Slot) -> Option<&mut crate::relations::PhaseProof> {
        match slot {
            Slot::Booleanity => Some(&mut self.booleanity),
            Slot::LookupRound(k) => {
                let i = k.checked_sub(1)?;
                if self.logup.rounds.len() <= i {
                    self.logup.rounds.resize(i + 1, Default::default());
                }
                self.logup.rounds.get_mut(i)
            }
            Slot::Matmul => Some(&mut self.matmul),
            Slot::MatmulAt => Some(&mut self.matmul_at),
            Slot::Mask => Some(&mut self.mask),
            Slot::Padding => Some(&mut self.padding),
            Slot::Columns => Some(&mut self.openings.columns),
            Slot::Rows => Some(&mut self.openings.rows),
            Slot::Roots | Slot::Layer1 | Slot::Tuples | Slot::Linear | Slot::Virtual => None,
        }
    }
}

/// How a message travels: in the clear, or as a commitment the verifier checks
/// through a proof of knowledge instead of reading it. Every message of the relation
/// proof is sent in the clear; zero knowledge commits the evaluations and round
/// polynomials, which changes [`Message::sent`], [`Batch::sent`] and the roles, not the
/// phases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    Clear,
    Committed,
}

/// A message a phase sends outside its sumcheck.
#[derive(Debug, Clone, Copy)]
pub enum Message<'a> {
    /// Evaluations of tensors at points: `(tensor, point)`.
    Evaluations(&'a [(usize, Vec<Fr>)]),
    /// `(P, Q)` at the root of every LogUp tree (lookups, then tables) under `alpha`,
    /// tuples combined with `beta`.
    TreeRoots { alpha: Fr, beta: Fr },
    /// `(p_0, p_1, q_0, q_1)` of layer 1 of every LogUp tree at least one layer deep.
    TreeLayer1,
}

impl Message<'_> {
    /// How the message travels.
    pub fn sent(&self) -> Sent {
        Sent::Clear
    }
}

/// What a phase's batched sumcheck proves, with the challenges drawn before it: what
/// the prover needs to build its instances.
#[derive(Debug, Clone, Copy)]
pub enum Batch<'a> {
    /// Per boolean relation, `eq(rho, x) B(x) (B(x) - 1)`; post `B(r)`.
    Booleanity { rhos: &'a [Vec<Fr>] },
    /// The LogUp trees `active` deeper than `k`, at the point `r` of their layer `k`;
    /// `unit[i]`: tree `active[i]`'s layer `k + 1` is a lookup's leaf layer.
    Lookup { k: usize, lambda: Fr, mu: Fr, r: &'a [Fr], active: &'a [usize], unit: &'a [bool] },
    /// The matmuls `which` at their points `rs`: `eq(r_t, t) X(t, r_i, j) Y(t, j, r_k)`.
    Matmul { which: &'a [usize], rs: &'a [Vec<Fr>] },
    /// Per mask at `rr`, `eq(rr, x) s(x) Cq(x)`.
    Mask { rrs: &'a [Vec<Fr>] },
    /// Per padding relation, `eq(rho, x) P(x) T(x)`.
    Padding { rhos: &'a [Vec<Fr>] },
    /// The claim reduction's column stage ([`reduction`]).
    Columns { layout: &'a crate::relations::ReductionLayout, alpha: &'a [Fr], claims: &'a [Claim] },
    /// The claim reduction's row stage at the column point `rho`.
    Rows {
        layout: &'a crate::relations::ReductionLayout,
        alpha: &'a [Fr],
        claims: &'a [Claim],
        claimed: &'a [(usize, Vec<usize>)],
        rho: &'a [Fr],
    },
}

impl Batch<'_> {
    /// How the sumcheck's round polynomials and the values after it travel.
    pub fn sent(&self) -> Sent {
        Sent::Clear
    }
}

/// What a batched sumcheck gives back: the point (as long as the largest instance;
/// each instance's is its suffix), the values sent after it, and for the verifier the
/// claim it must discharge.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub point: Vec<Fr>,
    pub post: Vec<Fr>,
    pub pending: Option<BatchedClaim>,
}

/// An evaluation claim `T_tensor(point) = value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub tensor: usize,
    pub point: Vec<Fr>,
    pub value: Fr,
}

/// A check of a phase on the values sent: what it checks and, where one relation is
/// checked alone, which (its index among the set's relations of its kind, and the
/// tensor it is about).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    pub phase: Phase,
    pub what: &'static str,
    /// `(relation index, tensor)`; `None` for a batch (a sumcheck's final claim).
    pub relation: Option<(usize, usize)>,
}

impl Check {
    /// A check of the whole phase's batch.
    pub fn batch(phase: Phase, what: &'static str) -> Self {
        Check { phase, what, relation: None }
    }

    /// A check of relation `index` of the phase, about `tensor`.
    pub fn relation(phase: Phase, what: &'static str, index: usize, tensor: usize) -> Self {
        Check { phase, what, relation: Some((index, tensor)) }
    }
}

/// A failure of the shared description itself (not of a role).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ProtocolError {
    #[error("bad parameters: {0}")]
    Params(&'static str),
    /// The relation set (or a claim on it) is not well formed.
    #[error("{0}")]
    Set(#[from] crate::relations::SetError),
    /// A phase got fewer values than it reads.
    #[error("{0}: missing values")]
    Shape(Phase),
    /// An equation on commitments could not be formed.
    #[error("{phase}: {source}")]
    Opening { phase: Phase, source: zkdl_core::PcsError },
}

/// Where the transcripts of a run stood after each phase (a digest of the state).
pub type Trace = Vec<(Phase, [u8; 32])>;

/// One side of the relation proof.
pub trait Role {
    type Error: From<ProtocolError>;
    /// Whether this side checks what it is sent (the verifier); the prover sends what
    /// its witness gives, right or wrong, and leaves the judgment to the verifier.
    const CHECKS: bool;

    /// `phase` begins.
    fn begin(&mut self, _phase: Phase) {}
    /// `phase` is over; `t` holds everything it absorbed.
    fn end(&mut self, _phase: Phase, _t: &Transcript) {}
    /// The `n` values of `msg` at `slot`: the prover computes them from its witness, the
    /// verifier reads them from the proof.
    fn send(&mut self, slot: Slot, n: usize, msg: Message<'_>) -> Result<Vec<Fr>, Self::Error>;
    /// The batched sumcheck of `sums` (claimed sum, variables) at `slot`, of degree
    /// `degree`, followed by `n_post` values (none run when `sums` is empty).
    #[allow(clippy::too_many_arguments)]
    fn sumcheck(
        &mut self,
        slot: Slot,
        batch: Batch<'_>,
        sums: &[(Fr, usize)],
        degree: usize,
        n_post: usize,
        t: &mut Transcript,
    ) -> Result<Outcome, Self::Error>;
    /// A check on the values sent, which must hold.
    fn check(&mut self, check: Check, holds: bool) -> Result<(), Self::Error>;
    /// Opening `index`: `sum_k beta_k T_k` (parts `(tensor, beta_k)`, tensors of shape
    /// `decl`) at `point` is `value`.
    #[allow(clippy::too_many_arguments)]
    fn open(
        &mut self,
        index: usize,
        decl: TensorDecl,
        parts: &[(usize, Fr)],
        point: &[Fr],
        value: Fr,
        t: &mut Transcript,
    ) -> Result<(), Self::Error>;
    /// The end of the proof: `openings` openings were made; `gamma` weighs their final
    /// equations (drawn after all of them).
    fn close(&mut self, openings: usize, gamma: &[Fr]) -> Result<(), Self::Error>;
}

/// What both sides hold: the generators, the relation set and one commitment per
/// declared tensor.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub gens: &'a HyraxGenerators,
    pub set: &'a RelationSet,
    pub comms: &'a [&'a HyraxCommitment],
}

/// The whole relation proof of `cx.set`, walked by `role`. The transcript must hold
/// whatever the relations' meaning depends on (the statement); this absorbs the set
/// and the commitments.
pub fn run<R: Role>(role: &mut R, t: &mut Transcript, cx: &Context<'_>) -> Result<(), R::Error> {
    let set = cx.set;
    set.validate().map_err(ProtocolError::Set)?;
    if cx.comms.len() != set.tensors.len() {
        return Err(ProtocolError::Params("one commitment per tensor").into());
    }
    absorb_relations(t, set, cx.comms);
    let mut claims = Vec::new();
    booleanity(role, t, set, &mut claims)?;
    lookup::run(role, t, set, &mut claims)?;
    let (first, second) = set.matmul_rounds();
    let mut rs = Vec::with_capacity(first.len());
    for &i in &first {
        let m = set.matmuls.get(i).ok_or(ProtocolError::Params("matmul"))?;
        rs.push(t.challenge_scalars(labels::RELATIONS_POINT, m.shape.c_vars() + m.tau));
    }
    let y_points = matmuls(role, t, set, &mut claims, Phase::Matmul, &first, rs)?;
    let mut rs = Vec::with_capacity(second.len());
    for &(_, src) in &second {
        rs.push(src.and_then(|k| y_points.get(k).cloned()).ok_or(ProtocolError::Params("matmul point source"))?);
    }
    let second: Vec<usize> = second.iter().map(|s| s.0).collect();
    matmuls(role, t, set, &mut claims, Phase::MatmulAt, &second, rs)?;
    masks(role, t, set, &mut claims)?;
    linears(role, t, set, &mut claims)?;
    on_commitments(role, t, cx)?;
    paddings(role, t, set, &mut claims)?;
    let claims = virtuals(role, t, set, claims)?;
    reduction::run(role, t, cx, &claims)
}

fn vars(set: &RelationSet, i: usize) -> Result<usize, ProtocolError> {
    Ok(set.vars(i)?)
}

fn eq(a: &[Fr], b: &[Fr]) -> Result<Fr, ProtocolError> {
    eq_eval(a, b).ok_or(ProtocolError::Params("point length"))
}

/// The last `n` coordinates of `point`: an instance's point in a batch.
pub fn suffix(point: &[Fr], n: usize) -> Result<&[Fr], ProtocolError> {
    crate::relations::ReductionLayout::suffix(point, n).ok_or(ProtocolError::Params("sumcheck point"))
}

fn get(v: &[Fr], i: usize, phase: Phase) -> Result<Fr, ProtocolError> {
    v.get(i).copied().ok_or(ProtocolError::Shape(phase))
}

/// Runs the batched sumcheck of a phase and absorbs the values sent after it.
#[allow(clippy::too_many_arguments)]
fn sumcheck<R: Role>(
    role: &mut R,
    t: &mut Transcript,
    slot: Slot,
    batch: Batch<'_>,
    sums: &[(Fr, usize)],
    degree: usize,
    n_post: usize,
) -> Result<Outcome, R::Error> {
    let o = role.sumcheck(slot, batch, sums, degree, n_post, t)?;
    if !sums.is_empty() {
        t.append_scalars(labels::RELATIONS_POST, &o.post);
    }
    Ok(o)
}

/// Sends a message and absorbs it.
fn send<R: Role>(
    role: &mut R,
    t: &mut Transcript,
    slot: Slot,
    n: usize,
    msg: Message<'_>,
) -> Result<Vec<Fr>, R::Error> {
    let v = role.send(slot, n, msg)?;
    t.append_scalars(labels::RELATIONS_PRE, &v);
    Ok(v)
}

/// The verifier's final check of a batched sumcheck: the instances' values `evals`
/// (computed only by a checking role).
fn discharge<R: Role>(role: &mut R, phase: Phase, pending: Option<BatchedClaim>, evals: &[Fr]) -> Result<(), R::Error> {
    match pending {
        Some(bc) => role.check(Check::batch(phase, FINAL), bc.check(evals).is_ok()),
        None => Ok(()),
    }
}

/// Booleanity: per boolean tensor `rho`; one batched degree-3 sumcheck of
/// `eq(rho, y) B(y) (B(y) - 1)` (claim 0); post `B(r)`.
fn booleanity<R: Role>(
    role: &mut R,
    t: &mut Transcript,
    set: &RelationSet,
    claims: &mut Vec<Claim>,
) -> Result<(), R::Error> {
    let phase = Phase::Booleanity;
    role.begin(phase);
    let mut rhos = Vec::with_capacity(set.bools.len());
    let mut sums = Vec::with_capacity(set.bools.len());
    for b in &set.bools {
        let n = vars(set, b.tensor)?;
        rhos.push(t.challenge_scalars(labels::RELATIONS_POINT, n));
        sums.push((Fr::ZERO, n));
    }
    let o = sumcheck(role, t, Slot::Booleanity, Batch::Booleanity { rhos: &rhos }, &sums, 3, set.bools.len())?;
    let mut evals = Vec::with_capacity(sums.len());
    for (i, (b, rho)) in set.bools.iter().zip(&rhos).enumerate() {
        let pt = suffix(&o.point, rho.len())?;
        let v = get(&o.post, i, phase)?;
        if R::CHECKS {
            evals.push(eq(rho, pt)? * v * (v - Fr::from(1u64)));
        }
        claims.push(Claim { tensor: b.tensor, point: pt.to_vec(), value: v });
    }
    discharge(role, phase, o.pending, &evals)?;
    role.end(phase, t);
    Ok(())
}

/// Rescaled matmuls `which` at their points `rs`: pre `Cq(r)`, `R(r)` and the bias;
/// one batched degree-3 sumcheck of `eq(r_t, t) X(t, r_i, j) Y(t, j, r_k)` over
/// `(j, t)`; post the `X` and `Y` values. Returns each relation's `Y` point.
#[allow(clippy::too_many_arguments)]
fn matmuls<R: Role>(
    role: &mut R,
    t: &mut Transcript,
    set: &RelationSet,
    claims: &mut Vec<Claim>,
    phase: Phase,
    which: &[usize],
    rs: Vec<Vec<Fr>>,
) -> Result<Vec<Vec<Fr>>, R::Error> {
    role.begin(phase);
    let slot = if phase == Phase::Matmul { Slot::Matmul } else { Slot::MatmulAt };
    let mut rels = Vec::with_capacity(which.len());
    for &i in which {
        rels.push(set.matmuls.get(i).ok_or(ProtocolError::Params("matmul"))?);
    }
    if rs.len() != rels.len() {
        return Err(ProtocolError::Params("matmul points").into());
    }
    let point_err = ProtocolError::Params("matmul point");
    let mut queries = Vec::new();
    for (m, r) in rels.iter().zip(&rs) {
        queries.push((m.cq, r.clone()));
        if let Some(rt) = m.rem {
            queries.push((rt, r.clone()));
        }
        if let Some(b) = m.bias {
            queries.push((b, m.bias_point(r).ok_or(point_err.clone())?));
        }
    }
    let pre = send(role, t, slot, queries.len(), Message::Evaluations(&queries))?;
    let mut vals = pre.iter().copied();
    let mut next = || vals.next().ok_or(ProtocolError::Shape(phase));
    let mut sums = Vec::with_capacity(rels.len());
    for m in &rels {
        let cq = next()?;
        let rem = if m.rem.is_some() { Some(next()?) } else { None };
        let bias = if m.bias.is_some() { Some(next()?) } else { None };
        let c = m.product_claim(cq, rem, bias).ok_or(ProtocolError::Params("rescaling parameters"))?;
        sums.push((c, m.shape.lj + m.tau));
    }
    for ((tensor, point), &value) in queries.into_iter().zip(&pre) {
        claims.push(Claim { tensor, point, value });
    }
    let o = sumcheck(role, t, slot, Batch::Matmul { which, rs: &rs }, &sums, 3, 2 * rels.len())?;
    let mut evals = Vec::with_capacity(rels.len());
    let mut y_points = Vec::with_capacity(rels.len());
    for (i, (m, r)) in rels.iter().zip(&rs).enumerate() {
        let rho = suffix(&o.point, m.shape.lj + m.tau)?;
        let (xv, yv) = (get(&o.post, 2 * i, phase)?, get(&o.post, 2 * i + 1, phase)?);
        if R::CHECKS {
            let (_, _, rt) = m.split_r(r).ok_or(point_err.clone())?;
            let rho_t = rho.get(m.shape.lj..).ok_or(point_err.clone())?;
            evals.push(eq(rt, rho_t)? * xv * yv);
        }
        let (xp, yp) = m.operand_points(r, rho).ok_or(point_err.clone())?;
        claims.push(Claim { tensor: m.x, point: xp, value: xv });
        claims.push(Claim { tensor: m.y, point: yp.clone(), value: yv });
        y_points.push(yp);
    }
    discharge(role, phase, o.pending, &evals)?;
    role.end(phase, t);
    Ok(y_points)
}

/// Masks: per relation `rr`; pre `Out(rr)`; one batched degree-3 sumcheck of
/// `eq(rr, x) s(x) Cq(x)`; post `s(r4)` (a plane of a bit-plane table) and `Cq(r4)`.
fn masks<R: Role>(
    role: &mut R,
    t: &mut Transcript,
    set: &RelationSet,
    claims: &mut Vec<Claim>,
) -> Result<(), R::Error> {
    let phase = Phase::Mask;
    role.begin(phase);
    let mut rrs = Vec::with_capacity(set.masks.len());
    for m in &set.masks {
        rrs.push(t.challenge_scalars(labels::RELATIONS_POINT, vars(set, m.cq)?));
    }
    // pre: every output at its point, then the remainder of every rescaled product
    let mut queries: Vec<(usize, Vec<Fr>)> = set.masks.iter().zip(&rrs).map(|(m, rr)| (m.out, rr.clone())).collect();
    let rems: Vec<(usize, Vec<Fr>)> =
        set.masks.iter().zip(&rrs).filter_map(|(m, rr)| m.rescale.map(|(_, rem)| (rem, rr.clone()))).collect();
    queries.extend(rems);
    let pre = send(role, t, Slot::Mask, queries.len(), Message::Evaluations(&queries))?;
    let mut sums = Vec::with_capacity(set.masks.len());
    let mut next_rem = set.masks.len();
    for (i, (m, rr)) in set.masks.iter().zip(&rrs).enumerate() {
        let out = get(&pre, i, phase)?;
        claims.push(Claim { tensor: m.out, point: rr.clone(), value: out });
        let sum = match m.rescale {
            None => out,
            Some((spec, rem)) => {
                let r = get(&pre, next_rem, phase)?;
                next_rem += 1;
                claims.push(Claim { tensor: rem, point: rr.clone(), value: r });
                spec.unround(out, Some(r)).ok_or(ProtocolError::Params("mask rescaling"))?
            }
        };
        sums.push((sum, rr.len()));
    }
    let o = sumcheck(role, t, Slot::Mask, Batch::Mask { rrs: &rrs }, &sums, 3, 2 * set.masks.len())?;
    let mut evals = Vec::with_capacity(sums.len());
    for (i, (m, rr)) in set.masks.iter().zip(&rrs).enumerate() {
        let r4 = suffix(&o.point, rr.len())?;
        let (s, c) = (get(&o.post, 2 * i, phase)?, get(&o.post, 2 * i + 1, phase)?);
        if R::CHECKS {
            evals.push(eq(rr, r4)? * s * c);
        }
        let pv = vars(set, m.planes)?.checked_sub(r4.len()).ok_or(ProtocolError::Params("mask planes"))?;
        claims.push(Claim { tensor: m.planes, point: m.sign_point(r4, pv), value: s });
        claims.push(Claim { tensor: m.cq, point: r4.to_vec(), value: c });
    }
    discharge(role, phase, o.pending, &evals)?;
    role.end(phase, t);
    Ok(())
}

/// Linear relations: per relation a point; pre every term's value there; the
/// weighted sum plus the constant must vanish.
fn linears<R: Role>(
    role: &mut R,
    t: &mut Transcript,
    set: &RelationSet,
    claims: &mut Vec<Claim>,
) -> Result<(), R::Error> {
    let phase = Phase::Linear;
    role.begin(phase);
    let mut points = Vec::with_capacity(set.linears.len());
    for l in &set.linears {
        let first = l.terms.first().ok_or(ProtocolError::Params("a linear relation without terms"))?;
        points.push(t.challenge_scalars(labels::RELATIONS_POINT, vars(set, first.0)?));
    }
    let mut queries = Vec::new();
    for (l, r) in set.linears.iter().zip(&points) {
        queries.extend(l.terms.iter().map(|(tensor, _)| (*tensor, r.clone())));
    }
    let pre = send(role, t, Slot::Linear, queries.len(), Message::Evaluations(&queries))?;
    let mut vals = pre.iter().copied();
    for (i, l) in set.linears.iter().enumerate() {
        let mut sum = fr_from_i64(l.constant);
        for (_, coeff) in &l.terms {
            sum += fr_from_i64(*coeff) * vals.next().ok_or(ProtocolError::Shape(phase))?;
        }
        let tensor = l.terms.first().map_or(0, |x| x.0);
        role.check(Check::relation(phase, "the weighted sum is not zero", i, tensor), sum == Fr::ZERO)?;
    }
    for ((tensor, point), &value) in queries.into_iter().zip(&pre) {
        claims.push(Claim { tensor, point, value });
    }
    role.end(phase, t);
    Ok(())
}

/// The relations checked on the commitments themselves (no transcript, no message;
/// only a checking role evaluates them): `sum_k c_k Com(T_k) + constant Com(1)` is the
/// commitment of zero row by row, and the rows of padding only are the identity.
fn on_commitments<R: Role>(role: &mut R, t: &Transcript, cx: &Context<'_>) -> Result<(), R::Error> {
    let (set, comms) = (cx.set, cx.comms);
    let phase = Phase::LinearOnCommitments;
    role.begin(phase);
    if !R::CHECKS {
        role.end(phase, t);
        role.begin(Phase::PaddingOnCommitments);
        role.end(Phase::PaddingOnCommitments, t);
        return Ok(());
    }
    let missing = ProtocolError::Params("a tensor of a relation on commitments");
    for (i, h) in set.homomorphic.iter().enumerate() {
        let (terms, constant) = set.expand_virtual(&h.terms, h.constant).map_err(ProtocolError::Set)?;
        let col_vars = terms
            .first()
            .and_then(|&(tensor, _)| set.tensors.get(tensor))
            .map(|d| d.col_vars)
            .ok_or(missing.clone())?;
        let mut refs = Vec::with_capacity(terms.len());
        for &(tensor, c) in &terms {
            refs.push((*comms.get(tensor).ok_or(missing.clone())?, c));
        }
        let sum = pcs::commit_affine_combination(cx.gens, col_vars, &refs, constant)
            .map_err(|source| ProtocolError::Opening { phase, source })?;
        let tensor = h.terms.first().map_or(0, |x| x.0);
        role.check(Check::relation(phase, "the combined commitment is not zero", i, tensor), sum.is_zero())?;
    }
    role.end(phase, t);
    let phase = Phase::PaddingOnCommitments;
    role.begin(phase);
    for (i, z) in set.zero_rows.iter().enumerate() {
        let d = set.tensors.get(z.tensor).ok_or(missing.clone())?;
        let rows = z.zero_rows(d.vars, d.col_vars).ok_or(ProtocolError::Params("zero rows"))?;
        let c = comms.get(z.tensor).ok_or(missing.clone())?;
        for r in rows {
            let zero = c.row_is_zero(r).ok_or(ProtocolError::Params("a row of a commitment"))?;
            role.check(Check::relation(phase, "a row of padding is not zero", i, z.tensor), zero)?;
        }
    }
    role.end(phase, t);
    Ok(())
}

/// Zero padding: per relation `rho`; one batched degree-3 sumcheck of
/// `eq(rho, x) P(x) T(x)` (claim 0, `P` the padding indicator); post `T(r)`.
fn paddings<R: Role>(
    role: &mut R,
    t: &mut Transcript,
    set: &RelationSet,
    claims: &mut Vec<Claim>,
) -> Result<(), R::Error> {
    let phase = Phase::Padding;
    role.begin(phase);
    let mut rhos = Vec::with_capacity(set.paddings.len());
    let mut sums = Vec::with_capacity(set.paddings.len());
    for p in &set.paddings {
        let n = vars(set, p.tensor)?;
        rhos.push(t.challenge_scalars(labels::RELATIONS_POINT, n));
        sums.push((Fr::ZERO, n));
    }
    let o = sumcheck(role, t, Slot::Padding, Batch::Padding { rhos: &rhos }, &sums, 3, set.paddings.len())?;
    let mut evals = Vec::with_capacity(sums.len());
    for (i, (p, rho)) in set.paddings.iter().zip(&rhos).enumerate() {
        let r = suffix(&o.point, rho.len())?;
        let v = get(&o.post, i, phase)?;
        if R::CHECKS {
            let bad = ProtocolError::Params("padding point");
            let local = r.get(..p.row_vars + p.col_vars).ok_or(bad.clone())?;
            let ind =
                crate::gadgets::padding_indicator_eval(p.rows, p.cols, p.row_vars, p.col_vars, local).ok_or(bad)?;
            evals.push(eq(rho, r)? * ind * v);
        }
        claims.push(Claim { tensor: p.tensor, point: r.to_vec(), value: v });
    }
    discharge(role, phase, o.pending, &evals)?;
    role.end(phase, t);
    Ok(())
}

/// Virtual tensors: every claim on one becomes claims on its terms (their values
/// sent; the combination must give the claimed value).
fn virtuals<R: Role>(
    role: &mut R,
    t: &mut Transcript,
    set: &RelationSet,
    claims: Vec<Claim>,
) -> Result<Vec<Claim>, R::Error> {
    let phase = Phase::VirtualTensor;
    role.begin(phase);
    let virtual_of = |tensor: usize| set.virtuals.iter().enumerate().find(|(_, v)| v.tensor == tensor);
    let mut queries = Vec::new();
    for c in &claims {
        if let Some((_, v)) = virtual_of(c.tensor) {
            queries.extend(v.terms.iter().map(|(term, _)| (*term, c.point.clone())));
        }
    }
    let pre = send(role, t, Slot::Virtual, queries.len(), Message::Evaluations(&queries))?;
    let mut vals = pre.iter().copied();
    let mut out = Vec::with_capacity(claims.len() + queries.len());
    for c in claims {
        let Some((i, v)) = virtual_of(c.tensor) else {
            out.push(c);
            continue;
        };
        let mut sum = fr_from_i64(v.constant);
        for (tensor, coeff) in &v.terms {
            let x = vals.next().ok_or(ProtocolError::Shape(phase))?;
            sum += fr_from_i64(*coeff) * x;
            out.push(Claim { tensor: *tensor, point: c.point.clone(), value: x });
        }
        role.check(Check::relation(phase, "its terms do not give the claimed value", i, v.tensor), sum == c.value)?;
    }
    role.end(phase, t);
    Ok(out)
}

/// The claim reduction and openings alone, for `claims`: for tests of the reduction
/// with chosen, possibly false, claims.
#[doc(hidden)]
pub fn reduce<R: Role>(role: &mut R, t: &mut Transcript, cx: &Context<'_>, claims: &[Claim]) -> Result<(), R::Error> {
    reduction::run(role, t, cx, claims)
}
