//! What prover and verifier both assemble from a statement and a proof: the training
//! generators, the commitment of every tensor of the layout (stacks of per-step statement
//! commitments, the derived weight chains, the proof's own tensors) and the weight chain
//! `W(t+1) = W(t) - ΔW(t)` on commitments. Verifier code: errors, never panics, on any
//! statement or proof.

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::OnceLock;

use thiserror::Error;
use zkdl_core::pcs::{HyraxCommitment, HyraxGenerators, PrecomputedGenerators};

use crate::proof::{initial_weights_commitment, Layouts, Param, Statement, TensorKind, TrainingLayout, TrainingProof};
use crate::spec::CircuitSpec;

/// Why the commitments of a statement and proof could not be assembled.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum AssembleError {
    #[error("bad parameters: {0}")]
    Params(&'static str),
    #[error("the circuit's layout: {0}")]
    Layout(#[from] crate::proof::LayoutError),
    #[error("proof or statement has the wrong shape: {0}")]
    Shape(&'static str),
    #[error("{what}: {source}")]
    Commitment { what: &'static str, source: zkdl_core::PcsError },
}

/// Label from which the training proof's generators are derived.
pub const GENERATORS_LABEL: &[u8] = b"zkdl/v1/training-generators";

/// The training generators `0..4096` (and `H`, `U`), derived ahead of time by
/// `cargo run --release -p zkdl-circuit --example derive_generators` and stored
/// uncompressed; `crates/zkdl-circuit/tests/generators.rs` re-derives them by hash-to-curve and compares.
const PRECOMPUTED: &[u8] = include_bytes!("../data/training-generators.bin");

fn precomputed() -> Option<&'static PrecomputedGenerators> {
    static PRE: OnceLock<Option<PrecomputedGenerators>> = OnceLock::new();
    PRE.get_or_init(|| {
        use ark_serialize::CanonicalDeserialize;
        let (gens, h, u) =
            <(Vec<zkdl_core::G1Affine>, zkdl_core::G1Affine, zkdl_core::G1Affine)>::deserialize_uncompressed_unchecked(
                PRECOMPUTED,
            )
            .ok()?;
        Some(PrecomputedGenerators { label: GENERATORS_LABEL.to_vec(), gens, h, u })
    })
    .as_ref()
}

/// The stored generators (see [`training_generators`]), for the tool that writes them
/// and the test that checks them.
#[doc(hidden)]
pub fn stored_generators() -> Option<&'static PrecomputedGenerators> {
    precomputed()
}

/// The generators of `spec`'s training proofs: the stored prefix, the rest derived
/// (the same points [`HyraxGenerators::new`] derives, without hashing them again).
pub fn training_generators(spec: &CircuitSpec) -> Result<HyraxGenerators, AssembleError> {
    training_generators_for(&Layouts::new(spec)?)
}

/// [`training_generators`] of the circuit whose layouts are `layouts`.
pub fn training_generators_for(layouts: &Layouts) -> Result<HyraxGenerators, AssembleError> {
    let vars = layouts.generator_vars();
    let g = match precomputed() {
        Some(p) => HyraxGenerators::with_precomputed(GENERATORS_LABEL, vars, p),
        None => HyraxGenerators::new(GENERATORS_LABEL, vars),
    };
    g.map_err(|source| AssembleError::Commitment { what: "generators", source })
}

/// The number of variables the generators must cover for `spec` (twice the widest
/// column split of its tensors, first and continued chunks alike).
pub fn generator_vars(spec: &CircuitSpec) -> Result<usize, AssembleError> {
    Ok(Layouts::new(spec)?.generator_vars())
}

/// A per-step statement commitment, checked to have `rows` rows.
fn part<'a>(c: &'a HyraxCommitment, rows: usize, what: &'static str) -> Result<&'a HyraxCommitment, AssembleError> {
    if c.rows.len() != rows {
        return Err(AssembleError::Shape(what));
    }
    Ok(c)
}

/// `parts` (of `rows` rows each) followed by zero commitments up to `2^tau` parts.
fn stack(parts: &[&HyraxCommitment], rows: usize, tau: usize) -> HyraxCommitment {
    let zero = HyraxCommitment::zero(rows);
    let dummies = (1usize << tau).saturating_sub(parts.len());
    HyraxCommitment::concat(parts.iter().copied().chain(std::iter::repeat_n(&zero, dummies)))
}

/// The commitment of every tensor of `layout`, in order: the stacks assembled from the
/// statement and the proof's intermediate weights (rows concatenated, zero rows for dummy
/// steps), the public ones vector, and the proof's own tensors. The prover calls this
/// too, so both sides assemble the same commitments.
pub fn tensor_commitments(
    gens: &HyraxGenerators,
    layout: &TrainingLayout,
    statement: &Statement,
    proof: &TrainingProof,
) -> Result<Vec<HyraxCommitment>, AssembleError> {
    let tau = layout.tau;
    let decls = &layout.set.tensors;
    let local = |i: usize| decls.get(i).map(|d| d.vars - tau).ok_or(AssembleError::Shape("tensor"));
    // The proof's own tensors by index first: the weight chains derive from them.
    let mut proof_tensors = proof.tensors.iter();
    let mut own: Vec<Option<&HyraxCommitment>> = Vec::with_capacity(decls.len());
    for i in 0..layout.kinds.len() {
        own.push(match layout.is_committed_in_proof(i) {
            true => Some(proof_tensors.next().ok_or(AssembleError::Shape("tensor commitments"))?),
            false => None,
        });
    }
    if proof_tensors.next().is_some() {
        return Err(AssembleError::Shape("tensor commitments"));
    }
    let mut comms: Vec<HyraxCommitment> = Vec::with_capacity(decls.len());
    for (i, kind) in layout.kinds.iter().enumerate() {
        let c = match *kind {
            TensorKind::Inputs | TensorKind::Targets => {
                let inputs = *kind == TensorKind::Inputs;
                let rows = layout.data_rows(local(i)?, inputs);
                let mut parts = Vec::with_capacity(statement.data.len());
                for (x, y) in &statement.data {
                    parts.push(part(if inputs { x } else { y }, rows, "data commitment")?);
                }
                stack(&parts, rows, tau)
            }
            TensorKind::Ones => {
                // every row of the all-ones table commits to the sum of the column generators
                let n = local(i)?;
                let rows = layout.statement_rows(n);
                let row = gens
                    .column_sum(layout.statement_col_vars(n))
                    .map_err(|source| AssembleError::Commitment { what: "ones vector", source })?;
                let ones = HyraxCommitment { rows: vec![zkdl_core::G1Affine::from(row); rows] };
                stack(&vec![&ones; 1usize << tau], rows, tau)
            }
            TensorKind::ClassOnes { classes } => {
                // one step's indicator, committed (no blinding), in every step
                let n = local(i)?;
                let u = class_indicator(n, classes).ok_or(AssembleError::Shape("class indicator"))?;
                let one = layout
                    .commit_statement(gens, n, &u)
                    .map_err(|source| AssembleError::Commitment { what: "class indicator", source })?;
                stack(&vec![&one; 1usize << tau], one.rows.len(), tau)
            }
            TensorKind::WeightsBefore(l)
            | TensorKind::WeightsAfter(l)
            | TensorKind::BiasBefore(l)
            | TensorKind::BiasAfter(l)
            | TensorKind::SlopeBefore(l)
            | TensorKind::SlopeAfter(l) => {
                let (param, after) = kind.param().ok_or(AssembleError::Shape("tensor kind"))?;
                let first = need(statement.params(param, true).get(l).copied().flatten())?;
                let last = need(statement.params(param, false).get(l).copied().flatten())?;
                let sent = need(proof.mids(param).get(l))?;
                let rows = layout.statement_rows(local(i)?);
                // a first chunk's statement commits to `w`, W(0) = 2^init_shift w
                let scaled;
                let first = match layout.initial_checked && param == Param::Weights {
                    true => {
                        scaled = initial_weights_commitment(first, layout.init_shift);
                        &scaled
                    }
                    false => first,
                };
                let first_part = part(first, rows, "weight commitment")?;
                let mid = intermediate(gens, layout, &own, l, param, first_part, sent)?;
                chain(after, first, &mid, last, rows, tau)?
            }
            TensorKind::InitialWeights(l) => need(statement.w_initial.get(l))?.clone(),
            TensorKind::InitialBias(l) => need(statement.b_initial.get(l).and_then(|b| b.as_ref()))?.clone(),
            TensorKind::InitialSlope(l) => need(statement.s_initial.get(l).and_then(|b| b.as_ref()))?.clone(),
            _ if layout.set.is_virtual(i) => HyraxCommitment { rows: Vec::new() },
            _ => own.get(i).copied().flatten().ok_or(AssembleError::Shape("tensor commitments"))?.clone(),
        };
        comms.push(c);
    }
    Ok(comms)
}

/// The indicator of the first `classes` of `2^vars` outputs (`None` if more classes
/// than outputs, or too many variables).
pub fn class_indicator(vars: usize, classes: usize) -> Option<Vec<i64>> {
    let n = 1usize.checked_shl(u32::try_from(vars).ok()?).filter(|&n| n >= classes && vars <= 24)?;
    Some((0..n).map(|j| i64::from(j < classes)).collect())
}

/// The update tensor of layer `l`'s weights (or another `param`) and the number of
/// variables of one step's weights.
fn chain_update(layout: &TrainingLayout, l: usize, param: Param) -> Option<(usize, usize)> {
    let kind = match param {
        Param::Weights => TensorKind::Dw(l),
        Param::Bias => TensorKind::Db(l),
        Param::Slope => TensorKind::Ds(l),
    };
    let u = layout.kinds.iter().position(|&k| k == kind)?;
    let local = layout.set.tensors.get(u)?.vars.checked_sub(layout.tau)?;
    Some((u, local))
}

/// Whether the commitments of layer `l`'s intermediate weights (or another `param`)
/// `W(1..T-1)` are derived by the verifier from `W(0)` and the committed updates (and
/// so not sent): the update's column split is the statement's for one step, and the
/// update is committed or virtual over committed digits.
pub fn chain_is_derived(layout: &TrainingLayout, l: usize, param: Param) -> bool {
    let Some((u, local)) = chain_update(layout, l, param) else { return false };
    let Some(decl) = layout.set.tensors.get(u) else { return false };
    let c = decl.col_vars;
    let committed = |t: usize| layout.is_committed_in_proof(t);
    let terms_committed = match layout.set.virtuals.iter().find(|v| v.tensor == u) {
        Some(v) => v.terms.iter().all(|&(t, _)| committed(t)),
        None => committed(u),
    };
    c == layout.statement_col_vars(local) && c <= local && terms_committed
}

/// The commitments of `W(1), ..., W(T)` of layer `l` (or another `param`) from that of
/// `W(0)` (`first`) and the stacked update `dW` (virtual over committed digits, or
/// committed; `committed` returns the proof tensors' commitments): `W(t+1) = W(t) - dW(t)`
/// row block by row block (`pcs::commit_affine_combination`). `None` unless
/// [`chain_is_derived`]. The prover derives every weight after a step this way; the
/// verifier the intermediate ones.
pub fn weight_chain<'a>(
    gens: &HyraxGenerators,
    layout: &TrainingLayout,
    committed: &dyn Fn(usize) -> Option<&'a HyraxCommitment>,
    l: usize,
    param: Param,
    first: &HyraxCommitment,
) -> Result<Option<Vec<HyraxCommitment>>, AssembleError> {
    let what = "weight chain";
    if !chain_is_derived(layout, l, param) {
        return Ok(None);
    }
    let (u, local) = chain_update(layout, l, param).ok_or(AssembleError::Shape(what))?;
    let c = layout.set.tensors.get(u).ok_or(AssembleError::Shape(what))?.col_vars;
    let stacked = match layout.set.virtuals.iter().find(|v| v.tensor == u) {
        Some(v) => {
            let mut terms = Vec::with_capacity(v.terms.len());
            for &(t, k) in &v.terms {
                terms.push((committed(t).ok_or(AssembleError::Shape(what))?, k));
            }
            zkdl_core::pcs::commit_affine_combination(gens, c, &terms, v.constant)
                .map_err(|source| AssembleError::Commitment { what, source })?
        }
        None => committed(u).ok_or(AssembleError::Shape(what))?.clone(),
    };
    let per_step = 1usize << (local - c);
    let mut out: Vec<HyraxCommitment> = Vec::with_capacity(layout.steps);
    for t in 0..layout.steps {
        let rows = stacked.rows.get(t * per_step..(t + 1) * per_step).ok_or(AssembleError::Shape(what))?;
        let prev = out.last().unwrap_or(first);
        if prev.rows.len() != per_step {
            return Err(AssembleError::Shape(what));
        }
        let delta = HyraxCommitment { rows: rows.to_vec() };
        let next = zkdl_core::pcs::commit_affine_combination(gens, c, &[(prev, 1), (&delta, -1)], 0)
            .map_err(|source| AssembleError::Commitment { what, source })?;
        out.push(next);
    }
    Ok(Some(out))
}

