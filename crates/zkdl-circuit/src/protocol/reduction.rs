//! The claim reduction and the openings ([`Phase::ClaimReduction`],
//! [`Phase::Opening`]).
//!
//! Every evaluation claim of the phases before, weighted by challenges `alpha`: one
//! batched degree-2 sumcheck over the column variables (one instance per point and
//! column split, [`ReductionLayout`]); post each tensor at (the column point, its
//! claim's row point); weights `alpha'`; one batched degree-2 sumcheck over the row
//! variables (one instance per row point); post every claimed tensor at (column point,
//! row point). Then per table shape one Hyrax opening of a random combination
//! (`beta`) there, and the openings' final equations checked at once under weights
//! `gamma` drawn after all of them.

use ark_ff::AdditiveGroup;
use zkdl_core::field::Fr;
use zkdl_core::transcript::{labels, Transcript};

use super::{discharge, eq, get, suffix, sumcheck, Batch, Claim, Context, Phase, ProtocolError, Role, Slot};
use crate::relations::{claims_by_tensor, opening_groups, ReductionLayout};

pub(super) fn run<R: Role>(
    role: &mut R,
    t: &mut Transcript,
    cx: &Context<'_>,
    claims: &[Claim],
) -> Result<(), R::Error> {
    let (phase, set) = (Phase::ClaimReduction, cx.set);
    role.begin(phase);
    let tensors: Vec<usize> = claims.iter().map(|c| c.tensor).collect();
    let claimed = claims_by_tensor(&tensors, set.tensors.len());
    t.append_u64(labels::REDUCTION_COLUMNS, claims.len() as u64);
    let alpha = t.challenge_scalars(labels::REDUCTION_COLUMNS, claims.len());
    if claims.is_empty() {
        role.end(phase, t);
        return role.close(0, &[]);
    }
    let at: Vec<(usize, &[Fr])> = claims.iter().map(|c| (c.tensor, c.point.as_slice())).collect();
    let layout = ReductionLayout::new(set, &at).map_err(ProtocolError::Set)?;
    let bad = || ProtocolError::Params("claim point");

    // Column stage: one instance per (column split, point).
    let mut sums = Vec::with_capacity(layout.columns.len());
    for inst in &layout.columns {
        let mut sum = Fr::ZERO;
        for &k in &inst.claims {
            sum += get(&alpha, k, phase)? * claims.get(k).ok_or(ProtocolError::Shape(phase))?.value;
        }
        sums.push((sum, inst.col_vars));
    }
    let batch = Batch::Columns { layout: &layout, alpha: &alpha, claims };
    let o = sumcheck(role, t, Slot::Columns, batch, &sums, 2, layout.posts.len())?;
    let mut evals = Vec::with_capacity(layout.columns.len());
    if R::CHECKS {
        for (a, inst) in layout.columns.iter().enumerate() {
            let mut combined = Fr::ZERO;
            for (&k, &j) in inst.claims.iter().zip(&inst.claim_posts) {
                combined += get(&alpha, k, phase)? * get(&o.post, j, phase)?;
            }
            let lo = layout.point(a, &at).ok_or_else(bad)?.0;
            evals.push(eq(lo, suffix(&o.point, inst.col_vars)?)? * combined);
        }
    }
    discharge(role, phase, o.pending, &evals)?;
    let (rho, columns) = (o.point, o.post);

    // Row stage: the values are claims on T(rho_c, .), one instance per row point.
    t.append_u64(labels::REDUCTION_ROWS, layout.posts.len() as u64);
    let alpha2 = t.challenge_scalars(labels::REDUCTION_ROWS, layout.posts.len());
    let mut sums = Vec::with_capacity(layout.rows.len());
    for inst in &layout.rows {
        let mut sum = Fr::ZERO;
        for &j in &inst.posts {
            sum += get(&alpha2, j, phase)? * get(&columns, j, phase)?;
        }
        sums.push((sum, inst.row_vars));
    }
    let batch = Batch::Rows { layout: &layout, alpha: &alpha2, claims, claimed: &claimed, rho: &rho };
    let o = sumcheck(role, t, Slot::Rows, batch, &sums, 2, claimed.len())?;
    let mut evals = Vec::with_capacity(layout.rows.len());
    if R::CHECKS {
        // o.post[i]: claimed tensor i at its final point
        let mut post_of = vec![None; set.tensors.len()];
        for (i, (tensor, _)) in claimed.iter().enumerate() {
            if let Some(slot) = post_of.get_mut(*tensor) {
                *slot = Some(get(&o.post, i, phase)?);
            }
        }
        for (b, inst) in layout.rows.iter().enumerate() {
            let mut combined = Fr::ZERO;
            for &j in &inst.posts {
                let &(_, tensor) = layout.posts.get(j).ok_or(ProtocolError::Shape(phase))?;
                let v = post_of.get(tensor).copied().flatten().ok_or(ProtocolError::Shape(phase))?;
                combined += get(&alpha2, j, phase)? * v;
            }
            let hi = layout.row_instance_point(b, &at).ok_or_else(bad)?;
            evals.push(eq(hi, suffix(&o.point, inst.row_vars)?)? * combined);
        }
    }
    discharge(role, phase, o.pending, &evals)?;
    let (sigma, rows) = (o.point, o.post);
    role.end(phase, t);

    // One opening per table shape.
    let phase = Phase::Opening;
    role.begin(phase);
    let groups = opening_groups(set, &claimed);
    for (index, (decl, members)) in groups.iter().enumerate() {
        let beta = if members.len() == 1 {
            vec![Fr::from(1u64)]
        } else {
            t.challenge_scalars(labels::RELATIONS_BETA, members.len())
        };
        let mut parts = Vec::with_capacity(members.len());
        let mut value = Fr::ZERO;
        for (&pos, b) in members.iter().zip(&beta) {
            let (tensor, _) = claimed.get(pos).ok_or(ProtocolError::Shape(phase))?;
            parts.push((*tensor, *b));
            value += *b * get(&rows, pos, phase)?;
        }
        let point = ReductionLayout::end_point(&rho, &sigma, *decl).ok_or_else(bad)?;
        role.open(index, *decl, &parts, &point, value, t)?;
    }
    let gamma = t.challenge_scalars(labels::RELATIONS_BETA, groups.len());
    role.close(groups.len(), &gamma)?;
    role.end(phase, t);
    Ok(())
}