/// Layer `l`'s intermediate weights (or another `param`) `W(1..T-1)`: derived when
/// [`chain_is_derived`] (the proof must then carry none), else the proof's.
fn intermediate(
    gens: &HyraxGenerators,
    layout: &TrainingLayout,
    own: &[Option<&HyraxCommitment>],
    l: usize,
    param: Param,
    first: &HyraxCommitment,
    sent: &[HyraxCommitment],
) -> Result<Vec<HyraxCommitment>, AssembleError> {
    let mids = layout.steps.saturating_sub(1);
    if !chain_is_derived(layout, l, param) || mids == 0 {
        if sent.len() != mids {
            return Err(AssembleError::Shape("number of intermediate weights"));
        }
        return Ok(sent.to_vec());
    }
    if !sent.is_empty() {
        return Err(AssembleError::Shape("intermediate weights the verifier derives"));
    }
    let committed = |i: usize| own.get(i).copied().flatten();
    let mut chain =
        weight_chain(gens, layout, &committed, l, param, first)?.ok_or(AssembleError::Shape("weight chain"))?;
    chain.truncate(mids);
    Ok(chain)
}

fn need<T>(x: Option<&T>) -> Result<&T, AssembleError> {
    x.ok_or(AssembleError::Shape("statement or proof commitments"))
}

/// The stacked weights before (`[W0, mid..]`) or after (`[mid.., WT]`) each step.
fn chain(
    after: bool,
    first: &HyraxCommitment,
    mid: &[HyraxCommitment],
    last: &HyraxCommitment,
    rows: usize,
    tau: usize,
) -> Result<HyraxCommitment, AssembleError> {
    let mut parts = Vec::with_capacity(mid.len() + 1);
    if !after {
        parts.push(part(first, rows, "weight commitment")?);
    }
    for m in mid {
        parts.push(part(m, rows, "weight commitment")?);
    }
    if after {
        parts.push(part(last, rows, "weight commitment")?);
    }
    Ok(stack(&parts, rows, tau))
}
